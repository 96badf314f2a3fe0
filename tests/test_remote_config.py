"""Remote config over MQTT: a valid config is applied without a restart, an invalid one is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.broker import Mosquitto
from tests.conftest import board_toml
from tests.helpers import WriteConfig, step_until
from tests.ops_support import Inbox, status_where
from wallboard.device.config.loader import load_config
from wallboard.device.config.remote import check_remote_config
from wallboard.device.core.state import LinkStatus
from wallboard.device.errors import ConfigError
from wallboard.device.loop.board import Board
from wallboard.device.ops.health import HealthPublisher
from wallboard.device.tools.mqtt_client import ToolClient

CONFIG_TOPIC = "wallboard/lab/b1/config"
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
    board = Board(load_config(write_config(board_toml(mosquitto.port, tmp_path / "state"))))
    board.outputs.append(HealthPublisher(board.source, board.topics, board.outputs))
    board.start()
    try:
        step_until(board, lambda: board.state.link.status is LinkStatus.UP, what="link up")
        yield board
    finally:
        board.close()


@pytest.fixture
def inbox(mosquitto: Mosquitto) -> Iterator[Inbox]:
    client = ToolClient("127.0.0.1", mosquitto.port)
    client.connect()
    client.subscribe("wallboard/lab/b1/status")
    try:
        yield Inbox(client)
    finally:
        client.close()


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
