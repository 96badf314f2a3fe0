"""A FakeAmi served from its own event-loop thread, for tests where the feed is a separate process."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from tests.fake_ami import FakeAmi

T = TypeVar("T")


class AmiThread:
    """Starts ``ami`` on a loopback port in a daemon thread; ``call`` runs one of its coroutines there."""

    def __init__(self, ami: FakeAmi) -> None:
        self.ami = ami
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fake-ami", daemon=True)
        self._thread.start()
        self.call(ami.start())

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def emit(self, event: str, **fields: str | int) -> None:
        self.call(self.ami.emit(event, **fields))

    def close(self) -> None:
        self.call(self.ami.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()
