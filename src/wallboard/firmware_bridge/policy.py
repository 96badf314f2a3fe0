"""From the board's alarm state to what the lamps show and when a chime plays, with acknowledge.

An acknowledgement silences sound (chimes and buzzer) for the current alarm
until it gets worse or clears; the lamps keep showing the state. Pure logic:
no clock of its own, no I/O, no hardware, so a test can run a whole shift of
states in microseconds.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

from wallboard.device.config.signals_schema import AcknowledgedPattern, SignalSettings, StatePattern
from wallboard.device.core.rules import Assessment, Severity
from wallboard.firmware_bridge.lights import LampMode, LightState

log = logging.getLogger(__name__)


class SignalState(enum.IntEnum):
    """The board state a stack light shows, ranked so that a higher value is worse."""

    NORMAL = 0
    BLIND = 1  # broker down, no fresh data, or a rule without a fresh value: never green
    WARN = 2
    CRITICAL = 3

    @property
    def label(self) -> str:
        return self.name.lower()


def classify(assessment: Assessment) -> SignalState:
    """The signal state for the rules' verdict: blind wins, then the worst severity."""
    if assessment.blind:
        return SignalState.BLIND
    return {
        Severity.NORMAL: SignalState.NORMAL,
        Severity.UNKNOWN: SignalState.BLIND,
        Severity.WARN: SignalState.WARN,
        Severity.CRITICAL: SignalState.CRITICAL,
    }[assessment.board]


@dataclass(frozen=True)
class Decision:
    """What to do on this pass: the light to show, a chime to play now (or None), when to ask again."""

    state: SignalState
    light: LightState
    chime: str | None
    acknowledged: bool
    next_due: float  # seconds until the policy next has something to do (inf: nothing planned)


def light_for(pattern: StatePattern, overlay: AcknowledgedPattern | None = None) -> LightState:
    """The lamps of ``pattern``, with an acknowledged overlay laid on top if given."""
    modes = {"red": pattern.red, "amber": pattern.amber, "green": pattern.green, "buzzer": pattern.buzzer}
    if overlay is not None:
        for name in modes:
            over = getattr(overlay, name)
            if over != "keep":
                modes[name] = over
    return LightState(**{name: LampMode(mode) for name, mode in modes.items()})


class SignalPolicy:
    """Remembers the current state, the acknowledge latch and when the next chime is due."""

    def __init__(self, settings: SignalSettings, *, started_at: float, startup_quiet: float = 5.0) -> None:
        self._settings = settings
        self._patterns: dict[SignalState, StatePattern] = {
            SignalState.NORMAL: settings.normal,
            SignalState.BLIND: settings.blind,
            SignalState.WARN: settings.warn,
            SignalState.CRITICAL: settings.critical,
        }
        # No chime in the first seconds after start: every board starts blind until the broker answers.
        self._quiet_until = started_at + startup_quiet
        self._state: SignalState | None = None
        self._acks_seen: int | None = None
        self._silenced_at: SignalState | None = None  # acknowledged at this level or below
        self._next_chime: float | None = None

    @property
    def silenced(self) -> bool:
        return self._silenced_at is not None

    def decide(self, state: SignalState, acknowledgements: int, now: float) -> Decision:
        """Advance to ``state`` with the board's acknowledgement counter at monotonic time ``now``."""
        pattern = self._patterns[state]
        if state is not self._state:
            self._enter(state, pattern, now)
        if self._acks_seen is None:
            self._acks_seen = acknowledgements
        elif acknowledgements != self._acks_seen:
            self._acks_seen = acknowledgements
            if state is SignalState.NORMAL:
                log.info("acknowledge with no alarm: nothing to silence")
            else:
                self._silenced_at = state
                log.info("alarm acknowledged: sound silenced while %s lasts (lamps keep showing it)", state.label)
        overlay = self._settings.acknowledged if self.silenced else None
        chime: str | None = None
        if self._next_chime is not None and not self.silenced and now >= self._next_chime:
            chime = pattern.chime
            self._next_chime = now + float(pattern.every) if pattern.sound == "repeat" else None
        next_due = float("inf")
        if self._next_chime is not None and not self.silenced:
            next_due = max(0.0, self._next_chime - now)
        return Decision(state, light_for(pattern, overlay), chime, self.silenced, next_due)

    def _enter(self, state: SignalState, pattern: StatePattern, now: float) -> None:
        if self._silenced_at is not None:
            if state is SignalState.NORMAL or state > self._silenced_at:
                why = "cleared" if state is SignalState.NORMAL else f"got worse ({state.label})"
                log.info("acknowledgement ends: the alarm %s", why)
                self._silenced_at = None
            else:
                # Easing off keeps the silence, but a later rise from here counts as worse.
                self._silenced_at = state
        self._state = state
        self._next_chime = max(now, self._quiet_until) if pattern.sound != "none" else None
