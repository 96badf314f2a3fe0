"""``wallboard check``: validate config files or whole folders before a rollout.

A folder is searched for ``*.toml``; files that other files ``extend`` (site
files) are checked through the boards that use them, and on their own only
when no board uses them. One line per problem; the exit status says whether
every file passed. Warnings (a rule with neither hysteresis nor hold, which
would flap a light on a value hovering at its level; a tile or a rule on a
metric the site's feed declares it cannot supply) are printed but do not fail
the check.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from wallboard.device.config.reading import load_config, read_toml
from wallboard.device.config.schema import BoardConfig
from wallboard.device.errors import ConfigError
from wallboard.device.wire.metrics import split_key
from wallboard.device.wire.supply import FieldSupply, missing_inputs

# The fields an "agents" widget draws for its queue (one legend entry each).
AGENT_FIELDS = ("agents_available", "agents_on_call", "agents_wrap", "agents_away")


@dataclass(frozen=True)
class SiteFeed:
    """A feed config found in the checked tree: its adapter's declaration, for the boards of its site."""

    adapter: str
    path: Path
    supply: FieldSupply


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


def check_paths(
    paths: Iterable[str | os.PathLike[str]], feeds: Mapping[str, Sequence[SiteFeed]] | None = None
) -> tuple[list[CheckResult], list[str]]:
    """Validate every board file under ``paths``; ``feeds`` (site id -> its feeds) adds the supply warnings."""
    boards, missing = board_files(paths)
    results = []
    for board in boards:
        try:
            loaded = load_config(board)
            site_feeds = (feeds or {}).get(loaded.config.site.id, ())
            warnings = rule_warnings(board, loaded.config) + supply_warnings(board, loaded.config, site_feeds)
            results.append(CheckResult(board, (), tuple(warnings)))
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


def supply_warnings(path: Path, config: BoardConfig, feeds: Sequence[SiteFeed]) -> list[str]:
    """Tiles, trends and rules on a metric the site's feeds declare they cannot supply (not even worked out).

    A metric mapped from a topic of the board's own (``[[topic]]``) is left alone: it does not come from the
    feed. With several feeds for the site, a field is missing only if none of them supplies it. An agents
    widget is named only if none of its four states is supplied (one missing state reads "n/a" by design).
    """
    if not feeds:
        return []
    not_supplied = frozenset.intersection(*(feed.supply.not_supplied for feed in feeds))
    mapped = {topic.metric for topic in config.topic if topic.metric} | {
        key for topic in config.topic for key in topic.fields.values()
    }
    named = ", ".join(f"{feed.adapter} ({feed.path})" for feed in feeds)
    source = f"the site's feed {named}" if len(feeds) == 1 else f"the site's feeds {named}"

    def lacking(key: str) -> frozenset[str]:
        if key in mapped:
            return frozenset()
        try:
            queue, field = split_key(key)
        except ValueError:
            return frozenset()  # reported as a problem of its own
        return missing_inputs(field, not_supplied, str(config.queue_settings(queue).sl_counts))

    def say(where: str, key: str, lacks: frozenset[str], outcome: str) -> str:
        needs = "" if lacks == {key.partition(".")[2]} else f" (it needs {', '.join(sorted(lacks))})"
        return f"{path}: {where}: warning: {key}{needs} cannot be supplied by {source}; {outcome}"

    warnings = []
    for p, page in enumerate(config.display.page):
        for w, widget in enumerate(page.widget):
            where = f"display.page[{p + 1}].widget[{w + 1}]"
            if widget.metric is not None and widget.type in ("kpi", "trend") and (lacks := lacking(widget.metric)):
                warnings.append(say(where, widget.metric, lacks, 'the tile will say "not supplied"'))
            if widget.type == "agents" and widget.queue is not None:
                keys = [f"{widget.queue}.{field}" for field in AGENT_FIELDS]
                if all(lacking(key) for key in keys):
                    warnings.append(
                        f"{path}: {where}: warning: the agents of {widget.queue} ({', '.join(AGENT_FIELDS)}) "
                        f"cannot be supplied by {source}"
                    )
    for index, rule in enumerate(config.rule):
        if lacks := lacking(rule.metric):
            warnings.append(say(f"rule[{index + 1}]", rule.metric, lacks, "the rule can never trip"))
    return warnings
