"""The contact-centre simulator: a plausible model, payloads per the wire contract, publishing to a real broker."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.broker import Mosquitto
from tests.conftest import board_toml
from tests.helpers import WriteConfig, step_until
from wallboard.device.config.loader import load_config
from wallboard.device.core.rejections import RejectionCounter
from wallboard.device.core.state import LinkStatus
from wallboard.device.core.updates import Reading
from wallboard.device.demo.simulator import ContactCentre, SimulatorPublisher, day_profile, parse_broker
from wallboard.device.edge.ingest import Ingest
from wallboard.device.loop.board import Board

START = 1_763_805_600.0  # a weekday morning


def test_model_keeps_every_agent_and_stays_in_range() -> None:
    """Over a simulated two hours agents are neither lost nor invented and every figure is in range."""
    model = ContactCentre(["sales", "support"], seed=7, start=START)
    sizes = {name: len(queue.agents) for name, queue in model.queues.items()}
    for _ in range(24):
        model.step(300)
        for name in model.queues:
            payload = model.queue_payload(name)
            agents = sum(int(payload[f"agents_{s}"]) for s in ("available", "on_call", "wrap", "away"))
            assert agents == sizes[name]
            assert 0 <= payload["service_level_pct"] <= 100 and 0 <= payload["abandon_rate_pct"] <= 100
            assert payload["calls_waiting"] >= 0 and payload["longest_wait_s"] >= 0


def test_model_is_repeatable_with_a_seed() -> None:
    """Two models with one seed produce the same figures: a load test can be repeated."""
    first, second = (ContactCentre(["sales"], seed=3, start=START) for _ in range(2))
    first.step(900)
    second.step(900)
    assert first.queue_payload("sales") == second.queue_payload("sales")


def test_arrivals_follow_the_time_of_day() -> None:
    """The arrival rate peaks in the late morning and is lowest at night."""
    assert day_profile(10.5) > day_profile(14.5) > day_profile(3.0)


def test_payloads_pass_the_boards_own_ingest(tmp_path: Path, write_config: WriteConfig) -> None:
    """Queue, agents and announce payloads decode through Ingest with no rejection."""
    config = load_config(write_config(board_toml(1883, tmp_path / "state", site="demo"))).config
    rejections = RejectionCounter()
    ingest = Ingest(config, rejections, clock=lambda: START + 600)
    model = ContactCentre(["sales"], seed=1, start=START)
    model.step(600)
    readings = ingest.decode("cc/demo/queue/sales", json.dumps(model.queue_payload("sales")).encode())
    assert {r.metric for r in readings if isinstance(r, Reading)} >= {"sales.calls_waiting", "sales.agents_wrap"}
    assert ingest.decode("cc/demo/agents", json.dumps(model.agents_payload()).encode())
    assert ingest.decode("cc/demo/announce", json.dumps(model.announcement()).encode())
    assert rejections.total() == 0


def test_parse_broker_address() -> None:
    """--broker takes HOST:PORT, and a bare host means port 1883."""
    assert parse_broker("10.0.0.5:1884") == ("10.0.0.5", 1884)
    assert parse_broker("broker.local") == ("broker.local", 1883)


def test_simulator_feeds_a_board_through_mosquitto(
    mosquitto: Mosquitto, tmp_path: Path, write_config: WriteConfig
) -> None:
    """The simulator publishing to a real mosquitto fills a subscribed board's state."""
    board = Board(load_config(write_config(board_toml(mosquitto.port, tmp_path / "state", site="demo"))))
    publisher = SimulatorPublisher("127.0.0.1", mosquitto.port, site="demo", queues=["sales"], rate=5.0, seed=1)
    board.start()
    try:
        step_until(board, lambda: board.state.link.status is LinkStatus.UP, what="link up")
        publisher.start()
        step_until(board, lambda: board.state.value("sales.agents_on_call") is not None, what="simulated values")
        step_until(board, lambda: board.state.leaderboard is not None, what="leaderboard")
        assert board.rejections.total() == 0
        assert board.state.value("sales.calls_waiting") is not None
        assert abs(board.state.value("sales.calls_waiting").measured_at - time.time()) < 5  # type: ignore[union-attr]
    finally:
        publisher.stop()
        board.close()
