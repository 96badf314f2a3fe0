"""What each shipped adapter can and cannot supply, from its platform's documented API: a static declaration.

Kept apart from the adapters (which import their vendor's client library) so ``wallboard check`` can read
it on a machine without boto3, panoramisk or httpx, and without connecting to anything. Each adapter
class carries its own as ``SUPPLY``; the feed runner publishes it, retained, in the feed's status
(``supplies``, ``not_supplied``). Every raw queue field of the wire contract is named on one side or the
other (``declare`` refuses a gap), so a new wire field makes each adapter say where it stands; the ratios
a publisher may send follow from their formulas. Must not import a vendor library.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wallboard.device.wire.supply import RAW_FIELDS, FieldSupply, declare

# Fields no shipped adapter reads, for the same reasons everywhere: workforce-management schedules, quality
# and survey results and costs live outside the queue APIs these feeds use, and the staffing hint's interval
# volume is not worked out by a feed yet.
_BEYOND_QUEUE_APIS = frozenset(
    {
        "interval_offered",
        "interval_s",
        "scheduled_time_s",
        "adherent_time_s",
        "fcr_eligible",
        "fcr_resolved",
        "csat_responses",
        "csat_satisfied",
        "nps_promoters",
        "nps_passives",
        "nps_detractors",
        "cost",
    }
)

# Asterisk AMI (docs.asterisk.org, AMI actions QueueSummary and QueueStatus, AMI events QueueCallerJoin,
# AgentConnect, AgentComplete, QueueCallerAbandon).
ASTERISK = declare(
    sends=frozenset(
        {
            "calls_waiting",  # QueueSummary Callers
            "longest_wait_s",  # QueueSummary LongestHoldTime
            "agents_available",  # QueueSummary Available
            "agents_staffed",  # QueueSummary LoggedIn
            "agents_on_call",  # QueueMember InCall / Status (device in use, busy, ringing in use, on hold)
            "agents_away",  # QueueMember Paused
            "offered",  # QueueCallerJoin, counted by the feed
            "answered",  # AgentConnect
            "answered_within_target",  # AgentConnect HoldTime <= service_level_s
            "wait_time_s",  # AgentConnect HoldTime (the queue wait, not hold during the call)
            "handled",  # AgentComplete
            "talk_time_s",  # AgentComplete TalkTime
            "handle_time_s",  # AgentComplete TalkTime (no hold or wrap time to add)
            "abandoned",  # QueueCallerAbandon
            "abandoned_within_target",  # QueueCallerAbandon HoldTime <= service_level_s
            "short_abandoned",  # QueueCallerAbandon HoldTime <= short_abandon_s
        }
    ),
    cannot=_BEYOND_QUEUE_APIS
    | {
        # A member's Status is a device state (AST_DEVICE_NOT_INUSE .. ONHOLD) and Paused a flag: wrap-up is
        # not a queue member state (Wrapuptime is a setting, LastCall a time), so no agent is "in wrap".
        "agents_wrap",
        "wrap_time_s",
        # Hold during a call is a channel event (Hold/Unhold), not a queue event; AgentComplete has none.
        "hold_time_s",
        # app_queue queues calls only: no callbacks, chats or emails.
        "callbacks_waiting",
        "chats_waiting",
        "emails_waiting",
    },
)

# Amazon Connect (API reference: GetCurrentMetricData CurrentMetric names, GetMetricDataV2 metric names).
CONNECT = declare(
    sends=frozenset(
        {
            "calls_waiting",  # CONTACTS_IN_QUEUE, channel VOICE
            "chats_waiting",  # CONTACTS_IN_QUEUE, channel CHAT
            "emails_waiting",  # CONTACTS_IN_QUEUE, channel EMAIL
            "longest_wait_s",  # OLDEST_CONTACT_AGE
            "callbacks_waiting",  # CONTACTS_SCHEDULED
            "agents_available",  # AGENTS_AVAILABLE
            "agents_on_call",  # AGENTS_ON_CONTACT
            "agents_wrap",  # AGENTS_AFTER_CONTACT_WORK
            "agents_away",  # AGENTS_NON_PRODUCTIVE
            "agents_staffed",  # AGENTS_STAFFED
            "offered",  # CONTACTS_QUEUED
            "answered",  # CONTACTS_HANDLED
            "handled",  # CONTACTS_HANDLED
            "answered_within_target",  # SUM_CONTACTS_ANSWERED_IN_X (LTE service_level_s)
            "abandoned",  # CONTACTS_ABANDONED
            "abandoned_within_target",  # SUM_CONTACTS_ABANDONED_IN_X (LTE service_level_s)
            "short_abandoned",  # SUM_CONTACTS_ABANDONED_IN_X (LTE short_abandon_s)
            "handle_time_s",  # SUM_HANDLE_TIME
            "talk_time_s",  # SUM_INTERACTION_TIME
            "hold_time_s",  # SUM_HOLD_TIME
            "wrap_time_s",  # SUM_AFTER_CONTACT_WORK_TIME
        }
    ),
    cannot=_BEYOND_QUEUE_APIS
    | {
        # GetMetricDataV2 has the average queue answer time (AVG_QUEUE_ANSWER_TIME), not its sum: a total's
        # ASA cannot be made from averages, so ASA is not supplied.
        "wait_time_s",
    },
)

# Genesys Cloud (Analytics API: queue observation metrics oWaiting, oLongestWaiting, oOnQueueUsers,
# oUserPresences; conversation aggregate metrics nOffered, tAnswered, tAbandon, tShortAbandon, nOverSla,
# tHandle, tTalkComplete, tHeldComplete, tAcw).
GENESYS = declare(
    sends=frozenset(
        {
            "calls_waiting",  # oWaiting
            "longest_wait_s",  # oLongestWaiting
            "agents_available",  # oOnQueueUsers IDLE
            "agents_on_call",  # oOnQueueUsers INTERACTING + COMMUNICATING
            "agents_staffed",  # available + on call + away (the wire contract's definition)
            "agents_away",  # oUserPresences mapped to AWAY, BREAK, MEAL, MEETING, TRAINING, BUSY; + NOT_RESPONDING
            "offered",  # nOffered
            "answered",  # tAnswered count
            "wait_time_s",  # tAnswered sum
            "answered_within_target",  # tAnswered - nOverSla (the queue's own SLA); not with flow-outs in SL
            "abandoned",  # tAbandon
            "short_abandoned",  # tShortAbandon; only where the org's SL leaves short abandons out
            "handled",  # tHandle count
            "handle_time_s",  # tHandle sum
            "talk_time_s",  # tTalkComplete
            "hold_time_s",  # tHeldComplete
            "wrap_time_s",  # tAcw
        }
    ),
    cannot=_BEYOND_QUEUE_APIS
    | {
        # Routing statuses are OFF_QUEUE, IDLE, INTERACTING, NOT_RESPONDING, COMMUNICATING: after-call work is
        # part of INTERACTING, so no agent count is "in wrap".
        "agents_wrap",
        # tAbandon has no threshold: abandons within the SLA are not counted apart.
        "abandoned_within_target",
        # One media type per feed (run a second feed for chats): callbacks, chats and emails are not read.
        "callbacks_waiting",
        "chats_waiting",
        "emails_waiting",
    },
)

# Adapter name -> its declaration (the adapters' SUPPLY, readable without their client libraries).
DECLARED: dict[str, FieldSupply] = {"asterisk": ASTERISK, "connect": CONNECT, "genesys": GENESYS}

# Connect's waiting counts per channel other than voice: read only for the channels a site configures.
_CONNECT_CHANNEL_FIELDS = {"CHAT": "chats_waiting", "EMAIL": "emails_waiting"}


def _genesys_unsent(section: Mapping[str, Any]) -> set[str]:
    """What a Genesys feed leaves out for its org's service level calculation (``genesys.py``,
    ``service_level_inputs``): short abandons where the org counts them (so the board's default formula is
    the org's), and answered within target where flow-outs count (the wire has no flow-out count, so the
    org's service level cannot be made: n/a rather than a wrong percentage)."""
    calculation = section.get("service_level_calculation")
    calculation = calculation if isinstance(calculation, Mapping) else {}
    unsent = set()
    if calculation.get("include_short_abandons", True) is not False:
        unsent.add("short_abandoned")
    if calculation.get("include_flowouts", False) is True:
        unsent.add("answered_within_target")
    return unsent


def for_section(adapter: str, section: Mapping[str, Any]) -> FieldSupply:
    """The adapter's declaration narrowed by its config section (Connect: the channels it reads; Genesys: the
    org's service level calculation).

    Unknown adapters have none (a KeyError is the caller's to avoid: look in ``DECLARED`` first).
    """
    supply = DECLARED[adapter]
    unsent: set[str] = set()
    if adapter == "connect":
        channels = section.get("channels", ["VOICE", "CHAT", "EMAIL"])
        unsent = {name for channel, name in _CONNECT_CHANNEL_FIELDS.items() if channel not in channels}
    elif adapter == "genesys":
        unsent = _genesys_unsent(section)
    if not unsent:
        return supply
    return declare(
        sends=frozenset(supply.supplies & RAW_FIELDS) - unsent,
        cannot=frozenset(supply.not_supplied & RAW_FIELDS) | unsent,
    )
