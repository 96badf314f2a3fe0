"""The night schedule and the burn-in shift: pure functions of the local time, no pygame.

``screen_mode`` says whether the screen is on, dimmed or blank at a local
time; ``burn_in_offset`` says how far the whole board is shifted right now.
Neither draws anything.
"""

from __future__ import annotations

import enum
from datetime import datetime

from wallboard.device.config.screen_schema import BurnInSettings, ScheduleSettings, parse_span


class ScreenMode(enum.Enum):
    """What the schedule wants from the screen."""

    ON = "on"
    DIM = "dim"
    BLANK = "blank"


def screen_mode(schedule: ScheduleSettings, local: datetime) -> ScreenMode:
    """ON inside the day's span; otherwise the schedule's ``outside`` mode. Spans may cross midnight."""
    minute = local.hour * 60 + local.minute
    if _inside(schedule, local.weekday(), minute):
        return ScreenMode.ON
    # A span such as "18:00-02:00" yesterday still covers the small hours today.
    yesterday = parse_span(schedule.day((local.weekday() - 1) % 7))
    if yesterday is not None and yesterday[1] < yesterday[0] and minute < yesterday[1]:
        return ScreenMode.ON
    return ScreenMode.DIM if schedule.outside == "dim" else ScreenMode.BLANK


def _inside(schedule: ScheduleSettings, weekday: int, minute: int) -> bool:
    span = parse_span(schedule.day(weekday))
    if span is None:
        return False
    start, end = span
    if start < end:
        return start <= minute < end
    return minute >= start  # crosses midnight: the rest of today from start


# A slow walk around a small square, so no pixel sits still for long.
_PATTERN = ((0, 0), (1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1))


def burn_in_offset(settings: BurnInSettings, wall_now: float, screen_height: int) -> tuple[int, int]:
    """The board's (dx, dy) shift in pixels at ``wall_now``; within +-``burn_in_margin``."""
    margin = burn_in_margin(settings, screen_height)
    if margin == 0:
        return (0, 0)
    step = int(wall_now // float(settings.interval)) % len(_PATTERN)
    dx, dy = _PATTERN[step]
    return (dx * margin, dy * margin)


def burn_in_margin(settings: BurnInSettings, screen_height: int) -> int:
    """The largest shift in pixels, scaled from 1080p to the screen's height."""
    if settings.shift_pixels <= 0:
        return 0
    return max(1, round(settings.shift_pixels * screen_height / 1080))
