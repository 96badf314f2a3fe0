"""The MQTT edge: a paho-mqtt 2.x client that keeps itself connected and hands raw messages on.

paho's network thread (``connect_async`` + ``loop_start``) connects, retries
with capped exponential backoff, and resubscribes after every reconnect. Every
callback is wrapped: an exception escaping into paho kills its network thread
silently, so here it is caught, counted and logged instead. Nothing from paho
leaves this module: callers see ``(topic, payload)`` and ``LinkChange``.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from wallboard.device.config.bounds import MAX_CONFIG_BYTES
from wallboard.device.config.named_files import read_secret, resolve_path
from wallboard.device.config.reading import LoadedConfig
from wallboard.device.config.schema import BoardConfig, MqttSettings
from wallboard.device.core.values import LinkChange, LinkStatus
from wallboard.device.edge.broker_trouble import connect_failure_cause, link_lost_cause, refusal_cause
from wallboard.device.edge.source import MessageSource, SourceHandlers, Will
from wallboard.device.util.ratelog import RateLimitedLog

log = logging.getLogger(__name__)

# Room for a remote config: twice the largest the docs allow, so an oversized one is seen and reported.
CONFIG_ROOM_BYTES = 2 * MAX_CONFIG_BYTES
# Room for the fixed header, the topic and the properties around a payload.
_HEADER_ROOM = 4096
# A connect failure with the same cause is logged once, then at most once per interval with a count
# (the link retries every few seconds; the journal need not say so each time). A new cause logs at once.
CONNECT_FAILURE_LOG_INTERVAL = 300.0
# Messages paho may hold for publishing while the link is down: status is
# retained and republished on connect, so a small bound loses nothing useful.
_MAX_QUEUED_PUBLISHES = 100


class MqttSource(MessageSource):
    """A self-healing MQTT subscription; its will goes on the board's status topic."""

    def __init__(
        self,
        settings: MqttSettings,
        *,
        client_id: str,
        max_packet_bytes: int | None = None,
        base_dir: Path = Path("."),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._subscriptions: list[str] = []
        self._handlers = SourceHandlers(on_message=lambda topic, payload: None, on_link=lambda change: None)
        self._clock = clock
        self._errors = RateLimitedLog(log, 10.0)
        self._connect_failures = RateLimitedLog(log, CONNECT_FAILURE_LOG_INTERVAL)
        self._lock = threading.Lock()
        self.callback_errors = 0
        self.connects = 0
        self._v5 = settings.protocol == "5"
        self._max_packet_bytes = max_packet_bytes
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5 if self._v5 else mqtt.MQTTv311,
            clean_session=None if self._v5 else True,  # MQTT 5 says clean_start at connect instead
            reconnect_on_failure=True,
        )
        if log.isEnabledFor(logging.DEBUG):
            # paho logs every failed reconnect at ERROR; our own bounded-rate lines say the same more clearly.
            self._client.enable_logger(logging.getLogger("paho"))
        self._client.max_queued_messages_set(_MAX_QUEUED_PUBLISHES)
        self._client.reconnect_delay_set(
            min_delay=max(1, round(settings.reconnect_min)), max_delay=max(1, round(settings.reconnect_max))
        )
        if settings.username is not None:
            password = read_secret(settings.password_file, base_dir) if settings.password_file else None
            self._client.username_pw_set(settings.username, password)
        if settings.tls is not None:
            tls = settings.tls
            self._client.tls_set(
                ca_certs=str(resolve_path(tls.ca_file, base_dir)),
                certfile=str(resolve_path(tls.cert_file, base_dir)) if tls.cert_file else None,
                keyfile=str(resolve_path(tls.key_file, base_dir)) if tls.key_file else None,
            )
        self._client.on_connect = self._guarded(self._handle_connect)
        self._client.on_disconnect = self._guarded(self._handle_disconnect)
        self._client.on_message = self._guarded(self._handle_message)
        self._client.on_connect_fail = self._guarded(self._handle_connect_fail)
        self._started = False
        self._refused = False  # the broker refused this connection's CONNACK; its disconnect then says nothing more
        self._acknowledged = False  # the broker accepted this connection (CONNACK); False until it does
        self.last_cause = ""  # the last connect failure's cause, for the status

    @property
    def address(self) -> str:
        return f"{self._settings.host}:{self._settings.port}"

    def start(self, subscriptions: Sequence[str], handlers: SourceHandlers, will: Will | None = None) -> None:
        """Begin connecting in the background; returns at once even if the broker is down."""
        with self._lock:
            self._subscriptions = list(subscriptions)
        self._handlers = handlers
        if will is not None:
            self._client.will_set(will.topic, will.payload, qos=will.qos, retain=will.retain)
        log.info(
            "connecting to MQTT broker %s (MQTT %s%s)",
            self.address,
            self._settings.protocol,
            ", TLS" if self._settings.tls else "",
        )
        keepalive = round(self._settings.keepalive)
        if self._v5:
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            if self._max_packet_bytes is not None:
                properties.MaximumPacketSize = self._max_packet_bytes
            # A clean start on every connect: subscriptions are made again in on_connect anyway.
            self._client.connect_async(
                self._settings.host, self._settings.port, keepalive=keepalive, clean_start=True, properties=properties
            )
        else:
            self._client.connect_async(self._settings.host, self._settings.port, keepalive=keepalive)
        self._client.loop_start()
        self._started = True

    def stop(self, farewell: tuple[str, bytes] | None = None) -> None:
        """Publish ``farewell`` (topic, payload) if connected, then disconnect cleanly and stop the thread."""
        if not self._started:
            return
        self._started = False
        try:
            if farewell is not None and self._client.is_connected():
                info = self._client.publish(farewell[0], farewell[1], qos=1, retain=True)
                info.wait_for_publish(timeout=2.0)
        except (RuntimeError, ValueError) as exc:
            log.warning("could not publish the farewell status: %s", exc)
        finally:
            self._client.disconnect()
            self._client.loop_stop()

    def publish(self, topic: str, payload: bytes, *, retain: bool = False, qos: int = 1) -> bool:
        """Queue a message for the broker; False if paho refused it (queue full or not connected)."""
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        return info.rc == mqtt.MQTT_ERR_SUCCESS

    def set_subscriptions(self, topics: Sequence[str]) -> None:
        """Subscribe to ``topics`` from now on (and after every reconnect); drop the ones no longer listed."""
        with self._lock:
            old, self._subscriptions = set(self._subscriptions), list(topics)
        if not self._client.is_connected():
            return  # the next connect subscribes to the new list
        added = [(topic, 1) for topic in self._subscriptions if topic not in old]
        removed = [topic for topic in old if topic not in self._subscriptions]
        if added:
            self._client.subscribe(added)
        if removed:
            self._client.unsubscribe(removed)

    def is_connected(self) -> bool:
        return bool(self._client.is_connected())

    # -------------------------------------------------------- paho callbacks

    def _guarded(self, handler: Callable[..., None]) -> Callable[..., None]:
        def call(*args: Any) -> None:
            try:
                handler(*args)
            except Exception:  # never let an error reach paho's network thread
                with self._lock:
                    self.callback_errors += 1
                if self._errors.warning(handler.__name__, f"error in MQTT {handler.__name__}"):
                    log.exception("details of the error in %s", handler.__name__)

        return call

    def _handle_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            self._refused = True
            self._fail(refusal_cause(int(reason.value), str(reason)))
            return
        self._acknowledged = True
        self.connects += 1
        if self._subscriptions:
            client.subscribe([(topic, 1) for topic in self._subscriptions])
        log.info("connected to %s; subscribed to %d topics", self.address, len(self._subscriptions))
        self._handlers.on_link(LinkChange(LinkStatus.UP, self._clock(), "connected"))
        if self._handlers.on_connected is not None:
            self._handlers.on_connected()

    def _handle_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        acknowledged, self._acknowledged = self._acknowledged, False
        refused, self._refused = self._refused, False
        if refused:
            return  # the broker refused the connect and closed it: the refusal is the cause, not "Protocol error"
        if not reason.is_failure:
            detail = "disconnected"
        else:
            from_broker = bool(flags.is_disconnect_packet_from_server)
            detail = link_lost_cause(
                str(reason), from_broker=from_broker, acknowledged=acknowledged, address=self.address
            )
            if not acknowledged:
                # Never a broker on this connection (an HTTP or TLS port, another service): a failed connect, said
                # once per cause at a bounded rate, not a link lost on every retry.
                self._fail(detail)
                return
        if self._started:
            log.warning("MQTT link to %s %s; retrying with backoff", self.address, detail)
        self._handlers.on_link(LinkChange(LinkStatus.DOWN, self._clock(), detail))

    def _handle_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        # paho calls this inside its `except OSError:` around the connect, so the error is still at hand.
        self._fail(connect_failure_cause(sys.exc_info()[1], self._settings.host, self._settings.port))

    def _fail(self, cause: str) -> None:
        """Say why the connect failed: in the log (a new cause at once, a repeat at a bounded rate) and the link."""
        self.last_cause = cause
        self._connect_failures.warning(cause, f"MQTT broker {self.address}: {cause}; retrying with backoff")
        self._handlers.on_link(LinkChange(LinkStatus.DOWN, self._clock(), cause))

    def _handle_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self._handlers.on_message(message.topic, bytes(message.payload))


def announced_max_packet(config: BoardConfig) -> int:
    """The MQTT 5 maximum packet size the board tells the broker: the largest message it can ever see.

    A broker drops a message above it without telling the board or the publisher, so it must cover
    every remote config the docs allow (``MAX_CONFIG_BYTES``), and more: a config up to twice that
    still arrives and is refused with its size in the status, the log and ``fleet``, instead of
    vanishing. Metric payloads above ``ingest.max_payload_bytes`` that fit are rejected by ingest
    (``too_large``); anything larger is kept off the Pi by the broker.
    """
    return max(config.ingest.max_payload_bytes, CONFIG_ROOM_BYTES) + _HEADER_ROOM


def mqtt_source_for(loaded: LoadedConfig, clock: Callable[[], float] = time.time) -> MqttSource:
    """The production source for a board config: its broker, its client id, room for its largest message."""
    config = loaded.config
    return MqttSource(
        config.mqtt,
        client_id=config.mqtt.client_id or f"wallboard-{config.site.id}-{config.board.id}",
        max_packet_bytes=announced_max_packet(config),
        base_dir=loaded.path.parent,
        clock=clock,
    )
