"""A stop flag that SIGTERM (systemd stopping the service) and SIGINT (Ctrl+C) set: the one signal handler."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

log = logging.getLogger(__name__)


def stop_on_signals(stop: threading.Event | None = None) -> threading.Event:
    """Return ``stop`` (a new event if None), set from now on by SIGTERM and SIGINT. Main thread only."""
    event = stop if stop is not None else threading.Event()

    def on_signal(number: int, frame: FrameType | None) -> None:
        log.info("received %s, stopping", signal.Signals(number).name)
        event.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return event
