"""The fleet view: every board's retained status, as a table for people or JSON for scripts.

``Fleet`` keeps the latest status document per board from
``wallboard/+/+/status``, and each site's bridge state from ``wallboard/+/bridge/state``
(retained by mosquitto on the central broker, "0" once the site's bridge is gone), and
turns them into ``BoardRow``s with flags:
``offline`` (the will or a farewell), ``hot`` (the board says so, or above
``--hot``), ``stale`` (its newest data is older than its own stale limit), ``late`` (online,
but its last status is older than its interval: not shown as current), ``silent`` (online, but
no status for three intervals: a hung board whose TCP link still answers pings), ``dark`` (its
screen is not showing: the display would not open and is being retried), ``cache`` (its cache is
degraded: data will not survive a restart until it recovers), ``no-data`` (a metric it shows or judges
has never arrived), ``config-refused`` (the last remote config was refused: invalid, too large, or an
output could not take it; the status says why), ``bridge`` (its stack-light bridge's firmware survived
faults, was reset by its watchdog, or is refused as another protocol version) and ``unreachable`` (its
site's bridge is down and no status of the board has arrived since: nothing this broker holds of it is
current, "site unreachable since" the last status heard from that site). A status arriving after the
bridge went down proves the board is reachable from here: at the site's own broker its boards stay live
through a WAN cut, at the centre they read unreachable. A board whose status is not current is shown neither
online nor offline (``?``), and its data age always counts the time since its status was published: an
old status never shows a fresh-looking age. ``watch`` and ``fetch_screenshot`` drive a ``ToolClient``;
nothing here draws or knows paho.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

from wallboard.app.tools.mqtt_client import ToolClient
from wallboard.device.util.text import printable
from wallboard.device.wire.topics import (
    BoardTopics,
    bridge_state,
    parse_bridge_state_topic,
    parse_status_topic,
    status_filter,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A status is "silent" when none came for this many intervals.
_SILENT_INTERVALS = 3
# A status is "late" (no longer current) once older than its interval plus this: the board's own timing, the
# bridge's latency and a little clock difference between the board and this machine.
LATE_GRACE_S = 5.0
# Text that came over the wire is shown at most this long, control characters removed (no terminal injection).
_MAX_CELL = 40
# A rejected remote config's problems, as the board reports them (``device.config.remote`` keeps 10 of 300 chars).
_MAX_PROBLEMS = 10
_MAX_PROBLEM = 300
# Every flag a row may carry, in the order they are listed (docs/deployment.md, section 6, explains each).
FLAGS = ("offline", "hot", "stale", "dark", "cache", "no-data", "config-refused", "bridge", "silent")


@dataclass(frozen=True)
class BoardRow:
    """One board as the fleet view shows it."""

    site: str
    board: str
    online: bool | None  # None: not known now (its site is unreachable, or its status is late)
    version: str | None
    uptime_s: float | None
    temperature_c: float | None
    data_age_s: float | None
    alarm: str | None
    flags: tuple[str, ...]
    config: str | None  # the last remote config's outcome, if any
    status_age_s: float | None = None  # how long ago the board published the status shown
    site_unreachable_since: float | None = None  # epoch seconds: the last status heard from its site
    config_problems: tuple[str, ...] = ()  # why it was rejected (the status's remote_config.problems)
    screen: str | None = None  # driver/renderer, "safe" when the last open crashed, failed presents


class Fleet:
    """The latest status per board, from status messages."""

    def __init__(self, hot_celsius: float | None = None) -> None:
        self._hot = hot_celsius
        self._documents: dict[tuple[str, str], dict[str, Any]] = {}
        self._bridge_up: dict[str, bool] = {}
        # Arrival order, not clocks: a board is cut off from this viewer when its site's bridge went down
        # after its newest new status arrived. (Subscribe to statuses before bridge states, so a first
        # retained replay puts every status before the bridge's 0; a replay after a reconnection repeats
        # documents already held, which are not news.)
        self._arrivals = 0
        self._heard: dict[tuple[str, str], int] = {}
        self._down_from: dict[str, int] = {}
        self.unreadable = 0

    def update(self, topic: str, payload: bytes) -> bool:
        """Take one status or bridge state message; False if it was neither (counted, ignored)."""
        site = parse_bridge_state_topic(topic)
        if site is not None:
            return self._update_bridge(site, payload)
        key = parse_status_topic(topic)
        if key is None:
            return False
        if not payload:
            self._documents.pop(key, None)  # the retained status was cleared: the board was retired
            return True
        document = json_object(payload)
        if document is None:
            self.unreadable += 1
            return False
        if self._documents.get(key) != document:  # a replay of the same status (a resubscription) is not news
            self._arrivals += 1
            self._heard[key] = self._arrivals
        self._documents[key] = document
        return True

    def _update_bridge(self, site: str, payload: bytes) -> bool:
        state = payload.strip()
        if not state:
            self._bridge_up.pop(site, None)  # cleared: the site no longer bridges here
        elif state in (b"0", b"1"):
            if state == b"0" and self._bridge_up.get(site) is not False:  # went down (a bridge's retries repeat it)
                self._arrivals += 1
                self._down_from[site] = self._arrivals
            self._bridge_up[site] = state == b"1"
        else:
            self.unreadable += 1
            return False
        return True

    def bridge_states(self) -> dict[str, bool]:
        """Each site's bridge to this broker as last announced: True up, False down (sites that bridge here)."""
        return dict(self._bridge_up)

    def bridge_down_sites(self) -> list[str]:
        """The sites whose bridge is down, sorted (at the centre: cut off; at the site itself: its WAN)."""
        return sorted(site for site, up in self._bridge_up.items() if not up)

    def _cut_off(self, site: str, board: str) -> bool:
        """Its site's bridge is down and no status of this board has arrived since."""
        return self._bridge_up.get(site) is False and self._heard.get((site, board), 0) < self._down_from[site]

    def last_heard(self, site: str) -> float | None:
        """When the newest status of any board of ``site`` was published (epoch seconds), if any says."""
        times = [number(doc.get("published_at")) for (each, _), doc in self._documents.items() if each == site]
        known = [t for t in times if t is not None]
        return max(known) if known else None

    def rows(self, now: float) -> list[BoardRow]:
        """Every board seen, sorted by site and board."""
        return [row for _, row in self.entries(now)]

    def entries(self, now: float) -> list[tuple[tuple[str, str], BoardRow]]:
        """Every board seen as ``((site, board), row)``, sorted; the key as its topic names it (not cleaned)."""
        return [
            ((site, board), self._row(site, board, doc, now)) for (site, board), doc in sorted(self._documents.items())
        ]

    def document(self, site: str, board: str) -> dict[str, Any] | None:
        """The board's latest status document as it arrived (untrusted: show its text escaped), if any."""
        return self._documents.get((site, board))

    def __len__(self) -> int:
        return len(self._documents)

    def _row(self, site: str, board: str, doc: dict[str, Any], now: float) -> BoardRow:
        said_online = doc.get("status") == "online"
        data = table(doc.get("data"))
        alarm = table(doc.get("alarm"))
        temperature = number(doc.get("temperature_c"))
        published, interval = number(doc.get("published_at")), number(doc.get("interval_s"))
        status_age = None if published is None else max(0.0, now - published)
        unreachable = self._cut_off(site, board)
        late = said_online and status_age is not None and interval is not None and status_age > interval + LATE_GRACE_S
        flags = []
        if not said_online:
            flags.append("offline")
        else:
            too_hot = self._hot is not None and temperature is not None and temperature >= self._hot
            if doc.get("hot") is True or too_hot:
                flags.append("hot")
            if data.get("stale") is True:
                flags.append("stale")
            if table(doc.get("display")).get("showing") is False:
                flags.append("dark")
            if str(doc.get("cache", "ok")).startswith("degraded"):
                flags.append("cache")
            if data.get("not_received"):  # a metric it shows or judges has never arrived (device.core.verdict)
                flags.append("no-data")
            if table(doc.get("remote_config")).get("result") == "rejected":
                flags.append("config-refused")
            if _bridge_trouble(table(table(table(doc.get("outputs")).get("signals")).get("lamps"))):
                flags.append("bridge")
            if late and status_age is not None and interval is not None:
                flags.append("silent" if status_age > _SILENT_INTERVALS * interval else "late")
        if unreachable:
            flags.append("unreachable")
        remote = table(doc.get("remote_config"))
        # The newest data was this old when the status was published; it is at most this old now.
        newest_age = number(data.get("newest_age_s"))
        data_age = None if newest_age is None else newest_age + (status_age or 0.0)
        return BoardRow(
            site=printable(site, _MAX_CELL),
            board=printable(board, _MAX_CELL),
            online=None if said_online and (late or unreachable) else said_online,
            version=_text(doc.get("version")),
            uptime_s=number(doc.get("uptime_s")) if said_online else None,
            temperature_c=temperature if said_online else None,
            data_age_s=data_age if said_online else None,
            alarm=_text(alarm.get("state")) if said_online else None,
            flags=tuple(flags),
            config=_text(remote.get("result")),
            status_age_s=None if status_age is None else round(status_age, 1),
            site_unreachable_since=self.last_heard(site) if unreachable else None,
            config_problems=_texts(remote.get("problems")),
            screen=_screen(table(doc.get("display"))) if said_online else None,
        )


