"""Which alarm the floor has acknowledged: the board's one answer, read by the screen and the status.

An acknowledgement (the supervisor's button, or a message on the board's ``ack`` topic) counts in the
board state; this latch turns the count into "the alarm at this level is acknowledged": from an
acknowledgement during a warning or critical alarm until the alarm clears or gets worse (easing off keeps
it, and a later rise from there counts as worse). It is the rule the signal policy
(``firmware_bridge/policy.py``) applies to silence sound, on the rules' board severity, so the tile and
the strip can say ``ACK`` exactly while the chime is quiet. It never hides an alarm's colour. Pure logic:
no clock, no I/O.
"""

from __future__ import annotations

from wallboard.device.core.rules import Severity


class AcknowledgeLatch:
    """Remembers the acknowledgement counter last seen and the alarm level acknowledged, if any."""

    def __init__(self) -> None:
        self._seen: int | None = None
        self.level: Severity | None = None  # the acknowledged level; None while nothing is acknowledged

    def update(self, board: Severity, acknowledgements: int) -> Severity | None:
        """Advance to severity ``board`` with the state's acknowledgement counter; return the level acknowledged."""
        if self.level is not None:
            if board < Severity.WARN or board > self.level:
                self.level = None  # cleared, or got worse: a new alarm to acknowledge
            else:
                self.level = board
        if self._seen is None:
            self._seen = acknowledgements  # counts from before the board started do not acknowledge this alarm
        elif acknowledgements != self._seen:
            self._seen = acknowledgements
            if board >= Severity.WARN:
                self.level = board
        return self.level
