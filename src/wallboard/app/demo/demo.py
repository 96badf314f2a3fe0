"""``wallboard demo``: a live board on a fresh machine with nothing else installed, telling its story in 90 s.

Starts an embedded MQTT broker (amqtt) on a free loopback port, the simulator
publishing to it, and a board subscribed over MQTT exactly as in production,
drawing in a window where there is a display, or offscreen otherwise, writing
a screenshot every few seconds and saying where. The simulator plays the demo's
story (``app/demo/story.py``): in its first 90 s the board goes normal, pending, warning,
critical (chime, stack light), acknowledged (an ack sent over MQTT) and recovered; the
first frame of each is kept as ``01-normal.png`` ... ``06-recovered.png``. Every run starts
from a fresh cache of its own. Demo plumbing only: the board itself is the ordinary
``app.loop.board.Board``, composed as ``wallboard run`` composes it.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import msgspec

from wallboard.app.demo.embedded_broker import EmbeddedBroker
from wallboard.app.demo.simulator import SimulatorPublisher
from wallboard.app.demo.snapshots import MomentShots, SnapshotFile
from wallboard.app.demo.story import STORY, STORY_SEED, StoryStep
from wallboard.app.loop.board import Board
from wallboard.app.loop.compose import BoardPorts, build_outputs, compose_board
from wallboard.device.config.reading import LoadedConfig, load_config
from wallboard.device.config.screen_schema import parse_size
from wallboard.device.core.view import BoardOutput
from wallboard.device.util.stopping import stop_on_signals
from wallboard.device.wire.topics import BoardTopics
from wallboard.ops.screenshot import find_display

log = logging.getLogger(__name__)

# Package data (pyproject), so an installed board finds it wherever site-packages is.
DEMO_CONFIG = Path(__file__).resolve().parent / "demo.toml"
DEMO_SPEED = 5.0  # simulated seconds per real second: a 90 s act is 7.5 minutes of the floor's day
DEMO_DAY_START = 10.0  # the board first sees the floor at 10:00, site time...
DEMO_WARMUP_S = 3 * 3600.0  # ...with the day since 07:00 behind it, so one incident dents today's SL, not ruins it
DEMO_HEAD_COUNTS = {"support": 30}  # support staffed for its morning: the story is about sales


def demo_state_dir() -> Path:
    """Where the demo keeps its cache: ~/.local/state/wallboard-demo, or a temp folder if that is not writable."""
    preferred = Path.home() / ".local" / "state" / "wallboard-demo"
    try:
        preferred.mkdir(parents=True, exist_ok=True)
        if os.access(preferred, os.W_OK):
            return preferred
    except OSError:
        pass
    return Path(tempfile.gettempdir()) / f"wallboard-demo-{os.getuid()}"


def fresh_cache_dir() -> Path:
    """The demo's cache folder, emptied: every run starts from its own fresh state, never the last run's values."""
    folder = demo_state_dir() / "cache"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def demo_config(loaded: LoadedConfig, port: int, size: tuple[int, int] | None) -> LoadedConfig:
    """``loaded`` pointed at the embedded broker, with a fresh cache folder of the demo's own."""
    config = loaded.config
    mqtt = msgspec.structs.replace(config.mqtt, host="127.0.0.1", port=port, username=None, password_file=None,
                                   tls=None)  # fmt: skip
    cache = config.cache
    if cache.dir is None:
        cache = msgspec.structs.replace(cache, dir=str(fresh_cache_dir()))
    display = config.display
    if size is not None:
        display = msgspec.structs.replace(display, size=f"{size[0]}x{size[1]}")
    config = msgspec.structs.replace(config, mqtt=mqtt, cache=cache, display=display)
    return dataclasses.replace(loaded, config=config)


