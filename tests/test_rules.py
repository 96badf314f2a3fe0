"""Rules on a timeline: hold time, hysteresis (no flapping), unknown for stale data, the board's worst state."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from wallboard.device.config.reading import load_config_text
from wallboard.device.config.schema import RuleSettings
from wallboard.device.config.types import Duration
from wallboard.device.core.rejections import RejectionCounter
from wallboard.device.core.rules import RuleEngine, RuleTracker, Severity
from wallboard.device.core.state import BoardState
from wallboard.device.core.updates import Reading
from wallboard.device.core.values import LinkChange, LinkStatus

N, U, W, C = Severity.NORMAL, Severity.UNKNOWN, Severity.WARN, Severity.CRITICAL


def _sl_rule(hold: float = 0.0, hysteresis: float = 2.0) -> RuleTracker:
    """Service level: warn below 80, critical below 70."""
    return RuleTracker(
        RuleSettings(
            metric="q.service_level_pct", warn_below=80, critical_below=70, hysteresis=hysteresis, hold=Duration(hold)
        )
    )


def _run(tracker: RuleTracker, timeline: Sequence[tuple[float, float | None]]) -> list[Severity]:
    return [tracker.evaluate(value, t) for t, value in timeline]


def test_value_oscillating_around_the_threshold_does_not_flap() -> None:
    """79.5 / 80.5 / 79.8 / 81 ... around warn_below=80 with hysteresis 2 trips once and stays until 82."""
    values = [85, 79.5, 80.5, 79.8, 81.0, 79.9, 81.9, 80.1, 82.0, 81.0, 79.9]
    got = _run(_sl_rule(), [(float(t), v) for t, v in enumerate(values)])
    assert got == [N, W, W, W, W, W, W, W, N, N, W]
    changes = sum(1 for a, b in itertools.pairwise(got) if a != b)
    assert changes == 3


def test_hold_time_delays_the_trip_and_a_short_dip_never_trips() -> None:
    """With hold=30s a 20 s dip below 80 does nothing; a dip held 30 s trips warn at exactly 30 s."""
    tracker = _sl_rule(hold=30)
    short = [(0, 85.0), (10, 78.0), (20, 78.0), (30, 78.0), (31, 86.0), (40, 86.0)]
    assert _run(tracker, short) == [N, N, N, N, N, N]
    held = [(100, 78.0), (110, 78.0), (129, 78.0), (130, 78.0), (140, 78.0)]
    assert _run(tracker, held) == [N, N, N, W, W]


def test_warn_then_critical_each_with_its_own_hold() -> None:
    """Dropping straight to 60 trips critical after the hold; climbing to 75 steps down to warn at once."""
    tracker = _sl_rule(hold=10)
    timeline = [(0, 60.0), (5, 60.0), (10, 60.0), (20, 75.0), (30, 71.0), (40, 85.0)]
    assert _run(tracker, timeline) == [N, N, C, W, W, N]


def test_critical_holds_until_past_its_clear_point() -> None:
    """From critical, 71 (between trip 70 and clear 72) stays critical; 72.5 falls back to warn."""
    tracker = _sl_rule()
    assert _run(tracker, [(0, 65.0), (1, 71.0), (2, 71.9), (3, 72.5), (4, 81.0), (5, 82.5)]) == [C, C, C, W, W, N]


def test_above_direction_rule() -> None:
    """Longest wait: warn above 60, critical above 120, hysteresis 10; exactly 60 is not above 60."""
    tracker = RuleTracker(RuleSettings(metric="q.longest_wait_s", warn_above=60, critical_above=120, hysteresis=10))
    timeline = [(0, 30.0), (1, 60.0), (2, 61.0), (3, 55.0), (4, 50.0), (5, 130.0), (6, 115.0), (7, 105.0)]
    assert _run(tracker, timeline) == [N, N, W, W, N, C, C, W]


def test_missing_or_stale_value_is_unknown_never_normal_and_resets_holds() -> None:
    """No value gives UNKNOWN; a hold in progress must be earned again after a gap."""
    tracker = _sl_rule(hold=10)
    assert _run(tracker, [(0, None), (1, 75.0), (8, None), (9, 75.0), (15, 75.0), (19, 75.0)]) == [U, N, U, N, N, W]


def test_engine_marks_stale_metrics_unknown_and_board_takes_the_worst() -> None:
    """The board's alarm state is the worst rule severity; stale data is unknown; a down link is blind."""
    text = """
[site]
id = "lab"
[board]
id = "b1"
[[metric]]
key = "q.calls_waiting"
stale_after = "30s"
[[rule]]
metric = "q.calls_waiting"
warn_above = 5
[[rule]]
metric = "q.longest_wait_s"
warn_above = 60
critical_above = 120
"""
    now = 1_000_000.0
    config = load_config_text(text).config
    state = BoardState(config, RejectionCounter(), clock=lambda: now)
    engine = RuleEngine(config.rule)
    state.set_link(LinkChange(LinkStatus.UP, now))
    state.apply(Reading("q.calls_waiting", 2, now, now))
    state.apply(Reading("q.longest_wait_s", 130, now, now))
    verdict = engine.assess(state, now, 0.0)
    assert verdict.metrics == {"q.calls_waiting": N, "q.longest_wait_s": C}
    assert verdict.board is C and not verdict.blind
    later = engine.assess(state, now + 40, 40.0)  # calls_waiting is now stale
    assert later.metrics["q.calls_waiting"] is U and later.board is C
    state.set_link(LinkChange(LinkStatus.DOWN, now + 41))
    blind = engine.assess(state, now + 41, 41.0)
    assert blind.blind and blind.board is C
    state.apply(Reading("q.longest_wait_s", 10, now + 42, now + 42))
    assert engine.assess(state, now + 42, 42.0).board is U  # nothing wrong, but the board cannot see


