"""The fleet page under a fleet: ``wallboard fleet --serve`` with N simulated boards on one mosquitto (issue 25).

Starts a real mosquitto on loopback, ``bench.fleet_load`` impersonating the boards (retained statuses on a
spread schedule, screenshots answered with real board pictures), and the server as its own process, with
live pages connected (``--viewers``, reading ``/events`` as a browser does). Measured per run:

- when every board is listed in ``/api/boards`` (one status interval: retained statuses arrive at once, the
  rest as the boards publish);
- the server's CPU (% of one core, per 5 s window: median and max) and memory (RSS and PSS at start, max, end,
  and the trend over the second half: bounded means flat);
- ``GET /api/boards`` and ``GET /`` latency, one each a second (median and p95);
- a board made offline (its will) until the viewers' ``/events`` stream carries its card offline;
- screenshot requests per board in any minute (the load counts them; the cap is ``--shots-per-minute``) and
  the screenshots the server holds.

``.venv/bin/python -m bench.fleet_serve --boards 500 --minutes 2 --runs 3 --out bench/results/fleet.json``
prints a table of medians over the runs. Every connection is to 127.0.0.1; every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.fleet_load import LoadFleet
from bench.harness import Broker, free_port, percentile, wait_for_port

WALLBOARD = Path(sys.executable).with_name("wallboard")
_WINDOW_S = 5.0


class Viewer(threading.Thread):
    """One open page: reads ``/events`` and notes when a card it waits for turns offline."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.watch: str | None = None
        self.offline_seen_at: float | None = None
        self.events = 0
        self.bytes = 0
        self._stop = threading.Event()

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                with httpx.stream("GET", self.url + "events", timeout=30) as stream:
                    for line in stream.iter_lines():
                        if self._stop.is_set():
                            return
                        self.bytes += len(line) + 1
                        if line.startswith("data: "):
                            self.events += 1
                            self._look(json.loads(line[6:]))
            except httpx.HTTPError:
                time.sleep(0.5)

    def _look(self, data: dict[str, Any]) -> None:
        if self.watch is None or self.offline_seen_at is not None:
            return
        for card in data.get("cards", data.get("boards", [])):
            if card.get("id") == self.watch and card.get("online") is False:
                self.offline_seen_at = time.monotonic()

    def stop(self) -> None:
        self._stop.set()


def one_run(boards: int, seconds: float, viewers: int, interval_s: float, folder: Path) -> dict[str, Any]:
    """Start it all, measure for ``seconds``, stop it all; the figures of this run."""
    with Broker(folder) as broker:
        load = LoadFleet("127.0.0.1", broker.port, boards=boards, interval_s=interval_s)
        load.start()
        port = free_port()
        log = (folder / "server.log").open("wb")
        started = time.monotonic()
        command = [str(WALLBOARD), "fleet", "--broker", f"127.0.0.1:{broker.port}", "--serve"]
        command += ["--listen", f"127.0.0.1:{port}", "--max-viewers", str(max(20, viewers + 2))]
        server = subprocess.Popen(command, stdout=log, stderr=log)
        pages: list[Viewer] = []
        try:
            wait_for_port(port, 30)
            base = f"http://127.0.0.1:{port}/"
            process = psutil.Process(server.pid)
            pages = [Viewer(base) for _ in range(viewers)]
            for page in pages:
                page.start()
            watched = "site01/board007"
            all_listed = offline_at = None
            api_ms: list[float] = []
            page_ms: list[float] = []
            cpu: list[float] = []
            memory: list[tuple[float, int, int]] = []  # (seconds since start, rss, pss)
            window = (time.monotonic(), sum(process.cpu_times()[:2]))
            end = started + seconds
            with httpx.Client(timeout=10) as client:
                while time.monotonic() < end:
                    tick = time.monotonic()
                    listed = len(client.get(base + "api/boards").json()["boards"])
                    api_ms.append(1000 * (time.monotonic() - tick))
                    tick = time.monotonic()
                    client.get(base)
                    page_ms.append(1000 * (time.monotonic() - tick))
                    if all_listed is None and listed >= boards:
                        all_listed = time.monotonic() - started
                    if offline_at is None and all_listed is not None and time.monotonic() - started > seconds / 2:
                        for page in pages:
                            page.watch = watched
                        load.set_offline(watched)
                        offline_at = time.monotonic()
                    info = process.memory_full_info()
                    memory.append((time.monotonic() - started, info.rss, info.pss))
                    now = (time.monotonic(), sum(process.cpu_times()[:2]))
                    if now[0] - window[0] >= _WINDOW_S:
                        cpu.append(100 * (now[1] - window[1]) / (now[0] - window[0]))
                        window = now
                    time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))
                health = client.get(base + "healthz").json()
        finally:
            for page in pages:
                page.stop()
            server.terminate()
            server.wait(10)
            load.stop()
    seen = [page.offline_seen_at for page in pages if page.offline_seen_at is not None]
    half = [m for m in memory if m[0] >= seconds / 2]
    return {
        "boards": boards,
        "seconds": seconds,
        "viewers": viewers,
        "all_listed_s": all_listed,
        "cpu_pct_median": statistics.median(cpu) if cpu else None,
        "cpu_pct_max": max(cpu) if cpu else None,
        "rss_mb_start": memory[0][1] / 2**20,
        "rss_mb_max": max(m[1] for m in memory) / 2**20,
        "rss_mb_end": memory[-1][1] / 2**20,
        "pss_mb_end": memory[-1][2] / 2**20,
        "rss_mb_second_half_growth": (half[-1][1] - half[0][1]) / 2**20 if len(half) > 1 else None,
        "api_boards_ms_p50": percentile(api_ms, 0.5),
        "api_boards_ms_p95": percentile(api_ms, 0.95),
        "page_ms_p50": percentile(page_ms, 0.5),
        "page_ms_p95": percentile(page_ms, 0.95),
        "offline_on_events_s": (max(seen) - offline_at) if seen and offline_at is not None else None,
        "viewer_events": sum(page.events for page in pages),
        "viewer_kb_per_s": sum(page.bytes for page in pages) / 1024 / seconds / max(1, viewers),
        "max_requests_per_board_minute": load.max_requests_per_minute(),
        "screenshots_held": health.get("screenshots_held"),
        "screenshot_requests": health.get("screenshot_requests"),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--boards", type=int, default=500)
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--viewers", type=int, default=2)
    parser.add_argument("--interval", type=float, default=30.0, help="each board's status interval (s)")
    parser.add_argument("--out", default=None, help="write every run's figures and the medians as JSON")
    args = parser.parse_args(argv)
    runs = []
    for number in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="fleet-serve-") as folder:
            figures = one_run(args.boards, 60 * args.minutes, args.viewers, args.interval, Path(folder))
        runs.append(figures)
        print(f"run {number + 1}: " + json.dumps(figures), flush=True)
    medians = {
        key: statistics.median(values)
        for key in runs[0]
        if (values := [run[key] for run in runs if isinstance(run[key], (int, float))])
    }
    print(f"\nfleet --serve, {args.boards} boards, {args.viewers} pages open, medians of {len(runs)} run(s):")
    for key, value in medians.items():
        print(f"  {key:32} {value:10.2f}")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps({"runs": runs, "medians": medians}, indent=1) + "\n")


if __name__ == "__main__":
    main()
