"""Wallboard bridge protocol, the firmware's side: parse host frames, keep the lamp state, run the failsafe.

Runs unchanged on MicroPython (Raspberry Pi Pico) and on CPython (the host's
tests): no typing, no dataclasses, no star-unpacking in literals, no I/O and
no clock of its own. Callers pass the time in milliseconds and, on the Pico,
``time.ticks_diff`` so tick wrap-around is handled.

Frame: ``<seq> <VERB> [args]*<CC>\\n``, CC = CRC-8/SMBus (poly 0x07) of the
body in two hex digits. See docs/bridge-protocol.md.
"""

PROTOCOL_VERSION = 1
FIRMWARE_VERSION = "1.0.0"
MAX_BODY = 60
FAILSAFE_MS = 3000
FAILSAFE_PERIOD_MS = 1000
MODES = ("0", "1", "B")


def crc8(data):
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def frame(seq, verb, args=()):
    """One frame as bytes, newline included; ``seq`` None is written ``--``."""
    fields = ["--" if seq is None else f"{seq & 0xFF:02X}", verb]
    fields.extend(args)
    body = " ".join(fields).encode()
    return body + f"*{crc8(body):02X}\n".encode()


class FrameError(Exception):
    """A host line that is not a valid frame; ``reason`` is the NAK reason, ``seq`` what could be read."""

    def __init__(self, reason, seq=None):
        Exception.__init__(self, reason)
        self.reason = reason
        self.seq = seq


def parse(line):
    """Check and split one line (bytes, CR/LF allowed) into (seq, verb, args); raise FrameError."""
    line = line.rstrip(b"\r\n")
    if len(line) > MAX_BODY + 3:
        raise FrameError("LONG")
    star = line.rfind(b"*")
    if star < 0 or len(line) - star != 3:
        raise FrameError("SYNTAX")
    body = line[:star]
    check = _hex(line[star + 1 :])
    if check < 0:
        raise FrameError("SYNTAX")
    if crc8(body) != check:
        raise FrameError("CRC")
    if any(b < 0x20 or b > 0x7E for b in body):
        raise FrameError("SYNTAX")
    fields = body.decode().split(" ")
    seq = _hex(fields[0])
    if seq < 0:
        raise FrameError("SYNTAX")
    if len(fields) < 2 or not fields[1]:
        raise FrameError("SYNTAX", seq)
    return seq, fields[1], fields[2:]


def _hex(text):
    """Two hex digits (bytes or str) as a number; -1 if they are not."""
    if len(text) != 2:
        return -1
    try:
        return int(text, 16)
    except ValueError:
        return -1


def _minus(a, b):
    return a - b


class Bridge:
    """The firmware's state: lamps (red, amber, green, buzzer as "0"/"1"/"B"), blink period, failsafe."""

    def __init__(self, now_ms, failsafe_ms=FAILSAFE_MS, ticks_diff=_minus):
        self.modes = ["0", "0", "0", "0"]
        self.period_ms = 1000
        self.failsafe_ms = failsafe_ms
        self.ticks_diff = ticks_diff
        self.last_heard = now_ms
        self.armed = True  # the failsafe may trigger; SAFE disarms it until the next frame
        self.in_failsafe = False
        self.frames = 0
        self.naks = 0

    def receive(self, line, now_ms):
        """Handle one line from the host; return the reply frame (bytes)."""
        try:
            seq, verb, args = parse(line)
        except FrameError as err:
            self.naks += 1
            return frame(err.seq, "NAK", [err.reason])
        self.frames += 1
        self.last_heard = now_ms
        self.armed = True
        self.in_failsafe = False
        if verb == "HB" and not args:
            return frame(seq, "ACK")
        if verb == "SET":
            if len(args) != 5 or any(a not in MODES for a in args[:4]):
                self.naks += 1
                return frame(seq, "NAK", ["ARG"])
            try:
                period = int(args[4])
            except ValueError:
                period = -1
            if not 100 <= period <= 10000:
                self.naks += 1
                return frame(seq, "NAK", ["ARG"])
            self.modes = list(args[:4])
            self.period_ms = period
            return frame(seq, "ACK")
        if verb == "VER?" and not args:
            return frame(seq, "VER", [FIRMWARE_VERSION, str(PROTOCOL_VERSION)])
        if verb == "SAFE" and not args:
            self.modes = ["0", "0", "0", "0"]
            self.armed = False
            return frame(seq, "ACK")
        self.naks += 1
        return frame(seq, "NAK", ["VERB"])

    def check_failsafe(self, now_ms):
        """True once when the heartbeat has just been missed (the caller reports ``EVT FAILSAFE``)."""
        if self.armed and not self.in_failsafe and self.ticks_diff(now_ms, self.last_heard) > self.failsafe_ms:
            self.in_failsafe = True
            return True
        return False

    def levels(self, now_ms):
        """Whether red, amber, green and the buzzer are on at ``now_ms``."""
        if self.in_failsafe:
            # Red and amber alternate, green off, buzzer quiet: nothing the host ever asks for.
            first_half = (now_ms % FAILSAFE_PERIOD_MS) < FAILSAFE_PERIOD_MS // 2
            return [first_half, not first_half, False, False]
        lit = (now_ms % self.period_ms) < self.period_ms // 2
        return [m == "1" or (m == "B" and lit) for m in self.modes]
