"""Shared fixtures: a real mosquitto per test, and helpers to write config files."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.broker import Mosquitto
from tests.timing import time_factor

os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


def pytest_report_header() -> str:
    """Say which copy of the board is under test: the installed wheel, or the source tree."""
    import wallboard

    return f"wallboard {wallboard.__version__} from {Path(wallboard.__file__).parent}"


def pytest_configure(config: pytest.Config) -> None:
    """Under the README's test command, refuse to test anything but the installed (non-editable) wheel."""
    if os.environ.get("WALLBOARD_TEST_INSTALLED") != "1":
        return
    import wallboard

    installed = Path(wallboard.__file__).resolve().parent
    if "site-packages" not in installed.parts or (installed.parent / "__editable__").exists():
        raise pytest.UsageError(f"WALLBOARD_TEST_INSTALLED=1 but wallboard comes from {installed}, not a wheel")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Scale each test's pytest-timeout limit (its own marker, else ``--timeout``/the ini's) by the time factor."""
    factor = time_factor()  # a bad WALLBOARD_TEST_TIME_FACTOR stops the run here, saying what is expected
    option = config.getoption("timeout", None)
    default = float(option if option is not None else config.getini("timeout") or 0)
    for item in items:
        marker = item.get_closest_marker("timeout")
        if marker is None:
            limit, extra = default, {}
        else:
            limit = float(marker.args[0] if marker.args else marker.kwargs.get("timeout", default))
            extra = {key: value for key, value in marker.kwargs.items() if key != "timeout"}
        if limit > 0:
            item.add_marker(pytest.mark.timeout(limit * factor, **extra), append=False)


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    """A running mosquitto on a free loopback port, killed after the test."""
    broker = Mosquitto(tmp_path / "broker")
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


def board_toml(port: int, state_dir: Path, extra: str = "", *, site: str = "lab", board: str = "b1") -> str:
    """A minimal board config for tests, pointed at a local broker and a private cache folder."""
    return f"""
default_stale_after = "2m"
[site]
id = "{site}"
[board]
id = "{board}"
[mqtt]
host = "127.0.0.1"
port = {port}
keepalive = "2s"
reconnect_min = "1s"
reconnect_max = "2s"
[cache]
dir = "{state_dir}"
flush_interval = "0.5s"
{extra}
"""


@pytest.fixture
def write_config(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write a TOML board config into the test's folder and return its path."""

    def write(text: str, name: str = "board.toml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write
