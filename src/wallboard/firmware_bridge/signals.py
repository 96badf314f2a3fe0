"""The signals as a board output: each pass turns the board's state into lamps and chimes.

Reads the view, asks the policy what to show (a board whose screen cannot show its numbers, as the
``ScreenHealth`` port says, is at least blind: green would tell the floor all is well when nobody can see
the figures; a warn or critical still shows, the lamps then carry the only alarm anyone sees), posts the
light to its backend (which never blocks) and starts a chime if one is due. It must never wait on a
device: everything slow lives behind ``StackLight`` and ``SoundSink``.
"""

from __future__ import annotations

import logging
from typing import Protocol

from wallboard.device.config.signals_schema import SignalSettings
from wallboard.device.core.view import BoardView, ScreenHealth
from wallboard.firmware_bridge.lights import LightState, StackLight
from wallboard.firmware_bridge.policy import SignalPolicy, SignalState, classify
from wallboard.firmware_bridge.sound.mixer import SoundSink

log = logging.getLogger(__name__)

_IDLE = 1.0  # how long the signals may wait between passes when nothing is due


class Closeable(Protocol):
    def close(self) -> None: ...


class SignalOutput:
    """Stack light, buzzer and chimes driven from the board's alarm state."""

    def __init__(
        self,
        settings: SignalSettings,
        light: StackLight,
        sound: SoundSink,
        *,
        extras: tuple[Closeable, ...] = (),
        startup_quiet: float = 5.0,
        screen: ScreenHealth | None = None,
    ) -> None:
        self.settings = settings
        self._screen = screen
        self.light = light
        self.sound = sound
        self._extras = extras
        self._startup_quiet = startup_quiet
        self.policy: SignalPolicy | None = None
        self._shown: LightState | None = None
        self._state: SignalState | None = None
        self._silenced = False
        # What the policy last decided from, and when it next has something to do (monotonic).
        self._decided_for: tuple[SignalState, int] | None = None
        self._due_at = 0.0

    def render(self, view: BoardView) -> float:
        if self.policy is None:
            self.policy = SignalPolicy(self.settings, started_at=view.now, startup_quiet=self._startup_quiet)
        self.sound.release_if_idle()
        state = classify(view.assessment)
        if self._screen is not None and not self._screen.screen_report().showing:
            state = max(state, SignalState.BLIND)  # the screen is dark: never green
        acknowledgements = view.state.acknowledgements
        # A decision changes only with the state, an acknowledgement or a chime falling due: with the
        # ticker the board passes 30 times a second, and re-deciding each time cost ~0.05 ms a pass.
        if (state, acknowledgements) == self._decided_for and view.now < self._due_at:
            return min(_IDLE, self._due_at - view.now)
        decision = self.policy.decide(state, acknowledgements, view.now)
        self._decided_for, self._due_at = (state, acknowledgements), view.now + decision.next_due
        if (
            decision.light != self._shown
            or decision.state is not self._state
            or decision.acknowledged != self._silenced
        ):
            self._shown, self._state, self._silenced = decision.light, decision.state, decision.acknowledged
            quiet = ", acknowledged" if decision.acknowledged else ""
            log.info("signals: %s%s (%s)", decision.state.label, quiet, decision.light.describe())
            self.light.show(decision.light)
        if decision.chime is not None:
            self.sound.play(decision.chime)
        return min(_IDLE, decision.next_due)

    health_name = "signals"

    def health_report(self) -> dict[str, object]:
        """The backend and what its lamps, sound and button say (for the status's ``outputs.signals``)."""
        return {
            "backend": self.settings.backend,
            "lamps": _report(self.light),
            "sound": _report(self.sound),
            "button": [_report(extra) for extra in self._extras] or None,
        }

    def close(self) -> None:
        """Every output to its safe state: extras (the button) first, then lamps and buzzer off, sound stopped."""
        for part in (*self._extras, self.light, self.sound):
            try:
                part.close()
            except Exception:
                log.exception("closing %s failed", type(part).__name__)


def _report(part: object) -> dict[str, object]:
    """What ``part`` says about itself, if it reports (a worker, the mixer), else its kind."""
    own = getattr(part, "health_report", None)
    return dict(own()) if callable(own) else {"kind": type(part).__name__}


def describe_backend(settings: SignalSettings) -> str:
    """One line for the log saying what the signals will drive."""
    where = {"adafruit-tower": settings.tower.port, "bridge": settings.bridge.port}.get(settings.backend, "")
    return settings.backend + (f" on {where}" if where else "")
