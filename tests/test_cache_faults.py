"""The cache on a disk that fails: full (a tiny tmpfs), locked by another process, read-only; the board lives on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import board_toml
from tests.helpers import WriteConfig, step_until
from wallboard.app.loop.board import Board
from wallboard.app.loop.compose import compose_board, no_outputs
from wallboard.device.config.reading import load_config
from wallboard.device.core.values import LinkStatus, MetricValue
from wallboard.device.edge.cache import CACHE_FILE, Cache
from wallboard.device.edge.source import FakeSource
from wallboard.ops.health import HealthPublisher

QUEUES = 100


def _mount(folder: Path, options: str) -> None:
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
    if result.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs ({result.stderr.decode().strip()}): these tests need root", pytrace=False)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """An 8 MiB tmpfs: a disk that can really fill up."""
    folder = tmp_path / "disk"
    folder.mkdir()
    _mount(folder, "size=8m,mode=0755")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _fill(disk: Path) -> Path:
    """Write a filler file until the disk says it is full; return it."""
    filler = disk / "filler"
    try:
        with filler.open("wb") as handle:
            while True:
                handle.write(b"\0" * 4096)
                handle.flush()
    except OSError:
        pass
    return filler


def _seed(cache_dir: Path) -> None:
    """A good cache file with QUEUES values, closed cleanly."""
    cache = Cache(cache_dir / CACHE_FILE)
    for queue in range(QUEUES):
        cache.stage(f"q{queue}.calls_waiting", MetricValue(queue, 1000.0 + queue, 1000.0 + queue))
    assert cache.flush(force=True)
    cache.close()


def _board(write_config: WriteConfig, cache_dir: Path) -> tuple[Board, FakeSource]:
    source = FakeSource()
    board = compose_board(load_config(write_config(board_toml(1883, cache_dir))), source=source, outputs=no_outputs)
    board.outputs.append(HealthPublisher(source, board.topics, board.outputs))
    board.start()
    source.link(LinkStatus.UP)
    return board, source


def _deliver(source: FakeSource, round_: int) -> None:
    for queue in range(QUEUES):
        source.deliver(f"cc/lab/queue/q{queue}", json.dumps({"calls_waiting": round_, "ts": time.time()}))


def _status(source: FakeSource) -> dict[str, Any]:
    """The newest status document the board published."""
    document: dict[str, Any] = json.loads(source.messages_on("wallboard/lab/b1/status")[-1].payload)
    return document


def _recover(board: Board, what: str) -> float:
    """Drive the board until its cache is ok again; return how long that took (printed by the tests)."""
    began = time.monotonic()
    step_until(board, lambda: board.cache.condition == "ok", what=what)
    return time.monotonic() - began


def _cached(cache_dir: Path) -> dict[str, MetricValue]:
    """The raw values in the cache file (the ones the board derived from them ride along)."""
    cache = Cache(cache_dir / CACHE_FILE)
    try:
        assert cache.moved_aside is None
        return {key: value for key, value in cache.load_values().items() if not value.derived}
    finally:
        cache.close()


def test_a_disk_that_fills_while_running_degrades_the_cache_and_loses_nothing(
    tiny_disk: Path, write_config: WriteConfig
) -> None:
    """A full disk mid-run: the board keeps stepping, says `cache: degraded`, and writes it all once space is back."""
    board, source = _board(write_config, tiny_disk)
    try:
        _deliver(source, 1)
        step_until(board, lambda: board.cache.commits >= 1, what="a first commit")
        filler = _fill(tiny_disk)
        _deliver(source, 2)
        step_until(board, lambda: board.cache.condition != "ok", what="the cache degraded")
        assert board.cache.condition.startswith("degraded (cannot write: database or disk is full")
        for _ in range(20):
            board.step()  # the loop goes on; flushes keep failing without an exception
        assert _status(source)["cache"].startswith("degraded (cannot write: database or disk is full")
        filler.unlink()
        took = _recover(board, "the cache recovered")
        board.step()
        assert _status(source)["cache"] == "ok"
        print(f"\ndisk full while running: recovered {took:.2f}s after space came back")
    finally:
        board.close()
    values = _cached(tiny_disk)
    assert len(values) == QUEUES and {v.value for v in values.values()} == {2.0}


def test_a_disk_full_at_start_keeps_the_cache_file_and_restores_it_later(
    tiny_disk: Path, write_config: WriteConfig
) -> None:
    """A full disk at start: the file is not moved aside; once space is back all 100 values are restored."""
    _seed(tiny_disk)
    filler = _fill(tiny_disk)
    board, _ = _board(write_config, tiny_disk)
    try:
        board.step()
        restored_at_start = sum(1 for _ in board.state.metrics())
        filler.unlink()
        if restored_at_start < QUEUES:  # SQLite could not open the file on the full disk
            assert board.cache.condition.startswith("degraded")
            took = _recover(board, "the cache opened")
            print(f"\ndisk full at start: cache opened {took:.2f}s after space came back")
        step_until(
            board,
            lambda: sum(1 for _, v in board.state.metrics() if not v.derived) == QUEUES,
            what="all values restored",
        )
    finally:
        board.close()
    assert not list(tiny_disk.glob("*.bad-*"))
    assert len(_cached(tiny_disk)) == QUEUES


HOLD_LOCK = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA locking_mode = EXCLUSIVE")
db.execute("BEGIN EXCLUSIVE")
db.execute("UPDATE metric SET value = value")
print("locked", flush=True)
sys.stdin.readline()
db.execute("ROLLBACK")
db.close()
"""


