"""What the painter repaints: while only the ticker moves, only the ticker; a changed tile at once; bounded text."""

from __future__ import annotations

import json
from pathlib import Path

import pygame

from tests.display_helpers import config_from, view_of
from wallboard.device.config.schema import BoardConfig
from wallboard.device.core.updates import Reading
from wallboard.device.core.view import BoardView
from wallboard.display.draw.fonts import FontBook
from wallboard.display.draw.painter import BoardPainter
from wallboard.display.draw.widgets.kpi import KpiTile
from wallboard.display.draw.widgets.ticker import Ticker
from wallboard.display.logic.tile_text import tile_reads
from wallboard.display.preview.sample_data import sample_state

ROOT = Path(__file__).resolve().parent.parent
SIZE = (1920, 1080)


def _board() -> tuple[BoardConfig, BoardView]:
    config = config_from(ROOT / "config" / "boards" / "floor1.toml")
    sample = json.loads((ROOT / "config" / "sample-data-alarm.json").read_text())
    return config, view_of(config, sample)


def _painted() -> tuple[BoardConfig, BoardView, pygame.Surface, BoardPainter]:
    """The sample board, its view, and a surface with the view's first page painted on it."""
    config, view = _board()
    pygame.font.init()
    surface = pygame.Surface(SIZE)
    painter = BoardPainter(config)
    painter.paint(view, surface, page=0, phase=0.0)
    return config, view, surface, painter


def _slots(painter: BoardPainter) -> tuple[int, int]:
    """The ticker's slot and the first KPI tile's slot on page 0."""
    ticker = next(i for i, w in enumerate(painter.widgets[0]) if isinstance(w, Ticker))
    tile = next(i for i, s in enumerate(painter.pages[0].widget) if s.type == "kpi")
    return ticker, tile


def _inside(rect: pygame.Rect, box: tuple[int, int, int, int]) -> bool:
    return pygame.Rect(box).contains(rect)


def test_scrolling_frames_repaint_only_the_ticker() -> None:
    """With nothing but the ticker moving, each frame paints the ticker alone and dirties only its box."""
    _, view, surface, painter = _painted()
    ticker, _ = _slots(painter)
    before = painter.painted
    for step in range(1, 11):
        result = painter.paint(view, surface, page=0, phase=step / 30)
        assert result.moving
        assert all(_inside(rect, painter.placed[ticker].cell) for rect in result.dirty)
    assert painter.painted - before == 10


def test_tile_changed_while_the_ticker_scrolls_is_redrawn() -> None:
    """A value that changes between two scrolling frames is on the very next frame; unchanged tiles are not redrawn."""
    config, view, surface, painter = _painted()
    painter.paint(view, surface, page=0, phase=1 / 30)
    ticker, tile = _slots(painter)
    metric = painter.pages[0].widget[tile].metric
    assert metric is not None
    held = view.state.value(metric)
    assert held is not None
    old_value_box = pygame.Rect(painter.placed[tile].text[1])
    sample_state(view).apply(Reading(metric, held.value + 7, held.measured_at, held.received_at))
    result = painter.paint(view, surface, page=0, phase=2 / 30)
    placed = painter.placed[tile]
    assert f"{held.value + 7:g}" in placed.words[1]  # the words read label, value, then detail and marker
    value_box = placed.text[1]
    # Only the value's words are repainted (the label, the marker and the frame are as they were): the dirty
    # area is where the old number was and where the new one went, not the whole line.
    assert pygame.Rect(value_box).union(old_value_box) in result.dirty
    assert any(rect.contains(value_box) and _inside(rect, placed.cell) for rect in result.dirty)
    assert not any(rect == pygame.Rect(placed.cell) for rect in result.dirty)
    others = [p.cell for slot, p in painter.placed.items() if slot not in (tile, ticker)]
    assert not any(rect.colliderect(box) for rect in result.dirty for box in others)
    fresh = pygame.Surface(SIZE)
    BoardPainter(config).paint(view, fresh, page=0, phase=2 / 30)
    assert pygame.image.tobytes(surface, "RGB") == pygame.image.tobytes(fresh, "RGB")


