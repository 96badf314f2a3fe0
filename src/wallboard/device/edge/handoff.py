"""The bounded, coalescing hand-off from the MQTT network thread to the main thread.

The latest update per key wins (a newer ``calls_waiting`` replaces an older
one not yet drawn), so a burst costs memory proportional to the number of
distinct metrics, not messages. When the number of distinct keys reaches the
capacity, new keys are dropped and counted: the producer never blocks.
"""

from __future__ import annotations

import contextlib
import queue
import threading

from wallboard.device.core.updates import Reading, Update
from wallboard.device.core.view import HandoffStats


class CoalescingQueue:
    """Latest-value-per-key queue: ``put`` from any thread, ``drain`` from the consumer."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._pending: dict[str, Update] = {}
        self._lock = threading.Lock()
        # The consumer's doorbell: holds one token while something is waiting (``_rung``), so ``wait`` blocks in C
        # (``SimpleQueue.get``) rather than in ``threading.Event``'s Python-level condition wait.
        self._bell: queue.SimpleQueue[None] = queue.SimpleQueue()
        self._rung = False
        self._accepted = 0
        self._coalesced = 0
        self._dropped_full = 0
        self._dropped_older = 0

    def put(self, update: Update) -> bool:
        """Offer an update; False if it was dropped (queue full, or older than the one waiting)."""
        key = update.handoff_key
        with self._lock:
            waiting = self._pending.get(key)
            if waiting is None:
                if len(self._pending) >= self._capacity:
                    self._dropped_full += 1
                    return False
            elif isinstance(update, Reading) and isinstance(waiting, Reading):
                if update.measured_at < waiting.measured_at:
                    self._dropped_older += 1
                    return False
                self._coalesced += 1
            else:
                self._coalesced += 1
            self._pending[key] = update
            self._accepted += 1
            self._ring()
        return True

    def drain(self) -> list[Update]:
        """Take every waiting update, oldest key first."""
        with self._lock:
            self._silence()
            if not self._pending:
                return []
            taken = list(self._pending.values())
            self._pending = {}
        return taken

    def waiting(self) -> bool:
        """True if something may be waiting to drain (a cheap look without the lock, for the frame path).

        A put that lands just after a False still wakes the consumer's next ``wait``, so nothing is missed.
        """
        return bool(self._pending)

    def wake(self) -> None:
        """Wake the consumer without handing anything over (e.g. the link changed)."""
        with self._lock:
            self._ring()

    def wait(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds for something to drain (or a ``wake``); True if so.

        Like ``threading.Event.wait``, it does not reset: until the next ``drain`` it returns at once.
        """
        try:
            self._bell.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return False
        self._bell.put(None)  # the token stays until ``drain`` takes it
        return True

    def _ring(self) -> None:  # with the lock held
        if not self._rung:
            self._rung = True
            self._bell.put(None)

    def _silence(self) -> None:  # with the lock held; only the consumer drains, so the token is there
        if self._rung:
            self._rung = False
            with contextlib.suppress(queue.Empty):  # only if a wait on another thread holds it this instant
                self._bell.get_nowait()

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending)

    def stats(self) -> HandoffStats:
        with self._lock:
            return HandoffStats(self._accepted, self._coalesced, self._dropped_full, self._dropped_older)
