"""A screen that will not open: the board keeps its signals and status, says `retrying`, and recovers."""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pygame
import pytest

from tests.broker import Mosquitto
from tests.conftest import board_toml
from tests.helpers import ManualClock, WriteConfig
from tests.ops_support import status_from_broker
from wallboard.app.loop.compose import compose_board
from wallboard.device.config.reading import load_config
from wallboard.device.core.values import LinkStatus
from wallboard.device.edge.cache import open_cache
from wallboard.device.edge.source import FakeSource
from wallboard.display.screen import DisplayOutput, open_sdl_video
from wallboard.firmware_bridge.fakes import RecordingSound, RecordingStackLight
from wallboard.firmware_bridge.policy import light_for
from wallboard.firmware_bridge.signals import SignalOutput
from wallboard.ops.health import HealthPublisher

WALLBOARD = Path(sys.executable).parent / "wallboard"
RULE = """
[[rule]]
metric = "sales.calls_waiting"
warn_above = 10
critical_above = 20
"""


class LateScreen:
    """Opens SDL's video like the board does, but on a driver SDL cannot start until the screen 'appears'.

    Before ``appear()`` every attempt asks real SDL for a driver that does not exist (as a Pi whose DRM
    device is not there yet, or whose KMSDRM library is missing); after it, the real offscreen driver.
    """

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.present = False
        self.attempts: list[str | None] = []
        self.times: list[float] = []

    def appear(self) -> None:
        self.present = True

    def __call__(self, driver: str | None) -> str:
        self.attempts.append(driver)
        self.times.append(self.clock.now)
        return open_sdl_video("offscreen" if self.present else "no-such-screen")


@pytest.fixture(autouse=True)
def _restore_sdl_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    # open_sdl_video writes $SDL_VIDEODRIVER, as it must for SDL; keep it from leaking into other tests.
    monkeypatch.setenv("SDL_VIDEODRIVER", "offscreen")


def test_kmsdrm_that_cannot_open_is_retried_never_offscreen(tmp_path: Path, write_config: WriteConfig) -> None:
    """driver = "kmsdrm" with no DRM device (this machine has none): SDL's own error, `retrying`, never offscreen."""
    extra = '[display]\ndriver = "kmsdrm"\nsize = "640x360"\n'
    config = load_config(write_config(board_toml(1883, tmp_path / "state", extra))).config
    screen = DisplayOutput(config, clock=ManualClock(100.0))
    try:
        first = screen.screen_report()
        assert first.driver == "kmsdrm" and first.resolution is None and not first.showing
        assert first.state.startswith("retrying: "), first.state
        assert len(first.state) > len("retrying: ")  # SDL said why
        assert pygame.display.get_init() is False  # nothing half-open, and not silently offscreen
        with pytest.raises(RuntimeError, match="not showing"):
            screen.snapshot_png()
    finally:
        screen.close()


