"""The screen opens on purpose: the renderer chosen on kmsdrm, the first frame read back, a crash at open survived.

There is no DRM device here, so the screen's "kmsdrm" is SDL's offscreen driver under that name (the opener
says kmsdrm, as SDL would on a Pi); the renderer's variables go to a dictionary the test reads instead of the
process's environment, and the read-back is the test's: the real one needs a GPU renderer behind the window.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pygame
import pytest

from tests.conftest import board_toml
from tests.helpers import ManualClock, WriteConfig, wait_until
from tests.timing import scaled
from wallboard.app.loop.board import Board
from wallboard.app.loop.compose import compose_board
from wallboard.device.config.reading import LoadedConfig, load_config
from wallboard.device.core.values import LinkStatus
from wallboard.device.edge.source import FakeSource
from wallboard.display.renderers import (
    RENDERER_GLES2,
    RENDERER_SOFTWARE,
    RENDERER_SURFACE,
    ScreenOpenMarker,
    apply_renderer,
    choose_renderers,
    frame_shows,
    renderer_settings,
)
from wallboard.display.screen import DisplayOutput, open_sdl_video, read_back_renderer
from wallboard.ops.health import HealthPublisher

KMSDRM = '[display]\ndriver = "kmsdrm"\nsize = "320x180"\nfullscreen = false\n[health]\ninterval = "1s"\n'


@pytest.fixture(autouse=True)
def _restore_sdl_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    # open_sdl_video writes $SDL_VIDEODRIVER, as it must for SDL; keep it from leaking into other tests.
    monkeypatch.setenv("SDL_VIDEODRIVER", "offscreen")


class KmsdrmStandIn:
    """Opens SDL's offscreen driver and answers "KMSDRM"; records the marker's presence and the environment."""

    def __init__(self, marker: ScreenOpenMarker, environ: dict[str, str]) -> None:
        self.marker, self.environ = marker, environ
        self.opens: list[dict[str, object]] = []

    def __call__(self, driver: str | None) -> str:
        self.opens.append({"driver": driver, "marker": self.marker.found()})
        open_sdl_video("offscreen")
        return "KMSDRM"


def _black(drawn: pygame.Surface) -> pygame.Surface:
    """A renderer that flips all-black frames (what SDL's opengl renderer did in the VM)."""
    return pygame.Surface(drawn.get_size())


def _run(screen: DisplayOutput, loaded: LoadedConfig, clock: ManualClock, steps: int) -> Board:
    """A board drawing through ``screen`` for ``steps`` passes a second apart (started; close it after)."""
    board = compose_board(loaded, source=FakeSource(), outputs=lambda ports: [screen], clock=clock)
    board.start()
    for _ in range(steps):
        board.step()
        clock.advance(1.0)
    return board


# ------------------------------------------------------------------ the choice, pure


def test_kmsdrm_asks_for_opengles2_then_software() -> None:
    """On a bare console the board wants OpenGL ES 2 (the Pi's GPU), then software."""
    assert choose_renderers("kmsdrm", {}) == (RENDERER_GLES2, RENDERER_SOFTWARE)


def test_the_choice_ignores_stray_sdl_variables_and_installed_libraries() -> None:
    """SDL_RENDER_DRIVER=opengl (or libGL.so.1 being there) changes nothing: the board's own variables win."""
    stray = {"SDL_RENDER_DRIVER": "opengl", "SDL_FRAMEBUFFER_ACCELERATION": "opengl", "LD_LIBRARY_PATH": "/opt/gl"}
    assert choose_renderers("kmsdrm", stray) == (RENDERER_GLES2, RENDERER_SOFTWARE)
    before: dict[str, str | None] = {}
    apply_renderer(RENDERER_GLES2, stray, before=before)
    assert stray["SDL_RENDER_DRIVER"] == stray["SDL_FRAMEBUFFER_ACCELERATION"] == "opengles2"
    assert before["SDL_RENDER_DRIVER"] == "opengl"  # kept, to be put back when the screen closes


def test_an_operator_s_pick_goes_first_and_a_safe_start_takes_software_only() -> None:
    """WALLBOARD_RENDERER=software puts software first; after a crash at open only software is tried."""
    assert choose_renderers("kmsdrm", {"WALLBOARD_RENDERER": "software"}) == (RENDERER_SOFTWARE, RENDERER_GLES2)
    assert choose_renderers("kmsdrm", {}, safe=True) == (RENDERER_SOFTWARE,)


def test_other_drivers_draw_on_sdl_s_own_window_surface() -> None:
    """A desktop (None), x11, wayland or offscreen: SDL's window surface, no renderer to choose."""
    for driver in (None, "x11", "wayland", "offscreen"):
        assert choose_renderers(driver, {}) == (RENDERER_SURFACE,)
    assert renderer_settings(RENDERER_SURFACE) == {}


def test_software_is_opengles2_on_mesa_s_softpipe_and_opengles2_clears_it() -> None:
    """software: the GLES renderer with Mesa's softpipe (no GPU, no JIT); opengles2 removes those variables."""
    software, gpu = renderer_settings(RENDERER_SOFTWARE), renderer_settings(RENDERER_GLES2)
    assert software["SDL_FRAMEBUFFER_ACCELERATION"] == "opengles2" and software["LIBGL_ALWAYS_SOFTWARE"] == "1"
    assert software["GALLIUM_DRIVER"] == "softpipe" and software["GBM_ALWAYS_SOFTWARE"] == "1"
    assert gpu["SDL_FRAMEBUFFER_ACCELERATION"] == "opengles2"
    assert gpu["LIBGL_ALWAYS_SOFTWARE"] is None and gpu["GALLIUM_DRIVER"] is None


def test_frame_shows_compares_what_was_drawn_with_what_was_read_back() -> None:
    """The same frame shows; an all-black read-back of a lit frame does not; a black frame proves nothing."""
    drawn = pygame.Surface((160, 90))
    drawn.fill((20, 30, 40))
    pygame.draw.rect(drawn, (230, 200, 40), (10, 10, 120, 60))
    assert frame_shows(drawn, drawn.copy())
    assert not frame_shows(drawn, _black(drawn))
    assert frame_shows(_black(drawn), _black(drawn))


def test_a_window_surface_has_no_renderer_to_read_back() -> None:
    """On SDL's own window surface (offscreen here) the read-back finds no renderer and judges nothing."""
    open_sdl_video("offscreen")
    try:
        screen = pygame.display.set_mode((64, 36))
        assert read_back_renderer(screen) is None
    finally:
        pygame.display.quit()


# ------------------------------------------------------------------ the screen


def _screen(
    tmp_path: Path, write_config: WriteConfig, clock: ManualClock, **kwargs: Any
) -> tuple[DisplayOutput, LoadedConfig]:
    """The screen of a kmsdrm board whose cache (and so its marker) lives in ``tmp_path/state``."""
    loaded = load_config(write_config(board_toml(1883, tmp_path / "state", KMSDRM)))
    return DisplayOutput(loaded.config, clock=clock, **kwargs), loaded


def test_the_marker_is_there_during_the_open_and_gone_once_the_first_frame_showed(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    """opengles2 asked for by the board's variables; the marker lives from before the open to the first frame."""
    environ: dict[str, str] = {"SDL_RENDER_DRIVER": "opengl"}
    marker = ScreenOpenMarker(tmp_path / "state")
    opener = KmsdrmStandIn(marker, environ)
    clock = ManualClock(100.0)
    screen, loaded = _screen(tmp_path, write_config, clock, open_video=opener, environ=environ,
                             read_back=lambda drawn: drawn.copy())  # fmt: skip
    board = _run(screen, loaded, clock, 2)
    try:
        assert opener.opens[0]["marker"] == {**opener.opens[0]["marker"], "renderer": "opengles2"}  # type: ignore[dict-item]
        assert environ["SDL_FRAMEBUFFER_ACCELERATION"] == environ["SDL_RENDER_DRIVER"] == "opengles2"
        report = screen.screen_report()
        assert report.state == "ok" and report.renderer == "opengles2" and report.showing
        assert report.safe_mode == "" and marker.found() is None
    finally:
        board.close()
    assert environ == {"SDL_RENDER_DRIVER": "opengl"}  # closed: the environment is as it was


def test_a_renderer_that_shows_black_is_reported_dark_and_the_next_one_tried(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    """Read back black: opengles2 is dropped for software; black there too: `dark`, not showing, no marker left."""
    environ: dict[str, str] = {}
    marker = ScreenOpenMarker(tmp_path / "state")
    opener = KmsdrmStandIn(marker, environ)
    clock = ManualClock(100.0)
    screen, loaded = _screen(tmp_path, write_config, clock, open_video=opener, environ=environ,
                             read_back=_black)  # fmt: skip
    board = _run(screen, loaded, clock, 1)
    try:
        assert screen.renderer == "software" and environ["LIBGL_ALWAYS_SOFTWARE"] == "1"
        assert screen.screen_report().dark_renderers == ("opengles2",)
        board.step()
        report = screen.screen_report()
        assert report.state.startswith("dark: renderer software does not hold the frame"), report.state
        assert not report.showing and report.dark_renderers == ("opengles2", "software")
        assert marker.found() is None and len(opener.opens) == 2
    finally:
        board.close()


CRASH_AT_OPEN = """
import os, signal, sys
from wallboard.device.config.reading import load_config
from wallboard.display.screen import DisplayOutput

def crash(driver):
    os.kill(os.getpid(), signal.SIGSEGV)  # as llvmpipe's JIT code did at set_mode under emulated AVX2

DisplayOutput(load_config(sys.argv[1]).config, open_video=crash, environ={})
"""


def test_a_crash_at_open_sends_the_next_start_down_the_safe_path_and_the_status_says_so(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    """A start killed by a segfault while opening leaves the marker; the next start uses software and says why."""
    config = write_config(board_toml(1883, tmp_path / "state", KMSDRM))
    crashed = subprocess.run([sys.executable, "-c", CRASH_AT_OPEN, str(config)], capture_output=True, text=True,
                             env=dict(os.environ), timeout=scaled(60))  # fmt: skip
    assert crashed.returncode < 0, crashed.stderr  # killed by a signal (pygame turns SIGSEGV into an abort)
    marker = ScreenOpenMarker(tmp_path / "state")
    assert marker.found() == {**(marker.found() or {}), "driver": "kmsdrm", "renderer": "opengles2"}

    environ: dict[str, str] = {}
    opener = KmsdrmStandIn(marker, environ)
    clock = ManualClock(100.0)
    loaded = load_config(config)
    screen = DisplayOutput(loaded.config, open_video=opener, environ=environ, read_back=lambda d: d.copy(), clock=clock)
    source = FakeSource()
    board = compose_board(loaded, source=source, outputs=lambda ports: [screen], clock=clock)
    health = HealthPublisher(source, board.topics, board.outputs)
    board.outputs.append(health)
    board.start()
    try:
        source.link(LinkStatus.UP)  # a status goes out while the broker link is up
        for _ in range(3):
            board.step()
            clock.advance(1.0)
        display = (health.last_document or {})["display"]
        assert display["renderer"] == "software" and display["showing"] is True  # type: ignore[index]
        assert "killed the board: this start uses software" in display["safe_mode"]  # type: ignore[index]
        assert "kmsdrm with renderer opengles2" in display["safe_mode"]  # type: ignore[index]
        assert environ["LIBGL_ALWAYS_SOFTWARE"] == "1" and marker.found() is None
    finally:
        board.close()


def test_a_crash_on_the_safe_path_too_holds_the_screen_off_and_the_board_runs_on(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    """The marker says software crashed: no open for 10 minutes (status says why), then one more try."""
    marker = ScreenOpenMarker(tmp_path / "state")
    (tmp_path / "state").mkdir()
    marker.path.write_text(json.dumps({"driver": "kmsdrm", "renderer": "software", "at": 1.0, "pid": 1}))
    environ: dict[str, str] = {}
    opener = KmsdrmStandIn(marker, environ)
    clock = ManualClock(100.0)
    screen, loaded = _screen(tmp_path, write_config, clock, open_video=opener, environ=environ,
                             read_back=lambda drawn: drawn.copy())  # fmt: skip
    board = _run(screen, loaded, clock, 3)
    try:
        report = screen.screen_report()
        assert opener.opens == [] and not report.showing and report.state.startswith("retrying: ")
        assert "on the safe path: the screen is tried again in 600 s" in report.safe_mode
        clock.advance(600.0)
        board.step()
        assert len(opener.opens) == 1 and screen.renderer == "software" and screen.screen_report().showing
    finally:
        board.close()


def test_page_flips_sdl_could_not_queue_are_counted_in_the_screen_report(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    """SDL's `Could not queue pageflip: -12` on stderr (kmsdrm, small VRAM) is counted and kept for the status."""
    environ: dict[str, str] = {}
    marker = ScreenOpenMarker(tmp_path / "state")
    clock = ManualClock(100.0)
    screen, loaded = _screen(tmp_path, write_config, clock, open_video=KmsdrmStandIn(marker, environ),
                             environ=environ, read_back=lambda drawn: drawn.copy())  # fmt: skip
    board = _run(screen, loaded, clock, 2)
    try:
        for _ in range(3):
            os.write(2, b"ERROR: Could not queue pageflip: -12\n")
        os.write(2, b"INFO: an unrelated line\n")
        wait_until(lambda: screen.screen_report().present_errors == 3, what="three failed page flips counted")
        assert screen.screen_report().last_present_error == "ERROR: Could not queue pageflip: -12"
    finally:
        board.close()
