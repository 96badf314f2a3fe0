"""Today's counters a feed keeps itself, in SQLite, where "today" is since local midnight at the site.

A platform's own counters reset when the PBX reloads or at a time the feed does
not choose; these reset only when the site's local date changes (IANA zone,
so the 23- and 25-hour days of daylight saving count right) and survive a
restart of the feed. An event is counted once: a key already seen is ignored.
A day the feed has observed from its start (``observe``) holds its uncounted
fields as true zeros, persisted like the counts, so they stay known after a
reconnect or a restart later that day. Must not reset anything on the platform.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from zoneinfo import ZoneInfo

_SCHEMA = """
CREATE TABLE IF NOT EXISTS counts (day TEXT, scope TEXT, field TEXT, value REAL, PRIMARY KEY (day, scope, field));
CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, day TEXT);
"""

KEEP_DAYS = 8


def local_day(at: float, zone: ZoneInfo) -> dt.date:
    """The site's calendar date at the instant ``at`` (epoch seconds)."""
    return dt.datetime.fromtimestamp(at, zone).date()


def day_start(day: dt.date, zone: ZoneInfo) -> float:
    """The first instant of ``day`` at the site, as epoch seconds.

    Usually local midnight; where a zone skips midnight itself (a spring-forward
    at 00:00, as in America/Santiago), the day starts at the first wall time that
    exists, which ``fold=0`` of the missing midnight maps to.
    """
    return dt.datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()


def period_start(at: float, zone: ZoneInfo) -> float:
    """Epoch seconds of the local midnight that started the day containing ``at``."""
    return day_start(local_day(at, zone), zone)


class DayCounters:
    """Per-scope (queue, or ``agent:<name>``) counters for the site's current day, persisted on every add."""

    def __init__(self, path: Path, zone: ZoneInfo) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.zone = zone
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        # (day, scope) pairs already marked observed by this process: spares the SD card a write every poll.
        self._observed: set[tuple[str, str]] = set()

    def add(self, scope: str, amounts: Mapping[str, float], at: float, *, key: str | None = None) -> bool:
        """Add ``amounts`` to the day of ``at``; False (and nothing added) if ``key`` was counted before."""
        day = local_day(at, self.zone).isoformat()
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            if key is not None:
                inserted = self._db.execute("INSERT OR IGNORE INTO seen VALUES (?, ?)", (key, day)).rowcount
                if not inserted:
                    return False
            self._db.executemany(
                "INSERT INTO counts VALUES (?, ?, ?, ?) "
                "ON CONFLICT (day, scope, field) DO UPDATE SET value = value + excluded.value",
                [(day, scope, field, float(amount)) for field, amount in amounts.items()],
            )
        return True

    def observe(self, scope: str, fields: Iterable[str], at: float) -> None:
        """Record that every event of ``scope`` on the day of ``at`` was seen: ``fields`` not counted yet are 0.

        Called while the feed has listened since the day began. The zeros are rows like any count, so
        ``today`` returns them for the rest of the day, whatever happens to the connection or the process.
        """
        day = local_day(at, self.zone).isoformat()
        if (day, scope) in self._observed:
            return
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "INSERT OR IGNORE INTO counts VALUES (?, ?, ?, 0)", [(day, scope, field) for field in fields]
            )
        self._observed.add((day, scope))

    def today(self, scope: str, now: float) -> dict[str, float]:
        """Every field counted for ``scope`` since the local midnight before ``now`` (absent if never counted)."""
        day = local_day(now, self.zone).isoformat()
        rows = self._db.execute("SELECT field, value FROM counts WHERE day = ? AND scope = ?", (day, scope))
        return {field: value for field, value in rows}

    def scopes(self, now: float) -> list[str]:
        """The scopes with a count today."""
        day = local_day(now, self.zone).isoformat()
        return [row[0] for row in self._db.execute("SELECT DISTINCT scope FROM counts WHERE day = ?", (day,))]

    def prune(self, now: float) -> None:
        """Forget days older than a week (kept that long for a look back, never needed for today)."""
        oldest = (local_day(now, self.zone) - dt.timedelta(days=KEEP_DAYS)).isoformat()
        with self._db:
            self._db.execute("DELETE FROM counts WHERE day < ?", (oldest,))
            self._db.execute("DELETE FROM seen WHERE day < ?", (oldest,))

    def close(self) -> None:
        self._db.close()
