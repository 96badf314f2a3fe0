"""Reading a board config: TOML files, ``extends`` for a per-site file, and a config held in memory.

A board file may name a site file with ``extends = "../site.toml"``; tables
merge key by key (the board wins) and lists such as ``[[rule]]`` are replaced
whole. What is read is validated by ``problems.validate``, which reports every
problem as one line naming the file, the key path and what was expected, e.g.::

    config/boards/floor2.toml: rule[3].warn_above: expected a number, got "eighty"

This module reads files and returns values; it opens no connection and starts nothing.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from wallboard.device.config.bounds import MAX_CONFIG_BYTES, parse_toml_text
from wallboard.device.config.problems import show, validate
from wallboard.device.config.schema import BoardConfig
from wallboard.device.errors import ConfigError

_MAX_EXTENDS_DEPTH = 4


@dataclass(frozen=True)
class LoadedConfig:
    """A validated config with where it came from and a checksum of its merged content."""

    config: BoardConfig
    path: Path
    files: tuple[Path, ...]
    checksum: str
    text: str  # the merged config as TOML-equivalent JSON, for the cache's last-good copy


def load_config(path: str | os.PathLike[str]) -> LoadedConfig:
    """Load, merge and validate a board config; raise ConfigError listing every problem found."""
    board_path = Path(path)
    layers = _read_layers(board_path)
    merged: dict[str, Any] = {}
    for _, raw in layers:
        merged = _merge(merged, raw)
    merged.pop("extends", None)
    config = validate(merged, layers, base_dir=board_path.parent)
    text = msgspec.json.encode(merged).decode()
    return LoadedConfig(
        config=config,
        path=board_path,
        files=tuple(p for p, _ in layers),
        checksum=hashlib.sha256(text.encode()).hexdigest()[:16],
        text=text,
    )


def load_config_text(text: str, *, name: str = "<remote>", base_dir: Path | None = None) -> LoadedConfig:
    """Validate a config held in memory (TOML), e.g. one received over MQTT; no ``extends``."""
    raw = parse_toml_text(text, name)
    if "extends" in raw:
        raise ConfigError([f"{name}: extends: not allowed in a config sent over the network"])
    layers = [(Path(name), raw)]
    config = validate(raw, layers, base_dir=base_dir or Path.cwd())
    merged_text = msgspec.json.encode(raw).decode()
    return LoadedConfig(
        config=config,
        path=Path(name),
        files=(Path(name),),
        checksum=hashlib.sha256(merged_text.encode()).hexdigest()[:16],
        text=merged_text,
    )


def _read_layers(board_path: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Read a board file and the chain of files it extends, base first."""
    chain: list[tuple[Path, dict[str, Any]]] = []
    current = board_path
    seen: set[Path] = set()
    while True:
        resolved = current.resolve()
        if resolved in seen:
            raise ConfigError([f"{current}: extends: a file may not extend itself, directly or not"])
        seen.add(resolved)
        raw = read_toml(current)
        chain.append((current, raw))
        parent = raw.get("extends")
        if parent is None:
            break
        if not isinstance(parent, str):
            raise ConfigError([f"{current}: extends: expected a file name, got {show(parent)}"])
        if len(chain) > _MAX_EXTENDS_DEPTH:
            raise ConfigError([f"{current}: extends: more than {_MAX_EXTENDS_DEPTH} levels"])
        extended = Path(os.path.normpath(current.parent / parent))
        if not extended.is_file():
            # Name the file that says `extends` and the path it gives: the missing file alone says neither.
            what = "is a folder, not a file" if extended.is_dir() else "file not found"
            raise ConfigError([f'{current}: extends: {what}: "{parent}" (looked for {extended})'])
        current = extended
    chain.reverse()
    return chain


def read_toml(path: Path) -> dict[str, Any]:
    """Read one TOML file, bounded in size and depth before parsing (``device.config.bounds``)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
        if len(data) > MAX_CONFIG_BYTES:
            raise ConfigError([f"{path}: too large (more than {MAX_CONFIG_BYTES} bytes)"])
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read: {exc}"]) from None
    return parse_toml_text(text, str(path))


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key with ``over`` winning; any other value (lists too) is replaced."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out
