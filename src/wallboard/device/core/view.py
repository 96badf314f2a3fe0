"""What an output may read and use: ``BoardView`` (one pass's state), ``BoardOutput``, and the narrow ports.

Outputs (the display, the signals, the operator outputs in ``ops``) get a ``BoardView`` on every
pass and, when built, only the ports they need: a ``Publisher`` for what they send over MQTT, a
``DisplayProbe`` to read the screen, ``ScreenHealth`` to know whether the screen shows anything,
``ReportsHealth`` for what they say in the status. They never get
the ``Board``: an output cannot change the state, the rules or the connection. No I/O here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from wallboard.device.config.remote import ConfigOutcome
from wallboard.device.config.schema import BoardConfig
from wallboard.device.core.late import LateSummary
from wallboard.device.core.reader import StateReader
from wallboard.device.core.rules import Assessment, Severity
from wallboard.device.core.updates import ScreenshotRequest


@dataclass(frozen=True)
class HandoffStats:
    """What the hand-off from the MQTT thread has done since the board started."""

    accepted: int
    coalesced: int
    dropped_full: int
    dropped_older: int


@dataclass(frozen=True)
class BoardView:
    """What an output may read on one pass of the loop. Outputs must not change the state."""

    config: BoardConfig
    state: StateReader
    assessment: Assessment
    wall_now: float
    now: float
    rejections: dict[str, int]
    handoff: HandoffStats
    # The board's identity over time: which config it runs, since when, and the last remote config's fate.
    config_checksum: str = ""
    started_at: float = 0.0
    config_outcome: ConfigOutcome | None = None
    # The local cache: "ok", or "degraded (<reason>)" while its file cannot be opened or written.
    cache_condition: str = "ok"
    # Screenshot requests that arrived since the last pass (newest last).
    screenshot_requests: tuple[ScreenshotRequest, ...] = field(default=())
    # Values that arrived already older than their stale_after, and the last one explained.
    late: LateSummary = field(default_factory=lambda: LateSummary(0, ""))
    # The alarm level the floor has acknowledged (sound silenced until it clears or gets worse); None if none.
    acknowledged: Severity | None = None

    def is_acknowledged(self, severity: Severity | None) -> bool:
        """True if an alarm at ``severity`` (warning or critical) is covered by the floor's acknowledgement."""
        return severity is not None and self.acknowledged is not None and Severity.WARN <= severity <= self.acknowledged


def moved_on(view: BoardView, wall_now: float, now: float) -> BoardView:
    """``view`` at a later moment: the same board with only its clocks moved on (an animation frame's view).

    A shallow copy of its fields with two set, not ``dataclasses.replace`` (which rebuilds every field
    through ``__init__``) nor ``copy.copy`` (``__reduce_ex__``, ~4x the time): it is made up to 30 times a
    second.
    """
    moved = object.__new__(BoardView)
    fields = moved.__dict__
    fields.update(view.__dict__)
    fields["wall_now"], fields["now"] = wall_now, now
    return moved


class BoardOutput(Protocol):
    """Something the board drives from its state: the screen, a stack light, the journal."""

    def render(self, view: BoardView) -> float:
        """Show ``view``; return how many seconds may pass before the next call."""
        ...

    def close(self) -> None:
        """Release the output, leaving it in its safe state."""
        ...


class Publisher(Protocol):
    """Where an output sends MQTT messages: the board's own connection, as a port."""

    @property
    def address(self) -> str:
        """The broker, as ``host:port``, for the status."""
        ...

    def publish(self, topic: str, payload: bytes, *, retain: bool = False, qos: int = 1) -> bool:
        """Queue one message; False if it could not be (not connected, say)."""
        ...


@runtime_checkable
class DisplayProbe(Protocol):
    """What operations read from the display output: its frame counters and a PNG of the current frame."""

    frames_drawn: int
    fps: float

    def snapshot_png(self, max_width: int = 960, max_bytes: int = 256_000) -> bytes:
        """The frame on screen now as PNG, at most ``max_width`` wide and ``max_bytes`` long."""
        ...


@runtime_checkable
class ExplainsScreen(Protocol):
    """A display that can say in words what its current frame shows: the screen's text twin (docs/screen-twin.md)."""

    def explain(self) -> Mapping[str, object] | None:
        """The twin of the frame on screen now, as JSON-able values; None before the first frame."""
        ...


@runtime_checkable
class PresentCounter(Protocol):
    """A display that counts its pushes to the screen and the bytes they upload (read by the benchmarks)."""

    presents: int
    bytes_uploaded: int


@runtime_checkable
class ReportsHealth(Protocol):
    """An output (a signal backend, say) that has something to say in the status, as JSON-able values."""

    def health_report(self) -> Mapping[str, object]: ...


SCREEN_OK = "ok"
SCREEN_OFFSCREEN = "offscreen"


@dataclass(frozen=True)
class ScreenReport:
    """Whether the board's screen shows its numbers: the SDL driver, the resolution and the state.

    ``state`` is ``"ok"`` (drawing on a real screen), ``"offscreen"`` (drawing in memory by choice: a
    preview, the demo without a window, a test), ``"retrying: <reason>"`` (the screen would not open; the
    board keeps trying with backoff and shows nothing meanwhile) or ``"dark: <reason>"`` (it opened, but what
    the renderer holds is not what the board drew). ``renderer`` is the SDL renderer behind the screen
    (``opengles2``, ``software``, or ``surface`` where SDL's own window surface needs none); ``safe_mode``
    says why this start took the safe path (the last screen open killed the board), ``""`` if it did not;
    ``present_errors`` counts the presents and page flips that failed, the last one in ``last_present_error``;
    ``dark_renderers`` names the renderers whose first frame was read back and did not hold what was drawn.
    """

    driver: str
    resolution: tuple[int, int] | None
    state: str
    frames_drawn: int
    renderer: str | None = None
    safe_mode: str = ""
    present_errors: int = 0
    last_present_error: str = ""
    dark_renderers: tuple[str, ...] = ()

    @property
    def showing(self) -> bool:
        """False while the screen cannot show the board's numbers (the stack light then says blind)."""
        return self.state in (SCREEN_OK, SCREEN_OFFSCREEN)


@runtime_checkable
class ScreenHealth(Protocol):
    """The display output as other outputs see it: only whether it shows, never the screen itself."""

    def screen_report(self) -> ScreenReport:
        """The screen's state on this pass."""
        ...


def find_screen(outputs: Iterable[object]) -> ScreenHealth | None:
    """The first output that reports on a screen, if the board has one."""
    for output in outputs:
        if isinstance(output, ScreenHealth):
            return output
    return None
