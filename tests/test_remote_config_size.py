"""Remote config size over a real mosquitto: every config the docs allow (256 KiB) arrives and is applied; a larger
one is refused with its size in the status, the log and `wallboard fleet`; one beyond the packet limit never arrives."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.broker import Mosquitto
from tests.conftest import board_toml
from tests.helpers import WriteConfig, run_for, step_until
from tests.ops_support import Inbox, status_inbox, status_where
from wallboard.app.loop.board import Board
from wallboard.app.loop.compose import compose_board, no_outputs
from wallboard.app.tools.fleet import watch
from wallboard.app.tools.mqtt_client import ToolClient
from wallboard.device.config.bounds import MAX_CONFIG_BYTES
from wallboard.device.config.reading import load_config
from wallboard.device.core.values import LinkStatus
from wallboard.device.edge.mqtt_source import announced_max_packet
from wallboard.ops.health import HealthPublisher

CONFIG_TOPIC = "wallboard/lab/b1/config"
HEAD = '[site]\nid = "lab"\n[board]\nid = "b1"\nname = "Big site"\n'
KIB = 1024


def big_config(size: int) -> bytes:
    """A valid config of exactly ``size`` bytes: a site with many queues' metrics declared, then a comment to fill."""
    entries: list[str] = []
    number = 0
    while len(HEAD) + sum(map(len, entries)) < size - 400:
        entries.append(f'[[metric]]\nkey = "queue{number:04d}.calls_waiting"\nlabel = "Queue {number:04d} waiting"\n')
        number += 1
    text = HEAD + "".join(entries)
    text += "# " + "x" * (size - len(text) - 3) + "\n"
    data = text.encode()
    assert len(data) == size
    return data


Start = Callable[[str], Board]


@pytest.fixture
def start(mosquitto: Mosquitto, tmp_path: Path, write_config: WriteConfig) -> Iterator[Start]:
    """Start a board (MQTT 5 or 3.1.1, default ingest limits) with a health publisher on the test broker."""
    boards: list[Board] = []

    def make(protocol: str) -> Board:
        text = board_toml(mosquitto.port, tmp_path / "state").replace("[mqtt]\n", f'[mqtt]\nprotocol = "{protocol}"\n')
        board = compose_board(load_config(write_config(text)), outputs=no_outputs)
        board.outputs.append(HealthPublisher(board.source, board.topics, board.outputs))
        board.start()
        boards.append(board)
        step_until(board, lambda: board.state.link.status is LinkStatus.UP, what="link up")
        return board

    yield make
    for board in boards:
        board.close()


@pytest.fixture
def inbox(mosquitto: Mosquitto) -> Iterator[Inbox]:
    """The board's status messages as they reach another client of the broker."""
    with status_inbox(mosquitto.port) as inbox:
        yield inbox


def _remote(document: dict[str, Any]) -> dict[str, Any]:
    return document.get("remote_config") or {}


def _fleet_row(port: int) -> dict[str, Any]:
    """The board's row in one `wallboard fleet --once --json` snapshot."""
    client = ToolClient("127.0.0.1", port)
    client.connect()
    out = io.StringIO()
    try:
        watch(client, as_json=True, once=True, duration=1.0, out=out)
    finally:
        client.close()
    rows: dict[str, dict[str, Any]] = {row["board"]: row for row in json.loads(out.getvalue())}
    return rows["b1"]


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_a_200_kib_remote_config_is_applied(mosquitto: Mosquitto, start: Start, inbox: Inbox, protocol: str) -> None:
    """A valid 200 KiB config (docs: up to 256 KiB) reaches a board with the default 64 KiB ingest limit and applies."""
    board = start(protocol)
    payload = big_config(200 * KIB)
    mosquitto.publish(CONFIG_TOPIC, payload, retain=True)
    status = status_where(board, inbox, lambda d: _remote(d).get("result") == "applied", "applied", timeout=20)
    assert status["remote_config"]["bytes"] == len(payload) == 204_800
    assert status["config_checksum"] == board.loaded.checksum
    assert board.config.board.name == "Big site" and len(board.config.metric) > 2000
    assert board.config.ingest.max_payload_bytes == 65_536  # metric payloads keep their own, smaller limit


