"""Lamps, buzzer and the acknowledge button on the Pi's GPIO header, through gpiozero.

The pin factory is passed in (gpiozero's MockFactory in tests; None lets
gpiozero choose: lgpio on a Pi 5, see docs/wiring.md). Blinking is timed by
the worker from the clock, so every blinking output is in step; gpiozero's
own blink threads are not used. Nothing from gpiozero leaves this module.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from wallboard.device.config.signals_schema import ButtonSettings, GpioSettings
from wallboard.firmware_bridge.lights import OUTPUT_NAMES, SAFE, LampMode, LightState, blink_level

log = logging.getLogger(__name__)


class GpioLamps:
    """A ``LightDriver`` for LEDs or relay channels (``active_high`` per output) and a buzzer."""

    def __init__(self, settings: GpioSettings, *, blink_period: float, pin_factory: Any = None) -> None:
        self._settings = settings
        self._blink_period = blink_period
        self._pin_factory = pin_factory
        self._devices: dict[str, Any] = {}
        self._modes: dict[str, LampMode] = dict(SAFE.lamps())
        pins = [f"{name} GPIO{getattr(settings, name).pin}" for name in OUTPUT_NAMES if getattr(settings, name)]
        self.name = f"GPIO lamps ({', '.join(pins) or 'none'})"

    def connect(self) -> None:
        from gpiozero import LED, Buzzer, GPIOZeroError

        try:
            for name in OUTPUT_NAMES:
                output = getattr(self._settings, name)
                if output is None:
                    continue
                kind = Buzzer if name == "buzzer" else LED  # an LED class drives a relay channel just as well
                self._devices[name] = kind(
                    output.pin, active_high=output.active_high, initial_value=False, pin_factory=self._pin_factory
                )
        except GPIOZeroError as exc:
            self.disconnect()
            raise OSError(f"{type(exc).__name__}: {exc}") from exc

    def send(self, state: LightState, *, full: bool) -> None:
        self._modes = state.lamps()
        self._apply(time.monotonic())

    def tick(self, now: float) -> float:
        return self._apply(now)

    def _apply(self, now: float) -> float:
        """Drive every output for ``now``; return seconds until the next blink edge (inf: none)."""
        next_edge = float("inf")
        for name, device in self._devices.items():
            mode = self._modes[name]
            if mode is LampMode.BLINK:
                lit, until = blink_level(self._blink_period, now)
                next_edge = min(next_edge, until)
            else:
                lit = mode is LampMode.ON
            if bool(device.is_active) != lit:
                if lit:
                    device.on()
                else:
                    device.off()
        return next_edge

    def farewell(self) -> None:
        self.send(SAFE, full=True)

    def disconnect(self) -> None:
        for device in self._devices.values():
            try:
                device.off()
                device.close()
            except Exception as exc:  # closing must not raise; the pin is released either way
                log.debug("closing %r: %s", device, exc)
        self._devices.clear()


class AckButton:
    """The supervisor's acknowledge button: a debounced press calls ``on_press("button")``."""

    def __init__(
        self,
        settings: ButtonSettings,
        on_press: Callable[[str], None],
        *,
        pin_factory: Any = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from gpiozero import Button

        if settings.pin is None:
            raise ValueError("no button pin configured")
        self._on_press = on_press
        self._bounce = float(settings.bounce_time)
        self._clock = clock
        self._last_press = float("-inf")
        self._lock = threading.Lock()
        self.presses = 0
        bounce = self._bounce if self._bounce > 0 else None
        self._button = Button(settings.pin, pull_up=settings.pull_up, bounce_time=bounce, pin_factory=pin_factory)
        self._button.when_pressed = self._pressed
        self._pin = settings.pin
        log.info("acknowledge button on GPIO%d", settings.pin)

    def health_report(self) -> dict[str, object]:
        """The button's pin and how often it was pressed."""
        return {"button": f"GPIO{self._pin}", "presses": self.presses}

    def _pressed(self) -> None:
        # Runs on gpiozero's event thread. Debounced here too: not every pin driver honours bounce_time.
        with self._lock:
            now = self._clock()
            if now - self._last_press < self._bounce:
                return
            self._last_press = now
            self.presses += 1
        try:
            self._on_press("button")
        except Exception:
            log.exception("acknowledge from the button failed")

    def close(self) -> None:
        self._button.when_pressed = None
        self._button.close()
