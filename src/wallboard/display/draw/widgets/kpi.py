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

import math
from collections.abc import Hashable

import pygame

from wallboard.device.config.screen_schema import WidgetSettings
from wallboard.device.core.verdict import not_supplied_by
from wallboard.display.draw.widgets.base import (
    Frame,
    corner,
    draw_text,
    fill,
    legible_choice,
    legible_line,
    metric_label,
    pending_note,
    shrink,
)
from wallboard.display.logic.formatting import format_age
from wallboard.display.logic.layout import Box
from wallboard.display.logic.theme import TileState
from wallboard.display.logic.tile_state import shown_state
from wallboard.display.logic.tile_text import tile_reads, tile_text

_Texts = tuple[TileState, str, tuple[str, ...], tuple[str, ...], str]


class KpiTile:
    """A big value, its label and unit, and a severity marker."""

    def __init__(self, settings: WidgetSettings) -> None:
        self.settings = settings
        assert settings.metric is not None  # guaranteed by config validation
        self.metric = settings.metric
        self._field = self.metric.partition(".")[2]
        self._reads = tile_reads(self.metric)  # the metrics its texts are made from
        self._inputs: Hashable = None
        self._texts_now: _Texts | None = None
        self.drawn: tuple[TileState, str] | None = None  # the state and value text on screen, once drawn
        # Per line drawn (label, value, detail, marker): the text boxes, words and sizes it drew.
        self._drawn: dict[str, tuple[list[Box], list[str], list[int]]] = {}

    def _texts(self, frame: Frame) -> _Texts:
        """The tile's texts, worked out again only when something they are made from changed (``_inputs_of``)."""
        inputs = self._inputs_of(frame)
        if inputs != self._inputs or self._texts_now is None:
            self._inputs, self._texts_now = inputs, self._work_out(frame)
        return self._texts_now

    def _inputs_of(self, frame: Frame) -> Hashable:
        """Everything ``_work_out`` reads, cheaply: the config, the metrics it reads (its own value and counts, the
        queue's period start, the staffing inputs), the rules' verdict on its metric (a hold's countdown in whole
        seconds, as shown), the link, whether the value or its counts are stale, and the time only where the texts
        say it (a stale value's age) or depend on the day ("today")."""
        view, metric = frame.view, self.metric
        state, assessment, now = view.state, view.assessment, view.wall_now
        stale = state.value(metric) is not None and (frame.offline or state.is_stale(metric, now))
        pending = assessment.pending.get(metric)
        countdown = None if pending is None else (pending.level, math.ceil(pending.seconds_left))
        return (view.config, state, state.version_of(self._reads), assessment.quiet.get(metric),
                assessment.metrics.get(metric), countdown, frame.offline, stale, state.no_calls_yet(metric, now),
                int(now) if stale else None, frame.local.date(),
                state.value(metric) is None and not_supplied_by(state, self._field),
                view.is_acknowledged(assessment.metrics.get(metric)))  # fmt: skip

    def _work_out(self, frame: Frame) -> _Texts:
        text = tile_text(frame.view, self.metric)
        state = shown_state(frame.view, self.metric, offline=frame.offline)  # the trend of the metric reads it too
        style = frame.theme.tile(state)
        # The marker's wordings, longest first: a narrow tile shows the first that is legible from 10 m.
        marker: tuple[str, ...] = (style.marker,) if style.marker else ()
        note = pending_note(frame, self.metric)
        if text.quiet is not None and not frame.offline:
            quiet = text.quiet.upper()
            marker = (quiet, quiet.replace(" YET", "").replace("VOLUME", "VOL"))  # "NO CALLS", "LOW VOL" if narrow
        elif state in (TileState.PENDING_WARN, TileState.PENDING_CRITICAL):
            left = note.rpartition(" in ")[2]
            shape = style.marker.split(" ")[0]
            # "▲ WARNING IN 12 s": seen, not yet signalled; a narrow tile drops the word, never changes it
            marker = (f"{style.marker} {left}", f"{style.marker.split(' ', 1)[1]} {left}", f"{shape} IN {left}")
        elif note:
            left = note.partition(" in ")[2]
            # "▲ WARNING · critical in 8 s", or "▲ WARNING · ✖ 8 s" where that is too long to read
            marker = (f"{style.marker} \u00b7 {note}", f"{style.marker} \u00b7 \u2716 {left}", style.marker)
        if state in (TileState.WARN, TileState.CRITICAL) and frame.view.is_acknowledged(
            frame.view.assessment.severity_of(self.metric)
        ):
            # The floor has acknowledged this alarm (the chime is quiet); the colour stays.
            marker = (f"{style.marker} \u00b7 ACK", f"{style.marker.split(' ')[0]} ACK")
        if text.absent is not None:
            marker = ("NOT SUPPLIED", "N/A")
        if state is TileState.STALE:
            age = format_age(frame.view.state.age(self.metric, frame.view.wall_now) or 0.0)
            word = "OFFLINE" if frame.offline else "STALE"
            marker = (f"{word} \u00b7 {age}", f"{word} {age.removesuffix(' old')}", word)
        name = metric_label(frame, self.settings)
        unit = f" ({self.settings.unit})" if self.settings.unit else ""
        # The label's wordings, longest first: "Service level · SL 80/20", "Service level SL 80/20", then the name
        # alone, then "SL 80/20" (still says what it is); a narrow tile shows the first that is legible from 10 m.
        labels: tuple[str, ...] = (f"{name}{unit}",)
        if text.caption:
            # Every queue's SL caption stays on its tile (one queue may have another target): without the dot,
            # then the name alone, then the caption alone where the name and caption cannot both be legible.
            labels = (f"{name} \u00b7 {text.caption}{unit}", f"{name} {text.caption}{unit}", *labels,
                      f"{text.caption}{unit}")  # fmt: skip
        return state, text.value, labels, marker, text.detail

    def key(self, frame: Frame, box: Box) -> Hashable:
        return (box, self._texts(frame))

    def moving(self, frame: Frame) -> bool:
        return False

    def draw(self, surface: pygame.Surface, box: Box, frame: Frame) -> None:
        texts = self._texts(frame)
        state, _, _, marker, detail = texts
        self.drawn = (state, texts[1])  # what the tile says now, for the text twin (never worked out again)
        style = frame.theme.tile(state)
        parts = self._part_boxes(box, frame, bool(marker), bool(detail))
        changed = self._changed_parts(box, frame, texts)
        if changed is None:
            short = min(box[2], box[3])
            fill(surface, box, style.background, corner(box))
            if style.border:
                width = max(3, short * style.border // 1000)
                edge = style.edge or style.text
                pygame.draw.rect(surface, edge, pygame.Rect(box), width=width, border_radius=corner(box))
            changed = list(parts)
            self._drawn.clear()
            cleared: list[pygame.Rect] | None = None
        else:
            # The same state, wordings and lines as on the surface: repaint only the words that changed (a new
            # value, a countdown's second). Their old words are cleared to the tile's colour where they were,
            # not the whole line: fewer pixels to fill and, on a Pi, to upload; the frame and the rest stay.
            cleared = [pygame.Rect(old) for part in changed for old in self._drawn.get(part, ([], [], []))[0]]
            for rect in cleared:
                surface.fill(style.background, rect)
        for part in changed:
            mark = len(frame.drawn)
            self._draw_part(part, surface, frame, parts[part], texts)
            self._drawn[part] = (frame.drawn[mark:], frame.texts[mark:], frame.sizes[mark:])
            del frame.drawn[mark:], frame.texts[mark:], frame.sizes[mark:]
        if cleared is not None:
            # Dirty: where the old words were and where the new ones went (the lines' boxes if neither).
            touched = cleared + [pygame.Rect(new) for part in changed for new in self._drawn[part][0]]
            touched = touched or [pygame.Rect(parts[part]) for part in changed]
            span = touched[0].unionall(touched[1:])
            frame.repainted = (span.x, span.y, span.width, span.height)
        for part in parts:  # what the whole tile says, in reading order (for overflow checks and the text twin)
            drawn, words, sizes = self._drawn.get(part, ([], [], []))
            frame.drawn += drawn
            frame.texts += words
            frame.sizes += sizes

    def _changed_parts(self, box: Box, frame: Frame, texts: _Texts) -> list[str] | None:
        """The lines that differ from the texts on the surface, or None if the tile must be drawn whole."""
        previous = frame.previous
        if not (isinstance(previous, tuple) and len(previous) == 2 and previous[0] == box):
            return None
        before = previous[1]
        state, value, labels, marker, detail = texts
        if before[0] != state or bool(before[3]) != bool(marker) or bool(before[4]) != bool(detail):
            return None  # another colour, or lines come or go: the layout changes
        changed = [part for part, now, then in (("label", labels, before[2]), ("value", value, before[1]),
                   ("detail", detail, before[4]), ("marker", marker, before[3])) if now != then]  # fmt: skip
        return changed or None

    @staticmethod
    def _part_boxes(box: Box, frame: Frame, marker: bool, detail: bool) -> dict[str, Box]:
        """Where each line goes, top to bottom: label, value, then the detail and marker lines if there are any."""
        short = min(box[2], box[3])
        pad = max(4, round(short * 0.07))
        ix, iy, iw, ih = shrink(box, pad)
        # Label, marker and detail lines: their words must be legible from 10 m too.
        line = legible_line(frame)
        label_h = max(round(ih * 0.19), line)
        # Every tile keeps room for both lines, drawn or not: tiles of one size in a row then put their numbers
        # on one baseline, whether or not they have a rule (marker) or a volume (detail).
        marker_h = max(round(ih * 0.19), line)
        detail_h = max(round(ih * 0.14), line)
        parts = {"label": (ix, iy, iw, label_h), "value": (ix, iy + label_h, iw, ih - label_h - marker_h - detail_h)}
        if detail:
            parts["detail"] = (ix, iy + ih - marker_h - detail_h, iw, detail_h)
        if marker:
            parts["marker"] = (ix, iy + ih - marker_h, iw, marker_h)
        return parts

    @staticmethod
    def _draw_part(part: str, surface: pygame.Surface, frame: Frame, place: Box, texts: _Texts) -> None:
        """Draw one line of the tile in ``place``."""
        state, value, labels, marker, detail = texts
        style = frame.theme.tile(state)
        width, height = place[2], place[3]
        if part == "label":
            draw_text(surface, frame, legible_choice(frame, labels, width, height), place, style.text)
        elif part == "value":
            # Tiles of one size show their numbers at one size: cap at what a typical 5-character value gets.
            cap = frame.fonts.fit("88.8%", width, height)
            draw_text(surface, frame, value, place, style.value, max_size=cap)
        elif part == "detail":
            # Detail lines of one size too: capped at what a typical volume line gets.
            detail_cap = frame.fonts.fit("888 of 8888 today", width, height)
            # "907 of 1209 today", then "907 of 1209" (the period dropped, the words kept): the first legible.
            counts = detail.partition(" since ")[0].removesuffix(" today")
            shown = legible_choice(frame, (detail, counts), width, height)
            draw_text(surface, frame, shown, place, style.text, max_size=detail_cap if shown == detail else None)
        else:
            draw_text(surface, frame, legible_choice(frame, marker, width, height), place, style.text)
