"""The Amazon Connect adapter: real time from GetCurrentMetricData, today's counts from GetMetricDataV2.

boto3 with the standard credential chain (instance role, environment, shared
config; never a key in the feed's config). One client, one request budget for
every call: Connect's API quota is account-wide, so the feed's budget is set
below it and ``Retry-After``-like throttling (``TooManyRequestsException`` /
``ThrottlingException``) backs the whole feed off. botocore's own retries are
turned off so the runner's backoff is the only one. Counts come from Connect
itself (it keeps them per contact), asked for the site's local day with the
site's IANA zone, so the feed keeps no counters of its own here. Calls are
blocking, so they run in a worker thread. Must not call anything that changes
the instance.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import boto3
import msgspec
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from wallboard.device.wire.payloads import AgentRow
from wallboard.feeds.adapter import FeedContext, Reading
from wallboard.feeds.daycount import period_start
from wallboard.feeds.errors import AuthFailed, Disconnected, FeedConfigError, FeedError, Throttled
from wallboard.feeds.feed_config import FeedConfig, decode_section
from wallboard.feeds.supplies import CONNECT, for_section

log = logging.getLogger("wallboard.feed.connect")


class ConnectSection(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[connect]``: the instance (its ARN), the region, and the queues to show as ``name = "queue id"``.

    ``endpoint_url`` replaces the region's public endpoint (``https://connect.<region>.amazonaws.com``): an
    interface VPC endpoint (``https://vpce-...connect.<region>.vpce.amazonaws.com``) for a feed with no route to
    the internet, or a FIPS endpoint (``https://connect-fips.<region>.amazonaws.com``). Requests are still signed
    for ``region``.
    """

    instance_arn: str
    region: str
    queues: dict[str, str]
    channels: list[str] = msgspec.field(default_factory=lambda: ["VOICE", "CHAT", "EMAIL"])
    agents: bool = True
    endpoint_url: str | None = None

    @property
    def instance_id(self) -> str:
        return self.instance_arn.rsplit("/", 1)[-1]


# GetCurrentMetricData, grouped by queue and channel: metric -> wire field (voice; chat/email waiting apart).
REALTIME_METRICS: dict[str, str] = {
    "CONTACTS_IN_QUEUE": "calls_waiting",
    "OLDEST_CONTACT_AGE": "longest_wait_s",
    "CONTACTS_SCHEDULED": "callbacks_waiting",
    "AGENTS_AVAILABLE": "agents_available",
    "AGENTS_ON_CONTACT": "agents_on_call",
    "AGENTS_AFTER_CONTACT_WORK": "agents_wrap",
    "AGENTS_NON_PRODUCTIVE": "agents_away",
    "AGENTS_STAFFED": "agents_staffed",
}
_WAITING_BY_CHANNEL = {"CHAT": "chats_waiting", "EMAIL": "emails_waiting"}

# GetMetricDataV2 for today: (metric, threshold key or None) -> wire field.
# "answered" and "handled" are both CONTACTS_HANDLED: Connect counts a contact handled when it connects to an agent.
COUNT_METRICS: dict[tuple[str, str | None], tuple[str, ...]] = {
    ("CONTACTS_QUEUED", None): ("offered",),
    ("CONTACTS_HANDLED", None): ("answered", "handled"),
    ("SUM_CONTACTS_ANSWERED_IN_X", "service_level"): ("answered_within_target",),
    ("CONTACTS_ABANDONED", None): ("abandoned",),
    ("SUM_CONTACTS_ABANDONED_IN_X", "service_level"): ("abandoned_within_target",),
    ("SUM_CONTACTS_ABANDONED_IN_X", "short_abandon"): ("short_abandoned",),
    ("SUM_HANDLE_TIME", None): ("handle_time_s",),
    ("SUM_INTERACTION_TIME", None): ("talk_time_s",),
    ("SUM_HOLD_TIME", None): ("hold_time_s",),
    ("SUM_AFTER_CONTACT_WORK_TIME", None): ("wrap_time_s",),
}


def oldest_contact_age_seconds(value: float, *, grouped: bool) -> float:
    """OLDEST_CONTACT_AGE in seconds.

    The API reference for GetCurrentMetricData: "When you use groupings, Unit says
    SECONDS and the Value is returned in SECONDS. When you do not use groupings,
    Unit says SECONDS but the Value is returned in MILLISECONDS" (its example:
    24113.0 is 24 seconds).
    """
    return value if grouped else value / 1000.0


