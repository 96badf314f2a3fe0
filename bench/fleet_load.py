"""A fleet load generator: one process impersonating N boards over S sites on one broker (issue 25, point 4).

Each board publishes its retained status document (docs/status-format.md,
"Online") on ``wallboard/<site>/<board>/status`` at QoS 1 every ``interval_s``,
the boards spread evenly over the interval, and answers screenshot requests like
a real board: a PNG on ``.../screenshot/png`` then its text twin on
``.../screenshot/text`` (both QoS 1, not retained). The PNGs are real board
pictures (``wallboard preview`` of config/boards/*.toml with the sample data at
960x540), rendered once at start and kept in memory.

One paho client carries all the boards, not one connection each: the server
under test reads messages, not connections, and 500 paho clients on one thread
would cost more than the server we measure. What a per-board connection adds
(a will per board) is played by ``set_offline``, which publishes the offline
document the broker would send as the will. Everything goes to the given host
(127.0.0.1 in the benchmarks); nothing here runs at import.
"""

from __future__ import annotations

import argparse
import collections
import json
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

REPO_DIR = Path(__file__).resolve().parent.parent
VERSION = "0.1.0"


@dataclass(frozen=True)
class FakeBoard:
    """One impersonated board: its ids and the state its status shows."""

    site: str
    board: str
    alarm: str = "normal"
    stale: bool = False
    dark: bool = False
    cache: str = "ok"
    not_received: tuple[str, ...] = ()
    config_refused: bool = False

    @property
    def key(self) -> str:
        return f"{self.site}/{self.board}"


def fake_fleet(boards: int, sites: int) -> list[FakeBoard]:
    """``boards`` boards over ``sites`` sites, a few in interesting states."""
    fleet = []
    for index in range(boards):
        site, board = f"site{index % sites + 1:02d}", f"board{index + 1:03d}"
        special: dict[str, object] = {}
        if index % 50 == 7:
            special["alarm"] = "warn"
        elif index % 50 == 13:
            special["alarm"] = "critical"
        specials: dict[int, dict[str, object]] = {
            2: {"stale": True, "alarm": "unknown"},
            3: {"dark": True},
            4: {"cache": "degraded (database is locked)"},
            5: {"not_received": ("sales.calls_waiting",)},
            6: {"config_refused": True},
        }
        special.update(specials.get(index, {}))
        fleet.append(FakeBoard(site, board, **special))  # type: ignore[arg-type]
    return fleet


def status_document(board: FakeBoard, interval_s: float, started_at: float) -> dict[str, object]:
    """The board's online status, shaped as docs/status-format.md's "Online" document."""
    now = time.time()
    refused = {
        "result": "rejected",
        "checksum": None,
        "at": started_at,
        "bytes": 40,
        "problems": [f"wallboard/{board.site}/{board.board}/config: rule[1].warn_abov: unknown key"],
    }
    return {
        "schema": 1, "status": "online", "site": board.site, "board": board.board,
        "name": f"{board.site} {board.board}", "host": f"wb-{board.site}-{board.board}", "version": VERSION,
        "config_checksum": "3f9a0c1d2b4e5f60", "published_at": now, "interval_s": interval_s,
        "started_at": started_at, "uptime_s": round(now - started_at, 1), "cpu_pct": 4.1, "system_cpu_pct": 6.3,
        "memory": {"rss_bytes": 61210624, "pss_bytes": 48123904, "system_available_bytes": 301989888,
                   "system_used_pct": 41.2},
        "temperature_c": 54.3, "temperature_source": "thermal_zone0:cpu-thermal", "hot": False,
        "disk": {"path": "/var/lib/wallboard", "free_bytes": 10737418240, "used_pct": 31.5},
        "fps": 1.0, "frames_drawn": 10234,
        "connection": {"state": "up", "since": started_at, "detail": "connected", "broker": "bench",
                       "last_failure": None},
        "data": {"newest_age_s": 900.0 if board.stale else 2.4, "stale": board.stale, "metrics": 14,
                 "stale_metrics": 14 if board.stale else 0, "arrived_stale": 0, "arrived_stale_last": "",
                 "not_received": list(board.not_received), "not_supplied": []},
        "alarm": {"state": board.alarm, "blind": board.stale, "acknowledgements": 0, "acknowledged": None},
        "rejected": {}, "rejected_total": 0,
        "handoff": {"accepted": 51234, "coalesced": 120, "dropped_full": 0, "dropped_older": 0},
        "display": {"driver": "kmsdrm", "renderer": "opengles2", "resolution": "1920x1080",
                    "state": "dark: the frame read back is black" if board.dark else "ok",
                    "showing": not board.dark, "frames_last_interval": 31, "safe_mode": "", "dark_renderers": [],
                    "present_errors": 0, "last_present_error": ""},
        "cache": board.cache,
        "outputs": {},
        "remote_config": refused if board.config_refused else None,
    }  # fmt: skip


def offline_document(board: FakeBoard) -> dict[str, object]:
    """The will / farewell (docs/status-format.md, "Offline")."""
    return {"schema": 1, "status": "offline", "site": board.site, "board": board.board, "version": VERSION,
            "config_checksum": "3f9a0c1d2b4e5f60"}  # fmt: skip


