"""The trend line: a metric's recent history (restored from the cache at start) as a sparkline.

The line takes the tile's severity colour, or grey when the metric is stale
or the board offline, and the title then says how old the data is instead of
the window. Reads board state only.
"""

from __future__ import annotations

from collections.abc import Hashable

import pygame

from wallboard.device.config.screen_schema import WidgetSettings
from wallboard.display.draw.widgets.base import (
    Frame,
    corner,
    draw_text,
    fill,
    legible_choice,
    legible_line,
    metric_label,
    shrink,
    stale_note,
)
from wallboard.display.logic.layout import Box
from wallboard.display.logic.theme import TileState
from wallboard.display.logic.tile_state import metric_state
from wallboard.display.logic.tile_text import shown_value

_LINE = {
    TileState.NEUTRAL: (120, 190, 255),
    TileState.NORMAL: (102, 222, 102),
    TileState.WARN: (255, 179, 0),
    TileState.CRITICAL: (255, 70, 70),
    TileState.PENDING_WARN: (255, 179, 0),
    TileState.PENDING_CRITICAL: (255, 70, 70),
    TileState.STALE: (130, 130, 130),
    TileState.MISSING: (130, 130, 130),
}


class TrendLine:
    """Label and current value on top, the sparkline under them."""

    def __init__(self, settings: WidgetSettings) -> None:
        self.settings = settings
        assert settings.metric is not None  # guaranteed by config validation
        self.metric = settings.metric
        self.drawn: tuple[TileState, str] | None = None  # the state and value text on screen, once drawn

    def key(self, frame: Frame, box: Box) -> Hashable:
        view = frame.view
        return (box, metric_state(view, self.metric, offline=frame.offline), view.state.last_history_point(self.metric),
                int(view.wall_now // 60), stale_note(frame, self.settings))  # fmt: skip

    def moving(self, frame: Frame) -> bool:
        return False

    def draw(self, surface: pygame.Surface, box: Box, frame: Frame) -> None:
        theme = frame.theme
        fill(surface, box, theme.panel, corner(box))
        x, y, w, h = shrink(box, max(4, round(min(box[2], box[3]) * 0.06)))
        tile_state = metric_state(frame.view, self.metric, offline=frame.offline)
        held = frame.view.state.value(self.metric)
        shown = "--" if held is None else shown_value(frame.view.config, self.metric, held.value)
        self.drawn = (tile_state, shown)
        head_h = max(round(h * 0.22), legible_line(frame))
        hours = self.settings.window / 3600
        span = f"{hours:g}h" if hours >= 1 else f"{self.settings.window / 60:g}m"
        label = metric_label(frame, self.settings)
        value_colour = _LINE[tile_state] if tile_state is not TileState.NEUTRAL else theme.panel_text
        # Title and value on one line where both are legible from 10 m; in a narrow cell, on two.
        value_w = min(w // 2, frame.fonts.measure(shown, frame.fonts.fit(shown, w, head_h))[0] + 8)
        title_w = w - value_w - w // 30
        title = legible_choice(frame, [f"{label} \u00b7 {span}", label], title_w, head_h)
        if frame.fonts.cap_height(frame.fonts.fit(title, title_w, head_h)) >= frame.min_cap:
            draw_text(surface, frame, title, (x, y, title_w, head_h), theme.panel_text, align="left")
            draw_text(surface, frame, shown, (x + w - value_w, y, value_w, head_h), value_colour, align="right")
            top = y + head_h
        else:
            title = legible_choice(frame, [f"{label} \u00b7 {span}", label], w, head_h)
            draw_text(surface, frame, title, (x, y, w, head_h), theme.panel_text, align="left")
            draw_text(surface, frame, shown, (x, y + head_h, w, head_h), value_colour, align="right")
            top = y + 2 * head_h
        chart = (x, top + h // 20, w, max(4, y + h - top - h // 20))
        since = frame.view.wall_now - float(self.settings.window)
        points = [(t, v) for t, v in frame.view.state.history(self.metric) if t >= since]
        if len(points) < 2:
            words = legible_choice(
                frame, ("collecting history\u2026", "no history yet", "no history"), chart[2], chart[3]
            )
            draw_text(surface, frame, words, chart, theme.muted)
            return
        low = min(v for _, v in points)
        high = max(v for _, v in points)
        if high - low < 1e-9:
            low, high = low - 1, high + 1
        cx, cy, cw, ch = chart
        line = [
            (cx + round((t - since) / float(self.settings.window) * (cw - 1)),
             cy + ch - 1 - round((v - low) / (high - low) * (ch - 1)))
            for t, v in points
        ]  # fmt: skip
        width = max(3, round(6 * frame.scale))
        pygame.draw.lines(surface, _LINE[tile_state], False, line, width)
        note = stale_note(frame, self.settings)
        if note:
            # Over the greyed line, as large as a tile's marker: the history stopped this long ago.
            band = (cx, cy + ch // 3, cw, ch // 3)
            fill(surface, shrink(band, -max(2, ch // 40)), frame.theme.tile(TileState.STALE).background)
            draw_text(surface, frame, note, band, frame.theme.tile(TileState.STALE).text)
