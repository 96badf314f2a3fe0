"""A local Genesys Cloud: the OAuth token endpoint, the analytics queries and the notifications channel.

REST on a stdlib HTTP server (its own thread), the notifications WebSocket on a
``websockets`` server in the test's event loop. Shapes follow the Genesys Cloud
Platform API: ``{"access_token", "token_type", "expires_in"}``, channels with
``connectUri`` and ``expires``, analytics ``results[].group`` / ``data``,
notifications ``{"topicName", "eventBody"}``. Records what it was asked.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve


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
        self.throttle_next = 0
        self.observations: dict[str, list[dict[str, Any]]] = {}
        self.aggregates: dict[str, list[dict[str, Any]]] = {}
        self.sockets: list[ServerConnection] = []
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.http_port = self._http.server_address[1]
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._ws: Server | None = None
        self.ws_port = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

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
        self.sockets.append(socket)
        await socket.send(
            json.dumps({"topicName": "channel.metadata", "eventBody": {"message": "WebSocket Heartbeat"}})
        )
        await socket.wait_closed()

    async def notify(self, queue_id: str, data: list[dict[str, Any]]) -> None:
        message = {
            "topicName": f"v2.analytics.queues.{queue_id}.observations",
            "version": "2",
            "eventBody": {"group": {"queueId": queue_id, "mediaType": "voice"}, "data": data},
        }
        for socket in self.sockets:
            await socket.send(json.dumps(message))

    async def closing_notice(self) -> None:
        for socket in self.sockets:
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

            def do_POST(self) -> None:
                self._route("POST")

            def do_PUT(self) -> None:
                self._route("PUT")

            def _route(self, method: str) -> None:
                body = self._body()
                fake.requests.append((method, self.path, body))
                if self.path == "/oauth/token":
                    self._token(body)
                    return
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                if token not in fake.valid_tokens:
                    self._reply(401, {"message": "Authentication failed", "code": "bad.credentials"})
                    return
                if fake.throttle_next > 0:
                    fake.throttle_next -= 1
                    self._reply(429, {"message": "Rate limit exceeded", "status": 429}, {"Retry-After": "2"})
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
            return {
                "connectUri": f"ws://127.0.0.1:{self.ws_port}/channels/{channel}",
                "id": channel,
                "expires": expires.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            }
        if path.endswith("/subscriptions"):
            self.subscriptions[path.split("/")[-2]] = [topic["id"] for topic in body]
            return {"entities": body}
        if path == "/api/v2/analytics/queues/observations/query":
            return {
                "results": [
                    {"group": {"queueId": q, "mediaType": "voice"}, "data": d} for q, d in self.observations.items()
                ]
            }
        if path == "/api/v2/analytics/conversations/aggregates/query":
            return {
                "results": [
                    {
                        "group": {"queueId": q, "mediaType": "voice"},
                        "data": [{"interval": body["interval"], "metrics": m}],
                    }
                    for q, m in self.aggregates.items()
                ]
            }
        return {"message": "not found"}
