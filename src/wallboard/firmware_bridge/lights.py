"""What a stack light is told: three lamps and a buzzer, each off, on or blinking.

``LightState`` is the one value every lamp backend receives; ``StackLight`` is
the small interface they share; ``RecordingStackLight`` is the fake that
records what it was told and when. Nothing here touches hardware.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol


class LampMode(enum.Enum):
    """What one lamp (or the buzzer) does."""

    OFF = "off"
    ON = "on"
    BLINK = "blink"


@dataclass(frozen=True, slots=True)
class LightState:
    """The desired state of a whole stack light."""

    red: LampMode = LampMode.OFF
    amber: LampMode = LampMode.OFF
    green: LampMode = LampMode.OFF
    buzzer: LampMode = LampMode.OFF

    def lamps(self) -> dict[str, LampMode]:
        """Name to mode for every output, buzzer included, in a fixed order."""
        return {"red": self.red, "amber": self.amber, "green": self.green, "buzzer": self.buzzer}

    def describe(self) -> str:
        """A short text for logs, e.g. ``red=blink amber=off green=off buzzer=off``."""
        return " ".join(f"{name}={mode.value}" for name, mode in self.lamps().items())


# Every lamp off and the buzzer silent: where each backend is left on close.
SAFE = LightState()

OUTPUT_NAMES = ("red", "amber", "green", "buzzer")


def blink_level(period: float, now: float) -> tuple[bool, float]:
    """Whether a blinking output is lit at ``now`` and how long until it next changes.

    The phase is taken from the clock, not from when blinking began, so every
    blinking output of a light (and of every board in the room) is in step.
    """
    half = period / 2
    phase = now % period
    if phase < half:
        return True, half - phase
    return False, period - phase


class StackLight(Protocol):
    """A lamp backend. ``show`` never blocks; ``close`` leaves the light in its safe state."""

    def show(self, state: LightState) -> None:
        """Ask for ``state``; the backend gets there in its own time."""
        ...

    def close(self) -> None:
        """Go to the safe state (all off) and release the device."""
        ...


class NullStackLight:
    """No lamps at all (the ``null`` backend)."""

    def health_report(self) -> dict[str, object]:
        return {"device": None, "connected": None}

    def show(self, state: LightState) -> None:
        return None

    def close(self) -> None:
        return None
