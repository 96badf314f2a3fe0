"""The Pico firmware run on the host against a pty, with stand-ins for ``machine`` and ``neopixel``.

The host side is the real backend (DriverWorker + BridgeLink) opening the pty
as its serial port, so these tests cover the whole link: VER?, SET, acks,
heartbeats, SAFE at close, and the firmware's own failsafe when the host hangs.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import tty
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.helpers import wait_until
from tests.signal_fakes import FakeNeoPixel, firmware_modules, view
from wallboard import firmware_bridge as firmware_bridge_package
from wallboard.device.config.signals_schema import BridgeSettings, SignalSettings
from wallboard.device.core.rules import Severity
from wallboard.firmware_bridge.drivers.bridge import BridgeLink
from wallboard.firmware_bridge.fakes import RecordingSound
from wallboard.firmware_bridge.lights import LampMode, LightState
from wallboard.firmware_bridge.signals import SignalOutput
from wallboard.firmware_bridge.worker import DriverWorker

FIRMWARE = Path(firmware_bridge_package.__file__).parent / "firmware"
FAILSAFE_MS = 600
RED, AMBER, GREEN, DARK = (127, 0, 0), (127, 55, 0), (0, 127, 0), (0, 0, 0)


@dataclass
class RunningFirmware:
    """The firmware loop on a thread, serving the master side of a pty."""

    port: str
    pixels: FakeNeoPixel
    sent: list[bytes]
    stop: threading.Event
    thread: threading.Thread

    def colours_since(self, since: float) -> list[tuple[tuple[int, int, int], ...]]:
        return [pixels for at, pixels in list(self.pixels.writes) if at >= since]

    def events(self) -> list[bytes]:
        return [line for line in list(self.sent) if b" EVT " in line]


@pytest.fixture
def pico(tmp_path: Path) -> Iterator[RunningFirmware]:
    """The bridge firmware running against a pty; the host opens the pty's other end as its serial port."""
    machine, neopixel, bridge_app = firmware_modules(FIRMWARE)
    master, slave = os.openpty()
    tty.setraw(slave)  # a USB CDC port has no line discipline: no echo of the firmware's own frames
    os.set_blocking(master, False)
    port = os.ttyname(slave)
    sent: list[bytes] = []
    stop = threading.Event()

    def read() -> bytes:
        try:
            return os.read(master, 256)
        except (BlockingIOError, OSError):  # nothing waiting, or no host has the port open (EIO)
            return b""

    def write(data: bytes) -> None:
        sent.append(data)
        with contextlib.suppress(OSError):
            os.write(master, data)

    FakeNeoPixel.instances.clear()
    thread = threading.Thread(
        target=bridge_app.run,
        kwargs={
            "read": read,
            "write": write,
            "machine": machine,
            "neopixel": neopixel,
            "now": lambda: int(time.monotonic() * 1000) & (bridge_app.bridge_protocol.TICKS_PERIOD - 1),
            "diff": bridge_app.bridge_protocol.ticks_diff,
            "add": bridge_app.bridge_protocol.ticks_add,
            "sleep_ms": lambda ms: time.sleep(ms / 1000),
            "keep_going": lambda: not stop.is_set(),
            "failsafe_ms": FAILSAFE_MS,
        },
        daemon=True,
    )
    thread.start()
    while not FakeNeoPixel.instances:
        time.sleep(0.001)
    # Our own slave fd was only needed for the name; closing it lets the firmware see the host's hang-ups.
    os.close(slave)
    running = RunningFirmware(port, FakeNeoPixel.instances[0], sent, stop, thread)
    try:
        yield running
    finally:
        stop.set()
        thread.join(5)
        os.close(master)


def _host(port: str, **settings: Any) -> DriverWorker:
    bridge = BridgeSettings(port=port, heartbeat=0.2, reply_timeout=1.0, **settings)  # type: ignore[arg-type]
    return DriverWorker(BridgeLink(bridge, blink_period=0.4), retry=0.1).start()


