"""A config's problems: msgspec's errors turned into one plain line each, and the checks across keys.

Every line names the file that set the key, the key path (list positions count from 1, as a person
counts ``[[rule]]`` blocks) and what was expected. Unknown keys are errors with a "did you mean":
a typo must never be silently ignored. ``validate`` collects every problem of a config in one run.
No I/O beyond asking whether a file the config names exists.
"""

from __future__ import annotations

import copy
import difflib
import math
import os
import re
import types
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import msgspec

from wallboard.device.config.hosts import mqtt_host_problem
from wallboard.device.config.metric_names import near_metric, unknown_metric
from wallboard.device.config.named_files import resolve_path
from wallboard.device.config.queues import queue_problems
from wallboard.device.config.schema import MAX_LEVEL, BoardConfig, RuleSettings
from wallboard.device.config.screen_schema import display_problems
from wallboard.device.config.signals_schema import signal_problems
from wallboard.device.config.types import decode_hook
from wallboard.device.errors import ConfigError
from wallboard.device.wire.metrics import RATIO_FIELDS, field_kind, is_valid_name, split_key

_MAX_REPORTED = 20
_PATH_TAIL = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_PATH_PART = re.compile(r"\.([A-Za-z0-9_]+)|\[(\d+)\]|\[(\"[^\"]*\"|'[^']*')\]")
_TYPE_WORDS = {
    "float": "a number",
    "int": "a whole number",
    "str": "a string",
    "bool": "true or false",
    "array": "a list",
    "object": "a table",
    "null": "nothing",
}


def validate(merged: dict[str, Any], layers: list[tuple[Path, dict[str, Any]]], base_dir: Path) -> BoardConfig:
    """Convert ``merged`` to a BoardConfig, collecting every structural and semantic problem."""
    problems: list[str] = []
    attempt = copy.deepcopy(merged)
    config: BoardConfig | None = None
    for _ in range(_MAX_REPORTED):
        try:
            config = msgspec.convert(attempt, BoardConfig, dec_hook=decode_hook)
            break
        except msgspec.ValidationError as exc:
            path, message, removable = _describe(str(exc), attempt)
            problems.append(f"{_file_for(path, layers)}: {_show_path(path) or '(top level)'}: {message}")
            # Drop the bad value and try again so one run reports every problem.
            if not removable or not _remove(attempt, path):
                break
    if config is None or problems:
        raise ConfigError(problems)
    for path, message in _semantic_problems(config, base_dir):
        problems.append(f"{_file_for(path, layers)}: {_show_path(path)}: {message}")
    if problems:
        raise ConfigError(problems)
    return config


def _describe(error: str, data: dict[str, Any]) -> tuple[list[str | int], str, bool]:
    """Turn a msgspec error into (key path, plain message, whether removing the value may help)."""
    match = _PATH_TAIL.search(error)
    path = _parse_path(match.group("path")) if match else []
    text = error[: match.start()] if match else error
    unknown = re.match(r"Object contains unknown field `(.+)`", text)
    if unknown:
        key = unknown.group(1)
        allowed = _fields_at(path)
        hint = difflib.get_close_matches(key, allowed, n=1)
        suggestion = f'; did you mean "{hint[0]}"?' if hint else f" (known keys: {', '.join(allowed)})"
        return [*path, key], f"unknown key{suggestion}", True
    missing = re.match(r"Object missing required field `(.+)`", text)
    if missing:
        return [*path, missing.group(1)], "required key is missing", False
    expected = re.match(r"Expected `(.+?)`(?:, got `(.+?)`)?$", text)
    if expected:
        wanted = " or ".join(_TYPE_WORDS.get(part.strip(), part.strip()) for part in expected.group(1).split("|"))
        wanted = wanted.replace("a number or nothing", "a number")
        return path, f"expected {wanted}, got {show(_value_at(data, path))}", True
    literal = re.match(r"Invalid enum value (.+)", text)
    if literal:
        return path, f"expected one of the allowed values, got {literal.group(1)}", True
    return path, text[:1].lower() + text[1:], True


def _parse_path(text: str) -> list[str | int]:
    parts: list[str | int] = []
    for match in _PATH_PART.finditer(text):
        if match.group(1) is not None:
            parts.append(match.group(1))
        elif match.group(2) is not None:
            parts.append(int(match.group(2)))
        else:
            parts.append(match.group(3)[1:-1])
    return parts


