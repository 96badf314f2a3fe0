"""Board config: TOML files, typed and validated at load, with ``extends`` for a per-site file.

A board file may name a site file with ``extends = "../site.toml"``; tables
merge key by key (the board wins) and lists such as ``[[rule]]`` are replaced
whole. Every problem is reported as one line naming the file, the key path and
what was expected, e.g.::

    config/boards/floor2.toml: rule[3].warn_above: expected a number, got "eighty"

List indices count from 1, as a person counts ``[[rule]]`` blocks. Unknown
keys are errors: a typo must never be silently ignored. This module reads
files and returns values; it opens no connection and starts nothing.
"""

from __future__ import annotations

import copy
import difflib
import functools
import hashlib
import math
import os
import re
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import msgspec

from wallboard.device.config.bounds import MAX_CONFIG_BYTES, parse_toml_text
from wallboard.device.config.queues import DEFAULT_QUEUE, QueueSettings, TotalSettings, queue_problems
from wallboard.device.config.screen_schema import DisplaySettings, display_problems
from wallboard.device.config.signals_schema import SignalSettings, signal_problems
from wallboard.device.config.types import Duration, decode_hook
from wallboard.device.errors import ConfigError
from wallboard.device.wire.metrics import RATIO_FIELDS, MetricKind, field_kind, is_valid_name, split_key

_MAX_EXTENDS_DEPTH = 4
_MAX_REPORTED = 20
# The largest alarm level or hysteresis a rule takes (no metric on the wire comes near it).
MAX_LEVEL = 1e9


