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


# Fields of the wire contract's queue object (agreed with the feeds, issue 14). Counts "since period_start"
# cover the period named by the queue object's ``period_start`` timestamp (e.g. local midnight in the
# site's time zone); real-time fields describe the moment ``ts``. ``period_start`` itself is a time, not a
# metric, and is read by ingest. The README's wire-contract section says what each field counts.
PERIOD_COUNTS: dict[str, MetricKind] = {
    "offered": MetricKind.COUNT,
    "answered": MetricKind.COUNT,
    "answered_within_target": MetricKind.COUNT,
    "abandoned": MetricKind.COUNT,
    "abandoned_within_target": MetricKind.COUNT,
    "short_abandoned": MetricKind.COUNT,
    "handled": MetricKind.COUNT,
    "handle_time_s": MetricKind.SECONDS,  # talk + hold + wrap of the handled contacts
    "talk_time_s": MetricKind.SECONDS,
    "hold_time_s": MetricKind.SECONDS,
    "wrap_time_s": MetricKind.SECONDS,
    "wait_time_s": MetricKind.SECONDS,  # queue wait of the answered calls (for ASA)
    # Beyond the agreed core: what the other KPIs need.
    "scheduled_time_s": MetricKind.SECONDS,  # agent-seconds scheduled so far in the period (adherence)
    "adherent_time_s": MetricKind.SECONDS,  # of those, agent-seconds in the scheduled state
    "fcr_eligible": MetricKind.COUNT,  # contacts whose first-contact resolution is known
    "fcr_resolved": MetricKind.COUNT,  # of those, resolved with no repeat contact
    "csat_responses": MetricKind.COUNT,  # satisfaction ratings received (1-5 scale)
    "csat_satisfied": MetricKind.COUNT,  # of those, ratings of 4 or 5
    "nps_promoters": MetricKind.COUNT,  # "likely to recommend" 9-10
    "nps_passives": MetricKind.COUNT,  # 7-8
    "nps_detractors": MetricKind.COUNT,  # 0-6
    "cost": MetricKind.NUMBER,  # the period's cost of the queue, in the site's currency
}

REAL_TIME: dict[str, MetricKind] = {
    "calls_waiting": MetricKind.COUNT,
    "longest_wait_s": MetricKind.SECONDS,
    "callbacks_waiting": MetricKind.COUNT,
    "chats_waiting": MetricKind.COUNT,
    "emails_waiting": MetricKind.COUNT,
    "agents_available": MetricKind.COUNT,
    "agents_on_call": MetricKind.COUNT,
    "agents_wrap": MetricKind.COUNT,
    "agents_away": MetricKind.COUNT,
    "agents_staffed": MetricKind.COUNT,  # logged in: available + on call + wrap + away
    # For the staffing hint: offered calls in the last ``interval_s`` (a rolling or the current interval).
    "interval_offered": MetricKind.COUNT,
    "interval_s": MetricKind.SECONDS,
}

# Ratios a publisher may send itself (its own value wins over the board's); otherwise derived from counts.
PUBLISHED_RATIOS: dict[str, MetricKind] = {
    "service_level_pct": MetricKind.PERCENT,
    "asa_s": MetricKind.SECONDS,
    "aht_s": MetricKind.SECONDS,
    "abandon_rate_pct": MetricKind.PERCENT,
}

QUEUE_FIELDS: dict[str, MetricKind] = {**REAL_TIME, **PERIOD_COUNTS, **PUBLISHED_RATIOS}

# Fields only the board works out (never read from the wire).
DERIVED_FIELDS: dict[str, MetricKind] = {
    "abandon_rate_ex_short_pct": MetricKind.PERCENT,
    "occupancy_pct": MetricKind.PERCENT,
    "utilisation_pct": MetricKind.PERCENT,
    "adherence_pct": MetricKind.PERCENT,
    "fcr_pct": MetricKind.PERCENT,
    "csat_pct": MetricKind.PERCENT,
    "nps": MetricKind.NUMBER,  # -100 to 100
    "cost_per_contact": MetricKind.NUMBER,
    "contacts_waiting": MetricKind.COUNT,
    "agents_required": MetricKind.COUNT,  # Erlang C staffing hint
    "staffing_gap": MetricKind.NUMBER,  # agents_required - agents_staffed (negative: spare agents)
}

# How a total over several queues combines each field: counts and real-time counts add up; the longest
# wait is the longest of any queue. Ratios are never combined: a total's ratios are derived from its sums.
ADDITIVE_FIELDS: frozenset[str] = frozenset(PERIOD_COUNTS) | (frozenset(REAL_TIME) - {"longest_wait_s", "interval_s"})
MAXIMUM_FIELDS: frozenset[str] = frozenset({"longest_wait_s", "interval_s"})

