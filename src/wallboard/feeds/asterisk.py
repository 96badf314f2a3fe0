"""The Asterisk AMI adapter (FreePBX, Issabel, VitalPBX): queue polling plus queue events, over panoramisk.

Real time comes from ``QueueSummary`` (callers, longest wait, members logged in
and available) and ``QueueStatus`` (each member: in call, paused, why). Today's
counts come from the events, counted by the feed into its own day counters:
Asterisk's counters reset on every ``module reload`` and its hold/talk times are
moving averages, so they are never published. Uses panoramisk's AMI protocol
(framing, ActionID matching, event lists) with this module's own connection
policy: one connection per ``connect``, no hidden reconnect loop, so the runner's
backoff decides. Sends only read actions: never ``QueueReset`` (shared with the
PBX's own reports) nor anything that changes a call.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any

import msgspec
from panoramisk.actions import Action
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from wallboard.device.wire.payloads import AgentRow
from wallboard.feeds.adapter import FeedContext, Reading
from wallboard.feeds.daycount import period_start
from wallboard.feeds.errors import AuthFailed, Disconnected, FeedError
from wallboard.feeds.feed_config import FeedConfig, decode_section
from wallboard.feeds.supplies import ASTERISK

log = logging.getLogger("wallboard.feed.asterisk")

# The wire fields this adapter counts from events (the others of COUNT_FIELDS AMI cannot supply).
COUNTED_FIELDS = (
    "offered",
    "answered",
    "answered_within_target",
    "wait_time_s",
    "handled",
    "talk_time_s",
    "handle_time_s",
    "abandoned",
    "abandoned_within_target",
    "short_abandoned",
)

# The only actions this adapter sends.
READ_ACTIONS = frozenset({"login", "logoff", "ping", "queuesummary", "queuestatus"})


class AsteriskSection(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[asterisk]``: the AMI endpoint and the read-only manager user."""

    host: str = "127.0.0.1"
    port: int = 5038
    username: str
    secret_file: str
    queues: list[str] = []
    timeout_s: float = 10.0


# AMI device states of a queue member (Asterisk's AST_DEVICE_* numbering).
_NOT_INUSE, _INUSE, _BUSY, _INVALID, _UNAVAILABLE, _RINGING, _RINGINUSE, _ONHOLD = 1, 2, 3, 4, 5, 6, 7, 8
_ON_CALL = frozenset({_INUSE, _BUSY, _RINGINUSE, _ONHOLD})


class _Link:
    """What panoramisk's AMIProtocol calls back (its "factory"): events in, a lost connection noticed."""

    forgetable_actions = ("ping", "login")
    save_stream = None

    def __init__(self, adapter: AsteriskAdapter) -> None:
        self.adapter = adapter
        self.awaiting_actions: deque[Action] = deque()
        self.lost = asyncio.Event()

    def dispatch(self, message: Message) -> None:
        self.adapter.on_event(message)

    def connection_lost(self, exc: object) -> None:
        self.lost.set()
        while self.awaiting_actions:
            action = self.awaiting_actions.popleft()
            if not action.future.done():
                action.future.set_exception(Disconnected("the PBX closed the AMI connection"))


