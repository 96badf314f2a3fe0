"""The Pico bridge as a lamp backend: SET on change, a heartbeat, acks checked, NAKs answered by re-sending.

On connect the bridge must answer ``VER?`` within ``reply_timeout`` (the
question is repeated every ``heartbeat`` meanwhile, so the firmware keeps
hearing frames), else the port is not a bridge (or is wedged) and the worker
retries. A bridge that answers in protocol 1 (old firmware) is refused with a
message naming both versions.

One unanswered frame is a *lost reply*, not a lost device: after
``reply_timeout`` it is counted and, if it was a ``SET``, the state is
re-sent; the heartbeat never pauses for it, so the firmware hears a frame at
least every ``heartbeat`` (1 s against its 3 s failsafe). The device is lost
only when nothing at all has come back for ``reply_timeout`` since the oldest
unanswered frame was sent: then the port is closed and reopened at once.
When the host goes away on purpose it sends ``SAFE`` (lamps off, failsafe
disarmed); when it just stops (crash, hang, power cut) the firmware's own
failsafe shows after 3 s without a frame. The firmware's own faults
(``EVT FAULT``) and restarts (``EVT BOOT``, a new boot id in ``VER``) are
counted for the status, and the state is re-sent after each. Protocol text
lives in ``bridge_codec``; this module only sequences frames.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from wallboard.device.config.signals_schema import BridgeSettings
from wallboard.device.util.ratelog import RateLimitedLog
from wallboard.device.util.text import printable
from wallboard.firmware_bridge.drivers.bridge_codec import (
    LEGACY_PROTOCOL,
    LEGACY_VER_PROBE,
    PROTOCOL_VERSION,
    BridgeFrameError,
    Reply,
    decode,
    decode_legacy,
    encode,
    set_args,
)
from wallboard.firmware_bridge.drivers.serial_link import SerialLink, open_link
from wallboard.firmware_bridge.lights import LightState

log = logging.getLogger(__name__)

_POLL = 0.02  # while a reply is awaited
_MAX_LINE = 256


class BridgeLink:
    """A ``LightDriver`` for the MicroPython bridge on a serial port."""

    def __init__(
        self,
        settings: BridgeSettings,
        *,
        blink_period: float,
        on_button: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._blink_period = blink_period
        self._on_button = on_button
        self._clock = clock
        self._link: SerialLink | None = None
        self._buffer = b""
        self._seq = 0
        self._pending: dict[int, tuple[float, str]] = {}
        self._state: LightState | None = None
        self._next_heartbeat = 0.0
        self._bad_frames = RateLimitedLog(log, 60.0, clock)
        self.firmware: str | None = None
        self.protocol: str | None = None  # the protocol version the firmware speaks (docs/bridge-protocol.md)
        self.refused: str | None = None  # why a bridge that answered was not used (an unknown protocol)
        self._last_reply: float | None = None
        self._legacy_seen = False
        self.naks = 0
        self.lost_replies = 0  # frames whose answer never came (the link went on)
        self.firmware_faults = 0  # the firmware's own count of exceptions it survived, since its last start
        self.last_fault: str | None = None  # the last one's exception name, as the firmware reported it
        self.boot: str | None = None  # why the firmware last started: PWR, WDT (its watchdog) or RESET
        self.boot_id: str | None = None
        self.restarts = 0  # firmware restarts seen while this host ran (EVT BOOT, or a new boot id in VER)
        self.name = f"bridge on {settings.port}"

    # ------------------------------------------------------------ LightDriver

    def connect(self) -> None:
        self._link = open_link(
            self._settings.port, baudrate=self._settings.baudrate, write_timeout=float(self._settings.write_timeout)
        )
        self._buffer = b""
        self._pending.clear()
        self._state = None
        self._legacy_seen = False
        self.protocol = None
        self._link.read_available()  # drop whatever a previous session left behind
        self._send("VER?")
        deadline = self._clock() + float(self._settings.reply_timeout)
        while self.protocol is None and not self._legacy_seen:
            now = self._clock()
            if now > deadline:
                raise OSError("no answer to VER? (is this port the wallboard bridge?)")
            if now >= self._next_heartbeat:  # ask again: the firmware's failsafe counts from its last frame
                self._send("VER?")
            time.sleep(_POLL)
            self._receive()
        if self._legacy_seen:
            self._identify_legacy(deadline)
        if self.protocol != str(PROTOCOL_VERSION):
            self.refused = (
                f"firmware {self.firmware} speaks protocol {self.protocol or 'unknown'}, this board speaks "
                f"{PROTOCOL_VERSION}: flash the firmware from firmware_bridge/firmware"
            )
            raise OSError(self.refused)
        self._pending.clear()  # the other VER? answers, if any, are not awaited
        self.refused = None
        log.info("%s: firmware %s, protocol %s, started by %s", self.name, self.firmware, self.protocol, self.boot)

    def _identify_legacy(self, deadline: float) -> None:
        """The bridge answered in protocol 1's framing: ask its version the old way, to name it in the refusal."""
        assert self._link is not None
        self.firmware, self.protocol = "1.x", str(LEGACY_PROTOCOL)
        self._link.write(LEGACY_VER_PROBE)
        while self._clock() < deadline + float(self._settings.reply_timeout):
            time.sleep(_POLL)
            self._buffer += self._link.read_available()
            while b"\n" in self._buffer:
                line, _, self._buffer = self._buffer.partition(b"\n")
                reply = decode_legacy(line)
                if reply is not None and reply.verb == "VER" and len(reply.args) >= 2:
                    self.firmware, self.protocol = printable(reply.args[0], 20), printable(reply.args[1], 8)
                    return

    def health_report(self) -> dict[str, object]:
        """The bridge's firmware and protocol, why it was refused, NAKs, lost replies, its faults and restarts."""
        age = None if self._last_reply is None else round(self._clock() - self._last_reply, 1)
        return {
            "firmware": self.firmware,
            "protocol": self.protocol,
            "refused": self.refused,
            "naks": self.naks,
            "last_reply_age_s": age,
            "lost_replies": self.lost_replies,
            "firmware_faults": self.firmware_faults,
            "last_fault": self.last_fault,
            "boot": self.boot,
            "restarts": self.restarts,
        }

    def send(self, state: LightState, *, full: bool) -> None:
        self._state = state
        self._send("SET", *set_args(state, self._blink_period))

    def tick(self, now: float) -> float:
        self._receive()
        if now >= self._next_heartbeat:
            self._send("HB")
        timeout = float(self._settings.reply_timeout)
        oldest = min((sent for sent, _ in self._pending.values()), default=None)
        if oldest is not None and now - oldest > timeout:
            if self._last_reply is None or self._last_reply < oldest:
                raise OSError(f"no reply for {now - oldest:.1f}s")
            # The bridge answered since: this one reply was lost on the way. Count it and carry on.
            for seq, (sent, verb) in list(self._pending.items()):
                if now - sent > timeout:
                    del self._pending[seq]
                    self.lost_replies += 1
                    self._bad_frames.warning("lost", f"{self.name}: no answer to {verb} (a lost reply)")
                    if verb == "SET" and self._state is not None:
                        self._send("SET", *set_args(self._state, self._blink_period))
        wait = max(0.0, self._next_heartbeat - now)
        return min(wait, _POLL) if self._pending else wait

    def farewell(self) -> None:
        seq = self._send("SAFE")
        deadline = self._clock() + float(self._settings.reply_timeout)
        while seq in self._pending and self._clock() < deadline:
            time.sleep(_POLL)
            self._receive()
        if seq in self._pending:
            raise OSError("SAFE was not acknowledged")

    def disconnect(self) -> None:
        if self._link is not None:
            self._link.close()
            self._link = None
        self._pending.clear()

    # ------------------------------------------------------------ frames

    def _send(self, verb: str, *args: str) -> int:
        if self._link is None:
            raise OSError("not connected")
        seq = self._seq
        self._seq = (self._seq + 1) & 0xFF
        self._pending[seq] = (self._clock(), verb)
        self._link.write(encode(seq, verb, *args))
        # Any frame proves the host alive, so the heartbeat is due one interval after the last frame.
        self._next_heartbeat = self._clock() + float(self._settings.heartbeat)
        return seq

    def _receive(self) -> None:
        if self._link is None:
            raise OSError("not connected")
        self._buffer += self._link.read_available()
        while b"\n" in self._buffer:
            line, _, self._buffer = self._buffer.partition(b"\n")
            try:
                self._handle(decode(line))
            except BridgeFrameError as exc:
                if decode_legacy(line) is not None:
                    self._legacy_seen = True  # an old firmware: connect() names it and refuses it
                    continue
                self._bad_frames.warning("frame", f"{self.name}: ignored a bad frame ({exc})")
        if len(self._buffer) > _MAX_LINE:
            self._bad_frames.warning("frame", f"{self.name}: dropped {len(self._buffer)} bytes without a newline")
            self._buffer = b""

    def _handle(self, reply: Reply) -> None:
        if reply.verb == "EVT":
            self._event(reply.args)
            return
        if reply.verb not in ("ACK", "NAK", "VER"):
            self._bad_frames.warning("verb", f"{self.name}: ignored an unexpected {reply.verb!r} frame")
            return
        self._last_reply = self._clock()  # an answer to the heartbeat (or any frame): the bridge is alive
        if reply.seq is not None:
            sent = self._pending.pop(reply.seq, None)
        elif self._pending:
            # "--": the bridge could not read our sequence number; the oldest frame is the one it refused.
            sent = self._pending.pop(min(self._pending, key=lambda seq: self._pending[seq][0]))
        else:
            sent = None
        if reply.verb == "VER":  # VER <firmware> <protocol> <boot cause> <boot id> <faults>
            self._version(reply.args)
        elif reply.verb == "NAK":
            self.naks += 1
            reason = " ".join(reply.args)
            self._bad_frames.warning("nak", f"{self.name}: frame refused ({reason}); re-sending the state")
            if self._state is not None and (sent is None or sent[1] == "SET"):
                self._send("SET", *set_args(self._state, self._blink_period))

    def _version(self, args: tuple[str, ...]) -> None:
        self.firmware = printable(args[0], 20) if args else "unknown"
        self.protocol = printable(args[1], 8) if len(args) > 1 else None
        if len(args) < 5:
            return
        self.boot = printable(args[2], 8)
        if self.boot_id is not None and args[3] != self.boot_id:
            self._restarted(self.boot)
        self.boot_id = printable(args[3], 8)
        if args[4].isdigit():
            self.firmware_faults = int(args[4])

    def _restarted(self, cause: str | None) -> None:
        self.restarts += 1
        how = "its watchdog reset it" if cause == "WDT" else f"cause {cause}"
        log.warning("%s: the bridge restarted (%s); re-sending the state", self.name, how)

    def _event(self, args: tuple[str, ...]) -> None:
        name = args[0] if args else ""
        if name == "BTN" and self._on_button is not None:
            self._on_button("bridge-button")
        elif name == "FAILSAFE":
            log.warning("%s: the bridge showed its failsafe pattern (it missed the heartbeat)", self.name)
        elif name == "BOOT":  # EVT BOOT <cause> <boot id>
            self.boot = printable(args[1], 8) if len(args) > 1 else None
            new_id = printable(args[2], 8) if len(args) > 2 else None
            if self.boot_id is not None and new_id != self.boot_id:
                self._restarted(self.boot)
            self.boot_id, self.firmware_faults = new_id, 0
            if self._state is not None:
                self._send("SET", *set_args(self._state, self._blink_period))
        elif name == "FAULT":  # EVT FAULT <count> <exception name>: it shows its failsafe until our next frame
            if len(args) > 1 and args[1].isdigit():
                self.firmware_faults = int(args[1])
            self.last_fault = printable(args[2], 24) if len(args) > 2 else "unknown"
            self._bad_frames.warning(
                "fault", f"{self.name}: the firmware survived a fault ({self.last_fault}); re-sending the state"
            )
            if self._state is not None:
                self._send("SET", *set_args(self._state, self._blink_period))
