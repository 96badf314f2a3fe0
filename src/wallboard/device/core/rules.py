"""Rules: board state in, severities out, with hysteresis and a hold time so a light never flaps.

A rule trips to a level once the value has been strictly beyond that level's
trip point ("below 80" means < 80) for ``hold`` seconds, and leaves it only when the value is back past the
clear point (trip point minus ``hysteresis``, in the rule's direction). A
stale or missing value is UNKNOWN, never NORMAL. A ratio with no calls yet in
its period, or fewer than the rule's ``min_volume``, is *quiet*: it does not
alarm, and the assessment says why so the tile never calls it OK. Pure logic: no I/O, no clock
of its own (callers pass ``now``), so tests run whole timelines in
microseconds.

A config change (remote or local) replaces the rules with ``RuleEngine.reconfigured``: a rule whose
metric and trip levels are unchanged keeps its tracker (the level reached and the holds running, so
the signals' acknowledgement, which lasts while the level does, survives too); its hysteresis, hold
and ``min_volume`` may change and apply from the next pass. A rule with new levels, or a new rule,
starts fresh; the engine says which in ``RulesReplaced`` for the state log.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

from wallboard.device.config.schema import RuleSettings
from wallboard.device.core.reader import StateReader
from wallboard.device.core.values import LinkStatus


class Severity(enum.IntEnum):
    """How bad things are, in the order the board ranks them (worst is highest)."""

    NORMAL = 0
    UNKNOWN = 1  # no fresh data: never shown as normal
    WARN = 2
    CRITICAL = 3

    @property
    def label(self) -> str:
        return self.name.lower()


_LEVELS = (Severity.WARN, Severity.CRITICAL)


class RuleTracker:
    """One rule's memory: the level it is at and since when each level's trip condition has held."""

    def __init__(self, settings: RuleSettings, *, carried: RuleTracker | None = None) -> None:
        """A tracker for ``settings``; ``carried`` (same metric and levels) hands over its memory."""
        self.settings = settings
        above = settings.warn_above is not None or settings.critical_above is not None
        self._sign = 1.0 if above else -1.0
        warn = settings.warn_above if above else settings.warn_below
        critical = settings.critical_above if above else settings.critical_below
        self._trip = {Severity.WARN: warn, Severity.CRITICAL: critical}
        self._hysteresis = settings.hysteresis
        self._hold = float(settings.hold)
        self.level = Severity.NORMAL  # the level reached by fresh values; kept while data is stale
        self._beyond_since: dict[Severity, float | None] = {Severity.WARN: None, Severity.CRITICAL: None}
        if carried is not None:
            self.level = carried.level
            self._beyond_since = dict(carried._beyond_since)

    def evaluate(self, value: float | None, now: float) -> Severity:
        """The rule's severity for ``value`` (None: missing or stale) at time ``now``."""
        if value is None:
            # Forget partial holds: a trip must be earned by fresh data held for `hold`.
            self._beyond_since = dict.fromkeys(self._beyond_since)
            return Severity.UNKNOWN
        for level in _LEVELS:
            if self._is_beyond(value, level):
                if self._beyond_since[level] is None:
                    self._beyond_since[level] = now
            else:
                self._beyond_since[level] = None
        # Fall back: leave a level only past its clear point.
        while self.level > Severity.NORMAL and not self._holds(value, self.level):
            self.level = Severity.WARN if self.level is Severity.CRITICAL else Severity.NORMAL
        # Rise: to the worst level whose trip condition has held long enough.
        for level in reversed(_LEVELS):
            since = self._beyond_since[level]
            if level > self.level and since is not None and now - since >= self._hold:
                self.level = level
                break
        return self.level

    def pending(self, now: float) -> Pending | None:
        """The worst level above the one reached whose trip condition holds but whose hold has not run out."""
        for level in reversed(_LEVELS):
            since = self._beyond_since[level]
            if level > self.level and since is not None:
                return Pending(level, max(0.0, self._hold - (now - since)))
        return None

    def rest(self) -> Severity:
        """The rule is quiet (no calls yet, or too few to judge): forget its level and partial holds."""
        self.level = Severity.NORMAL
        self._beyond_since = dict.fromkeys(self._beyond_since)
        return Severity.NORMAL

    def _is_beyond(self, value: float, level: Severity) -> bool:
        trip = self._trip[level]
        return trip is not None and self._sign * (value - trip) > 0

    def _holds(self, value: float, level: Severity) -> bool:
        """True while ``value`` has not yet come back past ``level``'s clear point."""
        trip = self._trip[level]
        if trip is None:
            # A rule without this level reaches it never; WARN-less rules hold CRITICAL only.
            return level is Severity.WARN and self._holds(value, Severity.CRITICAL)
        return self._sign * (value - (trip - self._sign * self._hysteresis)) > 0


@dataclass(frozen=True, slots=True)
class Pending:
    """A level a value is beyond but has not yet held for the rule's ``hold``: shown, not yet signalled."""

    level: Severity
    seconds_left: float


@dataclass(frozen=True, slots=True)
class RulesReplaced:
    """What the last config change did to the rules (for the state log): which kept their state, which start fresh."""

    generation: int  # 1 for the first config change since start, 2 for the next, ...
    kept: tuple[str, ...]  # metrics whose rule kept its level, holds and so its acknowledgement
    fresh: tuple[str, ...]  # one line per rule that starts fresh, e.g. "x.y: warn_above 60 -> 90"
    dropped: tuple[str, ...]  # metrics no rule watches any more


