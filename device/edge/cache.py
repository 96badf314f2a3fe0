"""The local cache: SQLite in WAL mode, so the board comes back from a reboot with its last data.

Holds the last value and its times per metric, a bounded history per metric
for trend lines, and the last good config. Writes are staged in memory and
committed at most once per ``flush_interval`` (an SD card wears out), in one
transaction, so a power cut loses at most the last few seconds and never
leaves a file that will not open. A file that is corrupt or unreadable is
moved aside with a log line and the board starts with an empty cache.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from wallboard.device.config.loader import CacheSettings
from wallboard.device.core.state import MetricValue
from wallboard.device.errors import CacheError

log = logging.getLogger(__name__)

CACHE_FILE = "cache.sqlite3"
_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS metric (
    key TEXT PRIMARY KEY,
    value REAL NOT NULL,
    measured_at REAL NOT NULL,
    received_at REAL NOT NULL,
    derived INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS history (
    key TEXT NOT NULL,
    measured_at REAL NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (key, measured_at)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS config (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    text TEXT NOT NULL,
    checksum TEXT NOT NULL,
    saved_at REAL NOT NULL
);
"""


def default_state_dir() -> Path:
    """systemd's ``$STATE_DIRECTORY`` in production, else ``~/.local/state/wallboard``."""
    from_systemd = os.environ.get("STATE_DIRECTORY")
    if from_systemd:
        return Path(from_systemd.split(":")[0])
    return Path.home() / ".local" / "state" / "wallboard"


@dataclass(frozen=True)
class CachedConfig:
    """The last config the board ran with successfully."""

    text: str
    checksum: str
    saved_at: float


