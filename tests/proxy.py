"""A TCP proxy on loopback that can go silent, standing in for a pulled cable or a dead Wi-Fi link.

A killed broker resets the connection at once; a dead link does not, and only
the MQTT keepalive notices it. ``freeze()`` stops forwarding in both
directions without closing anything; ``thaw()`` resumes.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading

from tests.broker import free_port


class SilentableProxy:
    """Forwards 127.0.0.1:``port`` to 127.0.0.1:``target``; can stop passing bytes on demand."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.port = free_port()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._flowing = threading.Event()
        self._flowing.set()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self._threads.append(accept)

    def freeze(self) -> None:
        self._flowing.clear()

    def thaw(self) -> None:
        self._flowing.set()

    def close(self) -> None:
        self._stop.set()
        self._flowing.set()
        for sock in [self._listener, *self._sockets]:
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._flowing.is_set():
                client.close()  # a dead link accepts nothing new either
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                client.close()  # the far end is down (a restarting broker): refuse this one, keep accepting
                continue
            self._sockets += [client, upstream]
            pump = threading.Thread(target=self._pump, args=(client, upstream), daemon=True)
            pump.start()
            self._threads.append(pump)

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
