"""Trend history: a bounded series of (measured_at, value) points per metric, one point per interval.

Held by the board state and filled as values arrive or come back from the cache; read by the trend
widget. It decides nothing about freshness: a point is only a past measurement.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

Point = tuple[float, float]  # (measured_at, value)


class MetricHistory:
    """At most ``points`` points per metric, at least ``interval`` seconds apart."""

    def __init__(self, points: int, interval: float) -> None:
        self._points = points
        self._interval = interval
        self._series: dict[str, deque[Point]] = {}

    def record(self, key: str, at: float, value: float) -> None:
        """Add a measurement; within an interval of the last point it replaces that point's value."""
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = deque(maxlen=self._points)
        if series and at - series[-1][0] < self._interval:
            if at >= series[-1][0]:
                series[-1] = (series[-1][0], value)  # one point per interval, holding its latest value
            return
        series.append((at, value))

    def extend(self, key: str, points: Iterable[Point]) -> None:
        """Put back points as they were stored (from the cache), oldest first."""
        self._series.setdefault(key, deque(maxlen=self._points)).extend(points)

    def last(self, key: str) -> Point | None:
        """The newest point for ``key``."""
        series = self._series.get(key)
        return series[-1] if series else None

    def points(self, key: str) -> list[Point]:
        """Every point for ``key``, oldest first."""
        return list(self._series.get(key, ()))
