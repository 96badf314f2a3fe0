"""The Adafruit tri-colour USB tower light with buzzer (product 5125): one byte per command at 9600 baud.

High nibble: 0x1 on, 0x2 off, 0x4 blink. Low nibble: 0x1 red, 0x2 yellow,
0x4 green, 0x8 buzzer. So 0x41 blinks red and 0x28 silences the buzzer. The
tower blinks at its own fixed rate (``blink_period`` does not reach it).
Only changed outputs are sent; after a (re)connect everything is sent, since
the tower may have been power-cycled. The tower never answers, so an unplug
is noticed when a read reports the device hung up. This module only builds
bytes and talks through ``SerialLink``.
"""

from __future__ import annotations

from wallboard.device.config.signals_schema import TowerSettings
from wallboard.firmware_bridge.drivers.serial_link import SerialLink, open_link
from wallboard.firmware_bridge.lights import OUTPUT_NAMES, SAFE, LampMode, LightState

COMMAND = {LampMode.ON: 0x10, LampMode.OFF: 0x20, LampMode.BLINK: 0x40}
OUTPUT_BIT = {"red": 0x01, "amber": 0x02, "green": 0x04, "buzzer": 0x08}

# How often an idle tower is checked for a hang-up (a USB unplug).
_PROBE_INTERVAL = 1.0


def tower_bytes(state: LightState, previous: LightState | None) -> bytes:
    """The command bytes that take the tower from ``previous`` (None: unknown) to ``state``."""
    old = previous.lamps() if previous is not None else None
    out = bytearray()
    for name in OUTPUT_NAMES:
        mode = state.lamps()[name]
        if old is None or old[name] is not mode:
            out.append(COMMAND[mode] | OUTPUT_BIT[name])
    return bytes(out)


class AdafruitTower:
    """A ``LightDriver`` for the tower light on a serial port."""

    def __init__(self, settings: TowerSettings) -> None:
        self._settings = settings
        self._link: SerialLink | None = None
        self._shown: LightState | None = None
        self.name = f"tower light on {settings.port}"

    def connect(self) -> None:
        self._link = open_link(
            self._settings.port, baudrate=self._settings.baudrate, write_timeout=float(self._settings.write_timeout)
        )
        self._shown = None

    def send(self, state: LightState, *, full: bool) -> None:
        if self._link is None:
            raise OSError("not connected")
        data = tower_bytes(state, None if full else self._shown)
        if data:
            self._link.write(data)
        self._shown = state

    def tick(self, now: float) -> float:
        if self._link is None:
            raise OSError("not connected")
        self._link.read_available()  # the tower sends nothing; this raises once the device has gone
        return _PROBE_INTERVAL

    def farewell(self) -> None:
        self.send(SAFE, full=True)

    def disconnect(self) -> None:
        if self._link is not None:
            self._link.close()
            self._link = None
        self._shown = None
