"""The board's screen: a pygame-ce window or full-screen surface driven as a ``BoardOutput``.

Chooses SDL's video driver (``$SDL_VIDEODRIVER`` if set; a desktop's when
``$DISPLAY`` or ``$WAYLAND_DISPLAY`` is set; else ``kmsdrm`` on a bare
console, falling back to ``offscreen`` so a board without a TV still drives
its signals). Paints through ``BoardPainter`` and pushes only the changed
rectangles; applies the night schedule and the burn-in shift; measures its
own frame rate; hands out PNG snapshots. It reads the board view and never
changes it; pygame is initialised when this output is built, never at import.
"""

from __future__ import annotations

import io
import logging
import os
import signal
import time
from collections import deque
from datetime import datetime

import pygame

from wallboard.device.config.loader import BoardConfig
from wallboard.device.core.view import BoardView
from wallboard.display.draw.painter import BoardPainter, board_zone
from wallboard.display.logic.pacing import FramePacer
from wallboard.display.logic.schedule import ScreenMode, burn_in_margin, burn_in_offset, screen_mode

log = logging.getLogger(__name__)

_WINDOW_DEFAULT = (1280, 720)
_IDLE_BUDGET = 1.0  # a still board wakes once a second (ages and the clock move on)
_BLANK_BUDGET = 5.0


def choose_driver() -> str | None:
    """The SDL video driver to ask for; None lets SDL pick (a desktop session)."""
    configured = os.environ.get("SDL_VIDEODRIVER")
    if configured:
        return configured
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return "kmsdrm"


class DisplayOutput:
    """Draws the board on the screen; ``frames_drawn``, ``fps`` and ``snapshot_png`` report on it.

    ``presents`` counts the pushes to the screen (each ``display.update`` or ``flip``) and
    ``bytes_uploaded`` the bytes they hand over: on SDL's texture path (kmsdrm, or
    ``SDL_FRAMEBUFFER_ACCELERATION=1``) an update uploads the span enclosing its rectangles
    (``SDL_UpdateWindowTexture``) and a flip the whole screen, so that is what is counted.
    """

    def __init__(self, config: BoardConfig, *, size: tuple[int, int] | None = None,
                 fullscreen: bool | None = None) -> None:  # fmt: skip
        self.config = config
        settings = config.display
        self._settings = settings
        wanted = size or settings.fixed_size()
        full = settings.fullscreen if fullscreen is None else fullscreen
        os.environ.setdefault("SDL_VIDEO_ALLOW_SCREENSAVER", "0")  # keep a desktop from blanking the board
        self.driver = self._init_video()
        pygame.font.init()
        if self.driver == "offscreen":
            full = False
        flags = pygame.FULLSCREEN if full else 0
        if full:
            self.screen = pygame.display.set_mode(wanted or (0, 0), flags)
        else:
            self.screen = pygame.display.set_mode(wanted or _WINDOW_DEFAULT, flags)
        pygame.display.set_caption(f"wallboard {config.site.id}/{config.board.id}")
        pygame.mouse.set_visible(False)
        pygame.event.set_allowed([pygame.QUIT, pygame.WINDOWEXPOSED, pygame.VIDEOEXPOSE])
        self.size = self.screen.get_size()
        self.painter = BoardPainter(config)
        self._zone = board_zone(config)
        self._margin = burn_in_margin(settings.burn_in, self.size[1])
        self._offset: tuple[int, int] | None = None
        self._target: pygame.Surface | None = None
        self._mode: ScreenMode | None = None
        self._second: int | None = None  # the whole second the schedule and burn-in shift were worked out for
        self._wanted: tuple[ScreenMode, tuple[int, int]] = (ScreenMode.ON, (0, 0))
        self._dim: pygame.Surface | None = None
        self._pacer = FramePacer(settings.fps)
        self.frames_drawn = 0
        self.presents = 0
        self.bytes_uploaded = 0
        self._frame_times: deque[float] = deque(maxlen=120)
        self.quit_requested = False
        log.info("display: %dx%d on SDL driver %s%s", *self.size, pygame.display.get_driver(),
                 " (full screen)" if full else "")  # fmt: skip

    @staticmethod
    def _init_video() -> str:
        driver = choose_driver()
        if driver is not None:
            os.environ["SDL_VIDEODRIVER"] = driver
        if driver != "kmsdrm":
            # SDL's own window surface pushes only the changed rectangles; its GPU-texture path re-uploads the
            # whole screen on every update (measured at 1080p with the ticker: 24% of a core instead of 1.9%).
            # kmsdrm has no such surface and always goes through a texture, so it is left alone there.
            os.environ.setdefault("SDL_FRAMEBUFFER_ACCELERATION", "0")
        try:
            pygame.display.init()
        except pygame.error as exc:
            if driver == "offscreen":
                raise
            log.warning("no screen (%s: %s); drawing offscreen so the rest of the board keeps working", driver, exc)
            os.environ["SDL_VIDEODRIVER"] = "offscreen"
            pygame.display.init()
        return str(pygame.display.get_driver())

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
        if rects is None:
            pygame.display.flip()
            span = self.screen.get_rect()
        else:
            pygame.display.update(rects)
            span = rects[0].unionall(rects[1:])
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

    def snapshot_png(self, max_width: int = 960, max_bytes: int = 256_000) -> bytes:
        """The current frame as a PNG, scaled to at most ``max_width`` wide and ``max_bytes`` long."""
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
        """Write the current frame at full size to ``path`` (PNG)."""
        pygame.image.save(self.screen, os.fspath(path))

    def close(self) -> None:
        """Blank the screen and release SDL's display."""
        try:
            if pygame.display.get_init():
                self.screen.fill((0, 0, 0))
                pygame.display.flip()
        finally:
            pygame.display.quit()
