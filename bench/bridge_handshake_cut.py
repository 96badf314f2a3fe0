"""Why a site's bridge TLS is carried by stunnel: a site broker while the centre cuts every TLS handshake.

``python -m bench.bridge_handshake_cut`` builds the centre and two sites from the shipped files
(``tests/bridged_sites.py``: three real mosquittos on loopback, no boards) once per mode:

- ``tunnel`` (shipped): the site's bridge speaks plain MQTT to a local stunnel (``stunnel-bridge.conf``)
  that does the TLS;
- ``direct`` (the old setup): mosquitto's own bridge TLS (``bridge_cafile``) straight to the WAN.

With london's bridge up (state ``1`` at the centre) it measures round trips at london's broker (the admin
logs in, subscribes to ``wallboard/london/probe/ack``, publishes there and waits; no answer within 10 s, or
a failure, is unanswered), then london's WAN link accepts each new connection and closes it before a byte
(a TCP load balancer in front of the centre with no healthy backend) and the centre is stopped for
``--cut-seconds``. One probe starts every second (each bounded at 10 s, so a stalled broker does not
slow the count), and the london broker's CPU (user + system, % of one core) is sampled over each second.
Then the centre starts again (its retained bridge state cleared, so only a reconnected bridge sets it), the
link is restored, and the same is measured for ``--after-seconds``, with the seconds until london's bridge
state is ``1`` at the centre again. Printed per mode: probes answered/total during the cut and after,
p50/max round trip of the answered ones, median CPU %, seconds until the bridge was back, and the count
of ``unexpected eof`` lines in the site broker's log (direct) or the stunnel log (tunnel).

    .venv/bin/python -m bench.bridge_handshake_cut                      # both modes, ~3 min
    .venv/bin/python -m bench.bridge_handshake_cut --mode direct --out /tmp/cut.json

Figures, not pass/fail. Needs mosquitto, stunnel4 and openssl (the test harness's).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from tests.bridged_sites import Centre, build_centre, retained, site_users
from tests.broker import make_tls_files
from wallboard.app.tools.mqtt_client import ToolClient

MODES = ("tunnel", "direct")
SITE = "london"
STATE_TOPIC = f"wallboard/{SITE}/bridge/state"
PROBE_TOPIC = f"wallboard/{SITE}/probe/ack"
PROBE_LIMIT_S = 10.0  # a round trip slower than this is no answer
TICK_S = 1.0  # one probe started and one CPU sample taken per tick
BRIDGE_UP_LIMIT_S = 60.0  # the bridge's first connection, before anything is cut
EOF_TEXT = "unexpected eof while reading"


def round_trip(port: int) -> float | None:
    """Seconds for the admin to log in at the site's broker and get back its own message; None if not within 10 s."""
    started = time.monotonic()
    client = ToolClient("127.0.0.1", port, username="wallboard-admin", password=site_users(SITE)["wallboard-admin"])
    try:
        client.connect(timeout=PROBE_LIMIT_S)
    except ConnectionError:
        return None
    try:
        client.subscribe(PROBE_TOPIC)
        left = PROBE_LIMIT_S - (time.monotonic() - started)
        if left <= 0 or not client.publish(PROBE_TOPIC, b"probe", timeout=left):
            return None
        message = client.next_message(PROBE_LIMIT_S - (time.monotonic() - started))
        return time.monotonic() - started if message is not None else None
    finally:
        client.close()


@dataclass
class Phase:
    """The probes started and the CPU samples taken during one phase (the cut, or after it)."""

    round_trips: list[float | None] = field(default_factory=list)
    cpu_pct: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start_probe(self, port: int) -> None:
        def probe() -> None:
            result = round_trip(port)
            with self._lock:
                self.round_trips.append(result)

        thread = threading.Thread(target=probe, daemon=True)
        thread.start()
        self._threads.append(thread)

    def finish(self) -> None:
        """Wait for the probes still out (each gives up after PROBE_LIMIT_S)."""
        for thread in self._threads:
            thread.join(PROBE_LIMIT_S + 5)

    def figures(self, prefix: str) -> dict[str, float]:
        answered = [t for t in self.round_trips if t is not None]
        return {
            f"{prefix}_answered": float(len(answered)),
            f"{prefix}_probes": float(len(self.round_trips)),
            f"{prefix}_rtt_p50_ms": statistics.median(answered) * 1000 if answered else float("nan"),
            f"{prefix}_rtt_max_ms": max(answered) * 1000 if answered else float("nan"),
            f"{prefix}_cpu_median_pct": statistics.median(self.cpu_pct) if self.cpu_pct else float("nan"),
        }


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def _run_phase(
    phase: Phase, seconds: float, port: int, broker: psutil.Process, state: ToolClient | None = None
) -> float | None:
    """Probe and sample for ``seconds``; with ``state`` (a client on the bridge state), when ``1`` arrived."""
    started = time.monotonic()
    back: float | None = None
    before, at = _cpu_seconds(broker), started
    while time.monotonic() - started < seconds:
        phase.start_probe(port)
        time.sleep(max(0.0, TICK_S - (time.monotonic() - at)))
        now, used = time.monotonic(), _cpu_seconds(broker)
        phase.cpu_pct.append(100.0 * (used - before) / (now - at))
        before, at = used, now
        while state is not None and back is None and (message := state.next_message(0)) is not None:
            if message[1] == b"1":
                back = time.monotonic() - started
    phase.finish()
    return back


