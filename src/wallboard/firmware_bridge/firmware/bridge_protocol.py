"""Wallboard bridge protocol, the firmware's side: parse host frames, keep the lamp state, run the failsafe.

Runs unchanged on MicroPython (Raspberry Pi Pico, and the unix port the host's
tests run it on) and on CPython: no typing, no dataclasses, no star-unpacking
in literals, no ``Exception.__init__(self, ...)`` (MicroPython's builtin
exceptions have no ``__init__`` attribute), no ``int(x, 16)`` on wire text
(MicroPython accepts ``_``, signs and spaces there), no I/O and no clock of
its own. Callers pass the time in milliseconds on a wrapping tick counter,
with ``ticks_diff``/``ticks_add`` (``time.ticks_diff`` on the Pico; the shims
below elsewhere).

Frame: ``<seq> <VERB>[ <arg>]...*<CCCC>\\n``, CCCC = CRC-16/CCITT-FALSE of the
body, one character per nibble, most significant first, written ``0x30 +
nibble`` (``0``-``9``, then ``:;<=>?`` for 10-15): a bit flipped in such a
character either flips exactly one bit of the value or leaves a character
that is not allowed, so the CRC's guarantee (every 1-, 2- and 3-bit error)
holds for the whole line. See docs/bridge-protocol.md.
"""

PROTOCOL_VERSION = 2
FIRMWARE_VERSION = "2.0.0"
MAX_BODY = 60
FAILSAFE_MS = 3000
FAILSAFE_PERIOD_MS = 1000
MODES = ("0", "1", "B")
# The rp2 port's tick counter wraps every 2**30 ms (about 12.4 days); the shims below wrap the same way.
TICKS_PERIOD = 1 << 30
_TICKS_HALF = TICKS_PERIOD >> 1
_STAR = 42  # b"*"
_SPACE = 32


def ticks_diff(end, start):
    """``time.ticks_diff`` for a counter of ``TICKS_PERIOD``: the signed distance, right across a wrap."""
    return ((end - start + _TICKS_HALF) & (TICKS_PERIOD - 1)) - _TICKS_HALF


def ticks_add(ticks, delta):
    """``time.ticks_add`` for a counter of ``TICKS_PERIOD``."""
    return (ticks + delta) & (TICKS_PERIOD - 1)


def crc16(data):
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final xor; "123456789" gives 0x29B1.

    Byte at a time without a table (the shift-and-xor form of the same polynomial): a few operations a
    byte and no 512-byte table in the Pico's heap.
    """
    crc = 0xFFFF
    for byte in data:
        x = ((crc >> 8) ^ byte) & 0xFF
        x ^= x >> 4
        crc = ((crc << 8) ^ (x << 12) ^ (x << 5) ^ x) & 0xFFFF
    return crc


def crc8(data):
    """CRC-8/SMBus (poly 0x07, init 0): protocol 1's check, kept only to tell an old host what it talks to."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def _body(seq, verb, args):
    fields = ["--" if seq is None else f"{seq & 0xFF:02X}", verb]
    fields.extend(args)
    return " ".join(fields).encode()


def check_text(value):
    """The 16-bit check as four characters, ``0x30 + nibble`` each, most significant nibble first."""
    return bytes([0x30 + ((value >> shift) & 15) for shift in (12, 8, 4, 0)])


def check_value(text):
    """Four check characters (bytes) as the 16-bit value; -1 if they are not exactly that."""
    if len(text) != 4:
        return -1
    value = 0
    for c in text:
        if not 0x30 <= c <= 0x3F:
            return -1
        value = (value << 4) | (c - 0x30)
    return value


def frame(seq, verb, args=()):
    """One frame as bytes, newline included; ``seq`` None is written ``--``."""
    body = _body(seq, verb, args)
    return body + b"*" + check_text(crc16(body)) + b"\n"


def legacy_frame(seq, verb, args=()):
    """A protocol-1 frame (CRC-8, two hex digits): only to answer an old host in words it can read."""
    body = _body(seq, verb, args)
    return body + b"*" + f"{crc8(body):02X}".encode() + b"\n"


class FrameError(Exception):
    """A host line that is not a valid frame; ``reason`` is the NAK reason, ``seq`` what could be read."""

    def __init__(self, reason, seq=None):
        super().__init__(reason)
        self.reason = reason
        self.seq = seq


