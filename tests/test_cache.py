"""The SQLite cache: batching, restore with original times, kill -9 safety, and bad files moved aside."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.broker import Mosquitto, free_port
from tests.conftest import board_toml
from tests.helpers import ManualClock, WriteConfig, step_until
from wallboard.app.loop.compose import compose_board, no_outputs
from wallboard.device.config.reading import load_config, load_config_text
from wallboard.device.core.values import LinkStatus, MetricValue
from wallboard.device.edge.cache import CACHE_FILE, Cache, open_cache

REPO = Path(__file__).resolve().parent.parent


def test_writes_are_batched_to_one_commit_per_interval(tmp_path: Path) -> None:
    """Many staged values within flush_interval make one commit; the latest value per metric is kept."""
    clock = ManualClock()
    cache = Cache(tmp_path / CACHE_FILE, flush_interval=5.0, clock=clock)
    for i in range(100):
        cache.stage("q.asa_s", MetricValue(i, 1000.0 + i, 1000.0 + i), (1000.0, i))
        clock.now += 0.01
        cache.flush()
    assert cache.commits == 0
    clock.now = 5.0
    assert cache.flush()
    assert cache.commits == 1
    assert cache.load_values() == {"q.asa_s": MetricValue(99, 1099.0, 1099.0)}
    assert cache.load_history("q.asa_s") == [(1000.0, 99.0)]
    cache.close()


def test_history_is_bounded_per_metric(tmp_path: Path) -> None:
    """Only the newest history_points points are kept per metric."""
    cache = Cache(tmp_path / CACHE_FILE, history_points=10, flush_interval=0)
    for i in range(50):
        cache.stage("q.asa_s", MetricValue(i, float(i), float(i)), (float(i), float(i)))
        cache.flush(force=True)
    assert [t for t, _ in cache.load_history("q.asa_s")] == [float(i) for i in range(40, 50)]
    cache.close()


def test_the_cache_is_in_wal_mode_and_keeps_the_last_good_config(tmp_path: Path) -> None:
    """The file is SQLite in WAL mode and the last good config survives reopening."""
    cache = Cache(tmp_path / CACHE_FILE)
    cache.save_config("[site]\nid = 'x'\n", "abc")
    cache.close()
    again = Cache(tmp_path / CACHE_FILE)
    assert again.load_config() is not None and again.load_config().checksum == "abc"  # type: ignore[union-attr]
    again.close()
    with sqlite3.connect(tmp_path / CACHE_FILE) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_kill_9_of_a_writer_at_random_moments_leaves_a_cache_that_opens(tmp_path: Path) -> None:
    """A writer process killed with SIGKILL mid-commit, ten times, always leaves a consistent cache."""
    path = tmp_path / CACHE_FILE
    rng = random.Random(7)
    last_seen = 0.0
    for _ in range(10):
        writer = subprocess.Popen(
            [sys.executable, str(REPO / "tests" / "cache_writer.py"), str(path)],
            stdout=subprocess.PIPE,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        assert writer.stdout is not None and writer.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.05, 0.4))
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=10)
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        cache = Cache(path, history_points=50)
        assert cache.moved_aside is None
        values = cache.load_values()
        assert len(values) == 20
        counts = {value.value for value in values.values()}
        assert len(counts) == 1  # each commit writes all 20 metrics or none of them
        newest = max(value.measured_at for value in values.values())
        assert newest >= last_seen
        last_seen = newest
        cache.close()


def test_a_corrupt_cache_file_is_moved_aside_and_the_board_starts_empty(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Garbage in the cache file is renamed with a log line; a fresh cache works."""
    path = tmp_path / CACHE_FILE
    path.write_bytes(b"this is not a database" * 500)
    cache = Cache(path)
    assert cache.moved_aside is not None and cache.moved_aside.read_bytes().startswith(b"this is not")
    assert cache.load_values() == {}
    assert "moved it to" in caplog.text
    cache.close()


def test_an_unreadable_cache_path_is_moved_aside(tmp_path: Path) -> None:
    """A cache path that cannot be opened as a database (here a folder) is moved aside too."""
    path = tmp_path / CACHE_FILE
    path.mkdir()
    cache = Cache(path)
    assert cache.moved_aside is not None and cache.moved_aside.is_dir()
    cache.close()


