"""Where the board's messages come from: the ``MessageSource`` interface and a recording fake of it.

The run loop takes a source instead of building one, as gpiozero's devices take a pin factory: in
production the paho-mqtt one (``device.edge.mqtt_source``), in tests and benchmarks ``FakeSource``,
which records what it was told (subscriptions, publishes, the will, with times) and lets a test
deliver messages and link changes as the broker would. Nothing from paho here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from wallboard.device.core.values import LinkChange, LinkStatus

MessageSink = Callable[[str, bytes], None]
LinkSink = Callable[[LinkChange], None]


@dataclass(frozen=True)
class Will:
    """The message the broker publishes for the board when it vanishes without saying goodbye."""

    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = True


@dataclass(frozen=True)
class SourceHandlers:
    """What a source calls, from its own thread: a message arrived, the link changed, the link came up."""

    on_message: MessageSink
    on_link: LinkSink
    on_connected: Callable[[], None] | None = None


class MessageSource:
    """The interface of a message source (a base class, so a fake and the real one share its docs)."""

    @property
    def address(self) -> str:
        """Where the messages come from, for the status (``host:port``)."""
        raise NotImplementedError

    def start(self, subscriptions: Sequence[str], handlers: SourceHandlers, will: Will | None = None) -> None:
        """Begin delivering messages on ``subscriptions`` to ``handlers``; return at once."""
        raise NotImplementedError

    def set_subscriptions(self, topics: Sequence[str]) -> None:
        """Subscribe to ``topics`` from now on; drop the ones no longer listed."""
        raise NotImplementedError

    def publish(self, topic: str, payload: bytes, *, retain: bool = False, qos: int = 1) -> bool:
        """Queue one message; False if it could not be."""
        raise NotImplementedError

    def stop(self, farewell: tuple[str, bytes] | None = None) -> None:
        """Publish ``farewell`` (retained) if connected, then disconnect. Safe to call twice."""
        raise NotImplementedError


@dataclass(frozen=True)
class Published:
    """One message a source was asked to publish, and when."""

    at: float
    topic: str
    payload: bytes
    retain: bool
    qos: int


class FakeSource(MessageSource):
    """A source with no broker: records what it was told; ``deliver`` and ``link`` play the broker's part."""

    def __init__(self, address: str = "fake:0", clock: Callable[[], float] = time.time) -> None:
        self._address = address
        self._clock = clock
        self._lock = threading.Lock()
        self.handlers: SourceHandlers | None = None
        self.subscriptions: list[str] = []
        self.will: Will | None = None
        self.published: list[Published] = []
        self.connected = False
        self.started = False
        self.stopped = False

    @property
    def address(self) -> str:
        return self._address

    def start(self, subscriptions: Sequence[str], handlers: SourceHandlers, will: Will | None = None) -> None:
        self.subscriptions, self.handlers, self.will, self.started = list(subscriptions), handlers, will, True

    def set_subscriptions(self, topics: Sequence[str]) -> None:
        self.subscriptions = list(topics)

    def publish(self, topic: str, payload: bytes, *, retain: bool = False, qos: int = 1) -> bool:
        if not self.connected:
            return False
        with self._lock:
            self.published.append(Published(self._clock(), topic, payload, retain, qos))
        return True

    def stop(self, farewell: tuple[str, bytes] | None = None) -> None:
        if self.stopped:
            return
        if farewell is not None:
            self.publish(farewell[0], farewell[1], retain=True, qos=1)
        self.connected, self.stopped = False, True

    # ------------------------------------------------------------ the broker's part

    def link(self, status: LinkStatus, detail: str = "") -> None:
        """The link changes as the broker would make it (``on_connected`` follows an UP)."""
        assert self.handlers is not None, "start() the source first"
        self.connected = status is LinkStatus.UP
        self.handlers.on_link(LinkChange(status, self._clock(), detail or status.value))
        if self.connected and self.handlers.on_connected is not None:
            self.handlers.on_connected()

    def deliver(self, topic: str, payload: bytes | str) -> None:
        """A message arrives on ``topic`` (on the caller's thread, as paho's would on its own)."""
        assert self.handlers is not None, "start() the source first"
        self.handlers.on_message(topic, payload.encode() if isinstance(payload, str) else payload)

    def messages_on(self, topic: str) -> list[Published]:
        """What was published on ``topic``, oldest first."""
        with self._lock:
            return [message for message in self.published if message.topic == topic]
