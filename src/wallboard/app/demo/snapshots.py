"""The demo's screenshots: the screen every few seconds (its window where there is none), and the story's moments.

``SnapshotFile`` rewrites one file with the latest frame; ``MomentShots`` keeps the first frame of each
state the story goes through (normal, pending, warning, critical, acknowledged, recovered), each in a
file of its own. Outputs: they read the view and the display's frame, never change anything.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from wallboard.device.core.rules import Severity
from wallboard.device.core.view import BoardView, DisplayProbe, ExplainsScreen

log = logging.getLogger(__name__)

# Large enough that snapshot_png returns the frame at full size.
_FULL_SIZE = 1 << 16


class SnapshotFile:
    """Writes ``display``'s frame to ``path`` every ``every`` seconds and on close, never half-written."""

    def __init__(self, display: DisplayProbe, path: Path, *, every: float) -> None:
        self._display = display
        self._path = path
        self._every = every
        self._due = float("-inf")
        self.written = 0

    def render(self, view: BoardView) -> float:
        if view.now >= self._due:
            self._write()
            self._due = view.now + self._every
        return max(0.0, self._due - view.now)

    def _write(self) -> None:
        if _write_png(self._display, self._path):
            self.written += 1

    def close(self) -> None:
        self._write()


# The story's moments, in the order a first run meets them, and the file each one's first frame is kept in.
MOMENTS = ("normal", "pending", "warning", "critical", "acknowledged", "recovered")
_SETTLE_S = 3.0  # "normal" is kept once every value has arrived and held for this long, not the first data frame


def moment_of(view: BoardView, alarmed: bool) -> str | None:
    """The story's moment ``view`` shows (``alarmed``: an alarm came before); None while the board is blind."""
    assessment = view.assessment
    if assessment.blind:
        return None
    if view.acknowledged is not None and assessment.board >= Severity.WARN:
        return "acknowledged"
    if assessment.board is Severity.CRITICAL:
        return "critical"
    if assessment.board is Severity.WARN:
        return "warning"
    if assessment.pending:
        return "pending"
    if assessment.board is Severity.NORMAL:
        return "recovered" if alarmed else "normal"
    return None


class MomentShots:
    """Keeps the first frame of each of the story's moments as ``01-normal.png`` ... ``06-recovered.png``.

    What a watcher would want to see again: each state as it first appears, not the last of a file
    overwritten every few seconds. Each file is written once per run, on the first frame whose page shows
    a metric the moment is about (the pages turn; a pending hold on a page not on screen is not in view;
    "recovered" waits for a page with a metric that was in alarm).
    """

    def __init__(self, display: DisplayProbe, folder: Path, *, on_kept: Callable[[str, Path], None] | None = None):
        self._display = display
        self._folder = folder
        self._on_kept = on_kept
        self._alarmed = False
        self._alarm_metrics: set[str] = set()  # the metrics that were in alarm: "recovered" is shown with them
        self._normal_since: float | None = None
        self.kept: dict[str, Path] = {}

    def render(self, view: BoardView) -> float:
        moment = moment_of(view, self._alarmed)
        if moment in ("warning", "critical", "acknowledged"):
            self._alarmed = True
            self._alarm_metrics.update(key for key, level in view.assessment.metrics.items() if level >= Severity.WARN)
        if moment == "normal":
            self._normal_since = view.now if self._normal_since is None else self._normal_since
            if view.now - self._normal_since < _SETTLE_S:
                return _SETTLE_S
        if moment is None or moment in self.kept or not self._on_screen(view, moment):
            return 1.0
        path = self._folder / f"{MOMENTS.index(moment) + 1:02d}-{moment}.png"
        if _write_png(self._display, path):
            self.kept[moment] = path
            if self._on_kept is not None:
                self._on_kept(moment, path)
        return 1.0

    def _on_screen(self, view: BoardView, moment: str) -> bool:
        """True if the page on screen shows a metric the moment is about (pages turn: wait for it to come round)."""
        if moment == "normal" or not isinstance(self._display, ExplainsScreen):
            return True
        twin = self._display.explain()
        widgets = twin.get("widgets", []) if twin is not None else []
        shown = {w.get("metric") for w in widgets if isinstance(w, dict)} if isinstance(widgets, list) else set()
        assessment = view.assessment
        if moment == "recovered":
            return bool(shown & self._alarm_metrics)
        if moment == "pending":
            return any(key in assessment.pending for key in shown if isinstance(key, str))
        return any((assessment.severity_of(key) or Severity.NORMAL) >= Severity.WARN
                   for key in shown if isinstance(key, str))  # fmt: skip

    def close(self) -> None:
        """Nothing to release: each moment was written when it came."""


def _write_png(display: DisplayProbe, path: Path) -> bool:
    temporary = path.with_suffix(".tmp.png")
    try:
        temporary.write_bytes(display.snapshot_png(max_width=_FULL_SIZE, max_bytes=_FULL_SIZE * 1024))
        temporary.replace(path)  # a viewer never sees a half-written file
    except OSError as exc:
        log.warning("could not write the demo screenshot %s: %s", path, exc)
        return False
    return True
