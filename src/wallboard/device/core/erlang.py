"""Erlang C staffing: how many agents a queue needs for its service-level target, computed stably.

The published model (A. K. Erlang, 1917; as used by workforce-management tools and worked through in
Call Centre Helper's "Erlang C formula made simple"): traffic ``A = calls x AHT / interval`` in Erlangs;
with ``N`` agents the probability a call waits is Erlang C,

    Pw = (A^N / N!) x N/(N-A)  /  ( sum_{i<N} A^i/i!  +  A^N/N! x N/(N-A) )

and the service level is ``SL = 1 - Pw x exp(-(N - A) x T / AHT)``. Factorials overflow beyond a
hundred or so agents, so Pw comes from the Erlang B recursion ``B(0) = 1, B(n) = A B(n-1) / (n + A
B(n-1))`` and ``C = N B / (N - A (1 - B))``, which stays in [0, 1] for any load. Worked example (the
source's): 100 calls in 30 minutes, AHT 180 s, 80 % in 20 s -> A = 10, 14 agents, SL 0.888, Pw 0.174.
Pure arithmetic; no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_AGENTS = 5000  # beyond this the hint gives up rather than loop: no single queue is that large


@dataclass(frozen=True, slots=True)
class StaffingHint:
    """Agents needed on the phones (``agents``) and to be rostered after shrinkage (``rostered``)."""

    agents: int
    rostered: int
    traffic_erlangs: float
    service_level: float  # 0..1, with ``agents`` answering
    wait_probability: float  # 0..1, Erlang C
    occupancy: float  # 0..1, traffic / agents


def erlang_c(traffic: float, agents: int) -> float:
    """Probability that a call waits (Erlang C) with ``agents`` agents and ``traffic`` Erlangs; 1 if overloaded."""
    if agents <= traffic:
        return 1.0
    blocking = 1.0  # Erlang B with 0 agents
    for n in range(1, agents + 1):
        blocking = traffic * blocking / (n + traffic * blocking)
    return agents * blocking / (agents - traffic * (1.0 - blocking))


def service_level(traffic: float, agents: int, aht_s: float, threshold_s: float) -> float:
    """Share of calls answered within ``threshold_s`` (0..1) with ``agents`` agents."""
    if agents <= traffic:
        return 0.0
    return 1.0 - erlang_c(traffic, agents) * math.exp(-(agents - traffic) * threshold_s / aht_s)


def agents_required(
    calls: float,
    interval_s: float,
    aht_s: float,
    target: float,
    threshold_s: float,
    *,
    max_occupancy: float | None = None,
    shrinkage: float = 0.0,
) -> StaffingHint:
    """The fewest agents meeting ``target`` (0..1) within ``threshold_s``, and at most ``max_occupancy`` (0..1).

    ``calls`` offered in ``interval_s`` with average handle time ``aht_s``. ``shrinkage`` (0..1) turns
    the agents needed on the phones into agents to roster: ``ceil(agents / (1 - shrinkage))``.
    """
    if calls < 0 or interval_s <= 0 or aht_s < 0 or not 0 < target < 1 or threshold_s < 0 or not 0 <= shrinkage < 1:
        raise ValueError("expected calls >= 0, interval > 0, AHT >= 0, a target in (0, 1), shrinkage in [0, 1)")
    traffic = calls * aht_s / interval_s
    if traffic == 0:
        return StaffingHint(0, 0, 0.0, 1.0, 0.0, 0.0)
    agents = max(1, math.floor(traffic) + 1)
    if max_occupancy is not None:
        agents = max(agents, math.ceil(traffic / max_occupancy - 1e-9))
    # Erlang B for agents - 1, then step: each step is one recursion, so the search is linear in N overall.
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = traffic * blocking / (n + traffic * blocking)
    while agents <= MAX_AGENTS:
        wait = agents * blocking / (agents - traffic * (1.0 - blocking))
        level = 1.0 - wait * math.exp(-(agents - traffic) * threshold_s / aht_s)
        if level >= target:
            rostered = math.ceil(agents / (1.0 - shrinkage) - 1e-9)
            return StaffingHint(agents, rostered, traffic, level, wait, traffic / agents)
        agents += 1
        blocking = traffic * blocking / (agents + traffic * blocking)
    raise ValueError(f"more than {MAX_AGENTS} agents needed for {traffic:.0f} Erlangs")