def test_the_largest_config_the_docs_allow_is_applied(mosquitto: Mosquitto, start: Start, inbox: Inbox) -> None:
    """A config of exactly MAX_CONFIG_BYTES (256 KiB) arrives over MQTT 5 and is applied."""
    board = start("5")
    mosquitto.publish(CONFIG_TOPIC, big_config(MAX_CONFIG_BYTES), retain=True)
    status = status_where(board, inbox, lambda d: _remote(d).get("result") == "applied", "applied", timeout=20)
    assert status["remote_config"]["bytes"] == MAX_CONFIG_BYTES == 262_144


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_a_300_kib_remote_config_is_refused_with_its_size_in_status_log_and_fleet(
    mosquitto: Mosquitto, start: Start, inbox: Inbox, caplog: pytest.LogCaptureFixture, protocol: str
) -> None:
    """300 KiB (over the docs' 256 KiB) arrives, is refused with its size; the status, the log and fleet say so."""
    caplog.set_level(logging.INFO)
    board = start(protocol)
    before = board.loaded.checksum
    mosquitto.publish(CONFIG_TOPIC, big_config(300 * KIB), retain=True)
    status = status_where(board, inbox, lambda d: _remote(d).get("result") == "rejected", "rejected", timeout=20)
    line = f"{CONFIG_TOPIC}: too large (307200 bytes; at most 262144)"
    assert status["remote_config"]["problems"] == [line]
    assert status["remote_config"]["bytes"] == 307_200
    assert f"remote config rejected: {line}" in caplog.text
    assert board.loaded.checksum == before == status["config_checksum"]
    assert board.rejections.counts() == {}  # a config's outcome, not a metric rejection
    row = _fleet_row(mosquitto.port)
    assert "config-refused" in row["flags"] and row["config"] == "rejected"


def test_a_config_that_is_not_utf8_is_refused_in_the_status(mosquitto: Mosquitto, start: Start, inbox: Inbox) -> None:
    """Bytes that are not UTF-8 on the config topic leave a rejected outcome, not only a rejection count."""
    board = start("5")
    payload = b"[site]\nid = \xff\xfe\n"
    mosquitto.publish(CONFIG_TOPIC, payload, retain=True)
    status = status_where(board, inbox, lambda d: _remote(d).get("result") == "rejected", "rejected")
    assert status["remote_config"]["problems"] == [f"{CONFIG_TOPIC}: not UTF-8 text"]
    assert status["remote_config"]["bytes"] == len(payload)


def test_a_config_beyond_the_packet_limit_is_dropped_by_the_broker_unseen(
    mosquitto: Mosquitto, start: Start, inbox: Inbox
) -> None:
    """Above the announced maximum packet the broker drops the config silently: the status keeps no outcome."""
    board = start("5")
    limit = announced_max_packet(board.config)
    assert limit == 2 * MAX_CONFIG_BYTES + 4096  # 516 KiB with the default ingest limit
    mosquitto.publish(CONFIG_TOPIC, big_config(limit), retain=True)  # the topic and header make it too big
    mosquitto.publish("cc/lab/queue/sales", json.dumps({"calls_waiting": 3}))
    step_until(board, lambda: board.state.value("sales.calls_waiting") is not None, what="the metric after it")
    run_for(board, 1.0)
    status = status_where(board, inbox, lambda d: d.get("status") == "online", "a status")
    assert status["remote_config"] is None and board.config_outcome is None
    assert board.state.link.status is LinkStatus.UP and board.rejections.counts() == {}


def test_a_metric_payload_over_its_own_limit_is_still_rejected_at_the_edge(mosquitto: Mosquitto, start: Start) -> None:
    """A 100 KiB metric message fits the packet now announced, but ingest rejects it (too_large): no value shown."""
    board = start("5")
    padded = json.dumps({"calls_waiting": 999, "pad": "x" * (100 * KIB)})
    mosquitto.publish("cc/lab/queue/sales", padded)
    step_until(board, lambda: board.rejections.counts() == {"too_large": 1}, what="the rejection counted")
    assert board.state.value("sales.calls_waiting") is None
