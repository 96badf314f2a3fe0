"""Board state: out-of-order timestamps, staleness, derived metrics, and the coalescing hand-off."""

from __future__ import annotations

from tests.helpers import ManualClock
from wallboard.device.config.reading import load_config_text
from wallboard.device.config.schema import BoardConfig
from wallboard.device.core.rejections import RejectionCounter
from wallboard.device.core.state import ANNOUNCEMENT_MAX_AGE, BoardState
from wallboard.device.core.updates import AgentRow, Announcement, Leaderboard, Reading
from wallboard.device.core.values import LinkChange, LinkStatus, MetricValue
from wallboard.device.edge.handoff import CoalescingQueue

NOW = 1_763_800_000.0
CONFIG = """
default_stale_after = "2m"
[site]
id = "lab"
[board]
id = "b1"
[[metric]]
key = "q.calls_waiting"
stale_after = "30s"
"""


def _state(clock: ManualClock | None = None) -> tuple[BoardState, RejectionCounter]:
    counter = RejectionCounter()
    config: BoardConfig = load_config_text(CONFIG).config
    return BoardState(config, counter, clock=clock or ManualClock(NOW)), counter


def test_an_older_timestamp_never_overwrites_a_newer_value() -> None:
    """A reading measured before the held one is refused and counted as out_of_order."""
    state, counter = _state()
    assert state.apply(Reading("q.calls_waiting", 9, NOW, NOW))
    assert not state.apply(Reading("q.calls_waiting", 1, NOW - 10, NOW + 1))
    assert state.value("q.calls_waiting") == MetricValue(9, NOW, NOW)
    assert counter.counts() == {"out_of_order": 1}
    assert state.apply(Reading("q.calls_waiting", 4, NOW + 1, NOW + 1))
    assert state.value("q.calls_waiting").value == 4  # type: ignore[union-attr]


def test_value_turns_stale_after_its_own_stale_after() -> None:
    """Per-metric stale_after applies; other metrics use default_stale_after; age is reported."""
    clock = ManualClock(NOW)
    state, _ = _state(clock)
    state.apply(Reading("q.calls_waiting", 3, NOW, NOW))
    state.apply(Reading("q.asa_s", 20, NOW, NOW))
    clock.now = NOW + 31
    assert state.is_stale("q.calls_waiting") and not state.is_stale("q.asa_s")
    assert state.fresh_value("q.calls_waiting") is None and state.fresh_value("q.asa_s") == 20
    assert state.age("q.calls_waiting") == 31
    clock.now = NOW + 121
    assert state.is_stale("q.asa_s")
    assert state.is_stale("q.never_seen")


def test_restored_values_keep_original_times_and_come_back_stale() -> None:
    """A value restored from the cache carries its measured time, so an old one is stale at once."""
    state, _ = _state()
    state.restore("q.asa_s", MetricValue(25, NOW - 3600, NOW - 3600), [(NOW - 3610, 24), (NOW - 3600, 25)])
    assert state.value("q.asa_s") == MetricValue(25, NOW - 3600, NOW - 3600)
    assert state.is_stale("q.asa_s") and state.age("q.asa_s") == 3600
    assert state.history("q.asa_s") == [(NOW - 3610, 24), (NOW - 3600, 25)]
    assert state.data_age() == 3600


def test_derived_ratios_from_counts_with_no_eval() -> None:
    """Service level (offered minus short abandons), abandon rate and AHT are worked out from one queue's counts."""
    state, _ = _state()
    counts = (("answered", 120), ("answered_within_target", 96), ("offered", 130), ("short_abandoned", 13))
    for field, value in (*counts, ("abandoned", 13)):
        state.apply(Reading(f"billing.{field}", value, NOW, NOW))
    state.apply(Reading("billing.handled", 100, NOW, NOW))
    state.apply(Reading("billing.handle_time_s", 31_200, NOW - 5, NOW))
    assert state.value("billing.service_level_pct") == MetricValue(80.0, NOW, NOW, derived=True)
    assert state.value("billing.abandon_rate_pct").value == 10.0  # type: ignore[union-attr]
    aht = state.value("billing.aht_s")
    assert aht is not None and aht.value == 312 and aht.measured_at == NOW - 5  # the older input's time


def test_a_published_ratio_beats_a_derived_one() -> None:
    """When the publisher sends service_level_pct itself, counts at the same time do not override it."""
    state, _ = _state()
    state.apply(Reading("q.service_level_pct", 77.0, NOW, NOW))
    state.apply(Reading("q.answered", 10, NOW, NOW))
    state.apply(Reading("q.answered_within_target", 10, NOW, NOW))
    assert state.value("q.service_level_pct") == MetricValue(77.0, NOW, NOW)


def test_inconsistent_counts_derive_nothing() -> None:
    """More calls within target than answered (or zero answered) gives no service level at all."""
    state, _ = _state()
    state.apply(Reading("q.answered", 0, NOW, NOW))
    state.apply(Reading("q.answered_within_target", 5, NOW, NOW))
    assert state.value("q.service_level_pct") is None
    state.apply(Reading("q.answered", 4, NOW + 1, NOW + 1))
    assert state.value("q.service_level_pct") is None


