"""docs/deployment.md runs: §7's remote config passes `check` and is applied by a running board; §6 lists every flag."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.broker import Mosquitto
from tests.conftest import board_toml
from tests.helpers import WriteConfig
from tests.ops_support import Inbox, reporting_board, status_inbox, status_where
from wallboard.app.cli import main
from wallboard.app.loop.board import Board
from wallboard.app.tools.fleet import FLAGS, watch
from wallboard.app.tools.mqtt_client import ToolClient
from wallboard.device.config.reading import load_config

DOC = (Path(__file__).resolve().parent.parent / "docs" / "deployment.md").read_text(encoding="utf-8")
CONFIG_TOPIC = "wallboard/london/floor1/config"


def _section(number: int) -> str:
    start = DOC.index(f"\n## {number}. ")
    return DOC[start : DOC.index("\n## ", start + 1)]


def _remote_example() -> str:
    """The TOML block of §7 that starts with its file name."""
    blocks = re.findall(r"```toml\n(.*?)```", _section(7), flags=re.DOTALL)
    (example,) = [block for block in blocks if block.startswith("# floor1-remote.toml")]
    return str(example)


@pytest.fixture
def floor1(mosquitto: Mosquitto, tmp_path: Path, write_config: WriteConfig) -> Iterator[Board]:
    """A running board london/floor1 with a health publisher, connected to the test broker."""
    text = board_toml(mosquitto.port, tmp_path / "state", site="london", board="floor1")
    with reporting_board(load_config(write_config(text))) as board:
        yield board


@pytest.fixture
def inbox(mosquitto: Mosquitto) -> Iterator[Inbox]:
    """The board's status messages as they reach another client of the broker."""
    with status_inbox(mosquitto.port, "london", "floor1") as inbox:
        yield inbox


def _fleet_row(port: int) -> dict[str, Any]:
    client = ToolClient("127.0.0.1", port)
    client.connect()
    out = io.StringIO()
    try:
        watch(client, as_json=True, once=True, duration=1.0, out=out)
    finally:
        client.close()
    (row,) = [row for row in json.loads(out.getvalue()) if row["board"] == "floor1"]
    return dict(row)


def test_the_remote_config_example_passes_wallboard_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """§7's floor1-remote.toml, written out as the page says, passes `wallboard check` (exit 0, "ok")."""
    path = tmp_path / "floor1-remote.toml"
    path.write_text(_remote_example())
    assert main(["check", str(path)]) == 0
    assert f"{path}: ok" in capsys.readouterr().out


def test_the_remote_config_example_is_applied_by_a_running_board(
    mosquitto: Mosquitto, floor1: Board, inbox: Inbox
) -> None:
    """Pushed retained on floor1's config topic, §7's example is applied: new name, rules, page; broker kept."""
    mosquitto.publish(CONFIG_TOPIC, _remote_example(), retain=True)
    status_where(floor1, inbox, lambda d: (d.get("remote_config") or {}).get("result") == "applied", "applied")
    assert floor1.config.board.name == "Floor 1 - Sales (late shift)"
    assert [rule.metric for rule in floor1.config.rule] == ["sales.calls_waiting", "sales.longest_wait_s"]
    assert floor1.config.mqtt.port == mosquitto.port  # [mqtt] left out: the running connection is kept
    assert _fleet_row(mosquitto.port)["config"] == "applied"


def test_a_rejected_remote_config_shows_its_reasons_in_fleet_json(
    mosquitto: Mosquitto, floor1: Board, inbox: Inbox
) -> None:
    """§7's jq line shows `config_problems`: the very line the page prints for a file without its board's id."""
    without_board_id = _remote_example().replace('id = "floor1"\n', "")
    mosquitto.publish(CONFIG_TOPIC, without_board_id, retain=True)
    status_where(floor1, inbox, lambda d: (d.get("remote_config") or {}).get("result") == "rejected", "rejected")
    row = _fleet_row(mosquitto.port)
    shown = json.loads(re.findall(r"```json\n(.*?)```", _section(7), flags=re.DOTALL)[0])
    assert {"config": row["config"], "config_problems": row["config_problems"]} == shown
    assert "config-refused" in row["flags"]


def test_section_6_lists_every_fleet_flag() -> None:
    """Every flag `wallboard fleet` can show (offline, hot, stale, dark, cache, no-data, ...) is in §6's table."""
    section = _section(6)
    assert [flag for flag in FLAGS if f"| `{flag}` |" not in section] == []
