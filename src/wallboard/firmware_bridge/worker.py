"""A lamp backend's own thread: a one-slot mailbox of the desired state, retries, and the safe state on close.

The frame loop only ever drops the latest ``LightState`` into the mailbox and
returns; the worker talks to the device. A write that blocks or fails stalls
the worker, never the board. A device that cannot be opened, or fails while in
use, is closed and retried every ``retry`` seconds; once it is back the whole
current state is re-sent. A device lost after working for at least ``retry``
is reopened at once (a bridge's firmware counts the time since its last frame
towards its failsafe); one that fails again sooner waits ``retry``. Faults
are logged at a bounded rate.

This module knows nothing about GPIO or serial ports: a ``LightDriver`` does
the talking.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from wallboard.device.util.ratelog import RateLimitedLog
from wallboard.firmware_bridge.lights import SAFE, LightState

log = logging.getLogger(__name__)


class LightDriver(Protocol):
    """The device-specific half of a lamp backend. Every method runs on the worker thread."""

    name: str  # for log lines, e.g. "tower light on /dev/ttyUSB0"

    def connect(self) -> None:
        """Open the device; raise OSError (or any error) if it is not there."""
        ...

    def send(self, state: LightState, *, full: bool) -> None:
        """Make the device show ``state``; ``full``: it may know nothing, send everything."""
        ...

    def tick(self, now: float) -> float:
        """Periodic work (blink phases, heartbeats, noticing an unplug); return seconds until the next tick."""
        ...

    def farewell(self) -> None:
        """Leave the device in its safe state for good: the host is going away (all off, buzzer off)."""
        ...

    def disconnect(self) -> None:
        """Release the device; must not raise."""
        ...


class DriverWorker:
    """A ``StackLight`` that runs a ``LightDriver`` on its own thread."""

    def __init__(
        self,
        driver: LightDriver,
        *,
        retry: float = 3.0,
        close_timeout: float = 3.0,
        log_interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.driver = driver
        self._retry = retry
        self._close_timeout = close_timeout
        self._clock = clock
        self._faults = RateLimitedLog(log, log_interval, clock)
        self._cond = threading.Condition()
        self._desired = SAFE
        self._dirty = False
        self._stopping = False
        self._connected = False
        self.connects = 0
        self.failures = 0
        self.last_problem: str | None = None
        self.safe_on_close: bool | None = None  # set by close(): whether the safe state reached the device
        self._thread = threading.Thread(target=self._run, name=f"signals:{driver.name}", daemon=True)

    def start(self) -> DriverWorker:
        self._thread.start()
        return self

    @property
    def connected(self) -> bool:
        with self._cond:
            return self._connected

    def health_report(self) -> dict[str, object]:
        """The device, whether it is connected, how often it (re)connected and failed, and the driver's own report."""
        report: dict[str, object] = {
            "device": self.driver.name,
            "connected": self.connected,
            "connects": self.connects,
            "failures": self.failures,
            "last_problem": self.last_problem,
        }
        own = getattr(self.driver, "health_report", None)
        if callable(own):
            report.update(own())
        return report

    def show(self, state: LightState) -> None:
        """Post ``state`` to the mailbox (replacing any not yet sent) and return at once."""
        with self._cond:
            if state != self._desired:
                self._desired = state
                self._dirty = True
                self._cond.notify()

    def close(self) -> None:
        """Ask the worker to put the device in its safe state and stop; wait a bounded time."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread.is_alive():
            self._thread.join(self._close_timeout)
            if self._thread.is_alive():
                log.warning("%s: did not reach its safe state within %.1fs", self.driver.name, self._close_timeout)

    # ------------------------------------------------------------ worker thread

    def _run(self) -> None:
        sent: LightState | None = None
        connected_at = self._clock()
        while True:
            with self._cond:
                if self._stopping:
                    break
                desired = self._desired
                self._dirty = False
            if not self._connected:
                if not self._try_connect():
                    self._pause(self._retry)
                    continue
                sent = None
                connected_at = self._clock()
            try:
                if desired != sent:
                    self.driver.send(desired, full=sent is None)
                    sent = desired
                delay = self.driver.tick(self._clock())
            except Exception as exc:
                self._lost(exc)
                if self._clock() - connected_at < self._retry:  # it fails as soon as it is open: back off
                    self._pause(self._retry)
                continue
            self._wait_for_change(delay)
        self._finish()

    def _try_connect(self) -> bool:
        try:
            self.driver.connect()
        except Exception as exc:
            self.failures += 1
            self.last_problem = f"unavailable: {exc}"[:200]
            self._faults.warning("connect", f"{self.driver.name}: unavailable ({exc}); retrying every {self._retry:g}s")
            self.driver.disconnect()
            return False
        with self._cond:
            self._connected = True
        self.connects += 1
        if self.connects == 1:
            log.info("%s: connected", self.driver.name)
        else:
            log.info("%s: connected again; re-sending the current state", self.driver.name)
        return True

    def _lost(self, exc: Exception) -> None:
        self.failures += 1
        self.last_problem = f"lost: {exc}"[:200]
        self._faults.warning("lost", f"{self.driver.name}: lost ({exc}); retrying every {self._retry:g}s")
        with self._cond:
            self._connected = False
        self.driver.disconnect()

    def _pause(self, seconds: float) -> None:
        """Sleep ``seconds`` unless asked to stop; new states do not cut a retry pause short."""
        deadline = self._clock() + seconds
        with self._cond:
            while not self._stopping:
                left = deadline - self._clock()
                if left <= 0:
                    return
                self._cond.wait(left)

    def _wait_for_change(self, delay: float) -> None:
        with self._cond:
            if not self._dirty and not self._stopping:
                self._cond.wait(min(delay, 3600.0))

    def _finish(self) -> None:
        reached = False
        if self._connected:
            try:
                self.driver.farewell()
                reached = True
            except Exception as exc:
                log.warning("%s: could not send the safe state (%s)", self.driver.name, exc)
        else:
            log.warning("%s: not connected at shutdown; its safe state could not be sent", self.driver.name)
        self.driver.disconnect()
        with self._cond:
            self._connected = False
        self.safe_on_close = reached
        if reached:
            log.info("%s: left in its safe state (all off)", self.driver.name)
