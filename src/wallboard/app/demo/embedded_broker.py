"""An embedded MQTT broker (amqtt) on a free loopback port, for the demo: no broker to install.

Runs amqtt's asyncio broker on its own thread and event loop, listening on
127.0.0.1 only, anonymous access, no $SYS topics. For demos and tests only:
a real site runs mosquitto. amqtt is imported when the broker starts.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from typing import Any

log = logging.getLogger(__name__)


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class EmbeddedBroker:
    """amqtt on 127.0.0.1:``port`` in a background thread; ``start`` waits until it listens."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_loopback_port()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._broker: Any = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self, timeout: float = 15.0) -> int:
        """Start the broker; return its port. Raises RuntimeError if it does not come up."""
        # amqtt logs every connection at INFO; the demo's own log is more useful.
        for name in ("amqtt", "transitions"):
            logging.getLogger(name).setLevel(logging.WARNING)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="embedded-broker", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout) or self._error is not None:
            raise RuntimeError(f"the embedded MQTT broker did not start: {self._error!r}")
        log.info("embedded MQTT broker (amqtt) listening on 127.0.0.1:%d", self.port)
        return self.port

    def _run(self) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._start())
        except BaseException as exc:  # reported to start()'s caller
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()

    async def _start(self) -> None:
        from amqtt.broker import Broker

        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{self.port}"}},
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }
        self._broker = Broker(config)
        await self._broker.start()

    def stop(self) -> None:
        """Shut the broker down and end its thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if self._broker is not None and loop.is_running():
            future = asyncio.run_coroutine_threadsafe(self._broker.shutdown(), loop)
            try:
                future.result(timeout=10)
            except Exception as exc:
                log.warning("embedded broker did not shut down cleanly: %r", exc)
        if loop.is_running():
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        if not loop.is_running():
            loop.close()
        self._loop = self._thread = self._broker = None
