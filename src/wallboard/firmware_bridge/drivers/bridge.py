"""The Pico bridge as a lamp backend: SET on change, a heartbeat, acks checked, NAKs answered by re-sending.

On connect the bridge must answer ``VER?`` within ``reply_timeout``, else
the port is not a bridge (or is wedged) and the worker retries later. A frame
left unacknowledged for ``reply_timeout`` counts as a lost device. When the
host goes away on purpose it sends ``SAFE`` (lamps off, failsafe disarmed);
when it just stops (crash, hang, power cut) the firmware's own failsafe shows
after 3 s without a frame. Protocol text lives in ``bridge_codec``; this
module only sequences frames.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from wallboard.device.config.signals_schema import BridgeSettings
from wallboard.device.util.ratelog import RateLimitedLog
from wallboard.device.util.text import printable
from wallboard.firmware_bridge.drivers.bridge_codec import (
    PROTOCOL_VERSION,
    BridgeFrameError,
    Reply,
    decode,
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
        self.naks = 0
        self.name = f"bridge on {settings.port}"

    # ------------------------------------------------------------ LightDriver

    def connect(self) -> None:
        self._link = open_link(
            self._settings.port, baudrate=self._settings.baudrate, write_timeout=float(self._settings.write_timeout)
        )
        self._buffer = b""
        self._pending.clear()
        self._state = None
        self._link.read_available()  # drop whatever a previous session left behind
        seq = self._send("VER?")
        deadline = self._clock() + float(self._settings.reply_timeout)
        while seq in self._pending:
            if self._clock() > deadline:
                raise OSError("no answer to VER? (is this port the wallboard bridge?)")
            time.sleep(_POLL)
            self._receive()
        if self.protocol != str(PROTOCOL_VERSION):
            self.refused = (
                f"firmware {self.firmware} speaks protocol {self.protocol or 'unknown'}, this board speaks "
                f"{PROTOCOL_VERSION}: flash the firmware from firmware_bridge/firmware"
            )
            raise OSError(self.refused)
        self.refused = None
        log.info("%s: firmware %s, protocol %s", self.name, self.firmware, self.protocol)

    def health_report(self) -> dict[str, object]:
        """The bridge's firmware and protocol, why it was refused, NAKs, and how long since it last answered."""
        age = None if self._last_reply is None else round(self._clock() - self._last_reply, 1)
        return {
            "firmware": self.firmware,
            "protocol": self.protocol,
            "refused": self.refused,
            "naks": self.naks,
            "last_reply_age_s": age,
        }

    def send(self, state: LightState, *, full: bool) -> None:
        self._state = state
        self._send("SET", *set_args(state, self._blink_period))

    def tick(self, now: float) -> float:
        self._receive()
        if now >= self._next_heartbeat:
            self._send("HB")
        oldest = min((sent for sent, _ in self._pending.values()), default=None)
        if oldest is not None and now - oldest > float(self._settings.reply_timeout):
            raise OSError(f"no reply for {now - oldest:.1f}s")
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
        if reply.verb == "VER":  # VER <firmware> <protocol>
            self.firmware = printable(reply.args[0], 20) if reply.args else "unknown"
            self.protocol = printable(reply.args[1], 8) if len(reply.args) > 1 else None
        elif reply.verb == "NAK":
            self.naks += 1
            reason = " ".join(reply.args)
            self._bad_frames.warning("nak", f"{self.name}: frame refused ({reason}); re-sending the state")
            if self._state is not None and (sent is None or sent[1] == "SET"):
                self._send("SET", *set_args(self._state, self._blink_period))

    def _event(self, args: tuple[str, ...]) -> None:
        name = args[0] if args else ""
        if name == "BTN" and self._on_button is not None:
            self._on_button("bridge-button")
        elif name == "FAILSAFE":
            log.warning("%s: the bridge showed its failsafe pattern (it missed the heartbeat)", self.name)
        elif name == "BOOT":
            log.info("%s: the bridge restarted; re-sending the state", self.name)
            if self._state is not None:
                self._send("SET", *set_args(self._state, self._blink_period))
