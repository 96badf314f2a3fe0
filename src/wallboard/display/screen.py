"""The board's screen: a pygame-ce window or full-screen surface driven as a ``BoardOutput``.

Chooses SDL's video driver (``[display] driver``; with ``"auto"``, ``$SDL_VIDEODRIVER``
if set, a desktop's when ``$DISPLAY`` or ``$WAYLAND_DISPLAY`` is set, else
``kmsdrm`` on a bare console) and, on ``kmsdrm``, the renderer behind the screen on purpose (OpenGL ES 2, then
software: ``renderers.py`` says why). A screen that will not open (no TV yet, a DRM
device that appears late, a missing library) never stops the board and never
turns silently into ``offscreen``: the error is caught and logged, the state
becomes ``retrying: <reason>`` (``screen_report``, read by the status and the
signals through ``ScreenHealth``), and the same driver is tried again with
backoff until it opens. Paints through ``BoardPainter`` and pushes only the
changed rectangles; applies the night schedule and the burn-in shift;
measures its own frame rate; hands out PNG snapshots. It reads the board view
and never changes it; pygame is initialised when this output is built, never
at import.

After the first present on a renderer the frame is read back once: if the renderer does not hold what the
board drew, the state is ``dark: <reason>`` (the status, ``fleet`` and the stack light say so) and the next
renderer is tried. The open is crash-safe: a marker in the state directory lives from just before the open
until the first frame proved itself, so a start that finds it knows the last open killed the process and
takes the safe path (and says so in ``safe_mode``); a crash on the safe path too holds the screen off for
``_CRASH_HOLDOFF`` seconds per start, so the board keeps publishing its status and driving the lamps.
"""

from __future__ import annotations

import io
import logging
import os
import signal
import time
import warnings
from collections import deque
from collections.abc import Callable, MutableMapping
from datetime import datetime
from pathlib import Path

import pygame

from wallboard.device.config.schema import BoardConfig
from wallboard.device.core.view import SCREEN_OFFSCREEN, SCREEN_OK, BoardView, ScreenReport
from wallboard.device.edge.cache import default_state_dir
from wallboard.display.draw.painter import BoardPainter, board_zone
from wallboard.display.draw.twin import screen_twin
from wallboard.display.logic.pacing import FramePacer
from wallboard.display.logic.schedule import ScreenMode, burn_in_margin, burn_in_offset, screen_mode
from wallboard.display.renderers import (
    RENDERER_SOFTWARE,
    RENDERER_SURFACE,
    ScreenOpenMarker,
    StderrTap,
    apply_renderer,
    choose_renderers,
    frame_shows,
    restore_environment,
)

log = logging.getLogger(__name__)

_WINDOW_DEFAULT = (1280, 720)
_IDLE_BUDGET = 1.0  # a still board wakes once a second (ages and the clock move on)
_BLANK_BUDGET = 5.0
_RETRY_FIRST = 1.0  # seconds before the first retry of a screen that would not open; doubles each time
_REMIND_EVERY = 300.0  # a screen that stays dark for the same reason is logged again this often
_CRASH_HOLDOFF = 600.0  # the safe path's open killed the board too: this start waits this long before trying it
_FLIP_LOG_EVERY = 60.0  # failed page flips are logged at most this often (with the count since the last line)

# Opens SDL's video for the named driver (None: SDL picks) and returns the driver SDL runs; raises if it cannot.
VideoOpener = Callable[[str | None], str]
# Reads back what the renderer behind the screen holds, given the frame drawn; None where no renderer is involved.
FrameReader = Callable[[pygame.Surface], pygame.Surface | None]


def choose_driver(configured: str = "auto") -> str | None:
    """The SDL video driver to ask for; None lets SDL pick (a desktop session)."""
    if configured != "auto":
        return configured
    from_environment = os.environ.get("SDL_VIDEODRIVER")
    if from_environment:
        return from_environment
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return "kmsdrm"