def test_host_drives_the_firmware_lamps_and_leaves_them_dark_on_close(pico: RunningFirmware) -> None:
    """VER? on connect, red blinking at critical, green at normal; SAFE on close: dark, and no failsafe later."""
    worker = _host(pico.port)
    output = SignalOutput(SignalSettings(backend="bridge", blink_period=0.4), worker, RecordingSound(), startup_quiet=0)  # type: ignore[arg-type]
    try:
        wait_until(lambda: worker.connected)
        driver = worker.driver
        assert isinstance(driver, BridgeLink) and (driver.firmware, driver.protocol) == ("2.0.0", "2")
        report = output.health_report()
        assert report["lamps"]["connected"] is True and report["lamps"]["protocol"] == "2"  # type: ignore[index]
        started = time.monotonic()
        output.render(view(Severity.CRITICAL))
        wait_until(
            lambda: (
                (RED, DARK, DARK) in pico.colours_since(started) and (DARK, DARK, DARK) in pico.colours_since(started)
            )
        )
        switched = time.monotonic()
        output.render(view(Severity.NORMAL))
        wait_until(lambda: pico.pixels.pixels == [DARK, DARK, GREEN])
        time.sleep(0.5)  # heartbeats keep the failsafe away for longer than its 600 ms
        assert all(p == (DARK, DARK, GREEN) for p in pico.colours_since(switched + 0.1))
    finally:
        output.close()
    assert worker.safe_on_close is True
    assert pico.pixels.pixels == [DARK, DARK, DARK]
    time.sleep(FAILSAFE_MS / 1000 * 2)
    assert pico.pixels.pixels == [DARK, DARK, DARK]
    assert not any(b"FAILSAFE" in line for line in pico.events())


def test_firmware_shows_its_failsafe_when_the_host_hangs_and_recovers_after(pico: RunningFirmware) -> None:
    """The host's worker hangs (no heartbeat): within ~600 ms the Pico alternates red and amber on its own."""
    worker = _host(pico.port)
    hang = threading.Event()
    try:
        wait_until(lambda: worker.connected)
        worker.show(LightState(green=LampMode.ON))
        wait_until(lambda: pico.pixels.pixels == [DARK, DARK, GREEN])
        driver = worker.driver
        real_tick = driver.tick

        def hung_tick(now: float) -> float:
            while hang.is_set():  # the host is stuck: no frames at all
                time.sleep(0.01)
            return real_tick(now)

        hang.set()
        driver.tick = hung_tick  # type: ignore[method-assign]
        hung_at = time.monotonic()
        wait_until(lambda: any(b"EVT FAILSAFE" in line for line in pico.events()), timeout=3)
        failsafe_after = time.monotonic() - hung_at
        # Red and amber alternate, every half second.
        wait_until(lambda: {(RED, DARK, DARK), (DARK, AMBER, DARK)} <= set(pico.colours_since(hung_at)), timeout=3)
        shown = pico.colours_since(hung_at)
        assert all(pixels[2] == DARK for pixels in shown[1:])  # never green while the host is gone
        # Counted from the last frame the Pico heard, which came up to one heartbeat (0.2 s) before the hang.
        assert FAILSAFE_MS / 1000 - 0.2 <= failsafe_after < FAILSAFE_MS / 1000 + 0.3
        print(
            f"\nfailsafe shown {failsafe_after:.2f}s after the host hung (failsafe {FAILSAFE_MS} ms, heartbeat 0.2 s)"
        )

        hang.clear()  # the host comes back: its next heartbeat ends the failsafe
        wait_until(lambda: pico.pixels.pixels == [DARK, DARK, GREEN])
    finally:
        hang.clear()
        worker.close()


def test_bridge_that_does_not_answer_is_not_connected(tmp_path: Path) -> None:
    """A port where nothing answers VER? is retried, never treated as connected."""
    master, slave = os.openpty()
    try:
        worker = DriverWorker(
            BridgeLink(BridgeSettings(port=os.ttyname(slave), reply_timeout=0.2), blink_period=1.0),  # type: ignore[arg-type]
            retry=0.05,
        ).start()
        wait_until(lambda: worker.failures >= 2)
        assert worker.connects == 0
        worker.close()
    finally:
        os.close(master)
        os.close(slave)


def test_firmware_module_has_no_side_effects_at_import() -> None:
    """Importing the firmware's modules on the host opens nothing and starts nothing."""
    threads = threading.active_count()
    bridge_app = firmware_modules(FIRMWARE)[2]
    assert isinstance(bridge_app, ModuleType) and callable(bridge_app.main)
    assert threading.active_count() == threads
    assert not FakeNeoPixel.instances or all(p.writes for p in FakeNeoPixel.instances)


