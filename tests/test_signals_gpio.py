"""The GPIO backend on gpiozero's MockFactory: pin states and their timing, active-low relays, the ack button."""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Iterator

import pytest
from gpiozero.pins.mock import MockFactory

from tests.helpers import wait_until
from tests.signal_fakes import view
from wallboard.device.config.signals_schema import (
    ButtonSettings,
    CriticalPattern,
    GpioOutputPin,
    GpioSettings,
    SignalSettings,
)
from wallboard.device.core.rules import Severity
from wallboard.firmware_bridge.drivers.gpio import AckButton, GpioLamps
from wallboard.firmware_bridge.factory import build_signals
from wallboard.firmware_bridge.fakes import RecordingSound
from wallboard.firmware_bridge.lights import LampMode, LightState
from wallboard.firmware_bridge.signals import SignalOutput
from wallboard.firmware_bridge.worker import DriverWorker

RED, AMBER, GREEN, BUZZER, BUTTON = 17, 27, 22, 23, 26
PERIOD = 0.2


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    """A fresh mock pin factory, reset afterwards."""
    mock = MockFactory()
    yield mock
    mock.reset()


def _settings(**overrides: object) -> SignalSettings:
    gpio = GpioSettings(
        red=GpioOutputPin(pin=RED),
        amber=GpioOutputPin(pin=AMBER, active_high=False),  # a relay board channel that switches on low
        green=GpioOutputPin(pin=GREEN),
        buzzer=GpioOutputPin(pin=BUZZER),
    )
    return SignalSettings(
        backend="gpio",
        blink_period=PERIOD,  # type: ignore[arg-type]
        gpio=gpio,
        critical=CriticalPattern(buzzer="blink"),
        **overrides,  # type: ignore[arg-type]
    )


# How late the worker thread may act on a change when the machine is busy (it acts within ms when idle).
LATE = 0.25


def _edges(pin: object) -> list[tuple[float, bool]]:
    """A pin's history as (absolute seconds since the first entry, state)."""
    at = 0.0
    out = []
    for duration, state in pin.states:  # type: ignore[attr-defined]
        at += duration
        out.append((at, bool(state)))
    return out


def test_warn_critical_acknowledged_cleared_on_mock_pins(factory: MockFactory) -> None:
    """Amber relay on (low) at warn; red and buzzer blink in step at critical; ack stops the buzzer; green at clear."""
    settings = _settings()
    worker = DriverWorker(GpioLamps(settings.gpio, blink_period=PERIOD, pin_factory=factory)).start()
    output = SignalOutput(settings, worker, RecordingSound(), startup_quiet=0)
    try:
        wait_until(lambda: worker.connected)
        red, amber, green, buzzer = (factory.pin(n) for n in (RED, AMBER, GREEN, BUZZER))
        for pin in (red, amber, green, buzzer):
            pin.clear_states()
        started = time.monotonic()

        output.render(view(Severity.WARN))
        wait_until(lambda: amber.state is False)  # active low: the relay is on
        time.sleep(0.3)
        output.render(view(Severity.CRITICAL))
        critical_at = time.monotonic() - started
        time.sleep(0.65)
        output.render(view(Severity.CRITICAL, acks=1))
        acked_at = time.monotonic() - started
        time.sleep(0.45)
        output.render(view(Severity.NORMAL, acks=1))
        cleared_at = time.monotonic() - started
        wait_until(lambda: green.state is True)
    finally:
        output.close()

    # Amber: released high at start, driven low (on) at warn, back high (off) at critical.
    assert [state for _, state in _edges(amber)] == [True, False, True]
    assert _edges(amber)[2][0] == pytest.approx(critical_at, abs=LATE)

    # Red blinks from critical to clear: each half period is 0.1 s, and it keeps blinking after the ack.
    red_edges = [(t, s) for t, s in _edges(red)[1:] if t < cleared_at]
    # (The first half-period is shorter: the phase comes from the clock, so every blinking lamp is in step.)
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(red_edges[1:])]
    # The worker thread can be preempted on a loaded machine, which stretches a gap now and then; the blink
    # itself is paced by the clock, so the typical gap is the half period and most gaps are close to it.
    assert len(gaps) >= 8
    assert statistics.median(gaps) == pytest.approx(PERIOD / 2, abs=0.02), gaps
    assert sum(1 for gap in gaps if gap == pytest.approx(PERIOD / 2, abs=0.04)) >= 0.8 * len(gaps), gaps
    assert sum(1 for t, s in red_edges if s and t > acked_at) >= 2  # still blinking while acknowledged

    # The buzzer blinks in step with red until the ack, and is silent from then on.
    buzz_edges = _edges(buzzer)[1:]
    assert sum(1 for _, s in buzz_edges if s) >= 3
    assert all(t <= acked_at + LATE for t, _ in buzz_edges)
    assert buzzer.state is False
    red_rises = [t for t, s in red_edges if s]
    buzz_rises = [t for t, s in buzz_edges if s]
    in_step = [b for b in buzz_rises if min(abs(b - r) for r in red_rises) < 0.02]
    assert len(in_step) >= 0.8 * len(buzz_rises)  # in step (both come from one tick of the clock)

    # Cleared: green on; on close everything went to its safe state (off), the amber relay high again.
    assert _edges(green)[-1][1] is False  # close() switched it off after the test's last look
    assert any(s for _, s in _edges(green))
    assert (red.state, amber.state, green.state, buzzer.state) == (False, True, False, False)
    assert worker.safe_on_close is True