@dataclass(frozen=True)
class Assessment:
    """The rules' verdict at one moment: per metric, and for the whole board."""

    metrics: dict[str, Severity] = field(default_factory=dict)
    board: Severity = Severity.NORMAL
    blind: bool = False  # the board cannot see: broker down, or no fresh data at all
    # Per metric, the worst level its value is beyond while that level's hold runs (lamps wait; the screen says).
    pending: dict[str, Pending] = field(default_factory=dict)
    # Metrics whose rules are quiet, and why: "no calls yet" (0/0 in a new period) or "low volume".
    quiet: dict[str, str] = field(default_factory=dict)
    # The last config change's effect on the rules; None while the rules are those the board started with.
    rules_replaced: RulesReplaced | None = None

    def severity_of(self, key: str) -> Severity | None:
        """The worst severity of the rules on ``key``; None if no rule watches it."""
        return self.metrics.get(key)

    def pending_of(self, key: str) -> Pending | None:
        """The level ``key`` is heading for and the seconds its hold has left; None if nothing is pending."""
        return self.pending.get(key)


class RuleEngine:
    """Evaluates every rule against the board state."""

    def __init__(self, rules: Sequence[RuleSettings]) -> None:
        self._trackers = [RuleTracker(rule) for rule in rules]
        self.replaced: RulesReplaced | None = None

    def reconfigured(self, rules: Sequence[RuleSettings]) -> RuleEngine:
        """An engine for ``rules`` that keeps the memory of each rule whose metric and levels are unchanged.

        Rules are matched by metric and trip levels (in order, so two equal rules match two); the rest
        start fresh. ``replaced`` on the new engine says which is which.
        """
        unmatched: dict[tuple[object, ...], list[RuleTracker]] = {}
        for tracker in self._trackers:
            unmatched.setdefault(_identity(tracker.settings), []).append(tracker)
        engine = RuleEngine(())
        kept: list[str] = []
        fresh: list[RuleSettings] = []
        for rule in rules:
            same = unmatched.get(_identity(rule))
            if same:
                engine._trackers.append(RuleTracker(rule, carried=same.pop(0)))
                kept.append(rule.metric)
            else:
                engine._trackers.append(RuleTracker(rule))
                fresh.append(rule)
        left = [tracker.settings for trackers in unmatched.values() for tracker in trackers]
        lines = tuple(_fresh_line(rule, left) for rule in fresh)
        watched = {rule.metric for rule in rules}
        dropped = tuple(sorted({old.metric for old in left if old.metric not in watched}))
        generation = 1 if self.replaced is None else self.replaced.generation + 1
        engine.replaced = RulesReplaced(generation, tuple(kept), lines, dropped)
        return engine

    def assess(self, state: StateReader, wall_now: float, now: float) -> Assessment:
        """Evaluate all rules: ``wall_now`` decides staleness, ``now`` (monotonic) times the holds."""
        severities: dict[str, Severity] = {}
        pending: dict[str, Pending] = {}
        quiet: dict[str, str] = {}
        for tracker in self._trackers:
            key = tracker.settings.metric
            reason = quiet_reason(state, key, tracker.settings.min_volume, wall_now)
            if reason is not None:
                quiet[key] = reason
                result = tracker.rest()
            else:
                result = tracker.evaluate(state.fresh_value(key, wall_now), now)
            severities[key] = max(result, severities.get(key, Severity.NORMAL))
            heading = tracker.pending(now)
            if heading is not None and (key not in pending or _sooner_or_worse(heading, pending[key])):
                pending[key] = heading
        board = max(severities.values(), default=Severity.NORMAL)
        any_fresh = any(not state.is_stale(key, wall_now) for key, _ in state.metrics())
        blind = state.link.status is not LinkStatus.UP or not any_fresh
        if blind:
            board = max(board, Severity.UNKNOWN)
        for key in [key for key, heading in pending.items() if heading.level <= severities[key]]:
            del pending[key]  # another rule on the metric already reached that level
        return Assessment(severities, board, blind, pending=pending, quiet=quiet, rules_replaced=self.replaced)


_LEVEL_KEYS = ("warn_above", "critical_above", "warn_below", "critical_below")


def _identity(rule: RuleSettings) -> tuple[object, ...]:
    """What makes a rule the same rule across a config change: its metric and its trip levels."""
    return (rule.metric, *(getattr(rule, key) for key in _LEVEL_KEYS))


def _fresh_line(rule: RuleSettings, old_rules: Sequence[RuleSettings]) -> str:
    """Why ``rule`` starts fresh: its levels changed (old -> new, against an old rule on its metric), or it is new."""
    before = next((old for old in old_rules if old.metric == rule.metric), None)
    if before is None:
        return f"{rule.metric}: new rule"
    changes = [
        f"{key} {_level(getattr(before, key))} -> {_level(getattr(rule, key))}"
        for key in _LEVEL_KEYS
        if getattr(before, key) != getattr(rule, key)
    ]
    return f"{rule.metric}: " + ", ".join(changes)


def _level(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"


def _sooner_or_worse(candidate: Pending, held: Pending) -> bool:
    """True if ``candidate`` heads for a worse level than ``held``, or for the same level sooner."""
    if candidate.level != held.level:
        return candidate.level > held.level
    return candidate.seconds_left < held.seconds_left


NO_CALLS_YET = "no calls yet"
LOW_VOLUME = "low volume"


def quiet_reason(state: StateReader, key: str, min_volume: float, wall_now: float) -> str | None:
    """Why a rule on ``key`` must not alarm now: no calls yet in the period, or fewer than ``min_volume``."""
    if state.no_calls_yet(key, wall_now):
        return NO_CALLS_YET
    if min_volume > 0 and not state.is_stale(key, wall_now):
        ratio = state.ratio(key)
        if ratio is not None and ratio.denominator is not None and ratio.denominator < min_volume:
            return LOW_VOLUME
    return None