class Cache:
    """Batched, crash-safe persistence of board values, history and the last good config."""

    def __init__(
        self,
        path: Path,
        *,
        history_points: int = 360,
        flush_interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self._history_points = history_points
        self._flush_interval = flush_interval
        self._clock = clock
        self._staged_values: dict[str, MetricValue] = {}
        self._staged_history: dict[tuple[str, float], float] = {}
        self._last_flush = clock()
        self.commits = 0
        self.moved_aside: Path | None = None
        self._db = self._open()

    # -------------------------------------------------------------- open/close

    def _open(self) -> sqlite3.Connection:
        try:
            return self._connect()
        except sqlite3.DatabaseError as exc:
            self.moved_aside = self._move_aside(exc)
        try:
            return self._connect()
        except sqlite3.DatabaseError as exc:
            raise CacheError(f"cannot open cache {self.path}: {exc}") from exc

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA busy_timeout = 2000")
            db.execute("PRAGMA journal_mode = WAL")
            # NORMAL in WAL mode: a power cut may lose the last commit, never the file's integrity.
            db.execute("PRAGMA synchronous = NORMAL")
            check = db.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                raise sqlite3.DatabaseError(f"integrity check failed: {check}")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, _SCHEMA_VERSION):
                raise sqlite3.DatabaseError(f"cache schema {version} is not {_SCHEMA_VERSION}")
            db.executescript(_SCHEMA)
            db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
        except BaseException:
            db.close()
            raise
        return db

    def _move_aside(self, reason: Exception) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.name}.bad-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{self.path}{suffix}")
            if source.exists():
                try:
                    source.replace(Path(f"{target}{suffix}"))
                except OSError as exc:
                    raise CacheError(f"cache {self.path} is unusable ({reason}) and cannot be moved: {exc}") from exc
        log.error("cache %s was unusable (%s); moved it to %s, starting empty", self.path, reason, target)
        return target

    def close(self) -> None:
        """Write what is staged and close the file."""
        try:
            self.flush(force=True)
        finally:
            self._db.close()

    # ------------------------------------------------------------------ writes

    def stage(self, key: str, value: MetricValue, history_point: tuple[float, float] | None = None) -> None:
        """Remember a value (and its trend-line point) to write at the next flush; latest per key wins."""
        self._staged_values[key] = value
        if history_point is not None:
            self._staged_history[(key, history_point[0])] = history_point[1]

    def flush(self, force: bool = False) -> bool:
        """Commit staged writes if ``flush_interval`` has passed (or ``force``); True if it committed."""
        now = self._clock()
        if not force and now - self._last_flush < self._flush_interval:
            return False
        self._last_flush = now
        if not self._staged_values and not self._staged_history:
            return False
        values, history = self._staged_values, self._staged_history
        self._staged_values, self._staged_history = {}, {}
        keys = sorted({key for key, _ in history})
        # One statement per table however many keys are staged, the rows passed as one JSON array
        # (json_extract reads each number from its JSON text, so REALs round-trip exactly). sqlite3
        # releases the GIL around every statement step, and under a flood paho's thread takes it
        # each time: with a statement per row and per key, a 1,000-key flush stalled the frame loop
        # for 0.5 to 1 s every flush_interval (bench: frame-rate dips every 5 s); now it is 3 steps.
        with self._transaction():
            self._db.execute(
                "INSERT INTO metric (key, value, measured_at, received_at, derived) "
                "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), "
                "json_extract(value, '$[3]'), json_extract(value, '$[4]') FROM json_each(?) WHERE true "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value, measured_at = excluded.measured_at, "
                "received_at = excluded.received_at, derived = excluded.derived "
                "WHERE excluded.measured_at >= metric.measured_at",
                (_json_rows([k, v.value, v.measured_at, v.received_at, int(v.derived)] for k, v in values.items()),),
            )
            self._db.execute(
                "INSERT OR REPLACE INTO history (key, measured_at, value) "
                "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]') "
                "FROM json_each(?)",
                (_json_rows([key, at, value] for (key, at), value in history.items()),),
            )
            # Keep the newest history_points per key written to: find each key's oldest point to keep
            # (an index walk, as the per-key DELETE did), then delete that key's points before it.
            self._db.execute(
                "WITH cut(key, at) AS ("
                " SELECT j.value, (SELECT h.measured_at FROM history h WHERE h.key = j.value"
                "  ORDER BY h.measured_at DESC LIMIT 1 OFFSET ?) FROM json_each(?) j) "
                "DELETE FROM history WHERE (key, measured_at) IN ("
                " SELECT h.key, h.measured_at FROM cut JOIN history h ON h.key = cut.key AND h.measured_at < cut.at)",
                (self._history_points - 1, json.dumps(keys)),
            )
        self.commits += 1
        return True

    def save_config(self, text: str, checksum: str) -> None:
        """Keep ``text`` as the last good config (written at once: it changes rarely)."""
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO config (id, text, checksum, saved_at) VALUES (1, ?, ?, ?)",
                (text, checksum, time.time()),
            )

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    # ------------------------------------------------------------------- reads

    def load_values(self) -> dict[str, MetricValue]:
        """Every cached metric with its original times."""
        rows = self._db.execute("SELECT key, value, measured_at, received_at, derived FROM metric")
        return {
            key: MetricValue(value, measured, received, bool(flag)) for key, value, measured, received, flag in rows
        }

    def load_history(self, key: str) -> list[tuple[float, float]]:
        """The cached (measured_at, value) points for ``key``, oldest first."""
        rows = self._db.execute(
            "SELECT measured_at, value FROM history WHERE key = ? ORDER BY measured_at DESC LIMIT ?",
            (key, self._history_points),
        ).fetchall()
        return [(float(t), float(v)) for t, v in reversed(rows)]

    def load_config(self) -> CachedConfig | None:
        """The last good config, if one was saved."""
        row = self._db.execute("SELECT text, checksum, saved_at FROM config WHERE id = 1").fetchone()
        return CachedConfig(*row) if row else None


def _json_rows(rows: Iterable[list[object]]) -> str:
    """Rows as one JSON array of arrays, for ``json_each``; values are finite (ingest rejects the rest)."""
    return json.dumps(list(rows), allow_nan=False, separators=(",", ":"))


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on error."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        self._db.execute("COMMIT" if kind is None else "ROLLBACK")


def open_cache(settings: CacheSettings) -> Cache:
    """Open the configured cache; if that is impossible, run from an in-memory cache and say so."""
    folder = Path(settings.dir).expanduser() if settings.dir else default_state_dir()
    history_points, flush_interval = settings.history_points, float(settings.flush_interval)
    try:
        return Cache(folder / CACHE_FILE, history_points=history_points, flush_interval=flush_interval)
    except (CacheError, OSError) as exc:
        log.error("cache unavailable (%s); running without one: data will not survive a restart", exc)
        return Cache(Path(":memory:"), history_points=history_points, flush_interval=flush_interval)
