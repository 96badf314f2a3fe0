"""What the bridge firmware must answer to any line, worked out from the host's codec alone.

The reference for the differential runs (tests/test_bridge_micropython.py): the firmware, on CPython or on
MicroPython, must answer every line of a corpus with exactly these bytes. Built only on ``bridge_codec``
(its own parser and binascii's CRC), never on the firmware's code.
"""

from __future__ import annotations

from wallboard.firmware_bridge.drivers import bridge_codec

FIRMWARE_VERSION = "2.0.0"


def _legacy_frame(seq: int, verb: str, *args: str) -> bytes:
    body = " ".join((f"{seq:02X}", verb, *args)).encode()
    return body + f"*{bridge_codec.crc8(body):02X}\n".encode()


def expected_answer(line: bytes, version_args: tuple[str, ...]) -> bytes:
    """The firmware's reply to one host line (without its newline); ``version_args`` is what VER? returns."""
    try:
        frame = bridge_codec.decode(line)
    except bridge_codec.BridgeFrameError as exc:
        legacy = bridge_codec.decode_legacy(line) if exc.reason == "SYNTAX" else None
        if legacy is not None and legacy.seq is not None:  # a protocol-1 host: told in its own framing
            if legacy.verb == "VER?":
                return _legacy_frame(legacy.seq, "VER", FIRMWARE_VERSION, str(bridge_codec.PROTOCOL_VERSION))
            return _legacy_frame(legacy.seq, "NAK", "PROTO")
        return bridge_codec.encode(exc.seq, "NAK", exc.reason)
    if frame.seq is None:  # "--": only the bridge may send a frame without a sequence number
        return bridge_codec.encode(None, "NAK", "SYNTAX")
    if frame.verb in ("HB", "SAFE") and not frame.args:
        return bridge_codec.encode(frame.seq, "ACK")
    if frame.verb == "VER?" and not frame.args:
        return bridge_codec.encode(frame.seq, "VER", *version_args)
    if frame.verb == "SET":
        ok = bridge_codec.valid_set_args(frame.args)
        return bridge_codec.encode(frame.seq, "ACK") if ok else bridge_codec.encode(frame.seq, "NAK", "ARG")
    return bridge_codec.encode(frame.seq, "NAK", "VERB")