def test_tiles_repainted_line_by_line_match_a_fresh_paint() -> None:
    """Values crossing levels, counting down a hold and going stale: after every pass, what a fresh paint gives.

    A tile whose colour and lines stay repaints only the lines whose words changed; one that changes colour, or
    gains or loses a line, is drawn whole. Either way the pixels and the words read back are a fresh paint's.
    """
    config, view, surface, painter = _painted()
    kpis = [(slot, s.metric) for slot, s in enumerate(painter.pages[0].widget) if s.type == "kpi" and s.metric]
    values = [0.0, 3.0, 12.0, 25.0, 7.0, 99.0, 55.5, 80.0, 91.0, 0.0, 64.0, 12.0]
    cells = [pygame.Rect(painter.placed[slot].cell) for slot, _ in kpis]
    lines = wholes = 0
    now = view.wall_now
    for step, value in enumerate(values):
        now += 1.0 if step != 6 else 3600.0  # an hour on: the tiles not updated then turn stale (drawn whole)
        for slot, metric in kpis[step % 3 :: 3]:
            sample_state(view).apply(Reading(metric, value + slot, now, now))
        moved = BoardView(**{**view.__dict__, "wall_now": now, "now": view.now + step + 1})
        for rect in painter.paint(moved, surface, page=0, phase=0.0).dirty:
            lines += any(cell.contains(rect) and rect != cell for cell in cells)
            wholes += rect in cells
        fresh_painter = BoardPainter(config)
        fresh = pygame.Surface(SIZE)
        fresh_painter.paint(moved, fresh, page=0, phase=0.0)
        assert pygame.image.tobytes(surface, "RGB") == pygame.image.tobytes(fresh, "RGB"), f"step {step}"
        for slot, _ in kpis:
            assert painter.placed[slot].words == fresh_painter.placed[slot].words
            assert painter.placed[slot].text == fresh_painter.placed[slot].text
    assert lines and wholes  # both ways were taken


def test_scrolled_ticker_matches_a_fresh_paint() -> None:
    """After many partial repaints the screen is pixel for pixel what a fresh paint of that moment gives."""
    config, view = _board()
    pygame.font.init()
    surface = pygame.Surface(SIZE)
    painter = BoardPainter(config)
    for step in range(0, 200, 7):
        painter.paint(view, surface, page=0, phase=step / 30)
    fresh = pygame.Surface(SIZE)
    BoardPainter(config).paint(view, fresh, page=0, phase=196 / 30)  # the last step above
    assert pygame.image.tobytes(surface, "RGB") == pygame.image.tobytes(fresh, "RGB")


def test_text_cache_stays_within_its_byte_budget() -> None:
    """Thousands of distinct values at tile size leave the cache within its byte budget, newest kept."""
    pygame.font.init()
    fonts = FontBook(text_budget=4 * 1024 * 1024)
    for n in range(3000):
        fonts.text(f"{n / 7:.1f}%", 200, (255, 255, 255))
        assert fonts.text_bytes <= fonts.text_budget
    assert fonts.renders == 3000
    fonts.text(f"{2999 / 7:.1f}%", 200, (255, 255, 255))
    assert fonts.renders == 3000  # the newest is still cached


def test_a_tile_is_worked_out_again_only_when_a_metric_it_reads_changes() -> None:
    """A new queue figure reworks the tiles that read it, not its siblings; the picture stays a fresh paint's."""
    config, view, surface, painter = _painted()
    tiles = {s.metric: w for s, w in zip(painter.pages[0].widget, painter.widgets[0], strict=True) if s.type == "kpi"}
    service_level, calls_waiting = tiles["sales.service_level_pct"], tiles["sales.calls_waiting"]
    assert isinstance(service_level, KpiTile) and isinstance(calls_waiting, KpiTile)
    assert tile_reads("sales.service_level_pct") == ("sales.service_level_pct", "sales.period_start")
    assert tile_reads("sales.agents_required")[2:] == ("sales.agents_required", "sales.staffing_gap")
    now = view.wall_now
    steps = [("sales.calls_waiting", 31.0, False), ("sales.period_start", now - 3600.0, True)]
    for step, (metric, value, reworked) in enumerate(steps, start=1):
        before, sibling = service_level._texts_now, calls_waiting._texts_now
        sample_state(view).apply(Reading(metric, value, now, now))
        moved = BoardView(**{**view.__dict__, "now": view.now + step})
        painter.paint(moved, surface, page=0, phase=0.0)
        assert (service_level._texts_now is not before) is reworked, metric
        assert calls_waiting._texts_now is not sibling, metric  # its own value, then the period every tile reads
        fresh = pygame.Surface(SIZE)
        BoardPainter(config).paint(moved, fresh, page=0, phase=0.0)
        assert pygame.image.tobytes(surface, "RGB") == pygame.image.tobytes(fresh, "RGB"), metric
