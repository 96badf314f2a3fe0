"""The board config's schema: every table and key a board file may hold, typed, with its default.

``BoardConfig`` is the validated, frozen config the rest of the board reads, with a few indexed look-ups
(a metric's settings, a queue's settings, a value's stale limit). Reading files lives in ``reading``;
turning a wrong value into a message, and the checks across keys, in ``problems``. No I/O here.
"""

from __future__ import annotations

import functools
from typing import Literal

import msgspec

from wallboard.device.config.queues import DEFAULT_QUEUE, QueueSettings, TotalSettings
from wallboard.device.config.screen_schema import DisplaySettings
from wallboard.device.config.signals_schema import SignalSettings
from wallboard.device.config.types import Duration
from wallboard.device.wire.metrics import MetricKind, field_kind

# The largest alarm level or hysteresis a rule takes (no metric on the wire comes near it).
MAX_LEVEL = 1e9


class _Section(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Base of every config table: unknown keys are errors, values are immutable."""


class SiteSettings(_Section, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The contact-centre site the board belongs to."""

    id: str
    name: str = ""
    timezone: str = "UTC"


class BoardSettings(_Section, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """This board's identity."""

    id: str
    name: str = ""


class TlsSettings(_Section, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """TLS to the broker: a CA file, and optionally a client certificate and key."""

    ca_file: str
    cert_file: str | None = None
    key_file: str | None = None


class MqttSettings(_Section, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The broker connection. The password comes from ``password_file``, never the config."""

    host: str = "localhost"
    port: int = 1883
    client_id: str | None = None
    username: str | None = None
    password_file: str | None = None
    tls: TlsSettings | None = None
    topic_prefix: str = "cc"
    keepalive: Duration = Duration(7)  # paho notices a dead link within 2 x keepalive
    reconnect_min: Duration = Duration(1)
    reconnect_max: Duration = Duration(30)
    # MQTT 5 lets the board tell the broker the largest packet it accepts, so an oversized message is
    # dropped by the broker instead of filling a Pi's memory; "3.1.1" for brokers without MQTT 5.
    protocol: Literal["5", "3.1.1"] = "5"


class IngestSettings(_Section, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Limits at the edge, where messages become values."""

    max_payload_bytes: int = 65536
    queue_capacity: int = 2048
    max_clock_skew: Duration = Duration(300)
    log_interval: Duration = Duration(10)
    # Metrics of queues no page, rule, [[metric]] or [[topic]] names are held up to this many; beyond it a
    # new one is rejected (over_limit), so junk topics cannot fill the memory or the cache.
    max_other_metrics: int = 2048
    max_announcements: int = 32


class TopicMapping(_Section, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A topic outside the wire contract, mapped onto metrics.

    ``format = "number"``: the payload is one number for ``metric``.
    ``format = "json"``: ``fields`` maps the publisher's field names to metric
    keys; ``ts_field`` names the publisher's timestamp field, if any.
    """

    topic: str
    format: Literal["number", "json"] = "number"
    metric: str | None = None
    fields: dict[str, str] = {}
    ts_field: str | None = None


class MetricSettings(_Section, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Per-metric presentation and staleness, and the kind of a site's own metrics."""

    key: str
    label: str = ""
    kind: Literal["count", "percent", "seconds", "number"] | None = None
    stale_after: Duration | None = None


class RuleSettings(_Section, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Warn and critical levels for one metric, in one direction, with hysteresis and hold."""

    metric: str
    warn_above: float | None = None
    critical_above: float | None = None
    warn_below: float | None = None
    critical_below: float | None = None
    hysteresis: float = 0.0
    hold: Duration = Duration(0)
    # Below this many calls behind a ratio (its denominator, e.g. offered) the rule does not alarm; the
    # tile says "low volume" instead of OK. 0: any volume counts (an empty period is "no calls yet").
    min_volume: float = 0.0


class CacheSettings(_Section, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Where and how often the local cache is written."""

    dir: str | None = None  # default: $STATE_DIRECTORY, else ~/.local/state/wallboard
    flush_interval: Duration = Duration(5)
    history_points: int = 360
    history_interval: Duration = Duration(10)


class HealthSettings(_Section, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The board's health telemetry on ``wallboard/<site>/<board>/status``."""

    interval: Duration = Duration(30)  # also published at once when the alarm or the connection changes
    hot_celsius: float = 75.0  # reported as "hot" from here (a Pi 4/5 starts throttling at 80-85 C)
    sysfs: str = "/sys"  # where temperatures are read; tests point it at a fake tree


class BoardConfig(_Section, frozen=True, forbid_unknown_fields=True, kw_only=True, dict=True):
    """A whole, merged and validated board config.

    ``dict=True`` gives it room for the lookups below, indexed once on first use (``cached_property``): the
    display asks for a metric's settings and stale limit a few dozen times a pass.
    """

    site: SiteSettings
    board: BoardSettings
    mqtt: MqttSettings = MqttSettings()
    ingest: IngestSettings = IngestSettings()
    default_stale_after: Duration = Duration(120)
    topic: list[TopicMapping] = []
    metric: list[MetricSettings] = []
    rule: list[RuleSettings] = []
    queue: list[QueueSettings] = []
    total: list[TotalSettings] = []
    cache: CacheSettings = CacheSettings()
    display: DisplaySettings = DisplaySettings()
    signals: SignalSettings = SignalSettings()
    health: HealthSettings = HealthSettings()

    @functools.cached_property
    def _metrics_by_key(self) -> dict[str, MetricSettings]:
        found: dict[str, MetricSettings] = {}
        for entry in self.metric:
            found.setdefault(entry.key, entry)  # the first entry for a key wins, as a scan would find it
        return found

    @functools.cached_property
    def _queues_by_id(self) -> dict[str, QueueSettings]:
        found: dict[str, QueueSettings] = {}
        for entry in self.queue:
            found.setdefault(entry.id, entry)
        return found

    @functools.cached_property
    def _stale_limits(self) -> dict[str, float]:
        entries = self._metrics_by_key.items()
        return {key: float(entry.stale_after) for key, entry in entries if entry.stale_after is not None}

    def metric_settings(self, key: str) -> MetricSettings | None:
        """The ``[[metric]]`` entry for ``key``, if the config has one."""
        return self._metrics_by_key.get(key)

    def queue_settings(self, queue: str) -> QueueSettings:
        """The ``[[queue]]`` entry for ``queue`` (a total's id too), or the defaults (80/20, offered minus short)."""
        return self._queues_by_id.get(queue, DEFAULT_QUEUE)

    def stale_after(self, key: str) -> float:
        """Seconds after which ``key``'s value is stale."""
        return self._stale_limits.get(key, float(self.default_stale_after))

    def kind_of(self, key: str) -> MetricKind | None:
        """The kind of ``key``: declared in ``[[metric]]`` or known from the wire contract."""
        entry = self.metric_settings(key)
        if entry is not None and entry.kind is not None:
            return MetricKind(entry.kind)
        _, _, field = key.partition(".")
        return field_kind(field)
