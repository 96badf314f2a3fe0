"""The live marker and every data-fed widget tell the truth about the age of what is on screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.display_helpers import config_from, count_colour, paint, rgb, view_of
from wallboard.device.config.schema import BoardConfig
from wallboard.display.logic.freshness import Liveness, board_freshness, shown_sources
from wallboard.display.logic.theme import DARK, TileState

SIZE = (1920, 1080)
FLOOR1 = Path(__file__).resolve().parent.parent / "config" / "boards" / "floor1.toml"
STALE = DARK.tile(TileState.STALE)


@pytest.fixture(scope="module")
def floor1() -> BoardConfig:
    return config_from(FLOOR1)


def _fresh_sample() -> dict[str, Any]:
    keys = ["service_level_pct", "calls_waiting", "longest_wait_s", "abandon_rate_pct", "asa_s", "aht_s",
            "agents_available", "agents_on_call", "agents_wrap", "agents_away"]  # fmt: skip
    values = [86.4, 4, 38, 2.1, 17, 305, 6, 18, 3, 2]
    return {
        "metrics": {f"sales.{k}": v for k, v in zip(keys, values, strict=True)},
        "agents": [{"name": "Asha", "handled": 42}, {"name": "Ben", "handled": 39}],
        "announcements": ["Team huddle at 11:30"],
    }


def _strip_words(config: BoardConfig, sample: dict[str, Any], page: int = 0) -> tuple[list[str], Any, Any]:
    surface, painter = paint(config, view_of(config, sample), SIZE, page)
    return painter.chrome["strip"].words, surface, painter


def test_marker_is_green_live_only_when_everything_shown_is_fresh(floor1: BoardConfig) -> None:
    """All 11 sources of floor1 fresh and the link up: "● LIVE · data 0s ago" in the live green."""
    words, surface, painter = _strip_words(floor1, _fresh_sample())
    assert "\u25cf LIVE \u00b7 data 0s ago" in words
    assert count_colour(surface, painter.chrome["strip"].cell, DARK.live) > 50


def test_marker_counts_stale_sources_and_is_never_green_then(floor1: BoardConfig) -> None:
    """Service level 7 minutes old, the rest fresh: "◐ 1 OF 11 STALE", amber, no live-green pixel."""
    sample = _fresh_sample()
    sample["metrics"]["sales.service_level_pct"] = {"value": 86.4, "age_s": 420}
    words, surface, painter = _strip_words(floor1, sample)
    assert "\u25d0 1 OF 11 STALE" in words
    strip = painter.chrome["strip"].cell
    assert count_colour(surface, strip, DARK.live) == 0
    assert count_colour(surface, strip, DARK.partly_stale) > 50


def test_marker_says_all_stale_on_the_banner_colour(floor1: BoardConfig) -> None:
    """Every source older than its stale_after, the link still up: "○ ALL STALE", on the banner purple."""
    sample = _fresh_sample()
    sample["metrics"] = {k: {"value": v, "age_s": 3 * 3600} for k, v in sample["metrics"].items()}
    sample["agents_age_s"] = 3 * 3600
    sample["announcements_age_s"] = 13 * 3600
    view = view_of(floor1, sample)
    painter_widgets = [w for p in floor1.display.page for w in p.widget]
    assert board_freshness(view, shown_sources(painter_widgets)).liveness is Liveness.ALL_STALE
    words, surface, painter = _strip_words(floor1, sample)
    assert "\u25cb ALL STALE \u00b7 data 3h ago" in words
    strip = painter.chrome["strip"].cell
    assert count_colour(surface, strip, DARK.live) == 0
    assert count_colour(surface, strip, DARK.banner) > 500


def test_marker_says_offline_while_the_link_is_down(floor1: BoardConfig) -> None:
    """Link down: "○ OFFLINE" in the strip, whatever the ages."""
    sample = {**_fresh_sample(), "link": "down", "down_for_s": 60}
    words, _, _ = _strip_words(floor1, sample)
    assert any(w.startswith("\u25cb OFFLINE") for w in words)


def test_stale_leaderboard_is_greyed_and_says_its_age(floor1: BoardConfig) -> None:
    """Rows 3 h old (stale_after 15m on floor1): grey panel, title "... · STALE · 3h old"; fresh rows are not."""
    sample = {**_fresh_sample(), "agents_age_s": 3 * 3600 + 60}
    surface, painter = paint(floor1, view_of(floor1, sample), SIZE, page=1)
    board = next(p for p in painter.placed.values() if p.kind == "leaderboard")
    assert "Most calls today \u00b7 STALE \u00b7 3h old" in board.words
    assert rgb(surface, (board.cell[0] + 3, board.cell[1] + board.cell[3] // 2)) == STALE.background
    fresh_surface, fresh = paint(floor1, view_of(floor1, _fresh_sample()), SIZE, page=1)
    board = next(p for p in fresh.placed.values() if p.kind == "leaderboard")
    assert "Most calls today" in board.words
    assert rgb(fresh_surface, (board.cell[0] + 3, board.cell[1] + board.cell[3] // 2)) == DARK.panel


def test_stale_ticker_scrolls_on_grey_led_by_its_age(floor1: BoardConfig) -> None:
    """Announcements 14 h old (stale_after 12h on floor1): grey ticker, text starts "STALE · 14h old"."""
    sample = {**_fresh_sample(), "announcements_age_s": 14 * 3600}
    surface, painter = paint(floor1, view_of(floor1, sample), SIZE)
    ticker = next(p for p in painter.placed.values() if p.kind == "ticker")
    assert ticker.words[0].startswith("STALE \u00b7 14h old")
    assert count_colour(surface, ticker.cell, STALE.background) > 1000
    assert count_colour(surface, ticker.cell, DARK.ticker) == 0


def test_stale_agent_bar_is_greyed_and_says_its_age(floor1: BoardConfig) -> None:
    """Agent counts 7 minutes old: grey segments and the title says "STALE · 7m old" (floor1's cell is narrow)."""
    sample = _fresh_sample()
    for field in ("agents_available", "agents_on_call", "agents_wrap", "agents_away"):
        key = f"sales.{field}"
        sample["metrics"][key] = {"value": sample["metrics"][key], "age_s": 420}
    surface, painter = paint(floor1, view_of(floor1, sample), SIZE)
    bar = next(p for p in painter.placed.values() if p.kind == "agents")
    assert bar.words[0] in ("Agents \u00b7 STALE \u00b7 7m old", "STALE \u00b7 7m old")
    assert count_colour(surface, bar.cell, DARK.agent_states[1]) == 0
    assert count_colour(surface, bar.cell, STALE.background) > 1000


def test_stale_trend_is_grey_and_says_its_age_over_the_line(floor1: BoardConfig) -> None:
    """Service level 7 minutes old: "STALE · 7m old" across the chart, the line grey."""
    sample = _fresh_sample()
    sample["metrics"]["sales.service_level_pct"] = {"value": 86.4, "age_s": 420}
    sample["history"] = {"sales.service_level_pct": {"minutes": 60, "from": 90, "to": 86.4}}
    surface, painter = paint(floor1, view_of(floor1, sample), SIZE, page=1)
    trend = next(p for p in painter.placed.values() if p.kind == "trend")
    assert "STALE \u00b7 7m old" in trend.words
    assert count_colour(surface, trend.cell, (130, 130, 130)) > 100
    assert count_colour(surface, trend.cell, (102, 222, 102)) == 0


def test_widget_stale_after_must_be_positive(tmp_path: Path) -> None:
    """`stale_after = "0s"` on a leaderboard is a config error naming the key; "1m" on a clock is fine."""
    from tests.conftest import board_toml
    from wallboard.device.config.reading import load_config
    from wallboard.device.errors import ConfigError

    page = """
[[display.page]]
widget = [{ type = "leaderboard", stale_after = "0s", at = [1, 1] },
          { type = "clock", stale_after = "1m", at = [2, 1] }]
"""
    path = tmp_path / "board.toml"
    path.write_text(board_toml(1883, tmp_path / "state", page))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    text = "\n".join(caught.value.problems)
    assert "display.page[1].widget[1].stale_after: expected more than 0s" in text
    assert "widget[2]" not in text


def test_clock_greys_once_the_system_clock_has_been_unsynchronised_for_its_stale_after(floor1: BoardConfig) -> None:
    """Kernel says unsynchronised for 3 h (no NTP since boot): the clock is grey and says "NOT SYNCED · 3h"."""
    sample = {**_fresh_sample(), "clock_unsynced_s": 3 * 3600}
    surface, painter = paint(floor1, view_of(floor1, sample), SIZE, page=1)
    clock = next(p for p in painter.placed.values() if p.kind == "clock")
    assert clock.words[1] in ("CLOCK NOT SYNCED \u00b7 3h", "NOT SYNCED \u00b7 3h")
    assert count_colour(surface, clock.cell, STALE.background) > 1000
    _, fresh = paint(floor1, view_of(floor1, {**_fresh_sample(), "clock_unsynced_s": 60}), SIZE, page=1)
    clock = next(p for p in fresh.placed.values() if p.kind == "clock")
    assert "SYNCED" not in clock.words[1]  # a minute after boot: NTP may still answer (stale_after 10m)


def test_clock_watch_asks_the_kernel_at_most_once_a_minute_and_remembers_since_when() -> None:
    """A fake kernel answer: unsynchronised at t=0 (since then), still so at 30 s (not asked), synchronised later."""
    from wallboard.device.edge.timesync import ClockWatch, kernel_clock_synchronised

    answers = [False, False, True]
    asked: list[bool] = []

    def ask() -> bool:
        asked.append(answers[len(asked)])
        return asked[-1]

    watch = ClockWatch(ask, interval=60.0)
    assert watch.check(1000.0, 0.0) and watch.unsynchronised_since == 1000.0
    assert not watch.check(1030.0, 30.0) and len(asked) == 1
    assert not watch.check(1060.0, 60.0) and watch.unsynchronised_since == 1000.0
    assert watch.check(1120.0, 120.0) and watch.synchronised is True and watch.unsynchronised_since is None
    assert kernel_clock_synchronised() in (True, False)  # Linux answers through adjtimex(2)


def test_asking_the_kernel_starts_no_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """adjtimex comes from the board's own symbols: no ``ldconfig -p`` (a fork of the whole board) once a minute."""
    import subprocess

    from wallboard.device.edge import timesync

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"started a process: {args!r}")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    timesync._adjtimex.cache_clear()
    try:
        assert timesync.kernel_clock_synchronised() in (True, False)
        assert timesync.kernel_clock_synchronised() in (True, False)
    finally:
        timesync._adjtimex.cache_clear()
