"""What an Asterisk feed costs: poll latency, event counting rate and the feed process's memory.

``python -m bench.feed_cost`` runs a loopback AMI server (``tests/fake_ami.py``, the
real protocol) with 10 queues of 30 members and 20 waiting callers each, then:

- polls it 200 times through the adapter (QueueSummary + QueueStatus, ~1,000 events a
  poll) and prints the poll time's median and 99th percentile;
- sends 5,000 queue events and prints how many a second the feed counts into its
  SQLite day counters (WAL, one transaction per event);
- runs ``wallboard feed asterisk --dry-run`` as its own process for 10 s and prints its
  CPU and resident memory.

Figures, not pass/fail: run it on an idle machine.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from tests.ami_thread import AmiThread
from tests.fake_ami import FakeAmi, Member, Queue
from tests.feed_helpers import make_context
from wallboard.feeds.asterisk import AsteriskAdapter, AsteriskSection


def _pbx() -> FakeAmi:
    ami = FakeAmi()
    for q in range(10):
        name = f"q{q}"
        members = [Member(f"agent-{q}-{m}", status=1 + (m % 3), paused=m % 7 == 0) for m in range(30)]
        ami.queues[name] = Queue(name, members=members, waits=list(range(5, 105, 5)))
    return ami


def measure(polls: int = 200, events: int = 5000, process_seconds: float = 10.0) -> dict[str, float]:
    ami = _pbx()
    server = AmiThread(ami)
    figures: dict[str, float] = {}
    try:
        with tempfile.TemporaryDirectory() as folder:
            ctx = make_context(Path(folder), time.time)  # type: ignore[arg-type]

            async def in_process() -> None:
                adapter = AsteriskAdapter(
                    AsteriskSection(port=ami.port, username="wallboard", secret_file="-"), "s3cret", ctx
                )
                await adapter.connect()
                times = []
                for _ in range(polls):
                    start = time.perf_counter()
                    await adapter.poll()
                    times.append(time.perf_counter() - start)
                figures["poll_p50_ms"] = statistics.median(times) * 1000
                figures["poll_p99_ms"] = sorted(times)[int(len(times) * 0.99) - 1] * 1000
                await adapter.close()

            asyncio.run(in_process())
            start = time.perf_counter()
            for n in range(events):
                ctx.counters.add("q0", {"offered": 1}, time.time(), key=f"join:q0:{n}")
            figures["events_counted_per_s"] = events / (time.perf_counter() - start)

            secret = Path(folder) / "secret"
            secret.write_text("s3cret\n")
            secret.chmod(0o600)
            config = Path(folder) / "feed.toml"
            config.write_text(
                f'[feed]\nsite = "bench"\ntime_zone = "Europe/London"\nstate_dir = "{folder}/state"\n'
                f'poll_interval_s = 1\n[asterisk]\nport = {ami.port}\nusername = "wallboard"\nsecret_file = "secret"\n'
            )
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "wallboard.app.cli",
                    "feed",
                    "asterisk",
                    "--config",
                    str(config),
                    "--dry-run",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            watched = psutil.Process(process.pid)
            time.sleep(3.0)  # past the imports
            before = watched.cpu_times()
            time.sleep(process_seconds)
            after = watched.cpu_times()
            figures["process_cpu_pct_one_core"] = (
                100.0 * ((after.user - before.user) + (after.system - before.system)) / process_seconds
            )
            figures["process_rss_mb"] = watched.memory_info().rss / 1e6
            process.terminate()
            process.wait(20)
    finally:
        server.close()
    return figures


if __name__ == "__main__":
    print(json.dumps({name: round(value, 2) for name, value in measure().items()}, indent=2))