def _eof_lines(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open(errors="replace") as lines:
        return sum(EOF_TEXT in line for line in lines)


def measure(mode: str, cut_seconds: float = 30.0, after_seconds: float = 30.0) -> dict[str, float]:
    """One mode's figures (see the module docstring)."""
    assert mode in MODES
    with tempfile.TemporaryDirectory(prefix=f"bridge-cut-{mode}-") as name:
        folder = Path(name)
        centre: Centre | None = None
        state: ToolClient | None = None
        try:
            centre = build_centre(folder / "sites", make_tls_files(folder / "tls"), direct_tls=mode == "direct")
            london = centre.sites[SITE]
            deadline = time.monotonic() + BRIDGE_UP_LIMIT_S
            while retained(centre, STATE_TOPIC) != b"1":
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{mode}: london's bridge not up after {BRIDGE_UP_LIMIT_S:.0f} s")
                time.sleep(0.3)
            assert london.broker._process is not None
            broker = psutil.Process(london.broker._process.pid)
            baseline = [round_trip(london.port) for _ in range(5)]
            answered = [t for t in baseline if t is not None]
            figures = {"baseline_answered": float(len(answered)), "baseline_probes": float(len(baseline))}
            figures["baseline_rtt_p50_ms"] = statistics.median(answered) * 1000 if answered else float("nan")

            london.link.close_after_accept()  # a load balancer in front of the centre, with nothing behind it
            centre.broker.stop()
            cut = Phase()
            _run_phase(cut, cut_seconds, london.port, broker)

            centre.start()
            # The centre kept london's last state (1) on disk: clear it, so only a reconnected bridge sets it again.
            state = centre.client("wallboard-admin")
            state.publish(STATE_TOPIC, b"", retain=True)
            state.subscribe(STATE_TOPIC)
            london.link.thaw()
            after = Phase()
            back = _run_phase(after, after_seconds, london.port, broker, state)

            figures |= cut.figures("cut") | after.figures("after")
            figures["bridge_back_s"] = float("nan") if back is None else back
            figures["after_seconds"] = after_seconds
            log = london.tunnel.log_file if mode == "tunnel" else london.broker.log_file
            figures["unexpected_eof_lines"] = float(_eof_lines(log))
            return figures
        finally:
            if state is not None:
                state.close()
            if centre is not None:
                centre.stop()


def _ms(value: float) -> str:
    return "-" if value != value else f"{value:.0f} ms"  # NaN: nothing answered


def report(mode: str, figures: dict[str, float]) -> str:
    back = figures["bridge_back_s"]
    bridge = f"never within {figures['after_seconds']:.0f} s" if back != back else f"{back:.1f} s"
    lines = [f"{mode}: baseline {figures['baseline_answered']:.0f}/{figures['baseline_probes']:.0f} answered, "
             f"p50 {_ms(figures['baseline_rtt_p50_ms'])}"]  # fmt: skip
    for phase, label in (("cut", "during the cut"), ("after", "after the centre returned")):
        lines.append(
            f"  {label}: {figures[f'{phase}_answered']:.0f}/{figures[f'{phase}_probes']:.0f} probes answered, "
            f"p50 {_ms(figures[f'{phase}_rtt_p50_ms'])}, max {_ms(figures[f'{phase}_rtt_max_ms'])}, "
            f"site broker CPU median {figures[f'{phase}_cpu_median_pct']:.0f} %"
        )
    where = "stunnel's log" if mode == "tunnel" else "the site broker's log"
    lines.append(f"  bridge back at the centre: {bridge}; '{EOF_TEXT}' lines in {where}: "
                 f"{figures['unexpected_eof_lines']:.0f}")  # fmt: skip
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bridge_handshake_cut", description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=[*MODES, "both"], default="both")
    parser.add_argument("--cut-seconds", type=float, default=30.0)
    parser.add_argument("--after-seconds", type=float, default=30.0)
    parser.add_argument("--out", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {}
    for mode in MODES if args.mode == "both" else (args.mode,):
        figures = measure(mode, args.cut_seconds, args.after_seconds)
        results[mode] = {key: None if value != value else round(value, 3) for key, value in figures.items()}
        print(report(mode, figures), flush=True)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
