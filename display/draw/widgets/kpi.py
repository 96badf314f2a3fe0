"""The KPI tile: one metric as a huge number with its label, coloured and marked by severity.

Stale or offline values are greyed and say how old they are; a missing value
says so. A value beyond a level whose hold still runs is framed in that level's
colour and counts down ("▲ WARNING IN 12 s"): never a green OK, not yet an
alarm. The marker line repeats the severity in words and a shape, so the
tile reads without colour. A detail line carries the volume behind a ratio
("96 of 120") or the staffing hint ("have 16"); a quiet ratio (no calls yet,
low volume) is drawn neutral, never OK. Reads board state only.
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

    def _texts(self, frame: Frame) -> tuple[TileState, str, tuple[str, ...], tuple[str, ...], str]:
        text = tile_text(frame.view, self.metric)
        state = metric_state(frame, self.metric)
        if text.quiet is not None and not frame.offline:
            state = TileState.NEUTRAL  # no calls yet / low volume: not judged, so neither OK nor stale
        style = frame.theme.tile(state)
        # The marker's wordings, longest first: a narrow tile shows the first that is legible from 10 m.
        marker: tuple[str, ...] = (style.marker,) if style.marker else ()
        note = pending_note(frame, self.metric)
        if text.quiet is not None and not frame.offline:
            quiet = text.quiet.upper()
            marker = (quiet, quiet.replace(" YET", "").replace("VOLUME", "VOL"))  # "NO CALLS", "LOW VOL" if narrow
        elif state in (TileState.PENDING_WARN, TileState.PENDING_CRITICAL):
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
        name = metric_label(frame, self.settings)
        unit = f" ({self.settings.unit})" if self.settings.unit else ""
        # The label's wordings, longest first: "Service level · SL 80/20", then the name alone, then "SL 80/20"
        # (still says what it is); a narrow tile shows the first that is legible from 10 m.
        labels: tuple[str, ...] = (f"{name}{unit}",)
        if text.caption:
            labels = (f"{name} \u00b7 {text.caption}{unit}", *labels, f"{text.caption}{unit}")
        return state, text.value, labels, marker, text.detail

    def key(self, frame: Frame, box: Box) -> Hashable:
        return (box, self._texts(frame))

    def moving(self, frame: Frame) -> bool:
        return False

    def draw(self, surface: pygame.Surface, box: Box, frame: Frame) -> None:
        state, value, labels, marker, detail = self._texts(frame)
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
        # Label, marker and detail lines: their words must be legible from 10 m too.
        line = legible_line(frame)
        label_h = max(round(ih * 0.19), line)
        marker_h = max(round(ih * 0.19), line) if marker else 0
        detail_h = max(round(ih * 0.14), line) if detail else 0
        value_box = (ix, iy + label_h, iw, ih - label_h - marker_h - detail_h)
        draw_text(surface, frame, legible_choice(frame, labels, iw, label_h), (ix, iy, iw, label_h), style.text)
        # Tiles of one size show their numbers at one size: cap at what a typical 5-character value gets.
        cap = frame.fonts.fit("88.8%", value_box[2], value_box[3])
        draw_text(surface, frame, value, value_box, style.value, max_size=cap)
        if detail:
            detail_box = (ix, iy + ih - marker_h - detail_h, iw, detail_h)
            # Detail lines of one size too: capped at what a typical volume line gets.
            detail_cap = frame.fonts.fit("888 of 8888 today", detail_box[2], detail_box[3])
            # "907 of 1209 today", then "907 of 1209", then "907/1209": the first legible from 10 m.
            counts = detail.removesuffix(" today")
            shown = legible_choice(frame, (detail, counts, counts.replace(" of ", "/")), iw, detail_h)
            draw_text(surface, frame, shown, detail_box, style.text, max_size=detail_cap if shown == detail else None)
        if marker:
            shown = legible_choice(frame, marker, iw, marker_h)
            draw_text(surface, frame, shown, (ix, iy + ih - marker_h, iw, marker_h), style.text)
