"""The run loop's two kinds of pass: a ticker frame does no data work, a still board wakes and presents once a second.

The benchmark's standard board (``bench/configs/``) on a real ``DisplayOutput``
(pygame, offscreen), fed by a ``FakeSource`` and driven pass by pass on
injected clocks that move by the budget each pass returns, as the run loop
would sleep: nothing here is timed.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.helpers import ManualClock
from wallboard.app.loop.board import Board
from wallboard.device.config.reading import load_config
from wallboard.device.core.values import LinkStatus
from wallboard.device.core.view import BoardView
from wallboard.device.edge.cache import Cache
from wallboard.device.edge.source import FakeSource
from wallboard.display.screen import DisplayOutput

CONFIGS = Path(__file__).resolve().parent.parent / "bench" / "configs"
ANNOUNCEMENT = "Team huddle at 14:00 in room 2 - new holiday rota is on the intranet"


class Recorder:
    """An output that asks for a call every ``every`` seconds and keeps the views it was given."""

    def __init__(self, every: float) -> None:
        self.every = every
        self.views: list[BoardView] = []

    def render(self, view: BoardView) -> float:
        self.views.append(view)
        return self.every

    def close(self) -> None:
        return None


def _board(config: str, tmp_path: Path, *extra: Recorder) -> tuple[Board, DisplayOutput, FakeSource, ManualClock]:
    wall = ManualClock(1_000_000.05)
    source = FakeSource(clock=wall)
    loaded = load_config(CONFIGS / f"{config}.toml")
    board = Board(loaded, source=source, cache=Cache(tmp_path / "cache.db"), wall_clock=wall, clock=wall)
    display = DisplayOutput(board.config, size=(960, 540), fullscreen=False)
    board.outputs[:] = [display, *extra]
    board.start()
    source.link(LinkStatus.UP)
    return board, display, source, wall


def _spy(target: object, name: str, calls: Counter[str]) -> None:
    method: Callable[..., Any] = getattr(target, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[name] += 1
        return method(*args, **kwargs)

    setattr(target, name, counted)


def _pass(board: Board, clock: ManualClock) -> float:
    """One pass, then the clock moves on by the budget it returned (the loop's sleep)."""
    budget = board.step()
    clock.advance(max(budget, 0.001))
    return budget


def test_a_ticker_frame_touches_no_rules_state_or_cache(tmp_path: Path) -> None:
    """Between data passes the ticker's frames get the last view with only its times moved: no rules, state or cache."""
    slow = Recorder(every=30.0)  # a health publisher, say: not due on a frame
    board, display, source, clock = _board("standard", tmp_path, slow)
    try:
        source.deliver("cc/bench/announce", ANNOUNCEMENT)
        source.deliver("cc/bench/queue/sales", json.dumps({"calls_waiting": 4}))
        _pass(board, clock)  # the data pass: the link, the announcement and the value
        assert len(slow.views) == 1 and board.passes["data"] == 1
        calls: Counter[str] = Counter()
        for name in ("assess",):
            _spy(board.rules, name, calls)
        for name in ("apply_all", "take_changed", "set_link", "restore"):
            _spy(board.state, name, calls)
        for name in ("stage", "flush"):
            _spy(board.cache, name, calls)
        version, frames_before = board.state.version, display.frames_drawn
        # Ticker frames inside the same wall-clock second. (The display paces itself on the real clock while this
        # board runs on a manual one, so how far apart the frames fall is not asserted, only what they do.)
        passes = 0
        while board.passes["frame"] < 8 and passes < 40:
            _pass(board, clock)
            passes += 1
        assert int(clock.now) == 1_000_000, "the frames stayed inside one wall-clock second"
        assert board.passes["frame"] == 8 and board.passes["second"] == 0, dict(board.passes)
        assert calls == Counter(), f"a ticker frame did data work: {dict(calls)}"
        assert board.state.version == version
        # (The first frame may fall within a pixel of the data pass's: the manual clock stood still while it drew.)
        assert display.frames_drawn - frames_before >= 7, "the ticker moved on the frames"
        assert len(slow.views) == 1, "an output that asked for 30 s was not called on frames"

        # A value arriving between frames makes the next pass a data pass at once: it waits for no frame.
        source.deliver("cc/bench/queue/sales", json.dumps({"calls_waiting": 9}))
        board.step()
        assert board.passes["data"] == 2 and calls["apply_all"] == 1 and calls["assess"] == 1
        held = board.state.value("sales.calls_waiting")
        assert held is not None and held.value == 9
        assert len(slow.views) == 2 and slow.views[-1].state.value("sales.calls_waiting") == held
    finally:
        board.close()


def test_a_still_board_wakes_and_presents_at_most_once_a_second(tmp_path: Path) -> None:
    """With no ticker and no data, over 20 s the loop wakes once a second for the clock and rules, and presents once."""
    board, display, source, clock = _board("standard-no-ticker", tmp_path)
    try:
        source.deliver("cc/bench/queue/sales", json.dumps({"calls_waiting": 4}))
        _pass(board, clock)
        presents, passes = display.presents, sum(board.passes.values())
        start = clock.now
        while clock.now - start < 20.0:
            _pass(board, clock)
        woke = sum(board.passes.values()) - passes
        assert 19 <= woke <= 21, f"{woke} passes in 20 s: {dict(board.passes)}"
        assert board.passes["idle"] == 0, "the loop woke for nothing"
        assert display.presents - presents <= 21, f"{display.presents - presents} presents in 20 s"
    finally:
        board.close()
