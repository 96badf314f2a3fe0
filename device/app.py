"""The run loop: wires config, MQTT source, ingest, state, rules and cache, and feeds the outputs.

The main thread owns everything here (SDL wants it for drawing). paho's thread
only decodes and hands over through the coalescing queue; link changes arrive
on a small thread-safe deque. Each pass of the loop drains the hand-off,
applies updates, re-evaluates the rules, stages cache writes and lets every
output draw; then it sleeps until new data arrives or an output asks to be
called again (a scrolling ticker asks often, a still board rarely).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from device import __version__
from device.cache import CACHE_FILE, Cache, default_state_dir
from device.config import BoardConfig, LoadedConfig
from device.errors import CacheError
from device.handoff import CoalescingQueue, HandoffStats
from device.health import STATUS_SCHEMA
from device.ingest import Ingest, RejectionCounter
from device.mqtt_source import MqttSource
from device.remote_config import ConfigOutcome, apply_remote_config
from device.rules import Assessment, RuleEngine, Severity
from device.state import BoardState, LinkChange, LinkStatus
from device.updates import Acknowledge, RemoteConfig, ScreenshotRequest

log = logging.getLogger(__name__)

# Rules are re-evaluated at least this often even with no new data, so holds
# expire and values turn stale on time.
_ASSESS_INTERVAL = 0.5


@dataclass(frozen=True)
class BoardView:
    """What an output may read on one pass of the loop. Outputs must not change the state."""

    config: BoardConfig
    state: BoardState
    assessment: Assessment
    wall_now: float
    now: float
    rejections: dict[str, int]
    handoff: HandoffStats


class BoardOutput(Protocol):
    """Something the board drives from its state: the screen, a stack light, the journal."""

    def render(self, view: BoardView) -> float:
        """Show ``view``; return how many seconds may pass before the next call."""
        ...

    def close(self) -> None:
        """Release the output, leaving it in its safe state."""
        ...


class StateLog:
    """An output that writes the board's changes to the log (the journal under systemd)."""

    def __init__(self) -> None:
        self._link: LinkStatus | None = None
        self._board: Severity | None = None
        self._severities: dict[str, Severity] = {}

    def render(self, view: BoardView) -> float:
        link = view.state.link
        if link.status is not self._link:
            self._link = link.status
            log.info("broker link %s (%s)", link.status.value, link.detail)
        for key, severity in view.assessment.metrics.items():
            if self._severities.get(key) is not severity:
                self._severities[key] = severity
                held = view.state.value(key)
                shown = "no value" if held is None else f"{held.value:g}"
                log.info("%s is %s (%s)", key, severity.label, shown)
        if view.assessment.board is not self._board:
            self._board = view.assessment.board
            log.info("board alarm state: %s%s", self._board.label, " (blind)" if view.assessment.blind else "")
        return 1.0

    def close(self) -> None:
        return None


def open_cache(config: BoardConfig) -> Cache:
    """Open the configured cache; if that is impossible, run from an in-memory cache and say so."""
    folder = Path(config.cache.dir).expanduser() if config.cache.dir else default_state_dir()
    settings = {"history_points": config.cache.history_points, "flush_interval": float(config.cache.flush_interval)}
    try:
        return Cache(folder / CACHE_FILE, **settings)  # type: ignore[arg-type]
    except (CacheError, OSError) as exc:
        log.error("cache unavailable (%s); running without one: data will not survive a restart", exc)
        return Cache(Path(":memory:"), **settings)  # type: ignore[arg-type]


