"""KPI tiles offscreen: background and marker per severity, stale tiles greyed with their age."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import board_toml
from tests.display_helpers import KPI_PAGE, background_probe, config_from, count_colour, paint, rgb, view_of
from tests.helpers import WriteConfig
from wallboard.device.wire.metrics import MetricKind
from wallboard.display.logic.formatting import format_age, format_duration, format_value
from wallboard.display.logic.theme import DARK, TileState

SIZE = (1280, 720)


@pytest.fixture
def config(tmp_path: Path, write_config: WriteConfig):  # type: ignore[no-untyped-def]
    return config_from(write_config(board_toml(1883, tmp_path / "state", KPI_PAGE)))


@pytest.mark.parametrize(
    ("value", "state"),
    [(88.0, TileState.NORMAL), (75.0, TileState.WARN), (61.0, TileState.CRITICAL)],
)
def test_tile_background_and_marker_follow_severity(config, value: float, state: TileState) -> None:  # type: ignore[no-untyped-def]
    """A service-level tile is green/amber/red by severity and says OK/WARNING/CRITICAL in words."""
    view = view_of(config, {"metrics": {"sales.service_level_pct": value}})
    surface, painter = paint(config, view, SIZE)
    tile = painter.placed[0]
    style = DARK.tile(state)
    assert rgb(surface, background_probe(tile.cell)) == style.background
    assert style.marker in tile.words
    assert f"{value:.1f}%" in tile.words


def test_tile_without_rule_is_neutral_and_unmarked(config) -> None:  # type: ignore[no-untyped-def]
    """A metric no rule watches is drawn neutral, with no severity marker."""
    view = view_of(config, {"metrics": {"sales.calls_waiting": 7}})
    surface, painter = paint(config, view, SIZE)
    tile = painter.placed[1]
    assert rgb(surface, background_probe(tile.cell)) == DARK.tile(TileState.NEUTRAL).background
    assert tile.words[1:] == ["7"]


def test_critical_tile_has_a_border_as_a_shape_cue(config) -> None:  # type: ignore[no-untyped-def]
    """A critical tile carries a thick border in its text colour, so it stands out without colour."""
    view = view_of(config, {"metrics": {"sales.service_level_pct": 50.0}})
    surface, painter = paint(config, view, SIZE)
    x, y, _w, h = painter.placed[0].cell
    assert rgb(surface, (x + 2, y + h // 2)) == DARK.tile(TileState.CRITICAL).text


def test_stale_tile_is_greyed_and_shows_its_age(config) -> None:  # type: ignore[no-untyped-def]
    """A value older than stale_after is drawn grey with "STALE · 3m old", never in its severity colour."""
    view = view_of(config, {"metrics": {"sales.service_level_pct": {"value": 61.0, "age_s": 185}}})
    surface, painter = paint(config, view, SIZE)
    tile = painter.placed[0]
    stale = DARK.tile(TileState.STALE)
    assert rgb(surface, background_probe(tile.cell)) == stale.background
    assert "STALE \u00b7 3m old" in tile.words
    assert count_colour(surface, tile.cell, DARK.tile(TileState.CRITICAL).background) == 0
    assert count_colour(surface, tile.cell, stale.value) > 100  # the old number is still there, in grey


def test_missing_value_says_no_data(config) -> None:  # type: ignore[no-untyped-def]
    """A metric with no value at all shows "--" and NO DATA on a grey tile."""
    view = view_of(config, {"metrics": {}})
    surface, painter = paint(config, view, SIZE)
    tile = painter.placed[3]
    assert rgb(surface, background_probe(tile.cell)) == DARK.tile(TileState.MISSING).background
    assert "--" in tile.words and "NO DATA" in tile.words


def test_offline_greys_every_tile_even_fresh_ones(config) -> None:  # type: ignore[no-untyped-def]
    """While the link is down, a value measured seconds ago is still drawn as not live."""
    view = view_of(config, {"link": "down", "down_for_s": 30, "metrics": {"sales.service_level_pct": 88.0}})
    surface, painter = paint(config, view, SIZE)
    tile = painter.placed[0]
    assert rgb(surface, background_probe(tile.cell)) == DARK.tile(TileState.STALE).background
    assert any(word.startswith("OFFLINE \u00b7 ") for word in tile.words)


def test_values_are_formatted_by_kind() -> None:
    """Counts are whole, percentages have one decimal, durations read m:ss or h:mm:ss, ages are short."""
    assert format_value(7.0, MetricKind.COUNT) == "7"
    assert format_value(78.54, MetricKind.PERCENT) == "78.5%"
    assert format_value(100.0, MetricKind.PERCENT) == "100%"
    assert format_value(95, MetricKind.SECONDS) == "1:35"
    assert format_duration(3725) == "1:02:05"
    assert format_age(185) == "3m old" and format_age(40) == "40s old" and format_age(7300) == "2h old"


def test_unchanged_view_draws_nothing_the_second_time(config) -> None:  # type: ignore[no-untyped-def]
    """Painting the same view twice changes no pixels the second time: a still board costs nothing."""
    import pygame

    view = view_of(config, {"metrics": {"sales.service_level_pct": 88.0, "sales.calls_waiting": 3}})
    surface, painter = paint(config, view, SIZE)
    again = painter.paint(view, surface, page=0, phase=0.0)
    assert again.dirty == [] and not again.moving
    assert isinstance(surface, pygame.Surface)
