"""How old each widget's data is and whether it is stale, and how much of the board is live: no pygame.

Every widget fed by data has an age: a KPI tile or trend line its metric's, the
agent-states bar its oldest count's, the leaderboard its rows', the ticker its
newest announcement's. A widget's ``stale_after`` overrides the default: the
metric's own ``stale_after`` for metric widgets, ``default_stale_after`` for the
leaderboard, and none for the ticker (announcements carry their own expiry).
The clock's source is the system clock: it goes stale once the kernel has said
for 10 minutes that it is not synchronised (no NTP). The board's freshness
counts every data source shown on any page (the clock aside), so the status
strip can say "3 of 12 stale" rather than "LIVE". Reads a board view; changes
nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from wallboard.device.config.screen_schema import WidgetSettings
from wallboard.device.core.values import LinkStatus
from wallboard.device.core.verdict import AGENT_FIELDS, ValueState, verdict
from wallboard.device.core.view import BoardView

LEADERBOARD = "leaderboard"  # source names for the widgets not fed by one metric
TICKER = "ticker"
CLOCK = "clock"  # the system clock: its "age" is how long it has been unsynchronised
CLOCK_STALE_AFTER = 600.0


@dataclass(frozen=True, slots=True)
class DataAge:
    """How old one widget's data is (None: it has none) and whether that is older than it may be."""

    age: float | None
    stale: bool
    limit: float | None  # the stale_after that applies; None: never stale by age


NO_DATA = DataAge(None, False, None)


def widget_sources(settings: WidgetSettings) -> tuple[str, ...]:
    """The data a widget shows: metric keys, or LEADERBOARD / TICKER / CLOCK."""
    if settings.type in ("kpi", "trend") and settings.metric is not None:
        return (settings.metric,)
    if settings.type == "agents" and settings.queue is not None:
        return tuple(f"{settings.queue}.{field}" for field in AGENT_FIELDS)
    if settings.type == "leaderboard":
        return (LEADERBOARD,)
    if settings.type == "ticker":
        return (TICKER,)
    if settings.type == "clock":
        return (CLOCK,)
    return ()


def source_age(view: BoardView, source: str, stale_after: float | None = None) -> DataAge:
    """The age of one source at ``view.wall_now``; ``stale_after`` overrides its default limit."""
    state, now = view.state, view.wall_now
    if source == LEADERBOARD:
        board = state.leaderboard
        if board is None:
            return NO_DATA
        limit = float(view.config.default_stale_after) if stale_after is None else stale_after
        age = max(0.0, now - board.measured_at)
        return DataAge(age, age > limit, limit)
    if source == CLOCK:
        if state.clock_synchronised is None:
            return NO_DATA  # cannot tell: never claimed either way
        limit = CLOCK_STALE_AFTER if stale_after is None else stale_after
        since = state.clock_unsynchronised_since
        unsynced = 0.0 if state.clock_synchronised or since is None else max(0.0, now - since)
        return DataAge(unsynced, unsynced > limit, limit)
    if source == TICKER:
        said = [a.received_at for a in state.announcements(now)]
        if not said:
            return NO_DATA
        age = max(0.0, now - max(said))
        return DataAge(age, stale_after is not None and age > stale_after, stale_after)
    found = verdict(state, view.config, source, now, stale_after=stale_after)
    if found.age is None:
        return NO_DATA
    return DataAge(found.age, found.too_old, found.limit)


def widget_age(view: BoardView, settings: WidgetSettings) -> DataAge:
    """The widget's data age: its oldest source's, stale if any source is; NO_DATA if it shows none yet."""
    limit = None if settings.stale_after is None else float(settings.stale_after)
    ages = [source_age(view, source, limit) for source in widget_sources(settings)]
    held = [a for a in ages if a.age is not None]
    if not held:
        return NO_DATA
    oldest = max(held, key=lambda a: a.age or 0.0)
    return DataAge(oldest.age, any(a.stale for a in held), oldest.limit)


class Liveness(enum.Enum):
    """What the status strip's marker says about the data on screen."""

    LIVE = "live"  # the link is up and every source shown is fresh
    PARTLY_STALE = "partly_stale"  # the link is up, some sources shown are stale (some may also have no data)
    PARTLY_MISSING = "partly_missing"  # the link is up, the rest is fresh, some sources shown never arrived
    ALL_STALE = "all_stale"  # the link is up, nothing shown is fresh
    NO_DATA = "no_data"  # the link is up, nothing has arrived yet
    CONNECTING = "connecting"
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class Freshness:
    """The board's data as a whole: which marker to show, how many shown sources are stale, never arrived, of how many.

    ``total`` counts the sources that hold data and the metrics never received (a metric the site's feed
    does not supply is not counted: it is not missing, it cannot come).
    """

    liveness: Liveness
    stale: int
    total: int
    missing: int = 0


def shown_sources(widgets: Iterable[WidgetSettings]) -> dict[str, float | None]:
    """Every data source the widgets show (each once, the clock aside) and the strictest ``stale_after`` on it.

    Worked out once per set of widgets (the status strip keeps it), not on every pass.
    """
    limits: dict[str, float | None] = {}
    for settings in widgets:
        for source in widget_sources(settings):
            if source == CLOCK:
                continue  # the system clock is not data on screen; the clock widget says its own state
            limit = None if settings.stale_after is None else float(settings.stale_after)
            # The strictest limit any widget applies to a source decides.
            held = limits.get(source)
            limits[source] = limit if held is None or (limit is not None and limit < held) else held
    return limits


def board_freshness(view: BoardView, sources: Mapping[str, float | None]) -> Freshness:
    """Of the ``sources`` shown (``shown_sources``), count those that hold data and how many of those are stale."""
    held_ages: list[DataAge] = []
    missing = 0
    for source, limit in sources.items():
        if source in (LEADERBOARD, TICKER, CLOCK):
            age = source_age(view, source, limit)
        else:  # a metric: one verdict gives both its age and whether it never arrived
            found = verdict(view.state, view.config, source, view.wall_now, stale_after=limit)
            missing += found.state is ValueState.NOT_RECEIVED
            age = NO_DATA if found.age is None else DataAge(found.age, found.too_old, found.limit)
        if age.age is not None:
            held_ages.append(age)
    stale = sum(1 for a in held_ages if a.stale)
    total = len(held_ages) + missing
    link = view.state.link.status
    if link is LinkStatus.DOWN:
        return Freshness(Liveness.OFFLINE, len(held_ages), total, missing)
    if link is LinkStatus.CONNECTING:
        return Freshness(Liveness.CONNECTING, len(held_ages), total, missing)
    if not held_ages:
        return Freshness(Liveness.NO_DATA, 0, total, missing)
    if stale == len(held_ages):
        return Freshness(Liveness.ALL_STALE, stale, total, missing)
    if stale:
        return Freshness(Liveness.PARTLY_STALE, stale, total, missing)
    return Freshness(Liveness.PARTLY_MISSING if missing else Liveness.LIVE, 0, total, missing)
