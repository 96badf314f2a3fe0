"""Remote config: a board config (TOML) taken from the retained message on the board's own config topic.

The text is validated fully, exactly as a file would be, plus three checks
that only matter over the network: the site and board ids must be the
board's own (the topic names the board), and ``[mqtt]`` and ``[cache]`` must
be left out or equal the running ones, because a typo there would cut the
board off from the very broker that could fix it, or move its cache. Left
out, they are taken from the running config. A valid config is applied with
``Board.reconfigure`` (which keeps it as last good); an invalid one is
rejected with its problems and the running config stays.

Runs on the main thread. Must not touch MQTT or the outputs itself: it
decides, ``Board`` applies, the health status reports the outcome.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

import msgspec

from wallboard.device.config.bounds import parse_toml_text
from wallboard.device.config.loader import LoadedConfig, load_config_text
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

    def as_status(self) -> dict[str, object]:
        return {"result": self.result, "checksum": self.checksum, "at": round(self.at, 3), "problems": self.problems}


def check_remote_config(text: str, running: LoadedConfig, *, name: str) -> LoadedConfig:
    """Validate ``text`` as a config for the board running ``running``; raise ConfigError with every problem."""
    loaded = load_config_text(text, name=name, base_dir=running.path.parent)
    raw = parse_toml_text(text, name)  # parsed again only to see which tables were left out
    config, current = loaded.config, running.config
    problems = []
    ids = (("site", config.site.id, current.site.id), ("board", config.board.id, current.board.id))
    for section, theirs, ours in ids:
        if theirs != ours:
            problems.append(f'{name}: {section}.id: expected "{ours}" (this board), got "{theirs}"')
    replaced = {}
    for section in ("mqtt", "cache"):
        if section not in raw:
            replaced[section] = getattr(current, section)
        elif getattr(config, section) != getattr(current, section):
            problems.append(
                f"{name}: {section}: cannot be changed over MQTT (a mistake would cut the board off); "
                "leave it out, or change it in the board's file"
            )
    if problems:
        raise ConfigError(problems)
    if replaced:
        loaded = LoadedConfig(
            config=msgspec.structs.replace(config, **replaced),
            path=loaded.path,
            files=loaded.files,
            checksum=loaded.checksum,
            text=loaded.text,
        )
    return loaded


def judge_remote_config(
    text: str, running: LoadedConfig, *, name: str, received_at: float
) -> tuple[ConfigOutcome | None, LoadedConfig | None]:
    """Judge one received config: its outcome (None for a withdrawn, empty message) and the config to apply.

    The config to apply is given only when the outcome is ``applied``; the caller applies it.
    """
    if not text.strip():
        log.info("remote config withdrawn; the running config stays")
        return None, None
    try:
        loaded = check_remote_config(text, running, name=name)
    except ConfigError as exc:
        problems = tuple(printable(line, _MAX_PROBLEM_CHARS) for line in exc.problems[:_MAX_PROBLEMS])
        for line in problems:
            log.error("remote config rejected: %s", line)
        return ConfigOutcome("rejected", None, received_at, problems), None
    if loaded.checksum == running.checksum:
        return ConfigOutcome("unchanged", loaded.checksum, received_at), None
    log.info("remote config %s applied", loaded.checksum)
    return ConfigOutcome("applied", loaded.checksum, received_at), loaded