def _bridge_trouble(lamps: dict[str, Any]) -> bool:
    """The bridge's firmware reported faults, restarted by its watchdog, or speaks another protocol version."""
    faults = number(lamps.get("firmware_faults"))
    return bool(faults) or lamps.get("boot") == "WDT" or bool(lamps.get("refused"))


def _screen(display: dict[str, Any]) -> str | None:
    """``kmsdrm/opengles2``, with ``safe`` when this start took the safe path and the failed presents, if any."""
    driver, renderer = _text(display.get("driver")), _text(display.get("renderer"))
    if driver is None:
        return None
    words = [driver if renderer is None else f"{driver}/{renderer}"]
    if display.get("safe_mode"):
        words.append("safe")
    errors = number(display.get("present_errors"))
    if errors:
        words.append(f"{errors:.0f} flip errors")
    return " ".join(words)


def json_object(payload: bytes) -> dict[str, Any] | None:
    """A JSON object from the wire, or None if the payload is not one."""
    try:
        document = json.loads(payload)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def table(value: Any) -> dict[str, Any]:
    """A table field of an untrusted document; anything else reads as an empty one."""
    return value if isinstance(value, dict) else {}


def number(value: Any) -> float | None:
    """A number field of an untrusted document (a bool is not one); anything else reads as None."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _texts(value: Any) -> tuple[str, ...]:
    """A list of strings from a board's status (e.g. a config's problems), printable; anything else: none."""
    if not isinstance(value, list):
        return ()
    return tuple(printable(item, _MAX_PROBLEM) for item in value[:_MAX_PROBLEMS] if isinstance(item, str))


def _text(value: Any) -> str | None:
    """A string field from a board's status, with control characters (escape sequences, newlines) removed."""
    return printable(value, _MAX_CELL) if isinstance(value, str) else None


