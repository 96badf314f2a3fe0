"""A local Genesys Cloud whose every payload is built with the vendor's own SDK models and serialised by its ApiClient.

REST on a stdlib HTTP server (its own thread), the notifications WebSocket on a
``websockets`` server in the test's event loop (or in ``FakeGenesysThread``'s own
loop, for a feed running as a process). Bodies are ``PureCloudPlatformClientV2``
models (``QueueObservationQueryResponse``, ``ConversationAggregateQueryResponse``,
``Channel``, ``ChannelTopicEntityListing``, ``OrganizationPresenceDefinitionEntityListing``,
``StatEventQueueTopicStatsNotification``) passed through ``ApiClient().sanitize_for_serialization``,
so they have exactly the field names and nesting the SDK gives them. Two shapes have no model
in the SDK and are written as Genesys documents them: the OAuth token reply (the SDK reads it as
a plain dict) and the notification envelope ``{"topicName", "version", "eventBody"}``.
Records what it was asked, and when by the test's clock.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import PureCloudPlatformClientV2 as sdk
from websockets.asyncio.server import Server, ServerConnection, serve

_API = sdk.ApiClient()
M = TypeVar("M")


def model(kind: type[M], **fields: Any) -> M:
    """An SDK model with ``fields`` set through its own (validating) setters."""
    made = kind()
    for name, value in fields.items():
        setattr(made, name, value)
    return made


def serialise(value: Any) -> Any:
    """What the SDK's ApiClient puts on the wire for ``value`` (camelCase names, no unset fields)."""
    return _API.sanitize_for_serialization(value)


def stats(**fields: Any) -> sdk.StatisticalSummary:
    return model(sdk.StatisticalSummary, **fields)


def observed(
    metric: str, count: int | None = None, qualifier: str | None = None, started_ms: int | None = None
) -> sdk.ObservationMetricData:
    """One observation metric; ``started_ms`` is oLongestWaiting's calculatedMetricValue (epoch ms)."""
    summary = stats(count=count, calculated_metric_value=started_ms)
    return model(sdk.ObservationMetricData, metric=metric, qualifier=qualifier, stats=summary)


def group(queue_id: str, data: list[sdk.ObservationMetricData], media: str | None = None) -> Any:
    """One observation result group: by queue alone (user metrics) or by queue and media type."""
    keys = {"queueId": queue_id} if media is None else {"queueId": queue_id, "mediaType": media}
    return model(sdk.QueueObservationDataContainer, group=keys, data=data)


def aggregate(metric: str, count: int | None = None, total_ms: float | None = None) -> sdk.AggregateMetricData:
    return model(sdk.AggregateMetricData, metric=metric, stats=stats(count=count, sum=total_ms))


def stat_event(
    metric: str, count: float | None = None, qualifier: str | None = None, **more: float
) -> sdk.StatEventQueueTopicMetricStats:
    """One metric of a queue notification (its stats are a plain ``dict(str, float)`` in the SDK)."""
    values = {"count": count, **more} if count is not None else dict(more)
    return model(sdk.StatEventQueueTopicMetricStats, metric=metric, qualifier=qualifier, stats=values)


def presence(presence_id: str, system: str) -> sdk.OrganizationPresenceDefinition:
    return model(sdk.OrganizationPresenceDefinition, id=presence_id, system_presence=system, type="User")


