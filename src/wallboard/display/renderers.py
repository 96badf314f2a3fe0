"""How the screen opens on purpose: which SDL renderer, proof that it draws, and a crash at open survived.

On a bare console (SDL's ``kmsdrm`` driver) SDL has no window surface of its own: the board's frame reaches
the TV through one of SDL's GPU renderers, and left to itself SDL 2.32 takes the first that loads, the desktop
``opengl`` renderer whenever ``libGL.so.1`` happens to be installed, even where only OpenGL ES drives the
screen (a Pi's vc4/v3d); in a VM that renderer flipped all-black frames while the board reported healthy. So
the board chooses (``choose_renderers``, a pure function of the driver and the environment): OpenGL ES 2 (what
the Pi's GPU supports), then ``software``: the same renderer on Mesa's software rasteriser, softpipe (no GPU,
and no JIT code either, so a CPU feature the JIT gets wrong cannot crash it). On any other driver (a desktop,
``offscreen``) SDL's own window surface is used and no renderer is involved.

``frame_shows`` compares what the board drew with what the renderer reads back; ``ScreenOpenMarker`` is
the file written before the screen opens and removed once the first frame has proved itself: found at start,
it means that open killed the process, and the next start takes the safe path. ``StderrTap`` counts the
complaints SDL only writes to stderr (``Could not queue pageflip: -12``: the GPU's memory is full) so the
status can say so. Nothing here opens SDL's display (``screen.py`` does); nothing here draws.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Mapping, MutableMapping
from pathlib import Path

import pygame

log = logging.getLogger(__name__)

RENDERER_GLES2 = "opengles2"
RENDERER_SOFTWARE = "software"
RENDERER_SURFACE = "surface"  # SDL's own window surface: no renderer (a desktop, offscreen)
# What each renderer sets in the environment before SDL's video starts; None removes the variable.
# SDL_FRAMEBUFFER_ACCELERATION naming a renderer is how SDL 2 picks the one behind the window surface (it fails
# instead of falling back to another); SDL_RENDER_DRIVER says the same to SDL's other paths.
_SETTINGS: dict[str, dict[str, str | None]] = {
    RENDERER_GLES2: {"SDL_FRAMEBUFFER_ACCELERATION": "opengles2", "SDL_RENDER_DRIVER": "opengles2",
                     "LIBGL_ALWAYS_SOFTWARE": None, "GBM_ALWAYS_SOFTWARE": None, "GALLIUM_DRIVER": None},
    RENDERER_SOFTWARE: {"SDL_FRAMEBUFFER_ACCELERATION": "opengles2", "SDL_RENDER_DRIVER": "opengles2",
                        "LIBGL_ALWAYS_SOFTWARE": "1", "GBM_ALWAYS_SOFTWARE": "1", "GALLIUM_DRIVER": "softpipe"},
}  # fmt: skip
# An operator's pick (in /etc/default/wallboard) goes first; the safe path stays behind it.
OVERRIDE_VARIABLE = "WALLBOARD_RENDERER"


def choose_renderers(driver: str | None, environ: Mapping[str, str], *, safe: bool = False) -> tuple[str, ...]:
    """The renderers to try on ``driver``, best first; ``safe``: only the one that cannot crash in a GPU driver.

    Depends on nothing but its arguments: which libraries the machine has never changes the choice.
    """
    if driver != "kmsdrm":
        return (RENDERER_SURFACE,)
    if safe:
        return (RENDERER_SOFTWARE,)
    asked = environ.get(OVERRIDE_VARIABLE, "").strip().lower()
    if asked in (RENDERER_GLES2, RENDERER_SOFTWARE):
        return tuple(dict.fromkeys((asked, RENDERER_GLES2, RENDERER_SOFTWARE)))
    return (RENDERER_GLES2, RENDERER_SOFTWARE)


def renderer_settings(renderer: str) -> dict[str, str | None]:
    """The environment ``renderer`` needs before SDL's video starts (None: removed); {} for the window surface."""
    return dict(_SETTINGS.get(renderer, {}))


def apply_renderer(renderer: str, environ: MutableMapping[str, str], *, before: dict[str, str | None]) -> None:
    """Set ``renderer``'s variables in ``environ`` (the process's own, read by SDL and Mesa as they load).

    ``before`` collects each variable's value from before the first change, for ``restore_environment``.
    """
    for name, value in renderer_settings(renderer).items():
        before.setdefault(name, environ.get(name))
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value


def restore_environment(before: dict[str, str | None], environ: MutableMapping[str, str]) -> None:
    """Put back the variables ``apply_renderer`` changed (the screen closed: nothing else should inherit them)."""
    for name, value in before.items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    before.clear()


