"""The KPI tile: one metric as a huge number with its label, coloured and marked by severity.

Stale or offline values are greyed and say how old they are; a missing value
says so. The marker line repeats the severity in words and a shape, so the
tile reads without colour. A detail line carries the volume behind a ratio
("96 of 120") or the staffing hint ("have 16"); a quiet ratio (no calls yet,
low volume) is drawn neutral, never OK. Reads board state only.
"""

from __future__ import annotations

from collections.abc import Hashable

import pygame

from wallboard.device.config.display import WidgetSettings
from wallboard.display.draw.widgets.base import Frame, corner, draw_text, fill, metric_label, metric_state, shrink
from wallboard.display.logic.formatting import format_age
from wallboard.display.logic.layout import Box
from wallboard.display.logic.theme import TileState
from wallboard.display.logic.tile_text import tile_text


class KpiTile:
    """A big value, its label and unit, and a severity marker."""

    def __init__(self, settings: WidgetSettings) -> None:
        self.settings = settings
        assert settings.metric is not None  # guaranteed by config validation
        self.metric = settings.metric

    def _texts(self, frame: Frame) -> tuple[TileState, str, str, str, str]:
        text = tile_text(frame.view, self.metric)
        state = metric_state(frame, self.metric)
        if text.quiet is not None and not frame.offline:
            state = TileState.NEUTRAL  # no calls yet / low volume: not judged, so neither OK nor stale
        style = frame.theme.tile(state)
        marker = text.quiet.upper() if text.quiet is not None and not frame.offline else style.marker
        if state is TileState.STALE:
            age = frame.view.state.age(self.metric, frame.view.wall_now) or 0.0
            marker = f"{'OFFLINE' if frame.offline else 'STALE'} \u00b7 {format_age(age)}"
        label = metric_label(frame, self.settings)
        if text.caption:
            label = f"{label} \u00b7 {text.caption}"
        if self.settings.unit:
            label = f"{label} ({self.settings.unit})"
        return state, text.value, label, marker, text.detail

    def key(self, frame: Frame, box: Box) -> Hashable:
        return (box, self._texts(frame))

    def moving(self, frame: Frame) -> bool:
        return False

    def draw(self, surface: pygame.Surface, box: Box, frame: Frame) -> None:
        state, value, label, marker, detail = self._texts(frame)
        style = frame.theme.tile(state)
        short = min(box[2], box[3])
        fill(surface, box, style.background, corner(box))
        if style.border:
            width = max(3, short * style.border // 1000)
            pygame.draw.rect(surface, style.text, pygame.Rect(box), width=width, border_radius=corner(box))
        pad = max(4, round(short * 0.07))
        inner = shrink(box, pad)
        ix, iy, iw, ih = inner
        label_h = round(ih * 0.17)
        marker_h = round(ih * 0.17) if marker else 0
        detail_h = round(ih * 0.14) if detail else 0
        value_box = (ix, iy + label_h, iw, ih - label_h - marker_h - detail_h)
        draw_text(surface, frame, label, (ix, iy, iw, label_h), style.text)
        # Tiles of one size show their numbers at one size: cap at what a typical 5-character value gets.
        cap = frame.fonts.fit("88.8%", value_box[2], value_box[3])
        draw_text(surface, frame, value, value_box, style.value, max_size=cap)
        if detail:
            detail_box = (ix, iy + ih - marker_h - detail_h, iw, detail_h)
            # Detail lines of one size too: capped at what a typical volume line gets.
            detail_cap = frame.fonts.fit("888 of 8888 today", detail_box[2], detail_box[3])
            draw_text(surface, frame, detail, detail_box, style.text, max_size=detail_cap)
        if marker:
            draw_text(surface, frame, marker, (ix, iy + ih - marker_h, iw, marker_h), style.text)
