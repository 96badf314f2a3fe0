"""``wallboard check``: validate config files or whole folders before a rollout.

A folder is searched for ``*.toml``; files that other files ``extend`` (site
files) are checked through the boards that use them, and on their own only
when no board uses them. One line per problem; the exit status says whether
every file passed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from wallboard.device.config.loader import load_config, read_toml
from wallboard.device.errors import ConfigError


@dataclass(frozen=True)
class CheckResult:
    """The outcome for one board file."""

    path: Path
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def board_files(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[str]]:
    """The board files under ``paths`` (site files only used as ``extends`` left out), and missing paths."""
    found: list[Path] = []
    missing: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(path.rglob("*.toml")))
        elif path.exists():
            found.append(path)
        else:
            missing.append(f"{path}: no such file or folder")
    extended = {target for file in found if (target := _extends_target(file)) is not None}
    boards = [file for file in found if file.resolve() not in extended and not is_feed_config(file)]
    return boards, missing


def feed_config_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The feed configs (files with a ``[feed]`` table) under ``paths``: ``wallboard feed`` reads them, not a board."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        found.extend(sorted(path.rglob("*.toml")) if path.is_dir() else [path] if path.exists() else [])
    return [file for file in found if is_feed_config(file)]


def is_feed_config(path: Path) -> bool:
    """True if ``path`` is a feed's config (it has a ``[feed]`` table) rather than a board's or a site's."""
    try:
        return isinstance(read_toml(path).get("feed"), dict)  # bounded: a hostile file is judged as a board's
    except ConfigError:
        return False


def _extends_target(path: Path) -> Path | None:
    try:
        parent = read_toml(path).get("extends")
    except ConfigError:
        return None  # reported when the file itself is checked
    return (path.parent / parent).resolve() if isinstance(parent, str) else None


def check_paths(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[CheckResult], list[str]]:
    """Validate every board file under ``paths``."""
    boards, missing = board_files(paths)
    results = []
    for board in boards:
        try:
            load_config(board)
            results.append(CheckResult(board, ()))
        except ConfigError as exc:
            results.append(CheckResult(board, tuple(exc.problems)))
    return results, missing
