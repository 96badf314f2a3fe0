"""Health telemetry: the board's retained status document on ``wallboard/<site>/<board>/status``.

``HealthPublisher`` is an output: on the main thread it builds the versioned
status document (format in ``docs/status-format.md``) and publishes it,
retained, every ``[health] interval`` and at once when the alarm state, the
broker connection or a remote config's outcome changes. The machine's figures
(CPU, memory, temperature, disk) are sampled once per interval, not on each
of those changes: reading PSS walks the process's page tables (~3.5 ms for a
1080p board here), which an alarm that flaps would otherwise pay each time.
It never runs on paho's thread: the connect callback only wakes the loop,
which sees the link come up and publishes. The broker's copy of the will (``"status": "offline"``)
is replaced by the next online document.

It must not change the board: it reads the view, the board's counters and the
machine's figures (``ops.sysinfo``) and publishes; nothing else. The ``display`` section comes from the
``ScreenHealth`` port: a dark screen is reported, never hidden behind a healthy-looking status.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterable, Sequence
from pathlib import Path

import msgspec

from wallboard.device.core.values import LinkChange, LinkStatus
from wallboard.device.core.verdict import tally, watched_metrics
from wallboard.device.core.view import BoardView, Publisher, ReportsHealth, ScreenReport, find_screen
from wallboard.device.edge.cache import default_state_dir
from wallboard.device.wire.topics import BoardTopics
from wallboard.ops.screenshot import find_display
from wallboard.ops.status import presence
from wallboard.ops.sysinfo import (
    DiskFigures,
    ProcessFigures,
    ProcessSampler,
    Temperature,
    read_disk,
    read_temperature,
)

log = logging.getLogger(__name__)


class HealthPublisher:
    """An output that publishes the board's health status (retained) on a timer and on change."""

    publishes_status = True  # tells Board not to publish its own minimal status on connect

    def __init__(self, publisher: Publisher, topics: BoardTopics, outputs: Sequence[object]) -> None:
        """Publish through ``publisher`` on ``topics.status``; ``outputs`` are probed for a display and reports."""
        self._publisher = publisher
        self._topic = topics.status
        self._outputs = outputs
        self._sampler = ProcessSampler()
        self._hostname = socket.gethostname()
        self._next_due = float("-inf")
        self._last_key: tuple[object, ...] | None = None
        self.published = 0
        self.last_document: dict[str, object] | None = None
        self._frames_before: int | None = None  # the screen's frame count at the last document
        # The machine's figures and when (``view.now``) they were sampled: reused until an interval has passed.
        self._machine: tuple[ProcessFigures, Temperature | None, DiskFigures | None] | None = None
        self._machine_at = float("-inf")

    def render(self, view: BoardView) -> float:
        interval = float(view.config.health.interval)
        link = view.state.link.status
        key = (
            view.assessment.board,
            view.assessment.blind,
            link,
            view.config_outcome,
            view.config_checksum,
            view.cache_condition,
        )
        if link is not LinkStatus.UP:
            self._last_key = None  # publish as soon as the link is back; paho would only queue it now
            return interval
        if key != self._last_key or view.now >= self._next_due:
            self.publish(view)
            self._last_key = key
            self._next_due = view.now + interval
        return max(0.0, self._next_due - view.now)

    def publish(self, view: BoardView) -> None:
        document = self.document(view)
        payload = msgspec.json.encode(document)
        if self._publisher.publish(self._topic, payload, retain=True, qos=1):
            self.published += 1
        self.last_document = document

    def document(self, view: BoardView) -> dict[str, object]:
        """The status document for this moment (schema ``STATUS_SCHEMA``)."""
        config, state = view.config, view.state
        figures, temperature, disk = self._machine_figures(view)
        display = find_display(self._outputs)
        age = state.data_age(view.wall_now)
        stale_metrics = sum(1 for key, _ in state.metrics() if state.is_stale(key, view.wall_now))
        metrics = sum(1 for _ in state.metrics())
        rejected = dict(view.rejections)
        outcome = view.config_outcome
        watched = tally(state, config, watched_metrics(config), view.wall_now)
        return presence(config, view.config_checksum, online=True, started_at=view.started_at) | {
            "name": config.board.name,
            "host": self._hostname,
            "published_at": round(view.wall_now, 3),
            "interval_s": float(config.health.interval),
            "uptime_s": round(max(0.0, view.wall_now - view.started_at), 1),
            "cpu_pct": figures.cpu_pct,
            "system_cpu_pct": figures.system_cpu_pct,
            "memory": {
                "rss_bytes": figures.rss_bytes,
                "pss_bytes": figures.pss_bytes,
                "system_available_bytes": figures.system_available_bytes,
                "system_used_pct": figures.system_used_pct,
            },
            "temperature_c": temperature.celsius if temperature else None,
            "temperature_source": temperature.source if temperature else None,
            "hot": bool(temperature and temperature.celsius >= config.health.hot_celsius),
            "disk": None
            if disk is None
            else {"path": disk.path, "free_bytes": disk.free_bytes, "used_pct": disk.used_pct},
            "fps": None if display is None else round(float(display.fps), 2),
            "frames_drawn": None if display is None else int(display.frames_drawn),
            "connection": {
                "state": state.link.status.value,
                "since": round(state.link.at, 3),
                "detail": state.link.detail,
                "broker": self._publisher.address,
                "last_failure": _last_failure(state.link_log),
            },
            "data": {
                "newest_age_s": None if age is None else round(age, 1),
                "stale": age is None or age > float(config.default_stale_after) or metrics == stale_metrics,
                "metrics": metrics,
                "stale_metrics": stale_metrics,
                "arrived_stale": view.late.count,
                "arrived_stale_last": view.late.last,
                # The core's verdicts on the metrics this board shows or judges (device.core.verdict).
                "not_received": list(watched.not_received),
                "not_supplied": list(watched.not_supplied),
            },
            "alarm": {
                "state": view.assessment.board.label,
                "blind": view.assessment.blind,
                "acknowledgements": state.acknowledgements,
                # The alarm level acknowledged now (the screen says ACK, the chime is quiet); None if none.
                "acknowledged": None if view.acknowledged is None else view.acknowledged.label,
            },
            "rejected": rejected,
            "rejected_total": sum(rejected.values()),
            "handoff": {
                "accepted": view.handoff.accepted,
                "coalesced": view.handoff.coalesced,
                "dropped_full": view.handoff.dropped_full,
                "dropped_older": view.handoff.dropped_older,
            },
            "display": self._display_section(),
            "cache": view.cache_condition,
            "outputs": _output_reports(self._outputs),
            "remote_config": None if outcome is None else outcome.as_status(),
        }

    def _machine_figures(self, view: BoardView) -> tuple[ProcessFigures, Temperature | None, DiskFigures | None]:
        """CPU, memory, temperature and disk: sampled again once an interval has passed since the last sample."""
        config = view.config
        if self._machine is None or view.now - self._machine_at >= float(config.health.interval):
            disk_dir = Path(config.cache.dir).expanduser() if config.cache.dir else default_state_dir()
            self._machine = (self._sampler.sample(), read_temperature(Path(config.health.sysfs)), read_disk(disk_dir))
            self._machine_at = view.now
        return self._machine

    def _display_section(self) -> dict[str, object] | None:
        """The screen's driver, renderer, resolution, state, frames drawn since the last document, safe path and
        failed presents."""
        screen = find_screen(self._outputs)
        if screen is None:
            return None
        report: ScreenReport = screen.screen_report()
        before, self._frames_before = self._frames_before, report.frames_drawn
        return {
            "driver": report.driver,
            "renderer": report.renderer,
            "resolution": None if report.resolution is None else "{}x{}".format(*report.resolution),
            "state": report.state,
            "showing": report.showing,
            "frames_last_interval": None if before is None else report.frames_drawn - before,
            "safe_mode": report.safe_mode,
            "dark_renderers": list(report.dark_renderers),
            "present_errors": report.present_errors,
            "last_present_error": report.last_present_error,
        }

    def close(self) -> None:
        return None  # Board publishes the offline status as it disconnects


def _last_failure(changes: Iterable[LinkChange]) -> dict[str, object] | None:
    """The last time the link went down and why (refused, host not found, TLS, not authorised, timed out)."""
    downs = [change for change in changes if change.status is LinkStatus.DOWN and change.detail]
    if not downs:
        return None
    return {"at": round(downs[-1].at, 3), "cause": downs[-1].detail}


def _output_reports(outputs: Iterable[object]) -> dict[str, object]:
    """What outputs that report health (signal backends) say, by output name; a failing report says so."""
    reports: dict[str, object] = {}
    for output in outputs:
        if isinstance(output, ReportsHealth):
            name = str(getattr(output, "health_name", type(output).__name__))
            try:
                reports[name] = dict(output.health_report())
            except Exception as exc:
                reports[name] = {"error": repr(exc)[:200]}
    return reports
