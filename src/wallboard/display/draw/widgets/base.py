"""What every widget shares: the frame it reads, the protocol it follows and text-drawing helpers.

A widget reads the board view and draws into its own box on a surface whose
clip is set to that box; it never changes state and never draws outside its
box. ``key`` says what the widget's picture depends on, so the painter
redraws it only when that changes.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import pygame

from wallboard.device.config.screen_schema import WidgetSettings
from wallboard.device.core.view import BoardView
from wallboard.display.draw.fonts import Colour, FontBook
from wallboard.display.logic.formatting import format_age
from wallboard.display.logic.freshness import widget_age
from wallboard.display.logic.layout import Box
from wallboard.display.logic.theme import Theme


@dataclass
class Frame:
    """What widgets read while one frame is drawn."""

    view: BoardView
    fonts: FontBook
    theme: Theme
    local: datetime  # wall time in the site's time zone
    offline: bool  # the broker link is not up: nothing may look live
    phase: float  # seconds on a steady clock, for motion (the ticker)
    scale: float  # screen height / 1080
    min_cap: int = 0  # the smallest legible cap height on this screen, in pixels (display.logic.legibility)
    drawn: list[Box] = field(default_factory=list)  # boxes of text drawn, for overflow checks
    texts: list[str] = field(default_factory=list)  # the strings drawn, for tests and checks
    sizes: list[int] = field(default_factory=list)  # the font size each string was drawn at (cap heights)
    # The key this widget last painted in this box, while those pixels are still on the surface (else None):
    # a widget may then repaint only what moved (the ticker repaints the band its text scrolls in).
    previous: Hashable = None
    repainted: Box | None = None  # set by a widget that repainted only this part of its box (the rest is as it was)


class Widget(Protocol):
    """A thing drawn in one box of a page."""

    settings: WidgetSettings

    def key(self, frame: Frame, box: Box) -> Hashable:
        """Everything the widget's picture depends on; equal keys mean nothing to redraw."""
        ...

    def draw(self, surface: pygame.Surface, box: Box, frame: Frame) -> None:
        """Draw into ``box`` (the surface's clip is already set to it)."""
        ...

    def moving(self, frame: Frame) -> bool:
        """True while the widget animates and wants frames at the full rate."""
        ...


def pending_note(frame: Frame, key: str) -> str:
    """ "warning in 12 s" while ``key`` is beyond a level whose hold runs; "" otherwise."""
    pending = frame.view.assessment.pending_of(key)
    if pending is None or frame.offline or frame.view.state.is_stale(key, frame.view.wall_now):
        return ""
    return f"{pending.level.label} in {math.ceil(pending.seconds_left)} s"


def stale_note(frame: Frame, settings: WidgetSettings) -> str:
    """ "STALE · 3h old" (or "OFFLINE · ...") while the widget's data is not live; "" while it is or has none."""
    data = widget_age(frame.view, settings)
    if data.age is None or not (data.stale or frame.offline):
        return ""
    if frame.offline and data.age < 60:
        return "OFFLINE"  # "0s old" would read as live
    return f"{'OFFLINE' if frame.offline else 'STALE'} \u00b7 {format_age(data.age)}"


def metric_label(frame: Frame, settings: WidgetSettings) -> str:
    """The widget's label: its own, the metric's configured label, or the metric key."""
    if settings.label:
        return settings.label
    if settings.metric is None:
        return ""
    entry = frame.view.config.metric_settings(settings.metric)
    if entry is not None and entry.label:
        return entry.label
    queue, _, name = settings.metric.partition(".")
    return f"{queue} {name.removesuffix('_s').removesuffix('_pct').replace('_', ' ')}"


def draw_text(
    surface: pygame.Surface,
    frame: Frame,
    text: str,
    box: Box,
    colour: Colour,
    *,
    align: str = "center",
    bold: bool = True,
    max_size: int | None = None,
) -> Box | None:
    """Draw ``text`` as large as fits in ``box`` (capped at ``max_size``); return where it went."""
    x, y, w, h = box
    if not text or w < 4 or h < 4:
        return None
    size = frame.fonts.fit(text, w, h, bold)
    if max_size is not None:
        size = min(size, max_size)
    rendered = frame.fonts.text(text, size, colour, bold)
    tw, th = rendered.get_size()
    tw, th = min(tw, w), min(th, h)
    if align == "left":
        tx = x
    elif align == "right":
        tx = x + w - tw
    else:
        tx = x + (w - tw) // 2
    ty = y + (h - th) // 2
    surface.blit(rendered, (tx, ty), pygame.Rect(0, 0, tw, th))
    placed = (tx, ty, tw, th)
    frame.drawn.append(placed)
    frame.texts.append(text)
    frame.sizes.append(size)
    return placed


def legible_line(frame: Frame) -> int:
    """The height of a line of text whose capitals are just legible from 10 m on this screen."""
    return frame.fonts.measure("Hg", frame.fonts.size_for_cap(frame.min_cap))[1]


def legible_choice(frame: Frame, candidates: Sequence[str], width: int, height: int, bold: bool = True) -> str:
    """The first of ``candidates`` (longest first) that fits ``width`` x ``height`` at a legible size, else the last."""
    for text in candidates:
        if frame.fonts.cap_height(frame.fonts.fit(text, width, height, bold)) >= frame.min_cap:
            return text
    return candidates[-1]


def fill(surface: pygame.Surface, box: Box, colour: Colour, radius: int = 0) -> None:
    """Fill ``box`` with ``colour``, with rounded corners if ``radius``."""
    pygame.draw.rect(surface, colour, pygame.Rect(box), border_radius=radius)


def shrink(box: Box, by: int) -> Box:
    """``box`` with ``by`` pixels taken off every side."""
    x, y, w, h = box
    return (x + by, y + by, max(1, w - 2 * by), max(1, h - 2 * by))


def corner(box: Box) -> int:
    """The corner radius used for panels of this size."""
    return max(2, min(box[2], box[3]) // 30)
