"""Paints a board view onto a pygame surface, redrawing only the parts whose picture changed.

``BoardPainter`` keeps what is costly to remake (fonts, rendered text, the
layout and each part's last key); ``render_board`` is the pure entry point
that preview and tests share with the screen: a view and a size in, a
surface out. Nothing here opens a window or changes board state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from functools import partial
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pygame

from wallboard.device.config.schema import BoardConfig
from wallboard.device.core.values import LinkStatus
from wallboard.device.core.view import BoardView
from wallboard.display.draw.fonts import FontBook
from wallboard.display.draw.widgets import Frame, Widget, build_widget
from wallboard.display.draw.widgets.chrome import OfflineBanner, StatusStrip
from wallboard.display.logic.layout import Box, ScreenLayout, cell_box, screen_layout
from wallboard.display.logic.legibility import min_cap_px
from wallboard.display.logic.pages import PageRotation, alarm_elsewhere, alarm_metric, board_pages, queue_name
from wallboard.display.logic.theme import THEMES

log = logging.getLogger(__name__)


def board_zone(config: BoardConfig) -> tzinfo:
    """The site's time zone; UTC (with a warning) if the system has no such zone."""
    try:
        return ZoneInfo(config.site.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("time zone %r not found; showing UTC", config.site.timezone)
        return UTC


@dataclass
class PaintResult:
    """What one paint did: the rectangles it changed and whether anything is moving."""

    dirty: list[pygame.Rect] = field(default_factory=list)
    moving: bool = False
    page: int = 0


@dataclass
class _Motion:
    """What a frame in which only the moving parts change reuses from the last paint of the whole page."""

    surface: pygame.Surface
    page: int
    inputs: Hashable  # ``BoardPainter._inputs_of`` of that paint's view
    frame: Frame  # that paint's frame (its local time is of the same whole second)
    movers: list[tuple[int, str, Widget, Box]]  # (slot, kind, widget, box) of each moving part


@dataclass
class PlacedWidget:
    """Where a widget was last drawn and the text boxes it drew, for overflow checks."""

    kind: str
    cell: Box
    text: list[Box]
    words: list[str]
    sizes: list[int] = field(default_factory=list)  # font size of each of ``words``


class BoardPainter:
    """Draws one board's pages, status strip and offline banner; remembers what is on the surface."""

    def __init__(self, config: BoardConfig, fonts: FontBook | None = None) -> None:
        self.config = config
        display = config.display
        self.theme = THEMES[display.theme]
        self._own_fonts = fonts is None  # a FontBook handed in keeps the budget its owner gave it
        self.fonts = fonts if fonts is not None else FontBook(display.font)
        self.pages = board_pages(config)
        self.widgets: list[list[Widget]] = [[build_widget(w, display) for w in page.widget] for page in self.pages]
        self.rotation = PageRotation(self.pages, float(display.page_interval), display.pin_critical)
        self.zone = board_zone(config)
        self.strip = StatusStrip(config.board.name or config.board.id, [w for p in self.pages for w in p.widget])
        self.banner = OfflineBanner()
        self.placed: dict[int, PlacedWidget] = {}  # by slot on the page shown
        self.chrome: dict[str, PlacedWidget] = {}  # the status strip and banner, when shown
        self._layout_key: Hashable = None
        self._layout = screen_layout(1, 1, strip=False, banner=False)  # the first paint sets it (``_layout_key``)
        self._boxes: list[Box] = []
        self._keys: dict[object, Hashable] = {}
        # What the still parts were last painted from and the parts that move (the ticker): while the
        # inputs are the same, a frame repaints only the moving parts and works out nothing else (``_animate``).
        self._motion: _Motion | None = None
        self.painted = 0  # widgets, strip and banner drawn (for tests and benchmarks)
        self.page_shown = 0  # the page (from 0) of the last paint
        self.last_frame: Frame | None = None  # what the last paint's widgets read (for the text twin)

    def invalidate(self) -> None:
        """Forget what is on the surface: the next paint redraws everything."""
        self._layout_key = None
        self._motion = None
        self._keys.clear()

    def page_label(self, index: int) -> str:
        if len(self.pages) <= 1:
            return self.pages[0].name if self.pages else ""
        name = self.pages[index].name
        return f"{name} ({index + 1}/{len(self.pages)})" if name else f"page {index + 1}/{len(self.pages)}"

    def paint(self, view: BoardView, surface: pygame.Surface, *, page: int | None = None,
              phase: float | None = None) -> PaintResult:  # fmt: skip
        """Bring ``surface`` up to date with ``view``; ``page`` fixes the page (else it rotates)."""
        index = self.rotation.current(view.now, view.assessment) if page is None else page % len(self.pages)
        inputs = self._inputs_of(view)
        motion = self._motion
        if motion is not None and motion.surface is surface and motion.page == index and motion.inputs == inputs:
            return self._animate(view, motion, phase)
        self._motion = None
        offline = view.state.link.status is not LinkStatus.UP
        width, height = surface.get_size()
        frame = Frame(
            view=view,
            fonts=self.fonts,
            theme=self.theme,
            local=datetime.fromtimestamp(view.wall_now, self.zone),
            offline=offline,
            phase=view.now if phase is None else phase,
            scale=height / 1080,
            min_cap=min_cap_px(height),
        )
        result = PaintResult(page=index)
        self.page_shown, self.last_frame = index, frame
        layout_key = (width, height, offline, index)
        if layout_key != self._layout_key:
            self._layout_key = layout_key
            # The page's layout and each widget's box, worked out once per screen size, page and link state.
            self._layout = screen_layout(width, height, strip=self.config.display.status_strip, banner=offline)
            shown = self.pages[index]
            self._boxes = [cell_box(self._layout.grid, self._layout.gap, shown, settings) for settings in shown.widget]
            if self._own_fonts:
                self.fonts.size_for_screen(width, height, surface.get_bytesize())
            self._keys.clear()
            self.placed.clear()
            self.chrome.clear()
            surface.fill(self.theme.background)
            result.dirty.append(surface.get_rect())
        page_settings = self.pages[index]
        widgets = self.widgets[index]
        movers: list[tuple[int, str, Widget, Box]] = []
        self._paint_chrome(surface, self._layout, frame, index, result)
        for slot, (settings, widget, box) in enumerate(zip(page_settings.widget, widgets, self._boxes, strict=True)):
            if widget.moving(frame):
                result.moving = True
                movers.append((slot, settings.type, widget, box))
            self._paint_widget(surface, slot, settings.type, widget, box, frame, result)
        self._motion = _Motion(surface, index, inputs, frame, movers)
        return result

    def _animate(self, view: BoardView, motion: _Motion, phase: float | None) -> PaintResult:
        """A frame where only the moving parts change: repaint those from the last paint's frame, moved on."""
        frame = motion.frame
        frame.view, frame.phase = view, view.now if phase is None else phase
        result = PaintResult(page=motion.page)
        self.page_shown, self.last_frame = motion.page, frame
        for slot, kind, widget, box in motion.movers:
            result.moving = widget.moving(frame) or result.moving
            self._paint_widget(motion.surface, slot, kind, widget, box, frame, result)
        return result

    @staticmethod
    def _inputs_of(view: BoardView) -> Hashable:
        """What every still part's picture is computed from, cheaply: if this is unchanged, so are their keys.

        The state's version moves on every change an output might draw (values, link, announcements,
        leaderboard, config); the assessment on the rules' verdict (re-made on every data pass, at
        least once a second); the whole second on ages, the clock and page turns. A value turning stale without a rule
        watching it is thus shown at the next whole second, as on a still board.
        """
        # Objects, not ids: a tuple compares them by identity first, so an unchanged frame costs no deep compare.
        return (view.state, view.state.version, view.config, view.assessment, int(view.wall_now))

    def _paint_widget(self, surface: pygame.Surface, slot: int, kind: str, widget: Widget, box: Box, frame: Frame,
                      result: PaintResult) -> None:  # fmt: skip
        key = widget.key(frame, box)
        previous = self._keys.get(slot)
        if previous == key:
            return
        self._keys[slot] = key
        frame.drawn, frame.texts, frame.sizes, frame.previous, frame.repainted = [], [], [], previous, None
        self._draw_clipped(surface, box, partial(widget.draw, surface, box, frame))
        self.painted += 1
        self.placed[slot] = PlacedWidget(kind, box, frame.drawn, frame.texts, frame.sizes)
        result.dirty.append(pygame.Rect(box if frame.repainted is None else frame.repainted))
        frame.previous = frame.repainted = None

    def _paint_chrome(self, surface: pygame.Surface, layout: ScreenLayout, frame: Frame, index: int,
                      result: PaintResult) -> None:  # fmt: skip
        label = self.page_label(index)
        if layout.strip is not None:
            strip_box = layout.strip
            # An alarm on a page not on screen is said on the strip until its page comes round.
            elsewhere = alarm_elsewhere(self.pages, index, frame.view.assessment)
            alarm = None
            if elsewhere is not None:
                # Named by its queue ("✖ CRITICAL in Support"), not by the page ("Now" says nothing).
                severity, page = elsewhere
                on_screen = frozenset(w.metric for w in self.pages[index].widget if w.metric is not None)
                metric = alarm_metric(self.pages[page], severity, frame.view.assessment, besides=on_screen)
                where = queue_name(frame.view.config, metric) if metric else self.pages[page].name or f"page {page + 1}"
                alarm = (severity, where)
            # One clock on screen: a page with a clock widget has the time big already.
            clock = not any(w.type == "clock" for w in self.pages[index].widget)
            key = self.strip.key(frame, strip_box, label, alarm, clock)
            if self._keys.get("strip") != key:
                self._keys["strip"] = key
                frame.drawn, frame.texts, frame.sizes = [], [], []
                self._draw_clipped(surface, strip_box,
                                   lambda: self.strip.draw(surface, strip_box, frame, label, alarm, clock))  # fmt: skip
                self.painted += 1
                self.chrome["strip"] = PlacedWidget("strip", strip_box, frame.drawn, frame.texts, frame.sizes)
                result.dirty.append(pygame.Rect(strip_box))
        if layout.banner is not None:
            banner_box = layout.banner
            key = self.banner.key(frame, banner_box)
            if self._keys.get("banner") != key:
                self._keys["banner"] = key
                frame.drawn, frame.texts, frame.sizes = [], [], []
                self._draw_clipped(surface, banner_box, lambda: self.banner.draw(surface, banner_box, frame))
                self.painted += 1
                self.chrome["banner"] = PlacedWidget("banner", banner_box, frame.drawn, frame.texts, frame.sizes)
                result.dirty.append(pygame.Rect(banner_box))

    @staticmethod
    def _draw_clipped(surface: pygame.Surface, box: Box, draw: Callable[[], None]) -> None:
        previous = surface.get_clip()
        surface.set_clip(pygame.Rect(box))
        try:
            draw()
        finally:
            surface.set_clip(previous)


def render_board(
    view: BoardView,
    size: tuple[int, int],
    *,
    page: int = 0,
    phase: float = 0.0,
    painter: BoardPainter | None = None,
) -> pygame.Surface:
    """Draw ``view`` at ``size`` on a new surface (page ``page``, counted from 0). Needs no window."""
    pygame.font.init()
    surface = pygame.Surface(size)
    (painter or BoardPainter(view.config)).paint(view, surface, page=page, phase=phase)
    return surface
