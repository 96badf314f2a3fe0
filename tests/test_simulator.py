"""The contact-centre simulator: a plausible model, payloads per the wire contract, publishing to a real broker."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.broker import Mosquitto
from tests.conftest import board_toml
from tests.helpers import WriteConfig, step_until
from wallboard.app.demo.simulator import (
    BREAK_SHRINKAGE,
    ContactCentre,
    SimulatorPublisher,
    day_profile,
    parse_broker,
)
from wallboard.app.loop.compose import compose_board, no_outputs
from wallboard.device.config.reading import load_config
from wallboard.device.core.erlang import agents_required
from wallboard.device.core.rejections import RejectionCounter
from wallboard.device.core.state import BoardState
from wallboard.device.core.updates import Reading
from wallboard.device.core.values import LinkStatus
from wallboard.device.edge.ingest import Ingest

START = 1_763_805_600.0  # a weekday morning
ZONE = "Europe/London"
DAY_7AM = datetime(2025, 11, 24, 7, 0, tzinfo=ZoneInfo(ZONE)).timestamp()  # a Monday, when the floor opens


def test_model_keeps_agents_consistent_and_never_queues_calls_beside_idle_agents() -> None:
    """Every sample: the states add up to agents staffed, within the seats; no call waits while an agent is free."""
    model = ContactCentre(["sales", "support"], seed=7, start=DAY_7AM, timezone=ZONE)
    for _ in range(13 * 6):
        model.step(600)
        for name, queue in model.queues.items():
            payload = model.queue_payload(name)
            states = sum(int(payload[f"agents_{s}"]) for s in ("available", "on_call", "wrap", "away"))
            hour = model.hour()
            working = model.on_shift(queue, hour)
            finishing = sum(1 for a in queue.agents if a.state != "off" and a not in working)
            assert states == payload["agents_staffed"]
            assert payload["agents_staffed"] - finishing <= queue.seats  # only a call in hand outlasts a shift
            assert not (payload["calls_waiting"] > 0 and payload["agents_available"] > 0)
            assert payload["answered_within_target"] <= payload["answered"]
            assert payload["short_abandoned"] <= payload["abandoned_within_target"] <= payload["abandoned"]
            assert payload["answered"] + payload["abandoned"] + payload["calls_waiting"] <= payload["offered"]
            handled_by_agents = sum(agent.handled for agent in queue.agents)
            assert handled_by_agents == payload["handled"]


def test_the_board_never_reads_100_percent_from_a_queue_that_answered_nobody(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    """The simulator sends counts, not ratios: with calls offered and none answered the board's SL is 0, not 100."""
    config = load_config(write_config(board_toml(1883, tmp_path / "state", site="demo"))).config
    model = ContactCentre(["support"], seed=2, start=DAY_7AM, timezone=ZONE, head_counts={"support": 0})
    model.step(1800)
    payload = model.queue_payload("support")
    assert payload["abandoned"] > payload["short_abandoned"] and payload["answered"] == 0
    assert "service_level_pct" not in payload
    state = BoardState(config, RejectionCounter(), clock=lambda: model.now)
    state.apply_all(Ingest(config, RejectionCounter(), clock=lambda: model.now).decode(
        "cc/demo/queue/support", json.dumps(payload).encode()))  # fmt: skip
    assert state.value("support.service_level_pct").value == 0.0  # type: ignore[union-attr]


def test_the_roster_follows_the_load_within_a_band_of_erlang_c() -> None:
    """Agents on shift track Erlang C for the forecast (80/20) hour by hour; support's seats fall short at its peak."""
    model = ContactCentre(["sales", "support"], seed=5, start=DAY_7AM, timezone=ZONE)
    sales, support = model.queues["sales"], model.queues["support"]
    for half_hours in range(2, 24):  # 08:00 to 18:30
        hour = 7.0 + half_hours / 2
        calls = model.forecast_rate(sales, hour) * 1800
        need = agents_required(calls, 1800, sales.handle, 0.8, 20).agents
        on_shift = len(model.on_shift(sales, hour))
        assert need <= on_shift <= need / (1 - BREAK_SHRINKAGE) * 1.2 + 2, (hour, need, on_shift)
    peak = agents_required(model.forecast_rate(support, 10.5) * 1800, 1800, support.handle, 0.8, 20).agents
    assert peak >= 21 and support.seats == 16  # the lesson the demo teaches: 16 seats for a peak needing 21+


