"""Frame pacing: frames keep to a fixed schedule, and frames longer than a period step the rate down and back up."""

from __future__ import annotations

import pytest

from wallboard.display.logic.pacing import FramePacer

PERIOD = 1 / 30


def _frames(pacer: FramePacer, cost: float, count: int, *, late: float = 0.0) -> tuple[float, list[float]]:
    """Draw ``count`` frames of ``cost`` seconds, each starting ``late`` after the pacer said; (last start, waits)."""
    now, waits = 0.0, []
    for _ in range(count):
        ended = now + cost
        waits.append(pacer.wait(now, ended))
        now = ended + waits[-1] + late
    return now - late, waits


def test_a_frame_that_fits_waits_out_the_rest_of_its_period() -> None:
    """A 10 ms frame at 30 fps waits 23.3 ms, not a whole period: 30 frames a second, not 23."""
    pacer = FramePacer(30)
    end, waits = _frames(pacer, 0.010, 90)
    assert waits[-1] == pytest.approx(PERIOD - 0.010)
    assert end == pytest.approx(90 * PERIOD)
    assert pacer.fps == pytest.approx(30)


def test_waking_a_little_late_every_frame_does_not_lower_the_rate() -> None:
    """Sleeps that end 1 ms late on every frame still give 30 frames a second: frames keep to a fixed schedule."""
    pacer = FramePacer(30)
    end, _ = _frames(pacer, 0.005, 90, late=0.001)
    assert end == pytest.approx(90 * PERIOD)


def test_a_frame_after_a_pause_starts_a_new_schedule() -> None:
    """A frame long after the last (the ticker came back) waits a period from itself, not a burst of catch-up."""
    pacer = FramePacer(30)
    _frames(pacer, 0.005, 10)
    assert pacer.wait(100.0, 100.005) == pytest.approx(PERIOD - 0.005)


def test_frames_longer_than_their_period_step_the_rate_down_then_back_up() -> None:
    """50 ms frames at 30 fps are held at 15 fps with time to spare; cheap frames bring 30 fps back."""
    pacer = FramePacer(30)
    _, waits = _frames(pacer, 0.050, 60)
    assert pacer.fps == pytest.approx(15)
    assert waits[-1] == pytest.approx(2 * PERIOD - 0.050)  # 16.7 ms left for the rest of the board
    _frames(pacer, 0.005, 60)
    assert pacer.fps == pytest.approx(30)


def test_one_slow_frame_does_not_halve_the_rate() -> None:
    """A single 60 ms frame (a full repaint) among 5 ms frames keeps 30 fps: the cost is smoothed."""
    pacer = FramePacer(30)
    _frames(pacer, 0.005, 30)
    pacer.wait(0.0, 0.060)
    assert pacer.fps == pytest.approx(30)


def test_very_slow_frames_still_draw_once_a_second() -> None:
    """However slow a frame, the rate bottoms out at one frame a second."""
    pacer = FramePacer(30)
    _frames(pacer, 5.0, 20)
    assert pacer.fps == pytest.approx(1)
