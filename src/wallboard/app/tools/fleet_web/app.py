"""The fleet page's web application (Starlette): the page, its live events and each board's screenshot and twin.

Read-only by construction: every route answers GET (and HEAD); nothing here publishes anything but the
screenshot requests the ``ShotDesk`` schedules, which change nothing on a board. ``Guard`` (plain ASGI,
outermost) refuses any other method (405), any request body (413) and over-long targets (414), checks
HTTP basic credentials when the server has them (401), and sets the headers that keep a board's text
text: a Content-Security-Policy allowing only this server's own script and style (no inline script), no
sniffing, no framing. The page builds every element from JSON with ``textContent``, never HTML.

Routes: ``/`` the page; ``/static/*`` its script and style; ``/events`` server-sent events (``snapshot``
then ``cards``); ``/api/boards`` the same snapshot as JSON; ``/api/shot?id=site/board`` the latest PNG;
``/api/twin?id=...`` the screen's text twin as lines; ``/api/status?id=...`` the status as the board sent
it; ``/healthz`` counts.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import secrets
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wallboard.app.tools.fleet_web.hub import ChangeHub, event
from wallboard.app.tools.fleet_web.watcher import FleetWatcher

_PACKAGE = "wallboard.app.tools.fleet_web"
_MAX_TARGET = 2048
_KEEPALIVE_S = 15.0
_SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        b"base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


@dataclass(frozen=True)
class Login:
    """The HTTP basic credentials the page asks for (none on loopback unless given)."""

    user: str
    password: str

    def accepts(self, header: bytes | None) -> bool:
        if not header or not header.lower().startswith(b"basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        # Both compared in full, in constant time: no early exit tells which was wrong.
        good_user = secrets.compare_digest(user.encode(), self.user.encode())
        good_password = secrets.compare_digest(password.encode(), self.password.encode())
        return good_user and good_password


class Guard:
    """Read-only, bounded, authenticated, and every answer with the security headers."""

    def __init__(self, app: ASGIApp, login: Login | None) -> None:
        self._app = app
        self._login = login

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await refusal(scope, receive, self._with_headers(send))
            return
        await self._app(scope, receive, self._with_headers(send))

    def _refusal(self, scope: Scope, headers: dict[bytes, bytes]) -> Response | None:
        if scope["method"] not in ("GET", "HEAD"):
            return PlainTextResponse("read-only: GET only", 405, headers={"Allow": "GET, HEAD"})
        if headers.get(b"content-length", b"0") != b"0" or b"transfer-encoding" in headers:
            return PlainTextResponse("no request body is accepted", 413)
        if len(scope.get("raw_path", b"")) + len(scope.get("query_string", b"")) > _MAX_TARGET:
            return PlainTextResponse("request target too long", 414)
        if self._login is not None and not self._login.accepts(headers.get(b"authorization")):
            return PlainTextResponse(
                "log in", 401, headers={"WWW-Authenticate": 'Basic realm="wallboard fleet", charset="UTF-8"'}
            )
        return None

    @staticmethod
    def _with_headers(send: Send) -> Send:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *_SECURITY_HEADERS]}
            await send(message)

        return sending


def build_app(
    watcher: FleetWatcher,
    hub: ChangeHub,
    *,
    login: Login | None = None,
    max_viewers: int = 20,
    background: Callable[[], Coroutine[Any, Any, None]] | None = None,
) -> ASGIApp:
    """The whole application, guarded. ``background`` runs beside the hub for the server's life."""

    async def page(request: Request) -> Response:
        return await static.get_response("index.html", request.scope)

    async def boards(request: Request) -> Response:
        return Response(hub.snapshot_json(), media_type="application/json")

    async def events(request: Request) -> Response:
        if hub.viewers >= max_viewers:
            return PlainTextResponse(f"{max_viewers} pages are open already (--max-viewers)", 503)
        queue, first = hub.join()

        async def stream() -> AsyncIterator[str]:
            try:
                yield "retry: 2000\n\n"
                yield first
                while True:
                    try:
                        message = await asyncio.wait_for(queue.get(), _KEEPALIVE_S)
                    except TimeoutError:  # an event, not a comment: the page counts it as a sign of life
                        yield event("ping", {"now": time.time()})
                        continue
                    if message is None:
                        return
                    yield message
            finally:
                hub.leave(queue)

        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

    async def shot(request: Request) -> Response:
        ident = request.query_params.get("id", "")
        held = watcher.png(ident)
        if held is None:
            return PlainTextResponse("no screenshot of that board yet", 404, headers={"Cache-Control": "no-store"})
        png, version = held
        # The page names the version it wants; that exact picture never changes, so it may be cached.
        cache = "private, max-age=3600, immutable" if request.query_params.get("v") == str(version) else "no-store"
        return Response(png, media_type="image/png", headers={"Cache-Control": cache})

    async def twin(request: Request) -> Response:
        ident = request.query_params.get("id", "")
        if request.query_params.get("fresh") == "1":
            watcher.want(ident)  # asks the board for a new screenshot within its budget; changes nothing on it
        held = watcher.twin(ident)
        if held is None:
            return JSONResponse({"at": None, "lines": []}, headers={"Cache-Control": "no-store"})
        return JSONResponse(held, headers={"Cache-Control": "no-store"})

    async def status(request: Request) -> Response:
        doc = watcher.status(request.query_params.get("id", ""))
        if doc is None:
            return JSONResponse({"error": "no such board"}, 404)
        return JSONResponse(doc, headers={"Cache-Control": "no-store"})

    async def health(request: Request) -> Response:
        return JSONResponse({**watcher.counts(), "viewers": hub.viewers, "events_sent": hub.events_sent})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(hub.run())]
        if background is not None:
            tasks.append(asyncio.create_task(background()))
        try:
            yield
        finally:
            hub.close()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    static = StaticFiles(packages=[(_PACKAGE, "static")])
    routes: list[Any] = [
        Route("/", page),
        Route("/events", events),
        Route("/api/boards", boards),
        Route("/api/shot", shot),
        Route("/api/twin", twin),
        Route("/api/status", status),
        Route("/healthz", health),
        Mount("/static", app=static, name="static"),
    ]
    return Guard(Starlette(routes=routes, lifespan=lifespan), login)
