"""The run loop: wires config, message source, ingest, state, rules and cache, and feeds the outputs.

The main thread owns everything here (SDL wants it for drawing). The source's
thread (paho's) only decodes and hands over through the coalescing queue; link
changes arrive on a small thread-safe deque. Each pass of the loop drains the
hand-off, applies updates, re-evaluates the rules, stages cache writes and lets
every output draw; then it sleeps until new data arrives or an output asks to
be called again (a scrolling ticker asks often, a still board rarely).

The source and the cache are passed in (``device.loop.outputs`` builds the
production ones; tests pass ``FakeSource``); outputs get a ``BoardView`` and
never this object.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

from wallboard.device.config.loader import LoadedConfig
from wallboard.device.config.remote import ConfigOutcome, judge_remote_config
from wallboard.device.core.late import LateArrivals
from wallboard.device.core.rejections import RejectionCounter
from wallboard.device.core.rules import Assessment, RuleEngine
from wallboard.device.core.state import BoardState, LinkChange
from wallboard.device.core.updates import Acknowledge, RemoteConfig, ScreenshotRequest
from wallboard.device.core.view import BoardOutput, BoardView
from wallboard.device.edge.cache import Cache, open_cache
from wallboard.device.edge.handoff import CoalescingQueue
from wallboard.device.edge.ingest import Ingest
from wallboard.device.edge.mqtt_source import mqtt_source_for
from wallboard.device.edge.source import MessageSource, SourceHandlers, Will
from wallboard.device.edge.timesync import ClockWatch
from wallboard.device.ops.status import presence_payload
from wallboard.device.util.ratelog import RateLimitedLog

log = logging.getLogger(__name__)

# Rules are re-evaluated at least this often even with no new data, so holds
# expire and values turn stale on time.
_ASSESS_INTERVAL = 0.5
_OUTPUT_FAULT_LOG_INTERVAL = 60.0


class Board:
    """One wallboard: data in from a message source, state and rules in the middle, outputs on the main thread."""

    def __init__(
        self,
        loaded: LoadedConfig,
        *,
        source: MessageSource | None = None,
        cache: Cache | None = None,
        outputs: Sequence[BoardOutput] = (),
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
        self.late = LateArrivals(float(config.ingest.log_interval))  # values that arrive already stale
        self.ingest = Ingest(config, self.rejections, clock=wall_clock, late=self.late)
        self.topics = self.ingest.topics
        self.handoff = CoalescingQueue(config.ingest.queue_capacity)
        self.state = BoardState(config, self.rejections, clock=wall_clock)
        self.rules = RuleEngine(config.rule)
        self.outputs = list(outputs)
        self.cache = cache if cache is not None else open_cache(config.cache)
        self.source = source if source is not None else mqtt_source_for(loaded, clock=wall_clock)
        self._links: deque[LinkChange] = deque(maxlen=256)
        self.clock_watch = ClockWatch()  # is the system clock synchronised? (the clock widget says if not)
        self.started_at = wall_clock()
        self.assessment = Assessment()
        # The last remote config's outcome (for the status), and screenshot requests for the next pass.
        self.config_outcome: ConfigOutcome | None = None
        self._screenshot_requests: deque[ScreenshotRequest] = deque(maxlen=4)
        # An output that fails on every pass (24 a second) logs one traceback a minute, with a count.
        self._output_faults = RateLimitedLog(log, _OUTPUT_FAULT_LOG_INTERVAL, clock)
        self.failed_passes = 0
        self._last_assess = float("-inf")
        self._assessed_version = -1

    # ------------------------------------------------------------ the source's thread

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
        self.source.publish(self.topics.status, self._presence(online=True), retain=True, qos=1)

    def _presence(self, *, online: bool) -> bytes:
        return presence_payload(self.config, self.loaded.checksum, online=online, started_at=self.started_at)

    # ------------------------------------------------------------ main thread

    def restore_from_cache(self, *, only_missing: bool = False) -> int:
        """Put the cached values back into the state with their original times; return how many.

        ``only_missing``: leave metrics the board already holds alone (a cache that opened late).
        """
        values = self.cache.load_values()
        if only_missing:
            values = {key: value for key, value in values.items() if self.state.value(key) is None}
        for key, value in values.items():
            self.state.restore(key, value, self.cache.load_history(key))
        # Metrics beyond the state's bound (junk queues from before) are dropped from the file too.
        self.cache.forget(key for key in values if self.state.value(key) is None)
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
        """Restore from the cache, keep the config as last good, and start the source."""
        self.restore_from_cache()
        saved = self.cache.load_config()
        if saved is None or saved.checksum != self.loaded.checksum:
            self.cache.save_config(self.loaded.text, self.loaded.checksum)
        handlers = SourceHandlers(on_message=self._on_message, on_link=self._on_link, on_connected=self._publish_online)
        self.source.start(self.ingest.subscriptions(), handlers, Will(self.topics.status, self._presence(online=False)))

    def step(self) -> float:
        """One pass: apply what arrived, assess, stage cache writes, drive outputs; return the idle budget."""
        wall_now, now = self._wall_clock(), self._clock()
        while self._links:
            self.state.set_link(self._links.popleft())
        if self.clock_watch.check(wall_now, now):
            self.state.set_clock_sync(self.clock_watch.synchronised, self.clock_watch.unsynchronised_since)
        updates = self.handoff.drain()
        self.state.apply_all(u for u in updates if not isinstance(u, (RemoteConfig, ScreenshotRequest)))
        for update in updates:
            if isinstance(update, RemoteConfig):
                self._take_remote_config(update)
            elif isinstance(update, ScreenshotRequest):
                self._screenshot_requests.append(update)
        self._stage_changes()
        if self.state.version != self._assessed_version or now - self._last_assess >= _ASSESS_INTERVAL:
            self.assessment = self.rules.assess(self.state, wall_now, now)
            self._assessed_version = self.state.version
            self._last_assess = now
        self.cache.flush()
        if self.cache.reopened:  # the file was locked, full or read-only at start and opens now
            self.cache.reopened = False
            self.restore_from_cache(only_missing=True)
        view = BoardView(
            config=self.config,
            state=self.state,
            assessment=self.assessment,
            wall_now=wall_now,
            now=now,
            rejections=self.rejections.counts(),
            handoff=self.handoff.stats(),
            config_checksum=self.loaded.checksum,
            started_at=self.started_at,
            config_outcome=self.config_outcome,
            cache_condition=self.cache.condition,
            screenshot_requests=tuple(self._screenshot_requests),
            late=self.late.summary(),
        )
        self._screenshot_requests.clear()
        budget = _ASSESS_INTERVAL
        for output in self.outputs:
            try:
                budget = min(budget, output.render(view))
            except Exception:
                name = type(output).__name__
                self._output_faults.warning(name, f"output {name} failed; the board keeps running", exc_info=True)
        return budget

    def _take_remote_config(self, update: RemoteConfig) -> None:
        name = self.ingest.config_topic
        try:
            outcome, loaded = judge_remote_config(update.text, self.loaded, name=name, received_at=update.received_at)
        except Exception as exc:  # a config is input: whatever it holds, the board keeps its running config
            log.exception("remote config on %s could not be judged; the running config stays", name)
            outcome, loaded = ConfigOutcome("rejected", None, update.received_at, (f"{name}: {exc!r}"[:300],)), None
        if loaded is not None:
            previous = self.loaded
            refused = self.reconfigure(loaded)
            if refused:  # the whole change is refused: every output goes back to the running config
                self.reconfigure(previous)
                outcome = ConfigOutcome("rejected", loaded.checksum, update.received_at, tuple(refused))
        self.config_outcome = outcome or self.config_outcome

    def reconfigure(self, loaded: LoadedConfig) -> list[str]:
        """Run with ``loaded`` from now on, without a restart; keep it as the last good config.

        Ingest and rules are rebuilt (rule holds start again), subscriptions follow the new
        topic mappings, and outputs with a ``reconfigure(config)`` method are told. The MQTT
        connection and the cache stay as they are (``device.config.remote`` refuses changes to them).
        Returns one line per output that could not take it (then ``loaded`` is not kept as last good).
        """
        self.loaded, self.config = loaded, loaded.config
        self._min_pass_interval = 1.0 / max(1, self.config.display.fps)
        self.ingest = Ingest(self.config, self.rejections, clock=self._wall_clock, late=self.late)
        self.state.use_config(self.config)
        self.rules = RuleEngine(self.config.rule)
        self._assessed_version = -1
        self.source.set_subscriptions(self.ingest.subscriptions())
        refused: list[str] = []
        for output in self.outputs:
            hook = getattr(output, "reconfigure", None)
            if callable(hook):
                try:
                    hook(self.config)
                except Exception as exc:
                    log.exception("output %s could not take config %s", type(output).__name__, loaded.checksum)
                    refused.append(f"output {type(output).__name__} could not take it: {exc!r}"[:300])
        if refused:
            return refused
        self.cache.save_config(loaded.text, loaded.checksum)
        log.info("now running config %s", loaded.checksum)
        return []

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
                budget = self._guarded_step()
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

    def _guarded_step(self) -> float:
        """One pass; a pass that fails (input no check foresaw) costs that pass, not the process.

        The updates it took are gone, so the next pass starts clean. If every pass fails, the outputs are
        never reached, the systemd watchdog is not pinged, and systemd restarts the board.
        """
        try:
            return self.step()
        except Exception:
            self.failed_passes += 1
            self._output_faults.warning("pass", "a pass of the board's loop failed; going on", exc_info=True)
            return _ASSESS_INTERVAL

    def close(self) -> None:
        """Stop cleanly: outputs to their safe state (last built, first closed), source stopped, cache flushed."""
        for output in reversed(self.outputs):
            try:
                output.close()
            except Exception:
                log.exception("output %s did not close cleanly", type(output).__name__)
        self.source.stop(farewell=(self.topics.status, self._presence(online=False)))
        try:
            self._stage_changes()
            self.cache.close()
        except Exception:
            log.exception("could not flush the cache on the way out")
        log.info("board stopped")
