"""The board's own furniture: the status strip (name, page, connection, data age, clock) and the OFFLINE banner.

These say whether the board is live: the strip always, the banner in a
colour no severity uses whenever the broker link is not up, with the time of
the last data. Reads board state only.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime

import pygame

from wallboard.device.config.screen_schema import WidgetSettings
from wallboard.device.core.rules import Severity
from wallboard.device.core.values import LinkStatus
from wallboard.display.draw.widgets.base import Frame, draw_text, fill, legible_line, shrink
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


# An alarm on a page not on screen: its severity and the queue it is on (``display.logic.pages.alarm_elsewhere``).
AlarmElsewhere = tuple[Severity, str]

_ELLIPSIS = "\u2026"


def shortened_names(name: str) -> list[str]:
    """``name``, then a word shorter at a time with an ellipsis: "Demo - Sales & Support", "Demo - Sales…"."""
    words = name.split()
    shorter = [" ".join(words[:n]).rstrip(" -\u00b7&,:/") for n in range(len(words) - 1, 0, -1)]
    names = [name]
    for short in shorter:
        if short and f"{short}{_ELLIPSIS}" not in names:
            names.append(f"{short}{_ELLIPSIS}")
    return names


def place_candidates(board_name: str, page_label: str) -> list[str]:
    """Where you are, longest first: board and page, the board's name shortened, then the page alone.

    The page and its "N/M" are the last thing dropped: a floor with several pages must know which one it sees.
    """
    if not page_label:
        return shortened_names(board_name)
    return [f"{name} \u00b7 {page_label}" for name in shortened_names(board_name)] + [page_label]


@dataclass(frozen=True)
class StripTexts:
    """What the strip says on one pass: where you are, the alarm block, the clock, the connection marker."""

    places: tuple[str, ...]  # "Board · Page (1/2)" and shorter wordings, longest first
    alarm: tuple[str, ...]  # the coloured block's wordings, longest first; () when there is none
    alarm_level: Severity | None
    clock: str  # "" when the page shows a clock widget of its own: one clock on screen
    connection: str
    liveness: Liveness


class StatusStrip:
    """Where you are (board, page, N/M) on the left; the time in the middle; what is live and the data age on the right.

    The marker is green only while the link is up and every data source shown on the board is fresh;
    some stale sources make it amber with how many, none fresh (or no link) puts it on the banner colour.
    While another page has a warning or critical widget, a block in that level's colour with its shape
    names the queue ("✖ CRITICAL in Support") before the page's name: the floor sees it on every page. An
    acknowledged alarm says ``ACK`` there. The board's name is shortened first; the page and "N/M" stay.
    """

    def __init__(self, board_name: str, widgets: Sequence[WidgetSettings] = ()) -> None:
        self.board_name = board_name
        self.sources = shown_sources(widgets)  # every data source on the board, for "LIVE" / "3 OF 12 STALE"

    def _texts(self, frame: Frame, page_label: str, alarm: AlarmElsewhere | None, clock: bool) -> StripTexts:
        view = frame.view
        freshness = board_freshness(view, self.sources)
        age = view.state.data_age(view.wall_now)
        connection, liveness = liveness_text(freshness, age), freshness.liveness
        feeds_down = view.state.feeds_not_online()
        if view.state.link.status is LinkStatus.UP and feeds_down:
            # The broker is fine but the platform's feed is not: say which, apart from "OFFLINE" (the broker).
            feed = feeds_down[0]
            word = "FEED OFFLINE" if feed.state == "offline" else "FEED DEGRADED"
            connection, liveness = f"\u25cb {word}: {feed.adapter} \u00b7 {format_since(age)}", Liveness.ALL_STALE
        level: Severity | None = None
        block: tuple[str, ...] = ()
        if alarm is not None:
            level, queue = alarm
            marker = _marker(frame, level)
            ack = " \u00b7 ACK" if view.is_acknowledged(level) else ""
            shape = marker.split(" ")[0]
            block = (f"{marker} in {queue}{ack}", f"{shape} {queue}{ack}", f"{shape}{ack}")
        elif view.acknowledged is not None and view.assessment.board >= Severity.WARN:
            level = min(view.assessment.board, view.acknowledged)
            marker = _marker(frame, level)
            block = (f"{marker} \u00b7 ACK", f"{marker.split(' ')[0]} ACK")
        shown_clock = frame.local.strftime("%H:%M") if clock else ""
        places = tuple(place_candidates(self.board_name, page_label))
        return StripTexts(places, block, level, shown_clock, connection, liveness)

    def key(self, frame: Frame, box: Box, page_label: str, alarm: AlarmElsewhere | None = None,
            clock: bool = True) -> Hashable:  # fmt: skip
        return (box, self._texts(frame, page_label, alarm, clock))

    def draw(self, surface: pygame.Surface, box: Box, frame: Frame, page_label: str,
             alarm: AlarmElsewhere | None = None, clock: bool = True) -> None:  # fmt: skip
        theme = frame.theme
        texts = self._texts(frame, page_label, alarm, clock)
        fill(surface, box, theme.strip)
        x, y, w, h = shrink(box, max(2, box[3] // 8))
        x += h // 2
        w -= h
        cap = round(h * 0.95)
        # Without a clock of its own (the page shows one), the left part takes the clock's room too.
        left_w = w * 45 // 100 if texts.clock else w * 56 // 100
        gap = h // 2
        block, place = self._choose(frame, texts, left_w - gap - max(2, h // 8), h)
        size = min(cap, frame.fonts.fit(f"{block}{place}", left_w - (gap + max(2, h // 8) if block else 0), h))
        at = x
        if block and texts.alarm_level is not None:
            style = theme.tile(TileState.CRITICAL if texts.alarm_level is Severity.CRITICAL else TileState.WARN)
            # A little room over the measured width, so the block's words are drawn at the size they were fitted at.
            block_w = min(left_w, frame.fonts.measure(block, size)[0] + max(2, h // 8))
            fill(surface, (box[0], box[1], block_w + (x - box[0]) + gap // 2, box[3]), style.background)
            draw_text(surface, frame, block, (at, y, block_w, h), style.text, align="left", max_size=size)
            at += block_w + gap
        if place:
            draw_text(surface, frame, place, (at, y, x + left_w - at, h), theme.strip_text, align="left", max_size=size)
        if texts.clock:
            draw_text(surface, frame, texts.clock, (x + w * 46 // 100, y, w * 10 // 100, h), theme.strip_text,
                      max_size=cap)  # fmt: skip
        liveness = texts.liveness
        partly = (Liveness.PARTLY_STALE, Liveness.PARTLY_MISSING)
        colour = (
            theme.live if liveness is Liveness.LIVE else theme.partly_stale if liveness in partly else theme.banner_text
        )
        if liveness is not Liveness.LIVE and liveness not in partly:
            fill(surface, (x + w * 57 // 100, box[1], w * 43 // 100 + h // 2, box[3]), theme.banner)
        draw_text(surface, frame, texts.connection, (x + w * 57 // 100, y, w * 43 // 100, h), colour, align="right",
                  max_size=cap)  # fmt: skip

    @staticmethod
    def _choose(frame: Frame, texts: StripTexts, width: int, height: int) -> tuple[str, str]:
        """The alarm block's and the place's wordings: the longest pair legible from 10 m, the place kept longest."""
        blocks = texts.alarm or ("",)
        # The board's name goes first (shorter, then gone), then the alarm's words; the page and N/M stay.
        for block, place in [(block, place) for block in blocks for place in texts.places]:
            if frame.fonts.cap_height(frame.fonts.fit(f"{block}{place}", width, height)) >= frame.min_cap:
                return block, place
        return blocks[-1], texts.places[-1]


def _marker(frame: Frame, level: Severity) -> str:
    """The level's marker as tiles say it: "✖ CRITICAL", "▲ WARNING"."""
    return frame.theme.tile(TileState.CRITICAL if level is Severity.CRITICAL else TileState.WARN).marker


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
