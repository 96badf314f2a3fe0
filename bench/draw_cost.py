"""Draw cost of the board: per-frame paint times at 720p, 1080p and 4K, and the CPU of a still board.

Prints figures; not a pass/fail test. Offscreen (SDL's ``offscreen`` driver),
so it measures our drawing, not a GPU or a TV. Run:

    .venv/bin/python bench/draw_cost.py            # paint times
    .venv/bin/python bench/draw_cost.py --idle 30  # also CPU of a still board and of one with a ticker
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import msgspec
import pygame

from wallboard.device.config.reading import load_config
from wallboard.device.config.schema import BoardConfig
from wallboard.device.config.screen_schema import ScheduleSettings
from wallboard.device.core.updates import Reading
from wallboard.display.draw.painter import BoardPainter
from wallboard.display.preview.sample_data import sample_state, sample_view

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"720p": (1280, 720), "1080p": (1920, 1080), "4K": (3840, 2160)}


def _ms(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1000:6.2f} ms, max {max(samples) * 1000:6.2f} ms"


def paint_times(frames: int) -> None:
    config = load_config(ROOT / "config" / "boards" / "floor1.toml").config
    sample = json.loads((ROOT / "config" / "sample-data.json").read_text())
    pygame.font.init()
    for name, size in SIZES.items():
        view = sample_view(config, sample)
        surface = pygame.Surface(size)
        painter = BoardPainter(config)
        painter.paint(view, surface, page=0, phase=0.0)  # warm the font and text caches
        full, update, ticker = [], [], []
        for _ in range(frames):
            painter.invalidate()
            start = time.perf_counter()
            painter.paint(view, surface, page=0, phase=0.0)
            full.append(time.perf_counter() - start)
        for i in range(frames):
            at = view.wall_now + i + 1
            sample_state(view).apply(Reading("sales.calls_waiting", float(i % 9), at, at))
            start = time.perf_counter()
            painter.paint(view, surface, page=0, phase=0.0)
            update.append(time.perf_counter() - start)
        for i in range(frames):
            start = time.perf_counter()
            painter.paint(view, surface, page=0, phase=i / 30)
            ticker.append(time.perf_counter() - start)
        print(f"{name:>5}: full frame {_ms(full)} | one tile changed {_ms(update)} | ticker step {_ms(ticker)}")


def _always_on(config: BoardConfig) -> BoardConfig:
    """The board with its night schedule removed, so the measurement never lands on a blank screen."""
    display = msgspec.structs.replace(config.display, schedule=ScheduleSettings())
    return msgspec.structs.replace(config, display=display)


def idle_cpu(seconds: float, ticker: bool) -> None:
    """Run the screen output as the board loop does, one metric update a second; report CPU per core."""
    from wallboard.display.screen import DisplayOutput

    config = _always_on(load_config(ROOT / "config" / "boards" / "floor1.toml").config)
    sample = json.loads((ROOT / "config" / "sample-data.json").read_text())
    if not ticker:
        sample["announcements"] = []
    screen = DisplayOutput(config, size=(1920, 1080), fullscreen=False)
    view = sample_view(config, sample, wall_now=time.time())
    try:
        cpu0, wall0 = time.process_time(), time.monotonic()
        next_update = wall0
        while time.monotonic() - wall0 < seconds:
            now = time.monotonic()
            if now >= next_update:
                wall = time.time()
                sample_state(view).apply(Reading("sales.calls_waiting", float(int(now) % 7), wall, wall))
                next_update = now + 1.0
            view = type(view)(view.config, view.state, view.assessment, time.time(), now, {}, view.handoff)
            budget = screen.render(view)
            time.sleep(max(0.0, min(budget, next_update - time.monotonic())))
        cpu = time.process_time() - cpu0
        wall = time.monotonic() - wall0
        label = "ticker on " if ticker else "still board"
        print(f"{label}: {cpu / wall * 100:.2f}% of a core over {wall:.0f}s at 1080p, {screen.frames_drawn} frames "
              f"({screen.frames_drawn / wall:.1f}/s)")  # fmt: skip
    finally:
        screen.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--idle", type=float, default=0.0, help="seconds to measure idle CPU (0: skip)")
    args = parser.parse_args()
    paint_times(args.frames)
    if args.idle > 0:
        idle_cpu(args.idle, ticker=False)
        idle_cpu(args.idle, ticker=True)


if __name__ == "__main__":
    main()
