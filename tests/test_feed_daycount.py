"""Today's counters: since local midnight in the site's IANA zone, across DST, persisted in SQLite."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.feed_helpers import local_time
from wallboard.feeds.daycount import DayCounters, period_start

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
SANTIAGO = ZoneInfo("America/Santiago")


at = local_time


def test_counts_reset_at_local_midnight_not_utc_midnight(tmp_path: Path) -> None:
    """In New York a call at 23:30 local (04:30 UTC next day) still belongs to the local day it happened on."""
    counters = DayCounters(tmp_path / "c.sqlite", NEW_YORK)
    counters.add("sales", {"offered": 1}, at(NEW_YORK, 2026, 11, 23, 23, 30))
    assert counters.today("sales", at(NEW_YORK, 2026, 11, 23, 23, 59)) == {"offered": 1.0}
    assert counters.today("sales", at(NEW_YORK, 2026, 11, 24, 0, 0, 1)) == {}
    assert period_start(at(NEW_YORK, 2026, 11, 24, 9), NEW_YORK) == at(NEW_YORK, 2026, 11, 24)


def test_spring_forward_day_is_23_hours_and_counts_hold_across_the_jump(tmp_path: Path) -> None:
    """On London's 23-hour day (29 Mar 2026, 01:00 -> 02:00) a count before the jump is still today's after it."""
    counters = DayCounters(tmp_path / "c.sqlite", LONDON)
    before, after = at(LONDON, 2026, 3, 29, 0, 59), at(LONDON, 2026, 3, 29, 3, 0)
    assert after - before == 3600 + 60  # two wall-clock hours, one real hour apart
    counters.add("sales", {"offered": 1}, before)
    counters.add("sales", {"offered": 1}, after)
    assert counters.today("sales", at(LONDON, 2026, 3, 29, 23, 59)) == {"offered": 2.0}
    start, end = period_start(after, LONDON), period_start(at(LONDON, 2026, 3, 30, 12), LONDON)
    assert end - start == 23 * 3600


def test_fall_back_day_is_25_hours_and_the_repeated_hour_is_the_same_day(tmp_path: Path) -> None:
    """On London's 25-hour day (25 Oct 2026) both 01:30s count into the same day, and midnight is still midnight."""
    counters = DayCounters(tmp_path / "c.sqlite", LONDON)
    first, second = at(LONDON, 2026, 10, 25, 1, 30, fold=0), at(LONDON, 2026, 10, 25, 1, 30, fold=1)
    assert second - first == 3600
    counters.add("sales", {"answered": 1}, first)
    counters.add("sales", {"answered": 1}, second)
    assert counters.today("sales", second) == {"answered": 2.0}
    assert period_start(at(LONDON, 2026, 10, 26, 8), LONDON) - period_start(second, LONDON) == 25 * 3600
    assert counters.today("sales", at(LONDON, 2026, 10, 26, 0, 0)) == {}


def test_a_zone_that_skips_midnight_starts_its_day_at_the_first_real_instant() -> None:
    """Santiago jumps 00:00 -> 01:00 on 6 Sep 2026: that day starts at 01:00 local, which is 04:00 UTC."""
    start = period_start(at(SANTIAGO, 2026, 9, 6, 12), SANTIAGO)
    assert dt.datetime.fromtimestamp(start, SANTIAGO).hour == 1
    assert dt.datetime.fromtimestamp(start, dt.UTC) == dt.datetime(2026, 9, 6, 4, tzinfo=dt.UTC)
    assert dt.datetime.fromtimestamp(start - 1, SANTIAGO).date() == dt.date(2026, 9, 5)


def test_counts_survive_a_reopen_and_old_days_are_pruned(tmp_path: Path) -> None:
    """A second DayCounters on the same file sees today's counts; a day older than a week is forgotten."""
    now = at(LONDON, 2026, 11, 23, 10)
    first = DayCounters(tmp_path / "c.sqlite", LONDON)
    first.add("sales", {"offered": 3, "wait_time_s": 40.5}, now)
    first.add("sales", {"offered": 1}, now - 9 * 86400)
    first.close()
    second = DayCounters(tmp_path / "c.sqlite", LONDON)
    assert second.today("sales", now) == {"offered": 3.0, "wait_time_s": 40.5}
    second.prune(now)
    assert second.today("sales", now - 9 * 86400) == {}
    assert second.scopes(now) == ["sales"]


def test_an_event_key_is_counted_once_even_after_a_reopen(tmp_path: Path) -> None:
    """The same event (key) seen again, e.g. replayed after a reconnect or a restart, adds nothing."""
    now = at(LONDON, 2026, 11, 23, 10)
    counters = DayCounters(tmp_path / "c.sqlite", LONDON)
    assert counters.add("sales", {"offered": 1}, now, key="join:sales:1")
    counters.close()
    counters = DayCounters(tmp_path / "c.sqlite", LONDON)
    assert not counters.add("sales", {"offered": 1}, now + 5, key="join:sales:1")
    assert counters.today("sales", now) == {"offered": 1.0}


def test_an_observed_day_keeps_its_zeros_across_a_reopen_and_counts_on_from_them(tmp_path: Path) -> None:
    """observe() makes uncounted fields true zeros for that day, persisted; counts add to them; the next day is bare."""
    now = at(LONDON, 2026, 11, 23, 0, 0, 5)
    counters = DayCounters(tmp_path / "c.sqlite", LONDON)
    counters.add("sales", {"offered": 1}, now)
    counters.observe("sales", ("offered", "abandoned", "short_abandoned"), now)
    counters.close()
    reopened = DayCounters(tmp_path / "c.sqlite", LONDON)  # a reconnect's or a restart's view of the same day
    assert reopened.today("sales", now + 10 * 3600) == {"offered": 1.0, "abandoned": 0.0, "short_abandoned": 0.0}
    reopened.add("sales", {"abandoned": 1}, now + 10 * 3600)
    assert reopened.today("sales", now + 10 * 3600)["abandoned"] == 1.0
    assert reopened.today("sales", now + 86400) == {}