def _wait_rule(
    warn: float = 60, hold: float = 10, hysteresis: float = 0.0, metric: str = "q.longest_wait_s"
) -> RuleSettings:
    return RuleSettings(metric=metric, warn_above=warn, critical_above=120, hold=Duration(hold), hysteresis=hysteresis)


def _engine_state(rules: Sequence[RuleSettings], wait: float) -> tuple[RuleEngine, BoardState]:
    now = 1_000_000.0
    config = load_config_text('[site]\nid = "lab"\n[board]\nid = "b1"\n').config
    state = BoardState(config, RejectionCounter(), clock=lambda: now)
    state.set_link(LinkChange(LinkStatus.UP, now))
    state.apply(Reading("q.longest_wait_s", wait, now, now))
    return RuleEngine(rules), state


def test_reconfigured_rules_keep_level_and_running_hold_where_metric_and_levels_are_unchanged() -> None:
    """Same metric and levels: the warn reached stays, a running critical hold goes on; a new hold length applies."""
    engine, state = _engine_state([_wait_rule(hold=10)], wait=130)
    wall = 1_000_000.0
    assert engine.assess(state, wall, 0.0).metrics["q.longest_wait_s"] is N  # the hold runs from 0
    state.apply(Reading("q.longest_wait_s", 95, wall, wall))
    assert engine.assess(state, wall, 10.0).metrics["q.longest_wait_s"] is W
    state.apply(Reading("q.longest_wait_s", 130, wall, wall))
    engine.assess(state, wall, 12.0)  # critical's hold starts at 12

    replaced = engine.reconfigured([_wait_rule(hold=20, hysteresis=5)])
    verdict = replaced.assess(state, wall, 15.0)
    assert verdict.metrics["q.longest_wait_s"] is W
    pending = verdict.pending_of("q.longest_wait_s")
    assert pending is not None and (pending.level, pending.seconds_left) == (C, 17.0)  # 20 s from 12, not from 15
    assert verdict.rules_replaced is not None
    assert verdict.rules_replaced.kept == ("q.longest_wait_s",) and verdict.rules_replaced.fresh == ()


def test_reconfigured_rules_with_new_levels_start_fresh_and_say_why() -> None:
    """A changed level starts fresh with old -> new named; a new rule says so; a removed one is listed."""
    engine, state = _engine_state([_wait_rule(hold=0), _wait_rule(metric="q.calls_waiting")], wait=95)
    wall = 1_000_000.0
    assert engine.assess(state, wall, 0.0).metrics["q.longest_wait_s"] is W
    replaced = engine.reconfigured([_wait_rule(warn=90, hold=30), _wait_rule(metric="q.asa_s")])
    verdict = replaced.assess(state, wall, 1.0)
    assert verdict.metrics["q.longest_wait_s"] is N  # fresh: its hold starts again
    assert verdict.rules_replaced is not None
    assert verdict.rules_replaced.fresh == ("q.longest_wait_s: warn_above 60 -> 90", "q.asa_s: new rule")
    assert verdict.rules_replaced.dropped == ("q.calls_waiting",)
    assert verdict.rules_replaced.generation == 1
    again = replaced.reconfigured([]).replaced
    assert again is not None and again.generation == 2 and again.dropped == ("q.asa_s", "q.longest_wait_s")
