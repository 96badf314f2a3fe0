"""The night schedule, the burn-in shift and page rotation."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tests.conftest import board_toml
from tests.display_helpers import KPI_PAGE, config_from, view_of
from tests.helpers import WriteConfig
from wallboard.device.config.screen_schema import BurnInSettings, PageSettings, ScheduleSettings, WidgetSettings
from wallboard.device.config.types import Duration
from wallboard.device.core.rules import Assessment, Severity
from wallboard.display.logic.pages import PageRotation
from wallboard.display.logic.schedule import ScreenMode, burn_in_offset, screen_mode
from wallboard.display.screen import DisplayOutput

MONDAY = datetime(2025, 11, 24, 12, 0)  # a Monday


def test_schedule_is_on_inside_the_span_and_outside_mode_otherwise() -> None:
    """Inside the day's span the screen is on; before and after it the schedule's outside mode applies."""
    schedule = ScheduleSettings(mon="07:00-19:00", outside="dim")
    assert screen_mode(schedule, MONDAY.replace(hour=7)) is ScreenMode.ON
    assert screen_mode(schedule, MONDAY.replace(hour=6, minute=59)) is ScreenMode.DIM
    assert screen_mode(schedule, MONDAY.replace(hour=19)) is ScreenMode.DIM
    assert screen_mode(ScheduleSettings(mon="off"), MONDAY) is ScreenMode.BLANK


def test_schedule_span_may_cross_midnight() -> None:
    """A span of 18:00-02:00 on Monday keeps the screen on until 02:00 on Tuesday."""
    schedule = ScheduleSettings(mon="18:00-02:00", tue="off")
    assert screen_mode(schedule, MONDAY.replace(hour=23)) is ScreenMode.ON
    assert screen_mode(schedule, datetime(2025, 11, 25, 1, 30)) is ScreenMode.ON
    assert screen_mode(schedule, datetime(2025, 11, 25, 2, 30)) is ScreenMode.BLANK


def test_blank_period_leaves_the_screen_black(tmp_path: Path, write_config: WriteConfig) -> None:
    """Outside the schedule with outside = "blank", every pixel on the screen is black."""
    import pygame

    days = "\n".join(f'{day} = "off"' for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
    extra = KPI_PAGE.replace("[display]\n", '[display]\nsize = "640x360"\nfullscreen = false\n')
    extra += f'\n[display.schedule]\n{days}\noutside = "blank"\n'
    config = config_from(write_config(board_toml(1883, tmp_path / "state", extra)))
    screen = DisplayOutput(config)
    try:
        view = view_of(config, {"metrics": {"sales.service_level_pct": 61.0}})
        budget = screen.render(view)
        assert budget >= 1.0  # a blank board sleeps
        black = pygame.mask.from_threshold(screen.screen, (0, 0, 0), (1, 1, 1, 255))
        assert black.count() == 640 * 360
    finally:
        screen.close()


def test_burn_in_shift_moves_within_its_margin_and_changes_over_time() -> None:
    """The whole board shifts by at most shift_pixels (scaled to the screen) and moves every interval."""
    settings = BurnInSettings(shift_pixels=4, interval=Duration(60))
    offsets = {burn_in_offset(settings, t * 60.0, 2160) for t in range(9)}
    assert len(offsets) == 9
    assert all(abs(dx) <= 8 and abs(dy) <= 8 for dx, dy in offsets)
    assert burn_in_offset(BurnInSettings(shift_pixels=0), 1234.0, 1080) == (0, 0)


def _pages() -> list[PageSettings]:
    tile = WidgetSettings(type="kpi", metric="sales.service_level_pct")
    return [PageSettings(widget=[tile]), PageSettings(widget=[WidgetSettings(type="clock")])]


def test_pages_rotate_on_the_interval() -> None:
    """With nothing critical, the next page comes up after page_interval seconds."""
    rotation = PageRotation(_pages(), 15.0, pin_critical=True)
    calm = Assessment({"sales.service_level_pct": Severity.NORMAL})
    assert rotation.current(0.0, calm) == 0
    assert rotation.current(14.9, calm) == 0
    assert rotation.current(15.0, calm) == 1
    assert rotation.current(30.0, calm) == 0


def test_page_with_a_critical_widget_is_shown_longer_but_not_always() -> None:
    """A critical page stays up 3 intervals, the other page still gets its interval, then the alarm comes back."""
    rotation = PageRotation(_pages(), 15.0, pin_critical=True)
    alarm = Assessment({"sales.service_level_pct": Severity.CRITICAL}, Severity.CRITICAL)
    shown = [rotation.current(float(t), alarm) for t in range(0, 121, 5)]
    assert shown[:9] == [0] * 9  # 0 to 40 s: the alarm page
    assert shown[9:12] == [1, 1, 1]  # 45 to 55 s: the other page, one interval
    assert shown[12:21] == [0] * 9  # 60 to 100 s: the alarm again
    assert shown.count(0) / len(shown) >= 0.7


def test_a_page_turns_at_its_interval_once_the_alarm_clears() -> None:
    """The alarm page clears at 20 s: it turns at once, as a calm page would."""
    rotation = PageRotation(_pages(), 15.0, pin_critical=True)
    alarm = Assessment({"sales.service_level_pct": Severity.CRITICAL}, Severity.CRITICAL)
    rotation.current(0.0, alarm)
    assert rotation.current(20.0, alarm) == 0
    assert rotation.current(21.0, Assessment({"sales.service_level_pct": Severity.WARN})) == 1
