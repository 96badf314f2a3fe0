"""The ticker: announcements from the announce topic scrolling right to left.

The text is rendered once per change of announcements, onto the ticker's own
background (an opaque strip, so each frame is a plain copy, not an alpha
blend), and then only moved: a scrolling frame repaints the band of rows the
text covers and leaves the rest of the box alone. Announcements older than
the widget's ``stale_after`` (none by default: they carry their own expiry), or
any while the board is offline, scroll on grey led by "STALE · 9h old". Ingest
has already cut the
text to length and removed control characters; this widget strips anything
non-printable again rather than trust it. Reads board state only.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import pygame

from wallboard.device.config.screen_schema import WidgetSettings
from wallboard.display.draw.fonts import Colour
from wallboard.display.draw.widgets.base import Frame, corner, fill, stale_note
from wallboard.display.logic.layout import Box
from wallboard.display.logic.theme import TileState

_SEPARATOR = "   \u2022   "
MAX_TICKER_CHARS = 2000


def ticker_text(texts: list[str]) -> str:
    """Announcements joined for the ticker, stripped of non-printable characters and bounded in length."""
    clean = ["".join(ch for ch in text if ch.isprintable()).strip() for text in texts]
    return _SEPARATOR.join(t for t in clean if t)[:MAX_TICKER_CHARS]


@dataclass(frozen=True, slots=True)
class _Band:
    """The shown text's place in a box: its font size, measured size, top row, and whether it clears the corners."""

    shown: tuple[str, Colour, Colour]  # (text, background, ink), as ``Ticker._shown`` gave it
    box: Box
    size: int
    text_w: int
    text_h: int
    ty: int
    radius: int
    in_band: bool


