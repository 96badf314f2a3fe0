"""``wallboard fleet --serve``: the fleet page served by uvicorn, fed by the broker the fleet command reads.

Three parts meet here: the MQTT client's messages go to the ``FleetWatcher`` on a thread of their own
(and poke the ``ChangeHub``); a task on the server's loop publishes the screenshot requests the watcher
schedules; uvicorn serves the application with its own bounds (connections, header size, keep-alive).
Off loopback the page is never open and never in clear text: ``check_listen`` refuses such an address
without a login and a certificate (behind a reverse proxy, listen on loopback and let the proxy do both).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import threading
from dataclasses import dataclass

import uvicorn

from wallboard.app.tools.fleet_web.app import Login, build_app
from wallboard.app.tools.fleet_web.hub import ChangeHub
from wallboard.app.tools.fleet_web.watcher import FleetWatcher
from wallboard.app.tools.mqtt_client import ToolClient
from wallboard.device.util.text import printable

log = logging.getLogger(__name__)

# uvicorn's own bounds: open connections (beyond: 503), one request's headers, idle keep-alive.
_MAX_CONNECTIONS = 200
_MAX_HEADER_BYTES = 16 * 1024
_KEEP_ALIVE_S = 5
_REQUEST_EVERY_S = 1.0


@dataclass(frozen=True)
class WebSettings:
    """Where and how the page is served."""

    host: str = "127.0.0.1"
    port: int = 8080
    login: Login | None = None
    certfile: str | None = None
    keyfile: str | None = None
    max_viewers: int = 20

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.certfile else 'http'}://{host}:{self.port}/"


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8080`` for IPv6) to its parts; ValueError with the reason."""
    host, colon, port = text.rpartition(":")
    host = host.strip("[]")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--listen: expected HOST:PORT, got {text!r}")
    return host, int(port)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_listen(settings: WebSettings) -> str | None:
    """Why the page may not be served so, or None: off loopback it needs a login and TLS."""
    if (settings.certfile is None) != (settings.keyfile is None):
        return "--web-cert and --web-key go together"
    if is_loopback(settings.host):
        return None
    if settings.login is None:
        return (
            f"--listen {settings.host}: off loopback the page needs a login (--web-user and --web-password-file); "
            "or listen on 127.0.0.1 behind a reverse proxy that asks for one (docs/fleet.md)"
        )
    if settings.certfile is None:
        return (
            f"--listen {settings.host}: off loopback the login must travel over TLS (--web-cert and --web-key); "
            "or listen on 127.0.0.1 behind a reverse proxy that terminates TLS (docs/fleet.md)"
        )
    return None


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything says the page is up (a port in use is an error, said once)."""
    host = "127.0.0.1" if host == "localhost" else host
    listening = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((host, port))
    except OSError:
        listening.close()
        raise
    return listening


def serve(client: ToolClient, watcher: FleetWatcher, settings: WebSettings, *, site: str = "+") -> int:
    """Serve the page until interrupted; ``client`` is connected. Returns the exit status."""
    hub = ChangeHub(watcher, client.address, broker_up=client.is_connected)
    stop = threading.Event()

    def pump() -> None:
        while not stop.is_set():
            message = client.next_message(0.5)
            if message is not None:
                watcher.take(*message)
                hub.poke()

    async def ask_for_screenshots() -> None:
        while True:
            for topic, payload in watcher.due_requests():
                # QoS 1, waiting for the broker's acknowledgement off the loop; a refusal is the ACL's.
                if not await asyncio.to_thread(client.publish, topic, payload):
                    log.warning("the broker did not take a screenshot request on %s (the ACL?)", printable(topic, 200))
            await asyncio.sleep(_REQUEST_EVERY_S)

    for topic in watcher.subscriptions(site):
        client.subscribe(topic)
    pumping = threading.Thread(target=pump, name="fleet-mqtt", daemon=True)
    pumping.start()
    app = build_app(
        watcher,
        hub,
        login=settings.login,
        max_viewers=settings.max_viewers,
        background=ask_for_screenshots,
    )
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        ssl_certfile=settings.certfile,
        ssl_keyfile=settings.keyfile,
        limit_concurrency=_MAX_CONNECTIONS,
        h11_max_incomplete_event_size=_MAX_HEADER_BYTES,
        timeout_keep_alive=_KEEP_ALIVE_S,
        timeout_graceful_shutdown=2,
        log_level="warning",
        access_log=False,
        server_header=False,
    )
    server = uvicorn.Server(config)
    try:
        listening = _listen(settings.host, settings.port)
    except OSError as exc:
        log.error("cannot serve on %s:%s: %s", settings.host, settings.port, exc.strerror or exc)
        stop.set()
        return 1
    print(f"fleet page on {settings.url} from broker {client.address}; Ctrl-C to stop", flush=True)
    try:
        server.run(sockets=[listening])
    finally:
        stop.set()
        pumping.join(timeout=2)
    return 0 if server.started else 1
