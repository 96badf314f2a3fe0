"""Derived metrics from raw counts: one formula evaluated over a queue's held values, and a total's sums.

Pure functions over a lookup of held values; ``BoardState`` decides when to call them and stores what
they return. A ratio whose denominator is 0 is not a number but "no calls yet", returned as a
``Ratio`` with ``value`` None so the board can say so instead of keeping the last period's figure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from wallboard.device.wire.metrics import MAX_MAGNITUDE, Derivation, MetricKind, field_kind

Lookup = Callable[[str], tuple[float, float] | None]  # field -> (value, measured_at), or None if not held


@dataclass(frozen=True, slots=True)
class Ratio:
    """A formula's result: the value (None when the denominator is 0), its parts, and its inputs' oldest time."""

    value: float | None
    numerator: float
    denominator: float | None  # None for a plain sum (no division)
    measured_at: float


def evaluate(formula: Derivation, lookup: Lookup) -> Ratio | None:
    """``formula`` over the values ``lookup`` holds; None if an input is missing or the counts contradict."""
    held: dict[str, tuple[float, float]] = {}
    for name in formula.inputs:
        found = lookup(name)
        if found is None:
            if name not in formula.optional:
                return None
            continue
        held[name] = found
    if not held:
        return None

    def total(names: Iterable[str]) -> float:
        return sum(held[name][0] for name in names if name in held)

    numerator = total(formula.numerator) - total(formula.numerator_minus)
    measured_at = min(at for _, at in held.values())
    if not formula.denominator:
        return Ratio(numerator * formula.scale, numerator, None, measured_at)
    denominator = total(formula.denominator) - total(formula.denominator_minus)
    if denominator < 0 or (denominator == 0 and numerator != 0):
        return None  # inconsistent counts: show nothing rather than nonsense
    if denominator == 0:
        return Ratio(None, 0.0, 0.0, measured_at)
    value = numerator / denominator * formula.scale
    kind = field_kind(formula.field)
    if (kind is MetricKind.PERCENT and not 0.0 <= value <= 100.0) or abs(value) > MAX_MAGNITUDE:
        return None
    return Ratio(value, numerator, denominator, measured_at)


def combine(parts: Iterable[tuple[float, float]], how: str) -> tuple[float, float] | None:
    """A total's (value, measured_at) from its queues' (value, measured_at): the "sum", the "max" or the "min".

    The total is as old as its oldest part, so one silent queue makes the total stale, never quietly short.
    """
    held = list(parts)
    if not held:
        return None
    values = [v for v, _ in held]
    value = max(values) if how == "max" else min(values) if how == "min" else sum(values)
    return value, min(at for _, at in held)
