"""Pending is not OK: a value beyond a level whose hold still runs is shown counting down, the lamps wait."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import board_toml
from tests.display_helpers import KPI_PAGE, background_probe, config_from, count_colour, paint, rgb, view_of
from tests.helpers import WriteConfig
from wallboard.device.config.schema import RuleSettings
from wallboard.device.config.types import Duration
from wallboard.device.core.rules import Pending, RuleEngine, RuleTracker, Severity
from wallboard.device.core.updates import Reading
from wallboard.display.logic.theme import DARK, TileState
from wallboard.display.preview.sample_data import sample_state

SIZE = (1280, 720)
HELD_PAGE = KPI_PAGE.replace("critical_below = 70\n", 'critical_below = 70\nhold = "30s"\n').replace(
    "critical_above = 10\n", 'critical_above = 10\nhold = "30s"\n', 1
)


@pytest.fixture
def config(tmp_path: Path, write_config: WriteConfig):  # type: ignore[no-untyped-def]
    return config_from(write_config(board_toml(1883, tmp_path / "state", HELD_PAGE)))


def test_tracker_reports_the_level_and_seconds_left_while_the_hold_runs() -> None:
    """Below warn at t=0 with hold 30 s: pending warn with 30, 18, then the trip at 30 ends the pending."""
    tracker = RuleTracker(RuleSettings(metric="q.service_level_pct", warn_below=80, critical_below=70,
                                       hold=Duration(30)))  # fmt: skip
    assert tracker.evaluate(78.0, 0.0) is Severity.NORMAL
    assert tracker.pending(0.0) == Pending(Severity.WARN, 30.0)
    tracker.evaluate(78.0, 12.0)
    assert tracker.pending(12.0) == Pending(Severity.WARN, 18.0)
    assert tracker.evaluate(65.0, 20.0) is Severity.NORMAL
    assert tracker.pending(20.0) == Pending(Severity.CRITICAL, 30.0)  # the worst level comes first
    assert tracker.evaluate(65.0, 30.0) is Severity.WARN
    assert tracker.pending(30.0) == Pending(Severity.CRITICAL, 20.0)
    assert tracker.evaluate(65.0, 50.0) is Severity.CRITICAL
    assert tracker.pending(50.0) is None
    tracker.evaluate(None, 60.0)  # stale: partial holds are forgotten, nothing is pending
    assert tracker.pending(60.0) is None


def test_pending_tile_is_framed_in_the_level_colour_and_counts_down(config) -> None:  # type: ignore[no-untyped-def]
    """Service level 78 % held 12 s of 30: a slate tile (not green) with an amber frame, "WARNING IN 18 s"."""
    view = view_of(config, {"metrics": {"sales.service_level_pct": 78.0}, "held_for_s": 12})
    assert view.assessment.severity_of("sales.service_level_pct") is Severity.NORMAL  # lamps still wait
    assert view.assessment.pending_of("sales.service_level_pct") == Pending(Severity.WARN, 18.0)
    surface, painter = paint(config, view, SIZE)
    tile = painter.placed[0]
    style = DARK.tile(TileState.PENDING_WARN)
    background = rgb(surface, background_probe(tile.cell))
    assert background == style.background
    assert background not in (DARK.tile(TileState.NORMAL).background, DARK.tile(TileState.WARN).background)
    assert style.edge is not None
    assert count_colour(surface, tile.cell, style.edge) > 1000  # the frame
    assert "\u25b2 WARNING IN 18 s" in tile.words
    assert "\u2713 OK" not in tile.words


def test_pending_critical_beats_pending_warn_and_differs_from_a_tripped_alarm(config) -> None:  # type: ignore[no-untyped-def]
    """Abandoned 12 % held 5 s: "CRITICAL IN 25 s" on a red frame; after the hold, the solid red alarm tile."""
    pending = view_of(config, {"metrics": {"sales.abandon_rate_pct": 12.0}, "held_for_s": 5})
    surface, painter = paint(config, pending, SIZE)
    tile = painter.placed[2]
    assert "\u2716 CRITICAL IN 25 s" in tile.words
    assert rgb(surface, background_probe(tile.cell)) == DARK.tile(TileState.PENDING_CRITICAL).background
    tripped = view_of(config, {"metrics": {"sales.abandon_rate_pct": 12.0}})
    surface, painter = paint(config, tripped, SIZE)
    tile = painter.placed[2]
    assert rgb(surface, background_probe(tile.cell)) == DARK.tile(TileState.CRITICAL).background
    assert "\u2716 CRITICAL" in tile.words


def test_warn_heading_for_critical_says_so_beside_the_warning(config) -> None:  # type: ignore[no-untyped-def]
    """At warn already and now beyond critical with its hold running: "▲ WARNING · critical in 20 s"."""
    view = view_of(config, {"metrics": {"sales.service_level_pct": 75.0}})
    engine = RuleEngine(config.rule)
    engine.assess(view.state, view.wall_now, 0.0)
    engine.assess(view.state, view.wall_now, 40.0)  # warn trips
    sample_state(view).apply(Reading("sales.service_level_pct", 65.0, view.wall_now + 1, view.wall_now + 1))
    engine.assess(view.state, view.wall_now, 40.0)  # critical's hold starts
    assessment = engine.assess(view.state, view.wall_now, 50.0)
    assert assessment.severity_of("sales.service_level_pct") is Severity.WARN
    _surface, painter = paint(config, replace(view, assessment=assessment), SIZE)
    assert "\u25b2 WARNING \u00b7 critical in 20 s" in painter.placed[0].words
