"""The agent states bar: available, on call, wrap and away as proportional segments with counts.

A legend under the bar names each state with its count, so the bar reads
without colour; it is laid out (2 x 2 or one column, full or short names) so
its words are legible from 10 m, and a count is written in its segment only
where it is legible too. Each count is the core's verdict on it: a state the
site's feed cannot supply reads "n/a" (Asterisk has no wrap-up: "Wrap n/a"),
one never received "--"; neither is ever drawn as 0, and neither greys the
widget. Bar and legend grey when a count that is supplied is stale, missing,
or the board is offline. Reads board state only.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import pygame

from wallboard.device.config.screen_schema import WidgetSettings
from wallboard.device.core.verdict import ValueState, verdict
from wallboard.display.draw.fonts import Colour
from wallboard.display.draw.widgets.base import (
    Frame,
    corner,
    draw_text,
    fill,
    legible_choice,
    legible_line,
    shrink,
    stale_note,
)
from wallboard.display.logic.glossary import AGENT_WORDS
from wallboard.display.logic.layout import Box
from wallboard.display.logic.theme import TileState

# One vocabulary at every size (display/logic/glossary.py): the short names, legible in a narrow cell too.
STATES = AGENT_WORDS
NAMES = tuple(name for _, name in STATES)


class AgentStatesBar:
    """Proportional segments for one queue's agent states."""

    def __init__(self, settings: WidgetSettings) -> None:
        self.settings = settings
        self.queue = settings.queue or ""

    def _counts(self, frame: Frame) -> tuple[tuple[int | None, ...], tuple[str, ...], bool]:
        """Each state's count (None where there is no number), its legend word ("12", "n/a", "--"), and grey."""
        view = frame.view
        counts: list[int | None] = []
        words: list[str] = []
        grey = False
        for field, _ in STATES:
            found = verdict(view.state, view.config, f"{self.queue}.{field}", view.wall_now)
            if found.state is ValueState.NOT_SUPPLIED:
                counts.append(None)
                words.append("n/a")
                continue
            held = found.value is not None and found.state.has_value
            counts.append(round(found.value) if held and found.value is not None else None)
            words.append(str(counts[-1]) if counts[-1] is not None else "--")
            grey = grey or frame.offline or not found.state.is_live
        return tuple(counts), tuple(words), grey

    def key(self, frame: Frame, box: Box) -> Hashable:
        return (box, self._counts(frame), self.settings.label, stale_note(frame, self.settings))

    def moving(self, frame: Frame) -> bool:
        return False

    def draw(self, surface: pygame.Surface, box: Box, frame: Frame) -> None:
        counts, words, grey = self._counts(frame)
        theme = frame.theme
        fill(surface, box, theme.panel, corner(box))
        x, y, w, h = shrink(box, max(4, round(min(box[2], box[3]) * 0.05)))
        base = self.settings.label or f"Agents \u00b7 {self.queue}"
        note = stale_note(frame, self.settings) or ("NO DATA" if all(c is None for c in counts) else "NOT LIVE")
        title_h = max(round(h * 0.2), legible_line(frame))
        titles = [f"{base} \u00b7 {note}", note] if grey else [base]
        draw_text(surface, frame, legible_choice(frame, titles, w, title_h), (x, y, w, title_h), theme.panel_text)
        legend = self._legend(frame, words, w, h)
        gap = h // 30
        bar_y = y + title_h + gap
        bar_h = max(4, h - title_h - legend.height - 2 * gap)
        colours = [theme.tile(TileState.STALE).background if grey else c for c in theme.agent_states]
        text_colour = theme.tile(TileState.STALE).value if grey else (255, 255, 255)
        legend_colour = theme.tile(TileState.STALE).value if grey else theme.panel_text
        self._bar(surface, frame, tuple(c or 0 for c in counts), (x, bar_y, w, bar_h), colours, text_colour, grey)
        legend_y = bar_y + bar_h + gap
        swatch = min(legend.row_h, legend.cell_w) * 2 // 5
        for index, text in enumerate(legend.texts):
            cx = x + (index % legend.columns) * legend.cell_w
            cy = legend_y + (index // legend.columns) * legend.row_h
            swatch_colour = theme.tile(TileState.MISSING).background if words[index] == "n/a" else colours[index]
            fill(surface, (cx, cy + (legend.row_h - swatch) // 2, swatch, swatch), swatch_colour)
            text_box = (cx + swatch + swatch // 2, cy, legend.text_w, legend.row_h)
            draw_text(surface, frame, text, text_box, legend_colour, align="left", max_size=legend.size)

    def _bar(self, surface: pygame.Surface, frame: Frame, counts: tuple[int, ...], bar: Box,
             colours: list[Colour], text_colour: Colour, grey: bool) -> None:  # fmt: skip
        """Proportional segments; a count is written in its segment only where it is legible (the legend has all)."""
        x, bar_y, w, bar_h = bar
        total = sum(counts)
        if total == 0:
            fill(surface, bar, frame.theme.tile(TileState.MISSING).background)
            if frame.fonts.cap_height(frame.fonts.fit("no agent data", w, bar_h)) >= frame.min_cap:
                draw_text(surface, frame, "no agent data", bar, text_colour)
            return
        left = x
        for index, count in enumerate(counts):
            right = x + round(w * sum(counts[: index + 1]) / total)
            if right > left:
                segment = (left, bar_y, right - left, bar_h)
                fill(surface, segment, colours[index])
                if grey:
                    pygame.draw.rect(surface, frame.theme.panel, pygame.Rect(segment), width=max(1, bar_h // 40))
                inner = shrink(segment, max(2, bar_h // 10))
                if frame.fonts.cap_height(frame.fonts.fit(str(count), inner[2], inner[3])) >= frame.min_cap:
                    draw_text(surface, frame, str(count), inner, text_colour)
            left = right

    @staticmethod
    def _legend(frame: Frame, words: tuple[str, ...], w: int, h: int) -> Legend:
        """The legend naming each state with its count (the bar must read without colour), at a legible size.

        Tried in order: 2 x 2, then one column; the first whose words are legible from 10 m wins, else the one
        with the largest words. The names are the glossary's, the same at every size.
        """
        options: list[Legend] = []
        line = legible_line(frame)
        for columns, share in ((2, 0.45), (1, 0.62)):
            rows = len(STATES) // columns
            row_h, cell_w = max(round(h * share) // rows, line * 21 // 20), w // columns
            swatch = min(row_h, cell_w) * 2 // 5
            text_w = cell_w - swatch - swatch // 2 - (cell_w // 20 if columns > 1 else 0)
            texts = tuple(f"{name} {word}" for name, word in zip(NAMES, words, strict=True))
            size = min(frame.fonts.fit(text, text_w, row_h) for text in texts)
            option = Legend(texts, columns, rows * row_h, row_h, cell_w, text_w, size)
            if frame.fonts.cap_height(size) >= frame.min_cap:
                return option
            options.append(option)
        return max(options, key=lambda option: option.size)


@dataclass(frozen=True, slots=True)
class Legend:
    """Where and how big the legend's words go."""

    texts: tuple[str, ...]
    columns: int
    height: int
    row_h: int
    cell_w: int
    text_w: int
    size: int
