"""Screenshots on request over a real mosquitto: a PNG of the screen, scaled and size-capped."""

from __future__ import annotations

import threading
from pathlib import Path

from tests.broker import Mosquitto
from tests.conftest import board_toml
from tests.helpers import WriteConfig, step_until
from tests.ops_support import FakeDisplay, png_size
from wallboard.app.loop.board import Board
from wallboard.app.loop.compose import compose_board, no_outputs
from wallboard.app.tools.fleet import fetch_screenshot
from wallboard.app.tools.mqtt_client import ToolClient
from wallboard.device.config.reading import load_config
from wallboard.device.core.values import LinkStatus
from wallboard.device.core.view import BoardOutput
from wallboard.ops.screenshot import ScreenshotResponder


def _fetch_while_stepping(board: Board, port: int, out: Path, max_width: int) -> str | None:
    """Run ``wallboard fleet --screenshot``'s fetch on a thread while this thread drives the board."""
    client = ToolClient("127.0.0.1", port)
    client.connect()
    result: list[str | None] = []
    worker = threading.Thread(
        target=lambda: result.append(fetch_screenshot(client, "lab", "b1", out, max_width=max_width, timeout=8))
    )
    worker.start()
    try:
        step_until(board, lambda: not worker.is_alive(), timeout=15, what="the screenshot answer")
    finally:
        worker.join(10)
        client.close()
    return result[0]


def _board_with(outputs: list[BoardOutput], port: int, config: Path) -> Board:
    board = compose_board(load_config(config), outputs=no_outputs)
    board.outputs.extend(outputs)
    board.outputs.append(ScreenshotResponder(board.source, board.topics, board.outputs))
    board.start()
    step_until(board, lambda: board.state.link.status is LinkStatus.UP, what="link up")
    return board


def test_a_screenshot_request_is_answered_with_a_scaled_png(
    mosquitto: Mosquitto, tmp_path: Path, write_config: WriteConfig
) -> None:
    """The fetched file is a PNG no wider than asked for, from the display's own snapshot."""
    display = FakeDisplay()
    board = _board_with([display], mosquitto.port, write_config(board_toml(mosquitto.port, tmp_path / "state")))
    try:
        error = _fetch_while_stepping(board, mosquitto.port, tmp_path / "shot.png", max_width=480)
    finally:
        board.close()
    assert error is None
    assert png_size((tmp_path / "shot.png").read_bytes()) == (480, 270)
    assert display.snapshot_widths == [480]


def test_a_board_without_a_display_answers_with_an_error(
    mosquitto: Mosquitto, tmp_path: Path, write_config: WriteConfig
) -> None:
    """With no display the request gets an error answer at once, not a timeout."""
    board = _board_with([], mosquitto.port, write_config(board_toml(mosquitto.port, tmp_path / "state")))
    try:
        error = _fetch_while_stepping(board, mosquitto.port, tmp_path / "shot.png", max_width=480)
    finally:
        board.close()
    assert error is not None and "no display" in error
    assert not (tmp_path / "shot.png").exists()


def test_a_screenshot_of_the_real_display_shows_the_current_frame(
    mosquitto: Mosquitto, tmp_path: Path, write_config: WriteConfig
) -> None:
    """With the pygame display (SDL offscreen), the PNG over MQTT decodes to the frame on screen, scaled."""
    import pygame

    from wallboard.display.screen import DisplayOutput

    config = write_config(board_toml(mosquitto.port, tmp_path / "state"))
    display = DisplayOutput(load_config(config).config, size=(1280, 720), fullscreen=False)
    board = _board_with([display], mosquitto.port, config)
    try:
        step_until(board, lambda: display.frames_drawn >= 1, what="first frame")
        error = _fetch_while_stepping(board, mosquitto.port, tmp_path / "shot.png", max_width=640)
        assert error is None
        data = (tmp_path / "shot.png").read_bytes()
        assert png_size(data) == (640, 360)
        fetched = pygame.image.load(str(tmp_path / "shot.png"))
        expected = pygame.transform.smoothscale(display.screen, (640, 360))
        got, want = pygame.image.tobytes(fetched, "RGB"), pygame.image.tobytes(expected, "RGB")
        difference = sum(abs(a - b) for a, b in zip(got[::97], want[::97], strict=True)) / len(got[::97])
        assert difference < 8, f"the screenshot differs from the screen by {difference:.1f} per channel"
    finally:
        board.close()
