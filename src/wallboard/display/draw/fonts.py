"""Fonts and rendered text, cached: the board draws the same few strings over and over.

DejaVu Sans Bold from the system (fonts-dejavu-core) by default, a configured
.ttf if given, and pygame's own font when neither is there. Sizes are
rounded to a few steps so the font cache stays small; rendered strings are
kept in an LRU bounded by the bytes of their pixels (not by count: one value
at tile size is 60-300 KB, so 768 of them held ~100 MB), so a still board
renders no glyphs at all and a board showing ever-new values stays flat. Needs
``pygame.font`` initialised by the caller; never initialises anything itself.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from pathlib import Path

import pygame

log = logging.getLogger(__name__)

DEJAVU_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
_BOLD = "DejaVuSans-Bold.ttf"
_REGULAR = "DejaVuSans.ttf"
TEXT_BUDGET = 8 * 1024 * 1024  # bytes of rendered pixels kept until a painter sizes it to its screen
# Text on a board covers well under a third of the screen (1.2 MB of strings on a 1080p board, whose
# frame is 8.3 MB), so a budget of ~35% of the frame's bytes holds everything shown plus room for
# changing values: 2.9 MB at 1080p, 11.6 MB at 4K. (8 MB at 1080p filled over the first minutes of a
# soak and added ~9 MB of PSS; 3 MB added ~3.6 MB and stayed flat through 3,000 distinct values.)
SCREEN_SHARE = 0.35
MIN_TEXT_BUDGET = 1024 * 1024
_ENTRY_OVERHEAD = 256  # bytes counted per cached string beyond its pixels (key, surface object)
_MIN_SIZE = 8
_MAX_SIZE = 1200

Colour = tuple[int, int, int]


def find_font(configured: str = "", *, bold: bool = True) -> str | None:
    """The font file to use: the configured one, DejaVu Sans, or None for pygame's default."""
    if configured:
        if Path(configured).is_file():
            return configured
        log.warning("font %s not found; using the default", configured)
    for folder in DEJAVU_DIRS:
        path = folder / (_BOLD if bold else _REGULAR)
        if path.is_file():
            return str(path)
    return None


def _step(size: float) -> int:
    """Round a size down to a step (1 px under 24, then ~4%) so only a few dozen fonts are ever opened."""
    size = max(_MIN_SIZE, min(_MAX_SIZE, int(size)))
    if size < 24:
        return size
    step = max(1, size // 24)
    return size - size % step


class FontBook:
    """Opened fonts by size and rendered text by (text, size, colour), both cached."""

    def __init__(self, configured: str = "", *, text_budget: int = TEXT_BUDGET) -> None:
        self.text_budget = text_budget
        self._bold_path = find_font(configured, bold=True)
        self._regular_path = find_font("", bold=False) if not configured else self._bold_path
        self._fonts: dict[tuple[int, bool], pygame.font.Font] = {}
        self._texts: OrderedDict[tuple[str, int, bool, Colour], pygame.Surface] = OrderedDict()
        self._text_bytes = 0
        self._fits: dict[tuple[str, int, int, bool], int] = {}
        self._caps: dict[tuple[int, bool], int] = {}
        self._sizes_for_caps: dict[tuple[int, bool], int] = {}
        self.renders = 0  # how many strings were actually rendered (cache misses)

    def font(self, size: int, bold: bool = True) -> pygame.font.Font:
        size = _step(size)
        key = (size, bold)
        found = self._fonts.get(key)
        if found is None:
            path = self._bold_path if bold else self._regular_path
            found = pygame.font.Font(path, size)
            if path is None:
                found.set_bold(bold)
            self._fonts[key] = found
        return found

    def text(self, content: str, size: int, colour: Colour, bold: bool = True) -> pygame.Surface:
        """``content`` rendered antialiased at ``size`` (rounded to a step) in ``colour``."""
        size = _step(size)
        key = (content, size, bold, colour)
        found = self._texts.get(key)
        if found is not None:
            self._texts.move_to_end(key)
            return found
        found = self.render(content, size, colour, bold)
        cost = _cost(found)
        if cost > self.text_budget:
            return found  # larger than the whole budget: drawn, never kept
        self._texts[key] = found
        self._text_bytes += cost
        while self._text_bytes > self.text_budget:
            _, dropped = self._texts.popitem(last=False)
            self._text_bytes -= _cost(dropped)
        return found

    def render(self, content: str, size: int, colour: Colour, bold: bool = True) -> pygame.Surface:
        """``content`` rendered as ``text`` would, but not cached (for a caller that keeps its own copy)."""
        self.renders += 1
        return self.font(size, bold).render(content, True, colour)

    def size_for_screen(self, width: int, height: int, bytes_per_pixel: int = 4) -> None:
        """Set the text budget to a share of a ``width`` x ``height`` frame (the cache trims on its next insert)."""
        self.text_budget = max(MIN_TEXT_BUDGET, int(width * height * bytes_per_pixel * SCREEN_SHARE))

    @property
    def text_bytes(self) -> int:
        """Bytes the cached strings are counted as (their pixels plus a small overhead each)."""
        return self._text_bytes

    def cap_height(self, size: int, bold: bool = True) -> int:
        """Pixels from the baseline to the top of a capital "H" at ``size``: how big text reads from afar."""
        size = _step(size)
        key = (size, bold)
        found = self._caps.get(key)
        if found is None:
            found = self._caps[key] = int(
                self.font(size, bold).render("H", True, (255, 255, 255)).get_bounding_rect().height
            )
        return found

    def size_for_cap(self, cap: int, bold: bool = True) -> int:
        """The smallest font size whose capitals are at least ``cap`` pixels tall (worked out once per cap)."""
        key = (int(cap), bold)
        found = self._sizes_for_caps.get(key)
        if found is None:
            size = max(_MIN_SIZE, int(cap))
            while self.cap_height(size, bold) < cap and size < 4 * cap + 8:
                size += 1
            found = self._sizes_for_caps[key] = size
        return found

    def measure(self, content: str, size: int, bold: bool = True) -> tuple[int, int]:
        """Width and height of ``content`` at ``size``."""
        width, height = self.font(size, bold).size(content)
        return int(width), int(height)

    def fit(self, content: str, width: int, height: int, bold: bool = True) -> int:
        """The largest size at which ``content`` fits in width x height (at least the minimum size)."""
        key = (content, width, height, bold)
        found = self._fits.get(key)
        if found is not None:
            return found
        reference = 100
        ref_w, ref_h = self.measure(content or " ", reference, bold)
        guess = min(width * reference / max(1, ref_w), height * reference / max(1, ref_h))
        size = _step(guess)
        while size > _MIN_SIZE:
            w, h = self.measure(content or " ", size, bold)
            if w <= width and h <= height:
                break
            size = _step(size * 0.95) if size > 24 else size - 1
        if len(self._fits) > 4096:
            self._fits.clear()
        self._fits[key] = size
        return size


def _cost(surface: pygame.Surface) -> int:
    return surface.get_width() * surface.get_height() * surface.get_bytesize() + _ENTRY_OVERHEAD
