"""The board's own furniture: the status strip (name, page, connection, data age, clock) and the OFFLINE banner.

These say whether the board is live: the strip always, the banner in a
colour no severity uses whenever the broker link is not up, with the time of
the last data. Reads board state only.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime

import pygame

from wallboard.device.core.state import LinkStatus
from wallboard.display.draw.widgets.base import Frame, draw_text, fill, shrink
from wallboard.display.logic.formatting import format_since
from wallboard.display.logic.layout import Box


class StatusStrip:
    """Board name on the left; page, connection and data age on the right; the time in the middle."""

    def __init__(self, board_name: str) -> None:
        self.board_name = board_name

    def _texts(self, frame: Frame, page_label: str) -> tuple[str, str, str, bool]:
        link = frame.view.state.link.status
        age = frame.view.state.data_age(frame.view.wall_now)
        feeds_down = frame.view.state.feeds_not_online()
        if link is LinkStatus.UP and feeds_down:
            # The broker is fine but the platform's feed is not: say which, apart from "OFFLINE" (the broker).
            feed = feeds_down[0]
            word = "FEED OFFLINE" if feed.state == "offline" else "FEED DEGRADED"
            connection = f"\u25cb {word}: {feed.adapter} \u00b7 {format_since(age)}"
        elif link is LinkStatus.UP:
            connection = f"\u25cf LIVE \u00b7 {format_since(age)}"
        elif link is LinkStatus.CONNECTING:
            connection = f"\u25cb CONNECTING \u00b7 {format_since(age)}"
        else:
            connection = f"\u25cb OFFLINE \u00b7 {format_since(age)}"
        left = self.board_name + (f"  \u00b7  {page_label}" if page_label else "")
        return left, frame.local.strftime("%H:%M"), connection, link is LinkStatus.UP and not feeds_down

    def key(self, frame: Frame, box: Box, page_label: str) -> Hashable:
        return (box, self._texts(frame, page_label))

    def draw(self, surface: pygame.Surface, box: Box, frame: Frame, page_label: str) -> None:
        theme = frame.theme
        left, clock, connection, live = self._texts(frame, page_label)
        fill(surface, box, theme.strip)
        x, y, w, h = shrink(box, max(2, box[3] // 8))
        x += h // 2
        w -= h
        cap = round(h * 0.95)
        draw_text(surface, frame, left, (x, y, w * 4 // 10, h), theme.strip_text, align="left", max_size=cap)
        draw_text(surface, frame, clock, (x + w * 43 // 100, y, w * 14 // 100, h), theme.strip_text, max_size=cap)
        colour = theme.live if live else theme.banner_text
        if not live:
            fill(surface, (x + w * 6 // 10, box[1], w * 4 // 10 + h // 2, box[3]), theme.banner)
        draw_text(surface, frame, connection, (x + w * 6 // 10, y, w * 4 // 10, h), colour, align="right",
                  max_size=cap)  # fmt: skip


class OfflineBanner:
    """The unmistakable banner while the link is down: "OFFLINE - last data 10:42"."""

    def _texts(self, frame: Frame) -> tuple[str, str]:
        state = frame.view.state
        link = state.link
        headline = "CONNECTING" if link.status is LinkStatus.CONNECTING else "OFFLINE"
        zone = frame.local.tzinfo
        if state.newest_received_at is None:
            headline += " \u2014 no data received yet"
        else:
            last = datetime.fromtimestamp(state.newest_received_at, zone)
            same_day = last.date() == frame.local.date()
            headline += f" \u2014 last data {last.strftime('%H:%M' if same_day else '%d %b %H:%M')}"
        since = datetime.fromtimestamp(link.at, zone).strftime("%H:%M")
        detail = f"Numbers are NOT live \u00b7 no connection to the broker since {since}"
        if link.status is LinkStatus.CONNECTING:
            detail = "Numbers are NOT live \u00b7 connecting to the broker\u2026"
        return headline, detail

    def key(self, frame: Frame, box: Box) -> Hashable:
        return (box, self._texts(frame))

    def draw(self, surface: pygame.Surface, box: Box, frame: Frame) -> None:
        theme = frame.theme
        headline, detail = self._texts(frame)
        fill(surface, box, theme.banner)
        x, y, w, h = box
        stripe = max(4, h // 14)
        # Hazard stripes top and bottom: a shape cue as well as a colour.
        for sy in (y, y + h - stripe):
            for sx in range(x - stripe * 2, x + w, stripe * 4):
                points = [
                    (sx, sy + stripe),
                    (sx + stripe * 2, sy),
                    (sx + stripe * 4, sy),
                    (sx + stripe * 2, sy + stripe),
                ]
                pygame.draw.polygon(surface, theme.banner_text, points)
        inner = shrink((x, y + stripe, w, h - 2 * stripe), max(2, h // 16))
        ix, iy, iw, ih = inner
        draw_text(surface, frame, headline, (ix, iy, iw, ih * 64 // 100), theme.banner_text)
        draw_text(surface, frame, detail, (ix, iy + ih * 66 // 100, iw, ih * 34 // 100), theme.banner_text)
