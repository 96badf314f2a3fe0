"""The Genesys Cloud adapter: OAuth client credentials, queue observations, conversation aggregates, notifications.

A thin client over httpx (REST) and websockets (the notifications channel)
rather than the vendor's Python SDK, which pulls in thousands of generated
modules (172 MB installed, seconds to import) and is slow on a Pi Zero; the
payloads read here are exactly the shapes of that SDK's models (the tests build
them with it).

- Token: ``POST https://login.<region>/oauth/token`` (client credentials); renewed
  a minute before ``expires_in`` runs out, and once more on a 401.
- Real time: ``POST /api/v2/analytics/queues/observations/query`` on connect and
  every ``refresh_s``; a queue's metrics may come in several result groups (user
  metrics grouped by queue alone, conversation metrics by queue and media type),
  so groups are merged per queue, metric by metric. ``oUserPresences`` qualifiers
  are the organisation's presence ids, mapped to system presences through the
  response's ``systemToOrganizationMappings`` (and ``GET /api/v2/presence/definitions``
  for an id the response does not map). Between queries the notifications
  WebSocket (topic ``v2.analytics.queues.<id>.observations``, the SDK's
  ``StatEventQueueTopicStatsNotification``: ``data[{interval, metrics[...]}]``)
  replaces the metrics it carries as soon as it arrives.
- The channel lives 24 hours; ``v2.system.socket_closing`` (maintenance) moves
  to a new channel and socket at once, before the old socket closes; a dropped
  socket or the expiry opens a new channel at the next poll.
- Today: ``POST /api/v2/analytics/conversations/aggregates/query`` from local
  midnight (site zone) to now, every ``counts_refresh_s``. The query covers the
  whole day, so a metric Genesys leaves out (no ``tAbandon`` on a quiet morning)
  is a real 0; a queue neither query returns is left out of the reading, so its
  last values age into stale on the boards instead of coming back with a new ``ts``.
- A 429 or a 5xx raises Throttled / FeedError but keeps the session (token,
  channel, subscriptions): the runner's ``close`` after it is a no-op, its
  ``connect`` reuses the session, and the runner honours ``Retry-After``.
Must not call anything that writes to the org.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
from collections import deque
from collections.abc import Iterable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import msgspec
import websockets
from websockets.asyncio.client import ClientConnection

from wallboard.feeds.adapter import FeedContext, Reading
from wallboard.feeds.daycount import period_start
from wallboard.feeds.errors import AuthFailed, Disconnected, FeedError, Throttled
from wallboard.feeds.feed_config import FeedConfig, decode_section
from wallboard.feeds.supplies import GENESYS, for_section

log = logging.getLogger("wallboard.feed.genesys")

SOCKET_CLOSING = "v2.system.socket_closing"
HEARTBEAT = "channel.metadata"
RENEW_BEFORE_S = 60.0
CHANNEL_RENEW_BEFORE_S = 300.0
OBSERVED_METRICS = ("oWaiting", "oLongestWaiting", "oOnQueueUsers", "oUserPresences")


class ServiceLevelCalculation(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[genesys.service_level_calculation]``: the org's Admin > Contact Center > Analytics > Service Level
    Calculations Options, as set there. The defaults are Genesys's formula with no switch turned
    (answered within target / (answered + abandoned)): every abandon counts, short ones too; flow-outs do not.
    """

    include_flowouts: bool = False
    include_short_abandons: bool = True
    include_abandons: bool = True


