"""The trend line: a metric's recent history (restored from the cache at start) as a sparkline.

Readable at a glance: the rule's levels drawn as dashed lines (the target the line is judged against),
a scale never narrower than a tenth of the value (a 2-point wobble is not drawn as a cliff) and always
including those levels, a time axis with ticks and its two ends labelled ("-45m", "now"), and the line
across the whole width from the first points (the axis says how much history there is). The line and
the value take the tile's state from the same verdict (``tile_state.shown_state``): a value beyond a
level whose hold runs is drawn neutral, as the tile is, not in the alarm's colour; grey when the metric
is stale or the board offline, and the title then says how old the data is instead of the window.
Without two points yet it says "collecting history" quietly, at the smallest legible size. Reads board
state only.
"""

from __future__ import annotations

from collections.abc import Hashable

import pygame

from wallboard.device.config.schema import BoardConfig
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
from wallboard.display.logic.tile_state import shown_state
from wallboard.display.logic.tile_text import shown_value

_NEUTRAL = (120, 190, 255)
_LINE = {
    TileState.NEUTRAL: _NEUTRAL,
    TileState.NORMAL: (102, 222, 102),
    TileState.WARN: (255, 179, 0),
    TileState.CRITICAL: (255, 70, 70),
    # Pending: seen beyond a level, not yet an alarm. The tile is slate with a coloured frame; the trend
    # stays neutral too (its dashed level lines show what it is heading past), never the alarm's colour.
    TileState.PENDING_WARN: _NEUTRAL,
    TileState.PENDING_CRITICAL: _NEUTRAL,
    TileState.STALE: (130, 130, 130),
    TileState.MISSING: (130, 130, 130),
}
_LEVEL_COLOUR = {"warn": (255, 179, 0), "critical": (255, 70, 70)}


def rule_levels(config: BoardConfig, metric: str) -> list[tuple[str, float]]:
    """The trip levels of the rules on ``metric``, e.g. ("warn", 80.0), ("critical", 70.0): the trend's dashed lines."""
    levels: list[tuple[str, float]] = []
    for rule in config.rule:
        if rule.metric != metric:
            continue
        for name, value in (("warn", rule.warn_above if rule.warn_above is not None else rule.warn_below),
                            ("critical", rule.critical_above if rule.critical_above is not None
                             else rule.critical_below)):  # fmt: skip
            if value is not None and (name, value) not in levels:
                levels.append((name, value))
    return levels


def value_scale(values: list[float], levels: list[float]) -> tuple[float, float]:
    """The chart's low and high: the values and the levels, at least a tenth of the largest magnitude (and 1) apart.

    A service level wobbling between 91 % and 93 % is drawn as the gentle line it is, not a cliff.
    """
    low, high = min(values + levels), max(values + levels)
    span = max(1.0, 0.1 * max(abs(low), abs(high)))
    if high - low < span:
        middle = (high + low) / 2
        low, high = middle - span / 2, middle + span / 2
    pad = (high - low) * 0.08  # the line never sits on the chart's edge
    return low - pad, high + pad


def axis_label(seconds: float) -> str:
    """How far back the axis starts: "-45s", "-12m", "-1h", "-1h30"."""
    if seconds < 90:
        return f"-{seconds:.0f}s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"-{minutes}m"
    hours, rest = divmod(minutes, 60)
    return f"-{hours}h" if rest == 0 else f"-{hours}h{rest:02d}"


def tick_step(span: float) -> float:
    """Seconds between the axis's ticks: the smallest round step giving at most 4 ticks over ``span``."""
    for step in (15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0):
        if span / step <= 4:
            return step
    return 3600.0 * 4


