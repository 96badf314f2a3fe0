"""The composition root: the one module that builds a whole board (source, cache, outputs) and hands it over.

``compose_board`` builds the paho source and the SQLite cache (unless given), the hand-off, and the
outputs from a factory that gets ``BoardPorts`` (the config, a publisher, the board's topics and an
acknowledge callback), never the ``Board``; the ``Board`` then takes all of it in its constructor.

``build_outputs`` is the production set, in the order they draw: the screen first (so a frame is drawn
before anything reports ready), the signals, the journal, then the operator outputs: the screenshot
responder after the display drew, the health status, and systemd last, so READY=1 follows a complete
first pass. Outputs that need pygame, gpiozero or pyserial import them only when built here, so
``wallboard check`` never loads SDL.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass

from wallboard.app.loop.board import Board, acknowledge_into
from wallboard.device.config.reading import LoadedConfig
from wallboard.device.config.schema import BoardConfig
from wallboard.device.core.view import BoardOutput
from wallboard.device.edge.cache import Cache, open_cache
from wallboard.device.edge.handoff import CoalescingQueue
from wallboard.device.edge.mqtt_source import mqtt_source_for
from wallboard.device.edge.source import MessageSource
from wallboard.device.wire.topics import BoardTopics
from wallboard.ops.frame_log import frame_log_from_environment
from wallboard.ops.health import HealthPublisher
from wallboard.ops.screenshot import ScreenshotResponder
from wallboard.ops.state_log import StateLog
from wallboard.ops.systemd import SystemdOutput


@dataclass(frozen=True)
class BoardPorts:
    """What a board's outputs are built with: narrow ports, never the ``Board`` itself."""

    config: BoardConfig
    publisher: MessageSource  # the board's own MQTT connection (outputs use only ``publish``)
    topics: BoardTopics
    acknowledge: Callable[[str], None]  # silence the alarm's sound (a button's callback), from any thread


OutputFactory = Callable[[BoardPorts], list[BoardOutput]]


def no_outputs(ports: BoardPorts) -> list[BoardOutput]:
    """A board with no outputs (a test adds its own, or drives only the state)."""
    return []


def build_outputs(ports: BoardPorts) -> list[BoardOutput]:
    """The production outputs, in the order they draw."""
    # Imported here, not at the top: pygame and the hardware libraries load only for a running board.
    from wallboard.display.screen import DisplayOutput
    from wallboard.firmware_bridge.factory import build_signals

    config = ports.config
    display = DisplayOutput(config)
    outputs: list[BoardOutput] = [
        display,
        # Signals: stack light, buzzer, chimes and the ack button; they never block a frame. They get the
        # display's health as a port (``ScreenHealth``), so a dark screen shows the blind pattern.
        build_signals(config.signals, ports.acknowledge, screen=display),
        StateLog(),
    ]
    outputs += [
        ScreenshotResponder(ports.publisher, ports.topics, outputs),
        HealthPublisher(ports.publisher, ports.topics, outputs),
        SystemdOutput(screen=display),
    ]
    # Benchmarks only (bench/): shown values and tallies to the file $WALLBOARD_FRAME_LOG names, if set.
    if (frame_log := frame_log_from_environment(outputs)) is not None:
        outputs.append(frame_log)
    return outputs


def compose_board(
    loaded: LoadedConfig,
    *,
    outputs: OutputFactory = build_outputs,
    source: MessageSource | None = None,
    cache: Cache | None = None,
    wall_clock: Callable[[], float] = time.time,
    clock: Callable[[], float] = time.monotonic,
) -> Board:
    """A whole board for ``loaded``: its source and cache (built unless given) and the outputs ``outputs`` makes."""
    config = loaded.config
    source = source if source is not None else mqtt_source_for(loaded, clock=wall_clock)
    cache = cache if cache is not None else open_cache(config.cache)
    handoff = CoalescingQueue(config.ingest.queue_capacity)
    ports = BoardPorts(
        config=config,
        publisher=source,
        topics=BoardTopics(config.site.id, config.board.id),
        acknowledge=functools.partial(acknowledge_into, handoff, wall_clock),
    )
    return Board(
        loaded,
        source=source,
        cache=cache,
        outputs=outputs(ports),
        handoff=handoff,
        wall_clock=wall_clock,
        clock=clock,
    )
