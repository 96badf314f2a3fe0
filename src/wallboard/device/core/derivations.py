"""What follows from a held value: the totals it is part of, the ratio KPIs it feeds, the staffing hint.

The board state calls ``Derivations.follow`` after holding a raw value; this works out every derived
reading from the values held (through the formulas in ``derive`` and ``erlang``) and hands each back to
the state through ``hold``, so the state stays the one place a value is stored and refused. It keeps the
counts behind each ratio ("96 of 120", or 0 of 0: no calls yet). No I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from wallboard.device.config.schema import BoardConfig
from wallboard.device.core.derive import Ratio, combine, evaluate
from wallboard.device.core.erlang import agents_required
from wallboard.device.core.updates import Reading
from wallboard.device.core.values import MetricValue
from wallboard.device.wire.metrics import (
    ADDITIVE_FIELDS,
    DERIVATIONS,
    MAXIMUM_FIELDS,
    PERIOD_START,
    SERVICE_LEVEL_FORMULAS,
    Derivation,
    metric_key,
)

# The agents who can take the queue's calls: Erlang C's N is the number of servers, so an agent on a break
# (away) is not one (README, "Staffing hint").
TAKING_CALLS = ("agents_available", "agents_on_call", "agents_wrap")
# Inputs of the Erlang C staffing hint (besides the queue's service-level settings).
STAFFING_INPUTS = frozenset(
    {
        "interval_offered",
        "interval_s",
        "handle_time_s",
        "handled",
        "aht_s",
        "agents_staffed",
        "agents_away",
        *TAKING_CALLS,
    }
)

# hold(reading, cascade): store a derived reading in the state (cascade: it is a total, derive from it too).
Hold = Callable[[Reading, bool], bool]


class Derivations:
    """Totals, derived KPIs and the staffing hint, worked out from the values the state holds."""

    def __init__(
        self,
        config: BoardConfig,
        values: Mapping[str, MetricValue],
        hold: Hold,
        touch: Callable[[str], None],
    ) -> None:
        self._config = config
        self._values = values
        self._hold = hold
        self._touch = touch
        # Per derived ratio, the counts behind its latest evaluation (a 0 denominator: "no calls yet").
        self._ratios: dict[str, Ratio] = {}

    def use_config(self, config: BoardConfig) -> None:
        """Work out with ``config``'s formulas and totals from now on."""
        self._config = config

    def follow(self, queue: str, field: str, received_at: float, *, total: bool) -> None:
        """What follows from ``queue.field`` having changed: its totals (unless it is one), then its KPIs."""
        if not total:
            self._update_totals(queue, field, received_at)
        self._derive_from(queue, field, received_at)

    def ratio(self, key: str) -> Ratio | None:
        """The counts behind derived ``key``'s latest evaluation, if that is not older than the value held."""
        ratio = self._ratios.get(key)
        held = self._values.get(key)
        if ratio is None or (held is not None and ratio.measured_at < held.measured_at):
            return None
        return ratio

    def _formulas(self, queue: str) -> tuple[Derivation, ...]:
        convention = self._config.queue_settings(queue).sl_counts
        return (SERVICE_LEVEL_FORMULAS[convention], *DERIVATIONS)

    def _held(self, queue: str) -> Callable[[str], tuple[float, float] | None]:
        values = self._values

        def lookup(field: str) -> tuple[float, float] | None:
            held = values.get(metric_key(queue, field))
            return None if held is None else (held.value, held.measured_at)

        return lookup

    def _derive_from(self, queue: str, field: str, received_at: float) -> None:
        lookup = self._held(queue)
        for formula in self._formulas(queue):
            if field not in formula.inputs:
                continue
            ratio = evaluate(formula, lookup)
            if ratio is None:
                continue
            key = metric_key(queue, formula.field)
            self._ratios[key] = ratio
            self._touch(key)  # the counts behind it ("96 of 120"), or a new period with no calls yet
            if ratio.value is not None:
                self._hold(Reading(key, ratio.value, ratio.measured_at, received_at), False)
        if field in STAFFING_INPUTS:
            self._derive_staffing(queue, received_at)

    def _derive_staffing(self, queue: str, received_at: float) -> None:
        """Erlang C agents required for the queue's interval load and SL target, and the gap to agents staffed."""
        lookup = self._held(queue)
        inputs = [lookup(name) for name in ("interval_offered", "interval_s", "aht_s")]
        if any(item is None for item in inputs):
            return
        (calls, t1), (interval, t2), (aht, t3) = inputs  # type: ignore[misc]
        if interval <= 0 or aht <= 0:
            return
        settings = self._config.queue_settings(queue)
        try:
            hint = agents_required(
                calls,
                interval,
                aht,
                settings.sl_target / 100.0,
                float(settings.sl_threshold),
                max_occupancy=None if settings.max_occupancy is None else settings.max_occupancy / 100.0,
                shrinkage=settings.shrinkage / 100.0,
            )
        except ValueError:
            return
        at = min(t1, t2, t3)
        self._hold(Reading(metric_key(queue, "agents_required"), hint.rostered, at, received_at), False)
        have = _taking_calls(lookup)
        if have is not None:
            gap = hint.rostered - have[0]
            self._hold(Reading(metric_key(queue, "staffing_gap"), gap, min(at, have[1]), received_at), False)

    def _update_totals(self, queue: str, field: str, received_at: float) -> None:
        """Recompute every total that includes ``queue`` for ``field``: sums of counts (never of ratios)."""
        if field in ADDITIVE_FIELDS:
            how = "sum"
        elif field in MAXIMUM_FIELDS:
            how = "max"
        elif field == PERIOD_START:
            how = "min"
        else:
            return
        totals = self._config.total
        if any(queue == total.id for total in totals):
            return  # a total is not a member of another total's "*"
        for total in totals:
            if queue not in total.queues and "*" not in total.queues:
                continue
            parts = [
                (held.value, held.measured_at)
                for member in self._members(total.id, total.queues)
                if (held := self._values.get(metric_key(member, field))) is not None
            ]
            combined = combine(parts, how)
            if combined is not None:
                value, at = combined
                self._hold(Reading(metric_key(total.id, field), value, at, received_at), True)

    def _members(self, total_id: str, queues: list[str]) -> list[str]:
        if "*" not in queues:
            return queues
        totals = {total.id for total in self._config.total}
        seen = {key.partition(".")[0] for key in self._values}
        return sorted(seen - totals - {total_id})


def _taking_calls(lookup: Callable[[str], tuple[float, float] | None]) -> tuple[float, float] | None:
    """(agents who can take calls, oldest time): available + on call + wrap where the feed sends those states,
    else agents staffed less those away; None if neither is known."""
    held = [found for name in TAKING_CALLS if (found := lookup(name)) is not None]
    if held:
        return sum(value for value, _ in held), min(at for _, at in held)
    staffed, away = lookup("agents_staffed"), lookup("agents_away")
    if staffed is None:
        return None
    if away is None:
        return staffed
    return staffed[0] - away[0], min(staffed[1], away[1])
