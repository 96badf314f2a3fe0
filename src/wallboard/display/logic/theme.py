"""Colours and severity markers: what a tile looks like in each state. Plain data, no pygame.

Colour never carries meaning alone: every severity also has a text marker
with its own shape (a colour-blind agent must still see which tile is in
trouble), and critical tiles get a thick border. Stale and offline tiles are
grey so an old number never looks live.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

Colour = tuple[int, int, int]


class TileState(Enum):
    """How a tile is drawn: its severity, or that its value cannot be trusted."""

    NEUTRAL = "neutral"  # fresh value, no rule watches it
    NORMAL = "normal"
    WARN = "warn"
    CRITICAL = "critical"
    PENDING_WARN = "pending_warn"  # beyond the warn level, its hold still running: not OK, not yet an alarm
    PENDING_CRITICAL = "pending_critical"  # beyond the critical level, its hold still running
    STALE = "stale"  # value older than stale_after, or the board is offline
    MISSING = "missing"  # no value at all


@dataclass(frozen=True, slots=True)
class TileStyle:
    """Background, value colour, secondary text colour and the marker text for one tile state."""

    background: Colour
    value: Colour
    text: Colour
    marker: str
    border: int  # border width as a fraction of 1000 of the tile's short side; 0: none
    edge: Colour | None = None  # the border's colour; None: the text colour


@dataclass(frozen=True, slots=True)
class Theme:
    """Every colour the board uses."""

    background: Colour
    strip: Colour
    strip_text: Colour
    live: Colour
    partly_stale: Colour  # the strip's marker while some of the data shown is stale: never the live green
    banner: Colour
    banner_text: Colour
    ticker: Colour
    ticker_text: Colour
    panel: Colour
    panel_text: Colour
    muted: Colour
    agent_states: tuple[Colour, Colour, Colour, Colour]  # available, on call, wrap, away
    tiles: dict[TileState, TileStyle]

    def tile(self, state: TileState) -> TileStyle:
        return self.tiles[state]


WHITE: Colour = (255, 255, 255)
BLACK: Colour = (0, 0, 0)

_TILES_DARK = {
    TileState.NEUTRAL: TileStyle((38, 50, 56), WHITE, (200, 210, 215), "", 0),
    TileState.NORMAL: TileStyle((27, 94, 32), WHITE, (215, 240, 215), "\u2713 OK", 0),
    TileState.WARN: TileStyle((255, 179, 0), BLACK, (40, 30, 0), "\u25b2 WARNING", 25),
    TileState.CRITICAL: TileStyle((198, 20, 20), WHITE, WHITE, "\u2716 CRITICAL", 45),
    # Pending: a dark slate tile (never the OK green) framed in the coming level's colour; the marker says when.
    TileState.PENDING_WARN: TileStyle((38, 50, 56), WHITE, (255, 200, 60), "\u25b2 WARNING IN", 45, (255, 179, 0)),
    TileState.PENDING_CRITICAL: TileStyle(
        (38, 50, 56), WHITE, (255, 130, 130), "\u2716 CRITICAL IN", 45, (235, 40, 40)
    ),
    TileState.STALE: TileStyle((66, 66, 66), (150, 150, 150), (205, 205, 205), "STALE", 0),
    TileState.MISSING: TileStyle((50, 50, 50), (130, 130, 130), (190, 190, 190), "NO DATA", 0),
}

DARK = Theme(
    background=(10, 12, 16),
    strip=(24, 28, 36),
    strip_text=(225, 230, 235),
    live=(102, 222, 102),
    partly_stale=(255, 200, 60),
    banner=(106, 27, 154),
    banner_text=WHITE,
    ticker=(13, 71, 161),
    ticker_text=WHITE,
    panel=(30, 38, 48),
    panel_text=(235, 240, 245),
    muted=(150, 160, 170),
    agent_states=((46, 160, 67), (30, 110, 210), (142, 68, 173), (110, 110, 110)),
    tiles=_TILES_DARK,
)

LIGHT = Theme(
    background=(220, 224, 228),
    strip=(245, 247, 250),
    strip_text=(20, 24, 30),
    live=(20, 120, 40),
    partly_stale=(150, 90, 0),
    banner=(106, 27, 154),
    banner_text=WHITE,
    ticker=(13, 71, 161),
    ticker_text=WHITE,
    panel=(250, 250, 252),
    panel_text=(20, 24, 30),
    muted=(90, 96, 104),
    agent_states=((46, 160, 67), (30, 110, 210), (142, 68, 173), (110, 110, 110)),
    tiles={**_TILES_DARK, TileState.NEUTRAL: TileStyle((250, 250, 252), (20, 24, 30), (60, 66, 74), "", 0)},
)

THEMES = {"dark": DARK, "light": LIGHT}
