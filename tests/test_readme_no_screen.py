"""The README's word on `run` where there is no screen is true: kmsdrm retried, until SDL_VIDEODRIVER says otherwise."""

from __future__ import annotations

import glob
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.broker import free_port
from tests.conftest import board_toml

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _run_until(config: Path, env: dict[str, str], pattern: str, *, then: float = 0.0, timeout: float = 30.0) -> Run:
    """``wallboard run`` until a line matches ``pattern`` (or ``timeout``), ``then`` seconds more; then SIGTERM."""
    process = subprocess.Popen(
        [sys.executable, "-m", "wallboard.app.cli", "run", "--config", str(config)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(line.rstrip("\n") for line in process.stdout or ()))
    reader.start()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and not any(re.search(pattern, line) for line in list(lines)):
            time.sleep(0.1)
        time.sleep(then)
        alive = process.poll() is None
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=10)
    return Run(lines, alive, process.returncode)


@dataclass(frozen=True)
class Run:
    """What a ``wallboard run`` wrote, whether it was still running when stopped, and its exit status."""

    lines: list[str]
    alive: bool
    returncode: int


def _headless_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")}
    return {**env, "SDL_AUDIODRIVER": "dummy", **extra}


def test_run_with_no_screen_retries_kmsdrm_as_the_readme_says(tmp_path: Path) -> None:
    """No $DISPLAY, no SDL_VIDEODRIVER, no DRM device: the README's quoted log line, retried; the board runs on."""
    if glob.glob("/dev/dri/card*"):
        pytest.skip("this machine has a DRM device: kmsdrm may open here")
    config = tmp_path / "board.toml"
    config.write_text(board_toml(free_port(), tmp_path / "state"))
    run = _run_until(config, _headless_env(), r"would not open", then=3.0)
    quoted = re.search(r"`(display: the screen on SDL driver kmsdrm would not open \(kmsdrm not available\)); ", README)
    assert quoted is not None, "the README quotes the line"
    failures = [line for line in run.lines if quoted.group(1) in line]
    assert len(failures) == 1 and failures[0].endswith("tries again in 1 s (attempt 1)"), run.lines
    assert run.alive, "the board runs on without a screen"
    assert run.returncode == 0 and any("board stopped" in line for line in run.lines)


def test_run_with_sdl_videodriver_offscreen_opens_a_screen(tmp_path: Path) -> None:
    """`SDL_VIDEODRIVER=offscreen` (the README's advice there) opens a screen at once: no retry line."""
    assert "SDL_VIDEODRIVER=offscreen .venv/bin/wallboard run --config" in README
    config = tmp_path / "board.toml"
    config.write_text(board_toml(free_port(), tmp_path / "state"))
    run = _run_until(config, _headless_env(SDL_VIDEODRIVER="offscreen"), r"on SDL driver offscreen")
    assert any(re.search(r"display: \d+x\d+ on SDL driver offscreen", line) for line in run.lines), run.lines
    assert not any("would not open" in line for line in run.lines)
