"""Why a message was rejected, and the board's thread-safe tally of rejections.

The edge (ingest) rejects; the state rejects an out-of-order value; the status reports the counts.
Each reason is counted separately and logged at a bounded rate, so a flood of junk costs a few log
lines, not a full disk.
"""

from __future__ import annotations

import enum
import logging
import threading

from wallboard.device.util.ratelog import RateLimitedLog
from wallboard.device.util.text import printable

log = logging.getLogger("wallboard.device.edge.ingest")


class Reason(enum.Enum):
    """Why a message was rejected; each is counted separately."""

    TOO_LARGE = "too_large"
    MALFORMED = "malformed"
    NOT_AN_OBJECT = "not_an_object"
    WRONG_TYPE = "wrong_type"
    NOT_FINITE = "not_finite"
    NEGATIVE = "negative"
    OUT_OF_RANGE = "out_of_range"
    BAD_TIMESTAMP = "bad_timestamp"
    UNKNOWN_TOPIC = "unknown_topic"
    OUT_OF_ORDER = "out_of_order"
    OVER_LIMIT = "over_limit"  # a new metric or announcement beyond the board's bound on held items


class RejectionCounter:
    """Thread-safe counts of rejected messages per reason, with bounded-rate logging."""

    def __init__(self, log_interval: float = 10.0) -> None:
        self._counts: dict[Reason, int] = {}
        self._lock = threading.Lock()
        self._log = RateLimitedLog(log, log_interval)

    def reject(self, reason: Reason, topic: str, detail: str) -> None:
        with self._lock:
            self._counts[reason] = self._counts.get(reason, 0) + 1
        self._log.warning(reason.value, f"rejected message on {printable(topic, 120)!r}: {reason.value}: {detail}")

    def counts(self) -> dict[str, int]:
        """A snapshot: reason name -> count (reasons never seen are absent)."""
        with self._lock:
            return {reason.value: count for reason, count in self._counts.items()}

    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())
