"""The agent states bar: available, on call, wrap and away as proportional segments with counts.

A legend under the bar names each state with its count, so the bar reads
without colour. Greyed when the counts are stale or the board is offline.
Reads board state only.
"""

from __future__ import annotations

from collections.abc import Hashable

import pygame

from wallboard.device.config.display import WidgetSettings
from wallboard.display.draw.widgets.base import Frame, corner, draw_text, fill, metric_state, shrink, stale_note
from wallboard.display.logic.layout import Box
from wallboard.display.logic.theme import TileState

STATES = (
    ("agents_available", "Available"),
    ("agents_on_call", "On call"),
    ("agents_wrap", "Wrap"),
    ("agents_away", "Away"),
)


class AgentStatesBar:
    """Proportional segments for one queue's agent states."""

    def __init__(self, settings: WidgetSettings) -> None:
        self.settings = settings
        self.queue = settings.queue or ""

    def _counts(self, frame: Frame) -> tuple[tuple[int, ...], bool]:
        counts: list[int] = []
        grey = False
        for field, _ in STATES:
            key = f"{self.queue}.{field}"
            held = frame.view.state.value(key)
            counts.append(0 if held is None else round(held.value))
            grey = grey or metric_state(frame, key) in (TileState.STALE, TileState.MISSING)
        return tuple(counts), grey

    def key(self, frame: Frame, box: Box) -> Hashable:
        return (box, self._counts(frame), self.settings.label, stale_note(frame, self.settings))

    def moving(self, frame: Frame) -> bool:
        return False

    def draw(self, surface: pygame.Surface, box: Box, frame: Frame) -> None:
        counts, grey = self._counts(frame)
        theme = frame.theme
        fill(surface, box, theme.panel, corner(box))
        x, y, w, h = shrink(box, max(4, round(min(box[2], box[3]) * 0.05)))
        title = self.settings.label or f"Agents \u00b7 {self.queue}"
        note = stale_note(frame, self.settings)
        if grey:
            title += f" \u00b7 {note or 'NOT LIVE'}"
        title_h = round(h * 0.2)
        draw_text(surface, frame, title, (x, y, w, title_h), theme.panel_text)
        bar_y, bar_h = y + title_h + h // 40, round(h * 0.42)
        total = sum(counts)
        colours = [theme.tile(TileState.STALE).background if grey else c for c in theme.agent_states]
        text_colour = theme.tile(TileState.STALE).value if grey else (255, 255, 255)
        if total == 0:
            fill(surface, (x, bar_y, w, bar_h), theme.tile(TileState.MISSING).background)
            draw_text(surface, frame, "no agent data", (x, bar_y, w, bar_h), text_colour)
        else:
            left = x
            for index, count in enumerate(counts):
                right = x + round(w * sum(counts[: index + 1]) / total)
                if right > left:
                    segment = (left, bar_y, right - left, bar_h)
                    fill(surface, segment, colours[index])
                    if grey:
                        pygame.draw.rect(surface, theme.panel, pygame.Rect(segment), width=max(1, h // 120))
                    draw_text(surface, frame, str(count), shrink(segment, max(2, bar_h // 10)), text_colour)
                left = right
        # A 2 x 2 legend naming each state with its count: the bar must read without colour.
        legend_y = bar_y + bar_h + h // 30
        legend_h = (y + h - legend_y) // 2
        cell_w = w // 2
        texts = [f"{name} {counts[index]}" for index, (_, name) in enumerate(STATES)]
        swatch = min(legend_h, cell_w) * 3 // 5
        text_w = cell_w - swatch - swatch // 2 - cell_w // 12
        size = min(frame.fonts.fit(text, text_w, legend_h * 4 // 5) for text in texts)
        for index, text in enumerate(texts):
            cx = x + (index % 2) * cell_w
            cy = legend_y + (index // 2) * legend_h
            fill(surface, (cx, cy + (legend_h - swatch) // 2, swatch, swatch), colours[index])
            text_box = (cx + swatch + swatch // 2, cy, text_w, legend_h)
            draw_text(surface, frame, text, text_box, theme.panel_text, align="left", max_size=size)
