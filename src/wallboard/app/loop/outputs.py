"""The composition root: which outputs a running board drives, in order, and the only module that builds them.

The screen first (so a frame is drawn before anything reports ready), the signals, the journal, then the
operator outputs: the screenshot responder after the display drew, the health status, and systemd last,
so READY=1 follows a complete first pass. Each output is a ``BoardOutput`` that gets a ``BoardView`` and
narrow ports (a publisher, the outputs to probe, the screen's health for the signals), never the
``Board``. Outputs that need pygame, gpiozero or pyserial import them only when built here, so
``wallboard check`` never loads SDL.
"""

from __future__ import annotations

from wallboard.app.loop.board import Board
from wallboard.device.core.view import BoardOutput
from wallboard.ops.frame_log import frame_log_from_environment
from wallboard.ops.health import HealthPublisher
from wallboard.ops.screenshot import ScreenshotResponder
from wallboard.ops.state_log import StateLog
from wallboard.ops.systemd import SystemdOutput


def build_outputs(board: Board) -> list[BoardOutput]:
    """The outputs for ``board``, in the order they draw."""
    # Imported here, not at the top: pygame and the hardware libraries load only for a running board.
    from wallboard.display.screen import DisplayOutput
    from wallboard.firmware_bridge.factory import build_signals

    config = board.config
    display = DisplayOutput(config)
    outputs: list[BoardOutput] = [
        display,
        # Signals: stack light, buzzer, chimes and the ack button; they never block a frame. They get the
        # display's health as a port (``ScreenHealth``), so a dark screen shows the blind pattern.
        build_signals(config.signals, board.acknowledge, screen=display),
        StateLog(),
    ]
    outputs += [
        ScreenshotResponder(board.source, board.topics, outputs),
        HealthPublisher(board.source, board.topics, outputs),
        SystemdOutput(screen=display),
    ]
    # Benchmarks only (bench/): shown values and tallies to the file $WALLBOARD_FRAME_LOG names, if set.
    if (frame_log := frame_log_from_environment(outputs)) is not None:
        outputs.append(frame_log)
    return outputs
