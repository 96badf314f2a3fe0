"""``wallboard demo`` offscreen: the embedded amqtt broker, the simulator and a board, end to end."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pygame


def test_demo_offscreen_receives_simulated_values_over_mqtt(tmp_path: Path) -> None:
    """Run offscreen for a few seconds, the demo's board gets simulated metrics and writes a screenshot."""
    env = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "HOME": str(tmp_path)}
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    shots = tmp_path / "shots"
    result = subprocess.run(
        [sys.executable, "-m", "wallboard.app.cli", "demo", "--duration", "5", "--screenshots", str(shots),
         "--screenshot-every", "2", "--size", "960x540"],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"screenshots every 2s in {shots / 'wallboard-demo.png'}" in result.stdout
    received = re.search(r"board received (\d+) metrics over MQTT \((\d+) messages published\)", result.stdout)
    assert received is not None, result.stdout
    assert int(received.group(1)) >= 10 and int(received.group(2)) > 0
    image = pygame.image.load(str(shots / "wallboard-demo.png"))
    assert image.get_size() == (960, 540)
    assert (tmp_path / ".local" / "state" / "wallboard-demo").is_dir()  # its own cache, not a real board's
