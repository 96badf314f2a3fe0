"""``wallboard feed genesys`` as a process: SDK-built Genesys payloads -> the feed -> a real mosquitto -> a board."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.broker import Mosquitto
from tests.conftest import board_toml
from tests.fake_genesys import FakeGenesys, FakeGenesysThread, aggregate, group, observed, stat_event
from tests.helpers import step_until
from wallboard.app.loop.compose import compose_board
from wallboard.device.config.reading import load_config

SALES = "q-sales-0001"
BREAK_ID = "6a3b2f10-0000-4000-8000-00000000b4ea"

PAGE = """
[display]
size = "1280x720"
fullscreen = false
[[display.page]]
columns = 3
rows = 1
widget = [
    { type = "kpi", metric = "sales.service_level_pct", at = [1, 1] },
    { type = "kpi", metric = "sales.abandon_rate_pct", at = [2, 1] },
    { type = "agents", queue = "sales", at = [3, 1] },
]
"""


@pytest.fixture
def genesys() -> Iterator[FakeGenesysThread]:
    """A local Genesys on a quiet morning: 5 answered, all within the SLA, none abandoned (Genesys omits those)."""
    server = FakeGenesysThread(time.time)
    fake = server.start()
    started = int((time.time() - 30) * 1000)
    fake.groups = [
        group(SALES, [observed("oWaiting", 1), observed("oLongestWaiting", 1, started_ms=started)], media="voice"),
        group(
            SALES,
            [
                observed("oOnQueueUsers", 3, "IDLE"),
                observed("oOnQueueUsers", 6, "INTERACTING"),
                observed("oUserPresences", 2, BREAK_ID),
            ],
        ),
    ]
    fake.mappings = {"BREAK": [BREAK_ID]}
    fake.aggregates[SALES] = [aggregate("nOffered", 5), aggregate("tAnswered", 5, 40000), aggregate("tHandle", 5)]
    try:
        yield server
    finally:
        server.close()


def _feed_config(folder: Path, fake: FakeGenesys, mqtt_port: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "genesys.secret").write_text("s3cret\n")
    (folder / "genesys.secret").chmod(0o600)
    path = folder / "feed-genesys.toml"
    path.write_text(
        f"""
[feed]
site = "lab"
time_zone = "Europe/London"
state_dir = "{folder / "state"}"
poll_interval_s = 0.5
heartbeat_s = 5
requests_per_second = 20
burst = 10
[mqtt]
host = "127.0.0.1"
port = {mqtt_port}
[genesys]
client_id = "wallboard"
client_secret_file = "genesys.secret"
api_base = "{fake.base}"
login_base = "{fake.base}"
counts_refresh_s = 2
[genesys.queues]
sales = "{SALES}"
"""
    )
    return path


def test_a_quiet_morning_reaches_the_board_as_100_percent_and_0_percent(
    genesys: FakeGenesysThread, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    """Feed process -> mosquitto -> board: SL 100 %, abandoned 0 %, agents 3/6/2 with Wrap n/a; a notification shows."""
    from wallboard.display.screen import DisplayOutput

    board_file = tmp_path / "board.toml"
    board_file.write_text(board_toml(mosquitto.port, tmp_path / "board-state", PAGE))
    loaded = load_config(board_file)
    display = DisplayOutput(loaded.config, size=(1280, 720), fullscreen=False)
    board = compose_board(loaded, outputs=lambda ports: [display])
    board.start()
    fake = genesys.fake
    config = _feed_config(tmp_path / "feed", fake, mosquitto.port)
    command = [sys.executable, "-m", "wallboard.app.cli", "feed", "genesys", "--config", str(config)]
    feed = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def widgets() -> dict[str, dict[str, Any]]:
        board.step()
        twin = display.explain()
        found: list[dict[str, Any]] = [] if twin is None else twin["widgets"]  # type: ignore[assignment]
        return {str(w.get("metric") or w["type"]): w for w in found}

    def live(key: str) -> float | None:
        return board.state.fresh_value(key)

    try:
        step_until(
            board,
            lambda: live("sales.service_level_pct") == 100 and live("sales.abandon_rate_pct") == 0,
            what="SL 100 % and abandon rate 0 % from Genesys's quiet morning",
            timeout=30,
        )
        assert live("sales.agents_available") == 3 and live("sales.agents_on_call") == 6
        assert live("sales.agents_away") == 2 and live("sales.agents_staffed") == 11
        assert live("sales.calls_waiting") == 1
        step_until(
            board,
            lambda: widgets().get("agents", {}).get("value_states", {}).get("agents_wrap") == "not_supplied",
            what="Genesys's declaration on the board",
            timeout=20,
        )
        shown = widgets()
        service_level, abandoned = shown["sales.service_level_pct"], shown["sales.abandon_rate_pct"]
        assert service_level["shown"] == "100%" and service_level["value_state"] == "live", service_level
        assert "5 of 5 today" in [text["text"] for text in service_level["texts"]], service_level
        assert abandoned["shown"] == "0.0%" and abandoned["value_state"] == "zero", abandoned
        assert "0 of 5 today" in [text["text"] for text in abandoned["texts"]], abandoned
        words = [text["text"] for text in shown["agents"]["texts"]]
        assert any(word.endswith("Wrap n/a") for word in words), words
        assert not any("NOT LIVE" in word or "NO DATA" in word for word in words), words
        # A notification (the SDK's shape) reaches the board in about a poll interval, with no query between.
        queries = fake.count("observations/query")
        sent = time.monotonic()
        genesys.call(fake.notify(SALES, [stat_event("oWaiting", 6.0), stat_event("oLongestWaiting", 6.0)]))
        step_until(board, lambda: live("sales.calls_waiting") == 6, what="the notified calls waiting", timeout=10)
        took = time.monotonic() - sent
        assert took < 3.0, took  # poll_interval_s 0.5 plus MQTT and a loaded machine; applied on arrival
        assert fake.count("observations/query") == queries
        assert fake.tokens_issued == 1 and len(fake.channels) == 1
    finally:
        feed.send_signal(signal.SIGTERM)
        output, _ = feed.communicate(timeout=20)
        board.close()
    assert "Traceback" not in output, output
