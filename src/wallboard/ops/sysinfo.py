"""The machine's own figures for the health status: process CPU and memory, SoC temperature, disk.

Temperature is read from the kernel's thermal zones
(``/sys/class/thermal/thermal_zone*/temp``), falling back to hwmon
(``/sys/class/hwmon/hwmon*/temp*_input``), not from ``vcgencmd
measure_temp``: on a Pi the thermal zone *is* the SoC sensor vcgencmd
reports, but reading a sysfs file costs no fork (which matters every 30 s on
a Zero 2 W), needs no access to ``/dev/vcio`` (which the service's
``DevicePolicy=closed`` sandbox does not grant and the ``video`` group would
otherwise be needed for), and works the same on a development PC. The sysfs
root is a parameter so tests read a fake tree under ``tmp_path``.

Every reading is best effort: a figure that cannot be read is ``None``, never
an exception. Nothing here publishes or logs on a hot path.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import psutil

# Thermal zone types that are the SoC (Pi: "cpu-thermal"; x86: "x86_pkg_temp"; many ARM boards "soc-thermal").
_CPU_ZONE_HINTS = ("cpu", "soc", "x86_pkg", "package")


@dataclass(frozen=True)
class Temperature:
    """One temperature reading and where it came from (e.g. ``thermal_zone0:cpu-thermal``)."""

    celsius: float
    source: str


def read_temperature(sysfs: Path = Path("/sys")) -> Temperature | None:
    """The SoC temperature from thermal zones (a CPU zone preferred), else hwmon; None if there is none."""
    zones: list[Temperature] = []
    for zone in sorted((sysfs / "class" / "thermal").glob("thermal_zone*")):
        celsius = _millidegrees(zone / "temp")
        if celsius is not None:
            kind = _read_text(zone / "type") or "unknown"
            zones.append(Temperature(celsius, f"{zone.name}:{kind}"))
    for reading in zones:
        if any(hint in reading.source.partition(":")[2].lower() for hint in _CPU_ZONE_HINTS):
            return reading
    if zones:
        return zones[0]
    for chip in sorted((sysfs / "class" / "hwmon").glob("hwmon*")):
        for sensor in sorted(chip.glob("temp*_input")):
            celsius = _millidegrees(sensor)
            if celsius is not None:
                return Temperature(celsius, f"{chip.name}:{_read_text(chip / 'name') or 'unknown'}")
    return None


def _millidegrees(path: Path) -> float | None:
    text = _read_text(path)
    try:
        value = int(text) if text is not None else None
    except ValueError:
        return None
    # Some drivers report -273000 or absurd values for an absent sensor.
    if value is None or not -40_000 <= value <= 150_000:
        return None
    return round(value / 1000.0, 1)


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None


@dataclass(frozen=True)
class ProcessFigures:
    """CPU and memory of the board's own process, and the machine's memory."""

    cpu_pct: float | None  # of one core, since the previous sample
    system_cpu_pct: float | None  # all cores, since the previous sample
    rss_bytes: int | None
    pss_bytes: int | None  # proportional share (shared libraries split): the honest figure on Linux
    system_available_bytes: int | None
    system_used_pct: float | None


class ProcessSampler:
    """Samples this process without blocking: CPU percentages are since the previous call."""

    def __init__(self) -> None:
        self._process = psutil.Process(os.getpid())
        # The first cpu_percent call only starts the interval; prime it so the first report has a figure.
        self._process.cpu_percent(interval=None)
        psutil.cpu_percent(interval=None)

    def sample(self) -> ProcessFigures:
        try:
            cpu: float | None = round(self._process.cpu_percent(interval=None), 1)
        except psutil.Error:
            cpu = None
        rss = pss = None
        try:
            full = self._process.memory_full_info()  # reads smaps_rollup: PSS on Linux
            rss = int(full.rss)
            pss = int(full.pss) if hasattr(full, "pss") else None
        except (psutil.Error, OSError):
            try:
                rss = int(self._process.memory_info().rss)
            except psutil.Error:
                rss = None
        try:
            memory = psutil.virtual_memory()
            available: int | None = int(memory.available)
            used_pct: float | None = round(float(memory.percent), 1)
        except (psutil.Error, OSError):
            available = used_pct = None
        try:
            system_cpu: float | None = round(psutil.cpu_percent(interval=None), 1)
        except (psutil.Error, OSError):
            system_cpu = None
        return ProcessFigures(cpu, system_cpu, rss, pss, available, used_pct)


@dataclass(frozen=True)
class DiskFigures:
    """Space on the file system that holds the cache (an SD card that fills up ends a board)."""

    path: str
    free_bytes: int
    used_pct: float


def read_disk(path: Path) -> DiskFigures | None:
    """Space where ``path`` lives (its nearest existing parent); None if it cannot be read."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        usage = shutil.disk_usage(probe)
    except OSError:
        return None
    used_pct = 100.0 * (usage.total - usage.free) / usage.total if usage.total else 0.0
    return DiskFigures(str(path), int(usage.free), round(used_pct, 1))
