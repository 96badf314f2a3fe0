"""Remote config over MQTT: a valid config is applied without a restart, an invalid one is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.broker import Mosquitto
from tests.conftest import board_toml
from tests.display_helpers import KPI_PAGE, rgb
from tests.helpers import WriteConfig, step_until
from tests.ops_support import Inbox, reporting_board, status_inbox, status_where
from wallboard.app.loop.board import Board
from wallboard.app.loop.compose import compose_board, no_outputs
from wallboard.device.config.reading import load_config
from wallboard.device.config.remote import check_remote_config
from wallboard.device.core.values import LinkStatus
from wallboard.device.core.view import BoardView
from wallboard.device.edge.source import FakeSource
from wallboard.device.errors import ConfigError
from wallboard.display.logic.theme import DARK, LIGHT
from wallboard.display.screen import DisplayOutput

CONFIG_TOPIC = "wallboard/lab/b1/config"
SCREEN = '[display]\nsize = "640x360"\nfullscreen = false\n'
REMOTE = """
[site]
id = "lab"
[board]
id = "b1"
name = "Configured over MQTT"
[[topic]]
topic = "pbx/lab/waiting"
metric = "sales.calls_waiting"
[[rule]]
metric = "sales.calls_waiting"
warn_above = 5
critical_above = 10
"""


@pytest.fixture
def board(mosquitto: Mosquitto, tmp_path: Path, write_config: WriteConfig) -> Iterator[Board]:
    """A started board with a health publisher, connected to the test broker."""
    with reporting_board(load_config(write_config(board_toml(mosquitto.port, tmp_path / "state")))) as board:
        yield board


@pytest.fixture
def inbox(mosquitto: Mosquitto) -> Iterator[Inbox]:
    """The board's status messages as they reach another client of the broker."""
    with status_inbox(mosquitto.port) as inbox:
        yield inbox


def test_a_remote_config_is_applied_without_a_restart(mosquitto: Mosquitto, board: Board, inbox: Inbox) -> None:
    """A retained config brings new rules and a new topic mapping, is cached as last good, and is reported."""
    before = board.loaded.checksum
    mosquitto.publish(CONFIG_TOPIC, REMOTE, retain=True)
    status = status_where(board, inbox, lambda d: (d.get("remote_config") or {}).get("result") == "applied", "applied")
    assert board.loaded.checksum != before
    assert status["config_checksum"] == board.loaded.checksum == status["remote_config"]["checksum"]
    assert board.config.board.name == "Configured over MQTT"
    assert board.config.mqtt.port == mosquitto.port  # [mqtt] left out: the running connection is kept
    cached = board.cache.load_config()
    assert cached is not None and cached.checksum == board.loaded.checksum

    # The new mapping is subscribed and the new rule judges it, all in the same process.
    mosquitto.publish("pbx/lab/waiting", "12")
    step_until(board, lambda: board.assessment.severity_of("sales.calls_waiting") is not None, what="rule")
    step_until(board, lambda: board.assessment.board.label == "critical", what="critical from the new rule")


def test_an_invalid_remote_config_is_rejected_and_the_running_one_kept(
    mosquitto: Mosquitto, board: Board, inbox: Inbox
) -> None:
    """A config with a typo is refused with the key named in the status; rules and checksum stay as they were."""
    before = board.loaded
    broken = REMOTE.replace("warn_above = 5", 'warn_abov = 5\ncritical_below = "eighty"')
    mosquitto.publish(CONFIG_TOPIC, broken, retain=True)
    status = status_where(
        board, inbox, lambda d: (d.get("remote_config") or {}).get("result") == "rejected", "rejected"
    )
    problems = "\n".join(status["remote_config"]["problems"])
    assert "rule[1].warn_abov: unknown key" in problems
    assert CONFIG_TOPIC in problems
    assert board.loaded is before and status["config_checksum"] == before.checksum
    assert board.config.rule == []
    cached = board.cache.load_config()
    assert cached is not None and cached.checksum == before.checksum


def test_a_remote_config_for_another_board_is_rejected(board: Board) -> None:
    """The ids in a remote config must be the board's own: the topic names the board."""
    with pytest.raises(ConfigError) as caught:
        check_remote_config(REMOTE.replace('id = "b1"', 'id = "b2"'), board.loaded, name=CONFIG_TOPIC)
    assert caught.value.problems == [f'{CONFIG_TOPIC}: board.id: expected "b1" (this board), got "b2"']


def test_a_remote_config_may_not_move_the_broker(board: Board) -> None:
    """Changing [mqtt] over MQTT is refused: a typo there would cut the board off from its own fix."""
    with pytest.raises(ConfigError) as caught:
        check_remote_config(REMOTE + '\n[mqtt]\nhost = "elsewhere.example"\n', board.loaded, name=CONFIG_TOPIC)
    assert "mqtt: cannot be changed over MQTT" in caught.value.problems[0]


