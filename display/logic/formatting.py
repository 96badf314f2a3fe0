"""How numbers, durations and ages read on the board: pure functions, no pygame.

Counts are whole numbers, percentages carry one decimal below 100 (78.5%),
durations read as m:ss or h:mm:ss, and ages as "3m old". Must not guess at
units: the metric's kind decides.
"""

from __future__ import annotations

import math

from wallboard.device.wire.metrics import MetricKind


def format_value(value: float, kind: MetricKind | None) -> str:
    """A metric value as shown on a tile."""
    if not math.isfinite(value):
        return "--"
    if kind is MetricKind.COUNT:
        return f"{round(value):d}"
    if kind is MetricKind.PERCENT:
        return "100%" if value >= 99.95 else f"{value:.1f}%"
    if kind is MetricKind.SECONDS:
        return format_duration(value)
    if abs(value) >= 1000 or value == round(value):
        return f"{value:,.0f}"
    return f"{value:.1f}"


def format_duration(seconds: float) -> str:
    """``95`` -> ``1:35``; ``3725`` -> ``1:02:05``; under a minute -> ``0:42``."""
    total = max(0, round(seconds))
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
