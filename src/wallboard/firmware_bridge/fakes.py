"""Recording fakes of the signal outputs, shipped like gpiozero's MockFactory: they record what they were told.

``RecordingStackLight`` keeps ``(time, LightState)`` for every change, ``RecordingSound`` keeps
``(time, chime)`` for every chime, so a test (or a site's own integration test) can say "red was blinking
from 0.0 to 0.5 s" instead of poking at call arguments. No hardware, no pygame.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from wallboard.firmware_bridge.lights import SAFE, LightState


class RecordingStackLight:
    """A fake stack light that records ``(time, state)`` for every change it is told about."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.history: list[tuple[float, LightState]] = []
        self.closed = False

    def show(self, state: LightState) -> None:
        with self._lock:
            if not self.history or self.history[-1][1] != state:
                self.history.append((self._clock(), state))

    @property
    def current(self) -> LightState:
        with self._lock:
            return self.history[-1][1] if self.history else SAFE

    def close(self) -> None:
        self.show(SAFE)
        self.closed = True


class RecordingSound:
    """A fake sink that records ``(time, chime)`` for every chime it is asked to play."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.played: list[tuple[float, str]] = []
        self.closed = False

    def play(self, chime: str) -> None:
        with self._lock:
            self.played.append((self._clock(), chime))

    def release_if_idle(self) -> None:
        return None

    def close(self) -> None:
        self.closed = True
