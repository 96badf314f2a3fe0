"""The screen's text twin: what each widget says, from `wallboard preview --explain` and with every screenshot."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

from tests.broker import Mosquitto
from tests.conftest import board_toml
from tests.helpers import WriteConfig, step_until
from tests.test_honest_pending import HELD_PAGE
from wallboard.app.loop.compose import compose_board, no_outputs
from wallboard.app.tools.fleet import describe_twin, fetch_screenshot
from wallboard.app.tools.mqtt_client import ToolClient
from wallboard.device.config.reading import load_config
from wallboard.device.core.values import LinkStatus
from wallboard.display.draw.twin import TWIN_SCHEMA
from wallboard.ops.screenshot import ScreenshotResponder

ROOT = Path(__file__).resolve().parent.parent


def test_preview_explain_writes_the_twin_beside_the_png(tmp_path: Path) -> None:
    """`wallboard preview --explain` on the pending sample: page, liveness and each tile's words, value and pending."""
    out, twin_path = tmp_path / "board.png", tmp_path / "board.json"
    subprocess.run(
        [sys.executable, "-m", "wallboard.app.cli", "preview", "--config", str(ROOT / "config/boards/floor1.toml"),
         "--data", str(ROOT / "config/sample-data-pending.json"), "--out", str(out), "--explain", str(twin_path)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    assert out.read_bytes().startswith(b"\x89PNG")
    twin = json.loads(twin_path.read_text())
    assert twin["schema"] == TWIN_SCHEMA
    assert twin["page"] == {"number": 1, "of": 2, "name": "Now"}
    assert twin["live"] == {"state": "live", "stale": 0, "sources": 11, "no_data": 0}
    by_label = {w["texts"][0]["text"]: w for w in twin["widgets"] if w["texts"]}
    service = by_label["Service level"]
    # floor1's tiles are narrow: the marker's short form is the one legible from 10 m
    assert [t["text"] for t in service["texts"]] == ["Service level", "78.0%", "WARNING IN 18 s"]
    assert service["value"] == 78.0 and service["shown"] == "78.0%" and service["severity"] == "normal"
    assert service["state"] == "pending_warn"
    assert service["pending"] == {"level": "warn", "seconds_left": 18.0}
    assert service["stale"] is False and service["age_s"] == 0.0
    assert all(t["cap_px"] > 0 for w in twin["widgets"] for t in w["texts"])
    abandoned = by_label["Abandoned"]
    assert abandoned["pending"] == {"level": "critical", "seconds_left": 18.0}
    assert describe_twin(twin)[0].startswith("page 1/2 Now \u00b7 live (0 of 11 stale)")


def test_a_screenshot_brings_its_text_twin_over_mqtt(
    mosquitto: Mosquitto, tmp_path: Path, write_config: WriteConfig
) -> None:
    """A real display and mosquitto: `fleet --screenshot` writes board.json beside board.png, pending and all."""
    from wallboard.display.screen import DisplayOutput

    page = HELD_PAGE.replace("[display]\n", '[display]\nsize = "1280x720"\nfullscreen = false\n')
    config = write_config(board_toml(mosquitto.port, tmp_path / "state", page))
    display = DisplayOutput(load_config(config).config, size=(1280, 720), fullscreen=False)
    board = compose_board(load_config(config), outputs=no_outputs)
    board.outputs.extend([display])
    board.outputs.append(ScreenshotResponder(board.source, board.topics, board.outputs))
    board.start()
    client = ToolClient("127.0.0.1", mosquitto.port)
    try:
        step_until(board, lambda: board.state.link.status is LinkStatus.UP, what="link up")
        mosquitto.publish("cc/lab/queue/sales", json.dumps({"service_level_pct": 78.0, "calls_waiting": 3}))
        step_until(board, lambda: board.state.value("sales.calls_waiting") is not None, what="values")
        board.step()
        client.connect()
        result: list[str | None] = []
        out = tmp_path / "shot.png"
        worker = threading.Thread(target=lambda: result.append(fetch_screenshot(client, "lab", "b1", out, timeout=8)))
        worker.start()
        step_until(board, lambda: not worker.is_alive(), timeout=15, what="the screenshot answer")
        worker.join(10)
    finally:
        client.close()
        board.close()
    assert result == [None]
    twin = json.loads(out.with_suffix(".json").read_text())
    assert twin["site"] == "lab" and twin["screen"] == "on"
    service = twin["widgets"][0]
    assert service["pending"]["level"] == "warn" and 0 < service["pending"]["seconds_left"] <= 30
    assert service["texts"][2]["text"].startswith("\u25b2 WARNING IN ")
    assert twin["widgets"][1]["texts"][1]["text"] == "3"
