"""Which queue fields a feed can supply, and which of a board's metrics that leaves it unable to have.

A feed declares, from its platform's documented API, the raw queue fields it sends and the ones the
platform cannot supply (``FieldSupply``); ``declare`` completes that with the ratios a publisher may
send (``service_level_pct``, ``asa_s``, ...): such a ratio counts as supplied when the board can work it
out from the fields the feed sends. ``missing_inputs`` says, for any field a board shows (a wire field, a
ratio or a board-only KPI such as ``occupancy_pct`` or ``staffing_gap``), which fields the feed cannot
supply that it needs: empty means the feed can feed it. Plain data only: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from wallboard.device.wire.metrics import (
    DEFAULT_SL_COUNTS,
    DERIVATIONS,
    PERIOD_COUNTS,
    PUBLISHED_RATIOS,
    REAL_TIME,
    SERVICE_LEVEL_FORMULAS,
    Derivation,
)

# The raw fields a publisher sends (everything of the queue object but the ratios it may also send).
RAW_FIELDS: frozenset[str] = frozenset(REAL_TIME) | frozenset(PERIOD_COUNTS)

# The Erlang C staffing hint (``device.core.derivations``): agents_required from the interval's offered calls,
# its length and the AHT; the gap also needs the staffed agents.
STAFFING_INPUTS: dict[str, tuple[str, ...]] = {
    "agents_required": ("interval_offered", "interval_s", "aht_s"),
    # The gap's other side is the agents who can take calls: available + on call + wrap, or staffed less
    # away (device.core.derivations), so it needs only what the requirement needs.
    "staffing_gap": ("agents_required",),
}


@dataclass(frozen=True)
class FieldSupply:
    """The queue fields (names of ``QUEUE_FIELDS``) a feed can and cannot supply; together, every one."""

    supplies: frozenset[str]
    not_supplied: frozenset[str]

    def listed(self) -> tuple[list[str], list[str]]:
        """Both, sorted, as a feed's status publishes them."""
        return sorted(self.supplies), sorted(self.not_supplied)


def declare(sends: frozenset[str], cannot: frozenset[str]) -> FieldSupply:
    """A feed's declaration from the raw fields it ``sends`` and those its platform ``cannot`` supply.

    The two must split the raw fields exactly (a field forgotten or named twice is a ValueError at
    import, so a new wire field makes every adapter say where it stands). The ratios are added on the
    side the board can work them out on, service level by the default convention.
    """
    unknown = (sends | cannot) - RAW_FIELDS
    both = sends & cannot
    forgotten = RAW_FIELDS - sends - cannot
    if unknown or both or forgotten:
        raise ValueError(
            f"a feed's declaration must split the raw queue fields: unknown {sorted(unknown)}, "
            f"both {sorted(both)}, neither {sorted(forgotten)}"
        )
    ratios = {name for name in PUBLISHED_RATIOS if not missing_inputs(name, cannot)}
    return FieldSupply(frozenset(sends | ratios), frozenset(cannot | (frozenset(PUBLISHED_RATIOS) - ratios)))


def missing_inputs(field: str, not_supplied: frozenset[str], sl_counts: str = DEFAULT_SL_COUNTS) -> frozenset[str]:
    """The fields in ``not_supplied`` that ``field`` needs (itself, or its formula's required inputs).

    Empty: the feed can supply it, or the board can work it out from what the feed sends (a ratio is
    judged by its formula's inputs, service level by the queue's ``sl_counts``). A field the board does
    not know is empty too: a site's own ``[[metric]]`` is not the feed's business.
    """
    return _missing(field, not_supplied, sl_counts)


def _missing(field: str, not_supplied: frozenset[str], sl_counts: str) -> frozenset[str]:
    if field in RAW_FIELDS:
        return frozenset({field}) & not_supplied
    formula = _formula(field, sl_counts)
    if field in STAFFING_INPUTS:
        inputs = STAFFING_INPUTS[field]
    elif formula is not None:
        inputs = tuple(formula.inputs - formula.optional)
    else:
        return frozenset()
    return frozenset().union(*(_missing(name, not_supplied, sl_counts) for name in inputs))


def _formula(field: str, sl_counts: str) -> Derivation | None:
    if field == "service_level_pct":
        return SERVICE_LEVEL_FORMULAS.get(sl_counts, SERVICE_LEVEL_FORMULAS[DEFAULT_SL_COUNTS])
    return next((formula for formula in DERIVATIONS if formula.field == field), None)