def twin_document(board: FakeBoard) -> dict[str, object]:
    """A small canned but well-formed text twin (docs/screen-twin.md)."""
    texts = [
        {"text": "Calls waiting", "box": [20, 20, 200, 30], "font_px": 26, "cap_px": 19},
        {"text": "4", "box": [20, 60, 60, 80], "font_px": 72, "cap_px": 52},
    ]
    return {
        "schema": 1, "site": board.site, "board": board.board, "at": round(time.time(), 3), "size": [960, 540],
        "screen": "on", "page": {"number": 1, "of": 1, "name": "Now"}, "link": {"state": "up", "detail": ""},
        "alarm": board.alarm, "live": {"state": "live", "stale": 0, "sources": 12, "no_data": 0},
        "status_strip": {"texts": [{"text": "● LIVE · data 2s ago", "box": [640, 5, 300, 30], "font_px": 26,
                                    "cap_px": 19}]},
        "banner": None,
        "widgets": [{"slot": 1, "type": "kpi", "box": [6, 47, 311, 204], "texts": texts,
                     "metric": "sales.calls_waiting", "value": 4.0, "value_state": "live", "shown": "4",
                     "kind": "count", "unit": "", "severity": "normal", "state": "normal", "pending": None,
                     "age_s": 2.4, "stale_after_s": 120.0, "stale": False}],
    }  # fmt: skip


def board_pictures(width: int = 960, height: int = 540) -> list[bytes]:
    """Real board pictures: ``wallboard preview`` of config/boards/*.toml with the sample data."""
    from wallboard.device.config.reading import load_config
    from wallboard.display.preview.preview import render_preview  # pygame only when asked

    pictures = []
    with tempfile.TemporaryDirectory() as folder:
        for path in sorted((REPO_DIR / "config" / "boards").glob("*.toml")):
            out = Path(folder) / f"{path.stem}.png"
            render_preview(load_config(path).config, REPO_DIR / "config" / "sample-data.json", out, (width, height))
            pictures.append(out.read_bytes())
    return pictures


class LoadFleet:
    """N fake boards on one paho client: statuses on a spread schedule, screenshots answered, counts kept."""

    def __init__(self, host: str, port: int, *, boards: int = 500, sites: int = 6, interval_s: float = 30.0,
                 username: str | None = None, password: str | None = None,
                 pictures: list[bytes] | None = None) -> None:  # fmt: skip
        self.fleet = {board.key: board for board in fake_fleet(boards, sites)}
        self.interval_s = interval_s
        self.pictures = pictures if pictures is not None else board_pictures()
        self.offline: set[str] = set()
        self.statuses_published = 0
        self.screenshots_answered = 0
        self.requests: dict[str, list[float]] = collections.defaultdict(list)  # board key -> request times
        self._started_at = time.time()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-fleet-load-{port}")
        self._client.max_queued_messages_set(0)
        self._client.max_inflight_messages_set(100)
        if username is not None:
            self._client.username_pw_set(username, password)
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        self._host, self._port = host, port

    def start(self) -> None:
        self._client.connect(self._host, self._port, keepalive=30)
        self._client.loop_start()
        self._thread = threading.Thread(target=self._publish_loop, name="fleet-load", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._client.disconnect()
        self._client.loop_stop()

    def set_offline(self, key: str) -> None:
        """Make board ``key`` ("site/board") die: its offline will goes out, it stops publishing and answering."""
        with self._lock:
            self.offline.add(key)
        board = self.fleet[key]
        self._publish(f"wallboard/{key}/status", json.dumps(offline_document(board)).encode(), retain=True)

    def set_online(self, key: str) -> None:
        """Revive board ``key``: its status goes out at once and on its schedule again."""
        with self._lock:
            self.offline.discard(key)
        self._publish_status(self.fleet[key])

    def max_requests_per_minute(self) -> int:
        """The most screenshot requests any board got in any 60 s window."""
        worst = 0
        with self._lock:
            for times in self.requests.values():
                for index, first in enumerate(times):
                    worst = max(worst, sum(1 for t in times[index:] if t - first < 60.0))
        return worst

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: object, reason: object,
                    properties: object) -> None:  # fmt: skip
        client.subscribe("wallboard/+/+/screenshot", qos=1)

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        key = message.topic.removeprefix("wallboard/").removesuffix("/screenshot")
        board = self.fleet.get(key)
        with self._lock:
            if board is None or key in self.offline:
                return
            self.requests[key].append(time.monotonic())
        picture = self.pictures[hash(key) % len(self.pictures)]
        self._publish(f"wallboard/{key}/screenshot/png", picture)
        self._publish(f"wallboard/{key}/screenshot/text", json.dumps(twin_document(board)).encode())
        self.screenshots_answered += 1

    def _publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        self._client.publish(topic, payload, qos=1, retain=retain)

    def _publish_status(self, board: FakeBoard) -> None:
        document = status_document(board, self.interval_s, self._started_at)
        self._publish(f"wallboard/{board.key}/status", json.dumps(document).encode(), retain=True)
        self.statuses_published += 1

    def _publish_loop(self) -> None:
        boards = list(self.fleet.values())
        step = self.interval_s / max(1, len(boards))
        started = time.monotonic()
        turn = 0
        while not self._stop.is_set():
            board = boards[turn % len(boards)]
            with self._lock:
                alive = board.key not in self.offline
            if alive:
                self._publish_status(board)
            turn += 1
            self._stop.wait(max(0.0, started + turn * step - time.monotonic()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1883)
    parser.add_argument("--boards", type=int, default=500)
    parser.add_argument("--sites", type=int, default=6)
    parser.add_argument("--interval", type=float, default=30.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--offline", action="append", default=[], help="SITE/BOARD to publish offline")
    args = parser.parse_args()
    fleet = LoadFleet(args.host, args.port, boards=args.boards, sites=args.sites, interval_s=args.interval)
    fleet.start()
    for key in args.offline:
        fleet.set_offline(key)
    try:
        time.sleep(args.seconds)
    finally:
        fleet.stop()
    print(f"statuses {fleet.statuses_published}, screenshots {fleet.screenshots_answered}, "
          f"max requests/board/min {fleet.max_requests_per_minute()}")  # fmt: skip


if __name__ == "__main__":
    main()
