"""Test support for the operations tests: a fake display, a status inbox, PNG checks, tool lookup."""

from __future__ import annotations

import io
import json
import shutil
import signal
import struct
import subprocess
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import step_until, wait_until
from wallboard.app.loop.board import Board
from wallboard.app.loop.compose import compose_board
from wallboard.app.tools.fleet import watch
from wallboard.app.tools.mqtt_client import ToolClient
from wallboard.device.config.reading import LoadedConfig
from wallboard.device.core.values import LinkStatus
from wallboard.device.core.view import BoardView
from wallboard.ops.health import HealthPublisher

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def require_tool(program: str, package: str) -> str:
    """The path of ``program``; fail (never skip) with how to install it when it is missing."""
    path = shutil.which(program) or shutil.which(program, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if path is None:
        pytest.fail(
            f"{program} not found: run `sudo apt-get install {package}` (or the README's test command)", pytrace=False
        )
    return path


def make_png(width: int, height: int, rgb: tuple[int, int, int] = (10, 120, 200)) -> bytes:
    """A valid, solid-colour RGB PNG built with zlib and struct."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return PNG_SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b"")


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR, after checking the signature and the IHDR's CRC."""
    assert data[:8] == PNG_SIGNATURE, "not a PNG signature"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    body = data[16:29]
    (crc,) = struct.unpack(">I", data[29:33])
    assert crc == zlib.crc32(b"IHDR" + body) & 0xFFFFFFFF, "IHDR CRC mismatch"
    width, height = struct.unpack(">II", body[:8])
    return int(width), int(height)


class FakeDisplay:
    """A display output that counts frames and answers snapshots with a solid PNG of a 1920x1080 screen."""

    def __init__(self, fps: float = 1.0) -> None:
        self.frames_drawn = 0
        self.fps = fps
        self.snapshot_widths: list[int] = []

    def render(self, view: BoardView) -> float:
        self.frames_drawn += 1
        return 1.0

    def snapshot_png(self, max_width: int = 960, max_bytes: int = 256_000) -> bytes:
        self.snapshot_widths.append(max_width)
        width = min(1920, max_width)
        return make_png(width, width * 9 // 16)

    def close(self) -> None:
        return None


class Inbox:
    """Everything a ToolClient received, kept in order, read without blocking."""

    def __init__(self, client: ToolClient) -> None:
        self.client = client
        self.messages: list[tuple[str, bytes]] = []

    def poll(self) -> list[tuple[str, bytes]]:
        while (message := self.client.next_message(0)) is not None:
            self.messages.append(message)
        return self.messages

    def latest_json(self, topic: str) -> dict[str, Any] | None:
        """The newest JSON document received on ``topic``, if any."""
        for got, payload in reversed(self.poll()):
            if got == topic and payload:
                document: dict[str, Any] = json.loads(payload)
                return document
        return None


def status_where(
    board: Board, inbox: Inbox, check: Callable[[dict[str, Any]], bool], what: str, timeout: float = 10.0
) -> dict[str, Any]:
    """Drive ``board`` until its latest status on the broker passes ``check``; return that status."""
    found: dict[str, Any] = {}

    def ok() -> bool:
        document = inbox.latest_json(board.topics.status)
        if document is not None and check(document):
            found.update(document)
            return True
        return False

    step_until(board, ok, timeout=timeout, what=what)
    return found


def status_from_broker(
    port: int, topic: str, check: Callable[[dict[str, Any]], bool], what: str, timeout: float = 30.0
) -> dict[str, Any]:
    """Subscribe to ``topic`` on the broker at ``port`` until a status there passes ``check``; return it.

    For a board running in another process (``wallboard run``), which a test cannot step.
    """
    client = ToolClient("127.0.0.1", port)
    client.connect()
    inbox = Inbox(client)
    found: dict[str, Any] = {}
    try:
        client.subscribe(topic)

        def ok() -> bool:
            message = client.next_message(0.2)  # wait a little for traffic, then read all that came
            if message is not None:
                inbox.messages.append(message)
            document = inbox.latest_json(topic)
            if document is not None and check(document):
                found.update(document)
                return True
            return False

        wait_until(ok, timeout=timeout, what=what)
    finally:
        client.close()
    return found


@dataclass(frozen=True)
class RunResult:
    """A `wallboard run` started, its first online status seen, then stopped with SIGTERM."""

    status: dict[str, Any]
    returncode: int
    output: str


def run_until_first_status(
    command: list[str], port: int, topic: str, *, env: dict[str, str], cwd: Path, timeout: float = 30.0
) -> RunResult:
    """Start ``command`` (a board), wait for its first online status on ``topic``, stop it with SIGTERM."""
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        status = status_from_broker(port, topic, lambda doc: doc.get("status") == "online",
                                    what=f"the first status on {topic}", timeout=timeout)  # fmt: skip
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    return RunResult(status, process.returncode, output)


def fleet_rows(port: int) -> dict[str, dict[str, Any]]:
    """One ``wallboard fleet --once --json`` snapshot of the broker on ``port``, by board id."""
    client = ToolClient("127.0.0.1", port)
    client.connect()
    out = io.StringIO()
    try:
        watch(client, as_json=True, once=True, duration=1.0, out=out)
    finally:
        client.close()
    return {row["board"]: row for row in json.loads(out.getvalue())}


@contextmanager
def status_inbox(port: int, site: str = "lab", board: str = "b1") -> Iterator[Inbox]:
    """A client of the broker on ``port`` collecting one board's status messages, as IT's tools would see them."""
    client = ToolClient("127.0.0.1", port)
    client.connect()
    client.subscribe(f"wallboard/{site}/{board}/status")
    try:
        yield Inbox(client)
    finally:
        client.close()


@contextmanager
def reporting_board(loaded: LoadedConfig) -> Iterator[Board]:
    """A started board with only a health publisher as output, its broker link up; closed on exit."""
    board = compose_board(loaded, outputs=lambda ports: [HealthPublisher(ports.publisher, ports.topics, [])])
    board.start()
    try:
        step_until(board, lambda: board.state.link.status is LinkStatus.UP, what="link up")
        yield board
    finally:
        board.close()