def hex_value(text, digits):
    """Exactly ``digits`` upper-case hex digits (bytes) as a number; -1 for anything else.

    Written out because ``int(text, 16)`` differs between interpreters (MicroPython takes ``_C``) and both
    take lower case, ``+F`` and `` F``; the protocol takes none of them.
    """
    if len(text) != digits:
        return -1
    value = 0
    for c in text:
        if 48 <= c <= 57:  # 0-9
            value = value * 16 + c - 48
        elif 65 <= c <= 70:  # A-F
            value = value * 16 + c - 55
        else:
            return -1
    return value


def decimal_value(text, lowest, highest):
    """A plain decimal number (str: ASCII digits, no sign, no leading zero) within [lowest, highest]; -1 if not."""
    if not 1 <= len(text) <= 6 or (len(text) > 1 and text[0] == "0"):
        return -1
    value = 0
    for c in text:
        if not "0" <= c <= "9":
            return -1
        value = value * 10 + ord(c) - 48
    return value if lowest <= value <= highest else -1


def _strip_end(line):
    """The line without its ``\\n`` and one ``\\r`` before it."""
    if line[-1:] == b"\n":
        line = line[:-1]
    if line[-1:] == b"\r":
        line = line[:-1]
    return line


def parse(line):
    """Check and split one host line (bytes) into (seq, verb, args); raise FrameError.

    The checks, in order, as docs/bridge-protocol.md lists them: LONG, then SYNTAX for the shape of
    ``*CCCC``, CRC, then SYNTAX for the body (printable ASCII, no ``*``, single spaces, a two-digit seq).
    """
    line = _strip_end(line)
    if len(line) > MAX_BODY + 5:
        raise FrameError("LONG")
    star = len(line) - 5
    if star < 0 or line[star] != _STAR:
        raise FrameError("SYNTAX")
    check = check_value(line[star + 1 :])
    if check < 0:
        raise FrameError("SYNTAX")
    body = line[:star]
    if crc16(body) != check:
        raise FrameError("CRC")
    for byte in body:
        if byte < 0x20 or byte > 0x7E or byte == _STAR:
            raise FrameError("SYNTAX")
    fields = body.split(b" ")
    seq = hex_value(fields[0], 2)
    if seq < 0:
        raise FrameError("SYNTAX")
    if len(fields) < 2:
        raise FrameError("SYNTAX", seq)
    for field in fields[1:]:
        if not field:
            raise FrameError("SYNTAX", seq)
    return seq, fields[1].decode(), [f.decode() for f in fields[2:]]


def parse_legacy(line):
    """(seq, verb) of a valid protocol-1 frame (``*CC``, CRC-8), else None."""
    line = _strip_end(line)
    star = len(line) - 3
    if star < 0 or len(line) > MAX_BODY + 3 or line[star] != _STAR:
        return None
    check = hex_value(line[star + 1 :], 2)
    body = line[:star]
    if check < 0 or crc8(body) != check:
        return None
    fields = body.split(b" ")
    seq = hex_value(fields[0], 2)
    if seq < 0 or len(fields) < 2:
        return None
    return seq, fields[1]


def _name(err):
    """An exception's class name, as a frame argument (printable, no spaces, bounded)."""
    name = type(err).__name__
    return "".join(c for c in name if "!" <= c <= "~" and c != "*")[:24] or "Exception"


