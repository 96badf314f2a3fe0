"""The clock: time and date in the board's time zone (the site's ``timezone``).

Its source is the system clock: once the kernel has said for the widget's
``stale_after`` (default 10 minutes) that the clock is not synchronised (a Pi
booted with no network has no battery clock), the time is greyed and the date
line says "CLOCK NOT SYNCED · 1h". Reads board state only.
"""

from __future__ import annotations

from collections.abc import Hashable

import pygame

from wallboard.device.config.screen_schema import WidgetSettings
from wallboard.display.draw.widgets.base import Frame, corner, draw_text, fill, legible_choice, shrink
from wallboard.display.logic.formatting import format_age
from wallboard.display.logic.freshness import widget_age
from wallboard.display.logic.layout import Box
from wallboard.display.logic.theme import TileState


class Clock:
    """HH:MM large, the weekday and date under it."""

    def __init__(self, settings: WidgetSettings) -> None:
        self.settings = settings

    def _texts(self, frame: Frame) -> tuple[str, str, bool]:
        local = frame.local
        source = widget_age(frame.view, self.settings)
        if source.stale and source.age is not None:
            return (
                local.strftime("%H:%M"),
                f"CLOCK NOT SYNCED \u00b7 {format_age(source.age).removesuffix(' old')}",
                True,
            )
        return local.strftime("%H:%M"), local.strftime("%a %d %b"), False

    def key(self, frame: Frame, box: Box) -> Hashable:
        return (box, self._texts(frame))

    def moving(self, frame: Frame) -> bool:
        return False

    def draw(self, surface: pygame.Surface, box: Box, frame: Frame) -> None:
        theme = frame.theme
        fill(surface, box, theme.panel, corner(box))
        x, y, w, h = shrink(box, max(4, round(min(box[2], box[3]) * 0.08)))
        time_text, date_text, unsynced = self._texts(frame)
        grey = frame.theme.tile(TileState.STALE)
        if unsynced:
            fill(surface, box, grey.background, corner(box))
            short = date_text.removeprefix("CLOCK ")
            date_text = legible_choice(frame, [date_text, short, "NOT SYNCED"], w, h * 28 // 100)
        time_colour, date_colour = (grey.value, grey.text) if unsynced else (theme.panel_text, theme.muted)
        draw_text(surface, frame, time_text, (x, y, w, h * 68 // 100), time_colour)
        draw_text(surface, frame, date_text, (x, y + h * 72 // 100, w, h * 28 // 100), date_colour)