def test_a_locked_cache_is_retried_not_moved_aside(tmp_path: Path, write_config: WriteConfig) -> None:
    """Another process holding an exclusive lock at start: degraded, then every value restored once it lets go."""
    cache_dir = tmp_path / "state"
    _seed(cache_dir)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(cache_dir / CACHE_FILE)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        board, _ = _board(write_config, cache_dir)
        try:
            board.step()
            assert board.cache.condition.startswith("degraded (cannot open: database is locked")
            assert sum(1 for _ in board.state.metrics()) == 0
            assert holder.stdin is not None
            holder.stdin.write("\n")
            holder.stdin.flush()
            holder.wait(timeout=10)
            took = _recover(board, "the lock released")
            print(f"\nlocked cache: opened {took:.2f}s after the lock was released")
            step_until(
                board,
                lambda: sum(1 for _, v in board.state.metrics() if not v.derived) == QUEUES,
                what="all values restored",
            )
        finally:
            board.close()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    assert not list(cache_dir.glob("*.bad-*"))


def test_a_read_only_cache_folder_is_retried_and_recovers(tmp_path: Path, write_config: WriteConfig) -> None:
    """A cache folder remounted read-only: the board runs degraded, keeps the file, and recovers when writable."""
    disk = tmp_path / "ro"
    disk.mkdir()
    _mount(disk, "size=4m,mode=0755")
    try:
        _seed(disk)
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        assert not os.access(disk, os.W_OK) or subprocess.run(["touch", str(disk / "x")]).returncode != 0
        board, source = _board(write_config, disk)
        try:
            _deliver(source, 7)
            step_until(board, lambda: board.cache.condition.startswith("degraded"), what="the cache degraded")
            print(f"\nread-only folder: {board.cache.condition}")
            subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
            took = _recover(board, "the folder writable again")
            print(f"read-only folder: recovered {took:.2f}s after it became writable")
            step_until(board, lambda: board.cache.commits >= 1, what="the kept values written")
        finally:
            board.close()
        values = _cached(disk)
        assert len(values) == QUEUES and {v.value for v in values.values()} == {7.0}
        assert not list(disk.glob("*.bad-*"))
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_bad_file_that_cannot_be_moved_aside_is_retried_not_fatal(tmp_path: Path, write_config: WriteConfig) -> None:
    """A corrupt cache in a folder that turns read-only: the board keeps running degraded, then moves it aside."""
    disk = tmp_path / "ro"
    disk.mkdir()
    _mount(disk, "size=4m,mode=0755")
    try:
        board, source = _board(write_config, disk)
        try:
            board.cache.close()  # the file goes bad under the running board, and the folder read-only
            (disk / CACHE_FILE).write_bytes(b"this is not a database" * 100)
            board.cache._db = None  # as after a failed write: the next flush reopens it
            subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
            _deliver(source, 3)
            step_until(board, lambda: "cannot be moved" in board.cache.condition, what="degraded: cannot move")
            subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
            _recover(board, "moved aside once writable")
            assert board.cache.moved_aside is not None
        finally:
            board.close()
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
