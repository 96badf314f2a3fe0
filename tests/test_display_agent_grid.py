"""The agent status grid: feed rows in through ingest, drawn with a colour and a word per state, paged, stale."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pygame

from tests.display_helpers import rgb, view_of
from wallboard.device.config.reading import load_config_text
from wallboard.device.core.rejections import RejectionCounter
from wallboard.device.core.state import BoardState
from wallboard.device.core.updates import AgentStatusBoard
from wallboard.device.edge.ingest import Ingest
from wallboard.device.wire.payloads import AgentRow, AgentStatusPayload
from wallboard.display.logic.theme import TileState

NOW = 1_763_800_000.0
GRID = """
[site]
id = "london"
[board]
id = "grid"
[display.burn_in]
shift_pixels = 0
[[display.page]]
columns = 1
rows = 1
widget = [{ type = "agent_grid", rows = 4, label = "Sales agents" }]
"""

AGENTS: list[dict[str, Any]] = [
    {"name": "Asha", "state": "on_call", "in_state_s": 313, "calls_today": 14},
    {"name": "Ben", "state": "available", "in_state_s": 48, "calls_today": 11},
    {"name": "Carmen", "state": "ringing", "in_state_s": 15, "calls_today": 9, "ring_no_answer": True},
    {"name": "Dev", "state": "away", "in_state_s": 903, "reason": "Lunch", "calls_today": 6},
    {"name": "Ewa", "state": "wrap", "in_state_s": 43},
]


def _paint(sample: dict[str, Any], phase: float = 0.0) -> tuple[pygame.Surface, list[str], Any]:
    config = load_config_text(GRID).config
    view = view_of(config, sample)
    pygame.font.init()
    surface = pygame.Surface((1920, 1080))
    from wallboard.display.draw.painter import BoardPainter

    painter = BoardPainter(config)
    painter.paint(view, surface, page=0, phase=phase)
    return surface, painter.placed[0].words, painter


def test_feed_rows_pass_through_ingest_with_the_shared_type() -> None:
    """A feed's AgentStatusPayload decodes into the board's agent rows; an unknown state is rejected and counted."""
    config = load_config_text(GRID).config
    counter = RejectionCounter()
    ingest = Ingest(config, counter, clock=lambda: NOW)
    state = BoardState(config, counter, clock=lambda: NOW)
    payload = AgentStatusPayload(
        ts=NOW - 2,
        agents=[AgentRow(name="Asha", state="on_call", state_since=NOW - 60, calls_today=3, ring_no_answer=None)],
    )
    state.apply_all(ingest.decode("cc/london/agent_status", msgspec.json.encode(payload), NOW))
    board = state.agent_status
    assert isinstance(board, AgentStatusBoard) and board.measured_at == NOW - 2
    assert board.rows[0].name == "Asha" and board.rows[0].calls_today == 3 and not board.rows[0].ring_no_answer
    assert ingest.decode("cc/london/agent_status", b'{"ts": 1, "agents": [{"name": "X", "state": "napping"}]}') == []
    assert sum(counter.counts().values()) == 1
    assert "cc/london/agent_status" in ingest.subscriptions()


def test_rows_show_state_time_reason_and_calls_with_a_loud_no_answer() -> None:
    """Each row says its state in words; the ring-no-answer row is the critical red and says NO ANSWER."""
    surface, words, painter = _paint({"agent_status": {"agents": AGENTS[:4]}})
    for expected in ("Sales agents", "Asha", "On call", "5:13", "14", "Available", "NO ANSWER", "Lunch", "15:03"):
        assert expected in words, (expected, words)
    theme = painter.theme
    cell = painter.placed[0].cell
    row_h = (cell[3] - 2 * round(cell[3] * 0.03)) // 5
    carmen_y = cell[1] + round(cell[3] * 0.03) + row_h * 3 + row_h // 2
    assert rgb(surface, (cell[0] + cell[2] // 2, carmen_y)) == theme.tile(TileState.CRITICAL).background


def test_a_long_roster_is_paged() -> None:
    """Five agents at four a page: page 1/2 first, the fifth agent on page 2 after PAGE_SECONDS."""
    _, first, _ = _paint({"agent_status": {"agents": AGENTS}}, phase=0.0)
    _, second, _ = _paint({"agent_status": {"agents": AGENTS}}, phase=8.5)
    assert "Sales agents \u00b7 page 1/2" in first and "Ewa" not in first
    assert "Sales agents \u00b7 page 2/2" in second and "Ewa" in second and "Asha" not in second


def test_old_rows_are_greyed_with_their_age() -> None:
    """Rows older than default_stale_after are drawn grey and the title says not live with their age."""
    surface, words, painter = _paint({"agent_status": {"age_s": 600, "agents": AGENTS[:2]}})
    assert any("not live" in word and "10" in word for word in words), words
    cell = painter.placed[0].cell
    row_h = (cell[3] - 2 * round(cell[3] * 0.03)) // 5
    asha_y = cell[1] + round(cell[3] * 0.03) + row_h + row_h // 2
    assert rgb(surface, (cell[0] + cell[2] // 2, asha_y)) == painter.theme.tile(TileState.STALE).background


def test_preview_renders_the_grid(tmp_path: Path) -> None:
    """``wallboard preview`` draws an agent_grid page from sample data to a PNG."""
    from wallboard.display.preview.preview import render_preview

    (tmp_path / "sample.json").write_text(msgspec.json.encode({"agent_status": {"agents": AGENTS}}).decode())
    out = render_preview(load_config_text(GRID).config, tmp_path / "sample.json", tmp_path / "grid.png", (1280, 720))
    assert Path(out).stat().st_size > 1000
