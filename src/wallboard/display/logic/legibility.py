"""How big text must be to read from across the floor: the minimum cap height, in pixels, for a screen.

The rule: a capital letter must be at least 1 inch tall per 30 feet of viewing
distance, the United States Sign Council's legibility index for well-lit,
high-contrast upper-case sans-serif letters (USSC / Pennsylvania Transportation
Institute, Penn State, 1998: about 29-30 ft of legible distance per inch of
letter height). In metric: cap height >= distance / 360, so 27.8 mm at 10 m.

A board is judged on the TV it is most often hung on, a 65-inch 16:9 panel (its
picture is 810 mm tall), so on a 1080-line picture 27.8 mm is 37 pixels and the
minimum scales with the picture's lines (25 px at 720p, 74 px at 2160p). A
55-inch TV needs 20 % more; IT can check another size with ``min_cap_px``.
Pure arithmetic: no pygame.
"""

from __future__ import annotations

import math

VIEWING_DISTANCE_M = 10.0
LEGIBILITY_INDEX = 360.0  # USSC: 30 ft per inch of letter height = 360 units of distance per unit of height
REFERENCE_DIAGONAL_IN = 65.0


def picture_height_mm(diagonal_in: float, aspect: tuple[int, int] = (16, 9)) -> float:
    """The picture height of a TV with a ``diagonal_in`` inch diagonal and the given aspect ratio."""
    w, h = aspect
    return diagonal_in * 25.4 * h / math.hypot(w, h)


def min_cap_mm(distance_m: float = VIEWING_DISTANCE_M) -> float:
    """The smallest cap height legible at ``distance_m`` (USSC legibility index, 30 ft per inch)."""
    return distance_m * 1000.0 / LEGIBILITY_INDEX


def min_cap_px(screen_height: int, diagonal_in: float = REFERENCE_DIAGONAL_IN,
               distance_m: float = VIEWING_DISTANCE_M) -> int:  # fmt: skip
    """The smallest cap height in pixels on a ``screen_height``-line picture of that TV at that distance."""
    return math.ceil(min_cap_mm(distance_m) / picture_height_mm(diagonal_in) * screen_height - 1e-9)