def open_sdl_video(driver: str | None) -> str:
    """Initialise SDL's video subsystem on ``driver``; ``pygame.error`` if it cannot (no device, no library)."""
    if driver is not None:
        os.environ["SDL_VIDEODRIVER"] = driver
    if driver != "kmsdrm":
        # SDL's own window surface pushes only the changed rectangles; its GPU-texture path re-uploads the
        # whole screen on every update (measured at 1080p with the ticker: 24% of a core instead of 1.9%).
        # kmsdrm has no such surface and always goes through a texture, so it is left alone there.
        os.environ.setdefault("SDL_FRAMEBUFFER_ACCELERATION", "0")
    pygame.display.init()
    return str(pygame.display.get_driver())


def read_back_renderer(drawn: pygame.Surface) -> pygame.Surface | None:
    """Draw ``drawn`` once more through the window's own SDL renderer and read the result back before presenting.

    None on a window surface with no renderer behind it (a desktop, offscreen): there is nothing to prove.
    """
    from pygame._sdl2 import video  # the renderer API; imported where the screen is open, never at import

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # from_display_module: the board's window is pygame's
            renderer = video.Renderer.from_window(video.Window.from_display_module())
    except (pygame.error, RuntimeError):
        return None
    texture = video.Texture.from_surface(renderer, drawn)
    renderer.draw_color = (0, 0, 0, 255)
    renderer.clear()
    texture.draw()
    shown = renderer.to_surface()
    renderer.present()
    return shown


def _state_dir(config: BoardConfig) -> Path:
    return Path(config.cache.dir).expanduser() if config.cache.dir else default_state_dir()


