"""``wallboard demo`` offscreen: the embedded amqtt broker, the simulator and a board, end to end."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pygame

from wallboard.app.demo.demo import DEMO_CONFIG, DEMO_DAY_START, DEMO_HEAD_COUNTS, DEMO_SPEED, DEMO_WARMUP_S
from wallboard.app.demo.simulator import SimulatorPublisher
from wallboard.app.demo.snapshots import MomentShots
from wallboard.app.demo.story import STORY, STORY_SEED
from wallboard.device.config.reading import load_config
from wallboard.device.core.rejections import RejectionCounter
from wallboard.device.core.rules import Assessment, Pending, Severity
from wallboard.device.core.state import BoardState
from wallboard.device.core.view import BoardView, HandoffStats


def test_demo_offscreen_receives_simulated_values_over_mqtt(tmp_path: Path) -> None:
    """Run offscreen for a few seconds, the demo's board gets simulated metrics and writes a screenshot."""
    env = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "HOME": str(tmp_path)}
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    shots = tmp_path / "shots"
    old_cache = tmp_path / ".local" / "state" / "wallboard-demo" / "cache"
    old_cache.mkdir(parents=True)
    (old_cache / "wallboard.db").write_bytes(b"the last run's values")
    shots.mkdir()
    (shots / "04-critical.png").write_bytes(b"the last run's moment")
    result = subprocess.run(
        [sys.executable, "-m", "wallboard.app.cli", "demo", "--duration", "5", "--screenshots", str(shots),
         "--screenshot-every", "2", "--size", "960x540"],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"screenshots every 2s in {shots / 'wallboard-demo.png'}" in result.stdout
    received = re.search(r"board received (\d+) metrics over MQTT \((\d+) messages published\)", result.stdout)
    assert received is not None, result.stdout
    assert int(received.group(1)) >= 10 and int(received.group(2)) > 0
    image = pygame.image.load(str(shots / "wallboard-demo.png"))
    assert image.get_size() == (960, 540)
    assert (tmp_path / ".local" / "state" / "wallboard-demo").is_dir()  # its own cache, not a real board's
    assert not (old_cache / "wallboard.db").exists()  # every run starts fresh
    assert not (shots / "04-critical.png").exists()  # the last run's moments are not kept as this run's
    assert "the story takes 90 s" in result.stdout and "Ctrl+C" in result.stdout


def test_the_story_reaches_each_level_and_recovers_within_90_seconds() -> None:
    """The seeded story on the model alone: calls waiting past 4 by 0:30, past 9 by 0:45, below 4 again by 1:05."""
    simulator = SimulatorPublisher("127.0.0.1", 1, site="demo", queues=["sales", "support"], speed=DEMO_SPEED,
                                   timezone="Europe/London", day_start=DEMO_DAY_START, warmup=DEMO_WARMUP_S,
                                   head_counts=DEMO_HEAD_COUNTS, seed=STORY_SEED, story=STORY)  # fmt: skip
    waiting: list[int] = []
    for _ in range(90):
        simulator.advance(DEMO_SPEED)  # one wall second
        waiting.append(int(simulator.model.queue_payload("sales")["calls_waiting"]))
    assert max(waiting[:10]) <= 4, waiting  # normal first
    assert max(waiting[10:30]) > 4, waiting  # beyond the warn level: pending, then warning after the hold
    assert max(waiting[30:45]) > 9, waiting  # beyond critical
    assert max(waiting[65:]) < 4, waiting  # recovered


def test_the_moments_are_kept_once_each_in_files_of_their_own(tmp_path: Path) -> None:
    """Normal (once settled), pending, warning, critical, acknowledged, recovered: 01-normal.png ... 06-recovered."""
    display = _FakeDisplay()
    kept: list[str] = []
    shots = MomentShots(display, tmp_path, on_kept=lambda moment, path: kept.append(path.name))
    base = _view()
    timeline = [
        (0.0, base),
        (4.0, base),  # normal for 3 s: kept
        (
            5.0,
            replace(base, assessment=Assessment({"q.x": Severity.NORMAL}, pending={"q.x": Pending(Severity.WARN, 5)})),
        ),
        (6.0, replace(base, assessment=Assessment({"q.x": Severity.WARN}, Severity.WARN))),
        (7.0, replace(base, assessment=Assessment({"q.x": Severity.CRITICAL}, Severity.CRITICAL))),
        (
            8.0,
            replace(
                base,
                assessment=Assessment({"q.x": Severity.CRITICAL}, Severity.CRITICAL),
                acknowledged=Severity.CRITICAL,
            ),
        ),
        (9.0, base),
        (10.0, replace(base, assessment=Assessment({"q.x": Severity.WARN}, Severity.WARN))),  # again: not kept again
    ]
    for now, view in timeline:
        shots.render(replace(view, now=now))
    assert kept == ["01-normal.png", "02-pending.png", "03-warning.png", "04-critical.png", "05-acknowledged.png",
                    "06-recovered.png"]  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == kept


class _FakeDisplay:
    """A display that hands out a tiny PNG and has no twin: every moment counts as on screen."""

    frames_drawn = 1
    fps = 1.0

    def snapshot_png(self, max_width: int = 960, max_bytes: int = 256_000) -> bytes:
        return b"\x89PNG fake"


def _view() -> BoardView:
    """A normal board's view: the demo's config, an empty state, one metric at normal."""
    config = load_config(DEMO_CONFIG).config
    state = BoardState(config, RejectionCounter())
    return BoardView(config=config, state=state, assessment=Assessment({"q.x": Severity.NORMAL}), wall_now=0.0,
                     now=0.0, rejections={}, handoff=HandoffStats(0, 0, 0, 0))  # fmt: skip
