"""The wallboard command: `check` for IT before a rollout, and `run` stopping cleanly on SIGTERM."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.broker import Mosquitto, require
from tests.conftest import board_toml
from tests.helpers import start_board_process

REPO = Path(__file__).resolve().parent.parent


def _wallboard(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wallboard.app.cli", *args], capture_output=True, text=True, timeout=timeout, cwd=REPO
    )


def test_check_passes_the_shipped_configs() -> None:
    """`wallboard check config/` validates every shipped board and exits 0."""
    result = _wallboard("check", "config")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "config/boards/floor1.toml: ok" in result.stdout
    assert "config/boards/floor2.toml: ok" in result.stdout


def test_check_reports_each_problem_and_exits_non_zero(tmp_path: Path) -> None:
    """A broken board gives one line per problem naming file and key, and a non-zero exit."""
    (tmp_path / "site.toml").write_text('[site]\nid = "s"\n')
    (tmp_path / "good.toml").write_text('extends = "site.toml"\n[board]\nid = "good"\n')
    broken = tmp_path / "floor2.toml"
    rule = '[[rule]]\nmetric = "q.asa_s"\nwarn_above = "eighty"\n'
    broken.write_text(f'extends = "site.toml"\n[board]\nid = "f2"\n{rule}')
    result = _wallboard("check", str(tmp_path))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert f'{broken}: rule[1].warn_above: expected a number, got "eighty"' in lines
    assert f"{tmp_path / 'good.toml'}: ok" in lines
    assert all("site.toml" not in line for line in lines)  # a site file is checked through its boards
    assert "2 board config(s) checked, 1 invalid" in result.stderr


def test_check_on_a_missing_path_fails() -> None:
    """A path that does not exist is a failure, not silence."""
    result = _wallboard("check", "no/such/dir")
    assert result.returncode == 1 and "no such file or folder" in result.stdout


def test_run_refuses_an_invalid_config(tmp_path: Path) -> None:
    """`wallboard run` with a broken config logs the problem and exits 2 without starting."""
    bad = tmp_path / "b.toml"
    bad.write_text('[site]\nid = "s"\n[board]\nid = "b"\n[mqtt]\nport = "x"\n')
    result = _wallboard("run", "--config", str(bad))
    assert result.returncode == 2
    assert "mqtt.port: expected a whole number" in result.stderr and "refusing to start" in result.stderr


def test_run_stops_cleanly_on_sigterm_with_cache_flushed_and_status_offline(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    """SIGTERM: exit 0, the last values in the cache, and the retained status says offline."""
    state_dir = tmp_path / "state"
    config = tmp_path / "board.toml"
    config.write_text(board_toml(mosquitto.port, state_dir).replace('flush_interval = "0.5s"', 'flush_interval = "1m"'))
    # Retained, so the board receives it the moment it subscribes.
    mosquitto.publish("cc/lab/queue/sales", json.dumps({"ts": time.time(), "calls_waiting": 11}), retain=True)
    process = start_board_process(config, REPO)
    try:
        sub = [require("mosquitto_sub"), "-h", "127.0.0.1", "-p", str(mosquitto.port), "-t", "wallboard/lab/b1/status",
               "-C", "1", "-W", "20"]  # fmt: skip
        status = json.loads(subprocess.run(sub, capture_output=True, text=True, timeout=30).stdout)
        assert status["status"] == "online"
        time.sleep(1.0)  # let the board apply the retained message; the cache's own flush interval is a minute
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "received SIGTERM, stopping" in output and "board stopped" in output
    with sqlite3.connect(state_dir / "cache.sqlite3") as db:
        assert db.execute("SELECT value FROM metric WHERE key = 'sales.calls_waiting'").fetchone() == (11.0,)
    status = json.loads(subprocess.run(sub, capture_output=True, text=True, timeout=30).stdout)
    assert status["status"] == "offline"