def _show_path(path: list[str | int]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        elif re.fullmatch(r"[A-Za-z0-9_-]+", part):
            out += f".{part}" if out else part
        else:
            out += f'["{part}"]'
    return out


def show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _value_at(data: Any, path: list[str | int]) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _remove(data: Any, path: list[str | int]) -> bool:
    if not path:
        return False
    parent = _value_at(data, path[:-1])
    last = path[-1]
    if isinstance(parent, dict) and last in parent:
        del parent[last]
        return True
    if isinstance(parent, list) and isinstance(last, int) and last < len(parent):
        # Keep list positions stable so later messages name the right entry.
        parent[last] = {} if isinstance(parent[last], dict) else parent[last]
        return False
    return False


def _file_for(path: list[str | int], layers: list[tuple[Path, dict[str, Any]]]) -> Path:
    """The file that set ``path``: the most specific layer that has the key (or its top key)."""
    for probe in (path, path[:1]):
        for file, raw in reversed(layers):
            if probe and _value_at(raw, probe) is not None:
                return Path(file)
    return Path(layers[-1][0])


def _fields_at(path: list[str | int]) -> list[str]:
    """Names of the keys allowed in the table at ``path``."""
    kind: Any = BoardConfig
    for part in path:
        kind = _unwrap(kind)
        if isinstance(part, int):
            kind = get_args(kind)[0] if get_args(kind) else kind
        elif isinstance(kind, type) and issubclass(kind, msgspec.Struct):
            found = {f.name: f.type for f in msgspec.structs.fields(kind)}
            kind = found.get(part, kind)
        elif get_origin(kind) is dict:
            kind = get_args(kind)[1]
    kind = _unwrap(kind)
    if isinstance(kind, type) and issubclass(kind, msgspec.Struct):
        return [f.name for f in msgspec.structs.fields(kind)]
    return []


def _unwrap(kind: Any) -> Any:
    """``X | None`` -> ``X``."""
    if get_origin(kind) in (Union, types.UnionType):
        options = [a for a in get_args(kind) if a is not type(None)]
        if len(options) == 1:
            return options[0]
    return kind


def _semantic_problems(config: BoardConfig, base_dir: Path) -> list[tuple[list[str | int], str]]:
    """Checks across keys that types alone cannot express."""
    found: list[tuple[list[str | int], str]] = []
    for name, value in (("site", config.site.id), ("board", config.board.id)):
        if not is_valid_name(value):
            found.append(([name, "id"], f'expected letters, digits, "_" or "-", got "{value}"'))
    mqtt = config.mqtt
    host_problem = mqtt_host_problem(mqtt.host, mqtt.port)
    if host_problem is not None:
        found.append((["mqtt", "host"], host_problem))
    if not 1 <= mqtt.port <= 65535:
        found.append((["mqtt", "port"], f"expected a port from 1 to 65535, got {mqtt.port}"))
    if mqtt.reconnect_min <= 0 or mqtt.reconnect_max < mqtt.reconnect_min:
        found.append((["mqtt", "reconnect_max"], "expected reconnect_min > 0 and reconnect_max >= reconnect_min"))
    for name in ("keepalive", "reconnect_min", "reconnect_max"):
        if float(getattr(mqtt, name)) % 1:
            found.append((["mqtt", name], "expected whole seconds (the MQTT client reconnects in whole seconds)"))
    if not 2 <= mqtt.keepalive <= 600:
        found.append((["mqtt", "keepalive"], "expected a keepalive from 2s to 10m"))
    if mqtt.password_file is not None and mqtt.username is None:
        found.append((["mqtt", "username"], "required when password_file is set"))
    files: list[tuple[list[str | int], str | None]] = [(["mqtt", "password_file"], mqtt.password_file)]
    if mqtt.tls is not None:
        files += [
            (["mqtt", "tls", "ca_file"], mqtt.tls.ca_file),
            (["mqtt", "tls", "cert_file"], mqtt.tls.cert_file),
            (["mqtt", "tls", "key_file"], mqtt.tls.key_file),
        ]
        if (mqtt.tls.cert_file is None) != (mqtt.tls.key_file is None):
            found.append((["mqtt", "tls"], "cert_file and key_file go together"))
    for path, file_name in files:
        if file_name is not None and not os.access(resolve_path(file_name, base_dir), os.R_OK):
            found.append((path, f'expected a readable file, "{file_name}" cannot be read'))
    if config.ingest.max_payload_bytes < 64:
        found.append((["ingest", "max_payload_bytes"], "expected at least 64"))
    if config.ingest.queue_capacity < 16:
        found.append((["ingest", "queue_capacity"], "expected at least 16"))
    for name, top in (("max_payload_bytes", 16 * 1024 * 1024), ("queue_capacity", 100_000)):
        if getattr(config.ingest, name) > top:
            found.append((["ingest", name], f"expected at most {top}"))
    if not 0 <= config.ingest.max_other_metrics <= 100_000:
        found.append((["ingest", "max_other_metrics"], "expected 0 to 100000"))
    if not 1 <= config.ingest.max_announcements <= 1000:
        found.append((["ingest", "max_announcements"], "expected 1 to 1000"))
    for index, metric in enumerate(config.metric):
        found += _key_problems(["metric", index, "key"], metric.key)
        if metric.kind is None and field_kind(metric.key.partition(".")[2]) is None and "." in metric.key:
            if near_metric(metric.key) is not None:  # a label for a misspelt field, not a site's own metric
                found.append((["metric", index, "key"], unknown_metric(metric.key, "")))
            else:
                found.append((["metric", index, "kind"], "required for a metric outside the wire contract's fields"))
    for index, mapping in enumerate(config.topic):
        here: list[str | int] = ["topic", index]
        if not mapping.topic or any(c in mapping.topic for c in "+#"):
            found.append(([*here, "topic"], f'expected a topic name without wildcards, got "{mapping.topic}"'))
        if mapping.format == "number":
            if mapping.metric is None:
                found.append(([*here, "metric"], 'required when format = "number"'))
            else:
                found += _known_metric_problems(config, [*here, "metric"], mapping.metric)
            if mapping.fields:
                found.append(([*here, "fields"], 'only for format = "json"'))
        else:
            if not mapping.fields:
                found.append(([*here, "fields"], 'required when format = "json"'))
            for source, target in mapping.fields.items():
                found += _known_metric_problems(config, [*here, "fields", source], target)
    for index, rule in enumerate(config.rule):
        found += _rule_problems(config, ["rule", index], rule)
    if config.cache.history_points < 2 or config.cache.history_points > 100_000:
        found.append((["cache", "history_points"], "expected 2 to 100000"))
    if config.cache.flush_interval < 0.5:
        found.append((["cache", "flush_interval"], "expected at least 0.5s"))
    if not 0 < config.health.hot_celsius <= 150:
        found.append((["health", "hot_celsius"], f"expected 0 to 150, got {config.health.hot_celsius}"))
    if config.health.interval < 1:
        found.append((["health", "interval"], "expected at least 1s"))
    found += queue_problems(config.queue, config.total)
    found += display_problems(config.display, config.kind_of)
    found += signal_problems(config.signals)
    return found


def _key_problems(path: list[str | int], key: str) -> list[tuple[list[str | int], str]]:
    try:
        split_key(key)
    except ValueError as exc:
        return [(path, str(exc))]
    return []


def _known_metric_problems(config: BoardConfig, path: list[str | int], key: str) -> list[tuple[list[str | int], str]]:
    problems = _key_problems(path, key)
    if not problems and config.kind_of(key) is None:
        problems.append((path, unknown_metric(key, "declare it in [[metric]] with a kind")))
    return problems


def _rule_problems(config: BoardConfig, here: list[str | int], rule: RuleSettings) -> list[tuple[list[str | int], str]]:
    found = _key_problems([*here, "metric"], rule.metric)
    if not found and config.kind_of(rule.metric) is None and near_metric(rule.metric) is not None:
        # A rule on a misspelt metric would wait for ever and never alarm: name the metric it was meant for.
        found.append(([*here, "metric"], unknown_metric(rule.metric, "")))
    above = (rule.warn_above, rule.critical_above)
    below = (rule.warn_below, rule.critical_below)
    has_above = any(v is not None for v in above)
    has_below = any(v is not None for v in below)
    if has_above == has_below:
        found.append((here, "expected warn_/critical_above or warn_/critical_below (one direction, not both)"))
        return found
    warn, critical = above if has_above else below
    for name, value in zip(("warn", "critical"), (warn, critical), strict=True):
        if value is not None and not (math.isfinite(value) and abs(value) <= MAX_LEVEL):
            found.append(
                ([*here, f"{name}_{'above' if has_above else 'below'}"], f"expected a number within ±1e9, got {value}")
            )
    if (
        warn is not None
        and critical is not None
        and ((has_above and critical < warn) or (has_below and critical > warn))
    ):
        side = "above" if has_above else "below"
        found.append(([*here, f"critical_{side}"], f"expected critical_{side} to be beyond warn_{side}"))
    if not (math.isfinite(rule.hysteresis) and 0 <= rule.hysteresis <= MAX_LEVEL):
        found.append(([*here, "hysteresis"], f"expected a number from 0 to 1e9, got {rule.hysteresis}"))
    if rule.min_volume < 0:
        found.append(([*here, "min_volume"], f"expected a number >= 0, got {rule.min_volume:g}"))
    elif rule.min_volume > 0 and rule.metric.partition(".")[2] not in RATIO_FIELDS:
        found.append(([*here, "min_volume"], f'only for a ratio worked out from counts, not "{rule.metric}"'))
    return found
