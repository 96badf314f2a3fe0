"""One board as the fleet page shows it: a JSON-ready card built from its fleet row and status document.

The row (``wallboard.app.tools.fleet``) decides the board's state and flags, as it does for the
terminal table; this adds each flag's reason in IT's words (the table's legend, docs/deployment.md
section 6, with the board's own particulars), its stack-light bridge and the screenshot held. Every
text that came over the wire is cleaned here (``printable``: control characters out, length capped);
the page then only ever sets it as text. Times are epoch seconds so the page counts ages itself: a card
changes when the board does, not every second.
"""

from __future__ import annotations

from typing import Any

from wallboard.app.tools.fleet import BoardRow, number, table
from wallboard.app.tools.fleet_web.shots import Shot
from wallboard.device.util.text import printable

_MAX_TEXT = 120
_MAX_LIST = 8

# What each flag means, as docs/deployment.md's table says it; a reason adds the board's particulars.
FLAG_MEANINGS: dict[str, str] = {
    "offline": "not running or cannot reach the broker (its will, or a clean stop)",
    "hot": "at or above its hot limit",
    "stale": "its newest data is older than its stale limit",
    "dark": "its screen is not showing: the display would not open and is being retried",
    "cache": "its cache is degraded: data will not survive a restart until it recovers",
    "no-data": "a metric it shows or judges has never arrived",
    "config-refused": "the last remote config was refused",
    "bridge": "its stack-light bridge's firmware reported trouble",
    "late": "its last status is older than its interval: not shown as current",
    "silent": "no status for three intervals: a hung board whose link still answers",
    "unreachable": "its site's bridge is down and nothing of it has arrived since: nothing held of it is current",
}


def board_id(key: tuple[str, str]) -> str:
    """The page's name for a board: ``site/board`` as the topics spell them (neither may hold a ``/``)."""
    return f"{key[0]}/{key[1]}"


def parse_board_id(text: str) -> tuple[str, str] | None:
    site, slash, board = text.partition("/")
    return (site, board) if slash and site and board and "/" not in board else None


def card(key: tuple[str, str], row: BoardRow, doc: dict[str, Any], shot: Shot | None) -> dict[str, Any]:
    """The board's card: state, flags with reasons, facts, its bridge and the screenshot held."""
    data = table(doc.get("data"))
    alarm = table(doc.get("alarm"))
    return {
        "id": board_id(key),
        "site": row.site,
        "board": row.board,
        "name": _text(doc.get("name")),
        "online": row.online,
        "state": "unknown" if row.online is None else "online" if row.online else "offline",
        "alarm": row.alarm,
        "acknowledged": _text(alarm.get("acknowledged")) if row.online is not None else None,
        "version": row.version,
        "uptime_s": row.uptime_s,
        "temperature_c": row.temperature_c,
        "published_at": number(doc.get("published_at")),
        "interval_s": number(doc.get("interval_s")),
        "newest_age_s": number(data.get("newest_age_s")) if row.online is not False else None,
        "flags": [{"flag": flag, "reason": flag_reason(flag, row, doc)} for flag in row.flags],
        "screen": row.screen,
        "config": row.config,
        "config_problems": list(row.config_problems),
        "signals": signals_text(doc),
        "unreachable_since": row.site_unreachable_since,
        "shot": _shot(shot),
    }


def flag_reason(flag: str, row: BoardRow, doc: dict[str, Any]) -> str:
    """Why the board carries ``flag``: the meaning, with what its status says about it."""
    meaning = FLAG_MEANINGS.get(flag, flag)
    data = table(doc.get("data"))
    if flag == "stale" and number(data.get("newest_age_s")) is None:
        return "no data has arrived since it started (its screen says NO DATA YET)"
    if flag == "hot" and row.temperature_c is not None:
        return f"{row.temperature_c:.0f} °C: {meaning}"
    if flag == "dark":
        state = _text(table(doc.get("display")).get("state"))
        return f"{meaning} ({state})" if state else meaning
    if flag == "cache":
        return _text(doc.get("cache")) or meaning
    if flag == "no-data":
        return f"never arrived: {_list(data.get('not_received'))}"
    if flag == "config-refused":
        return "; ".join(row.config_problems) or meaning
    if flag == "bridge":
        return signals_text(doc) or meaning
    if flag in ("late", "silent"):
        interval = number(doc.get("interval_s"))
        return f"{meaning} (every {interval:.0f} s)" if interval is not None else meaning
    return meaning


def signals_text(doc: dict[str, Any]) -> str | None:
    """The stack light and its bridge in a line: ``bridge 2.0.0 on /dev/ttyACM0, connected, boot PWR``."""
    signals = table(table(doc.get("outputs")).get("signals"))
    if not signals:
        return None
    lamps = table(signals.get("lamps"))
    backend = _text(signals.get("backend")) or "signals"
    if backend == "null":  # the config names no stack light
        return "no stack light"
    if not lamps:
        return backend
    words = [backend]
    firmware = _text(lamps.get("firmware"))
    if firmware:
        words[0] += f" {firmware}"
    if lamps.get("connected") is False:
        words.append("NOT connected" + (f" ({_text(lamps.get('last_problem'))})" if lamps.get("last_problem") else ""))
    elif lamps.get("connected") is True:
        words.append("connected")
    refused = _text(lamps.get("refused"))
    if refused:
        words.append(f"refused: {refused}")
    faults = number(lamps.get("firmware_faults"))
    if faults:
        last = _text(lamps.get("last_fault"))
        words.append(f"{faults:.0f} firmware faults" + (f" (last {last})" if last else ""))
    boot = _text(lamps.get("boot"))
    if boot:
        words.append(f"boot {boot}" + (" (its watchdog reset it)" if boot == "WDT" else ""))
    return ", ".join(words)


def _shot(shot: Shot | None) -> dict[str, Any] | None:
    if shot is None or (shot.png is None and shot.error is None):
        return None
    return {
        "version": shot.version if shot.png is not None else None,
        "at": shot.png_at,
        "error": shot.error,
        "error_at": shot.error_at,
        "twin": shot.twin is not None,
    }


def _text(value: Any) -> str | None:
    return printable(value, _MAX_TEXT) if isinstance(value, str) and value else None


def _list(value: Any) -> str:
    items = [printable(item, 60) for item in value if isinstance(item, str)] if isinstance(value, list) else []
    more = len(items) - _MAX_LIST
    return ", ".join(items[:_MAX_LIST]) + (f" and {more} more" if more > 0 else "") if items else "?"
