"""The agent status grid: one row per agent from a feed (name, state, time in state, reason, calls today).

Each state has its colour and its word, so the grid reads without colour; an
agent letting a call ring out unanswered gets a loud red row marked "NO ANSWER".
A roster longer than ``rows`` is paged, a page every ``PAGE_SECONDS``, with
"page 2/3" in the title. Greyed, with the rows' age, when the rows are older
than the board's ``default_stale_after`` or the board is offline. Reads board
state only.
"""

from __future__ import annotations

from collections.abc import Hashable

import pygame

from wallboard.device.config.screen_schema import WidgetSettings
from wallboard.device.core.updates import AgentStatusRow
from wallboard.display.draw.widgets.base import Frame, corner, draw_text, fill, shrink
from wallboard.display.logic.formatting import format_age, format_duration
from wallboard.display.logic.layout import Box
from wallboard.display.logic.theme import Colour, TileState

PAGE_SECONDS = 8.0
STATE_WORDS = {
    "available": "Available",
    "ringing": "Ringing",
    "on_call": "On call",
    "wrap": "Wrap",
    "away": "Away",
    "offline": "Offline",
}
# Columns as fractions of the width: name, state, time in state, reason, calls today.
COLUMNS = (0.30, 0.20, 0.15, 0.23, 0.12)


class AgentGrid:
    """Per-agent rows, ``settings.rows`` to a page."""

    def __init__(self, settings: WidgetSettings) -> None:
        self.settings = settings

    def _page(self, frame: Frame) -> tuple[int, int]:
        board = frame.view.state.agent_status
        count = 0 if board is None else len(board.rows)
        pages = max(1, -(-count // self.settings.rows))
        return int(frame.phase // PAGE_SECONDS) % pages, pages

    def _stale_age(self, frame: Frame) -> float | None:
        """The rows' age if they may not be trusted (old, or the board offline), else None."""
        board = frame.view.state.agent_status
        if board is None:
            return None
        age = max(0.0, frame.view.wall_now - board.measured_at)
        if frame.offline or age > float(frame.view.config.default_stale_after):
            return age
        return None

    def _lines(self, frame: Frame) -> tuple[tuple[AgentStatusRow, str], ...]:
        board = frame.view.state.agent_status
        if board is None:
            return ()
        page, _ = self._page(frame)
        rows = board.rows[page * self.settings.rows : (page + 1) * self.settings.rows]
        # Time in state to the minute, so the grid repaints once a minute rather than every frame.
        return tuple(
            (row, "" if row.state_since is None else format_duration(frame.view.wall_now - row.state_since))
            for row in rows
        )

    def key(self, frame: Frame, box: Box) -> Hashable:
        stale = self._stale_age(frame)
        return (
            box,
            self._lines(frame),
            self._page(frame),
            None if stale is None else round(stale // 60),
            frame.offline,
        )

    def moving(self, frame: Frame) -> bool:
        return False

    def _colour(self, frame: Frame, row: AgentStatusRow, grey: bool) -> Colour:
        theme = frame.theme
        if grey:
            return theme.tile(TileState.STALE).background
        if row.ring_no_answer:
            return theme.tile(TileState.CRITICAL).background
        available, on_call, wrap, away = theme.agent_states
        return {
            "available": available,
            "ringing": theme.tile(TileState.WARN).background,
            "on_call": on_call,
            "wrap": wrap,
            "away": away,
        }.get(row.state, theme.tile(TileState.MISSING).background)

    def draw(self, surface: pygame.Surface, box: Box, frame: Frame) -> None:
        theme = frame.theme
        fill(surface, box, theme.panel, corner(box))
        x, y, w, h = shrink(box, max(4, round(min(box[2], box[3]) * 0.03)))
        stale = self._stale_age(frame)
        grey = stale is not None
        page, pages = self._page(frame)
        title = self.settings.label or "Agents"
        if pages > 1:
            title += f" \u00b7 page {page + 1}/{pages}"
        if stale is not None:
            title += f" \u00b7 not live, {format_age(stale)}"
        row_h = h // (self.settings.rows + 1)
        draw_text(
            surface, frame, title, (x, y, w, row_h), theme.tile(TileState.STALE).value if grey else theme.panel_text
        )
        lines = self._lines(frame)
        if not lines:
            draw_text(surface, frame, "no agent data", (x, y + row_h, w, row_h), theme.muted)
            return
        cap = round(row_h * 0.62)
        for index, (row, in_state) in enumerate(lines):
            ry = y + row_h * (index + 1)
            background = self._colour(frame, row, grey)
            fill(surface, (x, ry + row_h // 20, w, row_h - row_h // 10), background)
            # Dark text on the light "ringing" amber, white on every other state colour.
            ringing = row.state == "ringing" and not row.ring_no_answer
            text = theme.tile(TileState.STALE).value if grey else (20, 20, 20) if ringing else (255, 255, 255)
            state = "NO ANSWER" if row.ring_no_answer else STATE_WORDS.get(row.state, row.state)
            cells = (
                row.name,
                state,
                in_state,
                row.reason or "",
                "" if row.calls_today is None else str(row.calls_today),
            )
            left = x
            for fraction, cell, align in zip(COLUMNS, cells, ("left", "left", "right", "left", "right"), strict=True):
                width = round(w * fraction)
                pad = max(2, width // 20)
                inner = (left + pad, ry + row_h // 8, width - 2 * pad, row_h - row_h // 4)
                draw_text(surface, frame, cell, inner, text, align=align, max_size=cap)
                left += width
