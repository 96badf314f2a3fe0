"""The host's side of the bridge line protocol: frames out, replies in (docs/bridge-protocol.md).

A frame is ``<body>*<CC>\\n``: ``CC`` is the CRC-8 (polynomial 0x07, initial
0, as in SMBus) of the body's bytes in two upper-case hex digits. A body is
``<seq> <VERB> [args...]``; ``seq`` is two hex digits (``--`` when the sender
cannot know it). This is a separate implementation from the firmware's
parser on purpose: both are checked against the same test vectors. Pure: no
I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from wallboard.device.errors import WallboardError
from wallboard.firmware_bridge.lights import LampMode, LightState

PROTOCOL_VERSION = 1
MAX_BODY = 60
MODE_CHAR = {LampMode.OFF: "0", LampMode.ON: "1", LampMode.BLINK: "B"}


class BridgeFrameError(WallboardError, ValueError):
    """A line from the bridge that is not a valid frame."""


def crc8(data: bytes) -> int:
    """CRC-8/SMBus: polynomial 0x07, initial value 0, no reflection, no final xor."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def encode(seq: int | None, verb: str, *args: str) -> bytes:
    """One frame, newline included. ``seq`` None is written ``--``."""
    head = "--" if seq is None else f"{seq & 0xFF:02X}"
    body = " ".join((head, verb, *args))
    if len(body) > MAX_BODY or "*" in body or not body.isascii():
        raise BridgeFrameError(f"frame body not allowed: {body!r}")
    raw = body.encode("ascii")
    return raw + f"*{crc8(raw):02X}\n".encode("ascii")


def set_args(state: LightState, blink_period: float) -> tuple[str, ...]:
    """The arguments of ``SET``: red, amber, green, buzzer (0, 1 or B) and the blink period in ms."""
    period_ms = max(100, min(10_000, round(blink_period * 1000)))
    return (*(MODE_CHAR[mode] for mode in state.lamps().values()), str(period_ms))


@dataclass(frozen=True)
class Reply:
    """A frame from the bridge: its sequence number (None for ``--``), verb and arguments."""

    seq: int | None
    verb: str
    args: tuple[str, ...]


def decode(line: bytes) -> Reply:
    """Check and split one line from the bridge (trailing CR/LF allowed); raise BridgeFrameError."""
    text = line.rstrip(b"\r\n")
    body, star, check = text.rpartition(b"*")
    if not star or len(check) != 2:
        raise BridgeFrameError(f"no checksum: {line!r}")
    try:
        expected = int(check, 16)
    except ValueError:
        raise BridgeFrameError(f"checksum is not hex: {line!r}") from None
    if crc8(body) != expected:
        raise BridgeFrameError(f"checksum mismatch: {line!r}")
    try:
        fields = body.decode("ascii").split(" ")
    except UnicodeDecodeError:
        raise BridgeFrameError(f"not ASCII: {line!r}") from None
    if len(fields) < 2 or not fields[1]:
        raise BridgeFrameError(f"no verb: {line!r}")
    head = fields[0]
    if head == "--":
        seq = None
    else:
        try:
            seq = int(head, 16)
        except ValueError:
            raise BridgeFrameError(f"bad sequence number: {line!r}") from None
        if len(head) != 2:
            raise BridgeFrameError(f"bad sequence number: {line!r}")
    return Reply(seq, fields[1], tuple(fields[2:]))
