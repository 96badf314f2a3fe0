"""Where things go on the screen: the status strip, the offline banner and each page's grid of cells.

Pure arithmetic on (x, y, width, height) tuples, no pygame, so it can be
tested and reused by preview at any size. Cells never overlap and never
leave the screen.
"""

from __future__ import annotations

from dataclasses import dataclass

from wallboard.device.config.screen_schema import PageSettings, WidgetSettings

Box = tuple[int, int, int, int]  # x, y, width, height


@dataclass(frozen=True, slots=True)
class ScreenLayout:
    """The fixed bands and the grid area for one screen size and state."""

    strip: Box | None
    banner: Box | None
    grid: Box
    gap: int


def screen_layout(width: int, height: int, *, strip: bool, banner: bool) -> ScreenLayout:
    """Split the screen: status strip on top, the offline banner under it when offline, the grid below."""
    gap = max(4, round(min(width, height) * 0.012))
    y = 0
    strip_box: Box | None = None
    if strip:
        strip_h = max(28, round(height * 0.075))  # its words at the legible minimum (display.logic.legibility)
        strip_box = (0, 0, width, strip_h)
        y = strip_h
    banner_box: Box | None = None
    if banner:
        banner_h = max(48, round(height * 0.18))
        banner_box = (0, y, width, banner_h)
        y += banner_h
    grid = (gap, y + gap, width - 2 * gap, height - y - 2 * gap)
    return ScreenLayout(strip_box, banner_box, grid, gap)


def cell_box(grid: Box, gap: int, page: PageSettings, widget: WidgetSettings) -> Box:
    """The box a widget covers on ``grid``: its cells and the gaps between them."""
    gx, gy, gw, gh = grid
    column, row = widget.at
    columns, rows = widget.span
    x0 = gx + (gw + gap) * (column - 1) // page.columns
    x1 = gx + (gw + gap) * (column - 1 + columns) // page.columns - gap
    y0 = gy + (gh + gap) * (row - 1) // page.rows
    y1 = gy + (gh + gap) * (row - 1 + rows) // page.rows - gap
    return (x0, y0, max(1, x1 - x0), max(1, y1 - y0))


def inside(inner: Box, outer: Box) -> bool:
    """True if ``inner`` lies wholly within ``outer``."""
    ix, iy, iw, ih = inner
    ox, oy, ow, oh = outer
    return ix >= ox and iy >= oy and ix + iw <= ox + ow and iy + ih <= oy + oh
