"""The twin is the screen: every word it reports was rendered to the picture, and every word rendered is in it.

Every shipped board, in every sample state, on every page, at 720p, 1080p and 4K: the strings the font
book rendered for one full paint are exactly the twin's texts, and each KPI or trend widget's ``shown`` and
``value_state`` agree with the words it drew. The live side (over mosquitto, a reset to 0 of 0) is in
tests/test_screen_twin.py and tests/test_value_states.py.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, cast

import pygame
import pytest

from tests.display_helpers import config_from
from wallboard.display.draw.fonts import Colour, FontBook
from wallboard.display.draw.painter import BoardPainter
from wallboard.display.draw.twin import screen_twin
from wallboard.display.preview.sample_data import load_sample, sample_view

ROOT = Path(__file__).resolve().parent.parent
BOARDS = [*sorted((ROOT / "config" / "boards").glob("*.toml")), ROOT / "app" / "demo" / "demo.toml"]
SAMPLES = sorted((ROOT / "config").glob("sample-data*.json"))
SIZES = [(1280, 720), (1920, 1080), (3840, 2160)]
# What a tile draws in place of a number, per value state (the core's verdict).
NO_NUMBER = {"not_received": "--", "not_supplied": "n/a", "no_calls_yet": "no calls yet"}


class RecordingFontBook(FontBook):
    """A font book that records every string it renders to pixels (cached or not)."""

    def __init__(self) -> None:
        super().__init__()
        self.rendered: list[str] = []

    def text(self, content: str, size: int, colour: Colour, bold: bool = True) -> pygame.Surface:
        self.rendered.append(content)
        return super().text(content, size, colour, bold)

    def render(self, content: str, size: int, colour: Colour, bold: bool = True) -> pygame.Surface:
        self.rendered.append(content)
        return super().render(content, size, colour, bold)


def _twin_texts(twin: dict[str, Any]) -> list[str]:
    parts = [twin["status_strip"], twin["banner"], *twin["widgets"]]
    return [text["text"] for part in parts if part for text in part.get("texts", [])]


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("board", BOARDS, ids=[b.stem for b in BOARDS])
def test_the_twin_says_exactly_what_was_drawn(board: Path, size: tuple[int, int]) -> None:
    """Each sample state and page: rendered strings == the twin's texts; shown and value_state match the tile."""
    pygame.font.init()
    config = config_from(board)
    checked = 0
    for sample_path in SAMPLES:
        view = sample_view(config, load_sample(sample_path), wall_now=1_795_400_000.0)
        for page in range(len(BoardPainter(config).pages)):
            fonts = RecordingFontBook()
            painter = BoardPainter(config, fonts=fonts)
            painter.paint(view, pygame.Surface(size), page=page, phase=0.0)
            twin = cast(dict[str, Any], screen_twin(painter, view, size))
            where = f"{board.stem} {sample_path.name} page {page + 1} at {size}"
            # Measuring renders nothing; the ticker renders its text once and blits it: compare as sets of words.
            rendered = Counter(text for text in fonts.rendered if text)
            assert set(rendered) == set(_twin_texts(twin)), where
            for widget in twin["widgets"]:
                if widget["type"] not in ("kpi", "trend"):
                    continue
                words = [text["text"] for text in widget["texts"]]
                assert widget["shown"] in words, f"{where}: {widget['metric']} shown {widget['shown']!r} not in {words}"
                expected = NO_NUMBER.get(widget["value_state"])
                if expected is not None and widget["type"] == "kpi":
                    assert widget["shown"] == expected, f"{where}: {widget['metric']}"
                    assert widget["value"] is None, f"{where}: {widget['metric']} keeps an old value"
                checked += 1
    assert checked > 0