class Ticker:
    """Scrolling announcements."""

    def __init__(self, settings: WidgetSettings, speed: float) -> None:
        self.settings = settings
        self.speed = speed  # pixels per second at 1080p
        # What the ticker shows, kept per state version, whole second and link (``_content``), not worked out
        # on each of 30 frames: joining and cleaning the text char by char, the stale note and measuring the
        # text cost more than the scroll itself.
        self._content_key: tuple[object, int, int, bool] | None = None
        self._content: tuple[str, Colour, Colour] = ("", (0, 0, 0), (0, 0, 0))  # (text, background, ink)
        self._source: tuple[str, ...] | None = None
        self._joined = ""
        self._last_band: _Band | None = None
        self._strip: pygame.Surface | None = None  # the text on the ticker's background, one at a time
        self._strip_key: tuple[str, int, Colour, Colour] | None = None
        self._strip_top = 0  # the strip's first row within the text's line

    def _shown(self, frame: Frame) -> tuple[str, Colour, Colour]:
        """(text, background, ink): the announcements as scrolled, led by "STALE · 9h old" on grey while not live.

        Worked out again only when the state changes, the whole second turns (ages, expiries) or the link
        does; an animation frame between those reads it back.
        """
        view = frame.view
        key = (view.state, view.state.version, int(view.wall_now), frame.offline)
        if key != self._content_key:
            self._content_key = key
            source = tuple(a.text for a in view.state.announcements(view.wall_now))
            if source != self._source:
                self._source, self._joined = source, ticker_text(list(source))
            joined = self._joined
            note = stale_note(frame, self.settings) if joined else ""
            if note:
                style = frame.theme.tile(TileState.STALE)
                self._content = (f"{note}{_SEPARATOR}{joined}", style.background, style.text)
            else:
                self._content = (joined, frame.theme.ticker, frame.theme.ticker_text)
        return self._content

    def _offset(self, frame: Frame, text_w: int, box_w: int) -> int:
        # At phase 0 the text starts at the left edge, so a new board shows the whole message at once.
        period = text_w + box_w
        return int(frame.phase * self.speed * frame.scale + box_w) % max(1, period)

    def _band(self, frame: Frame, box: Box) -> _Band:
        """Where and how the shown text scrolls in ``box``: worked out once per text and box, read by every frame."""
        shown = self._shown(frame)
        band = self._last_band
        if band is not None and band.shown == shown and band.box == box:
            return band
        text = shown[0]
        size = max(10, round(box[3] * 0.6))
        text_w, text_h = frame.fonts.measure(text, size) if text else (0, 0)
        _, y, _, h = box
        radius = corner(box)
        ty = y + (h - text_h) // 2
        # Text whose rows reach the rounded corners is blended onto the box as drawn, the slow way.
        in_band = y + radius <= ty and ty + text_h <= y + h - radius
        self._last_band = band = _Band(shown, box, size, text_w, text_h, ty, radius, in_band)
        return band

    def key(self, frame: Frame, box: Box) -> Hashable:
        band = self._band(frame, box)
        text = band.shown[0]
        if not text:
            return (box, "")
        return (box, text, self._offset(frame, band.text_w, box[2]))

    def moving(self, frame: Frame) -> bool:
        return bool(self._shown(frame)[0])

    def _strip_for(self, frame: Frame, band: _Band, like: pygame.Surface) -> tuple[pygame.Surface, int]:
        """The text blended onto the ticker colour once, in the target's pixel format, and its first row.

        Only the rows with ink are kept (the line's other rows are the ticker colour anyway): a
        scrolling frame is then a plain copy of those rows, not an alpha blend of the whole line.
        """
        text, background, colour = band.shown
        key = (text, band.size, colour, background)
        if self._strip is None or self._strip_key != key:
            self._strip = None  # let the old strip go before the new one is made
            rendered = frame.fonts.render(text, band.size, colour)
            ink = rendered.get_bounding_rect()
            rows = pygame.Rect(0, ink.top, rendered.get_width(), max(1, ink.height))
            strip = pygame.Surface(rows.size, 0, like)
            strip.fill(background)
            strip.blit(rendered, (0, 0), rows)
            self._strip, self._strip_key, self._strip_top = strip, key, rows.top
        return self._strip, self._strip_top

    def draw(self, surface: pygame.Surface, box: Box, frame: Frame) -> None:
        band = self._band(frame, box)
        text, background, ink = band.shown
        previous = frame.previous
        if not text:
            # Nothing to announce: no empty coloured band, just the board's background.
            fill(surface, box, frame.theme.background)
            return
        if not band.in_band:
            fill(surface, box, background, band.radius)
            rendered = frame.fonts.text(text, band.size, ink)
            self._blit(surface, box, frame, rendered, text, band.size)
            return
        x, _, w, _ = box
        strip, ink_top = self._strip_for(frame, band, surface)
        tw, ink_h = strip.get_size()
        top = band.ty + ink_top
        left = x + w - self._offset(frame, tw, w)
        if isinstance(previous, tuple) and len(previous) == 3 and previous[0] == box and previous[1] == text:
            # Scrolled on: only the rows with ink change; clear what the strip does not cover, leave the rest.
            if left > x:
                surface.fill(background, (x, top, left - x, ink_h))
            if left + tw < x + w:
                surface.fill(background, (left + tw, top, x + w - left - tw, ink_h))
            frame.repainted = (x, top, w, ink_h)  # so a dimmed screen dims these rows once, not the box again
        else:
            fill(surface, box, background, band.radius)
        surface.blit(strip, (left, top))
        self._note(box, frame, text, left, tw, band.ty, band.text_h, band.size)

    def _blit(self, surface: pygame.Surface, box: Box, frame: Frame, rendered: pygame.Surface, text: str,
              size: int) -> None:  # fmt: skip
        x, y, w, h = box
        tw, th = rendered.get_size()
        left = x + w - self._offset(frame, tw, w)
        ty = y + (h - th) // 2
        surface.blit(rendered, (left, ty))
        self._note(box, frame, text, left, tw, ty, th, size)

    @staticmethod
    def _note(box: Box, frame: Frame, text: str, left: int, tw: int, ty: int, th: int, size: int) -> None:
        x, y, w, h = box
        visible_left, visible_right = max(x, left), min(x + w, left + tw)
        if visible_right > visible_left:
            frame.drawn.append((visible_left, max(y, ty), visible_right - visible_left, min(th, h)))
            frame.texts.append(text)
            frame.sizes.append(size)