class GenesysSection(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[genesys]``: the region, the OAuth client (client-credentials grant), and ``name = "queue id"``."""

    region: str = "mypurecloud.com"
    client_id: str
    client_secret_file: str
    queues: dict[str, str]
    media_type: str = "voice"
    refresh_s: float = 60.0
    counts_refresh_s: float = 10.0
    timeout_s: float = 10.0
    service_level_calculation: ServiceLevelCalculation = msgspec.field(default_factory=ServiceLevelCalculation)
    api_base: str | None = None  # default https://api.<region>; tests point these at a local server
    login_base: str | None = None


# System presences (``systemToOrganizationMappings`` keys, a definition's ``systemPresence``), normalised
# (upper case, no "_"): those that are logged in but not taking calls are away.
PRESENCES_AWAY = frozenset({"AWAY", "BREAK", "MEAL", "MEETING", "TRAINING", "BUSY"})
SYSTEM_PRESENCES = PRESENCES_AWAY | {"AVAILABLE", "OFFLINE", "IDLE", "ONQUEUE"}

# Conversation aggregate metric -> (wire field for stats.count, wire field for stats.sum in ms).
AGGREGATES: dict[str, tuple[str | None, str | None]] = {
    "nOffered": ("offered", None),
    "tAnswered": ("answered", "wait_time_s"),
    "tAbandon": ("abandoned", None),
    "tShortAbandon": ("short_abandoned", None),
    "tHandle": ("handled", "handle_time_s"),
    "tTalkComplete": (None, "talk_time_s"),
    "tHeldComplete": (None, "hold_time_s"),
    "tAcw": (None, "wrap_time_s"),
    "nOverSla": (None, None),  # used for answered_within_target = answered - nOverSla
}


def system_presence(name: str) -> str:
    """A system presence as one spelling: ``ON_QUEUE``, ``OnQueue`` and ``On Queue`` are all ``ONQUEUE``."""
    return name.upper().replace("_", "").replace(" ", "")


def observation_fields(
    data: Iterable[Mapping[str, Any]], now: float, presences: Mapping[str, str] | None = None
) -> dict[str, float]:
    """One queue's observation metrics (merged from every group and notification) as wire fields.

    ``presences`` maps organisation presence ids (``oUserPresences`` qualifiers) to system presences; a
    qualifier that is itself a system presence name is read as one. A metric that is present counts its
    missing qualifiers as 0; a metric that is absent leaves its fields out.
    """
    presences = presences or {}
    metrics: dict[str, dict[str, float]] = {}
    longest: float | None = None
    for item in data:
        metric, stats = item.get("metric"), item.get("stats") or {}
        if not isinstance(metric, str):
            continue
        counts = metrics.setdefault(metric, {})
        count = stats.get("count")
        if metric == "oLongestWaiting":
            value = longest_waiting_seconds(stats.get("calculatedMetricValue"), now)
            if value is not None:
                longest = value if longest is None else max(longest, value)
        if count is not None:
            qualifier = str(item.get("qualifier") or "")
            counts[qualifier] = counts.get(qualifier, 0) + float(count)
    out: dict[str, float] = {}
    if "oWaiting" in metrics:
        out["calls_waiting"] = sum(metrics["oWaiting"].values())
    if longest is not None:
        out["longest_wait_s"] = longest
    elif out.get("calls_waiting") == 0 and "oLongestWaiting" in metrics:
        out["longest_wait_s"] = 0.0  # nobody waiting: the longest wait is none
    users = metrics.get("oOnQueueUsers")
    if users is not None:
        out["agents_available"] = users.get("IDLE", 0.0)
        out["agents_on_call"] = users.get("INTERACTING", 0.0) + users.get("COMMUNICATING", 0.0)
    present = metrics.get("oUserPresences")
    if present is not None:
        away = 0.0
        for qualifier, count in present.items():
            system = presences.get(qualifier) or system_presence(qualifier)
            if system in PRESENCES_AWAY:
                away += count
        # On queue but not answering (an alert went unanswered): logged in, not taking calls.
        out["agents_away"] = away + (users or {}).get("NOT_RESPONDING", 0.0)
    if users is not None and present is not None:
        # The README's definition: available + on call + wrap + away (Genesys's wrap-up is part of INTERACTING).
        out["agents_staffed"] = out["agents_available"] + out["agents_on_call"] + out["agents_away"]
    return out


def unmapped_presences(data: Iterable[Mapping[str, Any]], presences: Mapping[str, str]) -> set[str]:
    """``oUserPresences`` qualifiers that are neither mapped nor a system presence name."""
    return {
        str(item.get("qualifier"))
        for item in data
        if item.get("metric") == "oUserPresences"
        and item.get("qualifier")
        and str(item.get("qualifier")) not in presences
        and system_presence(str(item.get("qualifier"))) not in SYSTEM_PRESENCES
    }


def notification_metrics(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A queue observation notification's metrics: the SDK's ``data[{interval, metrics[...]}]``, or flat ``data[]``."""
    items: list[Mapping[str, Any]] = []
    for entry in body.get("data") or []:
        if not isinstance(entry, Mapping):
            continue
        if isinstance(entry.get("metrics"), list):
            items.extend(metric for metric in entry["metrics"] if isinstance(metric, Mapping))
        elif "metric" in entry:
            items.append(entry)
    return items


def longest_waiting_seconds(value: float | None, now: float) -> float | None:
    """``oLongestWaiting``'s ``calculatedMetricValue`` as a wait in seconds.

    Genesys reports it as the epoch time in milliseconds at which the oldest
    waiting conversation started (read as a duration it is ~56 years), so a
    value above 1e12 is a start time; a smaller one is taken as a duration in ms.
    """
    if value is None:
        return None
    if value > 1e12:
        return max(0.0, now - value / 1000.0)
    return value / 1000.0


def service_level_inputs(fields: dict[str, float], over_sla: float, calculation: ServiceLevelCalculation) -> None:
    """Shape today's counts so the board's default service level (``offered_minus_short``) is the org's.

    Genesys: (answered - nOverSla) / (answered + abandoned [+ flow-outs] [- short abandons] [- abandons]).
    ``short_abandoned`` is sent only where the org subtracts short abandons; where it counts them it is
    not supplied (declared so), and the board's formula is answered within target / (answered + abandoned).
    Flow-outs have no wire field: with them included the org's SL cannot be made, so
    ``answered_within_target`` is not sent (declared not supplied: the board says n/a, never a wrong %).
    """
    if "answered" in fields and not calculation.include_flowouts:
        fields["answered_within_target"] = max(0.0, fields["answered"] - over_sla)
    if calculation.include_short_abandons:
        fields.pop("short_abandoned", None)


class GenesysAdapter:
    """Reads one Genesys Cloud org over REST and the notifications WebSocket."""

    name = "genesys"
    SUPPLY = GENESYS  # the queue fields the Analytics API can and cannot give (feeds/supplies.py)

    def __init__(self, section: GenesysSection, secret: str, ctx: FeedContext) -> None:
        self.section = section
        self._secret = secret
        self.ctx = ctx
        self.SUPPLY = for_section(self.name, msgspec.to_builtins(section))
        calculation = section.service_level_calculation
        if calculation.include_flowouts:
            log.warning(
                "the org's service level includes flow-outs, which the wire contract cannot carry: "
                "answered_within_target is not sent (boards show service level n/a)"
            )
        elif not calculation.include_abandons:
            log.info('the org leaves abandons out of its service level: give boards sl_counts = "answered"')
        self.api = section.api_base or f"https://api.{section.region}"
        self.login = section.login_base or f"https://login.{section.region}"
        self._http: httpx.AsyncClient | None = None
        self._token: str | None = None
        self._token_expires = 0.0
        self._socket: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._switching: asyncio.Task[None] | None = None
        self._channel_expires = 0.0
        self._renew_channel = False
        # Per queue, per observation metric, its latest items (from a query or a notification).
        self._metrics: dict[str, dict[str, list[Mapping[str, Any]]]] = {}
        self._observed_at: float | None = None
        self._presences: dict[str, str] = {}
        self._definitions_read = False
        self._counts: dict[str, dict[str, float]] = {}
        self._counted_at: float | None = None
        self._keep_session = False
        self._sent: deque[float] = deque()
        self._by_id = {queue_id: name for name, queue_id in section.queues.items()}
        self.channels_opened = 0
        self.tokens_fetched = 0
        self.notifications_applied = 0

    # -- connection ------------------------------------------------------------------------------------------

    async def connect(self) -> None:
        """Log in, open the channel and observe; after a throttle or a 5xx, carry on with the kept session."""
        self._keep_session = False
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.section.timeout_s)
        if self._token is None:
            await self._fetch_token()
        if self._socket is None:
            await self._open_channel()
        if self._observed_at is None:
            await self._observe()

    async def close(self) -> None:
        """Close everything, except right after a throttle or a 5xx: then the session is kept for ``connect``."""
        if self._keep_session:
            self._keep_session = False
            log.debug("keeping the Genesys session (token, channel, subscriptions) through the back-off")
            return
        await self.shutdown()

    async def shutdown(self) -> None:
        """Close the socket and the HTTP client whatever happened before."""
        self._keep_session = False
        switching, self._switching = self._switching, None
        if switching is not None:
            switching.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await switching
        await self._close_channel()
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        self._token = None
        self._observed_at = None
        self._counted_at = None

    def requests_last_minute(self) -> int:
        """Requests sent to Genesys in the last 60 s (tokens included)."""
        now = self.ctx.clock()
        while self._sent and self._sent[0] <= now - 60.0:
            self._sent.popleft()
        return len(self._sent)

    async def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        assert self._http is not None
        await self.ctx.budget.acquire()
        self._sent.append(self.ctx.clock())
        try:
            return await self._http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise Disconnected(f"{url.removeprefix(self.api).removeprefix(self.login)}: {exc}") from None

    async def _fetch_token(self) -> None:
        reply = await self._send(
            "POST",
            f"{self.login}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(self.section.client_id, self._secret),
        )
        if reply.status_code in (400, 401, 403):
            detail = _error_text(reply)
            raise AuthFailed(f"Genesys OAuth refused client {self.section.client_id}: {detail}")
        self._raise_for(reply, "oauth/token")
        body = reply.json()
        self._token = body["access_token"]
        self._token_expires = self.ctx.clock() + float(body.get("expires_in", 3600))
        self.tokens_fetched += 1

    async def _request(self, method: str, path: str, body: Any = None) -> Any:
        if self._token is None or self.ctx.clock() > self._token_expires - RENEW_BEFORE_S:
            await self._fetch_token()
        for attempt in range(2):
            reply = await self._send(
                method, f"{self.api}{path}", json=body, headers={"Authorization": f"Bearer {self._token}"}
            )
            if reply.status_code == 401 and attempt == 0:
                await self._fetch_token()  # revoked or expired early: one fresh token, then give up
                continue
            self._raise_for(reply, path)
            result = reply.json() if reply.content else None
            self.ctx.record(path, result)
            return result
        raise AuthFailed(f"{path}: the token was refused twice")  # pragma: no cover - loop returns or raises

    def _raise_for(self, reply: httpx.Response, what: str) -> None:
        """A failed reply as a FeedError; a 429 or a 5xx keeps the session for the runner's next connect."""
        status = reply.status_code
        if status < 400:
            return
        if status == 429 or status >= 500:
            self._keep_session = True
            retry = _retry_after(reply.headers.get("Retry-After"))
            pace = f"{self.requests_last_minute()} requests in the last minute"
            if status == 429:
                raise Throttled(f"{what}: rate limited by Genesys (429); {pace}", retry)
            text = f"{what}: HTTP {status}: {_error_text(reply)}; {pace}"
            raise Throttled(text, retry) if retry is not None else FeedError(text)
        if status in (401, 403):
            raise AuthFailed(f"{what}: {_error_text(reply)} (check the OAuth client's role)")
        raise FeedError(f"{what}: HTTP {status}: {_error_text(reply)}")

    # -- notifications channel -------------------------------------------------------------------------------

    async def _new_channel(self) -> tuple[ClientConnection, float]:
        """A new channel, subscribed to every queue's observations, and its open socket."""
        channel = await self._request("POST", "/api/v2/notifications/channels")
        topics = [{"id": f"v2.analytics.queues.{queue_id}.observations"} for queue_id in self.section.queues.values()]
        await self._request("PUT", f"/api/v2/notifications/channels/{channel['id']}/subscriptions", topics)
        try:
            socket = await websockets.connect(channel["connectUri"], open_timeout=self.section.timeout_s)
        except (OSError, websockets.WebSocketException, TimeoutError) as exc:
            raise Disconnected(f"cannot open the notifications WebSocket: {exc}") from None
        expires = channel.get("expires")
        expires_at = (
            dt.datetime.fromisoformat(expires.replace("Z", "+00:00")).timestamp()
            if expires
            else self.ctx.clock() + 86400
        )
        self.channels_opened += 1
        return socket, expires_at

    async def _open_channel(self) -> None:
        socket, self._channel_expires = await self._new_channel()
        self._socket = socket
        self._renew_channel = False
        self._reader = asyncio.create_task(self._read(socket))

    async def _switch_channel(self) -> None:
        """Maintenance notice: a new channel and socket first, then the old one closed (no gap)."""
        old_socket, old_reader = self._socket, self._reader
        keep = self._keep_session  # this runs beside the runner's cycle: leave its flag as the cycle set it
        try:
            socket, expires_at = await self._new_channel()
        except FeedError as exc:
            log.warning("could not move to a new notifications channel yet (%s); retrying at the next poll", exc)
            self._keep_session = keep
            self._renew_channel = True
            return
        self._socket, self._channel_expires, self._renew_channel = socket, expires_at, False
        self._reader = asyncio.create_task(self._read(socket))
        log.info("moved to a new notifications channel before Genesys closes the old one")
        if old_reader is not None and old_reader is not asyncio.current_task():
            old_reader.cancel()
        if old_socket is not None:
            await old_socket.close()

    async def _close_channel(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        socket, self._socket = self._socket, None
        if socket is not None:
            await socket.close()

    async def _read(self, socket: ClientConnection) -> None:
        try:
            async for raw in socket:
                message = json.loads(raw)
                topic = message.get("topicName", "")
                if topic == HEARTBEAT:
                    continue
                if topic == SOCKET_CLOSING:
                    if self._switching is None or self._switching.done():
                        log.info("Genesys says the notifications socket is closing; moving to a new channel now")
                        self._switching = asyncio.create_task(self._switch_channel())
                    continue
                self.ctx.record("notification", message)
                self._apply_notification(message.get("eventBody") or {})
        except websockets.ConnectionClosed:
            pass
        if self._socket is socket:  # not the old socket of a switch already made
            self._renew_channel = True

    def _apply_notification(self, body: Mapping[str, Any]) -> None:
        group = body.get("group") or {}
        queue = self._by_id.get(group.get("queueId", ""))
        if queue is None or group.get("mediaType", self.section.media_type) != self.section.media_type:
            return
        held = self._metrics.get(queue)
        if held is None:
            return  # a queue the last query did not return: wait for one that does
        fresh: dict[str, list[Mapping[str, Any]]] = {}
        for item in notification_metrics(body):
            fresh.setdefault(str(item.get("metric")), []).append(item)
        held.update(fresh)  # each metric it carries replaces that metric; the others stay
        self.notifications_applied += 1

    # -- polling ---------------------------------------------------------------------------------------------

    def _queue_filter(self) -> dict[str, Any]:
        """The analytics filter "one of our queues, and our media type"."""
        queues = [{"dimension": "queueId", "value": queue_id} for queue_id in self.section.queues.values()]
        media = [{"dimension": "mediaType", "value": self.section.media_type}]
        return {"type": "and", "clauses": [{"type": "or", "predicates": queues}, {"type": "or", "predicates": media}]}

    def _ours(self, group: Mapping[str, Any]) -> str | None:
        """The queue name of a result group of ours (a group without a media type is every media's)."""
        if group.get("mediaType", self.section.media_type) != self.section.media_type:
            return None
        return self._by_id.get(group.get("queueId", ""))

    async def _observe(self) -> None:
        body = {"filter": self._queue_filter(), "metrics": list(OBSERVED_METRICS)}
        reply = await self._request("POST", "/api/v2/analytics/queues/observations/query", body) or {}
        for system, ids in (reply.get("systemToOrganizationMappings") or {}).items():
            for presence_id in ids or []:
                self._presences[presence_id] = system_presence(system)
        merged: dict[str, dict[str, list[Mapping[str, Any]]]] = {}
        for result in reply.get("results") or []:
            queue = self._ours(result.get("group") or {})
            if queue is None:
                continue
            metrics = merged.setdefault(queue, {})
            for item in result.get("data") or []:
                metrics.setdefault(str(item.get("metric")), []).append(item)
        unknown = set().union(*(unmapped_presences(self._items(m), self._presences) for m in merged.values()))
        if unknown and not self._definitions_read:
            await self._read_presence_definitions()
        self._metrics = merged  # a queue this query does not return is dropped, never kept with old values
        self._observed_at = self.ctx.clock()

    @staticmethod
    def _items(metrics: Mapping[str, list[Mapping[str, Any]]]) -> list[Mapping[str, Any]]:
        return [item for items in metrics.values() for item in items]

    async def _read_presence_definitions(self) -> None:
        """The org's presence definitions (id -> system presence), once, for ids the observation did not map."""
        self._definitions_read = True
        try:
            reply = await self._request("GET", "/api/v2/presence/definitions") or {}
        except FeedError as exc:
            if self._keep_session:  # throttled or a 5xx: ask again next time
                self._definitions_read = False
                raise
            log.warning("cannot read the org's presence definitions (%s): unmapped presences are not counted away", exc)
            return
        for definition in reply.get("entities") or []:
            if definition.get("id") and definition.get("systemPresence"):
                self._presences[definition["id"]] = system_presence(definition["systemPresence"])

    async def poll(self) -> Reading:
        now = self.ctx.clock()
        if self._renew_channel or now > self._channel_expires - CHANNEL_RENEW_BEFORE_S:
            await self._close_channel()
            await self._open_channel()
            await self._observe()
        elif self._observed_at is None or now - self._observed_at >= self.section.refresh_s:
            await self._observe()
        if self._counted_at is None or now - self._counted_at >= self.section.counts_refresh_s:
            self._counts = await self._today(now)
            self._counted_at = now
        now = self.ctx.clock()
        queues: dict[str, dict[str, float]] = {}
        for name in self.section.queues:
            observed = self._metrics.get(name)
            counts = self._counts.get(name)
            if observed is None and counts is None:
                continue  # Genesys returned nothing for it: publish nothing, so boards see it age
            fields = observation_fields(self._items(observed or {}), now, self._presences)
            queues[name] = {**fields, **(counts or {})}
        return Reading(queues=queues)

    async def _today(self, now: float) -> dict[str, dict[str, float]]:
        start = dt.datetime.fromtimestamp(period_start(now, self.ctx.zone), dt.UTC)
        end = dt.datetime.fromtimestamp(now, dt.UTC)
        body = {
            "interval": f"{_iso(start)}/{_iso(end)}",
            "timeZone": self.ctx.zone.key,
            "groupBy": ["queueId"],
            "filter": self._queue_filter(),
            "metrics": list(AGGREGATES),
        }
        reply = await self._request("POST", "/api/v2/analytics/conversations/aggregates/query", body) or {}
        sums: dict[str, dict[str, float]] = {}
        for result in reply.get("results") or []:
            queue = self._ours(result.get("group") or {})
            if queue is None:
                continue
            totals = sums.setdefault(queue, {})
            for interval in result.get("data") or []:
                for metric in interval.get("metrics") or []:
                    name, stats = metric.get("metric"), metric.get("stats") or {}
                    for part in ("count", "sum"):
                        if part in stats:
                            key = f"{name}.{part}"
                            totals[key] = totals.get(key, 0.0) + float(stats[part])
        out: dict[str, dict[str, float]] = {}
        # The query covers the whole day so far: a metric (or a whole queue) it leaves out had nothing to count.
        # A queue counts as Genesys's only if the observation query returned it too.
        for queue in set(sums) | set(self._metrics):
            totals = sums.get(queue, {})
            fields: dict[str, float] = {}
            for name, (count_field, sum_field) in AGGREGATES.items():
                if count_field:
                    fields[count_field] = totals.get(f"{name}.count", 0.0)
                if sum_field:
                    fields[sum_field] = totals.get(f"{name}.sum", 0.0) / 1000.0  # Genesys sums are ms
            service_level_inputs(fields, totals.get("nOverSla.count", 0.0), self.section.service_level_calculation)
            out[queue] = fields
        return out


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (Genesys sends whole seconds; an HTTP date is read too)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    with contextlib.suppress(TypeError, ValueError):
        return max(0.0, parsedate_to_datetime(value).timestamp() - dt.datetime.now(dt.UTC).timestamp())
    return None


def _error_text(reply: httpx.Response) -> str:
    try:
        body = reply.json()
    except ValueError:
        return f"HTTP {reply.status_code}"
    if not isinstance(body, dict):
        return f"HTTP {reply.status_code}"
    return str(body.get("error_description") or body.get("message") or body.get("error") or reply.status_code)


def build(config: FeedConfig, ctx: FeedContext) -> GenesysAdapter:
    """The adapter from ``[genesys]``; the client secret is read from its file now."""
    section: GenesysSection = decode_section(config, "genesys", GenesysSection)
    return GenesysAdapter(section, ctx.secret(section.client_secret_file), ctx)