class Board:
    """One wallboard: data in from MQTT, state and rules in the middle, outputs driven from the main thread."""

    def __init__(
        self,
        loaded: LoadedConfig,
        *,
        outputs: Sequence[BoardOutput] = (),
        cache: Cache | None = None,
        wall_clock: Callable[[], float] = time.time,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.loaded = loaded
        config = loaded.config
        self.config = config
        self._wall_clock = wall_clock
        self._clock = clock
        self._min_pass_interval = 1.0 / max(1, config.display.fps)
        self.rejections = RejectionCounter(float(config.ingest.log_interval))
        self.ingest = Ingest(config, self.rejections, clock=wall_clock)
        self.handoff = CoalescingQueue(config.ingest.queue_capacity)
        self.state = BoardState(config, self.rejections, clock=wall_clock)
        self.rules = RuleEngine(config.rule)
        self.outputs = list(outputs)
        self.cache = cache if cache is not None else open_cache(config)
        self._links: deque[LinkChange] = deque(maxlen=256)
        self.status_topic = f"{self.ingest.board_topic}/status"
        self.started_at = wall_clock()
        self.assessment = Assessment()
        # Operations (device.remote_config, device.screenshot): the last remote config's outcome, and
        # screenshot requests waiting for the screenshot output to answer them after the next frame.
        self.config_outcome: ConfigOutcome | None = None
        self.screenshot_requests: deque[ScreenshotRequest] = deque(maxlen=4)
        self._last_assess = float("-inf")
        self._assessed_version = -1
        self.source = MqttSource(
            config.mqtt,
            client_id=config.mqtt.client_id or f"wallboard-{config.site.id}-{config.board.id}",
            subscriptions=self.ingest.subscriptions(),
            on_message=self._on_message,
            on_link=self._on_link,
            on_connected=self._publish_online,
            will_topic=self.status_topic,
            will_payload=self._status_payload(online=False),
            # Room for the topic and headers around the largest payload ingest accepts.
            max_packet_bytes=config.ingest.max_payload_bytes + 4096,
            base_dir=loaded.path.parent,
            clock=wall_clock,
        )

    # ------------------------------------------------------------ MQTT thread

    def _on_message(self, topic: str, payload: bytes) -> None:
        for update in self.ingest.decode(topic, payload, self._wall_clock()):
            self.handoff.put(update)

    def acknowledge(self, source: str) -> None:
        """Silence the current alarm's sound (from any thread: a button callback, say)."""
        self.handoff.put(Acknowledge(source=source, received_at=self._wall_clock()))

    def _on_link(self, change: LinkChange) -> None:
        self._links.append(change)
        self.handoff.wake()

    def _publish_online(self) -> None:
        # A health publisher among the outputs sends the full status from the main thread on the link change.
        if any(getattr(output, "publishes_status", False) for output in self.outputs):
            return
        self.source.publish(self.status_topic, self._status_payload(online=True), retain=True, qos=1)

    def _status_payload(self, *, online: bool) -> bytes:
        status: dict[str, object] = {
            "schema": STATUS_SCHEMA,
            "status": "online" if online else "offline",
            "site": self.config.site.id,
            "board": self.config.board.id,
            "version": __version__,
            "config_checksum": self.loaded.checksum,
        }
        if online:
            status["started_at"] = round(self.started_at, 3)
        return json.dumps(status, separators=(",", ":")).encode()

    # ------------------------------------------------------------ main thread

    def restore_from_cache(self) -> int:
        """Put the cached values back into the state with their original times; return how many."""
        values = self.cache.load_values()
        for key, value in values.items():
            self.state.restore(key, value, self.cache.load_history(key))
        if values:
            newest = max(v.measured_at for v in values.values())
            log.info(
                "restored %d values from the cache (newest measured %s)",
                len(values),
                time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(newest)),
            )
        self.state.take_changed()
        return len(values)

    def start(self) -> None:
        """Restore from the cache, keep the config as last good, and start connecting."""
        self.restore_from_cache()
        saved = self.cache.load_config()
        if saved is None or saved.checksum != self.loaded.checksum:
            self.cache.save_config(self.loaded.text, self.loaded.checksum)
        self.source.start()

    def step(self) -> float:
        """One pass: apply what arrived, assess, stage cache writes, drive outputs; return the idle budget."""
        wall_now, now = self._wall_clock(), self._clock()
        while self._links:
            self.state.set_link(self._links.popleft())
        updates = self.handoff.drain()
        self.state.apply_all(u for u in updates if not isinstance(u, (RemoteConfig, ScreenshotRequest)))
        for update in updates:
            if isinstance(update, RemoteConfig):
                self.config_outcome = apply_remote_config(self, update) or self.config_outcome
            elif isinstance(update, ScreenshotRequest):
                self.screenshot_requests.append(update)
        self._stage_changes()
        if self.state.version != self._assessed_version or now - self._last_assess >= _ASSESS_INTERVAL:
            self.assessment = self.rules.assess(self.state, wall_now, now)
            self._assessed_version = self.state.version
            self._last_assess = now
        self.cache.flush()
        view = BoardView(
            config=self.config,
            state=self.state,
            assessment=self.assessment,
            wall_now=wall_now,
            now=now,
            rejections=self.rejections.counts(),
            handoff=self.handoff.stats(),
        )
        budget = _ASSESS_INTERVAL
        for output in self.outputs:
            try:
                budget = min(budget, output.render(view))
            except Exception:
                log.exception("output %s failed; the board keeps running", type(output).__name__)
        return budget

    def reconfigure(self, loaded: LoadedConfig) -> None:
        """Run with ``loaded`` from now on, without a restart; keep it as the last good config.

        Ingest and rules are rebuilt (rule holds start again), subscriptions follow the new
        topic mappings, and outputs with a ``reconfigure(config)`` method are told. The MQTT
        connection and the cache stay as they are (``device.remote_config`` refuses changes to them).
        """
        self.loaded, self.config = loaded, loaded.config
        self._min_pass_interval = 1.0 / max(1, self.config.display.fps)
        self.ingest = Ingest(self.config, self.rejections, clock=self._wall_clock)
        self.state.use_config(self.config)
        self.rules = RuleEngine(self.config.rule)
        self._assessed_version = -1
        self.source.set_subscriptions(self.ingest.subscriptions())
        for output in self.outputs:
            hook = getattr(output, "reconfigure", None)
            if callable(hook):
                try:
                    hook(self.config)
                except Exception:
                    log.exception("output %s could not take the new config", type(output).__name__)
        self.cache.save_config(loaded.text, loaded.checksum)
        log.info("now running config %s", loaded.checksum)

    def _stage_changes(self) -> None:
        for key in self.state.take_changed():
            held = self.state.value(key)
            if held is not None:
                self.cache.stage(key, held, self.state.last_history_point(key))

    def run(self, stop: threading.Event) -> None:
        """Loop until ``stop`` is set, sleeping between passes until data arrives or an output is due."""
        self.start()
        try:
            while not stop.is_set():
                began = self._clock()
                budget = self.step()
                if budget > 0:
                    self.handoff.wait(budget)
                # Pace passes to the display's frame rate. Under a flood, data would otherwise wake a pass
                # (and a redraw) per message batch, ~120 a second, taking the GIL from paho's thread: the
                # bench (bench/, docs/performance.md) absorbed 26k msg/s before, all 39k offered after.
                # The coalescing queue keeps the latest values meanwhile, so a value still shows on the
                # next frame; a still board is not delayed (its last pass was long ago).
                pause = began + self._min_pass_interval - self._clock()
                if pause > 0:
                    stop.wait(pause)
        finally:
            self.close()

    def close(self) -> None:
        """Stop cleanly: outputs to their safe state, MQTT disconnected (status offline), cache flushed."""
        for output in self.outputs:
            try:
                output.close()
            except Exception:
                log.exception("output %s did not close cleanly", type(output).__name__)
        self.source.stop(farewell=(self.status_topic, self._status_payload(online=False)))
        try:
            self._stage_changes()
            self.cache.close()
        except Exception:
            log.exception("could not flush the cache on the way out")
        log.info("board stopped")
