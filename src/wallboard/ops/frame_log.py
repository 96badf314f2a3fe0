"""A benchmark-only output: a line per shown value change and a periodic tally, written to a file.

``app.loop.compose.build_outputs`` adds it, after the display, only when the
environment variable ``WALLBOARD_FRAME_LOG`` names a file; a production board
never builds it. The benchmarks in ``bench/`` read the file to work out
message-to-screen latency (the publisher's ``ts`` against the time the frame
that shows the value finished), the messages the board absorbed per second,
and the frame rate.

Lines (space separated, times in epoch seconds):

- ``V <frame_time> <metric> <measured_at> <value>``: a watched metric's value
  changed since the previous frame; the frame that shows it finished at
  ``frame_time``. Watched metrics are those on the display's widgets, else
  the ones the config declares or has rules for.
- ``T <time> <passes> <frames> <accepted> <dropped> <rejected> <metrics> <presents> <bytes>``:
  every ``interval`` seconds; ``passes`` counts calls of this output (the loop's
  data passes), ``frames`` the display's drawn frames when the display counts
  them (else equal to ``passes``), ``accepted``/``dropped`` the hand-off's
  counts and ``rejected`` the edge's rejections, ``presents`` and ``bytes``
  the display's pushes to the screen and the bytes they uploaded (0 without
  a display that counts them), all since the start.

It must stay cheap: it looks only at the watched metrics, buffers its writes
and flushes with each tally, and never changes the state it reads. It never
asks the loop to wake for it: values change only on data passes, which call
every output, and those come at least once a second (so a tally is written
every ``interval`` seconds at the finest, every second at the coarsest).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TextIO

from wallboard.device.core.view import BoardView, PresentCounter

ENVIRONMENT_VARIABLE = "WALLBOARD_FRAME_LOG"
_NOT_WOKEN = 3600.0  # called on data passes only (see the module docstring)


class FrameLog:
    """Writes shown value changes and periodic tallies for the benchmarks (see the module docstring)."""

    def __init__(
        self,
        path: Path,
        *,
        interval: float = 0.5,
        frames: Callable[[], int] | None = None,
        presents: Callable[[], tuple[int, int]] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._file: TextIO = path.open("a", encoding="utf-8", buffering=1 << 16)
        self._interval = interval
        self._frames = frames
        self._presents = presents
        self._clock = clock
        self._watched: tuple[str, ...] | None = None
        self._shown: dict[str, float] = {}
        self._passes = 0
        self._next_tally = 0.0

    def _watch(self, view: BoardView) -> tuple[str, ...]:
        config = view.config
        keys = [w.metric for page in config.display.page for w in page.widget if w.metric is not None]
        if not keys:
            keys = [m.key for m in config.metric] + [r.metric for r in config.rule]
        return tuple(dict.fromkeys(keys))

    def render(self, view: BoardView) -> float:
        now = self._clock()
        self._passes += 1
        if self._watched is None:
            self._watched = self._watch(view)
        write = self._file.write
        for key in self._watched:
            held = view.state.value(key)
            if held is not None and self._shown.get(key) != held.measured_at:
                self._shown[key] = held.measured_at
                write(f"V {now:.6f} {key} {held.measured_at:.6f} {held.value:g}\n")
        if now >= self._next_tally:
            self._next_tally = now + self._interval
            handoff = view.handoff
            frames = self._frames() if self._frames is not None else self._passes
            dropped = handoff.dropped_full + handoff.dropped_older
            rejected = sum(view.rejections.values())
            count = sum(1 for _ in view.state.metrics())
            presents, uploaded = self._presents() if self._presents is not None else (0, 0)
            write(f"T {now:.6f} {self._passes} {frames} {handoff.accepted} {dropped} {rejected} {count} "
                  f"{presents} {uploaded}\n")  # fmt: skip
            self._file.flush()
        return _NOT_WOKEN

    def reconfigure(self, config: object) -> None:
        """A new config may put other metrics on screen: work them out again on the next frame."""
        self._watched = None

    def close(self) -> None:
        self._file.close()


def frame_log_from_environment(
    outputs: Iterable[object] = (), environ: Mapping[str, str] | None = None
) -> FrameLog | None:
    """A ``FrameLog`` writing to the file ``$WALLBOARD_FRAME_LOG`` names; None (the normal case) when unset.

    Frames are counted by the first of ``outputs`` that counts them (the display's ``frames_drawn``),
    presents and uploaded bytes by the first that is a ``PresentCounter``.
    """
    path = (os.environ if environ is None else environ).get(ENVIRONMENT_VARIABLE, "")
    if not path:
        return None
    counter = next((o for o in outputs if isinstance(getattr(o, "frames_drawn", None), int)), None)
    frames = (lambda: int(getattr(counter, "frames_drawn", 0))) if counter is not None else None
    screen = next((o for o in outputs if isinstance(o, PresentCounter)), None)
    presents = (lambda: (screen.presents, screen.bytes_uploaded)) if screen is not None else None
    return FrameLog(Path(path), frames=frames, presents=presents)
