"""Logging at a bounded rate: the first occurrence of each kind, then one summary line per interval.

A broken publisher can send thousands of bad messages a second; the journal
must stay readable and the SD card must not fill.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable


class RateLimitedLog:
    """Logs at most one line per ``key`` per ``interval`` seconds, counting what it held back."""

    def __init__(
        self,
        logger: logging.Logger,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._interval = interval
        self._clock = clock
        self._last: dict[str, float] = {}
        self._held_back: dict[str, int] = {}
        self._lock = threading.Lock()

    def warning(self, key: str, message: str, *, exc_info: bool = False) -> bool:
        """Log ``message`` unless ``key`` was logged within the interval; True if it was logged.

        ``exc_info``: add the exception being handled (its traceback) to the line that is logged.
        """
        now = self._clock()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self._interval:
                self._held_back[key] = self._held_back.get(key, 0) + 1
                return False
            self._last[key] = now
            held = self._held_back.pop(key, 0)
        suffix = f" ({held} more like this since the last line)" if held else ""
        self._logger.warning("%s%s", message, suffix, exc_info=exc_info)
        return True