# ------------------------------------------------------------------- output

_COLUMNS = ("SITE", "BOARD", "ONLINE", "VERSION", "UPTIME", "TEMP", "DATA AGE", "ALARM", "SCREEN", "FLAGS")


def format_table(rows: Sequence[BoardRow]) -> str:
    """A plain-text table, one board per line; flagged boards say why in the last column."""
    lines = [_COLUMNS]
    for row in rows:
        lines.append(
            (
                row.site,
                row.board,
                "?" if row.online is None else "yes" if row.online else "NO",
                row.version or "-",
                _duration(row.uptime_s),
                "-" if row.temperature_c is None else f"{row.temperature_c:.0f}C",
                _duration(row.data_age_s),
                row.alarm or "-",
                row.screen or "-",
                _flags_cell(row),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(_COLUMNS))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in lines)


def _flags_cell(row: BoardRow) -> str:
    """The flags, with an unreachable site spelled out and dated (the last status heard from it)."""
    flags = [flag for flag in row.flags if flag != "unreachable"]
    if "unreachable" in row.flags:
        since = row.site_unreachable_since
        flags.append("site unreachable" + ("" if since is None else f" since {_clock_time(since)}"))
    return ",".join(flags) or "ok"


def _clock_time(epoch: float) -> str:
    """Local time of day, with the date when it is not today."""
    moment = time.localtime(epoch)
    today = time.localtime()
    same_day = (moment.tm_year, moment.tm_yday) == (today.tm_year, today.tm_yday)
    return time.strftime("%H:%M:%S" if same_day else "%Y-%m-%d %H:%M:%S", moment)


def rows_json(rows: Sequence[BoardRow]) -> str:
    """The rows as a JSON array of objects (field names as in ``BoardRow``)."""
    return json.dumps([asdict(row) for row in rows])


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    if seconds < 172_800:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


# ---------------------------------------------------------------- commands


