"""One verdict per value, decided here once: live, zero, stale, not yet received, not supplied, no calls yet.

Every surface that says anything about a value (a tile, a legend entry, the status strip, the text twin,
the status document, ``wallboard fleet``, the log) reads its ``Verdict`` from this module and none works it
out again, so they cannot disagree, and nothing draws a 0 that nobody measured:

- *not supplied*: no value, and the site's feed declares it cannot supply this field on its platform
  (Asterisk has no wrap-up state): say "n/a", never 0 and never "no data";
- *not yet received*: no value, and nobody said it cannot come: "no data";
- *no calls yet*: a ratio whose fresh counts are 0 of 0 (a new period), not stale data;
- *stale*: a value older than its ``stale_after``, or any value while the broker link is not up;
- *zero*: a live value that is 0 (measured, so a real 0);
- *live*: any other live value.

Pure: reads the state through ``StateReader``; no I/O, no clock of its own.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from wallboard.device.config.schema import BoardConfig
from wallboard.device.core.reader import StateReader
from wallboard.device.core.values import LinkStatus
from wallboard.device.wire.metrics import DEFAULT_SL_COUNTS
from wallboard.device.wire.supply import missing_inputs

# The agent-state counts an agents widget shows, in its order.
AGENT_FIELDS = ("agents_available", "agents_on_call", "agents_wrap", "agents_away")


def watched_metrics(config: BoardConfig) -> tuple[str, ...]:
    """The metrics this board shows (KPI, trend, agents widgets on any page) or judges (rules), each once."""
    keys: dict[str, None] = {}
    for page in config.display.page:
        for widget in page.widget:
            if widget.type in ("kpi", "trend") and widget.metric is not None:
                keys[widget.metric] = None
            elif widget.type == "agents" and widget.queue is not None:
                keys.update((f"{widget.queue}.{field}", None) for field in AGENT_FIELDS)
    keys.update((rule.metric, None) for rule in config.rule)
    return tuple(keys)


class ValueState(enum.Enum):
    """The closed set of states a value can be in."""

    LIVE = "live"
    ZERO = "zero"
    STALE = "stale"
    NOT_RECEIVED = "not_received"
    NOT_SUPPLIED = "not_supplied"
    NO_CALLS_YET = "no_calls_yet"

    @property
    def has_value(self) -> bool:
        """True where a measured number is held (live, zero or stale)."""
        return self in (ValueState.LIVE, ValueState.ZERO, ValueState.STALE)

    @property
    def is_live(self) -> bool:
        """True where the board may show the value as current (live or a real zero)."""
        return self in (ValueState.LIVE, ValueState.ZERO)


@dataclass(frozen=True, slots=True)
class Verdict:
    """A value's state, with the number and its age where one is held."""

    state: ValueState
    value: float | None = None
    age: float | None = None  # seconds since it was measured
    limit: float | None = None  # the stale_after that applied
    offline: bool = False  # the broker link is not up: nothing held is live, whatever its age
    supplier: str = ""  # for NOT_SUPPLIED: the feed that says it cannot supply the field

    @property
    def too_old(self) -> bool:
        """True if the value held is older than its ``stale_after`` (stale by age, not only by the link)."""
        return self.age is not None and self.limit is not None and self.age > self.limit


def not_supplied_by(state: StateReader, field: str, sl_counts: str = DEFAULT_SL_COUNTS) -> str:
    """The site feed that cannot supply ``field`` (or an input the board needs to work it out), or ""."""
    for name, feed in sorted(state.feeds.items()):
        if feed.not_supplied and missing_inputs(field, feed.not_supplied, sl_counts):
            return name
    return ""


def verdict(
    state: StateReader, config: BoardConfig, key: str, now: float, *, stale_after: float | None = None
) -> Verdict:
    """The one verdict on metric ``key`` at ``now`` (``stale_after`` overrides the config's limit)."""
    held = state.value(key)
    offline = state.link.status is not LinkStatus.UP
    if held is None:
        if not offline and state.no_calls_yet(key, now):
            return Verdict(ValueState.NO_CALLS_YET)
        queue, _, field = key.partition(".")
        supplier = not_supplied_by(state, field, config.queue_settings(queue).sl_counts)
        if supplier:
            return Verdict(ValueState.NOT_SUPPLIED, offline=offline, supplier=supplier)
        return Verdict(ValueState.NOT_RECEIVED, offline=offline)
    age = max(0.0, now - held.measured_at)
    limit = config.stale_after(key) if stale_after is None else stale_after
    if offline or age > limit:
        return Verdict(ValueState.STALE, held.value, age, limit, offline)
    if state.no_calls_yet(key, now):
        return Verdict(ValueState.NO_CALLS_YET, None, age, limit)
    return Verdict(ValueState.ZERO if held.value == 0 else ValueState.LIVE, held.value, age, limit)


@dataclass(frozen=True, slots=True)
class Tally:
    """How many of a set of values are in each state, and which have never arrived."""

    counts: dict[ValueState, int]
    not_received: tuple[str, ...]
    not_supplied: tuple[str, ...]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def count(self, *states: ValueState) -> int:
        return sum(self.counts.get(s, 0) for s in states)


def tally(state: StateReader, config: BoardConfig, keys: Iterable[str], now: float) -> Tally:
    """The verdicts on ``keys`` counted by state (the header's "3 OF 12 NO DATA", the status, ``fleet``)."""
    counts: dict[ValueState, int] = {}
    missing: list[str] = []
    absent: list[str] = []
    for key in keys:
        found = verdict(state, config, key, now)
        counts[found.state] = counts.get(found.state, 0) + 1
        if found.state is ValueState.NOT_RECEIVED:
            missing.append(key)
        elif found.state is ValueState.NOT_SUPPLIED:
            absent.append(key)
    return Tally(counts, tuple(sorted(missing)), tuple(sorted(absent)))
