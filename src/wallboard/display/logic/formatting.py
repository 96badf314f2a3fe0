"""How numbers, durations and ages read on the board: pure functions, no pygame.

Counts are whole numbers, percentages carry one decimal (78.5%, and "100%"
only for 100 itself), durations read as m:ss or h:mm:ss, and ages as "3m old".
Must not guess at units: the metric's kind decides.

Rounding never shows a met target for a missed one: a value watched by a
"below" rule (higher is better) is rounded *down* (79.96 -> "79.9%" under
WARNING, never "80.0%"), one watched by an "above" rule (lower is better) is
rounded *up* (60.4 s -> "1:01" under WARNING, never "1:00"); with levels
strict ("below 80" is < 80), the digits then always agree with the colour.
"""

from __future__ import annotations

import math
from typing import Literal

from wallboard.device.wire.metrics import MetricKind

Rounding = Literal["nearest", "down", "up"]


def format_value(value: float, kind: MetricKind | None, rounding: Rounding = "nearest") -> str:
    """A metric value as shown on a tile, rounded in ``rounding``'s direction."""
    if not math.isfinite(value):
        return "--"
    if kind is MetricKind.COUNT:
        return _fixed(value, 0, rounding)
    if kind is MetricKind.PERCENT:
        if value == 100.0:
            return "100%"
        # Nothing short of 100 reads "100%", and nothing above 0 reads "0.0%".
        shown = _fixed(value, 1, rounding)
        if float(shown) >= 100.0:
            shown = "99.9"
        elif value > 0 and float(shown) == 0:
            shown = "0.1"
        return f"{shown}%"
    if kind is MetricKind.SECONDS:
        return format_duration(value, rounding)
    if abs(value) >= 1000 or value == round(value):
        return f"{float(_fixed(value, 0, rounding)):,.0f}"
    return _fixed(value, 1, rounding)


def _fixed(value: float, digits: int, rounding: Rounding) -> str:
    """``value`` with ``digits`` decimals: nearest, or the nearest not above (down) / not below (up) it."""
    text = f"{value:.{digits}f}"
    shown = float(text)
    step = 10.0**-digits
    if rounding == "down" and shown > value:
        text = f"{shown - step:.{digits}f}"
    elif rounding == "up" and shown < value:
        text = f"{shown + step:.{digits}f}"
    return text.lstrip("-") if float(text) == 0 else text


def format_duration(seconds: float, rounding: Rounding = "nearest") -> str:
    """``95`` -> ``1:35``; ``3725`` -> ``1:02:05``; under a minute -> ``0:42``."""
    total = max(0, int(_fixed(seconds, 0, rounding)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def format_age(seconds: float) -> str:
    """How old a value is, short enough for a tile: "40s old", "3m old", "2h old", "3d old"."""
    if seconds < 60:
        return f"{max(0, int(seconds))}s old"
    if seconds < 3600:
        return f"{int(seconds // 60)}m old"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h old"
    return f"{int(seconds // 86400)}d old"


def format_since(seconds: float | None) -> str:
    """The status strip's data age: "data 2s ago", "data 5m ago", "no data yet"."""
    if seconds is None:
        return "no data yet"
    return "data " + format_age(seconds).replace(" old", " ago")
