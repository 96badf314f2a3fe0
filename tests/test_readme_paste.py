"""The README's wire examples pasted through mosquitto_pub into a running board show live; an old ts is explained."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from tests.broker import Mosquitto
from tests.conftest import board_toml
from tests.display_helpers import background_probe, rgb
from tests.helpers import WriteConfig, step_until
from wallboard.app.loop.board import Board
from wallboard.app.loop.compose import compose_board, no_outputs
from wallboard.device.config.reading import load_config
from wallboard.device.core.values import LinkStatus
from wallboard.display.logic.theme import DARK, TileState
from wallboard.display.screen import DisplayOutput

README = Path(__file__).resolve().parent.parent / "README.md"
EXAMPLE = re.compile(r"topic: `(?P<topic>[^`]+)`\n```json\n(?P<payload>.*?)```", re.S)
PAGE = """
[display]
size = "1280x720"
fullscreen = false
[[display.page]]
columns = 3
rows = 2
widget = [
    { type = "kpi", metric = "sales.calls_waiting", at = [1, 1] },
    { type = "kpi", metric = "sales.service_level_pct", at = [2, 1] },
    { type = "kpi", metric = "billing.service_level_pct", at = [3, 1] },
    { type = "agents", queue = "sales", at = [1, 2] },
    { type = "leaderboard", at = [2, 2] },
    { type = "ticker", at = [3, 2] },
]
[[rule]]
metric = "sales.service_level_pct"
warn_below = 80
critical_below = 70
"""


def _board(tmp_path: Path, write_config: WriteConfig, port: int) -> tuple[Board, DisplayOutput]:
    text = board_toml(port, tmp_path / "state", PAGE, site="london", board="floor1")
    board = compose_board(load_config(write_config(text)), outputs=no_outputs)
    screen = DisplayOutput(board.config)
    board.outputs.append(screen)
    return board, screen


def test_pasted_readme_examples_show_live_on_the_screen(
    mosquitto: Mosquitto, tmp_path: Path, write_config: WriteConfig
) -> None:
    """Every README example through mosquitto_pub: every widget fresh, no STALE word, the strip says LIVE."""
    examples = list(EXAMPLE.finditer(README.read_text()))
    assert len(examples) >= 4
    board, screen = _board(tmp_path, write_config, mosquitto.port)
    board.start()
    try:
        step_until(board, lambda: board.state.link.status is LinkStatus.UP, what="link up")
        for example in examples:
            assert '"ts"' not in example["payload"], "README examples must not carry a fixed past ts"
            mosquitto.publish(example["topic"], example["payload"])
        step_until(
            board,
            lambda: (
                board.state.value("billing.service_level_pct") is not None
                and board.state.leaderboard is not None
                and bool(board.state.announcements())
            ),
            what="every example applied",
        )
        board.step()
        painter = screen.painter
        words = [w for placed in painter.placed.values() for w in placed.words]
        assert not any("STALE" in w or "OFFLINE" in w for w in words), words
        assert "7" in painter.placed[0].words
        assert "78.5%" in painter.placed[1].words
        assert "80.0%" in painter.placed[2].words  # 96 of 120 answered within target
        assert any(w.startswith("\u25cf LIVE") for w in painter.chrome["strip"].words)
        for slot in (0, 1, 2):
            assert (
                rgb(screen.screen, background_probe(painter.placed[slot].cell)) != DARK.tile(TileState.STALE).background
            )
        assert board.late.summary().count == 0
    finally:
        board.close()


def test_an_example_with_a_year_old_ts_is_counted_and_explained(
    mosquitto: Mosquitto, tmp_path: Path, write_config: WriteConfig, caplog: pytest.LogCaptureFixture
) -> None:
    """A ts 366 days behind: shown STALE, counted, and logged as "publisher clock behind by 366 days?"."""
    caplog.set_level(logging.WARNING, logger="wallboard.device.edge.ingest")
    board, screen = _board(tmp_path, write_config, mosquitto.port)
    board.start()
    try:
        step_until(board, lambda: board.state.link.status is LinkStatus.UP, what="link up")
        ts = board._wall_clock() - 366 * 86400
        mosquitto.publish("cc/london/queue/sales", json.dumps({"ts": ts, "calls_waiting": 7}))
        step_until(board, lambda: board.state.value("sales.calls_waiting") is not None, what="the old value")
        board.step()
        assert board.late.summary().count == 1
        assert "publisher clock behind by 366 days?" in board.late.summary().last
        assert any("publisher clock behind by 366 days?" in r.getMessage() for r in caplog.records)
        assert any(w.startswith("STALE \u00b7 366d old") for w in screen.painter.placed[0].words)
    finally:
        board.close()