def watch(
    client: ToolClient,
    *,
    site: str = "+",
    as_json: bool = False,
    once: bool = False,
    duration: float | None = None,
    refresh: float = 2.0,
    hot_celsius: float | None = None,
    out: TextIO = sys.stdout,
    clock: Callable[[], float] = time.time,
) -> int:
    """Show the fleet: ``once`` after ``duration`` (default 2 s) of collecting, else refreshed until ``duration``."""
    fleet = Fleet(hot_celsius)
    client.subscribe(status_filter(site))
    client.subscribe(bridge_state(site))
    start = clock()
    collect_for = 2.0 if duration is None else duration
    next_show = start + (collect_for if once else min(refresh, 1.0))
    while True:
        now = clock()
        message = client.next_message(max(0.0, min(next_show - now, refresh)))
        if message is not None:
            fleet.update(*message)
            continue
        now = clock()
        if now < next_show:
            continue
        rows = fleet.rows(now)
        if as_json:
            out.write(rows_json(rows) + "\n")
        else:
            if not once and out.isatty():
                out.write("\x1b[H\x1b[2J")
            out.write(format_table(rows) + "\n")
            if fleet.bridge_down_sites():  # named even when no board of theirs is known here
                cut = ", ".join(printable(each, _MAX_CELL) for each in fleet.bridge_down_sites())
                out.write(f"bridge down (wallboard/<site>/bridge/state 0): {cut}\n")
            if not once:
                out.write(f"\n{len(rows)} board(s) at {time.strftime('%H:%M:%S')}; Ctrl-C to stop\n")
        out.flush()
        if once or (duration is not None and now - start >= duration):
            return 0
        next_show = now + refresh


def fetch_screenshot(
    client: ToolClient, site: str, board: str, out_path: Path, *, max_width: int = 960, timeout: float = 10.0
) -> str | None:
    """Ask one board for a screenshot and write the PNG to ``out_path``; return an error text, or None.

    The screen's text twin that follows the PNG is written beside it (``board.json`` for ``board.png``); an
    older file of that name is removed first, so no twin file afterwards means no twin came.
    """
    topics = BoardTopics(site, board)
    out_path.with_suffix(".json").unlink(missing_ok=True)
    client.subscribe(topics.screenshot_png)
    client.subscribe(topics.screenshot_error)
    client.subscribe(topics.screenshot_text)
    time.sleep(0.2)  # let the subscriptions land before asking: the answer is not retained
    if not client.publish(topics.screenshot, json.dumps({"max_width": max_width}).encode()):
        return "the broker did not accept the request (check the ACL allows this user to write it)"
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        message = client.next_message(left)
        if message is None:
            break
        topic, payload = message
        if topic == topics.screenshot_error:
            return f"the board answered: {printable(payload.decode('utf-8', errors='replace'), 300)}"
        if topic == topics.screenshot_png:
            if not payload.startswith(PNG_SIGNATURE):
                return "the board sent something that is not a PNG"
            out_path.write_bytes(payload)
            _fetch_twin(client, topics.screenshot_text, out_path.with_suffix(".json"), min(2.0, left))
            return None
    return f"no answer from {site}/{board} within {timeout:.0f}s (is it online? does it have a display?)"


def _fetch_twin(client: ToolClient, topic: str, out_path: Path, timeout: float) -> None:
    """Write the text twin that follows a screenshot to ``out_path``, if it comes within ``timeout``."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        message = client.next_message(left)
        if message is not None and message[0] == topic:
            out_path.write_bytes(message[1])
            return


def describe_twin(twin: dict[str, Any]) -> list[str]:
    """The screen's text twin as lines for a person: the page and liveness, then each widget's words and facts."""
    page = twin.get("page") or {}
    live = twin.get("live") or {}
    lines = [
        f"page {page.get('number')}/{page.get('of')} {page.get('name') or ''}".rstrip()
        + f" \u00b7 {live.get('state')} ({live.get('stale')} of {live.get('sources')} stale)"
        + f" \u00b7 alarm {twin.get('alarm')} \u00b7 link {(twin.get('link') or {}).get('state')}"
    ]
    banner = twin.get("banner")
    if banner:
        lines.append("banner: " + " / ".join(str(t.get("text")) for t in banner.get("texts", [])))
    for widget in twin.get("widgets", []):
        words = " | ".join(str(t.get("text")) for t in widget.get("texts", []))
        facts = []
        if widget.get("pending"):
            pending = widget["pending"]
            facts.append(f"pending {pending.get('level')} in {pending.get('seconds_left')} s")
        if widget.get("stale"):
            facts.append(f"STALE, {widget.get('age_s')} s old")
        suffix = f"  [{'; '.join(facts)}]" if facts else ""
        lines.append(f"{widget.get('slot')}. {widget.get('type')}: {words}{suffix}")
    return lines
