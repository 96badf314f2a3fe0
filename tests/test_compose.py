"""The composition root: ``compose_board`` builds a whole board, and its outputs get ports, never the Board."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import board_toml
from wallboard.app.loop.board import Board
from wallboard.app.loop.compose import BoardPorts, build_outputs, compose_board
from wallboard.device.config.reading import load_config_text
from wallboard.device.core.view import BoardOutput
from wallboard.device.edge.cache import Cache
from wallboard.device.edge.source import FakeSource
from wallboard.device.wire.topics import BoardTopics
from wallboard.display.screen import DisplayOutput
from wallboard.firmware_bridge.signals import SignalOutput
from wallboard.ops.health import HealthPublisher
from wallboard.ops.screenshot import ScreenshotResponder
from wallboard.ops.state_log import StateLog
from wallboard.ops.systemd import SystemdOutput


def test_the_production_board_has_every_output_in_drawing_order(tmp_path: Path) -> None:
    """compose_board with the defaults: screen, signals, state log, screenshots, health, systemd, in that order."""
    loaded = load_config_text(board_toml(1883, tmp_path))
    board = compose_board(loaded, source=FakeSource(), cache=Cache(tmp_path / "cache.db"))
    try:
        kinds = [type(output) for output in board.outputs]
        assert kinds == [DisplayOutput, SignalOutput, StateLog, ScreenshotResponder, HealthPublisher, SystemdOutput]
    finally:
        board.close()


def test_outputs_get_ports_and_an_acknowledge_reaches_the_board(tmp_path: Path) -> None:
    """The factory gets BoardPorts (not the Board); its acknowledge callback lands in the board's state."""
    seen: list[BoardPorts] = []

    def outputs(ports: BoardPorts) -> list[BoardOutput]:
        seen.append(ports)
        return []

    source = FakeSource()
    board = compose_board(load_config_text(board_toml(1883, tmp_path)), source=source, outputs=outputs)
    try:
        (ports,) = seen
        assert not isinstance(ports, Board)
        assert ports.publisher is source
        assert ports.topics.status == "wallboard/lab/b1/status"
        board.start()
        ports.acknowledge("button")
        board.step()
        assert board.state.acknowledgements == 1
    finally:
        board.close()


def test_build_outputs_takes_only_ports(tmp_path: Path) -> None:
    """The production factory builds from ports alone: a board need not exist yet."""
    loaded = load_config_text(board_toml(1883, tmp_path))
    config = loaded.config
    pressed: list[str] = []
    ports = BoardPorts(config, FakeSource(), BoardTopics(config.site.id, config.board.id), pressed.append)
    built = build_outputs(ports)
    try:
        assert len(built) == 6
    finally:
        for output in reversed(built):
            output.close()
