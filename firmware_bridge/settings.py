"""The ``[signals]`` section of a board config: typed, validated, no hardware import."""

import msgspec


class SignalSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Which backend drives the stack light and which sounds play."""

    backend: str = "null"