def test_no_usable_cache_folder_degrades_keeps_the_data_and_recovers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """If the cache folder cannot be made the cache is degraded, keeps staged data, and recovers once it can."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    config = load_config_text(f'[site]\nid = "s"\n[board]\nid = "b"\n[cache]\ndir = "{blocker}"\n').config
    cache = open_cache(config.cache)
    assert cache.condition.startswith("degraded (cannot open")
    assert "degraded" in caplog.text
    cache.stage("q.asa_s", MetricValue(5, 100.0, 100.0))
    assert not cache.flush(force=True)
    blocker.unlink()
    assert cache.flush(force=True) and cache.reopened
    assert cache.condition == "ok"
    assert cache.load_values() == {"q.asa_s": MetricValue(5, 100.0, 100.0)}
    cache.close()


def test_board_restores_cached_values_as_stale_after_restart_with_no_broker(
    mosquitto: Mosquitto, tmp_path: Path, write_config: WriteConfig
) -> None:
    """Values received live survive a restart; with no broker and time passed they come back stale."""
    state_dir = tmp_path / "state"
    path = write_config(board_toml(mosquitto.port, state_dir))
    board = compose_board(load_config(path), outputs=no_outputs)
    board.start()
    try:
        step_until(board, lambda: board.state.link.status is LinkStatus.UP, what="link up")
        measured = time.time() - 1
        mosquitto.publish("cc/lab/queue/sales", json.dumps({"ts": measured, "calls_waiting": 6, "asa_s": 20}))
        step_until(board, lambda: board.state.value("sales.asa_s") is not None, what="values")
    finally:
        board.close()
    mosquitto.stop()

    unreachable = write_config(board_toml(free_port(), state_dir), name="again.toml")
    later = compose_board(load_config(unreachable), wall_clock=lambda: time.time() + 3600, outputs=no_outputs)
    later.start()
    try:
        later.step()  # the first pass already has the cached values
        restored = later.state.value("sales.calls_waiting")
        assert restored is not None and restored.value == 6 and abs(restored.measured_at - measured) < 1e-3
        assert later.state.is_stale("sales.calls_waiting")
        assert later.assessment.blind
        assert later.state.link.status is not LinkStatus.UP
    finally:
        later.close()


def test_a_database_failing_integrity_check_is_moved_aside(tmp_path: Path) -> None:
    """A real SQLite file with a damaged page (header intact) fails integrity_check and is moved aside."""
    path = tmp_path / CACHE_FILE
    cache = Cache(path, history_points=10)
    for n in range(2000):
        cache.stage(f"q{n}.calls_waiting", MetricValue(n, 1000.0 + n, 1000.0 + n))
    assert cache.flush(force=True)
    cache.close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
    with path.open("r+b") as handle:  # scribble over pages 3 to 5 (b-tree pages); page 1's header stays
        handle.seek(page_size * 2)
        handle.write(b"\xff" * page_size * 3)
    cache = Cache(path)
    try:
        assert cache.moved_aside is not None and cache.moved_aside.exists()
        assert cache.condition == "ok" and cache.load_values() == {}
    finally:
        cache.close()


def test_restoring_a_cache_full_of_junk_is_bounded(tmp_path: Path, write_config: WriteConfig) -> None:
    """A cache holding 5,000 metrics of unnamed queues restores ingest.max_other_metrics and forgets the rest."""
    state_dir = tmp_path / "state"
    cache = Cache(state_dir / CACHE_FILE)
    for n in range(5000):
        cache.stage(f"junk{n}.calls_waiting", MetricValue(1, 1000.0, 1000.0))
    assert cache.flush(force=True)
    cache.close()
    board = compose_board(
        load_config(write_config(board_toml(1883, state_dir, "[ingest]\nmax_other_metrics = 100"))), outputs=no_outputs
    )
    try:
        assert board.restore_from_cache() == 5000  # read from the file...
        assert sum(1 for _ in board.state.metrics()) == 100  # ...but only the bound is held
        assert len(board.cache.load_values()) == 100  # and the rest is gone from the file
    finally:
        board.cache.close()
