"""Helpers for display tests: configs, sample views and pixel probes, all offscreen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pygame

from wallboard.device.config.reading import load_config
from wallboard.device.config.schema import BoardConfig
from wallboard.device.core.view import BoardView
from wallboard.display.draw.painter import BoardPainter
from wallboard.display.logic.layout import Box
from wallboard.display.preview.sample_data import sample_view

KPI_PAGE = """
[display]
status_strip = true
[display.burn_in]
shift_pixels = 0
[[display.page]]
columns = 2
rows = 2
widget = [
    { type = "kpi", metric = "sales.service_level_pct", at = [1, 1] },
    { type = "kpi", metric = "sales.calls_waiting", at = [2, 1] },
    { type = "kpi", metric = "sales.abandon_rate_pct", at = [1, 2] },
    { type = "kpi", metric = "sales.longest_wait_s", at = [2, 2] },
]
[[rule]]
metric = "sales.service_level_pct"
warn_below = 80
critical_below = 70
[[rule]]
metric = "sales.abandon_rate_pct"
warn_above = 5
critical_above = 10
[[rule]]
metric = "sales.longest_wait_s"
warn_above = 60
critical_above = 120
"""


def config_from(path: Path) -> BoardConfig:
    return load_config(path).config


def view_of(config: BoardConfig, sample: dict[str, Any]) -> BoardView:
    return sample_view(config, sample, wall_now=1_763_800_000.0)


def paint(
    config: BoardConfig, view: BoardView, size: tuple[int, int], page: int = 0
) -> tuple[pygame.Surface, BoardPainter]:
    pygame.font.init()
    surface = pygame.Surface(size)
    painter = BoardPainter(config)
    painter.paint(view, surface, page=page, phase=0.0)
    return surface, painter


def background_probe(box: Box) -> tuple[int, int]:
    """A point inside a tile's padding, past any border and away from text: the tile's background."""
    x, y, w, h = box
    short = min(w, h)
    return (x + max(2, round(short * 0.058)), y + h // 2)


def rgb(surface: pygame.Surface, point: tuple[int, int]) -> tuple[int, int, int]:
    colour = surface.get_at(point)
    return (colour.r, colour.g, colour.b)


def count_colour(surface: pygame.Surface, box: Box, colour: tuple[int, int, int]) -> int:
    """How many pixels of ``box`` have exactly ``colour`` (sampled every 2 pixels)."""
    x, y, w, h = box
    return sum(1 for px in range(x, x + w, 2) for py in range(y, y + h, 2) if rgb(surface, (px, py)) == colour)
