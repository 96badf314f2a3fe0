"""The edge: an MQTT message (topic, payload bytes) becomes typed updates or a counted rejection.

Runs on the MQTT network thread, so it must never raise and never block:
every way a payload can be wrong is a *rejection* with a reason, counted and
logged at a bounded rate. A message is accepted whole or rejected whole, so a
half-broken publisher never changes a shown value.
"""

from __future__ import annotations

import logging
import math
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec

from wallboard.device.config.bounds import MAX_CONFIG_BYTES, too_large
from wallboard.device.config.schema import BoardConfig
from wallboard.device.core.late import LateArrivals
from wallboard.device.core.rejections import Reason, RejectionCounter
from wallboard.device.core.updates import (
    Acknowledge,
    AgentRow,
    AgentStatusBoard,
    AgentStatusRow,
    Announcement,
    FeedHealth,
    Leaderboard,
    Reading,
    RemoteConfig,
    ScreenshotRequest,
    Update,
)
from wallboard.device.util.ratelog import RateLimitedLog
from wallboard.device.util.text import printable
from wallboard.device.wire.metrics import (
    MAX_MAGNITUDE,
    PERIOD_START,
    QUEUE_FIELDS,
    MetricKind,
    field_kind,
    is_valid_name,
    metric_key,
)
from wallboard.device.wire.payloads import AGENT_STATES, FEED_STATES, AgentStatusPayload, FeedStatus
from wallboard.device.wire.topics import BoardTopics, SiteTopics, feed_status_filter, parse_feed_status_topic

log = logging.getLogger(__name__)

MAX_ANNOUNCEMENT_CHARS = 280
MAX_AGENT_NAME_CHARS = 40
MAX_LEADERBOARD_ROWS = 50
MAX_AGENT_STATUS_ROWS = 500
_AGENT_STATUS_DECODER = msgspec.json.Decoder(AgentStatusPayload)
_FEED_STATUS_DECODER = msgspec.json.Decoder(FeedStatus)
# Screenshot widths a request may ask for; the display caps the bytes as well.
SCREENSHOT_WIDTHS = (160, 1920)
DEFAULT_SCREENSHOT_WIDTH = 960
# Epoch seconds above this are taken to be milliseconds (year 5138 in seconds).
_MILLISECONDS_FROM = 1e11


