"""Test helpers: wait until something becomes true, drive a Board's loop, and a clock the test moves by hand."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from tests.timing import scaled
from wallboard.app.loop.board import Board


class WriteConfig(Protocol):
    """The ``write_config`` fixture: write a TOML board config into the test's folder, return its path."""

    def __call__(self, text: str, name: str = "board.toml") -> Path: ...


class ManualClock:
    """A clock (wall or monotonic) that stands still until the test moves it."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


def wait_until(
    condition: Callable[[], object],
    timeout: float = 10.0,
    what: str = "condition",
    *,
    interval: float = 0.01,
    between: Callable[[float], object] | None = None,
) -> float:
    """Poll ``condition`` until it is true (the seconds it took); fail naming ``what`` after ``timeout`` seconds.

    ``between(interval)`` runs between polls (default: sleep), e.g. one pass of a board's loop. The limit is
    scaled by ``WALLBOARD_TEST_TIME_FACTOR`` (tests/timing.py).
    """
    timeout = scaled(timeout)
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        (between or time.sleep)(interval)
    return time.monotonic() - start


def step_until(board: Board, condition: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    """Run the board's loop passes until ``condition()`` holds; fail with ``what`` after ``timeout``."""

    def one_pass(interval: float) -> None:
        board.handoff.wait(interval)
        board.step()

    board.step()
    wait_until(condition, timeout, what, interval=0.05, between=one_pass)


def run_for(board: Board, seconds: float) -> None:
    """Keep the board's loop going for ``seconds`` (time for things that should not happen)."""
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        board.step()
        board.handoff.wait(0.05)


def start_board_process(config: Path, cwd: Path) -> subprocess.Popen[str]:
    """``wallboard run --config config`` as its own process, headless and silent, its output on a text pipe."""
    return subprocess.Popen(
        [sys.executable, "-m", "wallboard.app.cli", "run", "--config", str(config)],
        cwd=cwd,
        env={**os.environ, "SDL_VIDEODRIVER": "offscreen", "SDL_AUDIODRIVER": "dummy"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
