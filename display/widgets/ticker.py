"""The ticker: announcements from the announce topic scrolling right to left.

The text is rendered once per change of announcements and then only moved,
so a scrolling ticker costs a blit per frame. Ingest has already cut the text
to length and removed control characters; this widget strips anything
non-printable again rather than trust it. Reads board state only.
"""

from __future__ import annotations

from collections.abc import Hashable

import pygame

from display.layout import Box
from display.settings import WidgetSettings
from display.widgets.base import Frame, corner, fill

_SEPARATOR = "   \u2022   "
MAX_TICKER_CHARS = 2000


def ticker_text(texts: list[str]) -> str:
    """Announcements joined for the ticker, stripped of non-printable characters and bounded in length."""
    clean = ["".join(ch for ch in text if ch.isprintable()).strip() for text in texts]
    return _SEPARATOR.join(t for t in clean if t)[:MAX_TICKER_CHARS]


class Ticker:
    """Scrolling announcements."""

    def __init__(self, settings: WidgetSettings, speed: float) -> None:
        self.settings = settings
        self.speed = speed  # pixels per second at 1080p

    def _text(self, frame: Frame) -> str:
        return ticker_text([a.text for a in frame.view.state.announcements(frame.view.wall_now)])

    def _offset(self, frame: Frame, text_w: int, box_w: int) -> int:
        # At phase 0 the text starts at the left edge, so a new board shows the whole message at once.
        period = text_w + box_w
        return int(frame.phase * self.speed * frame.scale + box_w) % max(1, period)

    def key(self, frame: Frame, box: Box) -> Hashable:
        text = self._text(frame)
        if not text:
            return (box, "")
        size = self._size(box)
        text_w = frame.fonts.measure(text, size)[0]
        return (box, text, self._offset(frame, text_w, box[2]))

    def moving(self, frame: Frame) -> bool:
        return bool(self._text(frame))

    @staticmethod
    def _size(box: Box) -> int:
        return max(10, round(box[3] * 0.6))

    def draw(self, surface: pygame.Surface, box: Box, frame: Frame) -> None:
        theme = frame.theme
        x, y, w, h = box
        fill(surface, box, theme.ticker, corner(box))
        text = self._text(frame)
        if not text:
            return
        rendered = frame.fonts.text(text, self._size(box), theme.ticker_text)
        tw, th = rendered.get_size()
        left = x + w - self._offset(frame, tw, w)
        ty = y + (h - th) // 2
        surface.blit(rendered, (left, ty))
        visible_left, visible_right = max(x, left), min(x + w, left + tw)
        if visible_right > visible_left:
            frame.drawn.append((visible_left, max(y, ty), visible_right - visible_left, min(th, h)))
            frame.texts.append(text)
