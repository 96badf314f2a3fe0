"""How numbers, durations and ages read on the board: pure functions, no pygame.

Counts are whole numbers, percentages carry one decimal (78.5%, and "100%"
only for 100 itself), durations read as m:ss or h:mm:ss, and ages as "3m old".
Must not guess at units: the metric's kind decides.

Numbers round to the nearest, half away from zero, as the platforms' own
reports round (118/1242 = 9.5008 % reads "9.5%", 2.25 s reads "0:02" only
because durations are whole seconds, 12.25 % reads "12.3%"). The one exception
is a level: rounding never shows a met target for a missed one. Where the
nearest digits would land on the other side of a level the value has crossed,
they round toward the bad side instead (79.96 under "below 80" reads "79.9%",
never "80.0%"; 60.4 s under "above 60" reads "1:01", never "1:00");
``display.logic.tile_text.rounding_for`` decides that per value. With levels
strict ("below 80" is < 80), the digits then always agree with the colour.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal

from wallboard.device.wire.metrics import MetricKind

Rounding = Literal["nearest", "down", "up"]


def format_value(value: float, kind: MetricKind | None, rounding: Rounding = "nearest") -> str:
    """A metric value as shown on a tile, rounded in ``rounding``'s direction."""
    if not math.isfinite(value):
        return "--"
    if kind is MetricKind.COUNT:
        return _fixed(value, 0, rounding)
    if kind is MetricKind.PERCENT:
        if value == 100.0:
            return "100%"
        # Nothing short of 100 reads "100%", and nothing above 0 reads "0.0%".
        shown = _fixed(value, 1, rounding)
        if float(shown) >= 100.0:
            shown = "99.9"
        elif value > 0 and float(shown) == 0:
            shown = "0.1"
        return f"{shown}%"
    if kind is MetricKind.SECONDS:
        return format_duration(value, rounding)
    if abs(value) >= 1000 or value == round(value):
        return f"{float(_fixed(value, 0, rounding)):,.0f}"
    return _fixed(value, 1, rounding)


def shown_digits(value: float, kind: MetricKind | None) -> int:
    """How many decimals ``value`` shows as a ``kind``: one for a percentage (or a small plain number), else none."""
    if kind is MetricKind.PERCENT:
        return 1
    if kind in (MetricKind.COUNT, MetricKind.SECONDS):
        return 0
    return 0 if abs(value) >= 1000 or value == round(value) else 1


def round_half_away(value: float, digits: int) -> str:
    """``value`` to ``digits`` decimals, half away from zero, on the decimal the number reads as (``repr``).

    ``f"{x:.1f}"`` rounds the binary value half to even (9.45 -> "9.4", 0.125 -> "0.12"); a person and the
    platforms' reports round the written decimal half up, so 9.45 reads "9.5".
    """
    written = repr(value)
    decimals = written.partition(".")[2]
    # Only a written tie (one digit more than shown, a 5) can round differently; anything else is the nearest
    # either way, and the f-string is ~10x cheaper than Decimal (this runs for every number drawn).
    if "e" in written or len(decimals) != digits + 1 or not decimals.endswith("5"):
        return f"{value:.{digits}f}"
    try:
        return str(Decimal(written).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))
    except InvalidOperation:  # beyond Decimal's default precision: far from any decimal that matters
        return f"{value:.{digits}f}"


def _fixed(value: float, digits: int, rounding: Rounding) -> str:
    """``value`` with ``digits`` decimals: nearest, or the nearest not above (down) / not below (up) it."""
    text = round_half_away(value, digits)
    shown = float(text)
    step = 10.0**-digits
    if rounding == "down" and shown > value:
        text = f"{shown - step:.{digits}f}"
    elif rounding == "up" and shown < value:
        text = f"{shown + step:.{digits}f}"
    return text.lstrip("-") if float(text) == 0 else text


def format_duration(seconds: float, rounding: Rounding = "nearest") -> str:
    """``95`` -> ``1:35``; ``3725`` -> ``1:02:05``; under a minute -> ``0:42``."""
    total = max(0, int(_fixed(seconds, 0, rounding)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def format_age(seconds: float) -> str:
    """How old a value is, short enough for a tile: "40s old", "3m old", "2h old", "3d old"."""
    if seconds < 60:
        return f"{max(0, int(seconds))}s old"
    if seconds < 3600:
        return f"{int(seconds // 60)}m old"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h old"
    return f"{int(seconds // 86400)}d old"


def format_since(seconds: float | None) -> str:
    """The status strip's data age: "data 2s ago", "data 5m ago", "no data yet"."""
    if seconds is None:
        return "no data yet"
    return "data " + format_age(seconds).replace(" old", " ago")
