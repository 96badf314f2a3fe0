"""The ``[display]`` section of a board config: typed, validated, no pygame import."""

import msgspec

from device.settings_types import Duration


class DisplaySettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """How the board is drawn on its screen."""

    size: str = "auto"  # "auto" (the screen's own) or "WIDTHxHEIGHT"
    fullscreen: bool = True
    fps: int = 30
    page_interval: Duration = Duration(15)
