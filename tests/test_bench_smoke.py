"""A smoke run of the benchmark harness: it starts mosquitto and the board, and reports the expected figures.

Not a performance test: the windows are far too short for the figures to mean
anything, and nothing here asserts a target. It shows that ``bench/`` still
drives the board end to end (broker, board process, frame log, publisher).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench import benchmarks
from bench.harness import VirtualScreen, texture_screen

ROOT = Path(__file__).resolve().parent.parent


def test_resting_and_latency_report_their_figures() -> None:
    """A few seconds of each produce every figure the results table expects."""
    resting = benchmarks.resting(ticker=True, rate=3.0, seconds=2.0, warmup=1.0)
    assert set(resting) >= {"cpu_pct_one_core", "cpu_s_per_min", "pss_mb", "pss_max_mb", "fps", "window_s"}
    assert resting["pss_mb"] > 0
    latency = benchmarks.latency(updates=20, rate=20.0, warmup=0.5)
    assert set(latency) >= {"updates_sent", "updates_seen", "p50_ms", "p99_ms", "max_ms"}
    assert latency["updates_seen"] > 0


def test_reference_board_and_texture_path_report_presents(tmp_path: Path) -> None:
    """The hand-written reference board runs headless, and the board runs on the texture path under Xvfb."""
    reference = benchmarks.resting(ticker=True, rate=3.0, seconds=2.0, warmup=1.0, reference=True)
    assert reference["presents_per_s"] > 0 and reference["uploaded_mb_per_s"] > 0
    with VirtualScreen(tmp_path / "xvfb") as xvfb:
        board = benchmarks.resting(ticker=True, rate=3.0, seconds=2.0, warmup=1.0, screen=texture_screen(xvfb.display))
    assert board["presents_per_s"] > 0 and board["uploaded_mb_per_s"] > 0 and board["fps"] > 0


def test_floor_reports_the_main_threads_cpu_with_and_without_the_board_s_parts() -> None:
    """bench/floor.py runs the whole board and the bare loop in process and reads their main thread's CPU.

    In a process of its own, as its command runs it: the board it builds opens SDL's audio, which would
    stay open in a test worker.
    """
    code = (
        "from bench import floor\n"
        "print(floor.board_main_thread_pct(0, seconds=1.5, warmup=0.5))\n"
        "print(floor.board_main_thread_pct(len(floor.STEPS) - 1, seconds=1.5, warmup=0.5))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    whole, bare = (float(line) for line in done.stdout.split())
    assert whole > 0 and bare > 0


def test_fleet_serve_reports_its_figures(tmp_path: Path) -> None:
    """A few seconds of the fleet page under 12 simulated boards: every figure is there and the cap holds."""
    from bench.fleet_serve import one_run

    figures = one_run(boards=12, seconds=12, viewers=1, interval_s=3, folder=tmp_path)
    assert figures["all_listed_s"] is not None and figures["all_listed_s"] < 12
    assert figures["offline_on_events_s"] is not None and figures["offline_on_events_s"] < 5
    assert figures["cpu_pct_median"] is not None and figures["rss_mb_max"] > 0
    assert 0 < figures["max_requests_per_board_minute"] <= 2
    assert figures["screenshots_held"] > 0
