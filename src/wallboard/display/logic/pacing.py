"""Frame pacing for moving parts (the ticker): when the next frame is due, and the rate held when frames run long.

``FramePacer`` works on the times a frame began and ended and on nothing
else (no pygame, no clock of its own), so it is tested with plain numbers.
Frames are due on a fixed schedule, one period apart (not one period after
each frame ended: that added each frame's own cost to the period, 30 fps asked
and 23 held; nor one period after each began: a wake-up ~1 ms late every frame
then held 29 fps). A frame that starts off the schedule (the first, or one
after a pause) starts a new one from itself. A frame that costs more
than its period cannot be held at the asked rate; rather than draw frames back
to back (a full core, and paho's thread starved), the pacer steps the rate down
to the asked rate divided by a whole number (30, 15, 10, 7.5 ... fps) so each
frame still leaves time for the rest of the board, and steps back up when the
frames get cheap again. Moving parts are placed by time, so a lower rate moves
them in bigger steps at the same speed in pixels per second. It must not sleep
or draw.
"""

from __future__ import annotations

import math

# Frame cost is smoothed over about this many frames (an exponentially weighted mean), so one slow
# frame (a value re-rendered, a cache flush) does not halve the rate.
_SMOOTHING = 8
# Step down when the smoothed cost exceeds this share of the current interval; step up only when the
# cost would fit in this share of the shorter interval (the gap between the two keeps it from flapping).
_HIGH, _LOW = 0.9, 0.7
_SLOWEST_DIVISOR = 30  # never below one frame a second at 30 fps


class FramePacer:
    """The wait before the next frame of something moving, stepping the rate down while frames run long."""

    def __init__(self, fps: float) -> None:
        self.period = 1.0 / fps
        self.divisor = 1  # frames are drawn every ``divisor`` periods
        self.cost = 0.0  # smoothed seconds a frame takes (from 0: the first, full paint is no guide)
        self._due = float("-inf")  # when the frame being drawn was due

    @property
    def fps(self) -> float:
        """The frame rate being held (the asked rate while frames fit their period)."""
        return 1.0 / (self.period * self.divisor)

    def wait(self, began: float, ended: float) -> float:
        """Seconds from ``ended`` until the next frame, for a frame that ran from ``began`` to ``ended``."""
        spent = max(0.0, ended - began)
        self.cost += (spent - self.cost) / _SMOOTHING
        if self.cost > _HIGH * self.period * self.divisor:
            self.divisor = min(_SLOWEST_DIVISOR, math.ceil(self.cost / (_HIGH * self.period)))
        elif self.divisor > 1 and self.cost < _LOW * self.period * (self.divisor - 1):
            self.divisor -= 1
        interval = self.period * self.divisor
        # On the schedule, the next slot however late this frame woke; off it (the first frame, or after
        # a pause), a new schedule from this frame.
        on_schedule = began - interval <= self._due < began + interval
        due = self._due + interval if on_schedule else began + interval
        if due < ended:
            due += interval * math.ceil((ended - due) / interval)  # a frame that overran skips the slots it missed
        self._due = due
        return due - ended
