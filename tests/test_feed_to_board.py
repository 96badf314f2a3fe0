"""The Amazon Connect feed end to end: the adapter's runner -> a real mosquitto -> a real board.

Genesys has its own, through the feed process: tests/test_feed_genesys_board.py.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import boto3
import msgspec
from botocore.stub import Stubber

from tests.broker import Mosquitto
from tests.conftest import board_toml
from tests.feed_helpers import MONDAY_10AM, make_context, make_runner
from tests.helpers import ManualClock, step_until
from tests.test_feed_connect import SECTION, _stub_poll
from tests.test_feed_end_to_end import _retained
from wallboard.app.loop.board import Board
from wallboard.app.loop.compose import compose_board, no_outputs
from wallboard.device.config.reading import load_config
from wallboard.device.wire.payloads import FeedStatus
from wallboard.device.wire.topics import feed_status
from wallboard.feeds.connect import ConnectAdapter
from wallboard.feeds.publisher import MqttFeedPublisher


def _publisher(mosquitto: Mosquitto, adapter: str) -> MqttFeedPublisher:
    will = msgspec.json.encode(FeedStatus(state="offline", summary="offline", adapter=adapter, ts=0.0))
    publisher = MqttFeedPublisher(
        "127.0.0.1", mosquitto.port, client_id=f"feed-{adapter}", status_topic=feed_status("lab", adapter), will=will
    )
    assert publisher.wait_connected(10), "the feed did not reach mosquitto"
    publisher._reconnected.set()  # the runner republishes everything after the first connection
    return publisher


def _board(mosquitto: Mosquitto, tmp_path: Path) -> Board:
    path = tmp_path / "board.toml"
    path.write_text(board_toml(mosquitto.port, tmp_path / "board-state"))
    board = compose_board(load_config(path), outputs=no_outputs)
    board.start()
    return board


def _shows(board: Board, key: str, value: float) -> bool:
    got = board.state.value(key)
    return got is not None and got.value == value


def test_connect_feed_reaches_a_real_board(mosquitto: Mosquitto, tmp_path: Path) -> None:
    """Connect's (stubbed) numbers arrive on a board through mosquitto, and the feed's status says online."""
    client: Any = boto3.client("connect", region_name="eu-west-2", aws_access_key_id="t", aws_secret_access_key="t")
    board = _board(mosquitto, tmp_path)
    try:
        with Stubber(client) as stubber:
            _stub_poll(stubber)
            ctx = make_context(tmp_path, ManualClock(MONDAY_10AM))
            runner = make_runner(ConnectAdapter(SECTION, ctx, client), ctx, _publisher(mosquitto, "connect"))
            asyncio.run(runner.cycle())
            assert _retained(mosquitto, "wallboard/lab/feed/connect/status")["summary"] == "online"
            runner.publisher.close(None)
        step_until(
            board,
            lambda: _shows(board, "sales.offered", 120) and _shows(board, "support.calls_waiting", 0),
            what="Connect values on the board",
        )
        assert _shows(board, "sales.agents_available", 2) and _shows(board, "sales.calls_waiting", 4)
        assert board.state.value("support.longest_wait_s") is None  # null from Connect: absent, not 0
    finally:
        board.close()
