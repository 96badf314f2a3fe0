"""The clock: time and date in the board's time zone (the site's ``timezone``). Reads no state."""

from __future__ import annotations

from collections.abc import Hashable

import pygame

from wallboard.device.config.display import WidgetSettings
from wallboard.display.draw.widgets.base import Frame, corner, draw_text, fill, shrink
from wallboard.display.logic.layout import Box


class Clock:
    """HH:MM large, the weekday and date under it."""

    def __init__(self, settings: WidgetSettings) -> None:
        self.settings = settings

    def _texts(self, frame: Frame) -> tuple[str, str]:
        local = frame.local
        return local.strftime("%H:%M"), local.strftime("%a %d %b")

    def key(self, frame: Frame, box: Box) -> Hashable:
        return (box, self._texts(frame))

    def moving(self, frame: Frame) -> bool:
        return False

    def draw(self, surface: pygame.Surface, box: Box, frame: Frame) -> None:
        theme = frame.theme
        fill(surface, box, theme.panel, corner(box))
        x, y, w, h = shrink(box, max(4, round(min(box[2], box[3]) * 0.08)))
        time_text, date_text = self._texts(frame)
        draw_text(surface, frame, time_text, (x, y, w, h * 68 // 100), theme.panel_text)
        draw_text(surface, frame, date_text, (x, y + h * 72 // 100, w, h * 28 // 100), theme.muted)
