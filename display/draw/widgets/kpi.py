"""The KPI tile: one metric as a huge number with its label, coloured and marked by severity.

Stale or offline values are greyed and say how old they are; a missing value
says so. A value beyond a level whose hold still runs is framed in that level's
colour and counts down ("▲ WARNING IN 12 s"): never a green OK, not yet an
alarm. The marker line repeats the severity in words and a shape, so the
tile reads without colour. Reads board state only.
"""

from __future__ import annotations

from collections.abc import Hashable

import pygame

from wallboard.device.config.display import WidgetSettings
from wallboard.display.draw.widgets.base import (
    Frame,
    corner,
    draw_text,
    fill,
    legible_choice,
    legible_line,
    metric_label,
    metric_state,
    pending_note,
    shrink,
)
from wallboard.display.logic.formatting import format_age, format_value
from wallboard.display.logic.layout import Box
from wallboard.display.logic.theme import TileState


class KpiTile:
    """A big value, its label and unit, and a severity marker."""

    def __init__(self, settings: WidgetSettings) -> None:
        self.settings = settings
        assert settings.metric is not None  # guaranteed by config validation
        self.metric = settings.metric

    def _texts(self, frame: Frame) -> tuple[TileState, str, str, tuple[str, ...]]:
        state = metric_state(frame, self.metric)
        held = frame.view.state.value(self.metric)
        style = frame.theme.tile(state)
        value = "--" if held is None else format_value(held.value, frame.view.config.kind_of(self.metric))
        # The marker's wordings, longest first: a narrow tile shows the first that is legible from 10 m.
        marker: tuple[str, ...] = (style.marker,) if style.marker else ()
        note = pending_note(frame, self.metric)
        if state in (TileState.PENDING_WARN, TileState.PENDING_CRITICAL):
            left = note.rpartition(" in ")[2]
            shape, word = style.marker.split(" ")[0], style.marker.split(" ")[1][:4]
            # "▲ WARNING IN 12 s": seen, not yet signalled
            marker = (f"{style.marker} {left}", f"{shape} {word} IN {left}", f"{shape} IN {left}")
        elif note:
            left = note.partition(" in ")[2]
            # "▲ WARNING · critical in 8 s", or "▲ WARNING · ✖ 8 s" where that is too long to read
            marker = (f"{style.marker} \u00b7 {note}", f"{style.marker} \u00b7 \u2716 {left}", style.marker)
        if state is TileState.STALE:
            age = format_age(frame.view.state.age(self.metric, frame.view.wall_now) or 0.0)
            word = "OFFLINE" if frame.offline else "STALE"
            marker = (f"{word} \u00b7 {age}", f"{word} {age.removesuffix(' old')}", word)
        label = metric_label(frame, self.settings)
        if self.settings.unit:
            label = f"{label} ({self.settings.unit})"
        return state, value, label, marker

    def key(self, frame: Frame, box: Box) -> Hashable:
        return (box, self._texts(frame))

    def moving(self, frame: Frame) -> bool:
        return False

    def draw(self, surface: pygame.Surface, box: Box, frame: Frame) -> None:
        state, value, label, marker = self._texts(frame)
        style = frame.theme.tile(state)
        short = min(box[2], box[3])
        fill(surface, box, style.background, corner(box))
        if style.border:
            width = max(3, short * style.border // 1000)
            edge = style.edge or style.text
            pygame.draw.rect(surface, edge, pygame.Rect(box), width=width, border_radius=corner(box))
        pad = max(4, round(short * 0.07))
        inner = shrink(box, pad)
        ix, iy, iw, ih = inner
        # Label and marker take a fifth of the tile each: their words must be legible from 10 m too.
        line = legible_line(frame)
        label_h = max(round(ih * 0.21), line)
        marker_h = max(round(ih * 0.21), line) if marker else 0
        value_box = (ix, iy + label_h, iw, ih - label_h - marker_h)
        draw_text(surface, frame, label, (ix, iy, iw, label_h), style.text)
        # Tiles of one size show their numbers at one size: cap at what a typical 5-character value gets.
        cap = frame.fonts.fit("88.8%", value_box[2], value_box[3])
        draw_text(surface, frame, value, value_box, style.value, max_size=cap)
        if marker:
            shown = legible_choice(frame, marker, iw, marker_h)
            draw_text(surface, frame, shown, (ix, iy + ih - marker_h, iw, marker_h), style.text)
