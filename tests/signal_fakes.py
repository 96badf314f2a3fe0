"""Test stand-ins for the signals: a serial device on a pty that can be unplugged, a board view, firmware fakes."""

from __future__ import annotations

import contextlib
import os
import select
import sys
import time
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from wallboard.device.core.rules import Assessment, Severity


class PtyDevice:
    """A serial device at a stable path (a symlink, like /dev/serial/by-id) that can be unplugged and replugged."""

    def __init__(self, folder: Path, name: str = "ttyTEST") -> None:
        self.path = folder / name
        self.master: int | None = None
        self._slave: int | None = None
        self.plug()

    def plug(self) -> None:
        """A fresh pty behind the same path (a device plugged in again gets a new node too)."""
        self.master, self._slave = os.openpty()
        os.set_blocking(self.master, False)
        target = os.ttyname(self._slave)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self.path.symlink_to(target)

    def unplug(self) -> None:
        """Close our ends: the host's open port hangs up and the node goes away."""
        for fd in (self.master, self._slave):
            if fd is not None:
                os.close(fd)
        self.master = self._slave = None

    def fill(self) -> int:
        """Fill the device's input buffer so the host's next write blocks (nobody reads)."""
        assert self._slave is not None
        import tty

        tty.setraw(self._slave)
        os.set_blocking(self._slave, False)
        written = 0
        # The kernel moves pty data between its buffers in the background, so room can reappear
        # after a first BlockingIOError (more so on a loaded machine): fill until a pause adds nothing.
        quiet_rounds = 0
        while quiet_rounds < 3:
            before = written
            with contextlib.suppress(BlockingIOError):
                while True:
                    written += os.write(self._slave, b"\0" * 256)
            quiet_rounds = quiet_rounds + 1 if written == before else 0
            time.sleep(0.05)
        return written

    def read(self, count: int, timeout: float = 5.0) -> bytes:
        """Read exactly ``count`` bytes the host wrote, or fail after ``timeout``."""
        assert self.master is not None
        data = b""
        deadline = time.monotonic() + timeout
        while len(data) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"expected {count} bytes, got {data!r}")
            select.select([self.master], [], [], left)
            with contextlib.suppress(BlockingIOError):
                data += os.read(self.master, count - len(data))
        return data

    def drain(self) -> bytes:
        """Everything waiting, without waiting."""
        assert self.master is not None
        data = b""
        with contextlib.suppress(BlockingIOError):
            while chunk := os.read(self.master, 65536):
                data += chunk
        return data

    def quiet(self, seconds: float) -> bytes:
        """Whatever arrives within ``seconds`` (expected: nothing)."""
        deadline = time.monotonic() + seconds
        data = b""
        while time.monotonic() < deadline:
            data += self.drain()
            time.sleep(0.02)
        return data

    def close(self) -> None:
        self.unplug()


@dataclass
class FakeBoardState:
    acknowledgements: int = 0


@dataclass
class FakeView:
    """What ``SignalOutput.render`` reads from a ``BoardView``."""

    assessment: Assessment = field(default_factory=Assessment)
    state: FakeBoardState = field(default_factory=FakeBoardState)
    now: float = 0.0


def view(severity: Severity, *, acks: int = 0, now: float | None = None, blind: bool = False) -> Any:
    """A board view at ``severity`` with ``acks`` acknowledgements so far."""
    return FakeView(Assessment({}, severity, blind), FakeBoardState(acks), time.monotonic() if now is None else now)


# ------------------------------------------------------------------ firmware


class FakeNeoPixel:
    """Stands in for MicroPython's neopixel.NeoPixel: records every write with its time."""

    instances: ClassVar[list[FakeNeoPixel]] = []

    def __init__(self, pin: Any, count: int) -> None:
        self.pixels = [(0, 0, 0)] * count
        self.writes: list[tuple[float, tuple[tuple[int, int, int], ...]]] = []
        FakeNeoPixel.instances.append(self)

    def __setitem__(self, index: int, colour: tuple[int, int, int]) -> None:
        self.pixels[index] = colour

    def write(self) -> None:
        self.writes.append((time.monotonic(), tuple(self.pixels)))


class FakePin:
    OUT = 1
    IN = 0
    PULL_UP = 2

    def __init__(self, number: int, mode: int | None = None, pull: int | None = None) -> None:
        self.number = number
        self.level = 1  # a button to ground reads high until pressed

    def value(self) -> int:
        return self.level


class FakePWM:
    def __init__(self, pin: FakePin) -> None:
        self.duty = 0
        self.duties: list[int] = []

    def freq(self, hz: int) -> None:
        self.hz = hz

    def duty_u16(self, duty: int) -> None:
        self.duty = duty
        self.duties.append(duty)


def firmware_modules(firmware_dir: Path) -> tuple[types.ModuleType, types.ModuleType, types.ModuleType]:
    """Fake ``machine`` and ``neopixel`` modules, and the firmware's bridge_app loaded on the host."""
    machine = types.ModuleType("machine")
    machine.Pin = FakePin  # type: ignore[attr-defined]
    machine.PWM = FakePWM  # type: ignore[attr-defined]
    neopixel = types.ModuleType("neopixel")
    neopixel.NeoPixel = FakeNeoPixel  # type: ignore[attr-defined]
    if str(firmware_dir) not in sys.path:
        sys.path.insert(0, str(firmware_dir))
    import bridge_app  # type: ignore[import-not-found]

    return machine, neopixel, bridge_app