class _Section(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Base of every config table: unknown keys are errors, values are immutable."""


class SiteSettings(_Section, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The contact-centre site the board belongs to."""

    id: str
    name: str = ""
    timezone: str = "UTC"


class BoardSettings(_Section, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """This board's identity."""

    id: str
    name: str = ""


class TlsSettings(_Section, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """TLS to the broker: a CA file, and optionally a client certificate and key."""

    ca_file: str
    cert_file: str | None = None
    key_file: str | None = None


class MqttSettings(_Section, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The broker connection. The password comes from ``password_file``, never the config."""

    host: str = "localhost"
    port: int = 1883
    client_id: str | None = None
    username: str | None = None
    password_file: str | None = None
    tls: TlsSettings | None = None
    topic_prefix: str = "cc"
    keepalive: Duration = Duration(7)  # paho notices a dead link within 2 x keepalive
    reconnect_min: Duration = Duration(1)
    reconnect_max: Duration = Duration(30)
    # MQTT 5 lets the board tell the broker the largest packet it accepts, so an oversized message is
    # dropped by the broker instead of filling a Pi's memory; "3.1.1" for brokers without MQTT 5.
    protocol: Literal["5", "3.1.1"] = "5"


class IngestSettings(_Section, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Limits at the edge, where messages become values."""

    max_payload_bytes: int = 65536
    queue_capacity: int = 2048
    max_clock_skew: Duration = Duration(300)
    log_interval: Duration = Duration(10)
    # Metrics of queues no page, rule, [[metric]] or [[topic]] names are held up to this many; beyond it a
    # new one is rejected (over_limit), so junk topics cannot fill the memory or the cache.
    max_other_metrics: int = 2048
    max_announcements: int = 32


class TopicMapping(_Section, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A topic outside the wire contract, mapped onto metrics.

    ``format = "number"``: the payload is one number for ``metric``.
    ``format = "json"``: ``fields`` maps the publisher's field names to metric
    keys; ``ts_field`` names the publisher's timestamp field, if any.
    """

    topic: str
    format: Literal["number", "json"] = "number"
    metric: str | None = None
    fields: dict[str, str] = {}
    ts_field: str | None = None


class MetricSettings(_Section, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Per-metric presentation and staleness, and the kind of a site's own metrics."""

    key: str
    label: str = ""
    kind: Literal["count", "percent", "seconds", "number"] | None = None
    stale_after: Duration | None = None


class RuleSettings(_Section, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Warn and critical levels for one metric, in one direction, with hysteresis and hold."""

    metric: str
    warn_above: float | None = None
    critical_above: float | None = None
    warn_below: float | None = None
    critical_below: float | None = None
    hysteresis: float = 0.0
    hold: Duration = Duration(0)
    # Below this many calls behind a ratio (its denominator, e.g. offered) the rule does not alarm; the
    # tile says "low volume" instead of OK. 0: any volume counts (an empty period is "no calls yet").
    min_volume: float = 0.0


class CacheSettings(_Section, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Where and how often the local cache is written."""

    dir: str | None = None  # default: $STATE_DIRECTORY, else ~/.local/state/wallboard
    flush_interval: Duration = Duration(5)
    history_points: int = 360
    history_interval: Duration = Duration(10)


class HealthSettings(_Section, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The board's health telemetry on ``wallboard/<site>/<board>/status``."""

    interval: Duration = Duration(30)  # also published at once when the alarm or the connection changes
    hot_celsius: float = 75.0  # reported as "hot" from here (a Pi 4/5 starts throttling at 80-85 C)
    sysfs: str = "/sys"  # where temperatures are read; tests point it at a fake tree


class BoardConfig(_Section, frozen=True, forbid_unknown_fields=True, kw_only=True, dict=True):
    """A whole, merged and validated board config.

    ``dict=True`` gives it room for the lookups below, indexed once on first use (``cached_property``): the
    display asks for a metric's settings and stale limit a few dozen times a pass.
    """

    site: SiteSettings
    board: BoardSettings
    mqtt: MqttSettings = MqttSettings()
    ingest: IngestSettings = IngestSettings()
    default_stale_after: Duration = Duration(120)
    topic: list[TopicMapping] = []
    metric: list[MetricSettings] = []
    rule: list[RuleSettings] = []
    queue: list[QueueSettings] = []
    total: list[TotalSettings] = []
    cache: CacheSettings = CacheSettings()
    display: DisplaySettings = DisplaySettings()
    signals: SignalSettings = SignalSettings()
    health: HealthSettings = HealthSettings()

    @functools.cached_property
    def _metrics_by_key(self) -> dict[str, MetricSettings]:
        found: dict[str, MetricSettings] = {}
        for entry in self.metric:
            found.setdefault(entry.key, entry)  # the first entry for a key wins, as a scan would find it
        return found

    @functools.cached_property
    def _queues_by_id(self) -> dict[str, QueueSettings]:
        found: dict[str, QueueSettings] = {}
        for entry in self.queue:
            found.setdefault(entry.id, entry)
        return found

    @functools.cached_property
    def _stale_limits(self) -> dict[str, float]:
        entries = self._metrics_by_key.items()
        return {key: float(entry.stale_after) for key, entry in entries if entry.stale_after is not None}

    def metric_settings(self, key: str) -> MetricSettings | None:
        """The ``[[metric]]`` entry for ``key``, if the config has one."""
        return self._metrics_by_key.get(key)

    def queue_settings(self, queue: str) -> QueueSettings:
        """The ``[[queue]]`` entry for ``queue`` (a total's id too), or the defaults (80/20, offered minus short)."""
        return self._queues_by_id.get(queue, DEFAULT_QUEUE)

    def stale_after(self, key: str) -> float:
        """Seconds after which ``key``'s value is stale."""
        return self._stale_limits.get(key, float(self.default_stale_after))

    def kind_of(self, key: str) -> MetricKind | None:
        """The kind of ``key``: declared in ``[[metric]]`` or known from the wire contract."""
        entry = self.metric_settings(key)
        if entry is not None and entry.kind is not None:
            return MetricKind(entry.kind)
        _, _, field = key.partition(".")
        return field_kind(field)


@dataclass(frozen=True)
class LoadedConfig:
    """A validated config with where it came from and a checksum of its merged content."""

    config: BoardConfig
    path: Path
    files: tuple[Path, ...]
    checksum: str
    text: str  # the merged config as TOML-equivalent JSON, for the cache's last-good copy


# --------------------------------------------------------------------- loading


def load_config(path: str | os.PathLike[str]) -> LoadedConfig:
    """Load, merge and validate a board config; raise ConfigError listing every problem found."""
    board_path = Path(path)
    layers = _read_layers(board_path)
    merged: dict[str, Any] = {}
    for _, raw in layers:
        merged = _merge(merged, raw)
    merged.pop("extends", None)
    config = _validate(merged, layers, base_dir=board_path.parent)
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
    config = _validate(raw, layers, base_dir=base_dir or Path.cwd())
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
            raise ConfigError([f"{current}: extends: expected a file name, got {_show(parent)}"])
        if len(chain) > _MAX_EXTENDS_DEPTH:
            raise ConfigError([f"{current}: extends: more than {_MAX_EXTENDS_DEPTH} levels"])
        current = Path(os.path.normpath(current.parent / parent))
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


# ------------------------------------------------------------------ validation

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


def _validate(merged: dict[str, Any], layers: list[tuple[Path, dict[str, Any]]], base_dir: Path) -> BoardConfig:
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
        return path, f"expected {wanted}, got {_show(_value_at(data, path))}", True
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


def _show(value: Any) -> str:
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
        problems.append((path, f'"{key}" is not a wire-contract field; declare it in [[metric]] with a kind'))
    return problems


def _rule_problems(config: BoardConfig, here: list[str | int], rule: RuleSettings) -> list[tuple[list[str | int], str]]:
    found = _key_problems([*here, "metric"], rule.metric)
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


def resolve_path(name: str, base_dir: Path) -> Path:
    """A file named in config: absolute, or relative to the config file's folder."""
    path = Path(name).expanduser()
    return path if path.is_absolute() else base_dir / path


def read_secret(name: str, base_dir: Path) -> str:
    """Read a secret file (first line, whitespace stripped)."""
    with resolve_path(name, base_dir).open(encoding="utf-8") as handle:
        return handle.readline().strip()
