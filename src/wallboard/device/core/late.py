"""Values that arrive already stale: counted, explained with their likely cause, logged at a bounded rate.

A value measured longer ago than its ``stale_after`` is accepted (it is the
newest the board has) but drawn grey from the first frame, which looks like a
broken board unless someone says why. The likely causes: a publisher whose
clock is far behind (a whole number of days or a year: a dead RTC battery, or a
fixed ``ts`` pasted from an example), or an old retained message from a feed
that has stopped. Thread-safe: ingest notes arrivals on the MQTT thread.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from wallboard.device.util.ratelog import RateLimitedLog
from wallboard.device.util.text import printable

log = logging.getLogger("wallboard.device.edge.ingest")

_DAY = 86400.0


@dataclass(frozen=True, slots=True)
class LateSummary:
    """For the status: how many values arrived already stale, and the last one explained."""

    count: int
    last: str


def likely_cause(behind: float) -> str:
    """Why a value measured ``behind`` seconds before it arrived may be so old, as a question for IT."""
    if behind >= _DAY:
        days = round(behind / _DAY)
        return f"publisher clock behind by {days} days? (or a fixed ts, e.g. pasted from an example)"
    minutes = behind / 60
    ago = f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.1f} h"
    return f"measured {ago} before it arrived: a retained message from a stopped feed, or a publisher clock behind?"


class LateArrivals:
    """Counts values older than their ``stale_after`` on arrival and logs why, at most once per interval."""

    def __init__(self, log_interval: float = 10.0) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._last = ""
        self._log = RateLimitedLog(log, log_interval)

    def note(self, what: str, measured_at: float, received_at: float, stale_after: float) -> bool:
        """Count ``what`` if it arrived older than ``stale_after``; True if it did."""
        behind = received_at - measured_at
        if behind <= stale_after:
            return False
        text = f"{printable(what, 120)} arrived already stale ({behind:,.0f}s old, limit {stale_after:g}s): " + (
            likely_cause(behind)
        )
        with self._lock:
            self._count += 1
            self._last = text
        self._log.warning("arrived_stale", text)
        return True

    def summary(self) -> LateSummary:
        with self._lock:
            return LateSummary(self._count, self._last)
