"""The benchmark harness: a mosquitto on loopback, the board as its own process, and what it costs.

Nothing here runs at import. ``Broker`` starts a real mosquitto on a free
127.0.0.1 port; ``BoardProcess`` runs ``wallboard run`` headless
(``SDL_VIDEODRIVER=offscreen``) from one of ``bench/configs/`` through a
generated file that ``extends`` it with the broker's port and a private cache
folder, with ``WALLBOARD_FRAME_LOG`` set so the board writes the frame log
(``device/frame_log.py``); ``FrameLogReader`` reads that file as it grows;
``Usage`` samples the board process's CPU time and PSS with psutil.

Unlike ``tests/broker.py`` this does not depend on pytest.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
CONFIG_DIR = BENCH_DIR / "configs"
LOOPBACK = "127.0.0.1"


class BenchError(RuntimeError):
    """The harness could not set up or run a benchmark (broker missing, board died, timed out)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    """Block until something accepts connections on 127.0.0.1:``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), timeout=0.2):
            return
        time.sleep(0.02)
    raise BenchError(f"nothing listening on {LOOPBACK}:{port} after {timeout}s")


def _program(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin")
    if path is None:
        raise BenchError(f"{name} not found: install it with `sudo apt-get install mosquitto mosquitto-clients`")
    return path


class Broker:
    """A mosquitto listening on a free loopback port, with its log in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        config = self.folder / "mosquitto.conf"
        # As root mosquitto would switch to the "mosquitto" user, which cannot read our files.
        config.write_text(
            f"user {getpass.getuser()}\nper_listener_settings true\nlog_dest stderr\nlog_type error\n"
            f"log_type warning\nlistener {self.port} {LOOPBACK}\nallow_anonymous true\n"
        )
        log = (self.folder / "mosquitto.log").open("ab")
        self._process = subprocess.Popen([_program("mosquitto"), "-c", str(config)], stdout=log, stderr=log)
        log.close()
        wait_for_port(self.port)

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None

    def __enter__(self) -> Broker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def board_config(base: str, folder: Path, port: int, *, extra: str = "") -> Path:
    """Write a config that extends ``bench/configs/<base>.toml`` with the broker port and a cache in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{base}.run.toml"
    cache = folder / "cache"
    path.write_text(
        f'extends = "{CONFIG_DIR / (base + ".toml")}"\n\n[mqtt]\nport = {port}\n\n[cache]\ndir = "{cache}"\n{extra}'
    )
    return path


# Where the board draws. Headless: SDL's offscreen driver with its plain window surface (only the dirty
# rectangles are copied). Texture: a real X11 window under Xvfb with SDL_FRAMEBUFFER_ACCELERATION=1,
# so every update uploads the span of its rectangles into a texture and presents the whole texture
# (SDL_UpdateWindowTexture) through Mesa's software GL: the path a Pi's kmsdrm console always takes.
HEADLESS = {"SDL_VIDEODRIVER": "offscreen", "SDL_FRAMEBUFFER_ACCELERATION": "0"}


def texture_screen(display: str) -> dict[str, str]:
    """The environment that puts a board on the texture path, in the X server ``display`` (":N")."""
    return {"SDL_VIDEODRIVER": "x11", "DISPLAY": display, "SDL_FRAMEBUFFER_ACCELERATION": "1",
            "LIBGL_ALWAYS_SOFTWARE": "1"}  # fmt: skip


class VirtualScreen:
    """An Xvfb X server at 1920x1080 on a display number it picks itself (``-displayfd``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.display = ""
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        program = shutil.which("Xvfb")
        if program is None:
            raise BenchError("Xvfb not found: install it with `sudo apt-get install xvfb libgl1-mesa-dri`")
        self.folder.mkdir(parents=True, exist_ok=True)
        read, write = os.pipe()
        log = (self.folder / "xvfb.log").open("ab")
        command = [program, "-displayfd", str(write), "-screen", "0", "1920x1080x24", "-nolisten", "tcp"]
        self._process = subprocess.Popen(command, stdout=log, stderr=log, pass_fds=(write,))
        log.close()
        os.close(write)
        with os.fdopen(read, "rb") as pipe:
            number = pipe.readline().strip()  # Xvfb writes the display number once it accepts clients
        if not number:
            self.stop()
            raise BenchError(f"Xvfb did not start (see {self.folder / 'xvfb.log'})")
        self.display = f":{number.decode()}"

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
            self._process = None

    def __enter__(self) -> VirtualScreen:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class BoardProcess:
    """``wallboard run`` (or ``command``) as its own process, writing a frame log; stopped with SIGTERM.

    ``screen`` is the environment choosing where it draws (``HEADLESS`` or ``texture_screen``);
    ``command`` replaces ``wallboard run`` (the reference board), and gets ``--frame-log`` appended.
    """

    def __init__(self, config: Path | None, folder: Path, *, log_level: str = "WARNING",
                 screen: dict[str, str] | None = None, command: list[str] | None = None) -> None:  # fmt: skip
        self.config = config
        self.folder = folder
        self.frame_log = folder / "frames.log"
        self.stderr = folder / "board.stderr"
        self.log_level = log_level
        self.screen = HEADLESS if screen is None else screen
        self.command = command
        self._process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0

    def start(self) -> None:
        self.frame_log.unlink(missing_ok=True)
        env = dict(os.environ)
        env.update(self.screen)
        env.update(SDL_AUDIODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1", WALLBOARD_FRAME_LOG=str(self.frame_log))
        if self.command is not None:
            command = [*self.command, "--frame-log", str(self.frame_log)]
            env["PYTHONPATH"] = str(REPO_DIR)
        else:
            wallboard = Path(sys.executable).with_name("wallboard")
            command = [str(wallboard), "--log-level", self.log_level, "run", "--config", str(self.config)]
        err = self.stderr.open("ab")
        self.started_at = time.time()
        self._process = subprocess.Popen(command, stdout=err, stderr=err, env=env, cwd=self.folder)
        err.close()

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def check_alive(self) -> None:
        if not self.alive():
            tail = self.stderr.read_text(errors="replace")[-3000:] if self.stderr.exists() else ""
            raise BenchError(f"the board exited early:\n{tail}")

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM (the board flushes its cache and disconnects), then SIGKILL if it hangs; the exit code."""
        if self._process is None:
            return None
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
        code = self._process.returncode
        self._process = None
        return code

    def __enter__(self) -> BoardProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class Tally:
    """One ``T`` line of the frame log."""

    at: float
    passes: int
    frames: int
    accepted: int
    dropped: int
    rejected: int
    metrics: int
    presents: int = 0
    uploaded: int = 0  # bytes the display handed to the screen

    @property
    def absorbed(self) -> int:
        """Messages the board's edge has taken in (one value each in the benchmarks' payloads)."""
        return self.accepted + self.dropped + self.rejected


@dataclass
class Shown:
    """One ``V`` line: ``metric`` measured at ``measured_at`` is on the frame finished at ``frame_at``."""

    frame_at: float
    metric: str
    measured_at: float
    value: float


@dataclass
class FrameLogReader:
    """Reads the board's frame log as it grows (whole lines only)."""

    path: Path
    tallies: list[Tally] = field(default_factory=list)
    shown: list[Shown] = field(default_factory=list)
    _offset: int = 0

    def poll(self) -> None:
        if not self.path.exists():
            return
        with self.path.open("rb") as handle:
            handle.seek(self._offset)
            data = handle.read()
        end = data.rfind(b"\n") + 1
        self._offset += end
        for line in data[:end].decode().splitlines():
            parts = line.split()
            if parts[0] == "T":
                at, *counts = parts[1:]
                self.tallies.append(Tally(float(at), *(int(c) for c in counts)))
            elif parts[0] == "V":
                self.shown.append(Shown(float(parts[1]), parts[2], float(parts[3]), float(parts[4])))

    def wait_for(self, predicate: str, board: BoardProcess, timeout: float) -> None:
        """Poll until ``predicate`` ("frame" or "metrics:N") holds; raise if the board dies or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.poll()
            if predicate == "frame" and self.tallies:
                return
            if predicate.startswith("metrics:") and len({s.metric for s in self.shown}) >= int(predicate[8:]):
                return
            board.check_alive()
            time.sleep(0.05)
        raise BenchError(f"timed out after {timeout}s waiting for {predicate} in {self.path}")


@dataclass(frozen=True)
class UsageSample:
    """The board process's CPU seconds (user + system) and PSS at one moment."""

    at: float
    cpu_seconds: float
    pss_bytes: int
    rss_bytes: int
    main_wakeups: int = 0  # the main thread's voluntary context switches: each is a sleep, i.e. a wake-up after it


class Usage:
    """Samples a process's CPU time and memory (PSS needs /proc/<pid>/smaps_rollup: our own processes)."""

    def __init__(self, pid: int) -> None:
        self._process = psutil.Process(pid)
        self._main_status = Path(f"/proc/{pid}/task/{pid}/status")

    def sample(self) -> UsageSample:
        with self._process.oneshot():
            times = self._process.cpu_times()
            memory = self._process.memory_full_info()
        switches = 0
        with contextlib.suppress(OSError):
            for line in self._main_status.read_text().splitlines():
                if line.startswith("voluntary_ctxt_switches:"):
                    switches = int(line.split()[1])
        return UsageSample(time.monotonic(), times.user + times.system, memory.pss, memory.rss, switches)


def cpu_percent(first: UsageSample, last: UsageSample) -> float:
    """CPU between two samples as a percentage of one core."""
    return 100.0 * (last.cpu_seconds - first.cpu_seconds) / max(1e-9, last.at - first.at)


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile (0..1) by nearest rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[rank]


def machine() -> dict[str, object]:
    """The machine the figures come from: cores, CPU model, memory, OS, Python."""
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_mb": round(psutil.virtual_memory().total / 2**20),
        "kernel": os.uname().release,
        "python": sys.version.split()[0],
        "date": time.strftime("%Y-%m-%d"),
    }
