"""Board state: every metric's value with when it was measured and received, and the link's state.

Owned by the main thread: updates arrive through the hand-off and are applied
here; what follows from a value (totals, KPIs, staffing) is worked out by
``derivations``, trend points are kept by ``history``. The outputs only read,
through the ``StateReader`` port (``reader``), which has no mutator. A value measured earlier than
the one held never replaces it. Staleness is computed, never stored, so a
value can't look live because nobody updated a flag.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator

from wallboard.device.config.schema import BoardConfig
from wallboard.device.core.derivations import Derivations
from wallboard.device.core.derive import Ratio
from wallboard.device.core.history import MetricHistory, Point
from wallboard.device.core.rejections import Reason, RejectionCounter
from wallboard.device.core.updates import (
    Acknowledge,
    AgentStatusBoard,
    Announcement,
    FeedHealth,
    Leaderboard,
    Reading,
    Update,
)
from wallboard.device.core.values import LinkChange, LinkStatus, MetricValue

# An announcement sent without ``expires``, or a leaderboard not refreshed, is dropped after this long
# (a ticker or a ranking left over from yesterday).
ANNOUNCEMENT_MAX_AGE = 24 * 3600.0


class BoardState:
    """Everything the outputs read about the board's data and connection."""

    def __init__(
        self,
        config: BoardConfig,
        rejections: RejectionCounter,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._rejections = rejections
        self._clock = clock
        self._values: dict[str, MetricValue] = {}
        self._history = MetricHistory(config.cache.history_points, float(config.cache.history_interval))
        self.link = LinkChange(LinkStatus.CONNECTING, clock())
        self.link_log: deque[LinkChange] = deque([self.link], maxlen=64)
        self._leaderboard: Leaderboard | None = None
        self.agent_status: AgentStatusBoard | None = None
        self.feeds: dict[str, FeedHealth] = {}
        self._announcements: dict[str, Announcement] = {}
        self.acknowledgements = 0
        self.newest_received_at: float | None = None
        # The system clock as the kernel sees it: synchronised (True), not (False, since when), or unknown (None).
        self.clock_synchronised: bool | None = None
        self.clock_unsynchronised_since: float | None = None
        self.version = 0  # bumped on every change an output might draw
        # Per metric, the ``version`` at which its value (raw, derived, a total, or the counts behind a ratio)
        # last changed: a tile reads only the few metrics it shows, so it need not be worked out again otherwise.
        self._metric_versions: dict[str, int] = {}
        self._changed: set[str] = set()
        self._named_queues = named_queues(config)
        self._other_metrics = 0  # held metrics of queues the config does not name
        self._derivations = Derivations(config, self._values, self._hold_derived, self._touch)

    # ----------------------------------------------------------------- writes

    def apply(self, update: Update) -> bool:
        """Apply one update from the hand-off; False if it was refused (older than the value held)."""
        if isinstance(update, Reading):
            return self._apply_reading(update, derived=False)
        if isinstance(update, Announcement):
            if not self._take_announcement(update):
                return False
        elif isinstance(update, Leaderboard):
            if self._leaderboard is not None and update.measured_at < self._leaderboard.measured_at:
                self._rejections.reject(Reason.OUT_OF_ORDER, "agents", "older than the rows shown")
                return False
            self._leaderboard = update
        elif isinstance(update, FeedHealth):
            self.feeds[update.adapter] = update
        elif isinstance(update, AgentStatusBoard):
            if self.agent_status is not None and update.measured_at < self.agent_status.measured_at:
                self._rejections.reject(Reason.OUT_OF_ORDER, "agent_status", "older than the rows shown")
                return False
            self.agent_status = update
        elif isinstance(update, Acknowledge):
            self.acknowledgements += 1
        self.version += 1
        return True

    def apply_all(self, updates: Iterable[Update]) -> int:
        """Apply updates in order; return how many were accepted."""
        return sum(1 for update in updates if self.apply(update))

    def set_link(self, change: LinkChange) -> None:
        """Record a connection change (from the MQTT source); a new cause while down keeps the time it went down."""
        if change.status is self.link.status:
            if change.detail and change.detail != self.link.detail:
                self.link = LinkChange(change.status, self.link.at, change.detail)
                self.link_log.append(change)
                self.version += 1
            return
        self.link = change
        self.link_log.append(change)
        self.version += 1

    def set_clock_sync(self, synchronised: bool | None, unsynchronised_since: float | None) -> None:
        """Record whether the system clock is synchronised (the clock widget greys while it is not)."""
        if (synchronised, unsynchronised_since) != (self.clock_synchronised, self.clock_unsynchronised_since):
            self.clock_synchronised, self.clock_unsynchronised_since = synchronised, unsynchronised_since
            self.version += 1

    def use_config(self, config: BoardConfig) -> None:
        """Judge staleness by ``config`` from now on (a remote config was applied); values are kept."""
        self._config = config
        self._derivations.use_config(config)
        self._named_queues = named_queues(config)
        self._other_metrics = sum(1 for key in self._values if not self._is_named(key))
        self.version += 1

    def _is_named(self, key: str) -> bool:
        return key.partition(".")[0] in self._named_queues

    def _room_for(self, key: str, derived: bool = False) -> bool:
        """True if ``key`` is held already, names a queue the config uses, or the bound on others has room.

        A derived metric always has room: the raw counts it comes from were admitted under the bound, and
        each brings at most a fixed handful of derived ones.
        """
        if derived or key in self._values or self._is_named(key):
            return True
        if self._other_metrics >= self._config.ingest.max_other_metrics:
            return False
        self._other_metrics += 1
        return True

    def _take_announcement(self, update: Announcement) -> bool:
        """Keep, replace or withdraw an announcement.

        Expired ones go (one without ``expires`` after ``ANNOUNCEMENT_MAX_AGE``), and at most
        ``max_announcements`` stay: beyond it the oldest is dropped (counted ``over_limit``), so the
        newest announcement always shows.
        """
        if not update.text:
            self._announcements.pop(update.id, None)
            return True
        self._announcements.pop(update.id, None)  # a replaced one counts as new (the newest, last)
        at = update.received_at
        for ident in [i for i, a in self._announcements.items() if _expired(a, at)]:
            del self._announcements[ident]
        limit = self._config.ingest.max_announcements
        while len(self._announcements) >= limit:
            oldest = next(iter(self._announcements))
            del self._announcements[oldest]
            self._rejections.reject(Reason.OVER_LIMIT, "announce", f"more than {limit} held; dropped the oldest")
        self._announcements[update.id] = update
        return True

    def restore(self, key: str, value: MetricValue, history: Iterable[tuple[float, float]] = ()) -> None:
        """Put back a value from the cache with its original times (so old data shows as stale).

        A cached metric beyond the bound on unnamed queues' metrics is left in the cache, not restored.
        """
        if not self._room_for(key, value.derived):
            return
        held = self._values.get(key)
        if held is None or held.measured_at < value.measured_at:
            self._values[key] = value
        self._history.extend(key, history)
        if self.newest_received_at is None or value.received_at > self.newest_received_at:
            self.newest_received_at = value.received_at
        self._touch(key)

    def _apply_reading(self, reading: Reading, derived: bool, *, cascade: bool | None = None) -> bool:
        """Hold ``reading``; a raw one (or a total's sum, ``cascade``) also updates totals and derived metrics."""
        if not self._room_for(reading.metric, derived):
            if not derived:
                limit = self._config.ingest.max_other_metrics
                detail = f"more than {limit} metrics of queues the config does not name"
                self._rejections.reject(Reason.OVER_LIMIT, reading.metric, detail)
            return False
        held = self._values.get(reading.metric)
        if held is not None and reading.measured_at < held.measured_at and not cascade:
            if not derived:
                self._rejections.reject(
                    Reason.OUT_OF_ORDER,
                    reading.metric,
                    f"measured {held.measured_at - reading.measured_at:.1f}s before the value held",
                )
            return False
        if derived and held is not None and not held.derived and held.measured_at >= reading.measured_at:
            return False  # a value the publisher sent itself beats one we worked out
        self._values[reading.metric] = MetricValue(reading.value, reading.measured_at, reading.received_at, derived)
        self._history.record(reading.metric, reading.measured_at, reading.value)
        self._changed.add(reading.metric)
        if self.newest_received_at is None or reading.received_at > self.newest_received_at:
            self.newest_received_at = reading.received_at
        self._touch(reading.metric)
        if cascade or (cascade is None and not derived):
            queue, _, field = reading.metric.partition(".")
            self._derivations.follow(queue, field, reading.received_at, total=bool(cascade))
        return True

    def _hold_derived(self, reading: Reading, total: bool) -> bool:
        """Hold a reading the derivations worked out (a total also has its own KPIs worked out)."""
        return self._apply_reading(reading, derived=True, cascade=True if total else None)

    def _touch(self, key: str) -> None:
        """Note a change to metric ``key`` (its value, or the counts behind it)."""
        self.version += 1
        self._metric_versions[key] = self.version

    def version_of(self, keys: Iterable[str]) -> int:
        """The ``version`` at which any of metrics ``keys`` last changed (0: none of them yet)."""
        versions = self._metric_versions
        return max((versions.get(key, 0) for key in keys), default=0)

    def take_changed(self) -> set[str]:
        """Keys whose value changed since the last call (for the cache to write)."""
        changed, self._changed = self._changed, set()
        return changed

    # ------------------------------------------------------------------ reads

    def last_history_point(self, key: str) -> Point | None:
        """The newest trend-line point for ``key``."""
        return self._history.last(key)

    def ratio(self, key: str) -> Ratio | None:
        """The counts behind derived ``key``'s latest evaluation, if that is not older than the value held.

        ``Ratio.value`` None means the period has no calls yet (its denominator is 0).
        """
        return self._derivations.ratio(key)

    def no_calls_yet(self, key: str, now: float | None = None) -> bool:
        """True if ``key`` is a ratio whose fresh counts are 0/0: a new period, not stale data."""
        ratio = self.ratio(key)
        if ratio is None or ratio.value is not None:
            return False
        at = self._clock() if now is None else now
        return at - ratio.measured_at <= self._config.stale_after(key)

    def value(self, key: str) -> MetricValue | None:
        """The held value for ``key``, stale or not."""
        return self._values.get(key)

    def fresh_value(self, key: str, now: float | None = None) -> float | None:
        """The value for ``key`` if it is not stale; None if missing or stale."""
        held = self._values.get(key)
        if held is None or self.is_stale(key, now):
            return None
        return held.value

    def age(self, key: str, now: float | None = None) -> float | None:
        """Seconds since ``key`` was measured (never negative); None if there is no value."""
        held = self._values.get(key)
        if held is None:
            return None
        return max(0.0, (self._clock() if now is None else now) - held.measured_at)

    def feeds_not_online(self) -> list[FeedHealth]:
        """The site's feeds whose last status is not ``online`` (offline by their will, or degraded), by name."""
        return [self.feeds[name] for name in sorted(self.feeds) if self.feeds[name].state != "online"]

    def is_stale(self, key: str, now: float | None = None) -> bool:
        """True if ``key`` has no value or its value is older than its ``stale_after``."""
        age = self.age(key, now)
        return age is None or age > self._config.stale_after(key)

    def metrics(self) -> Iterator[tuple[str, MetricValue]]:
        """Every held metric and its value."""
        return iter(self._values.items())

    def history(self, key: str) -> list[Point]:
        """(measured_at, value) points for a trend line, oldest first."""
        return self._history.points(key)

    @property
    def leaderboard(self) -> Leaderboard | None:
        """The latest leaderboard (at most 50 rows, cut at the edge); gone once not refreshed for a day."""
        board = self._leaderboard
        if board is not None and self._clock() - board.received_at > ANNOUNCEMENT_MAX_AGE:
            return None
        return board

    def announcements(self, now: float | None = None) -> list[Announcement]:
        """Current ticker texts (expired ones left out), oldest first."""
        at = self._clock() if now is None else now
        return [a for a in self._announcements.values() if not _expired(a, at)]

    def data_age(self, now: float | None = None) -> float | None:
        """Seconds since the newest value arrived (live or restored); None before any data."""
        if self.newest_received_at is None:
            return None
        return max(0.0, (self._clock() if now is None else now) - self.newest_received_at)


def _expired(announcement: Announcement, now: float) -> bool:
    if announcement.expires_at is not None:
        return announcement.expires_at <= now
    return now - announcement.received_at > ANNOUNCEMENT_MAX_AGE


def named_queues(config: BoardConfig) -> frozenset[str]:
    """Queues the config names anywhere: rules, ``[[metric]]``, ``[[topic]]``, ``[[queue]]``, totals, pages."""
    keys = [rule.metric for rule in config.rule] + [entry.key for entry in config.metric]
    keys += [f"{entry.id}.x" for entry in config.queue]
    for total in config.total:
        keys += [f"{total.id}.x", *(f"{queue}.x" for queue in total.queues if queue != "*")]
    for mapping in config.topic:
        keys += [mapping.metric or "", *mapping.fields.values()]
    queues = {key.partition(".")[0] for key in keys if key}
    for page in config.display.page:
        for widget in page.widget:
            if widget.metric:
                queues.add(widget.metric.partition(".")[0])
            if widget.queue:
                queues.add(widget.queue)
    return frozenset(queues)
