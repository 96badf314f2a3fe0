"""Builds the signals output from config: the chosen lamp backend, the sound sink, the ack button.

Hardware libraries are imported here only when the backend that needs them is
chosen, never at import. A missing device is not a startup error: its worker
keeps retrying and says so in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from wallboard.device.config.signals_schema import SignalSettings
from wallboard.device.core.view import ScreenHealth
from wallboard.firmware_bridge.lights import NullStackLight, StackLight
from wallboard.firmware_bridge.signals import Closeable, SignalOutput, describe_backend
from wallboard.firmware_bridge.sound.mixer import SoundSink, open_sound
from wallboard.firmware_bridge.worker import DriverWorker

log = logging.getLogger(__name__)


def build_stack_light(
    settings: SignalSettings, *, on_acknowledge: Callable[[str], None], pin_factory: Any = None
) -> StackLight:
    """The lamp backend named by ``settings.backend``, its worker started."""
    period = float(settings.blink_period)
    if settings.backend == "gpio":
        from wallboard.firmware_bridge.drivers.gpio import GpioLamps

        return DriverWorker(GpioLamps(settings.gpio, blink_period=period, pin_factory=pin_factory), retry=3.0).start()
    if settings.backend == "adafruit-tower":
        from wallboard.firmware_bridge.drivers.tower import AdafruitTower

        return DriverWorker(AdafruitTower(settings.tower), retry=float(settings.tower.retry)).start()
    if settings.backend == "bridge":
        from wallboard.firmware_bridge.drivers.bridge import BridgeLink

        driver = BridgeLink(settings.bridge, blink_period=period, on_button=on_acknowledge)
        return DriverWorker(driver, retry=float(settings.bridge.retry)).start()
    return NullStackLight()


def build_signals(
    settings: SignalSettings,
    on_acknowledge: Callable[[str], None],
    *,
    pin_factory: Any = None,
    sound: SoundSink | None = None,
    screen: ScreenHealth | None = None,
) -> SignalOutput:
    """The signals output: lamps, sound (the mixer unless one is given) and the ack button if configured.

    ``screen``, if given, is the display's health: while it cannot show the board, the lamps say blind.
    """
    extras: list[Closeable] = []
    if settings.button.pin is not None:
        from wallboard.firmware_bridge.drivers.gpio import AckButton

        try:
            extras.append(AckButton(settings.button, on_acknowledge, pin_factory=pin_factory))
        except Exception as exc:  # gpiozero's errors and OSError: no GPIO here, the board still runs
            log.error("acknowledge button on GPIO%s unavailable (%s); use the MQTT ack topic", settings.button.pin, exc)
    light = build_stack_light(settings, on_acknowledge=on_acknowledge, pin_factory=pin_factory)
    sink = sound if sound is not None else open_sound(settings.sound)
    log.info("signals: %s", describe_backend(settings))
    return SignalOutput(settings, light, sink, extras=tuple(extras), screen=screen)