class DisplayOutput:
    """Draws the board on the screen; ``frames_drawn``, ``fps``, ``snapshot_png``, ``screen_report`` report on it.

    ``presents`` counts the pushes to the screen (each ``display.update`` or ``flip``) and
    ``bytes_uploaded`` the bytes they hand over: on SDL's texture path (kmsdrm, or
    ``SDL_FRAMEBUFFER_ACCELERATION=1``) an update uploads the span enclosing its rectangles
    (``SDL_UpdateWindowTexture``) and a flip the whole screen, so that is what is counted.
    """

    def __init__(self, config: BoardConfig, *, size: tuple[int, int] | None = None, fullscreen: bool | None = None,
                 open_video: VideoOpener = open_sdl_video, read_back: FrameReader = read_back_renderer,
                 state_dir: Path | None = None, environ: MutableMapping[str, str] = os.environ,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.config = config
        settings = config.display
        self._settings = settings
        self._wanted_size = size or settings.fixed_size()
        self._fullscreen = settings.fullscreen if fullscreen is None else fullscreen
        self._open_video = open_video
        self._read_back = read_back
        self._environ = environ  # where the renderer's variables go: the process's own, or a test's
        self._clock = clock
        os.environ.setdefault("SDL_VIDEO_ALLOW_SCREENSAVER", "0")  # keep a desktop from blanking the board
        pygame.font.init()
        self.painter = BoardPainter(config)
        self._zone = board_zone(config)
        self.driver = choose_driver(settings.driver) or "auto"
        self.screen = pygame.Surface((1, 1))  # a placeholder until the real screen opens (``opened``)
        self.opened = False
        self.size: tuple[int, int] = (0, 0)
        self.state = "retrying: not opened yet"
        self._retry_delay = _RETRY_FIRST
        self._retry_at = float("-inf")
        self._failures = 0
        self._reminded_at = float("-inf")
        self._pacer = FramePacer(settings.fps)
        self.frames_drawn = 0
        self.presents = 0
        self.bytes_uploaded = 0
        self._frame_times: deque[float] = deque(maxlen=120)
        self.quit_requested = False
        self._reset_frame()
        self.renderer: str | None = None
        self.present_errors = 0  # presents SDL refused (pygame.error); page flips counted by the tap are added
        self.last_present_error = ""
        self._flips_logged, self._flips_logged_at = 0, float("-inf")
        self._first_present_pending = False
        self._dark: str | None = None  # set by the first frame's check: why the renderer is not showing it
        self._tap: StderrTap | None = None  # started once a frame showed: a crash at open keeps its stderr whole
        self._environment_before: dict[str, str | None] = {}
        self.dark_renderers: list[str] = []  # renderers whose first frame did not hold what the board drew
        self._marker = ScreenOpenMarker(state_dir or _state_dir(config))
        self.safe_mode = ""
        fatal = self._marker.found()
        asked = None if self.driver == "auto" else self.driver
        self._renderers = choose_renderers(asked, environ, safe=fatal is not None)
        self._rung = 0
        if fatal is None:
            self._try_open()
            return
        self._marker.clear()  # this start's own open arms it again
        what = f"{fatal.get('driver')} with renderer {fatal.get('renderer')}"
        if fatal.get("renderer") in (RENDERER_SOFTWARE, RENDERER_SURFACE):
            self.safe_mode = (f"the last screen open ({what}) killed the board, on the safe path: the screen is "
                              f"tried again in {_CRASH_HOLDOFF:.0f} s")  # fmt: skip
            self.state = f"retrying: {self.safe_mode}"
            self._retry_at = self._clock() + _CRASH_HOLDOFF
            log.error("display: %s; meanwhile the board runs its signals, health and cache", self.safe_mode)
            return
        self.safe_mode = f"the last screen open ({what}) killed the board: this start uses {self._renderers[0]}"
        log.error("display: %s", self.safe_mode)
        self._try_open()

    def _reset_frame(self) -> None:
        self._offset: tuple[int, int] | None = None
        self._target: pygame.Surface | None = None
        self._mode: ScreenMode | None = None
        self._last_view: BoardView | None = None  # what the last paint drew, for the text twin
        self._painted_size = self.size
        self._second: int | None = None  # the whole second the schedule and burn-in shift were worked out for
        self._wanted: tuple[ScreenMode, tuple[int, int]] = (ScreenMode.ON, (0, 0))
        self._dim: pygame.Surface | None = None

    def reconfigure(self, config: BoardConfig) -> None:
        """Draw by ``config`` from now on (a remote config): pages, widgets, theme, schedule, burn-in, labels.

        The screen mode and the font stay (a remote config may not change them); the next frame is drawn whole.
        """
        painter = BoardPainter(config)  # first: if the new config cannot be drawn, the running one stays
        self.config, self._settings, self.painter = config, config.display, painter
        self._zone = board_zone(config)
        self._margin = burn_in_margin(config.display.burn_in, self.size[1])
        self._second, self._offset, self._target = None, None, None
        self._pacer = FramePacer(config.display.fps)

    # ------------------------------------------------------------------ opening and retrying

    def _try_open(self) -> bool:
        """Open the screen on the chosen driver, each renderer in turn; on failure note why and when to retry.

        The video driver failing to start (no DRM device yet) is retried later on the same renderer; a renderer
        failing once the driver runs hands over to the next (SDL decides a window's renderer once per start of
        its video, so each renderer gets a fresh one).
        """
        asked = None if self.driver == "auto" else self.driver
        failures: list[str] = []
        for rung in range(self._rung, len(self._renderers)):
            renderer = self._renderers[rung]
            self._marker.arm(self.driver, renderer)  # removed once the first frame proved itself
            try:
                running = self._open_video(asked).lower()  # SDL says "KMSDRM"; config and status say "kmsdrm"
            except (pygame.error, OSError) as exc:  # no such driver or device; a library that will not load
                self._marker.clear()
                self._note_failure("; ".join([*failures, str(exc).strip() or type(exc).__name__]))
                return False
            if running == "kmsdrm":
                # Read by SDL as the window gets its surface and by Mesa as EGL loads, both in set_mode.
                apply_renderer(renderer, self._environ, before=self._environment_before)
            else:
                renderer = RENDERER_SURFACE  # a desktop's or offscreen's own window surface: no renderer
            try:
                full = self._fullscreen and running != "offscreen"
                flags = pygame.FULLSCREEN if full else 0
                wanted = self._wanted_size or ((0, 0) if full else _WINDOW_DEFAULT)
                screen = pygame.display.set_mode(wanted, flags)
                pygame.display.set_caption(f"wallboard {self.config.site.id}/{self.config.board.id}")
                pygame.mouse.set_visible(False)
                pygame.event.set_allowed([pygame.QUIT, pygame.WINDOWEXPOSED, pygame.VIDEOEXPOSE])
            except (pygame.error, OSError) as exc:
                self._marker.clear()  # it failed without killing the process
                reason = str(exc).strip() or type(exc).__name__
                failures.append(reason if renderer == RENDERER_SURFACE else f"renderer {renderer}: {reason}")
                pygame.display.quit()
                continue
            self._rung, self.renderer = rung, renderer
            break
        else:
            self._note_failure("; ".join(failures))
            return False
        self.screen, self.size, self.driver, self.opened = screen, screen.get_size(), running, True
        self.state = SCREEN_OFFSCREEN if running == "offscreen" else SCREEN_OK
        self._first_present_pending, self._dark = True, None
        self._margin = burn_in_margin(self._settings.burn_in, self.size[1])
        self._reset_frame()
        self.painter.invalidate()
        again = f" after {self._failures} failed attempts" if self._failures else ""
        self._failures, self._retry_delay = 0, _RETRY_FIRST
        log.info("display: %dx%d on SDL driver %s, renderer %s%s%s", *self.size, running, self.renderer,
                 " (full screen)" if full else "", again)  # fmt: skip
        return True

    def _note_failure(self, reason: str) -> None:
        if pygame.display.get_init():
            pygame.display.quit()  # a half-open display (driver up, no mode) is released before the next try
        now = self._clock()
        state = f"retrying: {reason}"[:200]
        self._failures += 1
        if state != self.state or now - self._reminded_at >= _REMIND_EVERY:
            self._reminded_at = now
            log.error("display: the screen on SDL driver %s would not open (%s); the board keeps running its "
                      "signals, health and cache, and tries again in %.0f s (attempt %d)",
                      self.driver, reason, self._retry_delay, self._failures)  # fmt: skip
        self.state = state
        self._retry_at = now + self._retry_delay
        self._retry_delay = min(self._retry_delay * 2, max(_RETRY_FIRST, float(self._settings.retry_max)))

    def screen_report(self) -> ScreenReport:
        """Driver, renderer, resolution, state (``ok`` / ``offscreen`` / ``retrying: ...`` / ``dark: ...``), frames
        drawn, whether this start took the safe path, and the presents and page flips that failed."""
        resolution = self.size if self.opened else None
        flips = self._tap.flip_errors if self._tap else 0
        last = self.last_present_error or (self._tap.last_flip_error if self._tap else "")
        return ScreenReport(driver=self.driver, resolution=resolution, state=self.state, frames_drawn=self.frames_drawn,
                            renderer=self.renderer, safe_mode=self.safe_mode, dark_renderers=tuple(self.dark_renderers),
                            present_errors=self.present_errors + flips, last_present_error=last)  # fmt: skip

    # ------------------------------------------------------------------ output

    @property
    def fps(self) -> float:
        """Frames actually drawn per second over the last few seconds (a still board: about 1)."""
        now = time.monotonic()
        recent = [t for t in self._frame_times if now - t <= 5.0]
        if len(recent) < 2:
            return 0.0
        span = max(now - recent[0], 1e-3)
        return round(len(recent) / span, 2)

    def render(self, view: BoardView) -> float:
        """Draw what changed; return seconds until the next frame is needed."""
        if not self.opened:
            now = self._clock()
            if now < self._retry_at or not self._try_open():
                return max(0.05, min(_IDLE_BUDGET, self._retry_at - now))
        try:
            wait = self._draw(view)
        except pygame.error as exc:  # the screen went away under the board (a DRM device unplugged, say)
            self.opened = False
            self._note_failure(f"lost the screen: {exc}")
            return max(0.05, self._retry_at - self._clock())
        self._log_flip_errors()
        if self._dark is not None:
            self._next_renderer()
        return wait

    def _check_first_frame(self) -> None:
        """After the first present: read the frame back once; the open has proved itself, so drop the marker."""
        self._first_present_pending = False
        try:
            shown = self._read_back(self.screen) if self.renderer != RENDERER_SURFACE else None
        except pygame.error as exc:
            shown, self._dark = None, f"the frame could not be read back from renderer {self.renderer}: {exc}"
        if shown is not None and not frame_shows(self.screen, shown):
            self._dark = f"renderer {self.renderer} does not hold the frame the board drew"
        elif self.renderer != RENDERER_SURFACE and self._dark is None:
            found = "holds what the board drew" if shown is not None else "could not be read (no renderer found)"
            log.info("display: the first frame, read back from renderer %s, %s", self.renderer, found)
        self._marker.clear()
        if self.driver == "kmsdrm" and self._tap is None:
            self._tap = StderrTap()
            self._tap.start()

    def _next_renderer(self) -> None:
        """The renderer showed nothing: say so, and open the next one (or stay dark on the last)."""
        reason, self._dark = self._dark or "", None
        if self.renderer is not None:
            self.dark_renderers.append(self.renderer)
        self.state = f"dark: {reason}"[:200]
        if self._rung + 1 >= len(self._renderers):
            log.error("display: %s, and no other renderer is left: the board reports itself dark", reason)
            return
        log.error("display: %s; trying renderer %s", reason, self._renderers[self._rung + 1])
        self._rung += 1
        self.opened = False
        pygame.display.quit()
        if self._try_open():
            return
        self.state = f"dark: {reason}; {self.state}"[:200]

    def _log_flip_errors(self) -> None:
        """Page flips SDL could not queue (counted by the tap): one log line a minute at most, with the count."""
        if self._tap is None or self._tap.flip_errors == self._flips_logged:
            return
        now = self._clock()
        if now - self._flips_logged_at < _FLIP_LOG_EVERY:
            return
        log.warning("display: %d page flips failed since the last report (%s); the TV may miss frames",
                    self._tap.flip_errors - self._flips_logged, self._tap.last_flip_error)  # fmt: skip
        self._flips_logged, self._flips_logged_at = self._tap.flip_errors, now

    def _draw(self, view: BoardView) -> float:
        began = time.monotonic()
        self._pump_events()
        second = int(view.wall_now)
        if second != self._second:
            # Both move on minutes at the finest: worked out once a second, not on each of 30 frames.
            self._second = second
            local = datetime.fromtimestamp(view.wall_now, self._zone)
            self._wanted = (screen_mode(self._settings.schedule, local),
                            burn_in_offset(self._settings.burn_in, view.wall_now, self.size[1]))  # fmt: skip
        mode, offset = self._wanted
        if mode is not self._mode:
            self._mode = mode
            self._force_redraw()
        if mode is ScreenMode.BLANK:
            if self._target is not None:
                self.screen.fill((0, 0, 0))
                self._present(None)
                self._target = None
                self._note_frame()
            return _BLANK_BUDGET
        if offset != self._offset or self._target is None:
            self._offset = offset
            self._force_redraw()
            m = self._margin
            area = pygame.Rect(m + offset[0], m + offset[1], self.size[0] - 2 * m, self.size[1] - 2 * m)
            self._target = self.screen.subsurface(area)
        target = self._target
        result = self.painter.paint(view, target)
        self._last_view, self._painted_size = view, target.get_size()
        if result.dirty:
            origin = target.get_abs_offset()
            rects = [rect.move(origin) for rect in result.dirty]
            if mode is ScreenMode.DIM:
                self._dim_rects(rects)
            if len(rects) > 8 or any(r.width * r.height > self.size[0] * self.size[1] // 2 for r in rects):
                self._present(None)
            else:
                self._present(rects)
            self._note_frame()
        if result.moving:
            # Frames keep to a fixed schedule (returning the whole period added each frame's own cost to it:
            # 30 fps asked, 23 held on the texture path); while frames cost more than a period the pacer
            # steps the rate down (30, 15, 10 fps) and the ticker, placed by time, keeps its speed.
            return self._pacer.wait(began, time.monotonic())
        # Wake just after the next whole second: ages, the clock and page turns move on seconds.
        return max(0.05, min(_IDLE_BUDGET, 1.0 - (view.wall_now % 1.0) + 0.01))

    def _force_redraw(self) -> None:
        self.screen.fill(self.painter.theme.background if self._mode is not ScreenMode.BLANK else (0, 0, 0))
        self.painter.invalidate()
        self._target = None

    def _dim_rects(self, rects: list[pygame.Rect]) -> None:
        if self._dim is None:
            self._dim = pygame.Surface(self.size)
            self._dim.fill((0, 0, 0))
            self._dim.set_alpha(round(255 * (1.0 - self._settings.schedule.dim_level)))
        for rect in rects:
            self.screen.blit(self._dim, rect.topleft, rect)

    def _present(self, rects: list[pygame.Rect] | None) -> None:
        """Push ``rects`` (None: the whole screen) and count the present and the bytes it uploads."""
        try:
            if rects is None:
                pygame.display.flip()
                span = self.screen.get_rect()
            else:
                pygame.display.update(rects)
                span = rects[0].unionall(rects[1:])
        except pygame.error as exc:
            self.present_errors += 1
            self.last_present_error = str(exc)[:200]
            raise
        if self._first_present_pending:
            self._check_first_frame()
        self.presents += 1
        self.bytes_uploaded += span.width * span.height * self.screen.get_bytesize()

    def _note_frame(self) -> None:
        self.frames_drawn += 1
        self._frame_times.append(time.monotonic())

    def _pump_events(self) -> None:
        for event in pygame.event.get():
            if event.type == pygame.QUIT and not self.quit_requested:
                # Closing the window stops the board as SIGTERM would (the CLI's handler sets its stop flag).
                self.quit_requested = True
                log.info("window closed; stopping the board")
                signal.raise_signal(signal.SIGTERM)
            elif event.type in (pygame.WINDOWEXPOSED, pygame.VIDEOEXPOSE):
                self._force_redraw()

    def explain(self) -> dict[str, object] | None:
        """The text twin of the frame on screen now (what each widget says); None before the first frame."""
        if self._last_view is None:
            return None
        twin = screen_twin(self.painter, self._last_view, self._painted_size)
        twin["screen"] = (self._mode or ScreenMode.ON).value  # "blank": the twin is of the last frame shown
        return twin

    def snapshot_png(self, max_width: int = 960, max_bytes: int = 256_000) -> bytes:
        """The current frame as a PNG, scaled to at most ``max_width`` wide and ``max_bytes`` long."""
        if not self.opened:
            raise RuntimeError(f"the screen is not showing ({self.state})")
        width, height = self.size
        scale = min(1.0, max_width / width)
        while True:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            frame = pygame.transform.smoothscale(self.screen, size) if scale < 1.0 else self.screen.copy()
            buffer = io.BytesIO()
            pygame.image.save(frame, buffer, "snapshot.png")
            data = buffer.getvalue()
            if len(data) <= max_bytes or size[0] <= 64:
                return data
            scale *= 0.7

    def save_snapshot(self, path: str | os.PathLike[str]) -> None:
        """Write the current frame at full size to ``path`` (PNG); nothing while the screen is not open."""
        if not self.opened:
            return
        pygame.image.save(self.screen, os.fspath(path))

    def close(self) -> None:
        """Blank the screen and release SDL's display."""
        try:
            if self.opened and pygame.display.get_init():
                self.screen.fill((0, 0, 0))
                pygame.display.flip()
        finally:
            pygame.display.quit()
            self._marker.clear()  # stopped on purpose (even mid-open): not a crash
            if self._tap is not None:
                self._tap.stop()
            restore_environment(self._environment_before, self._environ)
