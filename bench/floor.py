"""Where a still board's CPU goes: its main thread with parts taken away one at a time, beside the reference's.

Prints figures; not a pass/fail test. The board runs in this process (``FakeSource``: no broker, no paho
thread, so only the main thread's own work is counted, by ``time.thread_time``), headless, from
``bench/configs/plain-no-ticker.toml`` (12 tiles without rules, a clock, the status strip: what the
hand-written reference draws, plus the board's furniture), with one tile update a second from a
publishing thread and the loop sleeping between passes as ``Board.run`` does. Each step takes one more
part away from the one before:

    board             everything a production board builds (``compose_board``)
    - strip, clock    the status strip and the clock widget (config)
    - cache writes    the SQLite cache's stage and flush
    - other outputs   signals, state log, screenshot responder, health, systemd: the screen only
    - painting        the screen output draws nothing (its pump, schedule and present checks remain)
    - screen          no outputs: the loop alone (hand-off, state, rules, the view, the sleep)

The reference board (``bench/reference_board.py``) runs as its own process against a real mosquitto under
the same load, and its main thread's CPU is read from ``/proc`` (psutil's per-thread times), so both figures
are of the main thread alone. Run::

    .venv/bin/python -m bench.floor --runs 3 --seconds 30
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import msgspec
import psutil

from bench.benchmarks import PREFIX, _start
from bench.harness import HEADLESS, Broker, board_config
from bench.load import TILE_FIELDS, TILE_QUEUES, steady, tile_message

STEPS = ("board", "- strip, clock", "- cache writes", "- other outputs", "- painting", "- screen")


def _no_stage(key: str, value: object, history_point: object = None) -> None:
    return None


def _no_flush(force: bool = False) -> bool:
    return False


def board_main_thread_pct(cut: int, seconds: float, warmup: float) -> float:
    """Main-thread CPU (% of one core) of the plain still board in process, with the first ``cut`` steps taken.

    Draws where ``$SDL_VIDEODRIVER`` says (``main`` sets the headless driver ``bench versus`` uses).
    """
    from wallboard.app.loop.compose import BoardPorts, build_outputs, compose_board
    from wallboard.device.config.reading import LoadedConfig, load_config
    from wallboard.device.core.values import LinkStatus
    from wallboard.device.core.view import BoardOutput
    from wallboard.device.edge.source import FakeSource
    from wallboard.display.draw.painter import PaintResult

    with tempfile.TemporaryDirectory(prefix="wallboard-floor-") as tmp:
        loaded = load_config(board_config("plain-no-ticker", Path(tmp), 1))
        config = loaded.config
        if cut >= 1:
            pages = [msgspec.structs.replace(p, widget=[w for w in p.widget if w.type != "clock"])
                     for p in config.display.page]  # fmt: skip
            display = msgspec.structs.replace(config.display, status_strip=False, page=pages)
            config = msgspec.structs.replace(config, display=display)
            loaded = LoadedConfig(config, loaded.path, loaded.files, loaded.checksum, loaded.text)
        source = FakeSource()

        def outputs(ports: BoardPorts) -> list[BoardOutput]:
            built = build_outputs(ports)
            if cut >= 3:
                built = built[:1]
            if cut >= 4:
                built[0].painter.paint = lambda view, surface, **kw: PaintResult()  # type: ignore[attr-defined]
            return [] if cut >= 5 else built

        board = compose_board(loaded, source=source, outputs=outputs)
        board.start()
        if cut >= 2:
            board.cache.stage = _no_stage  # type: ignore[method-assign]
            board.cache.flush = _no_flush  # type: ignore[method-assign]
        source.link(LinkStatus.UP)
        stop = threading.Event()
        rng = random.Random(2)

        def publish() -> None:
            tiles = len(TILE_QUEUES) * len(TILE_FIELDS)
            while not stop.wait(1.0):
                topic, payload, _ = tile_message(PREFIX, rng.randrange(tiles), rng, time.time())
                source.deliver(topic, payload)

        publisher = threading.Thread(target=publish, daemon=True)
        publisher.start()

        def run_for(span: float) -> None:
            end = time.monotonic() + span
            while time.monotonic() < end:
                budget = board.step()
                if 0 < budget <= 1 / 30:
                    time.sleep(budget)
                elif budget > 0:
                    board.handoff.wait(budget)

        try:
            run_for(warmup)
            cpu0, wall0 = time.thread_time(), time.monotonic()
            run_for(seconds)
            cpu1, wall1 = time.thread_time(), time.monotonic()
        finally:
            stop.set()
            publisher.join(timeout=5)
            board.close()
    return 100.0 * (cpu1 - cpu0) / (wall1 - wall0)


def reference_main_thread_pct(seconds: float, warmup: float) -> float:
    """Main-thread CPU of the hand-written reference board (its own process, a real broker, 1 update a second)."""
    with tempfile.TemporaryDirectory(prefix="wallboard-floor-") as tmp, Broker(Path(tmp) / "broker") as broker:
        board, _ = _start("plain", Path(tmp), broker.port, ticker=False, screen=HEADLESS, reference=True)
        try:
            process = psutil.Process(board.pid)

            def main_cpu() -> float:
                thread = next(t for t in process.threads() if t.id == board.pid)
                return float(thread.user_time + thread.system_time)

            steady(broker.port, PREFIX, 1.0, warmup, seed=2)
            cpu0, wall0 = main_cpu(), time.monotonic()
            steady(broker.port, PREFIX, 1.0, seconds, seed=3)
            cpu1, wall1 = main_cpu(), time.monotonic()
        finally:
            board.stop()
    return 100.0 * (cpu1 - cpu0) / (wall1 - wall0)


def _median(measure: Callable[[], float], runs: int) -> tuple[float, list[float]]:
    figures = [round(measure(), 3) for _ in range(runs)]
    return round(statistics.median(figures), 3), figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each step (medians reported)")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured window of each run")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds run before each window")
    args = parser.parse_args()
    for name, value in HEADLESS.items():  # the board drawn headless, as ``bench versus`` draws it
        os.environ.setdefault(name, value)
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    print(f"main-thread CPU, % of one core (median of {args.runs} runs of {args.seconds:g} s; 1 tile update a second)")
    for cut, step in enumerate(STEPS):
        median, figures = _median(partial(board_main_thread_pct, cut, args.seconds, args.warmup), args.runs)
        print(f"  {step:18s} {median:6.3f} %   runs {figures}", flush=True)
    # /proc counts whole ticks (10 ms): a window of at least a minute reads the reference to 0.017 %.
    window = max(args.seconds, 60.0)
    median, figures = _median(lambda: reference_main_thread_pct(window, args.warmup), args.runs)
    print(f"  {'reference board':18s} {median:6.3f} %   runs {figures} (its own process, {window:g} s windows)")


if __name__ == "__main__":
    main()
