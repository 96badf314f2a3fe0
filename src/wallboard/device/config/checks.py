"""``wallboard check``: validate config files or whole folders before a rollout.

A folder is searched for ``*.toml``; files that other files ``extend`` (site
files) are checked through the boards that use them, and on their own only
when no board uses them. One line per problem; the exit status says whether
every file passed. Warnings (a rule with neither hysteresis nor hold, which
would flap a light on a value hovering at its level) are printed but do not
fail the check.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from wallboard.device.config.reading import load_config, read_toml
from wallboard.device.config.schema import BoardConfig
from wallboard.device.errors import ConfigError


@dataclass(frozen=True)
class CheckResult:
    """The outcome for one board file."""

    path: Path
    problems: tuple[str, ...]
    warnings: tuple[str, ...] = ()

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
            loaded = load_config(board)
            results.append(CheckResult(board, (), tuple(rule_warnings(board, loaded.config))))
        except ConfigError as exc:
            results.append(CheckResult(board, tuple(exc.problems)))
    return results, missing


def rule_warnings(path: Path, config: BoardConfig) -> list[str]:
    """Rules that would flap (no hysteresis and no hold), and totals over queues with different thresholds T."""
    warnings = []
    for index, rule in enumerate(config.rule):
        if rule.hysteresis <= 0 and rule.hold <= 0:
            warnings.append(
                f"{path}: rule[{index + 1}]: warning: {rule.metric} has neither hysteresis nor hold; "
                'a value hovering at the level will flap the light (e.g. hysteresis = 2, hold = "30s")'
            )
    for index, total in enumerate(config.total):
        thresholds = {float(config.queue_settings(queue).sl_threshold) for queue in total.queues if queue != "*"}
        if len(thresholds) > 1:
            shown = ", ".join(f"{t:g}s" for t in sorted(thresholds))
            warnings.append(
                f"{path}: total[{index + 1}]: warning: {total.id} adds up queues with different service-level "
                f"thresholds ({shown}); its service level mixes them"
            )
    return warnings
