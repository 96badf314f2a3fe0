"""Load generators for the benchmarks: a minimal MQTT 3.1.1 publisher over a raw socket, and a flood.

The publisher speaks just CONNECT, PUBLISH at QoS 0 and DISCONNECT, with
pre-encoded packets, so the load generator costs little CPU and is never the
bottleneck it measures (paho's Python client tops out near the rates we
want to offer). Everything goes to 127.0.0.1 only, and every loop is bounded
both in count and in time.

``python -m bench.load flood --port P --count N --rate R`` is the flood
process ``bench throughput`` starts several of.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import random
import socket
import struct
import sys
import time
from collections.abc import Sequence

from bench.harness import LOOPBACK

# The fields the standard board shows on its tiles, with values that pass ingest's checks.
TILE_QUEUES = ("sales", "support", "billing")
TILE_FIELDS = ("calls_waiting", "longest_wait_s", "service_level_pct", "abandon_rate_pct")


def _remaining_length(length: int) -> bytes:
    out = bytearray()
    while True:
        byte, length = length % 128, length // 128
        out.append(byte | (0x80 if length else 0))
        if not length:
            return bytes(out)


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("!H", len(data)) + data


def publish_packet(topic: str, payload: bytes, *, retain: bool = False) -> bytes:
    """An MQTT 3.1.1 PUBLISH packet at QoS 0."""
    body = _string(topic) + payload
    return bytes([0x31 if retain else 0x30]) + _remaining_length(len(body)) + body


class RawPublisher:
    """A QoS 0 publisher on one TCP connection to the broker on 127.0.0.1 (no keepalive, clean session)."""

    def __init__(self, port: int, client_id: str, timeout: float = 10.0) -> None:
        self._socket = socket.create_connection((LOOPBACK, port), timeout=timeout)
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        variable = _string("MQTT") + bytes([4, 0x02]) + struct.pack("!H", 0)
        body = variable + _string(client_id)
        self._socket.sendall(bytes([0x10]) + _remaining_length(len(body)) + body)
        reply = self._socket.recv(4)
        if len(reply) < 4 or reply[0] != 0x20 or reply[3] != 0:
            raise ConnectionError(f"broker refused the connection: {reply!r}")

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        self._socket.sendall(publish_packet(topic, payload, retain=retain))

    def send_raw(self, packets: bytes) -> None:
        """Send pre-encoded packets."""
        self._socket.sendall(packets)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._socket.sendall(b"\xe0\x00")
        self._socket.close()

    def __enter__(self) -> RawPublisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def tile_value(field: str, rng: random.Random) -> float | int:
    """A plausible value for one of the standard board's tile fields."""
    if field == "calls_waiting":
        return rng.randint(0, 30)
    if field == "longest_wait_s":
        return rng.randint(0, 240)
    if field == "service_level_pct":
        return round(rng.uniform(60, 100), 1)
    return round(rng.uniform(0, 12), 1)


def tile_message(prefix: str, index: int, rng: random.Random, sent_at: float) -> tuple[str, bytes, str]:
    """Topic, payload and metric key of one tile update stamped with ``sent_at`` as its ``ts``."""
    queue = TILE_QUEUES[index // len(TILE_FIELDS) % len(TILE_QUEUES)]
    field = TILE_FIELDS[index % len(TILE_FIELDS)]
    payload = json.dumps({"ts": sent_at, field: tile_value(field, rng)}).encode()
    return f"{prefix}/queue/{queue}", payload, f"{queue}.{field}"


def announce(port: int, prefix: str, text: str) -> None:
    """Publish a retained ticker announcement."""
    with RawPublisher(port, "bench-announce") as publisher:
        publisher.publish(f"{prefix}/announce", text.encode(), retain=True)


def steady(port: int, prefix: str, rate: float, seconds: float, *, seed: int = 1) -> list[tuple[float, str]]:
    """Publish tile updates at ``rate`` per second for ``seconds``; return (sent ts, metric) of each."""
    rng = random.Random(seed)
    sent: list[tuple[float, str]] = []
    tiles = len(TILE_QUEUES) * len(TILE_FIELDS)
    start = time.monotonic()
    count = max(1, round(rate * seconds))
    with RawPublisher(port, f"bench-steady-{seed}") as publisher:
        for n in range(count):
            due = start + n / rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            if time.monotonic() > start + seconds + 5:
                break  # bounded in time even if the machine is overloaded
            now = time.time()
            topic, payload, metric = tile_message(prefix, rng.randrange(tiles), rng, now)
            publisher.publish(topic, payload)
            sent.append((now, metric))
    return sent


def flood(port: int, prefix: str, count: int, rate: float, queues: int, first_queue: int, seconds: float) -> int:
    """Publish ``count`` one-field messages over ``queues`` topics at up to ``rate``/s; return how many were sent."""
    topics = [f"{prefix}/queue/q{first_queue + q}" for q in range(queues)]
    cycle = [publish_packet(topics[i % queues], b'{"calls_waiting": %d}' % (i % 97)) for i in range(queues * 97)]
    chunk = 200
    sent = 0
    start = time.monotonic()
    packets = itertools.cycle(cycle)
    with RawPublisher(port, f"bench-flood-{first_queue}") as publisher:
        while sent < count and time.monotonic() - start < seconds:
            allowed = min(count, int((time.monotonic() - start) * rate) + chunk)
            if sent >= allowed:
                time.sleep(0.002)
                continue
            n = min(chunk, allowed - sent)
            publisher.send_raw(b"".join(itertools.islice(packets, n)))
            sent += n
    return sent


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    cmd = commands.add_parser("flood", help="flood one-field queue messages over many topics")
    cmd.add_argument("--port", type=int, required=True)
    cmd.add_argument("--prefix", default="cc/bench")
    cmd.add_argument("--count", type=int, default=250_000)
    cmd.add_argument("--rate", type=float, default=10_000.0, help="messages per second offered")
    cmd.add_argument("--queues", type=int, default=250)
    cmd.add_argument("--first-queue", type=int, default=0)
    cmd.add_argument("--seconds", type=float, default=120.0, help="stop after this long whatever the count")
    args = parser.parse_args(argv)
    sent = flood(args.port, args.prefix, args.count, args.rate, args.queues, args.first_queue, args.seconds)
    print(json.dumps({"sent": sent}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