class ConnectAdapter:
    """Reads one Amazon Connect instance; every API call spends the feed's request budget first."""

    name = "connect"
    SUPPLY = CONNECT  # the queue fields Connect's metric APIs can and cannot give (feeds/supplies.py)

    def __init__(self, section: ConnectSection, ctx: FeedContext, client: Any) -> None:
        self.section = section
        self.ctx = ctx
        self.client = client
        self.SUPPLY = for_section(self.name, {"channels": section.channels})  # chats, emails: if read
        self._by_id = {queue_id: name for name, queue_id in section.queues.items()}
        self._names: dict[str, str] = {}

    async def connect(self) -> None:
        """Nothing to open: the first poll proves the credentials and permissions."""

    async def close(self) -> None:
        """boto3 keeps no connection that needs closing."""

    async def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        await self.ctx.budget.acquire()
        method: Callable[..., dict[str, Any]] = getattr(self.client, operation)
        try:
            reply = await asyncio.to_thread(method, **params)
        except ClientError as exc:
            raise _feed_error(operation, exc) from None
        except NoCredentialsError:
            raise AuthFailed("no AWS credentials found (instance role, environment or shared config)") from None
        except BotoCoreError as exc:
            raise Disconnected(f"{operation}: {exc}") from None
        self.ctx.record(operation, reply)
        return reply

    async def _pages(self, operation: str, key: str, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            reply = await self._call(operation, **params, **({"NextToken": token} if token else {}))
            items.extend(reply.get(key, []))
            token = reply.get("NextToken")
            if not token:
                return items

    async def poll(self) -> Reading:
        queues: dict[str, dict[str, float]] = {name: {} for name in self.section.queues}
        await self._realtime(queues)
        await self._today(queues)
        agents = await self._agents() if self.section.agents else None
        return Reading(queues=queues, agents=agents)

    async def _realtime(self, queues: dict[str, dict[str, float]]) -> None:
        results = await self._pages(
            "get_current_metric_data",
            "MetricResults",
            InstanceId=self.section.instance_id,
            Filters={"Queues": list(self.section.queues.values()), "Channels": self.section.channels},
            Groupings=["QUEUE", "CHANNEL"],
            CurrentMetrics=[
                {"Name": name, "Unit": "SECONDS" if name == "OLDEST_CONTACT_AGE" else "COUNT"}
                for name in REALTIME_METRICS
            ],
            MaxResults=100,
        )
        for result in results:
            dimensions = result.get("Dimensions", {})
            name = self._by_id.get(dimensions.get("Queue", {}).get("Id", ""))
            channel = dimensions.get("Channel")
            if name is None:
                continue
            for collection in result.get("Collections", []):
                metric, value = collection["Metric"]["Name"], collection.get("Value")
                if value is None:  # Connect: null means it cannot be calculated; the field stays absent
                    continue
                if metric == "OLDEST_CONTACT_AGE":
                    value = oldest_contact_age_seconds(value, grouped=True)
                if channel == "VOICE" and metric in REALTIME_METRICS:
                    queues[name][REALTIME_METRICS[metric]] = value
                elif metric == "CONTACTS_IN_QUEUE" and channel in _WAITING_BY_CHANNEL:
                    queues[name][_WAITING_BY_CHANNEL[channel]] = value

    async def _today(self, queues: dict[str, dict[str, float]]) -> None:
        now = self.ctx.clock()
        thresholds = {"service_level": self.ctx.service_level_s, "short_abandon": self.ctx.short_abandon_s}
        metrics = []
        for metric, threshold in COUNT_METRICS:
            entry: dict[str, Any] = {"Name": metric}
            if threshold is not None:
                entry["Threshold"] = [{"Comparison": "LTE", "ThresholdValue": thresholds[threshold]}]
            metrics.append(entry)
        results = await self._pages(
            "get_metric_data_v2",
            "MetricResults",
            **self._today_window(now),
            Filters=[
                {"FilterKey": "QUEUE", "FilterValues": list(self.section.queues.values())},
                {"FilterKey": "CHANNEL", "FilterValues": ["VOICE"]},
            ],
            Groupings=["QUEUE"],
            Metrics=metrics,
            MaxResults=100,
        )
        by_threshold = {value: key for key, value in thresholds.items()}
        for result in results:
            name = self._by_id.get(result.get("Dimensions", {}).get("QUEUE", ""))
            if name is None:
                continue
            for collection in result.get("Collections", []):
                metric = collection["Metric"]
                value = collection.get("Value")
                limits = metric.get("Threshold") or [{}]
                threshold = by_threshold.get(limits[0].get("ThresholdValue")) if "Threshold" in metric else None
                if value is None:
                    continue
                for wire_field in COUNT_METRICS.get((metric["Name"], threshold), ()):
                    queues[name][wire_field] = value

    async def _agents(self) -> list[AgentRow]:
        users = await self._pages(
            "get_current_user_data",
            "UserDataList",
            InstanceId=self.section.instance_id,
            Filters={"Queues": list(self.section.queues.values())},
            MaxResults=100,
        )
        calls = await self._calls_today_by_agent()
        rows = []
        for user in users:
            user_id = user["User"]["Id"]
            if user_id not in self._names:
                described = await self._call("describe_user", InstanceId=self.section.instance_id, UserId=user_id)
                self._names[user_id] = _display_name(described.get("User", {}), user_id)
            row = _agent_row(self._names[user_id], user, self._by_id)
            if user_id in calls:
                row = msgspec.structs.replace(row, calls_today=round(calls[user_id]))
            rows.append(row)
        return sorted(rows, key=lambda row: row.name)

    async def _calls_today_by_agent(self) -> dict[str, float]:
        """Contacts each agent handled since local midnight (GetMetricDataV2 grouped by agent)."""
        now = self.ctx.clock()
        results = await self._pages(
            "get_metric_data_v2",
            "MetricResults",
            **self._today_window(now),
            Filters=[{"FilterKey": "QUEUE", "FilterValues": list(self.section.queues.values())}],
            Groupings=["AGENT"],
            Metrics=[{"Name": "CONTACTS_HANDLED"}],
            MaxResults=100,
        )
        calls: dict[str, float] = {}
        for result in results:
            agent = result.get("Dimensions", {}).get("AGENT")
            for collection in result.get("Collections", []):
                if agent and collection.get("Value") is not None:
                    calls[agent] = calls.get(agent, 0.0) + collection["Value"]
        return calls

    def _today_window(self, now: float) -> dict[str, Any]:
        """GetMetricDataV2's window for "today": local midnight to now, in the site's zone."""
        return {
            "ResourceArn": self.section.instance_arn,
            "StartTime": dt.datetime.fromtimestamp(period_start(now, self.ctx.zone), dt.UTC),
            "EndTime": dt.datetime.fromtimestamp(now, dt.UTC),
            "Interval": {"TimeZone": self.ctx.zone.key, "IntervalPeriod": "TOTAL"},
        }


def _display_name(user: dict[str, Any], fallback: str) -> str:
    info = user.get("IdentityInfo", {})
    full = " ".join(part for part in (info.get("FirstName"), info.get("LastName")) if part)
    return full or user.get("Username") or fallback


_RINGING = frozenset({"INCOMING", "PENDING", "CONNECTING"})
_TALKING = frozenset({"CONNECTED", "CONNECTED_ONHOLD"})


def _agent_row(name: str, user: dict[str, Any], queue_names: dict[str, str]) -> AgentRow:
    """Connect's agent status and contact states mapped to the wire's agent states."""
    status = user.get("Status", {})
    status_name = status.get("StatusName", "")
    contacts = user.get("Contacts", [])
    states = {contact.get("AgentContactState") for contact in contacts}
    since = status.get("StatusStartTimestamp")
    reason = None
    if states & _TALKING:
        state = "on_call"
    elif states & _RINGING:
        state = "ringing"
    elif "ENDED" in states:
        state = "wrap"
    elif status_name == "Available":
        state = "available"
    elif status_name == "Offline":
        state = "offline"
    else:
        state, reason = "away", status_name or None
    if contacts and state in ("on_call", "ringing", "wrap"):
        since = contacts[0].get("StateStartTimestamp", since)
    queues = sorted({queue_names[c["Queue"]["Id"]] for c in contacts if c.get("Queue", {}).get("Id") in queue_names})
    return AgentRow(
        name=name,
        state=state,
        state_since=since.timestamp() if isinstance(since, dt.datetime) else None,
        reason=reason,
        queues=queues or None,
        ring_no_answer=True if "MISSED" in states else None,
    )


def _feed_error(operation: str, exc: ClientError) -> FeedError:
    error = exc.response.get("Error", {})
    code = error.get("Code", "")
    message = f"{operation}: {code}: {error.get('Message', '')}".rstrip(": ")
    if code in ("TooManyRequestsException", "ThrottlingException", "LimitExceededException"):
        headers = exc.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        retry_after = headers.get("retry-after")
        return Throttled(message, float(retry_after) if retry_after and retry_after.isdigit() else None)
    if code in (
        "AccessDeniedException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "ExpiredTokenException",
        "UnauthorizedException",
    ):
        return AuthFailed(message)
    return FeedError(message)


def build(config: FeedConfig, ctx: FeedContext) -> ConnectAdapter:
    """The adapter from ``[connect]``, with a boto3 client on the standard credential chain."""
    section: ConnectSection = decode_section(config, "connect", ConnectSection)
    if section.endpoint_url is not None and not section.endpoint_url.startswith(("https://", "http://")):
        raise FeedConfigError(
            f'{config.path}: connect.endpoint_url: expected "https://...", got "{section.endpoint_url}"'
        )
    client = boto3.client(
        "connect",
        region_name=section.region,
        endpoint_url=section.endpoint_url,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=15),
    )
    return ConnectAdapter(section, ctx, client)