def test_link_changes_are_recorded_with_their_times() -> None:
    """The connection state and when it last changed are part of the state; repeats are ignored."""
    state, _ = _state()
    state.set_link(LinkChange(LinkStatus.UP, NOW))
    state.set_link(LinkChange(LinkStatus.UP, NOW + 1))
    state.set_link(LinkChange(LinkStatus.DOWN, NOW + 2, "lost"))
    assert state.link == LinkChange(LinkStatus.DOWN, NOW + 2, "lost")
    assert [c.status for c in state.link_log] == [LinkStatus.CONNECTING, LinkStatus.UP, LinkStatus.DOWN]


def test_announcements_expire_and_can_be_withdrawn() -> None:
    """An announcement disappears after its expiry, or when the same id arrives with empty text."""
    clock = ManualClock(NOW)
    state, _ = _state(clock)
    state.apply(Announcement("drill", "Fire drill", NOW + 60, NOW))
    state.apply(Announcement("news", "Cake in the kitchen", None, NOW))
    assert [a.id for a in state.announcements()] == ["drill", "news"]
    clock.now = NOW + 61
    assert [a.id for a in state.announcements()] == ["news"]
    state.apply(Announcement("news", "", None, NOW + 62))
    assert state.announcements() == []


def test_announcements_are_capped_keeping_the_newest_and_age_out_after_a_day() -> None:
    """Beyond max_announcements the oldest goes (counted over_limit); one without expires goes after 24 h."""
    clock = ManualClock(NOW)
    state, counter = _state(clock)
    for n in range(40):
        state.apply(Announcement(f"junk{n}", "buy now", None, NOW + n))
    held = [a.id for a in state.announcements()]
    assert len(held) == 32 and held[-1] == "junk39" and "junk0" not in held
    assert counter.counts() == {"over_limit": 8}
    clock.now = NOW + ANNOUNCEMENT_MAX_AGE + 40
    assert state.announcements() == []
    state.apply(Announcement("real", "Fire drill", None, clock.now))
    assert [a.id for a in state.announcements()] == ["real"]


def test_a_leaderboard_not_refreshed_for_a_day_is_gone() -> None:
    """The leaderboard shows until it is a day old without a refresh."""
    clock = ManualClock(NOW)
    state, _ = _state(clock)
    state.apply(Leaderboard((AgentRow("Asha", (("handled", 4.0),)),), NOW, NOW))
    clock.now = NOW + ANNOUNCEMENT_MAX_AGE
    assert state.leaderboard is not None
    clock.now += 1
    assert state.leaderboard is None


def test_metrics_of_unnamed_queues_are_bounded_and_counted() -> None:
    """New metrics of queues the config does not name stop at max_other_metrics; named queues always get in."""
    config = load_config_text(
        '[site]\nid = "s"\n[board]\nid = "b"\n[ingest]\nmax_other_metrics = 3\n'
        '[[rule]]\nmetric = "sales.calls_waiting"\nwarn_above = 5\n'
    ).config
    counter = RejectionCounter()
    state = BoardState(config, counter, clock=ManualClock(NOW))
    assert all(state.apply(Reading(f"junk{n}.calls_waiting", 1, NOW, NOW)) for n in range(3))
    assert not state.apply(Reading("junk9.calls_waiting", 1, NOW, NOW))
    assert state.apply(Reading("junk0.calls_waiting", 2, NOW + 1, NOW + 1))  # one already held still updates
    assert state.apply(Reading("sales.calls_waiting", 7, NOW, NOW)) and state.apply(Reading("sales.asa_s", 7, NOW, NOW))
    assert counter.counts() == {"over_limit": 1}
    assert sum(1 for _, held in state.metrics() if not held.derived) == 5  # derived ones ride on these


def test_handoff_coalesces_to_latest_value_per_metric_and_counts_drops() -> None:
    """A burst keeps one update per metric (the newest), never blocks, and counts what it dropped."""
    queue = CoalescingQueue(capacity=3)
    for i in range(1000):
        queue.put(Reading("q.calls_waiting", i, NOW + i, NOW + i))
    assert not queue.put(Reading("q.calls_waiting", -1, NOW - 1, NOW))  # older than the waiting one
    queue.put(Reading("q.asa_s", 1, NOW, NOW))
    queue.put(Reading("q.aht_s", 1, NOW, NOW))
    assert not queue.put(Reading("q.offered", 1, NOW, NOW))  # a fourth distinct key: full
    drained = queue.drain()
    assert [u.handoff_key for u in drained] == ["q.calls_waiting", "q.asa_s", "q.aht_s"]
    assert drained[0] == Reading("q.calls_waiting", 999, NOW + 999, NOW + 999)
    stats = queue.stats()
    assert (stats.coalesced, stats.dropped_full, stats.dropped_older) == (999, 1, 1)
    assert queue.drain() == [] and len(queue) == 0


def test_history_keeps_one_point_per_interval_and_is_bounded() -> None:
    """Trend-line history samples at most one point per history_interval and keeps history_points."""
    text = CONFIG + '[cache]\nhistory_points = 5\nhistory_interval = "10s"\n'
    state = BoardState(load_config_text(text).config, RejectionCounter(), clock=ManualClock(NOW))
    for second in range(0, 100):
        state.apply(Reading("q.asa_s", second, NOW + second, NOW + second))
    points = state.history("q.asa_s")
    assert len(points) == 5
    assert points[-1] == (NOW + 90, 99)  # the last interval holds its latest value
    assert [t - NOW for t, _ in points] == [50, 60, 70, 80, 90]