# The queue object's ``period_start``: a time, not a metric. Ingest holds it as ``<queue>.period_start``
# (epoch seconds) so the board can say which period its counts cover ("today", "since 06:00"); a
# total's period starts with its earliest queue's.
PERIOD_START = "period_start"

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
    """A derived metric: ``(sum(numerator) - sum(numerator_minus)) / (sum(denominator) - sum(denominator_minus))``.

    Times ``scale``. An empty denominator means no division (a plain sum). A field in ``optional`` counts
    as 0 when the queue has not sent it (e.g. ``short_abandoned``); every other input must be present.
    """

    field: str
    numerator: tuple[str, ...]
    denominator: tuple[str, ...] = ()
    scale: float = 1.0
    numerator_minus: tuple[str, ...] = ()
    denominator_minus: tuple[str, ...] = ()
    optional: frozenset[str] = frozenset()

    @property
    def inputs(self) -> frozenset[str]:
        """Every field the formula reads."""
        return frozenset(self.numerator + self.denominator + self.numerator_minus + self.denominator_minus)


_BUSY = ("agents_on_call", "agents_wrap")
_WAITING = ("calls_waiting", "callbacks_waiting", "chats_waiting", "emails_waiting")
_NPS = ("nps_promoters", "nps_passives", "nps_detractors")

# Service level by convention (``[[queue]] sl_counts``). The calls judged are those with an outcome,
# answered + abandoned (a call still queued is not judged yet), as in Genesys Cloud's published
# calculation ("Configure the service level calculation": answered within target / (answered +
# abandoned [- short abandons] [- abandons])) and Cisco Unified ICM's service-level types (Database
# Schema Handbook, ServiceLevelType: 1 abandons ignored, 2 abandons negative, 3 abandons positive):
#   offered_minus_short: answered_within_target / (answered + abandoned - short_abandoned)  (the default:
#                        Genesys with short abandons excluded; hides no caller who waited past a misdial)
#   offered:             answered_within_target / (answered + abandoned)  (Genesys all abandons; ICM type 2)
#   abandoned_as_met:    (answered_within_target + abandoned_within_target) / (answered + abandoned)  (ICM type 3)
#   answered:            answered_within_target / answered  (Genesys with abandons excluded: callers vanish)
_JUDGED = ("answered", "abandoned")
SERVICE_LEVEL_FORMULAS: dict[str, Derivation] = {
    "answered": Derivation("service_level_pct", ("answered_within_target",), ("answered",), 100.0),
    "offered": Derivation("service_level_pct", ("answered_within_target",), _JUDGED, 100.0),
    "offered_minus_short": Derivation(
        "service_level_pct",
        ("answered_within_target",),
        _JUDGED,
        100.0,
        denominator_minus=("short_abandoned",),
        optional=frozenset({"short_abandoned"}),
    ),
    "abandoned_as_met": Derivation(
        "service_level_pct", ("answered_within_target", "abandoned_within_target"), _JUDGED, 100.0
    ),
}
DEFAULT_SL_COUNTS = "offered_minus_short"

# The fixed set of formulas (no eval); each is written out, with its source, in the README's KPI table.
DERIVATIONS: tuple[Derivation, ...] = (
    Derivation("abandon_rate_pct", ("abandoned",), ("offered",), 100.0),
    Derivation(
        "abandon_rate_ex_short_pct",
        ("abandoned",),
        ("offered",),
        100.0,
        numerator_minus=("short_abandoned",),
        denominator_minus=("short_abandoned",),
    ),
    Derivation("asa_s", ("wait_time_s",), ("answered",)),
    Derivation("aht_s", ("handle_time_s",), ("handled",)),
    Derivation("occupancy_pct", _BUSY, (*_BUSY, "agents_available"), 100.0),
    Derivation("utilisation_pct", _BUSY, ("agents_staffed",), 100.0),
    Derivation("adherence_pct", ("adherent_time_s",), ("scheduled_time_s",), 100.0),
    Derivation("fcr_pct", ("fcr_resolved",), ("fcr_eligible",), 100.0),
    Derivation("csat_pct", ("csat_satisfied",), ("csat_responses",), 100.0),
    Derivation("nps", ("nps_promoters",), _NPS, 100.0, numerator_minus=("nps_detractors",)),
    Derivation("cost_per_contact", ("cost",), ("handled",)),
    Derivation("contacts_waiting", _WAITING, optional=frozenset(_WAITING[1:])),
)


# Fields worked out as a numerator over a denominator (a volume a rule's ``min_volume`` can judge).
RATIO_FIELDS: frozenset[str] = frozenset(
    formula.field for formula in (*SERVICE_LEVEL_FORMULAS.values(), *DERIVATIONS) if formula.denominator
)


def field_kind(field: str) -> MetricKind | None:
    """The kind of a queue field, read from the wire or derived by the board; None if unknown."""
    return QUEUE_FIELDS.get(field) or DERIVED_FIELDS.get(field)
