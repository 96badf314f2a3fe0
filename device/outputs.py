"""Which outputs a running board drives, in order: the screen, the signals, the journal, systemd.

Built in ``main`` from the config; each output is behind ``device.app.BoardOutput``
and imports its libraries (pygame, gpiozero, pyserial) only when it is built.
"""

from __future__ import annotations

from device.app import Board, BoardOutput, StateLog


def build_outputs(board: Board) -> list[BoardOutput]:
    """The outputs for ``board``: display first (so a frame is drawn before anything reports ready)."""
    from display.screen import DisplayOutput

    outputs: list[BoardOutput] = []
    outputs.append(DisplayOutput(board.config))
    # Signals: stack light, buzzer, chimes and the ack button (firmware_bridge/); never block a frame.
    from firmware_bridge.build import build_signals

    outputs.append(build_signals(board.config.signals, board.acknowledge))
    outputs.append(StateLog())
    # Operations: answered after the display drew (so a screenshot shows the current frame), and
    # systemd last, so READY=1 follows a complete first pass.
    from device.health import HealthPublisher
    from device.screenshot import ScreenshotResponder
    from device.systemd_notify import SystemdOutput

    outputs.append(ScreenshotResponder(board))
    outputs.append(HealthPublisher(board))
    outputs.append(SystemdOutput())
    # Benchmarks only (bench/): shown values and tallies to the file $WALLBOARD_FRAME_LOG names, if set.
    from device.frame_log import frame_log_from_environment

    if (frame_log := frame_log_from_environment(outputs)) is not None:
        outputs.append(frame_log)
    return outputs