class AsteriskAdapter:
    """Reads queues and agents from one Asterisk over AMI; counts today's calls from its events."""

    name = "asterisk"
    SUPPLY = ASTERISK  # the queue fields AMI can and cannot give (feeds/supplies.py, with the AMI names)

    def __init__(self, section: AsteriskSection, secret: str, ctx: FeedContext) -> None:
        self.section = section
        self._secret = secret
        self.ctx = ctx
        self._protocol: AMIProtocol | None = None
        self._link: _Link | None = None
        self._state_since: dict[str, tuple[str, float]] = {}
        # When this connection's event stream began: counts are complete for a day only if it began before it.
        self.listening_since: float | None = None
        self._rang_unanswered: set[str] = set()

    # -- connection ------------------------------------------------------------------------------------------

    async def connect(self) -> None:
        loop = asyncio.get_running_loop()
        link = _Link(self)
        try:
            _, protocol = await asyncio.wait_for(
                loop.create_connection(AMIProtocol, self.section.host, self.section.port), self.section.timeout_s
            )
        except (OSError, TimeoutError) as exc:
            raise Disconnected(f"cannot reach AMI at {self.section.host}:{self.section.port}: {exc}") from None
        protocol.factory = link
        protocol.encoding = "utf8"
        protocol.log = log
        self._protocol, self._link = protocol, link
        # Only the "agent" event class: the queue caller and member events; "call" would add every channel's noise.
        reply = await self._send(
            {"Action": "Login", "Username": self.section.username, "Secret": self._secret, "Events": "agent"}
        )
        if not reply.success:
            await self.close()
            raise AuthFailed(f"AMI login refused for {self.section.username}: {reply.message or reply.response}")
        self.listening_since = self.ctx.clock()

    async def close(self) -> None:
        self.listening_since = None
        protocol, self._protocol = self._protocol, None
        if protocol is not None and not protocol.closed:
            protocol.close()

    async def _send(self, fields: dict[str, str], *, as_list: bool | None = None) -> Any:
        if fields["Action"].lower() not in READ_ACTIONS:
            raise AssertionError(f"the Asterisk feed sends only read actions, not {fields['Action']}")
        protocol, link = self._protocol, self._link
        if protocol is None or link is None or link.lost.is_set():
            raise Disconnected("the AMI connection is closed")
        await self.ctx.budget.acquire()
        future = protocol.send(Action(fields, as_list=as_list), as_list=as_list)
        lost = asyncio.ensure_future(link.lost.wait())
        try:
            done, _ = await asyncio.wait({future, lost}, timeout=self.section.timeout_s, return_when="FIRST_COMPLETED")
        finally:
            lost.cancel()
        if future not in done:
            future.cancel()
            raise Disconnected(
                "the PBX closed the AMI connection"
                if link.lost.is_set()
                else f"no AMI reply to {fields['Action']} in {self.section.timeout_s:g}s"
            )
        return future.result()

    # -- polling ---------------------------------------------------------------------------------------------

    async def poll(self) -> Reading:
        summary = await self._event_list("QueueSummary")
        status = await self._event_list("QueueStatus")
        now = self.ctx.clock()
        queues: dict[str, dict[str, float]] = {}
        for event in summary:
            if event.event == "QueueSummary" and self._wanted(event.queue):
                queues[event.queue] = {
                    "calls_waiting": _int(event, "Callers"),
                    "longest_wait_s": _int(event, "LongestHoldTime"),
                    "agents_available": _int(event, "Available"),
                    "agents_staffed": _int(event, "LoggedIn"),
                }
        members: dict[str, list[Message]] = {}
        for event in status:
            if event.event == "QueueMember" and event.queue in queues:
                members.setdefault(event.queue, []).append(event)
        # Listening since before local midnight: every call of today was seen, so an uncounted field is a true 0,
        # kept as such in the day counters: after a reconnect or a restart later today it is still a known 0
        # (a count like the others, missing only what happened while the feed was away), never absent again.
        # A feed that has not listened since midnight today does not know the morning: uncounted stays absent.
        complete = self.listening_since is not None and self.listening_since <= period_start(now, self.ctx.zone)
        for queue, values in queues.items():
            rows = members.get(queue, [])
            values["agents_on_call"] = sum(1 for m in rows if _on_call(m))
            values["agents_away"] = sum(1 for m in rows if m.paused == "1" and not _on_call(m))
            if complete:
                self.ctx.counters.observe(queue, COUNTED_FIELDS, now)
            values.update(self.ctx.counters.today(queue, now))
        return Reading(queues=queues, agents=self._agent_rows(status, now))

    async def _event_list(self, action: str) -> list[Message]:
        reply = await self._send({"Action": action}, as_list=True)
        messages = reply if isinstance(reply, list) else [reply]
        if messages and messages[0].response == "Error":
            message = messages[0].message or "refused"
            if "permission" in message.lower():
                raise AuthFailed(f"AMI user {self.section.username} may not run {action}: {message}")
            raise FeedError(f"AMI {action}: {message}")
        for message in messages:
            self.ctx.record(action, dict(message))
        return [m for m in messages if m.event]

    def _wanted(self, queue: str) -> bool:
        return bool(queue) and (not self.section.queues or queue in self.section.queues)

    def _agent_rows(self, status: list[Message], now: float) -> list[AgentRow]:
        by_name: dict[str, AgentRow] = {}
        for member in status:
            if member.event != "QueueMember" or not self._wanted(member.queue):
                continue
            name = member.name or member.membername or member.location
            row = by_name.get(name)
            if row is None:
                state = _agent_state(member)
                since = self._since(name, state, now, member)
                calls = self.ctx.counters.today(f"agent:{name}", now).get("handled")
                row = AgentRow(
                    name=name,
                    state=state,
                    state_since=since,
                    reason=(member.pausedreason or None) if member.paused == "1" else None,
                    calls_today=None if calls is None else round(calls),
                    queues=[],
                    ring_no_answer=True if name in self._rang_unanswered and state == "ringing" else None,
                )
                by_name[name] = row
            assert row.queues is not None
            row.queues.append(member.queue)
        return [by_name[name] for name in sorted(by_name)]

    def _since(self, name: str, state: str, now: float, member: Message) -> float:
        if state == "away" and _int(member, "LastPause") > 0:
            return float(_int(member, "LastPause"))
        previous = self._state_since.get(name)
        if previous is None or previous[0] != state:
            self._state_since[name] = (state, now)
            return now
        return previous[1]

    # -- events: today's counts ------------------------------------------------------------------------------

    def on_event(self, event: Message) -> None:
        """Count one AMI event into today's counters (called by panoramisk's protocol)."""
        kind = _OLD_NAMES.get(event.event, event.event)
        queue = event.queue
        if not kind or not self._wanted(queue):
            return
        self.ctx.record("event", dict(event))
        now = self.ctx.clock()
        uid = event.uniqueid or event.linkedid
        key = f"{kind}:{queue}:{uid}" if uid else None
        target = self.ctx.service_level_s
        if kind == "QueueCallerJoin":
            self.ctx.counters.add(queue, {"offered": 1}, now, key=key)
        elif kind == "AgentConnect":
            wait = _int(event, "HoldTime")
            self.ctx.counters.add(
                queue, {"answered": 1, "answered_within_target": int(wait <= target), "wait_time_s": wait}, now, key=key
            )
            self._rang_unanswered.discard(event.membername)
        elif kind == "AgentComplete":
            talk = _int(event, "TalkTime")
            if self.ctx.counters.add(queue, {"handled": 1, "talk_time_s": talk, "handle_time_s": talk}, now, key=key):
                self.ctx.counters.add(f"agent:{event.membername}", {"handled": 1}, now)
        elif kind == "QueueCallerAbandon":
            wait = _int(event, "HoldTime")
            self.ctx.counters.add(
                queue,
                {
                    "abandoned": 1,
                    "abandoned_within_target": int(wait <= target),
                    "short_abandoned": int(wait <= self.ctx.short_abandon_s),
                },
                now,
                key=key,
            )
        elif kind == "AgentRingNoAnswer":
            self._rang_unanswered.add(event.membername)


# Asterisk 11 and older named the caller events Join and Leave.
_OLD_NAMES = {"Join": "QueueCallerJoin", "Leave": "QueueCallerLeave"}


def _int(message: Message, key: str) -> int:
    try:
        return int(str(message.get(key, "0")).strip() or 0)
    except ValueError:
        return 0


def _on_call(member: Message) -> bool:
    return member.incall == "1" or _int(member, "Status") in _ON_CALL


def _agent_state(member: Message) -> str:
    status = _int(member, "Status")
    if status in (_INVALID, _UNAVAILABLE):
        return "offline"
    if status == _RINGING:
        return "ringing"
    if _on_call(member):
        return "on_call"
    if member.paused == "1":
        return "away"
    return "available"


def build(config: FeedConfig, ctx: FeedContext) -> AsteriskAdapter:
    """The adapter from ``[asterisk]``; the AMI secret is read from its file now (refusing a readable file)."""
    section: AsteriskSection = decode_section(config, "asterisk", AsteriskSection)
    return AsteriskAdapter(section, ctx.secret(section.secret_file), ctx)
