"""A short-lived MQTT client for IT's command-line tools (``wallboard fleet``): connect, listen, publish.

Not the board's connection (that is ``device.edge.mqtt_source``, with its will and
self-healing): this one connects once, fails loudly if it cannot, and hands
received messages over a queue to the caller's thread. A long-running tool (the
fleet page) may instead keep trying in the background (``connect_in_background``),
subscribing once the broker answers. It is the only other module that imports
paho; nothing from paho leaves it.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from wallboard.device.util.text import printable

log = logging.getLogger(__name__)

_MAX_WAITING = 10_000


class ToolClient:
    """Connects to a broker, subscribes, and queues what arrives as ``(topic, payload)`` pairs."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        ca_file: str | None = None,
        cert_file: str | None = None,
        key_file: str | None = None,
        client_id: str | None = None,
    ) -> None:
        self.address = f"{host}:{port}"
        self._host, self._port = host, port
        self._messages: queue.Queue[tuple[str, bytes]] = queue.Queue(maxsize=_MAX_WAITING)
        self._answered = threading.Event()  # the broker answered a connect (accepted or refused)
        self._ever_connected = False
        self._refused: str | None = None
        self._closing = False
        self._subscriptions: dict[str, int] = {}
        self._not_sent: set[str] = set()  # subscriptions made while no broker was connected
        self._subscribing = threading.Lock()  # subscribe() and the connect callback: none lost in between
        self.disconnects = 0  # how often the broker dropped an established connection (paho reconnects)
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id or f"wallboard-tool-{uuid.uuid4().hex[:8]}"
        )
        if username is not None:
            self._client.username_pw_set(username, password)
        if ca_file is not None:
            self._client.tls_set(ca_certs=ca_file, certfile=cert_file, keyfile=key_file)
        self._client.on_connect = self._handle_connect
        self._client.on_disconnect = self._handle_disconnect
        self._client.on_message = self._handle_message

    def connect(self, timeout: float = 10.0) -> None:
        """Connect and wait for the broker's answer; raise ConnectionError if refused or unreachable."""
        try:
            self._client.connect(self._host, self._port, keepalive=30)
        except (OSError, ValueError) as exc:
            raise ConnectionError(f"cannot reach MQTT broker {self.address}: {exc}") from None
        self._client.loop_start()
        if not self._answered.wait(timeout) or self._refused:
            self.close()
            if self._refused:
                raise ConnectionError(f"MQTT broker {self.address} refused the connection: {self._refused}")
            raise ConnectionError(f"MQTT broker {self.address} did not answer within {timeout:g} s")

    @property
    def refused(self) -> str | None:
        """Why the broker refused the last connection (bad credentials, not authorised), if it did."""
        return self._refused

    def connect_in_background(self) -> None:
        """Keep trying to connect in paho's thread (after ``connect`` failed: the broker is not there yet).

        Subscriptions made meanwhile are sent once it answers; ``is_connected`` says when.
        """
        self._closing = False
        self._refused = None
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        self._client.connect_async(self._host, self._port, keepalive=30)
        self._client.loop_start()

    def subscribe(self, topic: str, qos: int = 1) -> None:
        """Queue every message on ``topic`` (retained ones arrive first), again after every reconnection."""
        with self._subscribing:
            self._subscriptions[topic] = qos
            result, _ = self._client.subscribe(topic, qos=qos)
            if result != mqtt.MQTT_ERR_SUCCESS:
                self._not_sent.add(topic)

    def is_connected(self) -> bool:
        """Whether the broker link is up now (paho reconnects by itself after a drop)."""
        return bool(self._client.is_connected())

    def publish(self, topic: str, payload: bytes, *, retain: bool = False, timeout: float = 5.0) -> bool:
        """Publish with QoS 1 and wait for the broker's acknowledgement; False if it did not come."""
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        try:
            info.wait_for_publish(timeout=timeout)
        except (RuntimeError, ValueError):
            return False
        return bool(info.is_published())

    def next_message(self, timeout: float) -> tuple[str, bytes] | None:
        """The next received message, or None after ``timeout`` seconds."""
        try:
            return self._messages.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None

    def close(self) -> None:
        self._closing = True
        self._client.disconnect()
        self._client.loop_stop()

    # paho's thread: no raising, no blocking.
    def _handle_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            self._refused = str(reason)
            self._answered.set()
            return
        with self._subscribing:
            # A reconnection: a clean session starts with no subscriptions. A first connection: those that
            # could not be sent before it.
            topics = set(self._subscriptions) if self._ever_connected else self._not_sent
            for topic in sorted(topics):
                client.subscribe(topic, qos=self._subscriptions[topic])
            self._not_sent = set()
            self._ever_connected = True
        self._refused = None
        self._answered.set()

    def _handle_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if not self._closing:
            self.disconnects += 1

    def _handle_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            self._messages.put_nowait((message.topic, bytes(message.payload)))
        except queue.Full:
            log.warning("dropping a message on %s: the tool is not keeping up", printable(message.topic, 120))
