"""Metric names and kinds: the vocabulary shared by ingest, state, rules, cache and display.

A metric key is ``<queue>.<field>``, e.g. ``sales.service_level_pct``. The
field decides the kind, and the kind decides what values are valid and how a
tile formats them. This module holds plain data and pure functions only.
"""

import enum
import re
from dataclasses import dataclass


class MetricKind(enum.Enum):
    """What a number means, which bounds it must respect and how it is shown."""

    COUNT = "count"  # a whole number >= 0 (calls waiting, agents available)
    PERCENT = "percent"  # 0..100 (service level, abandon rate)
    SECONDS = "seconds"  # a duration >= 0 (longest wait, ASA, AHT)
    NUMBER = "number"  # any finite number (a site's own metric)


# Fields of the wire contract's queue object, and the count fields that feed
# derived metrics when a publisher sends raw counts instead of ratios.
QUEUE_FIELDS: dict[str, MetricKind] = {
    "calls_waiting": MetricKind.COUNT,
    "longest_wait_s": MetricKind.SECONDS,
    "service_level_pct": MetricKind.PERCENT,
    "asa_s": MetricKind.SECONDS,
    "aht_s": MetricKind.SECONDS,
    "abandon_rate_pct": MetricKind.PERCENT,
    "agents_available": MetricKind.COUNT,
    "agents_on_call": MetricKind.COUNT,
    "agents_wrap": MetricKind.COUNT,
    "agents_away": MetricKind.COUNT,
    "answered": MetricKind.COUNT,
    "answered_within_target": MetricKind.COUNT,
    "abandoned": MetricKind.COUNT,
    "offered": MetricKind.COUNT,
    "handled": MetricKind.COUNT,
    "handle_time_s": MetricKind.SECONDS,
}

# Largest value any metric may take: beyond this a publisher is broken (a
# week of waiting, ten million calls) and the value is rejected, not shown.
MAX_MAGNITUDE = 1e7

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def is_valid_name(name: str) -> bool:
    """True if ``name`` is usable as a queue or field name (letters, digits, _ and -)."""
    return bool(_NAME.match(name))


def metric_key(queue: str, field: str) -> str:
    """Join a queue and a field into a metric key."""
    return f"{queue}.{field}"


def split_key(key: str) -> tuple[str, str]:
    """Split ``sales.calls_waiting`` into (``sales``, ``calls_waiting``); raise ValueError otherwise."""
    queue, dot, field = key.partition(".")
    if not dot or not is_valid_name(queue) or not is_valid_name(field):
        raise ValueError(f'expected a metric key like "sales.calls_waiting", got "{key}"')
    return queue, field


@dataclass(frozen=True, slots=True)
class Derivation:
    """A derived metric: ``field = numerator / denominator * scale`` over one queue's fields."""

    field: str
    numerator: str
    denominator: str
    scale: float


# The fixed set of formulas (no eval): a publisher that sends counts gets ratios.
DERIVATIONS: tuple[Derivation, ...] = (
    Derivation("service_level_pct", "answered_within_target", "answered", 100.0),
    Derivation("abandon_rate_pct", "abandoned", "offered", 100.0),
    Derivation("aht_s", "handle_time_s", "handled", 1.0),
)