def frame_shows(drawn: pygame.Surface, shown: pygame.Surface, *, grid: int = 24, tolerance: int = 48) -> bool:
    """Whether ``shown`` (read back from the renderer) holds ``drawn``: most non-black sample points agree.

    A frame with nothing but black in it proves nothing either way and counts as shown.
    """
    if shown.get_size() != drawn.get_size():
        shown = pygame.transform.scale(shown, drawn.get_size())
    width, height = drawn.get_size()
    lit = agree = 0
    for row in range(grid):
        for column in range(grid):
            x, y = (2 * column + 1) * width // (2 * grid), (2 * row + 1) * height // (2 * grid)
            want, got = drawn.get_at((x, y)), shown.get_at((x, y))
            if max(want.r, want.g, want.b) < 24:
                continue
            lit += 1
            agree += all(abs(a - b) <= tolerance for a, b in zip(want[:3], got[:3], strict=True))
    return lit == 0 or agree >= 0.9 * lit


class ScreenOpenMarker:
    """The file in the state directory that is there only while the screen is being opened.

    ``arm`` writes (and syncs) it with the driver and renderer before SDL opens anything; ``clear`` removes it
    once the first frame proved itself or the open failed cleanly. Found by ``found`` at start, the last open
    killed the process (a segfault in a GPU driver, say): nothing but a crash leaves it.
    """

    NAME = "screen-open.json"

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / self.NAME

    def found(self) -> dict[str, object] | None:
        """What the last, fatal, open was trying (``driver``, ``renderer``, ``at``); None if it ended."""
        try:
            text = self.path.read_text()
        except OSError:
            return None
        try:
            found = json.loads(text)
        except ValueError:
            found = None
        return found if isinstance(found, dict) else {"driver": "?", "renderer": "?", "at": None}

    def arm(self, driver: str, renderer: str) -> None:
        """Write the marker before an open; a state directory that cannot be written only loses the guard."""
        record = json.dumps({"driver": driver, "renderer": renderer, "at": round(time.time(), 3), "pid": os.getpid()})
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "w") as marker:
                marker.write(record)
                marker.flush()
                os.fsync(marker.fileno())  # a crash a moment later must still find it
        except OSError as exc:
            log.warning("display: cannot write %s (%s): a crash at screen open would not be noticed", self.path, exc)

    def clear(self) -> None:
        """Remove the marker: the open ended without killing the process."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


# SDL's kmsdrm driver reports a failed page flip only as a log line on stderr.
_FLIP_TROUBLE = re.compile(r"page ?flip|swap ?buffers|drmModeSetCrtc|Could not set videomode", re.IGNORECASE)


class StderrTap:
    """Passes everything written to file descriptor 2 through, counting the lines SDL writes about page flips.

    Installed only on ``kmsdrm``, for the board's whole run; the reader thread never logs (its own output would
    come back through the pipe): the screen reads ``flip_errors`` and ``last_flip_error`` and logs for it.
    """

    def __init__(self) -> None:
        self.flip_errors = 0
        self.last_flip_error = ""
        self._saved: int | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Route fd 2 through the tap; on any failure stderr stays as it was."""
        if self._saved is not None:
            return
        try:
            read_end, write_end = os.pipe()
            saved = os.dup(2)
            os.dup2(write_end, 2)
            os.close(write_end)
        except OSError as exc:
            log.warning("display: cannot watch SDL's stderr (%s): page-flip errors go uncounted", exc)
            return
        self._saved = saved
        self._thread = threading.Thread(target=self._pump, args=(read_end, saved), name="sdl-stderr", daemon=True)
        self._thread.start()

    def _pump(self, read_end: int, passthrough: int) -> None:
        pending = b""
        while True:
            try:
                chunk = os.read(read_end, 65536)
            except OSError:
                return
            if not chunk:  # fd 2 given back (``stop``): the last writer is gone
                os.close(read_end)
                os.close(passthrough)
                return
            with contextlib.suppress(OSError):
                os.write(passthrough, chunk)
            pending += chunk
            *lines, pending = pending.split(b"\n")
            pending = pending[-4096:]
            for line in lines:
                text = line.decode(errors="replace").strip()
                if _FLIP_TROUBLE.search(text):
                    self.flip_errors += 1
                    self.last_flip_error = text[:200]

    def stop(self) -> None:
        """Give fd 2 back; the reader ends once the pipe's last writer is gone."""
        if self._saved is None:
            return
        with contextlib.suppress(OSError):
            os.dup2(self._saved, 2)  # the reader closes its copy of the original once it drains the pipe
        self._saved = None