def test_close_leaves_every_output_off_even_mid_blink(factory: MockFactory) -> None:
    """Closing during a blink leaves lamps and buzzer off and releases the pins."""
    settings = _settings()
    worker = DriverWorker(GpioLamps(settings.gpio, blink_period=PERIOD, pin_factory=factory)).start()
    worker.show(LightState(red=LampMode.BLINK, amber=LampMode.ON, green=LampMode.ON, buzzer=LampMode.ON))
    wait_until(lambda: factory.pin(BUZZER).state is True)
    worker.close()
    assert [factory.pin(n).state for n in (RED, GREEN, BUZZER)] == [False, False, False]
    assert factory.pin(AMBER).state is True  # active low relay: high is off
    assert worker.safe_on_close is True


def test_button_press_acknowledges_once_per_bounce_window(factory: MockFactory) -> None:
    """A press calls the board's acknowledge with source "button"; contact bounce within the window is ignored."""
    calls: list[str] = []
    button = AckButton(ButtonSettings(pin=BUTTON, bounce_time=0.2), calls.append, pin_factory=factory)  # type: ignore[arg-type]
    pin = factory.pin(BUTTON)
    try:
        for _ in range(3):  # a bouncy contact: three closures within a few ms
            pin.drive_low()
            pin.drive_high()
        time.sleep(0.25)
        pin.drive_low()
        pin.drive_high()
    finally:
        button.close()
    assert calls == ["button", "button"]


def test_build_signals_wires_the_button_to_acknowledge(factory: MockFactory) -> None:
    """build_signals with a button pin: pressing it reaches the acknowledge callback."""
    calls: list[str] = []
    settings = _settings(button=ButtonSettings(pin=BUTTON))
    output = build_signals(settings, calls.append, pin_factory=factory, sound=RecordingSound())
    try:
        factory.pin(BUTTON).drive_low()
        assert calls == ["button"]
    finally:
        output.close()


def test_missing_gpio_is_retried_not_fatal() -> None:
    """A pin that cannot be claimed (here: already taken) leaves the worker retrying, and close still returns."""
    mock = MockFactory()
    try:
        from gpiozero import LED

        holder = LED(RED, pin_factory=mock)
        worker = DriverWorker(
            GpioLamps(GpioSettings(red=GpioOutputPin(pin=RED)), blink_period=PERIOD, pin_factory=mock), retry=0.05
        ).start()
        wait_until(lambda: worker.failures >= 2)
        assert not worker.connected
        holder.close()
        wait_until(lambda: worker.connected)
        worker.close()
    finally:
        mock.reset()
