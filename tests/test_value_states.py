"""One verdict per value: what is live, stale, never received, not supplied, no calls yet or zero, read everywhere."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any, cast

import pytest

from tests.broker import Mosquitto
from tests.conftest import board_toml
from tests.display_helpers import KPI_PAGE, paint, view_of
from tests.helpers import WriteConfig, run_for, step_until
from tests.ops_support import FakeDisplay, fleet_rows
from wallboard.app.loop.compose import BoardPorts, compose_board
from wallboard.device.config.reading import load_config, load_config_text
from wallboard.device.config.schema import BoardConfig
from wallboard.device.core.values import LinkStatus
from wallboard.device.core.verdict import ValueState, tally, verdict
from wallboard.device.core.view import BoardOutput, BoardView
from wallboard.display.draw.twin import screen_twin
from wallboard.display.draw.widgets.chrome import liveness_text
from wallboard.display.logic.freshness import Liveness, board_freshness, shown_sources
from wallboard.ops.health import HealthPublisher
from wallboard.ops.state_log import StateLog

NOW = 1_763_800_000.0
AGENTS_PAGE = """
[site]
id = "lab"
[board]
id = "b1"
[display.burn_in]
shift_pixels = 0
[[display.page]]
columns = 2
rows = 1
widget = [
    { type = "agents", queue = "sales", at = [1, 1] },
    { type = "kpi", metric = "sales.calls_waiting", at = [2, 1] },
]
"""


def _widgets(twin: dict[str, object]) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], twin["widgets"])


def _config(text: str = AGENTS_PAGE) -> BoardConfig:
    return load_config_text(text).config


def _agents(wrap_supplied: bool) -> dict[str, object]:
    metrics = {"sales.agents_available": 3, "sales.agents_on_call": 6, "sales.agents_away": 1, "sales.calls_waiting": 0}
    feeds = {"asterisk": {"state": "online", "not_supplied": [] if wrap_supplied else ["agents_wrap"]}}
    return {"metrics": metrics, "feeds": feeds}


def test_a_field_the_feed_cannot_supply_is_not_supplied_not_missing() -> None:
    """Asterisk declares no agents_wrap: its verdict is not supplied (named), a measured 0 is zero, the rest live."""
    view = view_of(_config(), _agents(wrap_supplied=False))
    wrap = verdict(view.state, view.config, "sales.agents_wrap", view.wall_now)
    assert (wrap.state, wrap.supplier, wrap.value) == (ValueState.NOT_SUPPLIED, "asterisk", None)
    assert verdict(view.state, view.config, "sales.calls_waiting", view.wall_now).state is ValueState.ZERO
    assert verdict(view.state, view.config, "sales.agents_on_call", view.wall_now).state is ValueState.LIVE
    assert verdict(view.state, view.config, "sales.abandoned", view.wall_now).state is ValueState.NOT_RECEIVED


def test_the_agents_bar_is_live_with_wrap_n_a() -> None:
    """An Asterisk-fed agents bar says "Wrap n/a", is not greyed "NOT LIVE", and the twin says the same."""
    config = _config()
    view = view_of(config, _agents(wrap_supplied=False))
    _, painter = paint(config, view, (1920, 1080))
    twin = screen_twin(painter, view, (1920, 1080))
    agents = next(w for w in _widgets(twin) if w["type"] == "agents")
    words = [t["text"] for t in agents["texts"]]
    assert any(word.endswith("Wrap n/a") for word in words), words
    assert not any("NOT LIVE" in word for word in words), words
    assert agents["value_states"]["agents_wrap"] == "not_supplied"
    assert agents["stale"] is False
    assert cast(dict[str, Any], twin["live"])["state"] == "live"  # not supplied is not missing


def test_with_no_agent_data_the_legend_draws_no_zeros() -> None:
    """No agent counts at all: the legend says "--" for each state and the title says NO DATA; never "Available 0"."""
    config = _config()
    view = view_of(config, {"metrics": {"sales.calls_waiting": 4}})
    _, painter = paint(config, view, (1920, 1080))
    words = [t["text"] for w in _widgets(screen_twin(painter, view, (1920, 1080))) if w["type"] == "agents"
             for t in w["texts"]]  # fmt: skip
    assert not any(word.endswith(" 0") for word in words), words
    assert any("NO DATA" in word for word in words), words
    assert any(word.endswith("Available --") or word.endswith("Free --") for word in words), words


def test_the_strip_counts_what_never_arrived() -> None:
    """Link up, one metric shown never received: the strip says "◐ 1 OF 5 NO DATA", not a green LIVE."""
    config = _config()
    sample = _agents(wrap_supplied=True)
    view = view_of(config, sample)  # wrap supplied but never sent: missing
    freshness = board_freshness(view, shown_sources(config.display.page[0].widget))
    assert (freshness.liveness, freshness.missing, freshness.total) == (Liveness.PARTLY_MISSING, 1, 5)
    assert liveness_text(freshness, 0.0) == "\u25d0 1 OF 5 NO DATA"
    counted = tally(view.state, config, ["sales.agents_wrap", "sales.calls_waiting"], view.wall_now)
    assert counted.not_received == ("sales.agents_wrap",) and counted.count(ValueState.ZERO) == 1


def test_a_reset_to_zero_of_zero_leaves_no_old_value_in_the_twin(tmp_path: Path) -> None:
    """A new period (0 of 0 answered): the tile and the twin both say no calls yet, with no old value or colour."""
    text = AGENTS_PAGE.replace('{ type = "agents", queue = "sales", at = [1, 1] },',
                               '{ type = "kpi", metric = "sales.service_level_pct", at = [1, 1] },')  # fmt: skip
    text += '[[rule]]\nmetric = "sales.service_level_pct"\nwarn_below = 80\n'
    config = _config(text)
    view = view_of(config, {"queues": {"sales": {"offered": 0, "answered": 0, "answered_within_target": 0,
                                                 "abandoned": 0, "short_abandoned": 0}}})  # fmt: skip
    _, painter = paint(config, view, (1920, 1080))
    tile = next(
        w for w in _widgets(screen_twin(painter, view, (1920, 1080))) if w.get("metric") == "sales.service_level_pct"
    )
    assert tile["value_state"] == "no_calls_yet"
    assert tile["value"] is None
    assert tile["shown"] == "no calls yet"
    assert tile["state"] == "neutral"
    assert any(t["text"] == "no calls yet" for t in tile["texts"])


NEVER_SENT_PAGE = """
[[metric]]
key = "sales.abandoned"
stale_after = "1s"
[[display.page]]
columns = 2
rows = 1
widget = [
    { type = "kpi", metric = "sales.calls_waiting", at = [1, 1] },
    { type = "kpi", metric = "sales.abandoned", at = [2, 1] },
]
"""


def test_a_never_received_metric_is_in_the_status_the_fleet_and_the_log_once(
    mosquitto: Mosquitto, tmp_path: Path, write_config: WriteConfig, caplog: pytest.LogCaptureFixture
) -> None:
    """Over mosquitto, abandoned never arrives: the status lists it, fleet flags no-data, the log names it once."""
    loaded = load_config(write_config(board_toml(mosquitto.port, tmp_path / "state", NEVER_SENT_PAGE)))

    views: list[BoardView] = []

    class LastView:
        def render(self, view: BoardView) -> float:
            views.append(view)
            return 1.0

        def close(self) -> None:
            return None

    def outputs(ports: BoardPorts) -> list[BoardOutput]:
        built: list[BoardOutput] = [FakeDisplay(), StateLog(), LastView()]
        return [*built, HealthPublisher(ports.publisher, ports.topics, built)]

    board = compose_board(loaded, outputs=outputs)
    caplog.set_level(logging.INFO, logger="wallboard.ops.state_log")
    board.start()
    try:
        step_until(board, lambda: board.state.link.status is LinkStatus.UP, what="the board's link up")
        mosquitto.publish("cc/lab/queue/sales", json.dumps({"calls_waiting": 4}).encode())
        step_until(board, lambda: board.state.value("sales.calls_waiting") is not None, what="calls_waiting")
        time.sleep(1.2)  # past abandoned's stale limit since the start
        run_for(board, 0.5)
        named = [r.getMessage() for r in caplog.records if r.getMessage().startswith("sales.abandoned: not received")]
        assert len(named) == 1, named
        run_for(board, 0.3)  # said once, not on every pass
        assert len([r for r in caplog.records if r.getMessage().startswith("sales.abandoned: not received")]) == 1
        health = next(o for o in board.outputs if isinstance(o, HealthPublisher))
        health.publish(views[-1])
        rows = fleet_rows(mosquitto.port)
        assert "no-data" in rows["b1"]["flags"], rows
    finally:
        board.close()
    document = health.document(views[-1])
    data = cast(dict[str, Any], document["data"])
    assert data["not_received"] == ["sales.abandoned"] and data["not_supplied"] == []


def test_live_over_mqtt_a_reset_to_zero_of_zero_is_said_alike_on_tile_and_twin(
    mosquitto: Mosquitto, tmp_path: Path, write_config: WriteConfig
) -> None:
    """Over mosquitto: 96 of 120 (80.0 %), then a new period's 0 of 0: the drawn tile and the twin both say it."""
    from wallboard.display.screen import DisplayOutput

    page = KPI_PAGE.replace("[display]\n", '[display]\nsize = "1280x720"\nfullscreen = false\n')
    loaded = load_config(write_config(board_toml(mosquitto.port, tmp_path / "state", page)))
    display = DisplayOutput(loaded.config, size=(1280, 720), fullscreen=False)
    board = compose_board(loaded, outputs=lambda ports: [display])

    def service_level() -> dict[str, Any]:
        board.step()
        twin = display.explain()
        assert twin is not None
        return next(w for w in _widgets(twin) if w.get("metric") == "sales.service_level_pct")

    board.start()
    try:
        step_until(board, lambda: board.state.link.status is LinkStatus.UP, what="link up")
        counts = {"offered": 120, "answered": 100, "answered_within_target": 96, "abandoned": 20, "short_abandoned": 0}
        mosquitto.publish("cc/lab/queue/sales", json.dumps({"ts": time.time(), **counts}))
        step_until(board, lambda: service_level()["shown"] == "80.0%", what="80.0 % drawn")
        tile = service_level()
        assert (tile["value_state"], tile["value"]) == ("live", 80.0)
        assert "96 of 120" in " ".join(t["text"] for t in tile["texts"])
        reset = {key: 0 for key in counts}
        mosquitto.publish(
            "cc/lab/queue/sales", json.dumps({"ts": time.time() + 1, "period_start": time.time(), **reset})
        )
        step_until(board, lambda: service_level()["value_state"] == "no_calls_yet", what="the reset")
        tile = service_level()
        assert tile["value"] is None and tile["shown"] == "no calls yet" and tile["state"] == "neutral"
        assert "80.0%" not in [t["text"] for t in tile["texts"]]
        assert "no calls yet" in [t["text"] for t in tile["texts"]]
    finally:
        board.close()
