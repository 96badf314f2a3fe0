"""Layouts of the shipped boards at 720p, 1080p and 4K: every widget inside its cell, nothing overflowing."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from tests.display_helpers import config_from, paint, view_of
from wallboard.app.demo.demo import DEMO_CONFIG
from wallboard.display.draw.painter import BoardPainter
from wallboard.display.logic.layout import inside, screen_layout

CONFIG = Path(__file__).resolve().parent.parent / "config"
SIZES = [(1280, 720), (1920, 1080), (3840, 2160)]
BOARDS = {
    "floor1.toml": CONFIG / "boards" / "floor1.toml",
    "floor2.toml": CONFIG / "boards" / "floor2.toml",
    "demo.toml": DEMO_CONFIG,
}
SAMPLES = ["sample-data.json", "sample-data-alarm.json", "sample-data-offline.json"]


def _pages(board: str) -> int:
    return len(BoardPainter(config_from(BOARDS[board])).pages)


CASES = [
    (board, page, sample, size)
    for board in BOARDS
    for page in range(_pages(board))
    for sample, size in itertools.product(SAMPLES, SIZES)
]


@pytest.mark.parametrize(("board", "page", "sample", "size"), CASES)
def test_no_widget_overflows_its_cell(board: str, page: int, sample: str, size: tuple[int, int]) -> None:
    """Every text a widget draws lies inside its cell, cells lie inside the grid and do not overlap."""
    config = config_from(BOARDS[board])
    view = view_of(config, json.loads((CONFIG / sample).read_text()))
    _surface, painter = paint(config, view, size, page=page)
    offline = sample.endswith("offline.json")
    layout = screen_layout(*size, strip=True, banner=offline)
    cells = [placed.cell for placed in painter.placed.values()]
    assert len(cells) == len(painter.pages[page].widget)
    for placed in painter.placed.values():
        assert inside(placed.cell, layout.grid), placed
        assert placed.text, f"{placed.kind} drew no text"
        for box in placed.text:
            assert inside(box, placed.cell), (placed.kind, box, placed.cell)
    for a, b in itertools.combinations(cells, 2):
        assert a[0] + a[2] <= b[0] or b[0] + b[2] <= a[0] or a[1] + a[3] <= b[1] or b[1] + b[3] <= a[1], (a, b)
    for placed in painter.chrome.values():
        for box in placed.text:
            assert inside(box, placed.cell), (placed.kind, box)
    assert ("banner" in painter.chrome) is offline


@pytest.mark.parametrize("size", SIZES)
def test_kpi_numbers_are_big_at_every_size(size: tuple[int, int]) -> None:
    """The main numbers are at least a tenth of the screen's height: readable from 10 m away."""
    config = config_from(CONFIG / "boards" / "floor1.toml")
    view = view_of(config, json.loads((CONFIG / "sample-data.json").read_text()))
    _, painter = paint(config, view, size, page=0)
    heights = [max(box[3] for box in placed.text) for placed in painter.placed.values() if placed.kind == "kpi"]
    assert heights and min(heights) >= size[1] / 10