def test_board_keeps_signals_status_and_cache_while_dark_and_recovers(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    """Dark screen: data, cache and status go on, lamps blind (not green), retries back off; then it shows."""
    extra = '[display]\ndriver = "kmsdrm"\nsize = "640x360"\nfullscreen = false\nretry_max = "4s"\n'
    extra += '[health]\ninterval = "1s"\n' + RULE
    loaded = load_config(write_config(board_toml(1883, tmp_path / "state", extra)))
    config = loaded.config
    clock, source = ManualClock(1000.0), FakeSource()
    opener = LateScreen(clock)
    light, sound = RecordingStackLight(), RecordingSound()
    screen = DisplayOutput(config, open_video=opener, clock=clock)
    signals = SignalOutput(config.signals, light, sound, screen=screen, startup_quiet=0.0)
    board = compose_board(loaded, source=source, outputs=lambda ports: [screen, signals], clock=clock)
    health = HealthPublisher(source, board.topics, board.outputs)
    board.outputs.append(health)
    blind, normal = light_for(config.signals.blind), light_for(config.signals.normal)
    critical = light_for(config.signals.critical)

    def run(seconds: float) -> None:
        end = clock.now + seconds
        while clock.now < end:
            clock.advance(max(0.05, min(board.step(), end - clock.now)))

    board.start()
    try:
        source.link(LinkStatus.UP)
        source.deliver("cc/lab/queue/sales", json.dumps({"calls_waiting": 3}))
        run(12.0)
        assert board.state.value("sales.calls_waiting") is not None  # the data still flows
        assert light.current == blind  # fresh, normal data, but nobody can see it: never green
        status = health.last_document
        # calls_waiting, and contacts_waiting the board derives from it
        assert status is not None and status["data"]["metrics"] == 2  # type: ignore[index]
        display = status["display"]
        assert display["state"].startswith("retrying: ") and display["showing"] is False  # type: ignore[index]
        assert display["resolution"] is None and screen.frames_drawn == 0  # type: ignore[index]
        # Backoff: 1, 2, 4 s, then capped at retry_max (4 s).
        gaps = [b - a for a, b in pairwise(opener.times)]
        assert gaps[:4] == pytest.approx([1.0, 2.0, 4.0, 4.0], abs=0.1), gaps
        assert all(driver == "kmsdrm" for driver in opener.attempts)  # the same driver every time

        source.deliver("cc/lab/queue/sales", json.dumps({"calls_waiting": 25}))
        run(1.0)
        assert light.current == critical  # an alarm still reaches the floor through the lamps

        source.deliver("cc/lab/queue/sales", json.dumps({"calls_waiting": 3}))
        opener.appear()
        run(6.0)
        report = screen.screen_report()
        assert report.showing and report.state == "offscreen" and report.resolution == (640, 360)
        assert screen.frames_drawn >= 1 and screen.snapshot_png().startswith(b"\x89PNG")
        assert light.current == normal
        status = health.last_document
        assert status is not None and status["display"]["showing"] is True  # type: ignore[index]
        assert status["display"]["state"] == "offscreen"  # type: ignore[index]
        assert isinstance(status["display"]["frames_last_interval"], int)  # type: ignore[index]
    finally:
        board.close()
    cached = open_cache(config.cache).load_values()
    assert cached["sales.calls_waiting"].value == 3  # the cache kept working while the screen was dark


def test_run_with_kmsdrm_and_no_screen_keeps_reporting_and_fleet_flags_it_dark(
    mosquitto: Mosquitto, tmp_path: Path, write_config: WriteConfig
) -> None:
    """`wallboard run` with driver = "kmsdrm" and no DRM device stays up, says `retrying`; the fleet says dark."""
    extra = '[display]\ndriver = "kmsdrm"\n[health]\ninterval = "2s"\n'
    config = write_config(board_toml(mosquitto.port, tmp_path / "state", extra, site="lab", board="tv1"))
    process = subprocess.Popen(
        [str(WALLBOARD), "run", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        status = status_from_broker(mosquitto.port, "wallboard/lab/tv1/status",
                                    lambda doc: str(doc.get("display", {}).get("state", "")).startswith("retrying: "),
                                    what="a status saying the screen is retrying")  # fmt: skip
        assert status["status"] == "online" and status["display"]["driver"] == "kmsdrm"
        assert status["display"]["showing"] is False and status["display"]["resolution"] is None
        fleet = subprocess.run(
            [str(WALLBOARD), "fleet", "--broker", f"127.0.0.1:{mosquitto.port}", "--once", "--timeout", "1"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert fleet.returncode == 0, fleet.stderr
        (line,) = [line for line in fleet.stdout.splitlines() if " tv1 " in line]
        assert "dark" in line.split()[-1].split(","), fleet.stdout
        assert process.poll() is None  # the board is still running
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=20)
    assert "would not open" in errors and "offscreen" not in errors.split("would not open")[0][-200:]


def test_a_screen_lost_while_drawing_is_retried(tmp_path: Path, write_config: WriteConfig) -> None:
    """SDL's video going away under a running board: `retrying: lost the screen`, then reopened after backoff."""
    extra = '[display]\nsize = "320x180"\nfullscreen = false\n'
    loaded = load_config(write_config(board_toml(1883, tmp_path / "state", extra)))
    clock = ManualClock(0.0)
    opener = LateScreen(clock)
    opener.appear()
    screen = DisplayOutput(loaded.config, open_video=opener, clock=clock)
    board = compose_board(loaded, source=FakeSource(), outputs=lambda ports: [screen], clock=clock)
    board.start()
    try:
        board.step()
        assert screen.screen_report().showing and screen.frames_drawn >= 1
        pygame.display.quit()  # the video system goes away under the board
        clock.advance(1.0)  # a still board draws again within a second (ticker frames would come sooner)
        board.step()
        assert screen.screen_report().state.startswith("retrying: lost the screen"), screen.screen_report()
        clock.advance(1.0)
        board.step()
        assert screen.screen_report().showing and len(opener.attempts) == 2
    finally:
        board.close()
