"""``python -m bench``: run the benchmarks, print a table of figures, write them as JSON.

``python -m bench all --out bench/results/latest.json`` runs everything but the
soak (``--soak-minutes 30`` adds it); each benchmark is also a sub-command.
``--runs N`` repeats the short benchmarks and reports medians; ``--quick`` is a
smoke run (seconds, not minutes) that shows the harness works, not how fast
the board is.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench import benchmarks
from bench.harness import machine

Figures = dict[str, float]


def _plans(quick: bool, soak_minutes: float) -> dict[str, Callable[[], Figures]]:
    """Each benchmark with its full or quick parameters."""
    q = quick
    return {
        # A 65 s warm-up: a board runs all day, so measure it after its first minute (the text cache
        # has filled and the chime mixer, idle for a minute, has let go of the audio device).
        "resting_ticker": lambda: benchmarks.resting(
            ticker=True, rate=3.0, seconds=6 if q else 60, warmup=2 if q else 65
        ),
        "resting_no_ticker": lambda: benchmarks.resting(
            ticker=False, rate=1.0, seconds=6 if q else 60, warmup=2 if q else 65
        ),
        # The board beside the hand-written reference board, headless and on the texture path (Xvfb).
        "versus": lambda: benchmarks.versus(
            seconds=4 if q else 30, warmup=2 if q else 30, reference_warmup=1 if q else 10
        ),
        "latency": lambda: benchmarks.latency(updates=60 if q else 1200, rate=20.0, warmup=1 if q else 5),
        "throughput": lambda: benchmarks.throughput(
            total=40_000 if q else 1_000_000,
            rate=20_000.0 if q else 40_000.0,
            publishers=2 if q else 4,
            queues=200 if q else 1000,
            timeout=10 if q else 120,
        ),
        "cold_start": lambda: benchmarks.cold_start(prefill_seconds=1 if q else 3),
        "draw_cost": lambda: _draw_cost(q),
        "soak": lambda: benchmarks.soak(
            minutes=0.3 if q else soak_minutes, rate=3.0, sample_every=2 if q else 10, progress=_progress
        ),
    }


def _draw_cost(quick: bool) -> Figures:
    return benchmarks.draw_cost(frames=10 if quick else 60)


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _median(runs: list[Figures]) -> Figures:
    keys = [k for k in runs[0] if all(k in r for r in runs)]
    return {k: round(statistics.median(r[k] for r in runs), 3) for k in keys}


def run(names: Sequence[str], *, quick: bool, runs: int, soak_minutes: float) -> dict[str, Any]:
    """Run ``names`` (``runs`` times each, the soak once) and return the results document."""
    plans = _plans(quick, soak_minutes)
    results: dict[str, Any] = {"machine": machine(), "quick": quick, "benchmarks": {}}
    for name in names:
        repeats = 1 if name == "soak" else runs
        done: list[Figures] = []
        for index in range(repeats):
            _progress(f"{name}: run {index + 1}/{repeats}")
            started = time.monotonic()
            done.append(plans[name]())
            _progress(f"{name}: {json.dumps(done[-1])} ({time.monotonic() - started:.0f}s)")
        if done and done[0]:
            results["benchmarks"][name] = {"runs": done, "median": _median(done), "run_count": repeats}
    return results


def table(results: dict[str, Any]) -> str:
    """The medians as a plain-text table."""
    lines = [f"{'benchmark':<20} {'figure':<26} {'median':>12}  runs"]
    for name, body in results["benchmarks"].items():
        for key, value in body["median"].items():
            lines.append(f"{name:<20} {key:<26} {value:>12g}  {body['run_count']}")
            name = ""
    return "\n".join(lines)


ALL = ("resting_ticker", "resting_no_ticker", "versus", "latency", "throughput", "cold_start", "draw_cost")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("benchmark", choices=[*ALL, "soak", "all"], help="which benchmark; all = every one but soak")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    parser.add_argument("--runs", type=int, default=3, help="repeats of each short benchmark (medians reported)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: seconds, not minutes")
    parser.add_argument("--soak-minutes", type=float, default=0.0, help="with all: also run the soak this long")
    args = parser.parse_args(argv)
    names = [args.benchmark]
    if args.benchmark == "all":
        names = list(ALL) + (["soak"] if args.soak_minutes > 0 else [])
    soak_minutes = args.soak_minutes or 30.0
    results = run(names, quick=args.quick, runs=1 if args.quick else args.runs, soak_minutes=soak_minutes)
    print(table(results))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n")
        print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
