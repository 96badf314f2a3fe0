"""Value types that config sections share: durations and the msgspec decode hook for them.

Kept apart from ``device.config.loader`` so display and signal settings can use the
same types without importing the loader.
"""

from typing import Any

from wallboard.device.config.durations import parse_duration


class Duration(float):
    """Seconds, written in config as "30s", "5m", "1h30m" or a bare number."""


def decode_hook(kind: type, value: Any) -> Any:
    """msgspec ``dec_hook``: turn config text into the custom types above."""
    if kind is Duration:
        if isinstance(value, bool):
            raise TypeError('expected a duration like "30s"')
        if isinstance(value, (int, float)):
            if value < 0:
                raise ValueError(f"expected a duration >= 0, got {value}")
            return Duration(value)
        if isinstance(value, str):
            return Duration(parse_duration(value))
        raise TypeError('expected a duration like "30s"')
    raise NotImplementedError(f"no config type {kind!r}")
