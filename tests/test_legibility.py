"""Legible from across the floor: every word and number on every shipped layout meets the minimum cap height."""

from __future__ import annotations

from pathlib import Path

import pygame
import pytest

from tests.display_helpers import config_from
from wallboard.display.draw.painter import BoardPainter
from wallboard.display.draw.twin import screen_twin
from wallboard.display.logic.legibility import min_cap_mm, min_cap_px, picture_height_mm
from wallboard.display.preview.sample_data import load_sample, sample_view

ROOT = Path(__file__).resolve().parent.parent
BOARDS = [*sorted((ROOT / "config" / "boards").glob("*.toml")), ROOT / "app" / "demo" / "demo.toml"]
SAMPLES = sorted((ROOT / "config").glob("sample-data*.json"))
SIZES = [(1280, 720), (1920, 1080), (3840, 2160)]


def test_the_minimum_follows_the_ussc_legibility_index() -> None:
    """30 ft per inch: 10 m needs 27.8 mm capitals; a 65-inch 16:9 TV is 809 mm tall, so 38 px at 1080 lines."""
    assert round(min_cap_mm(10.0), 1) == 27.8
    assert round(min_cap_mm(30 * 0.3048), 1) == 25.4  # the index's own example: 1 inch at 30 feet
    assert round(picture_height_mm(65.0)) == 809
    assert [min_cap_px(h) for h in (720, 1080, 2160)] == [25, 38, 75]


def _too_small(board: Path, size: tuple[int, int]) -> list[str]:
    config = config_from(board)
    painter = BoardPainter(config)
    limit = min_cap_px(size[1])
    found: list[str] = []
    for sample_path in SAMPLES:
        view = sample_view(config, load_sample(sample_path), wall_now=1_795_400_000.0)
        for page in range(len(painter.pages)):
            surface = pygame.Surface(size)
            painter.invalidate()
            painter.paint(view, surface, page=page, phase=0.0)
            twin = screen_twin(painter, view, size)
            parts = [("strip", twin["status_strip"]), ("banner", twin["banner"])]
            parts += [(str(w["type"]), w) for w in twin["widgets"]]  # type: ignore[attr-defined]
            for name, part in parts:
                for text in (part or {}).get("texts", []):  # type: ignore[attr-defined]
                    if text["cap_px"] < limit:
                        found.append(f"{sample_path.name} page {page + 1} {name}: {text['text'][:50]!r} "
                                     f"cap {text['cap_px']} px < {limit}")  # fmt: skip
    return found


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("board", BOARDS, ids=[b.stem for b in BOARDS])
def test_every_text_on_every_shipped_layout_meets_the_minimum(board: Path, size: tuple[int, int]) -> None:
    """Every string drawn (strip, banner, tiles, bar, leaderboard, trend, ticker, clock) in every sample state."""
    pygame.font.init()
    found = _too_small(board, size)
    assert not found, f"{len(found)} texts below the minimum cap height:\n" + "\n".join(sorted(set(found))[:40])
