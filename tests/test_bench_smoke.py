"""A smoke run of the benchmark harness: it starts mosquitto and the board, and reports the expected figures.

Not a performance test: the windows are far too short for the figures to mean
anything, and nothing here asserts a target. It shows that ``bench/`` still
drives the board end to end (broker, board process, frame log, publisher).
"""

from __future__ import annotations

from bench import benchmarks


def test_resting_and_latency_report_their_figures() -> None:
    """A few seconds of each produce every figure the results table expects."""
    resting = benchmarks.resting(ticker=True, rate=3.0, seconds=2.0, warmup=1.0)
    assert set(resting) >= {"cpu_pct_one_core", "cpu_s_per_min", "pss_mb", "pss_max_mb", "fps", "window_s"}
    assert resting["pss_mb"] > 0
    latency = benchmarks.latency(updates=20, rate=20.0, warmup=0.5)
    assert set(latency) >= {"updates_sent", "updates_seen", "p50_ms", "p99_ms", "max_ms"}
    assert latency["updates_seen"] > 0
