"""The values the board state holds and reports: a metric's value with its times, and the link's state.

Plain frozen values, shared by the state that holds them, the cache that stores them and the outputs
that read them; no behaviour beyond their own fields.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class LinkStatus(enum.Enum):
    """The broker connection as the board sees it."""

    CONNECTING = "connecting"
    UP = "up"
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class LinkChange:
    """The broker connection changed to ``status`` at ``at`` (epoch seconds)."""

    status: LinkStatus
    at: float
    detail: str = ""


@dataclass(frozen=True, slots=True)
class MetricValue:
    """A held value: what it is, when it was measured, when it arrived, and whether it was derived."""

    value: float
    measured_at: float
    received_at: float
    derived: bool = False