def has_screen() -> bool:
    """True where a window can open: a desktop session, unless SDL is told to draw offscreen."""
    if os.environ.get("SDL_VIDEODRIVER") == "offscreen":
        return False
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_demo(args: argparse.Namespace) -> int:
    """Run the demo until interrupted, the window is closed, or ``--duration`` passes."""

    loaded = load_config(args.config or DEMO_CONFIG)  # a ConfigError is reported by the CLI
    try:
        size = parse_size(args.size) if args.size else None
    except ValueError as exc:
        log.error("--size: %s", exc)
        return 2
    window = has_screen()
    shots: Path | None = Path(args.screenshots) if args.screenshots else None
    if not window:
        os.environ["SDL_VIDEODRIVER"] = "offscreen"
        shots = shots or Path(tempfile.gettempdir()) / "wallboard-demo"
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
        for old in shots.glob("[0-9][0-9]-*.png"):  # the last run's moments are not this run's
            old.unlink(missing_ok=True)

    stop = stop_on_signals()
    broker = EmbeddedBroker()
    port = broker.start()
    loaded = demo_config(loaded, port, size)
    config = loaded.config
    started = time.monotonic()

    def told(elapsed: float, step: StoryStep) -> None:
        print(f"demo {_clock(elapsed)} story: {step.caption}", flush=True)

    def kept(moment: str, path: Path) -> None:
        print(f"demo {_clock(time.monotonic() - started)} board: {moment} -> {path}", flush=True)

    # The floor from 10:00 site time at 5x, with the story's incident on sales in the first 90 s (app/demo/story.py).
    simulator = SimulatorPublisher("127.0.0.1", port, site=config.site.id, queues=_queues(loaded),
                                   prefix=config.mqtt.topic_prefix, timezone=config.site.timezone,
                                   speed=DEMO_SPEED, day_start=DEMO_DAY_START, warmup=DEMO_WARMUP_S,
                                   head_counts=DEMO_HEAD_COUNTS, seed=STORY_SEED, story=STORY,
                                   ack_topic=BoardTopics(config.site.id, config.board.id).ack,
                                   on_story=told)  # fmt: skip
    board: Board | None = None
    timer = threading.Timer(args.duration, stop.set) if args.duration > 0 else None
    try:
        # The board exactly as `wallboard run` builds it, plus a screenshot file where there is no window.
        def outputs(ports: BoardPorts) -> list[BoardOutput]:
            built = build_outputs(ports)
            display = find_display(built)
            if shots is not None and display is not None:
                built.append(MomentShots(display, shots, on_kept=kept))
                if not window:
                    built.append(SnapshotFile(display, shots / "wallboard-demo.png", every=args.screenshot_every))
            return built

        board = compose_board(loaded, outputs=outputs)
        simulator.start()
        print(f"demo: embedded broker on 127.0.0.1:{port}; simulator publishing site '{config.site.id}'", flush=True)
        if shots is not None and not window:
            print(f"demo: no display found, drawing offscreen; screenshots every {args.screenshot_every:g}s in "
                  f"{shots / 'wallboard-demo.png'}", flush=True)  # fmt: skip
        else:
            print("demo: board window open; close it or press Ctrl+C to stop", flush=True)
        if shots is not None:
            print(f"demo: the first frame of each state is kept in {shots} (01-normal.png ... 06-recovered.png)",
                  flush=True)  # fmt: skip
        print("demo: the story takes 90 s (normal, pending, warning, critical, acknowledged, recovered), then the "
              "floor runs on; Ctrl+C stops", flush=True)  # fmt: skip
        if timer is not None:
            timer.daemon = True
            timer.start()
        board.run(stop)  # closes the board (and writes the last screenshot) on the way out
        received = sum(1 for _ in board.state.metrics())
        display = find_display(board.outputs)
        frames = display.frames_drawn if display is not None else 0
        print(f"demo: board received {received} metrics over MQTT ({simulator.published} messages published); "
              f"{frames} frames drawn", flush=True)  # fmt: skip
        return 0
    finally:
        if timer is not None:
            timer.cancel()
        simulator.stop()
        broker.stop()


def _clock(seconds: float) -> str:
    """``75.2`` -> ``"1:15"``: the time into the demo, as the story's captions say it."""
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def _queues(loaded: LoadedConfig) -> list[str]:
    """The queue names the demo config's widgets and rules mention, so the simulator feeds them all."""
    config = loaded.config
    names: list[str] = []
    keys = [r.metric for r in config.rule] + [m.key for m in config.metric]
    for page in config.display.page:
        keys += [w.metric for w in page.widget if w.metric] + [f"{w.queue}.x" for w in page.widget if w.queue]
    for key in keys:
        queue = key.partition(".")[0]
        if queue not in names:
            names.append(queue)
    return names or ["sales"]
