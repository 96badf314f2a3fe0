"""The data path against a real mosquitto: values arrive, the link heals, TLS and passwords work."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.broker import Mosquitto, make_tls_files, require
from tests.conftest import board_toml
from tests.helpers import WriteConfig, step_until
from wallboard.app.loop.board import Board
from wallboard.app.loop.compose import compose_board, no_outputs
from wallboard.device.config.reading import load_config
from wallboard.device.core.values import LinkStatus
from wallboard.device.edge.mqtt_source import MqttSource


def _board(path: Path) -> Board:
    return compose_board(load_config(path), outputs=no_outputs)


def test_values_published_with_mosquitto_pub_arrive_in_state(
    mosquitto: Mosquitto, tmp_path: Path, write_config: WriteConfig
) -> None:
    """A queue object published by mosquitto_pub becomes typed values in the board state."""
    board = _board(write_config(board_toml(mosquitto.port, tmp_path / "state")))
    board.start()
    try:
        step_until(board, lambda: board.state.link.status is LinkStatus.UP, what="link up")
        payload = {"ts": time.time(), "calls_waiting": 7, "service_level_pct": 78.5, "mystery": "ignored"}
        mosquitto.publish("cc/lab/queue/sales", json.dumps(payload))
        step_until(board, lambda: board.state.value("sales.calls_waiting") is not None, what="calls_waiting")
        assert board.state.value("sales.calls_waiting").value == 7  # type: ignore[union-attr]
        assert board.state.value("sales.service_level_pct").value == 78.5  # type: ignore[union-attr]
        assert board.state.value("sales.mystery") is None
    finally:
        board.close()


def test_broker_restart_mid_stream_heals_without_restarting_the_board(
    mosquitto: Mosquitto, tmp_path: Path, write_config: WriteConfig
) -> None:
    """Killing and restarting the broker takes the link down and back up; values flow again."""
    board = _board(write_config(board_toml(mosquitto.port, tmp_path / "state")))
    board.start()
    try:
        step_until(board, lambda: board.state.link.status is LinkStatus.UP, what="link up")
        mosquitto.publish("cc/lab/queue/sales", json.dumps({"calls_waiting": 1}))
        step_until(board, lambda: board.state.value("sales.calls_waiting") is not None, what="first value")

        mosquitto.stop()
        step_until(board, lambda: board.state.link.status is LinkStatus.DOWN, timeout=15, what="link down")
        mosquitto.start()
        step_until(board, lambda: board.state.link.status is LinkStatus.UP, timeout=15, what="link back up")

        mosquitto.publish("cc/lab/queue/sales", json.dumps({"calls_waiting": 2}))
        step_until(
            board,
            lambda: getattr(board.state.value("sales.calls_waiting"), "value", None) == 2,
            what="value after restart",
        )
        statuses = [change.status for change in board.state.link_log]
        assert statuses[-3:] == [LinkStatus.UP, LinkStatus.DOWN, LinkStatus.UP]
        assert mqtt_source(board).connects >= 2
    finally:
        board.close()


def test_board_publishes_online_status_and_will_names_offline(
    mosquitto: Mosquitto, tmp_path: Path, write_config: WriteConfig
) -> None:
    """On connect the board publishes a retained online status; on a clean stop it leaves offline."""
    import subprocess

    from tests.broker import require

    board = _board(write_config(board_toml(mosquitto.port, tmp_path / "state")))
    board.start()
    step_until(board, lambda: board.state.link.status is LinkStatus.UP, what="link up")
    time.sleep(0.3)
    sub = [require("mosquitto_sub"), "-h", "127.0.0.1", "-p", str(mosquitto.port), "-t", "wallboard/lab/b1/status",
           "-C", "1", "-W", "5"]  # fmt: skip
    online = json.loads(subprocess.run(sub, capture_output=True, check=True, timeout=10).stdout)
    assert online["status"] == "online" and online["board"] == "b1"
    board.close()
    offline = json.loads(subprocess.run(sub, capture_output=True, check=True, timeout=10).stdout)
    assert offline["status"] == "offline"


def test_tls_with_ca_and_client_certificate(tmp_path: Path, write_config: WriteConfig) -> None:
    """The board connects over TLS, verifying the broker against the configured CA."""
    tls = make_tls_files(tmp_path / "tls")
    broker = Mosquitto(tmp_path / "broker", tls=tls)
    broker.start()
    try:
        extra = f'[mqtt.tls]\nca_file = "{tls.ca}"\ncert_file = "{tls.client_cert}"\nkey_file = "{tls.client_key}"\n'
        text = board_toml(broker.tls_port or 0, tmp_path / "state").replace("[cache]", extra + "[cache]")
        board = _board(write_config(text))
        board.start()
        try:
            step_until(board, lambda: board.state.link.status is LinkStatus.UP, what="TLS link up")
            broker.publish("cc/lab/queue/sales", json.dumps({"calls_waiting": 3}))
            step_until(board, lambda: board.state.value("sales.calls_waiting") is not None, what="value over TLS")
        finally:
            board.close()
    finally:
        broker.stop()


def test_username_and_password_file(tmp_path: Path, write_config: WriteConfig) -> None:
    """The password comes from password_file; a wrong one leaves the link down, the right one connects."""
    broker = Mosquitto(tmp_path / "broker", passwords={"board-b1": "s3cret"})
    broker.start()
    try:
        secret = tmp_path / "mqtt.password"
        for password, expected in (("wrong", LinkStatus.DOWN), ("s3cret", LinkStatus.UP)):
            secret.write_text(password + "\n")
            extra = f'username = "board-b1"\npassword_file = "{secret}"\n'
            text = board_toml(broker.auth_port or 0, tmp_path / "state").replace("[cache]", extra + "[cache]", 1)
            text = text.replace('reconnect_max = "2s"\n', 'reconnect_max = "2s"\n' + extra).replace(
                extra + "[cache]", "[cache]"
            )
            board = _board(write_config(text))
            board.start()
            try:
                step_until(
                    board,
                    lambda board=board, expected=expected: board.state.link.status is expected,  # type: ignore[misc]
                    what=f"link {expected.value}",
                )
            finally:
                board.close()
    finally:
        broker.stop()


def test_a_silent_dead_link_is_noticed_by_keepalive(
    mosquitto: Mosquitto, tmp_path: Path, write_config: WriteConfig
) -> None:
    """A link that goes silent without closing (pulled cable) is noticed within 2 x keepalive, then heals."""
    from tests.proxy import SilentableProxy

    proxy = SilentableProxy(mosquitto.port)
    board = _board(write_config(board_toml(proxy.port, tmp_path / "state")))  # keepalive 2s
    board.start()
    try:
        step_until(board, lambda: board.state.link.status is LinkStatus.UP, what="link up")
        time.sleep(0.5)
        proxy.freeze()
        frozen_at = time.monotonic()
        step_until(board, lambda: board.state.link.status is LinkStatus.DOWN, timeout=15, what="dead link noticed")
        noticed_after = time.monotonic() - frozen_at
        assert noticed_after <= 2 * 2 + 1.5, f"noticed after {noticed_after:.1f}s"
        proxy.thaw()
        step_until(board, lambda: board.state.link.status is LinkStatus.UP, timeout=15, what="link healed")
    finally:
        board.close()
        proxy.close()


def test_an_exception_in_a_callback_never_reaches_paho(mosquitto: Mosquitto) -> None:
    """A handler that raises is caught and counted; the network thread keeps delivering messages."""
    import threading

    from wallboard.device.config.schema import MqttSettings
    from wallboard.device.config.types import Duration
    from wallboard.device.edge.mqtt_source import MqttSource
    from wallboard.device.edge.source import SourceHandlers, Will

    received: list[bytes] = []
    arrived = threading.Event()

    def sink(topic: str, payload: bytes) -> None:
        if payload == b"boom":
            raise RuntimeError("a bug in a handler")
        received.append(payload)
        arrived.set()

    # Retained, so both reach the client as soon as it subscribes: no race with the subscription.
    mosquitto.publish("t/a", b"boom", retain=True)
    mosquitto.publish("t/b", b"fine", retain=True)
    links: list[LinkStatus] = []
    source = MqttSource(
        MqttSettings(host="127.0.0.1", port=mosquitto.port, keepalive=Duration(5)),
        client_id="callback-test",
    )
    handlers = SourceHandlers(on_message=sink, on_link=lambda change: links.append(change.status))
    source.start(["t/#"], handlers, Will("t/will", b"gone"))
    try:
        assert arrived.wait(10)
        deadline = time.monotonic() + 5
        while source.callback_errors == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert received == [b"fine"]
        assert links[0] is LinkStatus.UP
        assert source.callback_errors == 1
        assert source.is_connected()
    finally:
        source.stop()


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_a_100_mb_message_never_reaches_a_shown_value(
    protocol: str, mosquitto: Mosquitto, tmp_path: Path, write_config: WriteConfig
) -> None:
    """100 MB on a queue topic: MQTT 5 has the broker drop it; 3.1.1 has ingest reject it; values flow on."""
    text = board_toml(mosquitto.port, tmp_path / "state").replace(
        'reconnect_max = "2s"\n', f'reconnect_max = "2s"\nprotocol = "{protocol}"\n'
    )
    board = _board(write_config(text))
    board.start()
    try:
        step_until(board, lambda: board.state.link.status is LinkStatus.UP, what="link up")
        huge = tmp_path / "huge.json"
        huge.write_bytes(b'{"calls_waiting": 999, "pad": "' + b"x" * 100_000_000 + b'"}')
        tool = require("mosquitto_pub")
        subprocess.run(
            [
                tool,
                "-h",
                "127.0.0.1",
                "-p",
                str(mosquitto.port),
                "-t",
                "cc/lab/queue/sales",
                "-q",
                "1",
                "-f",
                str(huge),
            ],
            check=True,
            timeout=60,
        )
        mosquitto.publish("cc/lab/queue/sales", json.dumps({"calls_waiting": 2}))
        step_until(
            board,
            lambda: getattr(board.state.value("sales.calls_waiting"), "value", None) == 2,
            timeout=30,
            what="the small message after the huge one",
        )
        assert mqtt_source(board).connects == 1  # the link never dropped
        expected = {} if protocol == "5" else {"too_large": 1}
        assert board.rejections.counts() == expected
    finally:
        board.close()


def mqtt_source(board: Board) -> MqttSource:
    """The board's source, which these tests build from the config: the real paho one."""
    assert isinstance(board.source, MqttSource)
    return board.source
