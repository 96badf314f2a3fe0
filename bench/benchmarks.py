"""The benchmarks themselves: each runs a broker and the board as its own process and returns figures.

Each function takes its durations and counts as arguments (``bench/__main__.py``
picks full or ``--quick`` values), works in a fresh temporary folder, and
returns a flat dict of figures (numbers, named with their unit). They print
nothing and assert nothing: benchmarks measure, they do not pass or fail.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.harness import (
    HEADLESS,
    REPO_DIR,
    BenchError,
    BoardProcess,
    Broker,
    FrameLogReader,
    Tally,
    Usage,
    UsageSample,
    VirtualScreen,
    board_config,
    cpu_percent,
    free_port,
    percentile,
    texture_screen,
)
from bench.load import TILE_FIELDS, TILE_QUEUES, announce, steady

PREFIX = "cc/bench"
TILES = len(TILE_QUEUES) * len(TILE_FIELDS)
ANNOUNCEMENT = "Team huddle at 14:00 in room 2 - new holiday rota is on the intranet - well done on yesterday's 92% SL"
MB = 2**20

Figures = dict[str, float]


def _folder() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="wallboard-bench-")


def _start(base: str, folder: Path, port: int, *, ticker: bool, screen: dict[str, str] | None = None,
           reference: bool = False) -> tuple[BoardProcess, FrameLogReader]:  # fmt: skip
    if reference:
        command = [sys.executable, "-m", "bench.reference_board", "--port", str(port), "--prefix", PREFIX]
        board = BoardProcess(None, folder, screen=screen, command=command + ([] if ticker else ["--no-ticker"]))
    else:
        board = BoardProcess(board_config(base, folder, port), folder, screen=screen)
    board.start()
    frames = FrameLogReader(board.frame_log)
    try:
        frames.wait_for("frame", board, timeout=30)
    except BaseException:
        board.stop()
        raise
    return board, frames


def _frame_rate(tallies: list[Tally], since: float, until: float) -> list[float]:
    """Frames per second between consecutive tallies inside [since, until]."""
    inside = [t for t in tallies if since <= t.at <= until]
    return [(b.frames - a.frames) / (b.at - a.at) for a, b in itertools.pairwise(inside) if b.at > a.at]


def resting(*, ticker: bool, rate: float, seconds: float, warmup: float, screen: dict[str, str] | None = None,
            reference: bool = False, base: str = "standard") -> Figures:  # fmt: skip
    """CPU and PSS of the board at rest: ``rate`` tile updates per second, with or without the ticker.

    ``screen`` chooses where it draws (``harness.HEADLESS`` by default, or ``harness.texture_screen``);
    ``reference`` measures the hand-written ``bench/reference_board.py`` instead of the board; ``base``
    names the board's config in ``bench/configs`` (``plain``: the same board without its rules), to which
    ``-no-ticker`` is added without the ticker.
    """
    base = base if ticker else f"{base}-no-ticker"
    with _folder() as tmp, Broker(Path(tmp) / "broker") as broker:
        if ticker:
            announce(broker.port, PREFIX, ANNOUNCEMENT)
        board, frames = _start(base, Path(tmp), broker.port, ticker=ticker, screen=screen, reference=reference)
        try:
            usage = Usage(board.pid)
            steady(broker.port, PREFIX, rate, warmup, seed=2)
            first = usage.sample()
            wall0 = time.time()
            pss: list[int] = []
            samples: list[UsageSample] = [first]

            # The publisher runs in this process; sample memory every few seconds between sends.
            def sample_now() -> None:
                samples.append(usage.sample())
                pss.append(samples[-1].pss_bytes)

            _steady_with(broker.port, rate, seconds, every=5.0, callback=sample_now)
            last = usage.sample()
            frames.poll()
            board.check_alive()
            wall1 = time.time()
            fps = _frame_rate(frames.tallies, wall0, wall1)
        finally:
            board.stop()
    pss.append(last.pss_bytes)
    cpu = cpu_percent(first, last)
    inside = [t for t in frames.tallies if wall0 <= t.at <= wall1]
    a, b = (inside[0], inside[-1]) if len(inside) >= 2 else (frames.tallies[0], frames.tallies[-1])
    span = max(1e-3, b.at - a.at)
    frames_per_s = (b.frames - a.frames) / span
    return {
        "cpu_pct_one_core": round(cpu, 3),
        "cpu_s_per_min": round(cpu * 60 / 100, 3),
        "pss_mb": round(statistics.median(pss) / MB, 2),
        "pss_max_mb": round(max(pss) / MB, 2),
        "rss_mb": round(last.rss_bytes / MB, 2),
        "fps": round(statistics.median(fps), 2) if fps else 0.0,
        "presents_per_s": round((b.presents - a.presents) / span, 2),
        "uploaded_mb_per_s": round((b.uploaded - a.uploaded) / span / MB, 3),
        "cpu_ms_per_frame": round(10.0 * cpu / frames_per_s, 3) if frames_per_s > 0 else 0.0,
        "main_wakeups_per_s": round((last.main_wakeups - first.main_wakeups) / max(1e-3, last.at - first.at), 2),
        "window_s": round(last.at - first.at, 1),
    }


# What ``versus`` measures: (name, board config, ticker, tile updates a second, on the texture path). The
# ``plain`` board is the standard one without its 12 rules (no severities, holds or countdowns: what the
# reference draws); it is measured against the same reference figures, so the ratios split the board's cost.
VERSUS = (("headless_ticker", "standard", True, 3.0, False), ("headless_still", "standard", False, 1.0, False),
          ("texture_ticker", "standard", True, 3.0, True), ("plain_ticker", "plain", True, 3.0, False),
          ("plain_still", "plain", False, 1.0, False))  # fmt: skip
VERSUS_FIGURES = ("cpu_pct_one_core", "fps", "pss_mb", "presents_per_s", "uploaded_mb_per_s", "cpu_ms_per_frame",
                  "main_wakeups_per_s")  # fmt: skip


def versus(*, seconds: float, warmup: float, reference_warmup: float) -> Figures:
    """The board and the hand-written reference board, one after the other under the same load, and their ratios.

    For each configuration of ``VERSUS`` (headless with and without the ticker, the texture path
    with the ticker under Xvfb, and the board without its rules headless) both are measured as
    ``resting`` measures, and every figure is reported as ``<config>_board_<figure>``,
    ``<config>_reference_<figure>`` and ``<config>_ratio_<figure>`` (board / reference, from this same
    run). The reference is measured once per load and screen, right after the first board under it.
    """
    figures: Figures = {}
    references: dict[tuple[bool, float, bool], Figures] = {}
    with _folder() as tmp, VirtualScreen(Path(tmp) / "xvfb") as xvfb:
        for name, base, ticker, rate, texture in VERSUS:
            screen = texture_screen(xvfb.display) if texture else HEADLESS
            board = resting(ticker=ticker, rate=rate, seconds=seconds, warmup=warmup, screen=screen, base=base)
            load = (ticker, rate, texture)
            if load not in references:
                references[load] = resting(ticker=ticker, rate=rate, seconds=seconds, warmup=reference_warmup,
                                           screen=screen, reference=True)  # fmt: skip
            reference = references[load]
            for figure in VERSUS_FIGURES:
                figures[f"{name}_board_{figure}"] = board[figure]
                figures[f"{name}_reference_{figure}"] = reference[figure]
                if reference[figure]:
                    figures[f"{name}_ratio_{figure}"] = round(board[figure] / reference[figure], 3)
    return figures


def _steady_with(port: int, rate: float, seconds: float, *, every: float, callback: Callable[[], None]) -> None:
    """Publish tile updates at ``rate`` for ``seconds`` in slices of ``every`` seconds, calling back between."""
    end = time.monotonic() + seconds
    seed = 10
    while (left := end - time.monotonic()) > 0.05:
        if left < 1.0:  # too short a slice for a publisher: just wait it out (no burst of samples at the end)
            time.sleep(left)
            callback()
            break
        steady(port, PREFIX, rate, min(every, left), seed=seed)
        seed += 1
        callback()


def latency(*, updates: int, rate: float, warmup: float) -> Figures:
    """Message-to-screen latency: publisher's send (the payload's ts) to the end of the frame that shows it."""
    with _folder() as tmp, Broker(Path(tmp) / "broker") as broker:
        announce(broker.port, PREFIX, ANNOUNCEMENT)
        board, frames = _start("standard", Path(tmp), broker.port, ticker=True)
        try:
            steady(broker.port, PREFIX, 4.0, warmup, seed=3)
            sent = steady(broker.port, PREFIX, rate, updates / rate, seed=4)
            time.sleep(1.0)
            frames.poll()
            board.check_alive()
        finally:
            board.stop()
    shown = {(s.metric, round(s.measured_at, 6)): s.frame_at for s in frames.shown}
    delays = [1000.0 * (shown[key] - at) for at, metric in sent if (key := (metric, round(at, 6))) in shown]
    if not delays:
        raise BenchError("no published value was seen on a frame")
    return {
        "updates_sent": len(sent),
        "updates_seen": len(delays),
        "p50_ms": round(percentile(delays, 0.50), 2),
        "p99_ms": round(percentile(delays, 0.99), 2),
        "max_ms": round(max(delays), 2),
    }


def throughput(*, total: int, rate: float, publishers: int, queues: int, timeout: float) -> Figures:
    """Messages per second the board absorbs from ``publishers`` flooding ``queues`` topics, with fps and PSS."""
    with _folder() as tmp, Broker(Path(tmp) / "broker") as broker:
        announce(broker.port, PREFIX, ANNOUNCEMENT)
        board, frames = _start("standard", Path(tmp), broker.port, ticker=True)
        try:
            usage = Usage(board.pid)
            time.sleep(2.0)
            before = usage.sample()
            frames.poll()
            start_tally = frames.tallies[-1]
            per = total // publishers
            per_queues = max(1, queues // publishers)
            command = [sys.executable, "-m", "bench.load", "flood", "--port", str(broker.port), "--prefix", PREFIX]
            flood_started = time.time()
            floods = []
            for i in range(publishers):
                shard = ["--count", str(per), "--rate", str(rate / publishers), "--queues", str(per_queues)]
                shard += ["--first-queue", str(i * per_queues), "--seconds", str(timeout)]
                floods.append(subprocess.Popen([*command, *shard], stdout=subprocess.PIPE, cwd=REPO_DIR))
            pss: list[int] = []
            cpu: list[UsageSample] = [before]
            deadline = time.monotonic() + timeout + 15
            while any(f.poll() is None for f in floods) and time.monotonic() < deadline:
                time.sleep(1.0)
                cpu.append(usage.sample())
                pss.append(cpu[-1].pss_bytes)
                board.check_alive()
            sent = 0
            for f in floods:
                out, _ = f.communicate(timeout=30)
                sent += json.loads(out or b'{"sent": 0}')["sent"]
            flood_ended = time.time()
            # Let the board finish what the broker still holds for it, then read the tallies.
            settle_deadline = time.monotonic() + 20
            last_absorbed = -1
            while time.monotonic() < settle_deadline:
                time.sleep(1.0)
                frames.poll()
                absorbed = frames.tallies[-1].absorbed
                if absorbed == last_absorbed:
                    break
                last_absorbed = absorbed
            after = usage.sample()
            board.check_alive()
        finally:
            board.stop()
    tallies = [t for t in frames.tallies if t.at >= start_tally.at]
    absorbed = tallies[-1].absorbed - start_tally.absorbed
    # The tally by which everything had arrived (within the tally interval of 0.5 s).
    busy_end = next(t.at for t in tallies if t.absorbed == tallies[-1].absorbed)
    duration = max(1e-3, busy_end - flood_started)
    fps = _frame_rate(frames.tallies, flood_started, busy_end)
    return {
        "messages_sent": sent,
        "messages_absorbed": absorbed,
        "offered_msg_per_s": round(sent / max(1e-3, flood_ended - flood_started)),
        "absorbed_msg_per_s": round(absorbed / duration),
        "fps_median": round(statistics.median(fps), 1) if fps else 0.0,
        "fps_p5": round(percentile(fps, 0.05), 1) if fps else 0.0,
        "board_cpu_pct_one_core": round(cpu_percent(before, cpu[-1]), 1),
        "pss_before_mb": round(before.pss_bytes / MB, 2),
        "pss_peak_mb": round(max(pss, default=before.pss_bytes) / MB, 2),
        "pss_after_mb": round(after.pss_bytes / MB, 2),
        "dropped": tallies[-1].dropped - start_tally.dropped,
        "metrics_held": tallies[-1].metrics,
    }


def cold_start(*, prefill_seconds: float) -> Figures:
    """Process start to the first frame drawn from the cache, with no broker reachable."""
    with _folder() as tmp:
        folder = Path(tmp)
        with Broker(folder / "broker") as broker:
            announce(broker.port, PREFIX, ANNOUNCEMENT)
            board, frames = _start("standard", folder, broker.port, ticker=True)
            try:
                for index in range(TILES):  # every tile gets a value, then some more traffic
                    steady_one(broker.port, index)
                steady(broker.port, PREFIX, 5.0, prefill_seconds, seed=5)
                frames.wait_for(f"metrics:{TILES}", board, timeout=30)
            finally:
                board.stop()  # SIGTERM flushes the cache
        # Nothing listens on this port: the board starts blind, from its cache.
        config = board_config("standard", folder, free_port())
        board = BoardProcess(config, folder)
        board.start()
        frames = FrameLogReader(board.frame_log)
        try:
            frames.wait_for("frame", board, timeout=30)
        finally:
            board.stop()
    first = frames.tallies[0]
    on_first = {s.metric for s in frames.shown if s.frame_at <= first.at}
    return {
        "first_frame_s": round(first.at - board.started_at, 3),
        "values_on_first_frame": len(on_first),
        "tiles": TILES,
    }


def steady_one(port: int, index: int) -> None:
    """Publish one update to tile ``index``."""
    import random

    from bench.load import RawPublisher, tile_message

    with RawPublisher(port, f"bench-one-{index}") as publisher:
        topic, payload, _ = tile_message(PREFIX, index, random.Random(index), time.time())
        publisher.publish(topic, payload)


def soak(*, minutes: float, rate: float, sample_every: float, progress: Callable[[str], None] | None = None) -> Figures:
    """Memory and CPU of the board over ``minutes`` of steady updates with the ticker; drift first to last."""
    with _folder() as tmp, Broker(Path(tmp) / "broker") as broker:
        announce(broker.port, PREFIX, ANNOUNCEMENT)
        board, _frames = _start("standard", Path(tmp), broker.port, ticker=True)
        try:
            usage = Usage(board.pid)
            steady(broker.port, PREFIX, rate, min(30.0, minutes * 6), seed=6)  # warm-up
            samples = [usage.sample()]

            def sample_now() -> None:
                samples.append(usage.sample())
                board.check_alive()
                if progress is not None and len(samples) % 30 == 0:
                    s = samples[-1]
                    progress(f"soak: {(s.at - samples[0].at) / 60:.1f} min, PSS {s.pss_bytes / MB:.2f} MB")

            _steady_with(broker.port, rate, minutes * 60, every=sample_every, callback=sample_now)
        finally:
            board.stop()
    span = samples[-1].at - samples[0].at
    # The first and last tenth of the run, by time (at least two samples each).
    head = [s for s in samples if s.at <= samples[0].at + span / 10] or samples[:2]
    tail = [s for s in samples if s.at >= samples[-1].at - span / 10] or samples[-2:]
    head, tail = (head if len(head) >= 2 else samples[:2]), (tail if len(tail) >= 2 else samples[-2:])
    pss_head = statistics.median(s.pss_bytes for s in head)
    pss_tail = statistics.median(s.pss_bytes for s in tail)
    return {
        "minutes": round(span / 60, 1),
        "pss_start_mb": round(pss_head / MB, 2),
        "pss_end_mb": round(pss_tail / MB, 2),
        "pss_growth_mb": round((pss_tail - pss_head) / MB, 2),
        "pss_max_mb": round(max(s.pss_bytes for s in samples) / MB, 2),
        "cpu_pct_first_tenth": round(cpu_percent(head[0], head[-1]), 3),
        "cpu_pct_last_tenth": round(cpu_percent(tail[0], tail[-1]), 3),
        "cpu_pct_overall": round(cpu_percent(samples[0], samples[-1]), 3),
    }


_DRAW_LINE = re.compile(
    r"(?P<size>\w+): full frame median\s+(?P<full>[\d.]+) ms.*?one tile changed median\s+(?P<tile>[\d.]+) ms"
    r".*?ticker step median\s+(?P<ticker>[\d.]+) ms"
)


def draw_cost(*, frames: int) -> Figures:
    """Per-frame paint time at 720p, 1080p and 4K, from the display's own ``bench/draw_cost.py`` (run as is).

    It paints ``config/boards/floor1.toml`` with the shipped sample data offscreen, in its own process
    (it imports pygame), and prints medians; we parse them. Empty if that script is absent.
    """
    script = REPO_DIR / "bench" / "draw_cost.py"
    if not script.exists():
        return {}
    env = {"SDL_VIDEODRIVER": "offscreen", "SDL_FRAMEBUFFER_ACCELERATION": "0", "PYGAME_HIDE_SUPPORT_PROMPT": "1"}
    done = subprocess.run(
        [sys.executable, str(script), "--frames", str(frames)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO_DIR,
        env={**os.environ, **env, "PYTHONPATH": str(REPO_DIR)},
    )
    figures: Figures = {}
    for match in _DRAW_LINE.finditer(done.stdout):
        size = match["size"].lower()
        for part in ("full", "tile", "ticker"):
            figures[f"{size}_{part}_ms"] = float(match[part])
    if not figures:
        raise BenchError(f"bench/draw_cost.py printed no figures:\n{done.stdout[-1000:]}\n{done.stderr[-2000:]}")
    return figures
