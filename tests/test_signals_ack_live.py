"""Acknowledge end to end on a real mosquitto: a message on the board's ack topic silences sound, lamps stay."""

from __future__ import annotations

import json
from pathlib import Path

from tests.broker import Mosquitto
from tests.conftest import board_toml
from tests.helpers import WriteConfig, run_for, step_until
from wallboard.app.loop.compose import compose_board, no_outputs
from wallboard.device.config.reading import load_config
from wallboard.device.core.values import LinkStatus
from wallboard.firmware_bridge.fakes import RecordingSound, RecordingStackLight
from wallboard.firmware_bridge.lights import LampMode
from wallboard.firmware_bridge.signals import SignalOutput

RULES = """
[[rule]]
metric = "sales.calls_waiting"
warn_above = 5
critical_above = 10
[signals.critical]
every = "1s"
"""


def _chimes(sound: RecordingSound) -> list[str]:
    return [name for _, name in sound.played]


def test_mqtt_ack_silences_the_chime_and_keeps_the_red_blink(
    mosquitto: Mosquitto, tmp_path: Path, write_config: WriteConfig
) -> None:
    """Critical chimes every second; after an ack on wallboard/lab/b1/ack it stops while red keeps blinking."""
    board = compose_board(
        load_config(write_config(board_toml(mosquitto.port, tmp_path / "state", RULES))), outputs=no_outputs
    )
    light, sound = RecordingStackLight(), RecordingSound()
    output = SignalOutput(board.config.signals, light, sound, startup_quiet=0)
    board.outputs.append(output)
    board.start()
    try:
        step_until(board, lambda: board.state.link.status is LinkStatus.UP, what="link up")
        mosquitto.publish("cc/lab/queue/sales", json.dumps({"calls_waiting": 20}))
        step_until(board, lambda: light.current.red is LampMode.BLINK, what="red blinking")
        step_until(board, lambda: _chimes(sound).count("critical") >= 2, timeout=5, what="the chime repeating")
        assert _chimes(sound)[0] == "blind"  # before the first data: the board was blind, and said so

        mosquitto.publish("wallboard/lab/b1/ack", json.dumps({"by": "supervisor"}))
        step_until(board, lambda: board.state.acknowledgements == 1, what="the ack arriving")
        chimes_at_ack = len(sound.played)
        run_for(board, 2.5)  # two and a half repeat intervals
        assert len(sound.played) == chimes_at_ack
        assert light.current.red is LampMode.BLINK  # the lamps still say critical
        assert output.policy is not None and output.policy.silenced

        # It clears, then breaks again: a new alarm, so the chime is back.
        mosquitto.publish("cc/lab/queue/sales", json.dumps({"calls_waiting": 1}))
        step_until(board, lambda: light.current.green is LampMode.ON, what="green after clearing")
        mosquitto.publish("cc/lab/queue/sales", json.dumps({"calls_waiting": 30}))
        step_until(board, lambda: len(sound.played) > chimes_at_ack, what="the chime after a new alarm")
        assert not output.policy.silenced
    finally:
        board.close()
    assert light.closed and light.current.lamps() == {n: LampMode.OFF for n in ("red", "amber", "green", "buzzer")}


def test_broker_down_shows_blind_never_green(mosquitto: Mosquitto, tmp_path: Path, write_config: WriteConfig) -> None:
    """A board showing green goes to amber blinking (green off) when the broker dies."""
    board = compose_board(
        load_config(write_config(board_toml(mosquitto.port, tmp_path / "state", RULES))), outputs=no_outputs
    )
    light = RecordingStackLight()
    board.outputs.append(SignalOutput(board.config.signals, light, RecordingSound(), startup_quiet=0))
    board.start()
    try:
        step_until(board, lambda: board.state.link.status is LinkStatus.UP, what="link up")
        mosquitto.publish("cc/lab/queue/sales", json.dumps({"calls_waiting": 1}))
        step_until(board, lambda: light.current.green is LampMode.ON, what="green")
        mosquitto.stop()
        step_until(board, lambda: light.current.amber is LampMode.BLINK, timeout=20, what="blind pattern")
        assert light.current.green is LampMode.OFF
    finally:
        board.close()
