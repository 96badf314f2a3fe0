"""The ``[[queue]]`` and ``[[total]]`` sections: each queue's service-level convention, and groups summed.

A queue's service level is "X % of calls answered within T seconds"; which calls count is the queue's
``sl_counts`` (see ``wire.metrics.SERVICE_LEVEL_FORMULAS``). The default, ``offered_minus_short``, is the
one that cannot hide abandonment. A ``[[total]]`` names a group of queues (or ``["*"]``: every queue the
board hears) whose counts are summed into metrics of its own id, so ``site.service_level_pct`` is the
sum of numerators over the sum of denominators, never an average of percentages. Types and checks only.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from wallboard.device.config.types import Duration
from wallboard.device.wire.metrics import DEFAULT_SL_COUNTS, is_valid_name

SlCounts = Literal["answered", "offered", "offered_minus_short", "abandoned_as_met"]


class QueueSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """One queue (or a total's id): its service-level target, threshold and convention, and staffing limits."""

    id: str
    label: str = ""
    sl_target: float = 80.0  # percent of calls within the threshold
    sl_threshold: Duration = Duration(20)  # T: the answer time the feed counts answered_within_target against
    sl_counts: SlCounts = DEFAULT_SL_COUNTS  # type: ignore[assignment]
    short_abandon: Duration = Duration(5)  # the feed's short-abandon threshold (shown in docs and checks)
    max_occupancy: float | None = None  # staffing hint: cap on agent occupancy, percent
    shrinkage: float = 0.0  # staffing hint: percent of paid time lost to breaks, training, absence

    def sl_caption(self) -> str:
        """``SL 80/20``: the target and the threshold as a supervisor writes them."""
        return f"SL {self.sl_target:g}/{self.sl_threshold:g}"


class TotalSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """A group of queues whose counts add up to metrics of its own: ``<id>.<field>``."""

    id: str
    label: str = ""
    queues: list[str] = []  # queue ids, or ["*"] for every queue the board hears


DEFAULT_QUEUE = QueueSettings(id="*")


def queue_problems(queues: list[QueueSettings], totals: list[TotalSettings]) -> list[tuple[list[str | int], str]]:
    """Checks of ``[[queue]]`` and ``[[total]]`` that types cannot express, as (key path, message) pairs."""
    found: list[tuple[list[str | int], str]] = []
    seen: set[str] = set()
    for index, queue in enumerate(queues):
        here: list[str | int] = ["queue", index]
        if not is_valid_name(queue.id):
            found.append(([*here, "id"], f'expected letters, digits, "_" or "-", got "{queue.id}"'))
        if queue.id in seen:
            found.append(([*here, "id"], f'"{queue.id}" is listed twice'))
        seen.add(queue.id)
        if not 0 < queue.sl_target <= 100:
            found.append(([*here, "sl_target"], f"expected a percentage above 0 up to 100, got {queue.sl_target:g}"))
        if queue.sl_threshold <= 0:
            found.append(([*here, "sl_threshold"], "expected a threshold above 0s"))
        if queue.max_occupancy is not None and not 0 < queue.max_occupancy <= 100:
            got = f"got {queue.max_occupancy:g}"
            found.append(([*here, "max_occupancy"], f"expected a percentage above 0 up to 100, {got}"))
        if not 0 <= queue.shrinkage < 100:
            found.append(([*here, "shrinkage"], f"expected a percentage from 0 to below 100, got {queue.shrinkage:g}"))
    totals_seen: set[str] = set()
    for index, total in enumerate(totals):
        here = ["total", index]
        if not is_valid_name(total.id):
            found.append(([*here, "id"], f'expected letters, digits, "_" or "-", got "{total.id}"'))
        if total.id in totals_seen:
            found.append(([*here, "id"], f'"{total.id}" is listed twice'))
        totals_seen.add(total.id)
        if not total.queues:
            found.append(([*here, "queues"], 'expected at least one queue, or ["*"] for every queue'))
        for member in total.queues:
            if member != "*" and not is_valid_name(member):
                found.append(([*here, "queues"], f'expected queue ids, got "{member}"'))
            if member == total.id:
                found.append(([*here, "queues"], f'a total may not include itself ("{member}")'))
    return found
