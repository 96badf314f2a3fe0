"""Test helpers: drive a Board's loop from the test thread until something becomes true."""

from __future__ import annotations

import time
from collections.abc import Callable

from device.app import Board


def step_until(board: Board, condition: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    """Run the board's loop passes until ``condition()`` holds; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        board.step()
        if condition():
            return
        board.handoff.wait(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