def test_a_bridge_speaking_another_protocol_is_refused_and_the_status_says_why(
    pico: RunningFirmware, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Firmware answering VER with protocol 3 is never driven; the signals' report names both versions."""
    bridge_app = firmware_modules(FIRMWARE)[2]
    monkeypatch.setattr(bridge_app.bridge_protocol, "PROTOCOL_VERSION", 3)
    worker = _host(pico.port)
    output = SignalOutput(SignalSettings(backend="bridge"), worker, RecordingSound(), startup_quiet=0)
    try:
        wait_until(lambda: worker.failures >= 2)
        assert worker.connects == 0
        report = output.health_report()
        lamps = report["lamps"]
        assert isinstance(lamps, dict) and lamps["connected"] is False and lamps["protocol"] == "3"
        assert "speaks protocol 3, this board speaks 2" in str(lamps["refused"])
        assert "speaks protocol 3" in str(lamps["last_problem"])
        output.render(view(Severity.CRITICAL))
        time.sleep(0.3)
        assert not any(b" ACK" in line for line in pico.sent)  # it only ever answered VER?: nothing was driven
        assert pico.pixels.pixels == [DARK, DARK, DARK]
    finally:
        output.close()


class _FakeWatchdog:
    """Stands in for machine.WDT: counts feeds."""

    def __init__(self, timeout: int = 0) -> None:
        self.timeout = timeout
        self.feeds = 0

    def feed(self) -> None:
        self.feeds += 1


def test_the_watchdog_is_fed_after_clean_passes_and_starved_when_every_pass_fails() -> None:
    """A pass that raises is counted and reported (EVT FAULT, once a second), and does not feed the watchdog."""
    machine, neopixel, bridge_app = firmware_modules(FIRMWARE)
    FakeNeoPixel.instances.clear()
    clock = {"ms": 0}
    passes = {"n": 0}
    sent: list[bytes] = []
    watchdog = _FakeWatchdog()
    fed_when_broken: list[int] = []

    def keep_going() -> bool:
        passes["n"] += 1
        clock["ms"] += 5
        if passes["n"] == 100:  # the LED strip breaks: every write raises from now on
            fed_when_broken.append(watchdog.feeds)
            FakeNeoPixel.instances[0].write = _raise_oserror  # type: ignore[method-assign]
        return passes["n"] <= 700

    with pytest.raises(OSError):  # the final lamps-off write fails too: the strip is broken
        bridge_app.run(
            read=lambda: b"",
            write=sent.append,
            machine=machine,
            neopixel=neopixel,
            now=lambda: clock["ms"],
            sleep_ms=lambda ms: None,
            keep_going=keep_going,
            failsafe_ms=600,  # no host: the failsafe at 600 ms changes the lamps, and the broken strip raises
            watchdog=watchdog,
        )
    # Fed on every pass until the failsafe (pass 121, 605 ms) made the first write to the broken strip.
    assert fed_when_broken == [99] and watchdog.feeds == 120
    faults = [line for line in sent if b"EVT FAULT" in line]
    # 580 failing passes in 2.9 s: reported at once, then at most once a second, each with the running count.
    assert [line.split(b"*")[0] for line in faults] == [
        b"-- EVT FAULT 1 OSError",
        b"-- EVT FAULT 201 OSError",
        b"-- EVT FAULT 401 OSError",
    ]


def _raise_oserror() -> None:
    raise OSError(5, "LED strip not answering")


def test_ctrl_c_hands_a_started_watchdog_to_a_timer_so_the_repl_survives(monkeypatch: pytest.MonkeyPatch) -> None:
    """After Ctrl-C (mpremote) a timer feeds the watchdog, which cannot be stopped, and the interrupt goes on."""
    machine, neopixel, bridge_app = firmware_modules(FIRMWARE)
    timers: list[Any] = []
    watchdogs: list[_FakeWatchdog] = []

    def make_watchdog(timeout: int) -> _FakeWatchdog:
        watchdogs.append(_FakeWatchdog(timeout))
        return watchdogs[-1]

    monkeypatch.setattr(machine, "WDT", make_watchdog, raising=False)
    monkeypatch.setattr(machine, "Timer", lambda **kwargs: timers.append(kwargs), raising=False)

    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(bridge_app, "run", interrupted)
    read_end, write_end = os.pipe()
    with open(read_end) as stdin, open(write_end, "w"):
        monkeypatch.setattr("sys.stdin", stdin)
        with pytest.raises(KeyboardInterrupt):
            bridge_app.main(machine, neopixel)
    assert watchdogs[0].timeout == bridge_app.WATCHDOG_MS
    assert len(timers) == 1 and timers[0]["period"] < bridge_app.WATCHDOG_MS
    timers[0]["callback"](None)
    assert watchdogs[0].feeds == 1