def test_a_config_received_again_is_unchanged(mosquitto: Mosquitto, board: Board, inbox: Inbox) -> None:
    """The same retained config delivered twice (a reconnect) is reported unchanged, not applied again."""
    mosquitto.publish(CONFIG_TOPIC, REMOTE, retain=True)
    status_where(board, inbox, lambda d: (d.get("remote_config") or {}).get("result") == "applied", "applied")
    mosquitto.publish(CONFIG_TOPIC, REMOTE, retain=True)
    status_where(board, inbox, lambda d: (d.get("remote_config") or {}).get("result") == "unchanged", "unchanged")


def _fake_board(write_config: WriteConfig, tmp_path: Path, extra: str = "") -> tuple[Board, FakeSource]:
    source = FakeSource()
    board = compose_board(
        load_config(write_config(board_toml(1883, tmp_path / "state", extra))), source=source, outputs=no_outputs
    )
    board.start()
    source.link(LinkStatus.UP)
    return board, source


@pytest.mark.parametrize(
    ("change", "refused"),
    [
        ('[health]\nsysfs = "/etc"', "health.sysfs: cannot be changed over MQTT: a path on the board's disk"),
        ('[display]\nfont = "/etc/passwd"', "display.font: cannot be changed over MQTT: a path on the board's disk"),
        ('[signals]\nbackend = "adafruit-tower"\n[signals.tower]\nport = "/dev/ttyUSB9"', "signals: cannot be"),
        ('[cache]\ndir = "/tmp/elsewhere"', "cache: cannot be changed over MQTT: a path on the board's disk"),
        ('[display]\nsize = "800x600"', "display.size: cannot be changed over MQTT: the screen mode is set"),
    ],
)
def test_keys_outside_the_allow_list_are_refused_with_the_reason(
    write_config: WriteConfig, tmp_path: Path, change: str, refused: str
) -> None:
    """Paths, the cache, the screen mode and the signal hardware are refused remotely, naming the key and why."""
    board, source = _fake_board(write_config, tmp_path)
    try:
        before = board.loaded
        source.deliver(CONFIG_TOPIC, REMOTE + change)
        board.step()
        outcome = board.config_outcome
        assert outcome is not None and outcome.result == "rejected"
        assert any(refused in problem for problem in outcome.problems), outcome.problems
        assert board.loaded is before
    finally:
        board.close()


def test_left_out_fixed_keys_keep_the_running_values(write_config: WriteConfig, tmp_path: Path) -> None:
    """A remote config without [health] keeps the file's sysfs path, while its allowed keys apply."""
    board, source = _fake_board(write_config, tmp_path, '[health]\nsysfs = "/srv/fake-sys"')
    try:
        source.deliver(CONFIG_TOPIC, REMOTE + '[health]\ninterval = "7s"\n')
        board.step()
        assert board.config_outcome is not None and board.config_outcome.result == "applied"
        assert (board.config.health.sysfs, board.config.health.interval) == ("/srv/fake-sys", 7.0)
    finally:
        board.close()


def test_a_new_theme_reaches_the_screen(write_config: WriteConfig, tmp_path: Path) -> None:
    """A remote config switching to the light theme repaints the real (offscreen) screen in it."""
    board, source = _fake_board(write_config, tmp_path, KPI_PAGE.replace("[display]\n", SCREEN))
    screen = DisplayOutput(board.config)
    board.outputs.append(screen)
    try:
        board.step()
        point = (3, screen.size[1] // 2)
        assert rgb(screen.screen, point) == DARK.background
        remote = REMOTE + KPI_PAGE.replace("[display]\n", SCREEN + 'theme = "light"\n')
        source.deliver(CONFIG_TOPIC, remote)
        board.step()
        assert board.config_outcome is not None and board.config_outcome.result == "applied"
        assert screen.config.display.theme == "light"
        assert rgb(screen.screen, point) == LIGHT.background
    finally:
        board.close()


class RefusingOutput:
    """An output that cannot take any new config."""

    def render(self, view: BoardView) -> float:
        return 1.0

    def reconfigure(self, config: object) -> None:
        raise ValueError("cannot reopen the device")

    def close(self) -> None:
        return None


def test_a_config_an_output_cannot_take_is_refused_whole(write_config: WriteConfig, tmp_path: Path) -> None:
    """If one output refuses the new config, nothing of it is applied and the status names the output."""
    board, source = _fake_board(write_config, tmp_path)
    board.outputs.append(RefusingOutput())
    try:
        before = board.loaded
        source.deliver(CONFIG_TOPIC, REMOTE)
        board.step()
        outcome = board.config_outcome
        assert outcome is not None and outcome.result == "rejected"
        assert "output RefusingOutput could not take it" in outcome.problems[0]
        assert board.loaded is before and board.config.rule == [] and board.ingest.config_topic == CONFIG_TOPIC
        cached = board.cache.load_config()
        assert cached is not None and cached.checksum == before.checksum
    finally:
        board.close()