def test_the_site_clock_drives_the_day_and_counts_reset_at_local_midnight() -> None:
    """Time of day is the site's (New York is 5 h behind UTC in November); counts restart at local midnight."""
    utc_noon = datetime(2025, 11, 24, 12, 0, tzinfo=UTC).timestamp()
    model = ContactCentre(["sales"], seed=1, start=utc_noon, timezone="America/New_York")
    assert model.hour() == 7.0
    model.step(12 * 3600)  # to 19:00 in New York
    assert model.queue_payload("sales")["offered"] > 0
    model.step(5 * 3600 + 60)  # past midnight in New York
    payload = model.queue_payload("sales")
    midnight = datetime(2025, 11, 25, 0, 0, tzinfo=ZoneInfo("America/New_York")).timestamp()
    assert payload["period_start"] == midnight and payload["offered"] == 0
    assert model.agents_payload()["rows"] == []


def test_a_peak_breaches_and_the_afternoon_recovers() -> None:
    """Support's half-hourly SL falls below 80 at the late-morning peak and is back above it in the afternoon."""
    model = ContactCentre(["sales", "support"], seed=11, start=DAY_7AM, timezone=ZONE)
    by_hour: dict[float, float] = {}
    last = dict.fromkeys(("answered_within_target", "answered", "abandoned", "short_abandoned"), 0.0)
    for _ in range(20):  # 07:00 to 17:00 in half hours
        model.step(1800)
        payload = model.queue_payload("support")
        delta = {key: payload[key] - last[key] for key in last}
        last = {key: float(payload[key]) for key in last}
        judged = delta["answered"] + delta["abandoned"] - delta["short_abandoned"]
        by_hour[model.hour()] = 100 * delta["answered_within_target"] / judged
    assert min(by_hour[h] for h in (10.5, 11.0, 11.5)) < 80
    afternoon = [by_hour[h] for h in (14.0, 14.5, 15.0, 15.5, 16.0, 16.5)]
    assert sum(afternoon) / len(afternoon) >= 80


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
    ingest = Ingest(config, rejections, clock=lambda: DAY_7AM + 3600)
    model = ContactCentre(["sales"], seed=1, start=DAY_7AM, timezone=ZONE)
    model.step(3600)
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
    """The simulator publishing counts to a real mosquitto gives a board its ratios and the staffing hint."""
    board = compose_board(
        load_config(write_config(board_toml(mosquitto.port, tmp_path / "state", site="demo"))), outputs=no_outputs
    )
    # The model's day starts at 10:00 (site time), whatever the wall clock says: from the evening on its site is
    # closed (no agents, no calls), so there is no handle time and no staffing hint (this failed after ~20:00).
    publisher = SimulatorPublisher(
        "127.0.0.1", mosquitto.port, site="demo", queues=["sales"], rate=5.0, seed=1, day_start=10.0
    )
    board.start()
    try:
        step_until(board, lambda: board.state.link.status is LinkStatus.UP, what="link up")
        publisher.start()
        step_until(board, lambda: board.state.value("sales.agents_on_call") is not None, what="simulated values")
        step_until(board, lambda: board.state.leaderboard is not None, what="leaderboard")
        step_until(board, lambda: board.state.value("sales.agents_required") is not None, what="staffing hint")
        assert board.rejections.total() == 0
        assert board.state.value("sales.calls_waiting") is not None
        # The board worked the ratios out from the simulator's counts: none was sent.
        offered = board.state.value("sales.offered")
        assert offered is not None and offered.value > 0 and board.state.value("sales.period_start") is not None
        ratio = board.state.ratio("sales.service_level_pct")
        assert ratio is not None and ratio.denominator is not None and ratio.denominator <= offered.value
        assert abs(board.state.value("sales.calls_waiting").measured_at - time.time()) < 5  # type: ignore[union-attr]
    finally:
        publisher.stop()
        board.close()