class FakeGenesys:
    def __init__(self, clock: Callable[[], float], client_id: str = "wallboard", secret: str = "s3cret") -> None:
        self.clock = clock
        self.client_id, self.secret = client_id, secret
        self.token_lifetime = 86399
        self.channel_lifetime = 86400.0
        self.valid_tokens: set[str] = set()
        self.tokens_issued = 0
        self.channels: list[str] = []
        self.subscriptions: dict[str, list[str]] = {}
        self.requests: list[tuple[str, str, Any]] = []
        self.request_times: list[float] = []  # by the test's clock, every request (tokens included)
        # Observation result groups, in the order Genesys sends them; the org's presence mappings and definitions.
        self.groups: list[Any] = []
        self.mappings: dict[str, list[str]] = {}
        self.definitions: list[sdk.OrganizationPresenceDefinition] = []
        self.aggregates: dict[str, list[sdk.AggregateMetricData]] = {}
        # Replies to the next API requests instead of an answer: (status, headers); ``sustained``: every one.
        self.failures: list[tuple[int, dict[str, str]]] = []
        self.sustained: tuple[int, dict[str, str]] | None = None
        self.forbidden: set[str] = set()  # paths the OAuth client's role may not read (403)
        self.sockets: list[ServerConnection] = []
        self.open_at_connect: list[int] = []  # per socket, how many others were still open when it connected
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.http_port = self._http.server_address[1]
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._ws: Server | None = None
        self.ws_port = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def count(self, suffix: str) -> int:
        """How many requests went to a path ending in ``suffix``."""
        return sum(1 for _, path, _ in self.requests if path.split("?")[0].endswith(suffix))

    async def start(self) -> None:
        self._thread.start()
        self._ws = await serve(self._serve_socket, "127.0.0.1", 0)
        self.ws_port = next(iter(self._ws.sockets)).getsockname()[1]

    async def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        if self._ws is not None:
            self._ws.close()
            await self._ws.wait_closed()

    async def _serve_socket(self, socket: ServerConnection) -> None:
        self.open_at_connect.append(len(self.open_sockets()))
        self.sockets.append(socket)
        await socket.send(
            json.dumps({"topicName": "channel.metadata", "eventBody": {"message": "WebSocket Heartbeat"}})
        )
        await socket.wait_closed()

    def open_sockets(self) -> list[ServerConnection]:
        return [socket for socket in self.sockets if socket.state.name == "OPEN"]

    async def notify(
        self, queue_id: str, metrics: Iterable[sdk.StatEventQueueTopicMetricStats], media: str | None = "voice"
    ) -> None:
        """Send the SDK's StatEventQueueTopicStatsNotification for one queue on every open socket."""
        now = dt.datetime.fromtimestamp(self.clock(), dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        interval = model(sdk.StatEventQueueTopicIntervalMetrics, interval=f"{now}/{now}", metrics=list(metrics))
        keys = {"queueId": queue_id} if media is None else {"queueId": queue_id, "mediaType": media}
        body = model(sdk.StatEventQueueTopicStatsNotification, group=keys, data=[interval])
        message = {
            "topicName": f"v2.analytics.queues.{queue_id}.observations",
            "version": "2",
            "eventBody": serialise(body),
        }
        for socket in self.open_sockets():
            await socket.send(json.dumps(message))

    async def closing_notice(self) -> None:
        for socket in self.open_sockets():
            await socket.send(
                json.dumps({"topicName": "v2.system.socket_closing", "eventBody": {"message": "closing"}})
            )

    # -- REST --------------------------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> Any:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length) if length else b""
                if self.headers.get("Content-Type", "").startswith("application/json") and raw:
                    return json.loads(raw)
                return raw.decode()

            def do_GET(self) -> None:
                self._route("GET")

            def do_POST(self) -> None:
                self._route("POST")

            def do_PUT(self) -> None:
                self._route("PUT")

            def _route(self, method: str) -> None:
                body = self._body()
                fake.requests.append((method, self.path, body))
                fake.request_times.append(fake.clock())
                if self.path == "/oauth/token":
                    self._token(body)
                    return
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                if token not in fake.valid_tokens:
                    self._reply(401, {"message": "Authentication failed", "code": "bad.credentials", "status": 401})
                    return
                if self.path.split("?")[0] in fake.forbidden:
                    self._reply(403, {"message": "Missing permission", "code": "missing.permissions", "status": 403})
                    return
                failure = fake.failures.pop(0) if fake.failures else fake.sustained
                if failure is not None:
                    status, headers = failure
                    self._reply(status, {"message": "try again later", "status": status}, headers)
                    return
                self._reply(200, fake.answer(method, self.path, body))

            def _token(self, body: str) -> None:
                expected = base64.b64encode(f"{fake.client_id}:{fake.secret}".encode()).decode()
                if self.headers.get("Authorization") != f"Basic {expected}" or "client_credentials" not in body:
                    self._reply(400, {"error": "invalid_client", "error_description": "client not found"})
                    return
                fake.tokens_issued += 1
                token = f"tok-{fake.tokens_issued}"
                fake.valid_tokens.add(token)
                self._reply(200, {"access_token": token, "token_type": "bearer", "expires_in": fake.token_lifetime})

        return Handler

    def answer(self, method: str, path: str, body: Any) -> Any:
        if path == "/api/v2/notifications/channels":
            channel = f"streaming-{len(self.channels) + 1}"
            self.channels.append(channel)
            expires = dt.datetime.fromtimestamp(self.clock() + self.channel_lifetime, dt.UTC)
            uri = f"ws://127.0.0.1:{self.ws_port}/channels/{channel}"
            return serialise(model(sdk.Channel, connect_uri=uri, id=channel, expires=expires))
        if path.endswith("/subscriptions"):
            self.subscriptions[path.split("/")[-2]] = [topic["id"] for topic in body]
            topics = [model(sdk.ChannelTopic, id=topic["id"], state="Permitted") for topic in body]
            return serialise(model(sdk.ChannelTopicEntityListing, entities=topics))
        if path == "/api/v2/analytics/queues/observations/query":
            response = model(sdk.QueueObservationQueryResponse, results=list(self.groups))
            if self.mappings:
                response.system_to_organization_mappings = self.mappings
            return serialise(response)
        if path.split("?")[0] == "/api/v2/presence/definitions":
            listing = model(
                sdk.OrganizationPresenceDefinitionEntityListing, entities=self.definitions, total=len(self.definitions)
            )
            return serialise(listing)
        if path == "/api/v2/analytics/conversations/aggregates/query":
            results = [
                model(
                    sdk.ConversationAggregateDataContainer,
                    group={"queueId": queue_id, "mediaType": "voice"},
                    data=[model(sdk.StatisticalResponse, interval=body["interval"], metrics=metrics)],
                )
                for queue_id, metrics in self.aggregates.items()
            ]
            return serialise(model(sdk.ConversationAggregateQueryResponse, results=results))
        return {"message": "not found"}


class FakeGenesysThread:
    """A FakeGenesys serving from its own event loop in a thread, for a feed that runs as a separate process."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.loop = asyncio.new_event_loop()
        self.fake = FakeGenesys(clock)
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> FakeGenesys:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.fake.start(), self.loop).result(10)
        return self.fake

    def call(self, coroutine: Any) -> Any:
        """Run a coroutine of the fake's (``notify``, ``closing_notice``) in its loop and wait for it."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(10)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.fake.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()
