"""``wallboard demo``: a live board on a fresh machine with nothing else installed.

Starts an embedded MQTT broker (amqtt) on a free loopback port, the simulator
publishing to it, and a board subscribed over MQTT exactly as in production,
drawing in a window where there is a display, or offscreen otherwise, writing
a screenshot every few seconds and saying where. Demo plumbing only: the
board itself is the ordinary ``device.app.Board``.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import signal
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType

import msgspec

from device.config import LoadedConfig, load_config
from device.errors import ConfigError

log = logging.getLogger(__name__)

DEMO_CONFIG = Path(__file__).resolve().parent.parent / "config" / "boards" / "demo.toml"


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


def demo_config(loaded: LoadedConfig, port: int, size: tuple[int, int] | None) -> LoadedConfig:
    """``loaded`` pointed at the embedded broker, with a cache folder of the demo's own."""
    config = loaded.config
    mqtt = msgspec.structs.replace(config.mqtt, host="127.0.0.1", port=port, username=None, password_file=None,
                                   tls=None)  # fmt: skip
    cache = config.cache
    if cache.dir is None:
        cache = msgspec.structs.replace(cache, dir=str(demo_state_dir()))
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
    from device.app import Board, StateLog
    from device.embedded_broker import EmbeddedBroker
    from device.simulator import SimulatorPublisher
    from display.settings import parse_size

    try:
        loaded = load_config(args.config or DEMO_CONFIG)
        size = parse_size(args.size) if args.size else None
    except ConfigError as exc:
        for problem in exc.problems:
            log.error("%s", problem)
        return 2
    except ValueError as exc:
        log.error("--size: %s", exc)
        return 2
    window = has_screen()
    shots: Path | None = None
    if not window:
        os.environ["SDL_VIDEODRIVER"] = "offscreen"
        shots = Path(args.screenshots) if args.screenshots else Path(tempfile.gettempdir()) / "wallboard-demo"
        shots.mkdir(parents=True, exist_ok=True)

    stop = threading.Event()

    def on_signal(number: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    broker = EmbeddedBroker()
    port = broker.start()
    loaded = demo_config(loaded, port, size)
    config = loaded.config
    simulator = SimulatorPublisher("127.0.0.1", port, site=config.site.id, queues=_queues(loaded),
                                   prefix=config.mqtt.topic_prefix)  # fmt: skip
    board: Board | None = None
    try:
        from display.screen import DisplayOutput

        board = Board(loaded)
        display = DisplayOutput(config)
        board.outputs.extend([display, StateLog()])
        simulator.start()
        print(f"demo: embedded broker on 127.0.0.1:{port}; simulator publishing site '{config.site.id}'", flush=True)
        if shots is not None:
            print(f"demo: no display found, drawing offscreen; screenshots every {args.screenshot_every:g}s in "
                  f"{shots / 'wallboard-demo.png'}", flush=True)  # fmt: skip
        else:
            print("demo: board window open; close it or press Ctrl+C to stop", flush=True)
        board.start()
        deadline = time.monotonic() + args.duration if args.duration > 0 else None
        next_shot = time.monotonic() + 1.0
        while not stop.is_set() and not display.quit_requested:
            budget = board.step()
            now = time.monotonic()
            if shots is not None and now >= next_shot:
                _write_screenshot(display, shots / "wallboard-demo.png")
                next_shot = now + args.screenshot_every
            if deadline is not None and now >= deadline:
                break
            board.handoff.wait(max(0.0, min(budget, next_shot - now if shots is not None else budget)))
        if shots is not None:
            _write_screenshot(display, shots / "wallboard-demo.png")
        received = sum(1 for _ in board.state.metrics())
        print(f"demo: board received {received} metrics over MQTT ({simulator.published} messages published); "
              f"{display.frames_drawn} frames drawn", flush=True)  # fmt: skip
        return 0
    finally:
        if board is not None:
            board.close()
        simulator.stop()
        broker.stop()


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


def _write_screenshot(display: object, path: Path) -> None:
    from display.screen import DisplayOutput

    assert isinstance(display, DisplayOutput)
    temporary = path.with_suffix(".tmp.png")
    display.save_snapshot(temporary)
    temporary.replace(path)  # a viewer never sees a half-written file
