"""Where a feed's messages go: the site's broker (retained, QoS 1, a will on the status topic), or stdout.

``FeedPublisher`` is the narrow port the runner uses. ``MqttFeedPublisher`` wraps
paho (nothing from paho leaks out); ``PrintPublisher`` is ``--dry-run`` and the
recording fake the tests read. Must not decide what to publish or when.
"""

from __future__ import annotations

import logging
import ssl
import sys
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

log = logging.getLogger("wallboard.feed")


class FeedPublisher(Protocol):
    def publish(self, topic: str, payload: bytes) -> None:
        """Publish retained at QoS 1."""

    def take_reconnected(self) -> bool:
        """True once after each (re)connection to the broker: the runner then republishes everything."""

    def close(self, last_status: bytes | None) -> None:
        """Publish ``last_status`` on the status topic (if given), then disconnect."""


@dataclass
class PrintPublisher:
    """``--dry-run``: every message printed as ``topic payload`` and kept in ``sent`` (no broker)."""

    status_topic: str
    out: TextIO | None = sys.stdout
    sent: list[tuple[str, bytes]] = field(default_factory=list)
    _fresh: bool = True

    def publish(self, topic: str, payload: bytes) -> None:
        self.sent.append((topic, payload))
        if self.out is not None:
            print(topic, payload.decode(), file=self.out, flush=True)

    def take_reconnected(self) -> bool:
        fresh, self._fresh = self._fresh, False
        return fresh

    def close(self, last_status: bytes | None) -> None:
        if last_status is not None:
            self.publish(self.status_topic, last_status)


class MqttFeedPublisher:
    """paho in its own network thread, reconnecting with capped backoff; the will marks the feed offline.

    ``start=False`` leaves it unconnected until ``connect_now`` (``--once``: connect in the foreground and
    say why not, instead of retrying for ever).
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        client_id: str,
        status_topic: str,
        will: bytes,
        username: str | None = None,
        password: str | None = None,
        ca_file: str | None = None,
        start: bool = True,
    ) -> None:
        self.status_topic = status_topic
        self._address = f"{host}:{port}"
        self._host, self._port = host, port
        self._username = username
        self._reconnected = threading.Event()
        self._disconnected = threading.Event()
        self._answered = threading.Event()  # a CONNACK came, accepted or not
        self._refused: str | None = None
        self._last: mqtt.MQTTMessageInfo | None = None
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
        self._client.will_set(status_topic, will, qos=1, retain=True)
        if username is not None:
            self._client.username_pw_set(username, password)
        if ca_file is not None:
            self._client.tls_set(ca_certs=ca_file, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        self._closing = False
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        if start:
            self._client.connect_async(host, port, keepalive=30)
            self._client.loop_start()

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            who = f" as {self._username}" if self._username else ""
            self._refused = f"the broker at {self._address} refused the feed's login{who}: {reason}"
            log.error("%s", self._refused)
            self._answered.set()
            return
        log.info("connected to the broker")
        self._refused = None
        self._answered.set()
        self._reconnected.set()

    def connect_now(self, timeout: float) -> str | None:
        """Connect in the foreground and wait for the broker's answer: None once logged in, else the cause."""
        try:
            self._client.connect(self._host, self._port, keepalive=30)
        except OSError as exc:  # refused, unreachable, a name that does not resolve, a TLS handshake that fails
            return f"cannot reach the broker at {self._address}: {exc}"
        self._client.loop_start()
        if not self._answered.wait(timeout):
            return f"no answer from the broker at {self._address} in {timeout:g}s"
        return self._refused

    def confirm(self, timeout: float) -> str | None:
        """Wait until the broker has acknowledged everything published so far: None, else the cause."""
        if self._last is None:
            return None
        try:
            self._last.wait_for_publish(timeout)
        except (RuntimeError, ValueError) as exc:
            return f"the broker at {self._address} did not take the feed's messages: {exc}"
        if not self._last.is_published():
            return f"the broker at {self._address} did not acknowledge the feed's messages in {timeout:g}s"
        return None

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        self._disconnected.set()
        if not self._closing:
            log.warning("lost the broker (%s); paho reconnects", reason)

    def publish(self, topic: str, payload: bytes) -> None:
        # QoS 1 messages published while offline are queued by paho and sent on reconnect.
        self._last = self._client.publish(topic, payload, qos=1, retain=True)

    def take_reconnected(self) -> bool:
        if self._reconnected.is_set():
            self._reconnected.clear()
            return True
        return False

    def wait_connected(self, timeout: float) -> bool:
        """Block until the first connection (for ``--once`` against a broker); False on timeout."""
        return self._reconnected.wait(timeout)

    def close(self, last_status: bytes | None) -> None:
        self._closing = True
        if last_status is not None:
            info = self._client.publish(self.status_topic, last_status, qos=1, retain=True)
            if self._client.is_connected():
                info.wait_for_publish(timeout=5)
        connected = self._client.is_connected()
        self._disconnected.clear()
        self._client.disconnect()
        if connected:
            # Let the network thread send DISCONNECT first: a socket closed without it makes the broker publish
            # the will ("offline") over whatever status was just sent.
            self._disconnected.wait(5)
        self._client.loop_stop()