class Bridge:
    """The firmware's state: lamps (red, amber, green, buzzer as "0"/"1"/"B"), blink period, failsafe, faults."""

    def __init__(self, now_ms, failsafe_ms=FAILSAFE_MS, ticks_diff=ticks_diff, ticks_add=ticks_add, boot="PWR"):
        self.modes = ["0", "0", "0", "0"]
        self.period_ms = 1000
        self.failsafe_ms = failsafe_ms
        self.ticks_diff = ticks_diff
        self.ticks_add = ticks_add
        self.last_heard = now_ms
        self.blink_origin = now_ms  # blink phases count from here (moved on a whole period at a time)
        self.failsafe_origin = now_ms
        self.armed = True  # the failsafe may trigger; SAFE disarms it until the next frame
        self.in_failsafe = False
        self.boot = boot  # why the firmware last started: PWR, WDT or RESET (see bridge_app.boot_cause)
        self.boot_id = "0000"  # four hex digits, new at each start: the host tells a restart from a reconnect
        self.frames = 0
        self.naks = 0
        self.faults = 0
        self.last_fault = ""

    def receive(self, line, now_ms):
        """Handle one line from the host; return the reply frame (bytes). Never raises."""
        try:
            return self._receive(line, now_ms)
        except Exception as err:  # a bug here must not stop the loop: in doubt, the failsafe pattern
            self.fault(err, now_ms)
            return frame(None, "NAK", ["FAULT"])

    def fault(self, err, now_ms):
        """Count an unexpected exception and show the failsafe until the host's next valid frame."""
        self.faults += 1
        self.last_fault = _name(err)
        if not self.in_failsafe:
            self.in_failsafe = True
            self.failsafe_origin = now_ms

    def _receive(self, line, now_ms):
        try:
            seq, verb, args = parse(line)
        except FrameError as err:
            legacy = parse_legacy(line) if err.reason == "SYNTAX" else None
            if legacy is not None:
                return self._legacy(legacy[0], legacy[1])
            self.naks += 1
            return frame(err.seq, "NAK", [err.reason])
        self.frames += 1
        self.last_heard = now_ms
        self.armed = True
        self.in_failsafe = False
        if verb == "HB" and not args:
            return frame(seq, "ACK")
        if verb == "SET":
            period = decimal_value(args[4], 100, 10000) if len(args) == 5 else -1
            if period < 0 or any(a not in MODES for a in args[:4]):
                self.naks += 1
                return frame(seq, "NAK", ["ARG"])
            if self.modes != args[:4] or self.period_ms != period:
                self.blink_origin = now_ms  # a new pattern starts lit
            self.modes = args[:4]
            self.period_ms = period
            return frame(seq, "ACK")
        if verb == "VER?" and not args:
            return frame(seq, "VER", self.version_args())
        if verb == "SAFE" and not args:
            self.modes = ["0", "0", "0", "0"]
            self.armed = False
            return frame(seq, "ACK")
        self.naks += 1
        return frame(seq, "NAK", ["VERB"])

    def version_args(self):
        """``VER``'s arguments: firmware, protocol, boot cause, boot id, faults since boot."""
        return [FIRMWARE_VERSION, str(PROTOCOL_VERSION), self.boot, self.boot_id, str(self.faults)]

    def _legacy(self, seq, verb):
        # A host speaking protocol 1: tell it, in its own framing, which protocol this firmware speaks.
        self.naks += 1
        if verb == b"VER?":
            return legacy_frame(seq, "VER", [FIRMWARE_VERSION, str(PROTOCOL_VERSION)])
        return legacy_frame(seq, "NAK", ["PROTO"])

    def check_failsafe(self, now_ms):
        """True once when the heartbeat has just been missed (the caller reports ``EVT FAILSAFE``)."""
        if self.armed and not self.in_failsafe and self.ticks_diff(now_ms, self.last_heard) > self.failsafe_ms:
            self.in_failsafe = True
            self.failsafe_origin = now_ms
            return True
        return False

    def _phase(self, now_ms, origin, period):
        """(ms into the current period, the origin moved on by whole periods): wrap-safe, never ``now % period``."""
        elapsed = self.ticks_diff(now_ms, origin)
        if 0 <= elapsed < period:
            return elapsed, origin
        whole = elapsed // period  # negative only if the clock went back: then start over from there
        return elapsed - whole * period, self.ticks_add(origin, whole * period)

    def levels(self, now_ms):
        """Whether red, amber, green and the buzzer are on at ``now_ms``."""
        if self.in_failsafe:
            # Red and amber alternate, green off, buzzer quiet: nothing the host ever asks for.
            phase, self.failsafe_origin = self._phase(now_ms, self.failsafe_origin, FAILSAFE_PERIOD_MS)
            first_half = phase < FAILSAFE_PERIOD_MS // 2
            return [first_half, not first_half, False, False]
        phase, self.blink_origin = self._phase(now_ms, self.blink_origin, self.period_ms)
        lit = phase < self.period_ms // 2
        return [m == "1" or (m == "B" and lit) for m in self.modes]
