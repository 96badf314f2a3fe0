"""Health telemetry: the board's retained status document on ``wallboard/<site>/<board>/status``.

``HealthPublisher`` is an output: on the main thread it builds the versioned
status document (format in ``docs/status-format.md``) and publishes it,
retained, every ``[health] interval`` and at once when the alarm state, the
broker connection or a remote config's outcome changes. It never runs on
paho's thread: the connect callback only wakes the loop, which sees the link
come up and publishes. The broker's copy of the will (``"status": "offline"``)
is replaced by the next online document.

It must not change the board: it reads the view, the board's counters and the
machine's figures (``device.sysinfo``) and publishes; nothing else.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import msgspec

from device import __version__
from device.cache import default_state_dir
from device.screenshot import find_display
from device.state import LinkStatus
from device.sysinfo import ProcessSampler, read_disk, read_temperature

if TYPE_CHECKING:
    from device.app import Board, BoardView

log = logging.getLogger(__name__)

# Bump when a field changes meaning or goes away; adding a field does not bump it.
STATUS_SCHEMA = 1


@runtime_checkable
class ReportsHealth(Protocol):
    """An output (a signal backend, say) that has something to say in the status, as JSON-able values."""

    def health_report(self) -> Mapping[str, object]: ...


class HealthPublisher:
    """An output that publishes the board's health status (retained) on a timer and on change."""

    publishes_status = True  # tells Board not to publish its own minimal status on connect

    def __init__(self, board: Board) -> None:
        self._board = board
        self._sampler = ProcessSampler()
        self._hostname = socket.gethostname()
        self._next_due = float("-inf")
        self._last_key: tuple[object, ...] | None = None
        self.published = 0
        self.last_document: dict[str, object] | None = None

    def render(self, view: BoardView) -> float:
        interval = float(view.config.health.interval)
        link = view.state.link.status
        board = self._board
        key = (view.assessment.board, view.assessment.blind, link, board.config_outcome, board.loaded.checksum)
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
        if self._board.source.publish(self._board.status_topic, payload, retain=True, qos=1):
            self.published += 1
        self.last_document = document

    def document(self, view: BoardView) -> dict[str, object]:
        """The status document for this moment (schema ``STATUS_SCHEMA``)."""
        board, config, state = self._board, view.config, view.state
        figures = self._sampler.sample()
        temperature = read_temperature(Path(config.health.sysfs))
        disk = read_disk(Path(config.cache.dir).expanduser() if config.cache.dir else default_state_dir())
        display = find_display(board.outputs)
        age = state.data_age(view.wall_now)
        stale_metrics = sum(1 for key, _ in state.metrics() if state.is_stale(key, view.wall_now))
        metrics = sum(1 for _ in state.metrics())
        rejected = dict(view.rejections)
        outcome = board.config_outcome
        return {
            "schema": STATUS_SCHEMA,
            "status": "online",
            "site": config.site.id,
            "board": config.board.id,
            "name": config.board.name,
            "host": self._hostname,
            "version": __version__,
            "config_checksum": board.loaded.checksum,
            "published_at": round(view.wall_now, 3),
            "interval_s": float(config.health.interval),
            "started_at": round(board.started_at, 3),
            "uptime_s": round(max(0.0, view.wall_now - board.started_at), 1),
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
                "broker": board.source.address,
            },
            "data": {
                "newest_age_s": None if age is None else round(age, 1),
                "stale": age is None or age > float(config.default_stale_after) or metrics == stale_metrics,
                "metrics": metrics,
                "stale_metrics": stale_metrics,
            },
            "alarm": {
                "state": view.assessment.board.label,
                "blind": view.assessment.blind,
                "acknowledgements": state.acknowledgements,
            },
            "rejected": rejected,
            "rejected_total": sum(rejected.values()),
            "handoff": {
                "accepted": view.handoff.accepted,
                "coalesced": view.handoff.coalesced,
                "dropped_full": view.handoff.dropped_full,
                "dropped_older": view.handoff.dropped_older,
            },
            "outputs": _output_reports(board.outputs),
            "remote_config": None if outcome is None else outcome.as_status(),
        }

    def close(self) -> None:
        return None  # Board publishes the offline status as it disconnects


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
