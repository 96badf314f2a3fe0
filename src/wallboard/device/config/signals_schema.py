"""The ``[signals]`` section of a board config: typed, validated, no hardware import.

Each board state (normal, warn, critical, blind, acknowledged) has its own
pattern table with its own defaults, so a config that only says
``[signals.critical] every = "10s"`` keeps the red blink. The acknowledged
pattern is laid over the state being acknowledged: its lamps default to
``"keep"`` (the lamps go on showing the state) and its sound to none.

This module only describes and checks settings; it opens no device and
imports neither gpiozero, pyserial nor pygame.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from wallboard.device.config.types import Duration

LampSetting = Literal["off", "on", "blink"]
OverlaySetting = Literal["keep", "off", "on", "blink"]
SoundSetting = Literal["none", "once", "repeat"]
ChimeName = Literal["warn", "critical", "blind", "clear"]
Backend = Literal["gpio", "adafruit-tower", "bridge", "null"]

# BCM numbers of the GPIO pins on the 40-pin header.
_BCM_PINS = range(0, 28)


class _Section(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Base of every ``[signals]`` table: unknown keys are errors, values are immutable."""


class StatePattern(_Section, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """What the stack light and the speakers do in one board state."""

    red: LampSetting = "off"
    amber: LampSetting = "off"
    green: LampSetting = "off"
    buzzer: LampSetting = "off"
    sound: SoundSetting = "none"  # "once" on entering the state, "repeat" every `every`
    chime: ChimeName = "warn"
    every: Duration = Duration(30)


class NormalPattern(StatePattern, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """All rules normal and data fresh: green steady, quiet."""

    green: LampSetting = "on"


class WarnPattern(StatePattern, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Worst rule at warn: amber steady, a soft chime once."""

    amber: LampSetting = "on"
    sound: SoundSetting = "once"
    chime: ChimeName = "warn"


class CriticalPattern(StatePattern, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Worst rule at critical: red blinking, the urgent chime every 30 s until acknowledged."""

    red: LampSetting = "blink"
    sound: SoundSetting = "repeat"
    chime: ChimeName = "critical"
    every: Duration = Duration(30)


class BlindPattern(StatePattern, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """The board cannot see (broker down, no fresh data): amber blinking, never green."""

    amber: LampSetting = "blink"
    sound: SoundSetting = "once"
    chime: ChimeName = "blind"


class AcknowledgedPattern(_Section, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Laid over an acknowledged alarm: ``keep`` shows the state's own lamp; sound stays off."""

    red: OverlaySetting = "keep"
    amber: OverlaySetting = "keep"
    green: OverlaySetting = "keep"
    buzzer: OverlaySetting = "off"


class GpioOutputPin(_Section, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """One GPIO output (an LED, a relay board channel, a buzzer), by BCM number."""

    pin: int
    active_high: bool = True  # false for most opto-isolated relay boards (they switch on a low input)


class GpioSettings(_Section, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Lamps and buzzer wired to GPIO pins; any of them may be absent."""

    red: GpioOutputPin | None = None
    amber: GpioOutputPin | None = None
    green: GpioOutputPin | None = None
    buzzer: GpioOutputPin | None = None


class ButtonSettings(_Section, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """The acknowledge button on a GPIO pin (works with any lamp backend)."""

    pin: int | None = None
    pull_up: bool = True  # button between the pin and ground, internal pull-up
    bounce_time: Duration = Duration(0.05)


class TowerSettings(_Section, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """The Adafruit tri-colour USB tower light (CH340 serial, 9600 baud)."""

    port: str = "/dev/ttyUSB0"  # a pyserial URL: a device, /dev/serial/by-id/..., loop://, spy://...
    baudrate: int = 9600
    retry: Duration = Duration(3)
    write_timeout: Duration = Duration(2)


class BridgeSettings(_Section, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """The Raspberry Pi Pico bridge on USB serial (see docs/bridge-protocol.md)."""

    port: str = "/dev/ttyACM0"
    baudrate: int = 115200  # USB CDC ignores it; kept for UART adapters
    heartbeat: Duration = Duration(1)  # the firmware's failsafe starts after 3 s without a frame
    reply_timeout: Duration = Duration(2)
    retry: Duration = Duration(3)
    write_timeout: Duration = Duration(2)


class SoundSettings(_Section, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Chimes on the TV's speakers through pygame.mixer."""

    enabled: bool = True
    volume: float = 0.8  # 0.0 to 1.0
    # Which speaker: "auto" (the system default), "hdmi" (the TV), "headphones" (the Pi's 3.5 mm jack): the first
    # SDL output device whose name says so (`wallboard sound --list`). ``device`` names one exactly and wins.
    output: Literal["auto", "hdmi", "headphones"] = "auto"
    device: str = ""  # an SDL audio device name, as `wallboard sound --list` prints it; empty: see ``output``


class SignalSettings(_Section, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Which backend drives the stack light, what each board state shows, and which sounds play."""

    backend: Backend = "null"
    blink_period: Duration = Duration(1)  # one on + off cycle of a blinking lamp or buzzer
    normal: NormalPattern = NormalPattern()
    warn: WarnPattern = WarnPattern()
    critical: CriticalPattern = CriticalPattern()
    blind: BlindPattern = BlindPattern()
    acknowledged: AcknowledgedPattern = AcknowledgedPattern()
    gpio: GpioSettings = GpioSettings()
    button: ButtonSettings = ButtonSettings()
    tower: TowerSettings = TowerSettings()
    bridge: BridgeSettings = BridgeSettings()
    sound: SoundSettings = SoundSettings()


def signal_problems(settings: SignalSettings) -> list[tuple[list[str | int], str]]:
    """Checks across ``[signals]`` keys that types alone cannot express, as (key path, message) pairs."""
    here: list[str | int] = ["signals"]
    found: list[tuple[list[str | int], str]] = []
    if settings.blind.green != "off":
        found.append(([*here, "blind", "green"], 'expected "off": a board that cannot see must never show green'))
    if settings.acknowledged.green not in ("keep", "off"):
        found.append(([*here, "acknowledged", "green"], 'expected "keep" or "off": an alarm is never shown as green'))
    if not 0.2 <= settings.blink_period <= 10:
        found.append(([*here, "blink_period"], "expected 200ms to 10s"))
    for name in ("normal", "warn", "critical", "blind"):
        pattern: StatePattern = getattr(settings, name)
        if pattern.sound == "repeat" and pattern.every < 1:
            found.append(([*here, name, "every"], 'expected at least 1s when sound = "repeat"'))
    if settings.backend == "gpio":
        gpio = settings.gpio
        if all(getattr(gpio, lamp) is None for lamp in ("red", "amber", "green")):
            found.append(([*here, "gpio"], 'backend = "gpio" needs at least one of red, amber, green'))
    used: dict[int, list[str | int]] = {}
    outputs = [(lamp, getattr(settings.gpio, lamp)) for lamp in ("red", "amber", "green", "buzzer")]
    claims: list[tuple[list[str | int], int]] = [
        ([*here, "gpio", lamp, "pin"], output.pin)
        for lamp, output in outputs
        if output is not None and settings.backend == "gpio"
    ]
    if settings.button.pin is not None:
        claims.append(([*here, "button", "pin"], settings.button.pin))
    for path, pin in claims:
        if pin not in _BCM_PINS:
            found.append((path, f"expected a BCM GPIO number from 0 to 27, got {pin}"))
        elif pin in used:
            found.append((path, f"GPIO {pin} is already used by {'.'.join(str(p) for p in used[pin])}"))
        else:
            used[pin] = path
    if not 0 <= settings.button.bounce_time <= 1:
        found.append(([*here, "button", "bounce_time"], "expected 0 to 1s"))
    for name, port in (("tower", settings.tower), ("bridge", settings.bridge)):
        if not port.port.strip():
            found.append(([*here, name, "port"], "expected a serial port or pyserial URL"))
        if port.baudrate <= 0:
            found.append(([*here, name, "baudrate"], "expected a positive number"))
        if port.retry < 0.1:
            found.append(([*here, name, "retry"], "expected at least 100ms"))
    if not 0.1 <= settings.bridge.heartbeat <= 2:
        found.append(([*here, "bridge", "heartbeat"], "expected 100ms to 2s (the firmware's failsafe starts at 3s)"))
    if not 0.0 <= settings.sound.volume <= 1.0:
        found.append(([*here, "sound", "volume"], f"expected 0.0 to 1.0, got {settings.sound.volume}"))
    return found
