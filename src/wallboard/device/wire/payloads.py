"""The wire contract's payload types, shared by the feeds, the board's ingest and the simulator.

One msgspec Struct per JSON document a publisher sends, so the two sides of the
broker cannot drift: a feed encodes these, ingest can decode them. A field the
publisher cannot know is left out (``None`` is never encoded), never sent as 0.
Plain data only: no I/O, no clock.
"""

from __future__ import annotations

import msgspec


class QueuePayload(msgspec.Struct, omit_defaults=True, kw_only=True):
    """``<prefix>/<site>/queue/<queue>``: one queue's numbers.

    The counts (``offered`` .. ``wait_time_s``) run since ``period_start``, the
    local midnight of the site's IANA time zone, as epoch seconds; the rest are
    real time at ``ts``.
    """

    ts: float | None = None
    period_start: float | None = None
    # Counts since period_start.
    offered: int | None = None
    answered: int | None = None
    answered_within_target: int | None = None
    abandoned: int | None = None
    abandoned_within_target: int | None = None
    short_abandoned: int | None = None
    handled: int | None = None
    handle_time_s: float | None = None
    talk_time_s: float | None = None
    hold_time_s: float | None = None
    wrap_time_s: float | None = None
    wait_time_s: float | None = None
    # Real time.
    calls_waiting: int | None = None
    longest_wait_s: float | None = None
    callbacks_waiting: int | None = None
    chats_waiting: int | None = None
    emails_waiting: int | None = None
    agents_available: int | None = None
    agents_on_call: int | None = None
    agents_wrap: int | None = None
    agents_away: int | None = None
    agents_staffed: int | None = None


COUNT_FIELDS: tuple[str, ...] = (
    "offered",
    "answered",
    "answered_within_target",
    "abandoned",
    "abandoned_within_target",
    "short_abandoned",
    "handled",
    "handle_time_s",
    "talk_time_s",
    "hold_time_s",
    "wrap_time_s",
    "wait_time_s",
)
"""The queue fields that count since ``period_start``."""

REALTIME_FIELDS: tuple[str, ...] = (
    "calls_waiting",
    "longest_wait_s",
    "callbacks_waiting",
    "chats_waiting",
    "emails_waiting",
    "agents_available",
    "agents_on_call",
    "agents_wrap",
    "agents_away",
    "agents_staffed",
)
"""The queue fields that are true at ``ts``."""

AGENT_STATES: tuple[str, ...] = ("available", "ringing", "on_call", "wrap", "away", "offline")
"""What an agent row's ``state`` may say; a feed maps its platform's states onto these."""


class AgentRow(msgspec.Struct, omit_defaults=True, kw_only=True):
    """One agent on ``<prefix>/<site>/agent_status``: state, since when, why, and today's calls."""

    name: str
    state: str
    state_since: float | None = None
    reason: str | None = None
    calls_today: int | None = None
    queues: list[str] | None = None
    # True while the agent is being offered a call after having let one ring out unanswered.
    ring_no_answer: bool | None = None


class AgentStatusPayload(msgspec.Struct, omit_defaults=True, kw_only=True):
    """``<prefix>/<site>/agent_status``: every agent a feed sees, at ``ts`` (absent: when it arrived)."""

    agents: list[AgentRow]
    ts: float | None = None


FEED_STATES: tuple[str, ...] = ("online", "degraded", "offline")


class FeedStatus(msgspec.Struct, omit_defaults=True, kw_only=True):
    """``wallboard/<site>/feed/<adapter>/status``: a feed's health, retained, with a will of ``offline``.

    ``summary`` is the one line a board shows: ``online``, ``degraded: <reason>`` or ``offline``.
    ``supplies`` and ``not_supplied`` are the queue fields (``calls_waiting``, ``agents_wrap``, ...) this
    adapter can and cannot supply on its platform, declared from the platform's documented API: a board
    shows a field a feed cannot supply as "not supplied" (e.g. "Wrap n/a"), never as a 0 or NO DATA.
    """

    state: str
    summary: str
    adapter: str
    ts: float
    version: str | None = None
    reason: str | None = None
    last_success: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None
    queues: list[str] | None = None
    supplies: list[str] | None = None
    not_supplied: list[str] | None = None


def queue_payload(values: dict[str, float], *, ts: float, period_start: float | None) -> QueuePayload:
    """Build a QueuePayload from ``{field: value}``; fields not in the contract raise KeyError (a feed bug)."""
    fields: dict[str, float | int] = {}
    for name, value in values.items():
        if name not in COUNT_FIELDS and name not in REALTIME_FIELDS:
            raise KeyError(f"{name!r} is not a queue field of the wire contract")
        fields[name] = float(value) if name.endswith("_s") else round(value)
    return QueuePayload(ts=ts, period_start=period_start, **fields)  # type: ignore[arg-type]
