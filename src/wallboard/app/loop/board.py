"""The run loop: wires config, message source, ingest, state, rules and cache, and feeds the outputs.

The main thread owns everything here (SDL wants it for drawing). The source's
thread (paho's) only decodes and hands over through the coalescing queue; link
changes arrive on a small thread-safe deque. A pass is one of two kinds. A
*data pass*, when something arrived or the wall clock's second turned, applies
the updates, re-evaluates the rules, stages and flushes cache writes, builds a
new ``BoardView`` and drives every output. An *animation frame*, when only an
output that asked to be called soon is due (the ticker, a blinking lamp), does
none of that: it hands the last view, with only its times moved on, to the
outputs that are due. Between passes the loop sleeps until data arrives, the
next second turns or an output is due, so a still board wakes once a second
and once per update (``passes`` counts each kind).

The source, the cache and the outputs are passed in: ``app.loop.compose`` is
the one place that builds a whole board (the paho source, the SQLite cache,
the production outputs); tests pass ``FakeSource`` and their own outputs.
Outputs get a ``BoardView`` and never this object.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import replace

from wallboard.device.config.reading import LoadedConfig
from wallboard.device.config.remote import ConfigOutcome, judge_remote_config
from wallboard.device.core.acknowledgement import AcknowledgeLatch
from wallboard.device.core.late import LateArrivals
from wallboard.device.core.rejections import RejectionCounter
from wallboard.device.core.rules import Assessment, RuleEngine
from wallboard.device.core.state import BoardState
from wallboard.device.core.updates import Acknowledge, RemoteConfig, ScreenshotRequest
from wallboard.device.core.values import LinkChange
from wallboard.device.core.view import BoardOutput, BoardView, moved_on
from wallboard.device.edge.cache import Cache
from wallboard.device.edge.handoff import CoalescingQueue
from wallboard.device.edge.ingest import Ingest
from wallboard.device.edge.source import MessageSource, SourceHandlers, Will
from wallboard.device.edge.timesync import ClockWatch
from wallboard.device.util.ratelog import RateLimitedLog
from wallboard.ops.status import presence_payload

log = logging.getLogger(__name__)

# A data pass runs at least this often even with no new data (and on every turn of the wall clock's
# second), so rules are re-evaluated, holds expire, values turn stale and the cache is flushed on time.
_ASSESS_INTERVAL = 1.0
# The whole-second pass wakes just after the second turns, when a still display redraws ages and the clock.
_SECOND_LAG = 0.01
# An output due within this much is called now: a sleep may end a little early, and waking again for
# half a millisecond would be a pass for nothing.
_EARLY = 0.0005
_OUTPUT_FAULT_LOG_INTERVAL = 60.0


def acknowledge_into(handoff: CoalescingQueue, wall_clock: Callable[[], float], source: str) -> None:
    """Hand an acknowledgement from ``source`` (a button, the ack topic) to the main loop; any thread."""
    handoff.put(Acknowledge(source=source, received_at=wall_clock()))


class Board:
    """One wallboard: data in from a message source, state and rules in the middle, outputs on the main thread."""

    def __init__(
        self,
        loaded: LoadedConfig,
        *,
        source: MessageSource,
        cache: Cache,
        outputs: Sequence[BoardOutput] = (),
        handoff: CoalescingQueue | None = None,
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
        self.handoff = handoff if handoff is not None else CoalescingQueue(config.ingest.queue_capacity)
        self.state = BoardState(config, self.rejections, clock=wall_clock)
        self.rules = RuleEngine(config.rule)
        self.outputs = list(outputs)
        self.cache = cache
        self.source = source
        self._links: deque[LinkChange] = deque(maxlen=256)
        self.clock_watch = ClockWatch()  # is the system clock synchronised? (the clock widget says if not)
        self.started_at = wall_clock()
        self.assessment = Assessment()
        self.acknowledge_latch = AcknowledgeLatch()  # which alarm is acknowledged, for the screen (BoardView)
        # The last remote config's outcome (for the status), and screenshot requests for the next pass.
        self.config_outcome: ConfigOutcome | None = None
        self._screenshot_requests: deque[ScreenshotRequest] = deque(maxlen=4)
        # An output that fails on every pass (24 a second) logs one traceback a minute, with a count.
        self._output_faults = RateLimitedLog(log, _OUTPUT_FAULT_LOG_INTERVAL, clock)
        self.failed_passes = 0
        self._last_assess = float("-inf")
        self._assessed_version = -1
        # The last data pass's view (handed on, times moved, to animation frames), its wall second and
        # when each output asked to be called next (by ``clock``).
        self._view: BoardView | None = None
        self._view_second = -1
        self._due: list[float] = []
        self.passes: Counter[str] = Counter()  # passes by kind: data, second, frame, idle (woken for nothing)

    # ------------------------------------------------------------ the source's thread

    def _on_message(self, topic: str, payload: bytes) -> None:
        for update in self.ingest.decode(topic, payload, self._wall_clock()):
            self.handoff.put(update)

    def acknowledge(self, source: str) -> None:
        """Silence the current alarm's sound (from any thread: a button callback, say)."""
        acknowledge_into(self.handoff, self._wall_clock, source)

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
        """One pass (a data pass, or an animation frame if only outputs are due); return the idle budget."""
        wall_now, now = self._wall_clock(), self._clock()
        last = self._view
        second_turned = int(wall_now) != self._view_second or now - self._last_assess >= _ASSESS_INTERVAL
        if (
            last is not None
            and not second_turned
            and not self.handoff.waiting()
            and not self._links
            and len(self._due) == len(self.outputs)  # an output added since the last data pass gets one
        ):
            return self._frame(last, wall_now, now)
        updates = self.handoff.drain()
        self.passes["data" if updates or self._links or last is None else "second"] += 1
        while self._links:
            self.state.set_link(self._links.popleft())
        if self.clock_watch.check(wall_now, now):
            self.state.set_clock_sync(self.clock_watch.synchronised, self.clock_watch.unsynchronised_since)
        self.state.apply_all(u for u in updates if not isinstance(u, (RemoteConfig, ScreenshotRequest)))
        for update in updates:
            if isinstance(update, RemoteConfig):
                self._take_remote_config(update)
            elif isinstance(update, ScreenshotRequest):
                self._screenshot_requests.append(update)
        self._stage_changes()
        if self.state.version != self._assessed_version or second_turned:
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
            acknowledged=self.acknowledge_latch.update(self.assessment.board, self.state.acknowledgements),
        )
        self._screenshot_requests.clear()
        self._view, self._view_second = replace(view, screenshot_requests=()), int(wall_now)
        self._due = [now] * len(self.outputs)
        return self._drive(view, wall_now, now)

    def _frame(self, last: BoardView, wall_now: float, now: float) -> float:
        """An animation frame: the last view with its times moved on, to the outputs that asked to be called."""
        if self._due and min(self._due) <= now + _EARLY:
            self.passes["frame"] += 1
            return self._drive(moved_on(last, wall_now, now), wall_now, now)
        self.passes["idle"] += 1
        return self._budget(wall_now, now)

    def _drive(self, view: BoardView, wall_now: float, now: float) -> float:
        """Render every output that is due (all of them on a data pass); note when each wants the next call."""
        due = self._due
        for index, output in enumerate(self.outputs):
            if due[index] > now + _EARLY:
                continue
            try:
                due[index] = now + output.render(view)
            except Exception:
                due[index] = now + _ASSESS_INTERVAL  # asked again on the next data pass, not in a busy loop
                name = type(output).__name__
                self._output_faults.warning(name, f"output {name} failed; the board keeps running", exc_info=True)
        return self._budget(wall_now, now)

    def _budget(self, wall_now: float, now: float) -> float:
        """Seconds until the next pass is due: the next output, or the next data pass just after the second turns."""
        next_second = 1.0 - wall_now % 1.0 + _SECOND_LAG
        return max(0.0, min(next_second, _ASSESS_INTERVAL - (now - self._last_assess), *(d - now for d in self._due)))

    def _take_remote_config(self, update: RemoteConfig) -> None:
        name = self.ingest.config_topic
        try:
            outcome, loaded = judge_remote_config(
                update.text,
                self.loaded,
                name=name,
                received_at=update.received_at,
                size=update.size,
                refused=update.refused,
            )
        except Exception as exc:  # a config is input: whatever it holds, the board keeps its running config
            log.exception("remote config on %s could not be judged; the running config stays", name)
            problem = (f"{name}: {exc!r}"[:300],)
            outcome, loaded = ConfigOutcome("rejected", None, update.received_at, problem, update.size), None
        if loaded is not None:
            refused = self.reconfigure(loaded)
            if refused:  # the whole change is refused: the running config stays, in every output too
                for line in refused:
                    log.error("remote config rejected: %s", line)
                outcome = replace(outcome, result="rejected", problems=tuple(refused)) if outcome else None
        self.config_outcome = outcome or self.config_outcome

    def reconfigure(self, loaded: LoadedConfig) -> list[str]:
        """Run with ``loaded`` from now on, without a restart; keep it as the last good config.

        Outputs with a ``reconfigure(config)`` method are told first; if one cannot take it, those told
        are told the running config again and nothing changes (returns one line per refusal). Otherwise
        ingest is rebuilt, subscriptions follow the new topic mappings, and the rules are replaced keeping
        the floor's state: a rule whose metric and levels are unchanged keeps its severity and running
        hold (and so the acknowledgement), a changed one starts fresh (``RulesReplaced``, in the state
        log). The MQTT connection and the cache stay as they are (``device.config.remote`` refuses
        changes to them).
        """
        refused = self._tell_outputs(loaded)
        if refused:
            self._tell_outputs(self.loaded)
            return refused
        self.loaded, self.config = loaded, loaded.config
        self._min_pass_interval = 1.0 / max(1, self.config.display.fps)
        self.ingest = Ingest(self.config, self.rejections, clock=self._wall_clock, late=self.late)
        self.state.use_config(self.config)
        self.rules = self.rules.reconfigured(self.config.rule)
        self._assessed_version = -1
        self._view = None  # the next pass is a data pass, with every output
        self.source.set_subscriptions(self.ingest.subscriptions())
        self.cache.save_config(loaded.text, loaded.checksum)
        log.info("now running config %s", loaded.checksum)
        return []

    def _tell_outputs(self, loaded: LoadedConfig) -> list[str]:
        """Hand ``loaded``'s config to every output that takes one; one line per output that could not."""
        refused: list[str] = []
        for output in self.outputs:
            hook = getattr(output, "reconfigure", None)
            if callable(hook):
                try:
                    hook(loaded.config)
                except Exception as exc:
                    log.exception("output %s could not take config %s", type(output).__name__, loaded.checksum)
                    refused.append(f"output {type(output).__name__} could not take it: {exc!r}"[:300])
        return refused

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
                # Pace passes that data woke to the display's frame rate. Under a flood, data would otherwise
                # wake a pass (and a redraw) per message batch, ~120 a second, taking the GIL from paho's
                # thread: the bench (bench/, docs/performance.md) absorbed 26k msg/s before, all 39k offered
                # after. The coalescing queue keeps the latest values meanwhile, so a value still shows on
                # the next frame; a still board is not delayed (its last pass was long ago). A pass that
                # was due (the wait timed out: a ticker frame, the whole second) keeps its own schedule:
                # pacing it too made a second sleep on every frame that came a little under a period.
                # The next pass due within a frame period (an animation frame, most often) is slept to in plain
                # ``time.sleep``: data arriving meanwhile would wait for that slot anyway, and a thread-event wait
                # costs twice the CPU of a sleep (~150 against ~85 us here), 30 times a second. A stop request
                # is seen within that frame period.
                if 0 < budget <= self._min_pass_interval:
                    time.sleep(budget)
                elif budget <= 0 or self.handoff.wait(budget):
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
