"""The leaderboard: the top agents from the agents topic, ranked by one figure, for recognition.

Reads board state only; names arrive already length-limited and cleaned by
ingest. Greyed, with the rows' age in the title, once the rows are older than
the widget's ``stale_after`` (default ``default_stale_after``) or the board is
offline.
"""

from __future__ import annotations

from collections.abc import Hashable

import pygame

from wallboard.device.config.screen_schema import WidgetSettings
from wallboard.display.draw.widgets.base import Frame, corner, draw_text, fill, legible_choice, shrink, stale_note
from wallboard.display.logic.formatting import format_value
from wallboard.display.logic.layout import Box
from wallboard.display.logic.theme import TileState


class LeaderboardPanel:
    """Top ``rows`` agents by ``stat``."""

    def __init__(self, settings: WidgetSettings) -> None:
        self.settings = settings

    def _rows(self, frame: Frame) -> tuple[tuple[str, str], ...]:
        board = frame.view.state.leaderboard
        if board is None:
            return ()
        stat = self.settings.stat
        ranked = sorted(board.rows, key=lambda row: row.stat(stat, float("-inf")), reverse=True)
        return tuple((row.name, format_value(row.stat(stat), None)) for row in ranked[: self.settings.rows])

    def key(self, frame: Frame, box: Box) -> Hashable:
        return (box, self._rows(frame), stale_note(frame, self.settings))

    def moving(self, frame: Frame) -> bool:
        return False

    def draw(self, surface: pygame.Surface, box: Box, frame: Frame) -> None:
        theme = frame.theme
        rows = self._rows(frame)
        fill(surface, box, theme.panel, corner(box))
        x, y, w, h = shrink(box, max(4, round(min(box[2], box[3]) * 0.05)))
        note = stale_note(frame, self.settings)
        text = theme.tile(TileState.STALE).value if note else theme.panel_text
        title = self.settings.label or f"Top agents \u00b7 {self.settings.stat.replace('_', ' ')}"
        if note:
            fill(surface, box, theme.tile(TileState.STALE).background, corner(box))
            title = legible_choice(frame, [f"{title} \u00b7 {note}", note], w, h // (self.settings.rows + 1))
        slots = self.settings.rows + 1
        row_h = h // slots
        draw_text(surface, frame, title, (x, y, w, row_h), text)
        if not rows:
            draw_text(surface, frame, "no agent data", (x, y + row_h, w, row_h), theme.muted)
            return
        rank_w, figure_w = w // 8, w // 4
        for index, (name, figure) in enumerate(rows):
            ry = y + row_h * (index + 1)
            if index % 2 == 0:
                fill(surface, (x, ry, w, row_h), theme.background if theme.panel != theme.background else theme.strip)
            cap = max(round(row_h * 0.7), frame.fonts.size_for_cap(frame.min_cap))  # legible from 10 m
            inner = (x, ry + row_h // 20, w, row_h - row_h // 10)
            draw_text(surface, frame, f"{index + 1}", (inner[0], inner[1], rank_w, inner[3]), theme.muted, max_size=cap)
            draw_text(surface, frame, name, (x + rank_w, inner[1], w - rank_w - figure_w, inner[3]), text,
                      align="left", max_size=cap)  # fmt: skip
            draw_text(surface, frame, figure, (x + w - figure_w, inner[1], figure_w, inner[3]), text,
                      align="right", max_size=cap)  # fmt: skip