class TrendLine:
    """Label and current value on top, the sparkline under them."""

    def __init__(self, settings: WidgetSettings) -> None:
        self.settings = settings
        assert settings.metric is not None  # guaranteed by config validation
        self.metric = settings.metric
        self.drawn: tuple[TileState, str] | None = None  # the state and value text on screen, once drawn

    def key(self, frame: Frame, box: Box) -> Hashable:
        view = frame.view
        return (box, shown_state(view, self.metric, offline=frame.offline), view.state.last_history_point(self.metric),
                int(view.wall_now // 60), stale_note(frame, self.settings))  # fmt: skip

    def moving(self, frame: Frame) -> bool:
        return False

    def draw(self, surface: pygame.Surface, box: Box, frame: Frame) -> None:
        theme = frame.theme
        fill(surface, box, theme.panel, corner(box))
        x, y, w, h = shrink(box, max(4, round(min(box[2], box[3]) * 0.06)))
        tile_state = shown_state(frame.view, self.metric, offline=frame.offline)
        held = frame.view.state.value(self.metric)
        shown = "--" if held is None else shown_value(frame.view.config, self.metric, held.value)
        self.drawn = (tile_state, shown)
        head_h = max(round(h * 0.22), legible_line(frame))
        hours = self.settings.window / 3600
        span = f"{hours:g}h" if hours >= 1 else f"{self.settings.window / 60:g}m"
        label = metric_label(frame, self.settings)
        neutral = (TileState.NEUTRAL, TileState.PENDING_WARN, TileState.PENDING_CRITICAL)
        value_colour = theme.panel_text if tile_state in neutral else _LINE[tile_state]  # pending: as the tile, not red
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
        now = frame.view.wall_now
        since = now - float(self.settings.window)
        points = [(t, v) for t, v in frame.view.state.history(self.metric) if t >= since]
        if points and held is not None and held.measured_at > points[-1][0]:
            # History is kept every few seconds; the line runs on to the value the tile shows now.
            points.append((held.measured_at, held.value))
        if len(points) < 2:
            # Quiet: the smallest legible words, in the muted colour, never larger than a KPI's.
            words = legible_choice(
                frame, ("collecting history\u2026", "no history yet", "no history"), chart[2], chart[3]
            )
            line_h = legible_line(frame)
            draw_text(surface, frame, words, (chart[0], chart[1] + (chart[3] - line_h) // 2, chart[2], line_h),
                      theme.muted, max_size=frame.fonts.size_for_cap(frame.min_cap))  # fmt: skip
            return
        cx, cy, cw, ch = chart
        # The time axis: from the first point (the whole width from the first points) to now, ticks on round times.
        start = points[0][0]
        covered = max(10.0, now - start)  # the first point's age: the axis says how much history there is
        axis_h = legible_line(frame)
        full_h, ch = ch, ch - axis_h
        levels = rule_levels(frame.view.config, self.metric)
        low, high = value_scale([v for _, v in points], [value for _, value in levels])

        def at_x(t: float) -> int:
            return cx + round((t - start) / covered * (cw - 1))

        def at_y(v: float) -> int:
            return cy + ch - 1 - round((v - low) / (high - low) * (ch - 1))

        thin = max(1, round(2 * frame.scale))
        step = tick_step(covered)
        tick = now - (now % step)
        while tick > start:
            tx = at_x(tick)
            pygame.draw.line(surface, theme.muted, (tx, cy + ch), (tx, cy + ch + max(3, axis_h // 4)), thin)
            tick -= step
        pygame.draw.line(surface, theme.muted, (cx, cy + ch), (cx + cw - 1, cy + ch), thin)
        ends = (axis_label(covered), "now")
        draw_text(surface, frame, ends[0], (cx, cy + ch, cw // 2, axis_h), theme.muted, align="left")
        draw_text(surface, frame, ends[1], (cx + cw // 2, cy + ch, cw - cw // 2, axis_h), theme.muted, align="right")
        # The rule's levels, dashed: the target the line is judged against.
        dash = max(6, round(16 * frame.scale))
        for name, value in levels:
            ly = at_y(value)
            for dx in range(cx, cx + cw, dash * 2):
                pygame.draw.line(surface, _LEVEL_COLOUR[name], (dx, ly), (min(cx + cw - 1, dx + dash), ly), thin)
        line = [(at_x(t), at_y(v)) for t, v in points]
        width = max(3, round(6 * frame.scale))
        pygame.draw.lines(surface, _LINE[tile_state], False, line, width)
        note = stale_note(frame, self.settings)
        if note:
            # Over the greyed line, as large as a tile's marker: the history stopped this long ago.
            band = (cx, cy + full_h // 3, cw, full_h // 3)
            fill(surface, shrink(band, -max(2, ch // 40)), frame.theme.tile(TileState.STALE).background)
            draw_text(surface, frame, note, band, frame.theme.tile(TileState.STALE).text)
