"""Value types that config sections share: durations and the msgspec decode hook for them.

Kept apart from ``device.config.schema`` so display and signal settings can use the
same types without importing the board's schema.
"""

import math
from typing import Any

from wallboard.device.config.durations import parse_duration

# The longest duration any setting takes: a month. Beyond it a value is a typo (or a hostile
# config: ``hold = inf`` kept a rule from ever tripping, ``nan`` kept old values from going stale).
MAX_DURATION_S = 30 * 86400.0


class Duration(float):
    """Seconds, written in config as "30s", "5m", "1h30m" or a bare number."""


def decode_hook(kind: type, value: Any) -> Any:
    """msgspec ``dec_hook``: turn config text into the custom types above."""
    if kind is Duration:
        if isinstance(value, bool):
            raise TypeError('expected a duration like "30s"')
        if isinstance(value, str):
            value = parse_duration(value)
        if isinstance(value, (int, float)):
            if not math.isfinite(value):
                raise ValueError(f"expected a finite duration, got {value}")
            if not 0 <= value <= MAX_DURATION_S:
                raise ValueError(f"expected a duration from 0 to 30 days, got {value:g} s")
            return Duration(value)
        raise TypeError('expected a duration like "30s"')
    raise NotImplementedError(f"no config type {kind!r}")
