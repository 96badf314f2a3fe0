"""The installed ``wallboard`` console script, run as a site would: from a folder that is not the source tree.

Under the README's test command the suite runs from a fresh venv holding only the built wheel, so
``sys.executable``'s ``wallboard`` is the shipped artifact's entry point. Each command runs with its
working directory in a scratch folder holding a copy of the shipped example configs, so nothing can be
found relative to the repository.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pygame
import pytest

import wallboard
from tests.broker import Mosquitto
from tests.conftest import board_toml
from tests.ops_support import run_until_first_status
from wallboard.device import __version__

REPO = Path(__file__).resolve().parent.parent
WALLBOARD = Path(sys.executable).parent / "wallboard"
DEMO_CONFIG = Path(wallboard.__file__).resolve().parent / "app" / "demo" / "demo.toml"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A scratch folder with a copy of the shipped example configs (as install.sh puts them in /etc)."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    return tmp_path


def _wallboard(*args: str, cwd: Path, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "SDL_AUDIODRIVER": "dummy", **env}
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        environment.pop(name, None)
    return subprocess.run(
        [str(WALLBOARD), *args], capture_output=True, text=True, timeout=timeout, cwd=cwd, env=environment
    )


def _shipped_boards(site: Path) -> list[Path]:
    return [*sorted((site / "config" / "boards").glob("*.toml")), DEMO_CONFIG]


def test_console_script_is_the_installed_one() -> None:
    """`wallboard` sits next to the interpreter under test and runs it (the wheel's entry point, not a checkout's)."""
    assert WALLBOARD.is_file(), f"no console script at {WALLBOARD}: is the package installed in this venv?"
    shebang = WALLBOARD.read_text().splitlines()[0]
    assert Path(shebang.removeprefix("#!").strip()).resolve() == Path(sys.executable).resolve()


def test_version(tmp_path: Path) -> None:
    """`wallboard --version` prints the package's version and exits 0."""
    result = _wallboard("--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"wallboard {__version__}"


def test_check_every_shipped_config(site: Path) -> None:
    """`wallboard check config/` on the shipped examples and the packaged demo config: every file ok, exit 0."""
    result = _wallboard("check", "config", str(DEMO_CONFIG), cwd=site)
    assert result.returncode == 0, result.stdout + result.stderr
    for board in _shipped_boards(site):
        name = str(board.relative_to(site)) if board.is_relative_to(site) else str(board)
        assert f"{name}: ok" in result.stdout, result.stdout


def test_preview_every_shipped_board_to_png(site: Path) -> None:
    """Each shipped board (and the demo's) renders to a 1280x720 PNG holding a drawn board, not a blank."""
    boards = _shipped_boards(site)
    assert len(boards) >= 3
    for index, board in enumerate(boards):
        out = site / f"board-{index}.png"
        result = _wallboard("preview", "--config", str(board), "--data", "config/sample-data.json",
                            "--out", str(out), "--size", "1280x720", cwd=site)  # fmt: skip
        assert result.returncode == 0, f"{board}: {result.stderr}"
        image = pygame.image.load(str(out))
        assert image.get_size() == (1280, 720)
        colours = {tuple(image.get_at((x, y))) for x in range(0, 1280, 16) for y in range(0, 720, 16)}
        assert len(colours) > 8, f"{board}: only {len(colours)} colours, the board was not drawn"


def test_demo_for_a_few_seconds(site: Path) -> None:
    """`wallboard demo --duration 4` from the install: embedded broker, simulator and board; values arrive."""
    result = _wallboard("demo", "--duration", "4", "--screenshots", str(site / "shots"), "--size", "640x360",
                        cwd=site, timeout=90, HOME=str(site))  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    received = re.search(r"board received (\d+) metrics over MQTT", result.stdout)
    assert received is not None and int(received.group(1)) > 0, result.stdout
    assert (site / "shots" / "wallboard-demo.png").is_file()


def test_run_until_the_first_status(mosquitto: Mosquitto, site: Path) -> None:
    """`wallboard run` from the install publishes an online status with its display state; SIGTERM stops it."""
    config = site / "board.toml"
    config.write_text(board_toml(mosquitto.port, site / "state", '[health]\ninterval = "2s"\n', board="inst"))
    env = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "SDL_AUDIODRIVER": "dummy"}
    command = [str(WALLBOARD), "run", "--config", str(config)]
    run = run_until_first_status(command, mosquitto.port, "wallboard/lab/inst/status", env=env, cwd=site)
    assert run.status["version"] == __version__
    assert run.status["display"] == {"driver": "offscreen", "renderer": "surface", "resolution": "1280x720",
                                     "state": "offscreen", "showing": True, "frames_last_interval": None,
                                     "safe_mode": "", "dark_renderers": [], "present_errors": 0,
                                     "last_present_error": ""}  # fmt: skip
    assert run.returncode == 0, run.output
