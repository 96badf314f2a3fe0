"""An output that writes the screen to a PNG file every few seconds: the demo's window where there is none."""

from __future__ import annotations

import logging
from pathlib import Path

from wallboard.device.core.view import BoardView, DisplayProbe

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
        temporary = self._path.with_suffix(".tmp.png")
        try:
            temporary.write_bytes(self._display.snapshot_png(max_width=_FULL_SIZE, max_bytes=_FULL_SIZE * 1024))
            temporary.replace(self._path)  # a viewer never sees a half-written file
            self.written += 1
        except OSError as exc:
            log.warning("could not write the demo screenshot %s: %s", self._path, exc)

    def close(self) -> None:
        self._write()
