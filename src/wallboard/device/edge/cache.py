"""The local cache: SQLite in WAL mode, so the board comes back from a reboot with its last data.

Holds the last value and its times per metric, a bounded history per metric
for trend lines, and the last good config. Writes are staged in memory and
committed at most once per ``flush_interval`` (an SD card wears out), in one
transaction, so a power cut loses at most the last few seconds and never
leaves a file that will not open.

A disk is not always there for the board: a file may be locked by another
process, the disk full, the folder read-only. None of these ends the board or
costs the cached data: the cache goes *degraded* (its ``condition`` says why,
the status reports it), keeps what is staged in memory (bounded), and tries
again every ``flush_interval``; once the file opens again the board restores
from it and the cache is ``ok``. Only a file that fails SQLite's
``PRAGMA integrity_check``, or is not a database at all, is moved aside.
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

from wallboard.device.config.schema import CacheSettings
from wallboard.device.core.values import MetricValue
from wallboard.device.errors import CacheError
from wallboard.device.util.ratelog import RateLimitedLog

log = logging.getLogger(__name__)

CACHE_FILE = "cache.sqlite3"
_SCHEMA_VERSION = 1
# Primary result codes (https://www.sqlite.org/rescode.html) that mean the file itself is bad.
_SQLITE_CORRUPT, _SQLITE_NOTADB = 11, 26
# History points held in memory while the disk refuses them; beyond it the oldest are dropped.
_MAX_STAGED_HISTORY = 100_000
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


class _Unusable(sqlite3.DatabaseError):
    """The file is not a usable cache (fails the integrity check, or another schema): move it aside."""


def _is_bad_file(exc: BaseException) -> bool:
    """True for errors that say the file itself is bad, not that the disk or a lock is in the way."""
    if isinstance(exc, _Unusable):
        return True
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB)


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
        self._pending_config: tuple[str, str] | None = None
        self._last_flush = clock()
        self._log = RateLimitedLog(log, 60.0, clock)
        self.commits = 0
        self.moved_aside: Path | None = None
        self.problem: str | None = None  # why the cache is degraded; None when it is ok
        self.reopened = False  # set when the file opened after a failed start; the board restores then
        self.fallback: str | None = None  # set by open_cache when the board runs with no file at all
        self._busy_ms = 2000  # a start may wait for a lock; a retry from the frame loop must not
        self._db: sqlite3.Connection | None = self._open()
        self._busy_ms = 200

    @property
    def condition(self) -> str:
        """``ok``, or ``degraded (<reason>)`` while the file cannot be opened or written."""
        reason = self.problem or self.fallback
        return "ok" if reason is None else f"degraded ({reason})"

    # -------------------------------------------------------------- open/close

    def _open(self) -> sqlite3.Connection | None:
        """The open file; None (degraded) if a lock, a full disk or permissions are in the way."""
        try:
            return self._connect()
        except (sqlite3.Error, OSError) as exc:
            if not (_is_bad_file(exc) or self._path_is_not_a_file()):
                self._degrade("cannot open", exc)
                return None
            self.moved_aside = self._move_aside(exc)
        try:
            return self._connect()
        except (sqlite3.Error, OSError) as exc:
            self._degrade("cannot open", exc)
            return None

    def _path_is_not_a_file(self) -> bool:
        return self.path.exists() and not self.path.is_file()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            db.execute(f"PRAGMA busy_timeout = {self._busy_ms}")
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode = WAL")
            # NORMAL in WAL mode: a power cut may lose the last commit, never the file's integrity.
            db.execute("PRAGMA synchronous = NORMAL")
            check = db.execute("PRAGMA integrity_check(1)").fetchone()
            if check is None or check[0] != "ok":
                raise _Unusable(f"integrity check failed: {check}")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, _SCHEMA_VERSION):
                raise _Unusable(f"cache schema {version} is not {_SCHEMA_VERSION}")
            if version == 0:  # only a new file is written to here, so a locked good file still reads
                db.executescript(_SCHEMA)
                db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
        except BaseException:
            db.close()
            raise
        return db

    def _move_aside(self, reason: BaseException) -> Path:
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

    def _degrade(self, doing: str, exc: BaseException) -> None:
        reason = f"{doing}: {exc}"[:200]
        if self.problem is None:
            log.error(
                "cache %s degraded (%s); data kept in memory, retrying every %gs",
                self.path,
                reason,
                self._flush_interval,
            )
        else:
            self._log.warning("cache-degraded", f"cache {self.path} still degraded ({reason})")
        self.problem = reason

    def _recovered(self) -> None:
        if self.problem is not None:
            log.info("cache %s recovered (was: %s)", self.path, self.problem)
        self.problem = None

    def close(self) -> None:
        """Write what is staged (if the disk takes it) and close the file; never raises."""
        self.flush(force=True)
        if self._db is not None:
            self._db.close()
            self._db = None

    # ------------------------------------------------------------------ writes

    def stage(self, key: str, value: MetricValue, history_point: tuple[float, float] | None = None) -> None:
        """Remember a value (and its trend-line point) to write at the next flush; latest per key wins."""
        self._staged_values[key] = value
        if history_point is not None:
            self._staged_history[(key, history_point[0])] = history_point[1]
            if len(self._staged_history) > _MAX_STAGED_HISTORY:  # only while the disk refuses writes
                del self._staged_history[next(iter(self._staged_history))]

    def flush(self, force: bool = False) -> bool:
        """Commit staged writes if ``flush_interval`` has passed (or ``force``); True if it committed.

        Never raises: a failed commit keeps the staged data for the next try and degrades the cache.
        """
        now = self._clock()
        if not force and now - self._last_flush < self._flush_interval:
            return False
        self._last_flush = now
        if self._db is None:
            try:
                self._db = self._open()
            except CacheError as exc:  # a bad file that cannot be moved aside (a read-only folder): later
                self._degrade("cannot open", exc)
            if self._db is None:
                return False
            self.reopened = True
            self._recovered()
        if not self._staged_values and not self._staged_history and self._pending_config is None:
            return False
        values, history, config = self._staged_values, self._staged_history, self._pending_config
        self._staged_values, self._staged_history, self._pending_config = {}, {}, None
        try:
            self._commit(self._db, values, history, config)
        except (sqlite3.Error, OSError) as exc:
            self._keep_for_later(values, history, config)
            self._degrade("cannot write", exc)
            if _is_bad_file(exc):  # reopened (and checked) at the next try
                self._db.close()
                self._db = None
            return False
        self._recovered()
        self.commits += 1
        return True

    def _keep_for_later(
        self, values: dict[str, MetricValue], history: dict[tuple[str, float], float], config: tuple[str, str] | None
    ) -> None:
        """Put a failed commit's rows back under anything staged since (the newer wins)."""
        self._staged_values = values | self._staged_values
        self._staged_history = history | self._staged_history
        while len(self._staged_history) > _MAX_STAGED_HISTORY:
            del self._staged_history[next(iter(self._staged_history))]
        self._pending_config = self._pending_config or config

    def _commit(
        self,
        db: sqlite3.Connection,
        values: dict[str, MetricValue],
        history: dict[tuple[str, float], float],
        config: tuple[str, str] | None,
    ) -> None:
        keys = sorted({key for key, _ in history})
        # One statement per table however many keys are staged, the rows passed as one JSON array
        # (json_extract reads each number from its JSON text, so REALs round-trip exactly). sqlite3
        # releases the GIL around every statement step, and under a flood paho's thread takes it
        # each time: with a statement per row and per key, a 1,000-key flush stalled the frame loop
        # for 0.5 to 1 s every flush_interval (bench: frame-rate dips every 5 s); now it is 3 steps.
        with _Transaction(db):
            db.execute(
                "INSERT INTO metric (key, value, measured_at, received_at, derived) "
                "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), "
                "json_extract(value, '$[3]'), json_extract(value, '$[4]') FROM json_each(?) WHERE true "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value, measured_at = excluded.measured_at, "
                "received_at = excluded.received_at, derived = excluded.derived "
                "WHERE excluded.measured_at >= metric.measured_at",
                (_json_rows([k, v.value, v.measured_at, v.received_at, int(v.derived)] for k, v in values.items()),),
            )
            db.execute(
                "INSERT OR REPLACE INTO history (key, measured_at, value) "
                "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]') "
                "FROM json_each(?)",
                (_json_rows([key, at, value] for (key, at), value in history.items()),),
            )
            # Keep the newest history_points per key written to: find each key's oldest point to keep
            # (an index walk, as the per-key DELETE did), then delete that key's points before it.
            db.execute(
                "WITH cut(key, at) AS ("
                " SELECT j.value, (SELECT h.measured_at FROM history h WHERE h.key = j.value"
                "  ORDER BY h.measured_at DESC LIMIT 1 OFFSET ?) FROM json_each(?) j) "
                "DELETE FROM history WHERE (key, measured_at) IN ("
                " SELECT h.key, h.measured_at FROM cut JOIN history h ON h.key = cut.key AND h.measured_at < cut.at)",
                (self._history_points - 1, json.dumps(keys)),
            )
            if config is not None:
                db.execute(
                    "INSERT OR REPLACE INTO config (id, text, checksum, saved_at) VALUES (1, ?, ?, ?)",
                    (*config, time.time()),
                )

    def forget(self, keys: Iterable[str]) -> None:
        """Delete ``keys``' values and history (metrics the board no longer holds: junk beyond its bound)."""
        doomed = json.dumps(sorted(keys))
        if self._db is None or doomed == "[]":
            return
        try:
            with _Transaction(self._db):
                self._db.execute("DELETE FROM metric WHERE key IN (SELECT value FROM json_each(?))", (doomed,))
                self._db.execute("DELETE FROM history WHERE key IN (SELECT value FROM json_each(?))", (doomed,))
        except (sqlite3.Error, OSError) as exc:
            self._degrade("cannot write", exc)

    def save_config(self, text: str, checksum: str) -> None:
        """Keep ``text`` as the last good config: written at once (it changes rarely), or at the next flush."""
        self._pending_config = (text, checksum)
        self.flush(force=True)

    # ------------------------------------------------------------------- reads

    def _read(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        """Rows of a query; none while the file cannot be read (the cache says why)."""
        if self._db is None:
            return []
        try:
            return list(self._db.execute(sql, args).fetchall())
        except (sqlite3.Error, OSError) as exc:
            self._degrade("cannot read", exc)
            return []

    def load_values(self) -> dict[str, MetricValue]:
        """Every cached metric with its original times."""
        rows = self._read("SELECT key, value, measured_at, received_at, derived FROM metric")
        return {
            str(key): MetricValue(float(value), float(measured), float(received), bool(flag))  # type: ignore[arg-type]
            for key, value, measured, received, flag in rows
        }

    def load_history(self, key: str) -> list[tuple[float, float]]:
        """The cached (measured_at, value) points for ``key``, oldest first."""
        rows = self._read(
            "SELECT measured_at, value FROM history WHERE key = ? ORDER BY measured_at DESC LIMIT ?",
            (key, self._history_points),
        )
        return [(float(t), float(v)) for t, v in reversed(rows)]  # type: ignore[arg-type]

    def load_config(self) -> CachedConfig | None:
        """The last good config, if one was saved."""
        rows = self._read("SELECT text, checksum, saved_at FROM config WHERE id = 1")
        return CachedConfig(*rows[0]) if rows else None  # type: ignore[arg-type]


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
        if kind is None:
            try:
                self._db.execute("COMMIT")
                return
            except sqlite3.Error:
                self._rollback()  # a COMMIT refused (disk full) leaves the transaction open
                raise
        self._rollback()

    def _rollback(self) -> None:
        if self._db.in_transaction:
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.Error as exc:  # SQLite may have rolled back already; the caller reports the cause
                log.debug("rollback failed: %s", exc)


def open_cache(settings: CacheSettings) -> Cache:
    """Open the configured cache; if a bad file cannot even be moved aside, run from memory and say so."""
    folder = Path(settings.dir).expanduser() if settings.dir else default_state_dir()
    history_points, flush_interval = settings.history_points, float(settings.flush_interval)
    try:
        return Cache(folder / CACHE_FILE, history_points=history_points, flush_interval=flush_interval)
    except (CacheError, OSError) as exc:
        log.error("cache unavailable (%s); running without one: data will not survive a restart", exc)
        memory = Cache(Path(":memory:"), history_points=history_points, flush_interval=flush_interval)
        memory.fallback = f"no cache file: {exc}"[:200]
        return memory
