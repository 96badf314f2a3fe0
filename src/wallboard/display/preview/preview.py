"""``wallboard preview``: a board config and sample data in, a PNG out; no broker, no screen.

Uses the same painter as the screen (``render_board``) on SDL's offscreen
driver, so what IT checks before a rollout is what the TV will show.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pygame

from wallboard.device.config.schema import BoardConfig
from wallboard.display.draw.painter import BoardPainter, render_board
from wallboard.display.draw.twin import screen_twin
from wallboard.display.preview.sample_data import load_sample, sample_view


def render_preview(config: BoardConfig, sample_path: str | Path, out: str | Path, size: tuple[int, int],
                   page: int = 1, wall_now: float | None = None,
                   explain: str | Path | None = None) -> Path:  # fmt: skip
    """Render page ``page`` (from 1) of ``config`` with the sample data to ``out`` (PNG); return its path.

    With ``explain``, the screen's text twin (docs/screen-twin.md) is written there as JSON too.
    """
    os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
    view = sample_view(config, load_sample(sample_path), wall_now)
    pygame.font.init()
    painter = BoardPainter(config)
    if not 1 <= page <= len(painter.pages):
        raise ValueError(f"page {page} does not exist: the board has {len(painter.pages)} page(s)")
    surface = render_board(view, size, page=page - 1, phase=0.0, painter=painter)
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    pygame.image.save(surface, str(target))
    if explain is not None:
        twin = Path(explain)
        twin.parent.mkdir(parents=True, exist_ok=True)
        twin.write_text(json.dumps(screen_twin(painter, view, size), indent=1, ensure_ascii=False) + "\n")
    return target
