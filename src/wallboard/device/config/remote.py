"""Remote config: a board config (TOML) taken from the retained message on the board's own config topic.

The text is validated fully, exactly as a file would be, plus the checks that
only matter over the network: the site and board ids must be the board's own
(the topic names the board), and the keys in ``FIXED_REMOTELY`` (the broker,
the cache, paths on the board's disk, the screen mode, the signal hardware)
must be left out or equal the running ones: a mistake there would cut the board
off from the very broker that could fix it, point it at another file, or need
a device reopened. Left out, they are taken from the running config. Every
other key may change remotely, and reaches every output: ``Board.reconfigure``
tells each output, and if one cannot take it the whole change is refused and
the running config stays. The outcome (``applied``, ``unchanged``,
``rejected`` with the reasons) is in the health status.

Runs on the main thread. Must not touch MQTT or the outputs itself: it
decides, ``Board`` applies, the health status reports the outcome.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec

from wallboard.device.config.bounds import parse_toml_text
from wallboard.device.config.reading import LoadedConfig, load_config_text
from wallboard.device.errors import ConfigError
from wallboard.device.util.text import printable

log = logging.getLogger(__name__)

# Problems kept in the status: enough to fix the config, small enough for a status message.
_MAX_PROBLEMS = 10
_MAX_PROBLEM_CHARS = 300

Outcome = Literal["applied", "unchanged", "rejected"]


@dataclass(frozen=True)
class ConfigOutcome:
    """What became of the last config received over MQTT, as reported in the status."""

    result: Outcome
    checksum: str | None  # of the received config; None if it could not be read at all
    at: float
    problems: tuple[str, ...] = field(default=())
    size: int | None = None  # the received message's bytes

    def as_status(self) -> dict[str, object]:
        return {
            "result": self.result,
            "checksum": self.checksum,
            "at": round(self.at, 3),
            "problems": self.problems,
            "bytes": self.size,
        }


# Keys a remote config may not change, and why (docs/deployment.md lists them and everything that may).
FIXED_REMOTELY: dict[tuple[str, ...], str] = {
    ("mqtt",): "the broker connection (a mistake would cut the board off from the fix)",
    ("cache",): "a path on the board's disk",
    ("health", "sysfs"): "a path on the board's disk",
    ("display", "font"): "a path on the board's disk",
    ("display", "size"): "the screen mode is set when the board starts",
    ("display", "fullscreen"): "the screen mode is set when the board starts",
    ("display", "driver"): "the screen is opened when the board starts",
    ("display", "retry_max"): "the screen is opened when the board starts",
    ("signals",): "the lamps, ports, pins and sound files are opened when the board starts",
    ("ingest", "max_payload_bytes"): "told to the broker when the board connects",
    ("ingest", "queue_capacity"): "the hand-off is built when the board starts",
    ("ingest", "log_interval"): "the rejection log is built when the board starts",
}


def check_remote_config(text: str, running: LoadedConfig, *, name: str) -> LoadedConfig:
    """Validate ``text`` as a config for the board running ``running``; raise ConfigError with every problem."""
    raw = parse_toml_text(text, name)  # parsed here too to see which tables were left out
    current = running.config
    problems = []
    for section, ours in (("site", current.site.id), ("board", current.board.id)):
        if not _given(raw, (section, "id")):
            # Not "site: required key is missing": say that a remote config names its board, and how.
            problems.append(f'{name}: {section}.id: required in a remote config: [{section}] id = "{ours}" (the board)')
    if problems:
        raise ConfigError(problems)
    loaded = load_config_text(text, name=name, base_dir=running.path.parent)
    config = loaded.config
    ids = (("site", config.site.id, current.site.id), ("board", config.board.id, current.board.id))
    for section, theirs, ours in ids:
        if theirs != ours:
            problems.append(f'{name}: {section}.id: expected "{ours}" (this board), got "{theirs}"')
    kept = config
    for path, why in FIXED_REMOTELY.items():
        ours = _value_at(current, path)
        if _given(raw, path) and _value_at(config, path) != ours:
            key = ".".join(path)
            problems.append(f"{name}: {key}: cannot be changed over MQTT: {why}; change it in the board's file")
        kept = _replaced(kept, path, ours)
    if problems:
        raise ConfigError(problems)
    return LoadedConfig(config=kept, path=loaded.path, files=loaded.files, checksum=loaded.checksum, text=loaded.text)


def _given(raw: dict[str, Any], path: tuple[str, ...]) -> bool:
    """True if the received TOML sets the key at ``path``."""
    table: Any = raw
    for part in path:
        if not isinstance(table, dict) or part not in table:
            return False
        table = table[part]
    return True


def _value_at(config: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        config = getattr(config, part)
    return config


def _replaced(config: Any, path: tuple[str, ...], value: Any) -> Any:
    """``config`` with the key at ``path`` set to ``value`` (structs are frozen: rebuilt along the path)."""
    head, *rest = path
    inner = value if not rest else _replaced(getattr(config, head), tuple(rest), value)
    return msgspec.structs.replace(config, **{head: inner})


def judge_remote_config(
    text: str,
    running: LoadedConfig,
    *,
    name: str,
    received_at: float,
    size: int | None = None,
    refused: str | None = None,
) -> tuple[ConfigOutcome | None, LoadedConfig | None]:
    """Judge one received config: its outcome (None for a withdrawn, empty message) and the config to apply.

    ``size`` is the message's bytes; ``refused`` says why the edge could not read it (too large, not
    UTF-8): rejected with that reason. The config to apply is given only when the outcome is
    ``applied``; the caller applies it.
    """
    if refused is not None:
        problems: tuple[str, ...] = (printable(f"{name}: {refused}", _MAX_PROBLEM_CHARS),)
        log.error("remote config rejected: %s", problems[0])
        return ConfigOutcome("rejected", None, received_at, problems, size), None
    if not text.strip():
        log.info("remote config withdrawn; the running config stays")
        return None, None
    try:
        loaded = check_remote_config(text, running, name=name)
    except ConfigError as exc:
        problems = tuple(printable(line, _MAX_PROBLEM_CHARS) for line in exc.problems[:_MAX_PROBLEMS])
        for line in problems:
            log.error("remote config rejected: %s", line)
        return ConfigOutcome("rejected", None, received_at, problems, size), None
    if loaded.checksum == running.checksum:
        return ConfigOutcome("unchanged", loaded.checksum, received_at, size=size), None
    log.info("remote config %s applied", loaded.checksum)
    return ConfigOutcome("applied", loaded.checksum, received_at, size=size), loaded
