"""A config change keeps the floor's state: severity, a running hold and the acknowledgement survive a remote config
that leaves a rule's metric and levels alone; a rule with new levels starts fresh and the state log says so."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.broker import Mosquitto
from tests.conftest import board_toml
from tests.helpers import WriteConfig, run_for, step_until
from wallboard.app.loop.board import Board
from wallboard.app.loop.compose import compose_board, no_outputs
from wallboard.device.config.reading import load_config
from wallboard.device.core.rules import Severity
from wallboard.device.core.values import LinkStatus
from wallboard.firmware_bridge.fakes import RecordingSound, RecordingStackLight
from wallboard.firmware_bridge.lights import LampMode
from wallboard.firmware_bridge.signals import SignalOutput
from wallboard.ops.state_log import StateLog

CONFIG_TOPIC = "wallboard/lab/b1/config"
WAIT = "sales.longest_wait_s"


def _rules(hold: str, warn_above: int = 60) -> str:
    return f"""
[[rule]]
metric = "{WAIT}"
warn_above = {warn_above}
critical_above = 120
hold = "{hold}"
"""


def _remote(name: str, hold: str, warn_above: int = 60) -> str:
    """A remote config for lab/b1: a new board name, the given rule."""
    return f'[site]\nid = "lab"\n[board]\nid = "b1"\nname = "{name}"\n' + _rules(hold, warn_above)


@dataclass
class Floor:
    """A board on the test broker with recording signals and the state log."""

    board: Board
    light: RecordingStackLight
    sound: RecordingSound
    signals: SignalOutput

    def chimes(self) -> list[str]:
        return [name for _, name in self.sound.played]


MakeFloor = Callable[[str], Floor]


@pytest.fixture
def floor_for(mosquitto: Mosquitto, tmp_path: Path, write_config: WriteConfig) -> Iterator[MakeFloor]:
    """Build boards (each with its rule's hold) on the test broker; close them after the test."""
    boards: list[Board] = []

    def make(hold: str) -> Floor:
        text = board_toml(mosquitto.port, tmp_path / "state", _rules(hold))
        text = text.replace('id = "b1"', 'id = "b1"\nname = "Floor 1"')
        board = compose_board(load_config(write_config(text)), outputs=no_outputs)
        light, sound = RecordingStackLight(), RecordingSound()
        signals = SignalOutput(board.config.signals, light, sound, startup_quiet=0)
        board.outputs += [signals, StateLog()]
        board.start()
        boards.append(board)
        step_until(board, lambda: board.state.link.status is LinkStatus.UP, what="link up")
        return Floor(board, light, sound, signals)

    yield make
    for board in boards:
        board.close()


def _apply(mosquitto: Mosquitto, board: Board, text: str) -> None:
    before = board.loaded.checksum
    mosquitto.publish(CONFIG_TOPIC, text, retain=True)
    step_until(board, lambda: board.loaded.checksum != before, what="the remote config applied")
    assert board.config_outcome is not None and board.config_outcome.result == "applied"


def test_a_rename_only_remote_config_keeps_an_acknowledged_alarm_acknowledged(
    mosquitto: Mosquitto, floor_for: MakeFloor, caplog: pytest.LogCaptureFixture
) -> None:
    """95 s wait (warn), acked over MQTT, then a config that only renames the board: no second chime, no green."""
    caplog.set_level(logging.INFO)
    floor = floor_for("1s")
    board = floor.board
    mosquitto.publish("cc/lab/queue/sales", json.dumps({"longest_wait_s": 95}))
    step_until(board, lambda: floor.chimes() == ["blind", "warn"], what="the warn chime")
    mosquitto.publish("wallboard/lab/b1/ack", "{}")
    step_until(board, lambda: floor.signals.policy is not None and floor.signals.policy.silenced, what="the ack")
    lights_at_ack = len(floor.light.history)

    _apply(mosquitto, board, _remote("Floor 1 - Sales", "1s"))
    assert board.config.board.name == "Floor 1 - Sales"
    run_for(board, 2.5)  # past the rule's hold: a rule started afresh would have alarmed again by now

    assert floor.chimes() == ["blind", "warn"]  # the chime sounded once
    assert floor.signals.policy is not None and floor.signals.policy.silenced
    assert board.assessment.severity_of(WAIT) is Severity.WARN
    assert len(floor.light.history) == lights_at_ack  # the lamps never changed: never green
    assert floor.light.current.amber is LampMode.ON
    assert "config change: 1 rule(s) keep their state (severity, hold, acknowledgement), 0 start fresh" in caplog.text


def test_a_rename_only_remote_config_keeps_a_running_hold(mosquitto: Mosquitto, floor_for: MakeFloor) -> None:
    """A 30 s hold that has run 2 s goes on counting down through a rename; it does not start again at 30 s."""
    floor = floor_for("30s")
    board = floor.board
    mosquitto.publish("cc/lab/queue/sales", json.dumps({"longest_wait_s": 95}))
    step_until(board, lambda: board.assessment.pending_of(WAIT) is not None, what="the hold running")
    run_for(board, 2.0)
    pending = board.assessment.pending_of(WAIT)
    assert pending is not None and pending.level is Severity.WARN
    before = pending.seconds_left

    _apply(mosquitto, board, _remote("Floor 1 - Sales", "30s"))
    board.step()
    after = board.assessment.pending_of(WAIT)
    assert after is not None and after.level is Severity.WARN
    assert after.seconds_left <= before  # still counting down from where it was (not back to 30 s)
    assert after.seconds_left < 28.5


def test_a_changed_level_starts_fresh_and_the_state_log_says_so(
    mosquitto: Mosquitto, floor_for: MakeFloor, caplog: pytest.LogCaptureFixture
) -> None:
    """Raising warn_above from 60 to 90 drops the reached warn: the rule starts its hold again, as the log says."""
    caplog.set_level(logging.INFO)
    floor = floor_for("1s")
    board = floor.board
    mosquitto.publish("cc/lab/queue/sales", json.dumps({"longest_wait_s": 95}))
    step_until(board, lambda: board.assessment.severity_of(WAIT) is Severity.WARN, what="warn")

    _apply(mosquitto, board, _remote("Floor 1", "30s", warn_above=90))
    board.step()
    assert board.assessment.severity_of(WAIT) is Severity.NORMAL
    pending = board.assessment.pending_of(WAIT)
    assert pending is not None and pending.level is Severity.WARN and pending.seconds_left > 28
    assert f"rule {WAIT}: warn_above 60 -> 90: starts fresh" in caplog.text
    assert "0 rule(s) keep their state (severity, hold, acknowledgement), 1 start fresh" in caplog.text
