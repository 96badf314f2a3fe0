"""A TCP proxy on loopback that can go silent, standing in for a pulled cable or a dead Wi-Fi link.

A killed broker resets the connection at once; a dead link does not, and only
the MQTT keepalive notices it. ``freeze()`` is a dead link: open connections
stop passing bytes in both directions, and a new one opens (the kernel answers
the SYN) but nothing crosses it, so a TLS handshake waits for an answer that
never comes, as a site's bridge meets it on a WAN whose packets vanish.
``thaw()`` resumes: held bytes flow again and each connection opened during
the cut goes on to the far end, as TCP's retransmissions would carry it once
the link is back.

Where the far end is down, a new connection is reset (RST), as a host with no
listener answers a direct connect. ``close_after_accept()`` instead opens each
new connection and closes it cleanly (FIN) before a byte: what a TCP load
balancer with no healthy backend does, and what stalls Debian 12's mosquitto
2.0.11 mid-TLS-handshake (config/mosquitto/README.md).
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading

from tests.broker import free_port


def _reset(sock: socket.socket) -> None:
    """Close with an RST (SO_LINGER 0), as a host answers a connection nobody listens for."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class SilentableProxy:
    """Forwards 127.0.0.1:``port`` to 127.0.0.1:``target``; can stop passing bytes on demand."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.port = free_port()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._flowing = threading.Event()
        self._flowing.set()
        self._closing_on_accept = threading.Event()
        self._lock = threading.Lock()
        self._held: list[socket.socket] = []  # opened during a cut, waiting for the link to come back
        self.held_total = 0  # connections opened during cuts
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def freeze(self) -> None:
        self._flowing.clear()

    def thaw(self) -> None:
        self._closing_on_accept.clear()
        with self._lock:
            self._flowing.set()
            held, self._held = self._held, []
        for client in held:
            self._forward(client)

    def close_after_accept(self) -> None:
        """From now on, open each new connection and close it at once (until ``thaw()``)."""
        self._closing_on_accept.set()

    def close(self) -> None:
        self._stop.set()
        self._flowing.set()
        with self._lock:
            leftovers = [self._listener, *self._sockets, *self._held]
        for sock in leftovers:
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._closing_on_accept.is_set():
                client.close()
                continue
            with self._lock:
                if not self._flowing.is_set():
                    self._held.append(client)  # opened, then silence: nothing read, nothing sent
                    self.held_total += 1
                    continue
            self._forward(client)

    def _forward(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target), timeout=5)
        except OSError:
            _reset(client)  # the far end is down (a restarting broker): refused, as a direct connect would be
            return
        upstream.settimeout(None)
        with self._lock:
            self._sockets += [client, upstream]
        threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        peers = {a: b, b: a}
        try:
            while not self._stop.is_set():
                if not self._flowing.is_set():
                    self._flowing.wait(0.1)
                    continue
                readable, _, _ = select.select(list(peers), [], [], 0.1)
                for sock in readable:
                    if not self._flowing.is_set():
                        break  # hold the bytes: the link is dead
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except OSError:
            return
        finally:
            for sock in (a, b):
                with contextlib.suppress(OSError):
                    sock.close()
