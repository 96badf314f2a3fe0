"""The Genesys Cloud adapter: OAuth client credentials, queue observations, conversation aggregates, notifications.

A thin client over httpx (REST) and websockets (the notifications channel)
rather than the vendor's Python SDK, which pulls in hundreds of generated
modules and is slow to import on a Pi Zero; this uses five endpoints.

- Token: ``POST https://login.<region>/oauth/token`` (client credentials); renewed
  a minute before ``expires_in`` runs out, and once more on a 401.
- Real time: ``POST /api/v2/analytics/queues/observations/query`` on connect and
  every ``refresh_s``, kept current between by the notifications WebSocket
  (topic ``v2.analytics.queues.<id>.observations``).
- The channel lives 24 hours and Genesys warns before maintenance with
  ``v2.system.socket_closing``: either, or a dropped socket, opens a new
  channel and resubscribes, without reporting the feed degraded.
- Today: ``POST /api/v2/analytics/conversations/aggregates/query`` from local
  midnight (site zone) to now, Genesys' own counts.
- A 429 raises Throttled with ``Retry-After``.
Must not call anything that writes to the org.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
from typing import Any

import httpx
import msgspec
import websockets
from websockets.asyncio.client import ClientConnection

from wallboard.feeds.adapter import FeedContext, Reading
from wallboard.feeds.daycount import period_start
from wallboard.feeds.errors import AuthFailed, Disconnected, FeedError, Throttled
from wallboard.feeds.feed_config import FeedConfig, decode_section
from wallboard.feeds.supplies import GENESYS

log = logging.getLogger("wallboard.feed.genesys")

SOCKET_CLOSING = "v2.system.socket_closing"
HEARTBEAT = "channel.metadata"
RENEW_BEFORE_S = 60.0
CHANNEL_RENEW_BEFORE_S = 300.0


class GenesysSection(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[genesys]``: the region, the OAuth client (client-credentials grant), and ``name = "queue id"``."""

    region: str = "mypurecloud.com"
    client_id: str
    client_secret_file: str
    queues: dict[str, str]
    media_type: str = "voice"
    refresh_s: float = 60.0
    timeout_s: float = 10.0
    api_base: str | None = None  # default https://api.<region>; tests point these at a local server
    login_base: str | None = None


# Queue observation metric (and qualifier) -> wire field.
_PRESENCES_AWAY = frozenset({"AWAY", "BREAK", "MEAL", "MEETING", "TRAINING", "BUSY"})

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


def observation_fields(data: list[dict[str, Any]], now: float) -> dict[str, float]:
    """One queue's observation data (REST result or notification body) as wire fields."""
    out: dict[str, float] = {}
    staffed = 0.0
    away = 0.0
    seen_users = False
    for item in data:
        metric, qualifier = item.get("metric"), item.get("qualifier")
        stats = item.get("stats", {})
        count = stats.get("count")
        if metric == "oWaiting" and count is not None:
            out["calls_waiting"] = count
        elif metric == "oLongestWaiting":
            longest = longest_waiting_seconds(stats.get("calculatedMetricValue"), now)
            if longest is not None:
                out["longest_wait_s"] = longest
        elif metric == "oOnQueueUsers" and count is not None:
            seen_users = True
            staffed += count
            if qualifier == "IDLE":
                out["agents_available"] = out.get("agents_available", 0) + count
            elif qualifier in ("INTERACTING", "COMMUNICATING"):
                out["agents_on_call"] = out.get("agents_on_call", 0) + count
        elif metric == "oUserPresences" and qualifier in _PRESENCES_AWAY and count is not None:
            away += count
            out["agents_away"] = away
    if seen_users:
        out["agents_staffed"] = staffed
    return out


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


