"""A sustained flood of junk: memory stays bounded, the log grows by a few KB a minute, the board keeps going."""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.conftest import board_toml
from tests.helpers import WriteConfig, wait_until
from wallboard.app.loop.compose import compose_board, no_outputs
from wallboard.device.config.reading import load_config
from wallboard.device.core.values import LinkStatus
from wallboard.device.core.view import BoardView
from wallboard.device.edge.source import FakeSource

PAGE = """
[[display.page]]
widget = [{ type = "kpi", metric = "sales.calls_waiting" }]
"""
STEADY_SECONDS = 12.0


class BrokenOutput:
    """An output whose render raises on every pass."""

    def __init__(self) -> None:
        self.calls = 0

    def render(self, view: BoardView) -> float:
        self.calls += 1
        raise RuntimeError("the lamp driver fell over")

    def close(self) -> None:
        return None


@pytest.fixture
def journal() -> Iterator[io.StringIO]:
    """Every line the board logs, formatted as the journal would keep it (tracebacks included)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("wallboard")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def _junk(source: FakeSource, round_: int, count: int) -> None:
    """One burst: new queue topics, new announcement ids, and numbers beyond a double (10**400)."""
    now = time.time()
    for n in range(count):
        serial = round_ * count + n
        source.deliver(f"cc/lab/queue/junk{serial}", json.dumps({"calls_waiting": 1, "ts": now}))
        source.deliver("cc/lab/announce", json.dumps({"id": f"a{serial}", "text": "buy now"}))
        if n % 25 == 0:
            source.deliver("cc/lab/queue/sales", '{"calls_waiting": 1' + "0" * 400 + "}")
    source.deliver("cc/lab/queue/sales", json.dumps({"calls_waiting": round_ % 50, "ts": now}))


def test_a_flood_of_junk_is_bounded_in_memory_and_in_the_log(
    tmp_path: Path, write_config: WriteConfig, journal: io.StringIO
) -> None:
    """50k+ junk queues, 20k+ announcement ids, 10**400 values and a failing output: bounded, counted, quiet."""
    source = FakeSource()
    board = compose_board(
        load_config(write_config(board_toml(1883, tmp_path / "state", PAGE))), source=source, outputs=no_outputs
    )
    broken = BrokenOutput()
    board.outputs.append(broken)
    board.start()
    source.link(LinkStatus.UP)
    process = psutil.Process()
    rss_before = process.memory_info().rss
    try:
        round_, began = 0, time.monotonic()
        steady_from: int | None = None
        steady_began = 0.0
        # At least the time, and at least 20 bursts: a slower machine (a Pi, qemu) floods for longer, not less.
        while time.monotonic() - began < STEADY_SECONDS + 3 or round_ < 20:
            _junk(source, round_, 1000)
            board.step()
            round_ += 1
            if steady_from is None and time.monotonic() - began >= 3:  # first lines of each kind are out
                steady_from, steady_began = len(journal.getvalue().encode()), time.monotonic()
        steady_seconds = time.monotonic() - steady_began
        rss_after = process.memory_info().rss
    finally:
        board.close()
    log_bytes = len(journal.getvalue().encode())
    assert steady_from is not None
    per_minute = (log_bytes - steady_from) / steady_seconds * 60
    counts = board.rejections.counts()
    metrics = sum(1 for _ in board.state.metrics())
    raw = sum(1 for _, held in board.state.metrics() if not held.derived)
    print(
        f"\nflood: {round_ * 1000} junk queues, {round_ * 1000} announcement ids,"
        f" {counts.get('not_finite', 0)} x 10**400,"
        f" {broken.calls} failing renders in {STEADY_SECONDS + 3:.0f}s; log {log_bytes} bytes"
        f" ({journal.getvalue().count(chr(10))} lines), steady {per_minute:.0f} bytes/min;"
        f" RSS {rss_before / 2**20:.1f} -> {rss_after / 2**20:.1f} MB; metrics held {metrics}; rejected {counts}"
    )
    assert round_ * 1000 >= 20_000  # the flood really was that large
    assert raw <= 2048 + 20  # the bound on unnamed queues (2048) plus sales' own metrics
    assert metrics <= 2 * (2048 + 20)  # each junk field (calls_waiting) derives one metric (contacts_waiting)
    assert len(board.state.announcements()) == 32
    assert counts["not_finite"] >= round_ * 40 - 40 and "malformed" not in counts
    assert counts["over_limit"] >= round_ * 1000
    assert journal.getvalue().count("Traceback") <= 2  # the failing output's first traceback, then one a minute
    assert per_minute < 6_000, f"the log grows by {per_minute:.0f} bytes a minute under the flood"
    assert board.state.value("sales.calls_waiting") is not None  # real data still got through


def test_a_pass_that_fails_costs_that_pass_not_the_board(
    tmp_path: Path, write_config: WriteConfig, journal: io.StringIO
) -> None:
    """If a pass raises (a fault no check foresaw), the loop logs it once and goes on; values still arrive."""
    source = FakeSource()
    board = compose_board(
        load_config(write_config(board_toml(1883, tmp_path / "state"))), source=source, outputs=no_outputs
    )
    real_assess = board.rules.assess
    failures = {"left": 3}

    def assess(*args: object) -> object:
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("a rule fell over")
        return real_assess(*args)  # type: ignore[arg-type]

    board.rules.assess = assess  # type: ignore[method-assign,assignment]
    stop = threading.Event()
    runner = threading.Thread(target=board.run, args=(stop,))
    runner.start()
    try:
        wait_until(lambda: source.started, what="the board started")
        source.link(LinkStatus.UP)
        source.deliver("cc/lab/queue/sales", json.dumps({"calls_waiting": 4, "ts": time.time()}))
        wait_until(
            lambda: board.failed_passes == 3 and board.state.value("sales.calls_waiting") is not None,
            what="three failed passes, and the value shown after them",
        )
        time.sleep(0.5)  # passes go on, and now succeed
        assert runner.is_alive() and board.failed_passes == 3
    finally:
        stop.set()
        runner.join(10)
    assert journal.getvalue().count("a pass of the board's loop failed") == 1  # then counted, not repeated