class Rejected(Exception):
    """Raised inside ingest to abandon a message; never leaves this module."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class Ingest:
    """Decodes messages on the board's topics into updates, per the wire contract and the config's mappings."""

    def __init__(
        self,
        config: BoardConfig,
        rejections: RejectionCounter,
        clock: Callable[[], float] = time.time,
        late: LateArrivals | None = None,
    ) -> None:
        self._config = config
        self._rejections = rejections
        self._late = late if late is not None else LateArrivals(float(config.ingest.log_interval))
        self._clock = clock
        site = SiteTopics(config.mqtt.topic_prefix, config.site.id)
        self.topics = board = BoardTopics(config.site.id, config.board.id)
        self._queue_prefix = site.queue_prefix
        self._queues = site.queues
        self._agents_topic = site.agents
        self._agent_status_topic = site.agent_status
        self._feed_status_filter = feed_status_filter(config.site.id)
        self._announce_topic = site.announce
        self._ack_topic = board.ack
        self.config_topic = board.config
        self.screenshot_topic = board.screenshot
        self._mapped = {mapping.topic: mapping for mapping in config.topic}
        self._declared = {entry.key for entry in config.metric}
        self._max_payload = config.ingest.max_payload_bytes
        self._max_skew = float(config.ingest.max_clock_skew)
        self._faults = RateLimitedLog(log, float(config.ingest.log_interval))

    def subscriptions(self) -> list[str]:
        """Topic filters the MQTT source must subscribe to."""
        return [
            self._queues,
            self._agents_topic,
            self._agent_status_topic,
            self._feed_status_filter,
            self._announce_topic,
            self._ack_topic,
            self.config_topic,
            self.screenshot_topic,
            *self._mapped,
        ]

    def decode(self, topic: str, payload: bytes, received_at: float | None = None) -> list[Update]:
        """Return the updates in one message; an empty list if it was rejected (and counted)."""
        now = self._clock() if received_at is None else received_at
        try:
            if topic == self.config_topic:
                # Its own limit (the docs' 256 KiB, not max_payload_bytes): every outcome goes to the status.
                return [self._remote_config(payload, now)]
            if len(payload) > self._max_payload:
                raise Rejected(Reason.TOO_LARGE, f"{len(payload)} bytes, limit {self._max_payload}")
            updates = self._route(topic, payload, now)
            self._note_late(updates)
            return updates
        except Rejected as rejected:
            self._rejections.reject(rejected.reason, topic, rejected.detail)
        except Exception as exc:  # a bug here must cost one message, not the network thread (nor the disk)
            self._faults.warning(type(exc).__name__, f"ingest failed on {printable(topic, 120)!r}", exc_info=True)
            self._rejections.reject(Reason.MALFORMED, topic, f"internal error: {exc!r}")
        return []

    def _note_late(self, updates: list[Update]) -> None:
        """Count and explain values that arrive older than their stale_after (accepted, but shown stale)."""
        for update in updates:
            if isinstance(update, Reading):
                limit = self._config.stale_after(update.metric)
                self._late.note(update.metric, update.measured_at, update.received_at, limit)
            elif isinstance(update, Leaderboard):
                limit = float(self._config.default_stale_after)
                self._late.note("agents", update.measured_at, update.received_at, limit)

    # ------------------------------------------------------------------ routes

    def _route(self, topic: str, payload: bytes, now: float) -> list[Update]:
        if topic.startswith(self._queue_prefix):
            queue = topic[len(self._queue_prefix) :]
            if not is_valid_name(queue):
                raise Rejected(Reason.UNKNOWN_TOPIC, "queue name must be letters, digits, _ or -")
            return list(self._queue_object(queue, payload, now))
        mapping = self._mapped.get(topic)
        if mapping is not None:
            if mapping.format == "number":
                assert mapping.metric is not None  # guaranteed by config validation
                return [self._plain_number(mapping.metric, payload, now)]
            return list(self._mapped_object(mapping.fields, mapping.ts_field, payload, now))
        if topic == self._announce_topic:
            return [self._announcement(payload, now)]
        if topic == self._agents_topic:
            return [self._leaderboard(payload, now)]
        if topic == self._agent_status_topic:
            return [self._agent_status(payload, now)]
        feed = parse_feed_status_topic(topic)
        if feed is not None and feed[0] == self._config.site.id:
            return [self._feed_health(feed[1], payload, now)]
        if topic == self._ack_topic:
            return [Acknowledge(source="mqtt", received_at=now)]
        if topic == self.screenshot_topic:
            return [self._screenshot_request(payload, now)]
        raise Rejected(Reason.UNKNOWN_TOPIC, "not a topic this board uses")

    def _queue_object(self, queue: str, payload: bytes, now: float) -> list[Reading]:
        body = _json_object(payload)
        measured_at = self._timestamp(body.get("ts"), now)
        readings = []
        for field, raw in body.items():
            if field == "ts":
                continue
            key = metric_key(queue, field)
            if field == PERIOD_START:
                readings.append(Reading(key, self._period_start(raw, measured_at, now), measured_at, now))
                continue
            kind = self._config.kind_of(key) if (field in QUEUE_FIELDS or key in self._declared) else None
            if kind is None:
                continue  # unknown fields are ignored, per the wire contract
            readings.append(Reading(key, _checked(field, raw, kind), measured_at, now))
        return readings

    def _mapped_object(self, fields: dict[str, str], ts_field: str | None, payload: bytes, now: float) -> list[Reading]:
        body = _json_object(payload)
        measured_at = self._timestamp(body.get(ts_field) if ts_field else None, now)
        readings = []
        for source, key in fields.items():
            if source in body:
                kind = self._config.kind_of(key) or MetricKind.NUMBER
                readings.append(Reading(key, _checked(source, body[source], kind), measured_at, now))
        return readings

    def _plain_number(self, key: str, payload: bytes, now: float) -> Reading:
        try:
            text = payload.decode("ascii").strip()
            value: Any = float(text)
        except (UnicodeDecodeError, ValueError):
            raise Rejected(Reason.MALFORMED, "expected a plain number") from None
        if text.lstrip("-").isdigit():
            value = int(text)
        return Reading(key, _checked(key, value, self._config.kind_of(key) or MetricKind.NUMBER), now, now)

    def _announcement(self, payload: bytes, now: float) -> Announcement:
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError:
            raise Rejected(Reason.MALFORMED, "announcement is not UTF-8") from None
        if not text.lstrip().startswith("{"):
            return Announcement("default", printable(text, MAX_ANNOUNCEMENT_CHARS), None, now)
        body = _json_object(payload)
        message = body.get("text", "")
        ident = body.get("id", "default")
        if not isinstance(message, str) or not isinstance(ident, str):
            raise Rejected(Reason.WRONG_TYPE, "announcement text and id must be strings")
        expires = body.get("expires")
        expires_at = None if expires is None else self._timestamp(expires, now, allow_future=True)
        return Announcement(printable(ident, 64), printable(message, MAX_ANNOUNCEMENT_CHARS), expires_at, now)

    def _leaderboard(self, payload: bytes, now: float) -> Leaderboard:
        body = _json(payload, "agents payload")
        measured_at = now
        if isinstance(body, dict):
            measured_at = self._timestamp(body.get("ts"), now)
            body = body.get("rows")
        if not isinstance(body, list):
            raise Rejected(Reason.NOT_AN_OBJECT, 'expected a list of rows or {"rows": [...]}')
        rows = []
        for row in body[:MAX_LEADERBOARD_ROWS]:
            if not isinstance(row, dict) or not isinstance(row.get("name"), str):
                raise Rejected(Reason.WRONG_TYPE, 'each row must be an object with a "name" string')
            stats = tuple(
                (printable(key, 32), float(_checked(key, value, MetricKind.NUMBER)))
                for key, value in row.items()
                if key != "name"
            )
            rows.append(AgentRow(printable(row["name"], MAX_AGENT_NAME_CHARS), stats))
        return Leaderboard(tuple(rows), measured_at, now)

    def _agent_status(self, payload: bytes, now: float) -> AgentStatusBoard:
        # The feed's own type (wallboard.device.wire.payloads), so the two sides cannot drift.
        try:
            body = _AGENT_STATUS_DECODER.decode(payload)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise Rejected(_decode_reason(exc), f"agent_status: {exc}") from None
        measured_at = now if body.ts is None else self._timestamp(body.ts, now)
        rows = []
        for row in body.agents[:MAX_AGENT_STATUS_ROWS]:
            if row.state not in AGENT_STATES:
                raise Rejected(
                    Reason.WRONG_TYPE,
                    f"agent_status: state {printable(row.state, 20)!r} is not one of {', '.join(AGENT_STATES)}",
                )
            rows.append(
                AgentStatusRow(
                    name=printable(row.name, MAX_AGENT_NAME_CHARS),
                    state=row.state,
                    state_since=None if row.state_since is None else self._timestamp(row.state_since, now),
                    reason=None if row.reason is None else printable(row.reason, 32),
                    calls_today=row.calls_today,
                    ring_no_answer=bool(row.ring_no_answer),
                )
            )
        return AgentStatusBoard(tuple(rows), measured_at, now)

    def _feed_health(self, adapter: str, payload: bytes, now: float) -> FeedHealth:
        # The feed's own FeedStatus type; its will carries no useful time, so the time is when it arrived.
        try:
            body = _FEED_STATUS_DECODER.decode(payload)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise Rejected(_decode_reason(exc), f"feed status: {exc}") from None
        if body.state not in FEED_STATES:
            raise Rejected(Reason.WRONG_TYPE, f"feed status: state {printable(body.state, 20)!r} is unknown")
        not_supplied = frozenset(name for name in body.not_supplied or () if field_kind(name) is not None)
        return FeedHealth(printable(adapter, 32), body.state, printable(body.summary, 120), now, not_supplied)

    def _remote_config(self, payload: bytes, now: float) -> RemoteConfig:
        """The config text, or why it was not read (too large, not UTF-8): either way the main thread reports it.

        Only the size and the encoding are checked here; the full validation runs on the main thread.
        """
        size = len(payload)
        if size > MAX_CONFIG_BYTES:  # not decoded: over MQTT 3.1.1 nothing bounds what arrives
            return RemoteConfig("", now, size, too_large(size))
        try:
            return RemoteConfig(payload.decode("utf-8"), now, size)
        except UnicodeDecodeError:
            return RemoteConfig("", now, size, "not UTF-8 text")

    def _screenshot_request(self, payload: bytes, now: float) -> ScreenshotRequest:
        """An empty payload, or ``{"max_width": 640}``."""
        if not payload.strip():
            return ScreenshotRequest(DEFAULT_SCREENSHOT_WIDTH, now)
        width = _json_object(payload).get("max_width", DEFAULT_SCREENSHOT_WIDTH)
        if isinstance(width, bool) or not isinstance(width, int):
            raise Rejected(Reason.WRONG_TYPE, "max_width: expected a whole number of pixels")
        low, high = SCREENSHOT_WIDTHS
        if not low <= width <= high:
            raise Rejected(Reason.OUT_OF_RANGE, f"max_width: expected {low} to {high}, got {width}")
        return ScreenshotRequest(width, now)

    # ------------------------------------------------------------------ parts

    def _period_start(self, raw: Any, measured_at: float, now: float) -> float:
        """The start of the period the counts cover: a time like ``ts``, and not after it."""
        try:
            start = self._timestamp(raw, now)
        except Rejected as exc:
            raise Rejected(exc.reason, f"period_start: {exc.detail.removeprefix('ts ')}") from None
        if start > measured_at:
            raise Rejected(Reason.BAD_TIMESTAMP, "period_start is after ts")
        return start

    def _timestamp(self, raw: Any, now: float, allow_future: bool = False) -> float:
        """The measured-at time: ``ts`` as epoch seconds (or ms) or ISO 8601; absent means now."""
        if raw is None:
            return now
        if isinstance(raw, bool):
            raise Rejected(Reason.BAD_TIMESTAMP, "ts must be epoch seconds or ISO 8601")
        if isinstance(raw, (int, float)):
            if not _finite(raw) or raw <= 0:
                raise Rejected(Reason.BAD_TIMESTAMP, f"ts {_shown(raw)} is not a time")
            stamp = raw / 1000.0 if raw > _MILLISECONDS_FROM else float(raw)
        elif isinstance(raw, str):
            try:
                parsed = datetime.fromisoformat(raw)
            except ValueError:
                raise Rejected(Reason.BAD_TIMESTAMP, f"ts {printable(raw, 40)!r} is not ISO 8601") from None
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            stamp = parsed.timestamp()
        else:
            raise Rejected(Reason.BAD_TIMESTAMP, "ts must be epoch seconds or ISO 8601")
        if not allow_future and stamp > now + self._max_skew:
            raise Rejected(Reason.BAD_TIMESTAMP, f"ts is {stamp - now:.0f}s in the future (clock skew?)")
        return stamp


def _json(payload: bytes, what: str = "payload") -> Any:
    """The decoded JSON document, or Rejected: not JSON, a number beyond a double, or nested too deeply."""
    try:
        return msgspec.json.decode(payload)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise Rejected(_decode_reason(exc), f"{what} is not valid JSON: {exc}") from None
    except RecursionError:  # msgspec's own guard, e.g. 60,000 nested brackets
        raise Rejected(Reason.MALFORMED, f"{what} is nested too deeply") from None


def _json_object(payload: bytes) -> dict[str, Any]:
    body = _json(payload)
    if not isinstance(body, dict):
        raise Rejected(Reason.NOT_AN_OBJECT, f"expected a JSON object, got {type(body).__name__}")
    return body


def _decode_reason(exc: Exception) -> Reason:
    # msgspec refuses numbers too large for a double (1e400) with "out of range".
    return Reason.NOT_FINITE if "out of range" in str(exc) else Reason.MALFORMED


def _finite(raw: float) -> bool:
    """True if ``raw`` is a finite double: JSON integers such as 10**400 are not (and would overflow)."""
    if isinstance(raw, int):
        return -sys.float_info.max <= raw <= sys.float_info.max
    return math.isfinite(raw)


def _shown(raw: float) -> str:
    """A number for a log line: an integer too long to print (10**400) is described by its size."""
    if isinstance(raw, int) and not _finite(raw):
        return f"an integer of {raw.bit_length()} bits"
    return repr(raw)


def _checked(field: str, raw: Any, kind: MetricKind) -> float:
    """Validate one value against its kind; return it as a number or raise Rejected."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise Rejected(Reason.WRONG_TYPE, f"{field}: expected a number, got {type(raw).__name__}")
    if not _finite(raw):
        raise Rejected(Reason.NOT_FINITE, f"{field}: {_shown(raw)} is not a finite number")
    if kind is not MetricKind.NUMBER and raw < 0:
        raise Rejected(Reason.NEGATIVE, f"{field}: {raw!r} is negative")
    if kind is MetricKind.COUNT and raw != int(raw):
        raise Rejected(Reason.WRONG_TYPE, f"{field}: expected a whole number, got {raw!r}")
    if kind is MetricKind.PERCENT and raw > 100:
        raise Rejected(Reason.OUT_OF_RANGE, f"{field}: {raw!r} is above 100%")
    if abs(raw) > MAX_MAGNITUDE:
        raise Rejected(Reason.OUT_OF_RANGE, f"{field}: {raw!r} is implausibly large")
    return float(raw)
