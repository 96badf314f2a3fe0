"""The board's own furniture: the status strip (name, page, connection, data age, clock) and the OFFLINE banner.

These say whether the board is live: the strip always, the banner in a
colour no severity uses whenever the broker link is not up, with the time of
the last data. Reads board state only.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import datetime

import pygame

from wallboard.device.config.screen_schema import WidgetSettings
from wallboard.device.core.rules import Severity
from wallboard.device.core.values import LinkStatus
from wallboard.display.draw.widgets.base import Frame, draw_text, fill, legible_choice, legible_line, shrink
from wallboard.display.logic.formatting import format_since
from wallboard.display.logic.freshness import Freshness, Liveness, board_freshness, shown_sources
from wallboard.display.logic.layout import Box
from wallboard.display.logic.theme import TileState


def liveness_text(freshness: Freshness, age: float | None) -> str:
    """The strip's marker: "● LIVE · data 2s ago", "◐ 3 OF 12 STALE", "◐ 3 OF 12 NO DATA", "○ OFFLINE · ..."."""
    since = format_since(age)
    match freshness.liveness:
        case Liveness.LIVE:
            return f"\u25cf LIVE \u00b7 {since}"
        case Liveness.PARTLY_STALE:
            if freshness.missing:  # both: the counts alone, short enough to read from across the room
                return f"\u25d0 {freshness.stale} STALE \u00b7 {freshness.missing} NO DATA"
            return f"\u25d0 {freshness.stale} OF {freshness.total} STALE"
        case Liveness.PARTLY_MISSING:
            return f"\u25d0 {freshness.missing} OF {freshness.total} NO DATA"
        case Liveness.ALL_STALE:
            return f"\u25cb ALL STALE \u00b7 {since}"
        case Liveness.NO_DATA:
            return "\u25cb NO DATA YET"
        case Liveness.CONNECTING:
            return "\u25cb CONNECTING"
    return f"\u25cb OFFLINE \u00b7 {since}"


# An alarm on a page not on screen: its severity and that page's name (``display.logic.pages.alarm_elsewhere``).
AlarmElsewhere = tuple[Severity, str]


class StatusStrip:
    """Board name on the left; page, what is live and the data age on the right; the time in the middle.

    The marker is green only while the link is up and every data source shown on the board is fresh;
    some stale sources make it amber with how many, none fresh (or no link) puts it on the banner colour.
    While another page has a warning or critical widget, the left part says so instead of the board's name,
    on that level's colour with its shape ("✖ CRITICAL on Support"): the floor sees it on every page.
    """

    def __init__(self, board_name: str, widgets: Sequence[WidgetSettings] = ()) -> None:
        self.board_name = board_name
        self.sources = shown_sources(widgets)  # every data source on the board, for "LIVE" / "3 OF 12 STALE"

    def _texts(self, frame: Frame, page_label: str) -> tuple[str, str, str, Liveness]:
        """Left (the board's name and page), clock, connection and liveness."""
        freshness = board_freshness(frame.view, self.sources)
        age = frame.view.state.data_age(frame.view.wall_now)
        connection, liveness = liveness_text(freshness, age), freshness.liveness
        feeds_down = frame.view.state.feeds_not_online()
        if frame.view.state.link.status is LinkStatus.UP and feeds_down:
            # The broker is fine but the platform's feed is not: say which, apart from "OFFLINE" (the broker).
            feed = feeds_down[0]
            word = "FEED OFFLINE" if feed.state == "offline" else "FEED DEGRADED"
            connection, liveness = f"\u25cb {word}: {feed.adapter} \u00b7 {format_since(age)}", Liveness.ALL_STALE
        left = self.board_name + (f" \u00b7 {page_label}" if page_label else "")
        return left, frame.local.strftime("%H:%M"), connection, liveness

    def key(self, frame: Frame, box: Box, page_label: str, alarm: AlarmElsewhere | None = None) -> Hashable:
        return (box, self._texts(frame, page_label), alarm)

    def draw(self, surface: pygame.Surface, box: Box, frame: Frame, page_label: str,
             alarm: AlarmElsewhere | None = None) -> None:  # fmt: skip
        theme = frame.theme
        left, clock, connection, liveness = self._texts(frame, page_label)
        fill(surface, box, theme.strip)
        x, y, w, h = shrink(box, max(2, box[3] // 8))
        x += h // 2
        w -= h
        cap = round(h * 0.95)
        if alarm is None:
            left = legible_choice(frame, [left, left.split(" (")[0], self.board_name], w * 45 // 100, h)
            draw_text(surface, frame, left, (x, y, w * 45 // 100, h), theme.strip_text, align="left", max_size=cap)
        else:
            severity, page = alarm
            style = theme.tile(TileState.CRITICAL if severity is Severity.CRITICAL else TileState.WARN)
            shape = style.marker.split(" ")[0]
            fill(surface, (box[0], box[1], x - box[0] + w * 45 // 100, box[3]), style.background)
            # "✖ CRITICAL on Support", "✖ Support", "✖ CRITICAL": the first legible from across the room.
            words = legible_choice(frame, [f"{style.marker} on {page}", f"{shape} {page}", style.marker],
                                   w * 45 // 100, h)  # fmt: skip
            draw_text(surface, frame, words, (x, y, w * 45 // 100, h), style.text, align="left", max_size=cap)
        draw_text(surface, frame, clock, (x + w * 46 // 100, y, w * 10 // 100, h), theme.strip_text, max_size=cap)
        partly = (Liveness.PARTLY_STALE, Liveness.PARTLY_MISSING)
        colour = (
            theme.live if liveness is Liveness.LIVE else theme.partly_stale if liveness in partly else theme.banner_text
        )
        if liveness is not Liveness.LIVE and liveness not in partly:
            fill(surface, (x + w * 57 // 100, box[1], w * 43 // 100 + h // 2, box[3]), theme.banner)
        draw_text(surface, frame, connection, (x + w * 57 // 100, y, w * 43 // 100, h), colour, align="right",
                  max_size=cap)  # fmt: skip


class OfflineBanner:
    """The unmistakable banner while the link is down: "OFFLINE - last data 10:42", and why, with since when."""

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
        if link.status is LinkStatus.CONNECTING:
            return headline, "Numbers are NOT live \u00b7 connecting to the broker\u2026"
        if link.detail and link.detail != "disconnected":
            # The cause in IT's words (refused, host not found, TLS, not authorised, timed out); the headline
            # already says since when, so the line is all cause and stays as large as it can.
            # The hint in brackets stays in the log and the status: the screen keeps the cause at a legible size.
            return headline, f"Broker: {link.detail.split(' (')[0]}"
        return headline, f"Numbers are NOT live \u00b7 no connection to the broker since {since}"

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
        detail_h = max(ih * 43 // 100, legible_line(frame))
        draw_text(surface, frame, headline, (ix, iy, iw, ih - detail_h - ih // 50), theme.banner_text)
        draw_text(surface, frame, detail, (ix, iy + ih - detail_h, iw, detail_h), theme.banner_text)
