"""The screen output driving a real Board: the OFFLINE banner with a real broker, cached values after a reboot."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pygame

from tests.broker import Mosquitto, free_port
from tests.conftest import board_toml
from tests.display_helpers import KPI_PAGE, background_probe, rgb
from tests.helpers import WriteConfig, step_until
from wallboard.app.loop.board import Board
from wallboard.app.loop.compose import compose_board, no_outputs
from wallboard.device.config.reading import load_config
from wallboard.device.core.values import LinkStatus, MetricValue
from wallboard.device.edge.cache import CACHE_FILE, Cache
from wallboard.display.logic.layout import screen_layout
from wallboard.display.logic.theme import DARK, TileState
from wallboard.display.screen import DisplayOutput

SIZE = (1280, 720)
DISPLAY = KPI_PAGE.replace("[display]\n", '[display]\nsize = "1280x720"\nfullscreen = false\n')


def _board_with_screen(path: Path) -> tuple[Board, DisplayOutput]:
    board = compose_board(load_config(path), outputs=no_outputs)
    screen = DisplayOutput(board.config)
    board.outputs.append(screen)
    return board, screen


def _banner_point() -> tuple[int, int]:
    banner = screen_layout(*SIZE, strip=True, banner=True).banner
    assert banner is not None
    return (banner[0] + 6, banner[1] + banner[3] // 2)


def test_offline_banner_while_broker_is_down_and_gone_after_reconnect(
    mosquitto: Mosquitto, tmp_path: Path, write_config: WriteConfig
) -> None:
    """Killing the broker puts the OFFLINE banner on screen and greys the tiles; reconnecting takes it away."""
    board, screen = _board_with_screen(write_config(board_toml(mosquitto.port, tmp_path / "state", DISPLAY)))
    board.start()
    try:
        step_until(board, lambda: board.state.link.status is LinkStatus.UP, what="link up")
        mosquitto.publish("cc/lab/queue/sales", json.dumps({"service_level_pct": 90.0}))
        step_until(board, lambda: board.state.value("sales.service_level_pct") is not None, what="a value")
        board.step()
        tile = screen.painter.placed[0].cell
        assert screen.painter.chrome.get("banner") is None
        assert rgb(screen.screen, background_probe(tile)) == DARK.tile(TileState.NORMAL).background

        mosquitto.stop()
        step_until(board, lambda: board.state.link.status is LinkStatus.DOWN, timeout=15, what="link down")
        board.step()
        assert rgb(screen.screen, _banner_point()) == DARK.banner
        banner_words = screen.painter.chrome["banner"].words
        assert banner_words[0].startswith("OFFLINE \u2014 last data ")
        tile = screen.painter.placed[0].cell
        assert rgb(screen.screen, background_probe(tile)) == DARK.tile(TileState.STALE).background

        mosquitto.start()
        step_until(board, lambda: board.state.link.status is LinkStatus.UP, timeout=15, what="link back up")
        board.step()
        assert "banner" not in screen.painter.chrome
        assert rgb(screen.screen, _banner_point()) != DARK.banner
        assert screen.frames_drawn >= 3
    finally:
        board.close()


def test_cached_values_are_drawn_stale_in_the_first_frame_after_a_reboot(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    """With no network, the first frame shows the cached value greyed with its age, under the banner."""
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    cache = Cache(state_dir / CACHE_FILE)
    measured = time.time() - 600
    cache.stage("sales.service_level_pct", MetricValue(91.5, measured, measured), (measured, 91.5))
    cache.flush(force=True)
    cache.close()
    dead_port = free_port()  # nothing listens: the network is not there
    board, screen = _board_with_screen(write_config(board_toml(dead_port, state_dir, DISPLAY)))
    board.start()
    try:
        board.step()
        assert screen.frames_drawn == 1
        tile = screen.painter.placed[0]
        assert rgb(screen.screen, background_probe(tile.cell)) == DARK.tile(TileState.STALE).background
        assert "91.5%" in tile.words
        assert any(word.endswith("10m old") for word in tile.words)
        assert rgb(screen.screen, _banner_point()) == DARK.banner
    finally:
        board.close()


def test_snapshot_png_is_scaled_and_bounded(tmp_path: Path, write_config: WriteConfig) -> None:
    """snapshot_png returns a PNG no wider than asked and no bigger than max_bytes."""
    import io

    board, screen = _board_with_screen(write_config(board_toml(free_port(), tmp_path / "state", DISPLAY)))
    try:
        board.step()
        data = screen.snapshot_png(max_width=640, max_bytes=60_000)
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) <= 60_000
        image = pygame.image.load(io.BytesIO(data), "snapshot.png")
        assert image.get_width() <= 640
        assert isinstance(screen.fps, float)
    finally:
        board.close()