class GenesysAdapter:
    """Reads one Genesys Cloud org over REST and the notifications WebSocket."""

    name = "genesys"
    SUPPLY = GENESYS  # the queue fields the Analytics API can and cannot give (feeds/supplies.py)

    def __init__(self, section: GenesysSection, secret: str, ctx: FeedContext) -> None:
        self.section = section
        self._secret = secret
        self.ctx = ctx
        self.api = section.api_base or f"https://api.{section.region}"
        self.login = section.login_base or f"https://login.{section.region}"
        self._http: httpx.AsyncClient | None = None
        self._token: str | None = None
        self._token_expires = 0.0
        self._socket: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._channel_expires = 0.0
        self._renew_channel = False
        self._observed: dict[str, dict[str, float]] = {}
        self._observed_at = 0.0
        self._by_id = {queue_id: name for name, queue_id in section.queues.items()}
        self.channels_opened = 0
        self.tokens_fetched = 0

    # -- connection ------------------------------------------------------------------------------------------

    async def connect(self) -> None:
        self._http = httpx.AsyncClient(timeout=self.section.timeout_s)
        await self._fetch_token()
        await self._open_channel()
        await self._observe()

    async def close(self) -> None:
        await self._close_channel()
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def _fetch_token(self) -> None:
        assert self._http is not None
        await self.ctx.budget.acquire()
        try:
            reply = await self._http.post(
                f"{self.login}/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(self.section.client_id, self._secret),
            )
        except httpx.HTTPError as exc:
            raise Disconnected(f"cannot reach {self.login}: {exc}") from None
        if reply.status_code in (400, 401, 403):
            detail = _error_text(reply)
            raise AuthFailed(f"Genesys OAuth refused client {self.section.client_id}: {detail}")
        _raise_for(reply, "oauth/token")
        body = reply.json()
        self._token = body["access_token"]
        self._token_expires = self.ctx.clock() + float(body.get("expires_in", 3600))
        self.tokens_fetched += 1

    async def _request(self, method: str, path: str, body: Any = None) -> Any:
        assert self._http is not None
        if self._token is None or self.ctx.clock() > self._token_expires - RENEW_BEFORE_S:
            await self._fetch_token()
        for attempt in range(2):
            await self.ctx.budget.acquire()
            try:
                reply = await self._http.request(
                    method, f"{self.api}{path}", json=body, headers={"Authorization": f"Bearer {self._token}"}
                )
            except httpx.HTTPError as exc:
                raise Disconnected(f"{path}: {exc}") from None
            if reply.status_code == 401 and attempt == 0:
                await self._fetch_token()  # revoked or expired early: one fresh token, then give up
                continue
            _raise_for(reply, path)
            result = reply.json() if reply.content else None
            self.ctx.record(path, result)
            return result
        raise AuthFailed(f"{path}: the token was refused twice")  # pragma: no cover - loop returns or raises

    # -- notifications channel -------------------------------------------------------------------------------

    async def _open_channel(self) -> None:
        channel = await self._request("POST", "/api/v2/notifications/channels")
        topics = [{"id": f"v2.analytics.queues.{queue_id}.observations"} for queue_id in self.section.queues.values()]
        await self._request("PUT", f"/api/v2/notifications/channels/{channel['id']}/subscriptions", topics)
        try:
            self._socket = await websockets.connect(channel["connectUri"], open_timeout=self.section.timeout_s)
        except (OSError, websockets.WebSocketException, TimeoutError) as exc:
            raise Disconnected(f"cannot open the notifications WebSocket: {exc}") from None
        expires = channel.get("expires")
        self._channel_expires = (
            dt.datetime.fromisoformat(expires.replace("Z", "+00:00")).timestamp()
            if expires
            else self.ctx.clock() + 86400
        )
        self._renew_channel = False
        self.channels_opened += 1
        self._reader = asyncio.create_task(self._read(self._socket))

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
                    log.info("Genesys says the notifications socket is closing; opening a new channel")
                    self._renew_channel = True
                    return
                self.ctx.record("notification", message)
                body = message.get("eventBody", {})
                queue = self._by_id.get(body.get("group", {}).get("queueId", ""))
                if queue is not None and body.get("group", {}).get("mediaType", self.section.media_type) == (
                    self.section.media_type
                ):
                    self._observed.setdefault(queue, {}).update(
                        observation_fields(body.get("data", []), self.ctx.clock())
                    )
        except websockets.ConnectionClosed:
            pass
        self._renew_channel = True

    # -- polling ---------------------------------------------------------------------------------------------

    def _queue_filter(self) -> dict[str, Any]:
        """The analytics filter "one of our queues, and our media type"."""
        queues = [{"dimension": "queueId", "value": queue_id} for queue_id in self.section.queues.values()]
        media = [{"dimension": "mediaType", "value": self.section.media_type}]
        return {"type": "and", "clauses": [{"type": "or", "predicates": queues}, {"type": "or", "predicates": media}]}

    async def _observe(self) -> None:
        body = {
            "filter": self._queue_filter(),
            "metrics": ["oWaiting", "oLongestWaiting", "oOnQueueUsers", "oUserPresences"],
        }
        reply = await self._request("POST", "/api/v2/analytics/queues/observations/query", body)
        now = self.ctx.clock()
        for result in reply.get("results", []):
            queue = self._by_id.get(result.get("group", {}).get("queueId", ""))
            if queue is not None:
                self._observed[queue] = observation_fields(result.get("data", []), now)
        self._observed_at = now

    async def poll(self) -> Reading:
        now = self.ctx.clock()
        if self._renew_channel or now > self._channel_expires - CHANNEL_RENEW_BEFORE_S:
            await self._close_channel()
            await self._open_channel()
            await self._observe()
        elif now - self._observed_at >= self.section.refresh_s:
            await self._observe()
        counts = await self._today(now)
        queues = {}
        for name in self.section.queues:
            queues[name] = {**self._observed.get(name, {}), **counts.get(name, {})}
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
        reply = await self._request("POST", "/api/v2/analytics/conversations/aggregates/query", body)
        out: dict[str, dict[str, float]] = {}
        for result in reply.get("results", []):
            queue = self._by_id.get(result.get("group", {}).get("queueId", ""))
            if queue is None:
                continue
            fields = out.setdefault(queue, {})
            over_sla: float | None = None
            for interval in result.get("data", []):
                for metric in interval.get("metrics", []):
                    name, stats = metric.get("metric"), metric.get("stats", {})
                    if name == "nOverSla":
                        over_sla = (over_sla or 0) + stats.get("count", 0)
                        continue
                    count_field, sum_field = AGGREGATES.get(name, (None, None))
                    if count_field and "count" in stats:
                        fields[count_field] = fields.get(count_field, 0) + stats["count"]
                    if sum_field and "sum" in stats:
                        fields[sum_field] = fields.get(sum_field, 0) + stats["sum"] / 1000.0  # Genesys sums are ms
            if "answered" in fields:
                fields["answered_within_target"] = max(0.0, fields["answered"] - (over_sla or 0))
        return out


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _error_text(reply: httpx.Response) -> str:
    try:
        body = reply.json()
    except ValueError:
        return f"HTTP {reply.status_code}"
    return str(body.get("error_description") or body.get("message") or body.get("error") or reply.status_code)


def _raise_for(reply: httpx.Response, what: str) -> None:
    if reply.status_code == 429:
        retry = reply.headers.get("Retry-After", "")
        raise Throttled(f"{what}: rate limited (429)", float(retry) if retry.isdigit() else None)
    if reply.status_code in (401, 403):
        raise AuthFailed(f"{what}: {_error_text(reply)} (check the OAuth client's role)")
    if reply.status_code >= 400:
        raise FeedError(f"{what}: HTTP {reply.status_code}: {_error_text(reply)}")


def build(config: FeedConfig, ctx: FeedContext) -> GenesysAdapter:
    """The adapter from ``[genesys]``; the client secret is read from its file now."""
    section: GenesysSection = decode_section(config, "genesys", GenesysSection)
    return GenesysAdapter(section, ctx.secret(section.client_secret_file), ctx)
