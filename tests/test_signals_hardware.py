"""Real hardware, when the environment names it; otherwise one skip that says how to run it.

- ``WALLBOARD_TEST_TOWER=/dev/ttyUSB0``: the Adafruit tower light (watch it: amber, red blinking, then dark);
- ``WALLBOARD_TEST_BRIDGE=/dev/ttyACM0``: a Pico running firmware_bridge/firmware (answers VER?, takes SET);
- ``WALLBOARD_TEST_GPIO=red:17,amber:27,green:22[,buzzer:23]``: lamps on those BCM pins (a ``!`` after the
  number, e.g. ``17!``, marks an active-low relay channel).
"""

from __future__ import annotations

import os
import time

import pytest

from wallboard.device.config.signals_schema import BridgeSettings, GpioOutputPin, GpioSettings, TowerSettings
from wallboard.firmware_bridge.drivers.bridge import BridgeLink
from wallboard.firmware_bridge.drivers.tower import AdafruitTower
from wallboard.firmware_bridge.lights import LampMode, LightState
from wallboard.firmware_bridge.worker import DriverWorker, LightDriver

ENV = ("WALLBOARD_TEST_TOWER", "WALLBOARD_TEST_BRIDGE", "WALLBOARD_TEST_GPIO")


def _gpio(spec: str) -> GpioSettings:
    pins: dict[str, GpioOutputPin] = {}
    for part in spec.split(","):
        name, _, pin = part.partition(":")
        pins[name.strip()] = GpioOutputPin(pin=int(pin.rstrip("!")), active_high=not pin.endswith("!"))
    return GpioSettings(**pins)


def _exercise(driver: LightDriver) -> DriverWorker:
    worker = DriverWorker(driver, retry=1.0).start()
    deadline = time.monotonic() + 10
    while not worker.connected:
        assert time.monotonic() < deadline, f"{driver.name} did not connect"
        time.sleep(0.05)
    for state in (LightState(amber=LampMode.ON), LightState(red=LampMode.BLINK), LightState(green=LampMode.ON)):
        worker.show(state)
        time.sleep(1.5)
        assert worker.connected, f"{driver.name} went away while showing {state.describe()}"
    worker.close()
    return worker


@pytest.mark.hardware
def test_real_signal_hardware_named_by_the_environment() -> None:
    """Each device named in the environment connects, shows amber, red blinking and green, and ends dark."""
    named = {key: os.environ[key] for key in ENV if os.environ.get(key)}
    if not named:
        pytest.skip(f"no signal hardware named: set one of {', '.join(ENV)} to run against real devices")
    if "WALLBOARD_TEST_TOWER" in named:
        assert _exercise(AdafruitTower(TowerSettings(port=named["WALLBOARD_TEST_TOWER"]))).safe_on_close
    if "WALLBOARD_TEST_BRIDGE" in named:
        bridge = BridgeLink(BridgeSettings(port=named["WALLBOARD_TEST_BRIDGE"]), blink_period=1.0)
        assert _exercise(bridge).safe_on_close
        assert bridge.firmware is not None and bridge.naks == 0
    if "WALLBOARD_TEST_GPIO" in named:
        from wallboard.firmware_bridge.drivers.gpio import GpioLamps

        lamps = GpioLamps(_gpio(named["WALLBOARD_TEST_GPIO"]), blink_period=1.0)  # gpiozero's own pin factory
        assert _exercise(lamps).safe_on_close
