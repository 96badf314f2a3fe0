"""The host's side of the bridge line protocol: frames out, frames in (docs/bridge-protocol.md).

A frame is ``<body>*<CCCC>\\n``: ``CCCC`` is the CRC-16/CCITT-FALSE of the
body's bytes, one character per nibble written ``0x30 + nibble`` (``0``-``9``
then ``:;<=>?``), so that one flipped bit on the line is at most one flipped
bit of the check (hex letters would not be: ``A`` to ``C`` is one bit on the
wire, two in the value). A body is ``<seq> <VERB>
[args...]``; ``seq`` is two upper-case hex digits (``--`` when the sender
cannot know it). This is a separate implementation from the firmware's
parser on purpose (the CRC here is the C one in ``binascii``; the firmware
computes its own): both are checked against the same test vectors and, on
MicroPython, against a corpus of mutated lines. Pure: no I/O.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass

from wallboard.device.errors import WallboardError
from wallboard.firmware_bridge.lights import LampMode, LightState

PROTOCOL_VERSION = 2
MAX_BODY = 60
MODE_CHAR = {LampMode.OFF: "0", LampMode.ON: "1", LampMode.BLINK: "B"}
# Exactly the texts the protocol allows: upper-case hex, a plain decimal period (no sign, "_" or space).
_HEX2 = re.compile(rb"[0-9A-F]{2}")
_CHECK = re.compile(rb"[0-?]{4}")  # four characters from 0x30 to 0x3F
_PERIOD = re.compile(r"[1-9][0-9]{0,5}")
# Protocol 1 (CRC-8/SMBus, ``*CC``): recognised only to say that the bridge runs the old firmware.
LEGACY_PROTOCOL = 1
LEGACY_VER_PROBE = b"00 VER?*E6\n"


class BridgeFrameError(WallboardError, ValueError):
    """A line that is not a valid frame; ``reason`` is what the firmware would NAK it with, ``seq`` if read."""

    def __init__(self, message: str, reason: str = "SYNTAX", seq: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.seq = seq


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor): ``binascii.crc_hqx``."""
    return binascii.crc_hqx(data, 0xFFFF)


def crc8(data: bytes) -> int:
    """CRC-8/SMBus (poly 0x07, init 0): protocol 1's check, used only to recognise an old firmware."""
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
    if len(body) > MAX_BODY or "*" in body or not body.isascii() or not body.isprintable() or "" in (verb, *args):
        raise BridgeFrameError(f"frame body not allowed: {body!r}")
    raw = body.encode("ascii")
    return raw + b"*" + check_text(crc16(raw)) + b"\n"


def check_text(value: int) -> bytes:
    """The 16-bit check as the four characters a frame carries (``0x30 + nibble``, most significant first)."""
    return bytes(0x30 + ((value >> shift) & 0xF) for shift in (12, 8, 4, 0))


def check_value(text: bytes) -> int | None:
    """Four check characters as the 16-bit value, or None if they are not exactly that."""
    if _CHECK.fullmatch(text) is None:
        return None
    return sum((c - 0x30) << shift for c, shift in zip(text, (12, 8, 4, 0), strict=True))


def set_args(state: LightState, blink_period: float) -> tuple[str, ...]:
    """The arguments of ``SET``: red, amber, green, buzzer (0, 1 or B) and the blink period in ms."""
    period_ms = max(100, min(10_000, round(blink_period * 1000)))
    return (*(MODE_CHAR[mode] for mode in state.lamps().values()), str(period_ms))


def valid_set_args(args: tuple[str, ...]) -> bool:
    """Whether ``SET``'s arguments are four modes (0, 1, B) and a period of 100-10000 ms in plain decimal."""
    if len(args) != 5 or any(mode not in ("0", "1", "B") for mode in args[:4]):
        return False
    return _PERIOD.fullmatch(args[4]) is not None and 100 <= int(args[4]) <= 10_000


@dataclass(frozen=True)
class Reply:
    """A frame from the bridge: its sequence number (None for ``--``), verb and arguments."""

    seq: int | None
    verb: str
    args: tuple[str, ...]


def _strip_end(line: bytes) -> bytes:
    if line.endswith(b"\n"):
        line = line[:-1]
    return line[:-1] if line.endswith(b"\r") else line


def decode(line: bytes) -> Reply:
    """Check and split one line (a ``\\n`` and one ``\\r`` before it allowed); raise BridgeFrameError.

    The same rules, in the same order, as the firmware's parser, so ``reason`` is the NAK the firmware
    answers such a line with: LONG, SYNTAX (``*CCCC`` shape), CRC, SYNTAX (body, seq).
    """
    text = _strip_end(line)
    if len(text) > MAX_BODY + 5:
        raise BridgeFrameError(f"longer than {MAX_BODY} characters: {line[:80]!r}", "LONG")
    body, star, check = text[:-5], text[-5:-4], text[-4:]
    value = check_value(check)
    if star != b"*" or value is None:
        raise BridgeFrameError(f"no checksum: {line!r}")
    if crc16(body) != value:
        raise BridgeFrameError(f"checksum mismatch: {line!r}", "CRC")
    if any(byte < 0x20 or byte > 0x7E or byte == 0x2A for byte in body):
        raise BridgeFrameError(f"not printable ASCII: {line!r}")
    fields = body.decode("ascii").split(" ")
    head = fields[0].encode()
    seq = None if head == b"--" else int(head, 16) if _HEX2.fullmatch(head) else -1
    if seq == -1:
        raise BridgeFrameError(f"bad sequence number: {line!r}")
    if len(fields) < 2 or "" in fields[1:]:
        raise BridgeFrameError(f"no verb, or an empty field: {line!r}", seq=seq)
    return Reply(seq, fields[1], tuple(fields[2:]))


def decode_legacy(line: bytes) -> Reply | None:
    """A valid protocol-1 frame (``*CC``, CRC-8) as a Reply, else None: the bridge runs the old firmware."""
    text = _strip_end(line)
    body, star, check = text[:-3], text[-3:-2], text[-2:]
    if star != b"*" or len(body) > MAX_BODY or _HEX2.fullmatch(check) is None or crc8(body) != int(check, 16):
        return None
    fields = body.decode("ascii", errors="replace").split(" ")
    head = fields[0].encode()
    if len(fields) < 2 or not (head == b"--" or _HEX2.fullmatch(head)):
        return None
    return Reply(None if head == b"--" else int(head, 16), fields[1], tuple(fields[2:]))
