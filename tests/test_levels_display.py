"""Levels and display agree: strict levels, digits rounded toward the bad side, the quiet and staffing tile texts."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest

from tests.display_helpers import paint
from wallboard.device.config.checks import check_paths
from wallboard.device.config.reading import load_config, load_config_text
from wallboard.device.config.schema import BoardConfig, RuleSettings
from wallboard.device.config.screen_schema import WidgetSettings
from wallboard.device.core.rejections import RejectionCounter
from wallboard.device.core.rules import RuleEngine, Severity
from wallboard.device.core.state import BoardState
from wallboard.device.core.updates import Reading
from wallboard.device.core.values import LinkChange, LinkStatus
from wallboard.device.core.view import BoardView, HandoffStats
from wallboard.device.wire.metrics import MetricKind
from wallboard.display.draw.widgets.base import Frame
from wallboard.display.draw.widgets.kpi import KpiTile
from wallboard.display.logic.formatting import format_value
from wallboard.display.logic.theme import DARK, TileState
from wallboard.display.logic.tile_text import rounding_for
from wallboard.display.preview.sample_data import load_sample, sample_view

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = [*sorted((ROOT / "config" / "boards").glob("*.toml")), ROOT / "app" / "demo" / "demo.toml"]
NOW = 1_763_800_000.0
# Offsets around each level: the rounding boundaries of one decimal and of whole seconds, both sides.
OFFSETS = (-1.0, -0.51, -0.5, -0.49, -0.1, -0.051, -0.05, -0.049, -0.04, -0.01, -0.001, 0.0,
           0.001, 0.01, 0.04, 0.049, 0.05, 0.051, 0.1, 0.49, 0.5, 0.51, 1.0)  # fmt: skip
WORDS = {TileState.NORMAL: "OK", TileState.WARN: "WARNING", TileState.CRITICAL: "CRITICAL"}


def _shown_number(text: str, kind: MetricKind | None) -> float:
    """The number a person reads off the tile: "79.9%" -> 79.9, "1:01" -> 61."""
    if kind is MetricKind.SECONDS:
        parts = [int(p) for p in text.split(":")]
        return float(sum(p * 60**i for i, p in enumerate(reversed(parts))))
    return float(re.sub(r"[%,]", "", text))


def _expected(rule: RuleSettings, value: float) -> Severity:
    """The severity by the strict reading of the levels: "below 80" is < 80, "above 60" is > 60."""
    if rule.warn_below is not None or rule.critical_below is not None:
        if rule.critical_below is not None and value < rule.critical_below:
            return Severity.CRITICAL
        return Severity.WARN if rule.warn_below is not None and value < rule.warn_below else Severity.NORMAL
    if rule.critical_above is not None and value > rule.critical_above:
        return Severity.CRITICAL
    return Severity.WARN if rule.warn_above is not None and value > rule.warn_above else Severity.NORMAL


def _tile(config: BoardConfig, key: str, value: float) -> tuple[Severity, TileState, str, str]:
    """The rules' severity and the KPI tile's state, value text and marker for ``key`` held at ``value``."""
    state = BoardState(config, RejectionCounter(), clock=lambda: NOW)
    state.set_link(LinkChange(LinkStatus.UP, NOW))
    state.apply(Reading(key, value, NOW, NOW))
    rules = [rule for rule in config.rule if rule.metric == key]
    engine = RuleEngine(rules)
    engine.assess(state, NOW, 0.0)
    assessment = engine.assess(state, NOW, 1e9)  # every hold has passed
    view = BoardView(config, state, assessment, NOW, 1e9, {}, HandoffStats(0, 0, 0, 0))
    frame = Frame(view, cast(Any, None), DARK, datetime.fromtimestamp(NOW, UTC), False, 0.0, 1.0)
    tile_state, shown, _, marker, _ = KpiTile(WidgetSettings(type="kpi", metric=key))._texts(frame)
    return assessment.metrics[key], tile_state, shown, marker[0] if marker else ""  # the longest wording


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_word_colour_and_digits_agree_around_every_shipped_level(path: Path) -> None:
    """Around every shipped level: one severity, its word and colour, and digits on the value's side of each level."""
    config = load_config(path).config
    checked = 0
    for rule in config.rule:
        below = rule.warn_below is not None or rule.critical_below is not None
        levels = [
            v for v in (rule.warn_below, rule.critical_below, rule.warn_above, rule.critical_above) if v is not None
        ]
        kind = config.kind_of(rule.metric)
        for level in levels:
            for offset in OFFSETS:
                value = level + offset
                if value < 0 or (kind is MetricKind.PERCENT and value > 100):
                    continue
                severity, tile_state, shown, marker = _tile(config, rule.metric, value)
                where = f"{path.name} {rule.metric} at {value!r}: {shown} {marker}"
                assert severity is _expected(rule, value), where
                assert tile_state is {Severity.NORMAL: TileState.NORMAL, Severity.WARN: TileState.WARN,
                                      Severity.CRITICAL: TileState.CRITICAL}[severity], where  # fmt: skip
                assert WORDS[tile_state] in marker, where
                assert (
                    DARK.tile(tile_state).background
                    == {
                        Severity.NORMAL: DARK.tile(TileState.NORMAL).background,
                        Severity.WARN: DARK.tile(TileState.WARN).background,
                        Severity.CRITICAL: DARK.tile(TileState.CRITICAL).background,
                    }[severity]
                ), where
                if rule.metric.endswith(".staffing_gap"):
                    # This tile shows two whole counts ("need 23", "have 16"); their difference is a whole
                    # number, so no rounding can carry it across a level.
                    checked += 1
                    continue
                number = _shown_number(shown, kind)
                for other in levels:  # the digits sit on the same side of every level as the value
                    if below:
                        assert (number < other) == (value < other), where
                    else:
                        assert (number > other) == (value > other), where
                checked += 1
    assert checked > 50


def test_rounding_examples_from_the_issue() -> None:
    """79.96 reads 79.9 % under a below-rule; 99.95 never reads 100 %; 4.99 and 5.0 read alike only when alike."""
    assert format_value(79.96, MetricKind.PERCENT, "down") == "79.9%"
    assert format_value(80.0, MetricKind.PERCENT, "down") == "80.0%"
    assert format_value(99.95, MetricKind.PERCENT) == "99.9%"
    assert format_value(99.95, MetricKind.PERCENT, "up") == "99.9%"
    assert format_value(100.0, MetricKind.PERCENT) == "100%"
    assert format_value(4.99, MetricKind.PERCENT, "up") == "5.0%"  # not above 5: OK, and 5.0 is not above 5
    assert format_value(5.01, MetricKind.PERCENT, "up") == "5.1%"  # above 5: WARNING, and reads above 5
    assert format_value(60.4, MetricKind.SECONDS, "up") == "1:01"  # above 60 s reads above a minute
    assert format_value(-12.0, MetricKind.NUMBER) == "-12"  # an NPS below zero


def test_the_readme_billing_example_at_exactly_80_is_not_a_warning() -> None:
    """96 of 120 is 80.0 %: "warn below 80" does not warn at 80."""
    config = load_config_text('[site]\nid = "s"\n[board]\nid = "b"\n[[rule]]\nmetric = "billing.service_level_pct"\n'
                              "warn_below = 80\ncritical_below = 70\n").config  # fmt: skip
    severity, tile_state, shown, marker = _tile(config, "billing.service_level_pct", 96 / 120 * 100)
    assert (severity, tile_state, shown) == (Severity.NORMAL, TileState.NORMAL, "80.0%") and "OK" in marker


def test_check_warns_about_a_rule_with_neither_hysteresis_nor_hold(tmp_path: Path) -> None:
    """`wallboard check` passes such a rule but names it in a warning; shipped configs have no such rule."""
    board = tmp_path / "b.toml"
    board.write_text('[site]\nid = "s"\n[board]\nid = "b"\n[[rule]]\nmetric = "q.calls_waiting"\nwarn_above = 5\n')
    results, _ = check_paths([board])
    assert results[0].ok and len(results[0].warnings) == 1
    assert "rule[1]" in results[0].warnings[0] and "neither hysteresis nor hold" in results[0].warnings[0]
    shipped, _ = check_paths([ROOT / "config", ROOT / "device" / "demo"])
    assert shipped and all(r.ok and not r.warnings for r in shipped), [r.warnings for r in shipped]


def test_the_site_board_draws_totals_volumes_quiet_tiles_and_the_staffing_hint() -> None:
    """Five queues: site 907 of 1209 (75.0 %), Support "need 23 / have 15", Tech no calls yet, Retention low volume."""
    config = load_config(ROOT / "config" / "boards" / "site-overview.toml").config
    view = sample_view(config, load_sample(ROOT / "config" / "sample-data-site.json"), wall_now=NOW)
    surface, _ = paint(config, view, (1920, 1080))
    assert surface.get_size() == (1920, 1080)
    quiet = view.assessment.quiet
    assert quiet == {"retention.service_level_pct": "low volume", "tech.service_level_pct": "no calls yet"}
    site = view.state.ratio("site.service_level_pct")
    assert site is not None and (site.numerator, site.denominator) == (907, 1209)
    assert view.assessment.severity_of("site.service_level_pct") is Severity.WARN
    assert view.assessment.severity_of("support.staffing_gap") is Severity.CRITICAL
    frame = Frame(view, cast(Any, None), DARK, datetime.fromtimestamp(NOW, UTC), False, 0.0, 1.0)
    site_tile = KpiTile(WidgetSettings(type="kpi", metric="site.service_level_pct"))._texts(frame)
    assert (site_tile[1], site_tile[2][0], site_tile[3][0], site_tile[4]) == (
        "75.0%",
        "Site service level \u00b7 SL 80/20",
        "\u25b2 WARNING",
        "907 of 1209 today",
    )
    staffing = KpiTile(WidgetSettings(type="kpi", metric="support.staffing_gap", label="Support agents"))._texts(frame)
    assert (staffing[0], staffing[1], staffing[4]) == (TileState.CRITICAL, "need 23", "have 15")  # 16 staffed, 1 away
    tech = KpiTile(WidgetSettings(type="kpi", metric="tech.service_level_pct"))._texts(frame)
    assert (tech[0], tech[1], tech[3][0]) == (TileState.NEUTRAL, "no calls yet", "NO CALLS YET")
    retention = KpiTile(WidgetSettings(type="kpi", metric="retention.service_level_pct"))._texts(frame)
    assert retention[0] is TileState.NEUTRAL and retention[3][0] == "LOW VOLUME"


def test_nearest_rounds_the_written_decimal_half_away_from_zero() -> None:
    """9.45 % reads 9.5 % and 12.25 % reads 12.3 % (half up, as a report rounds), not half to even on binary."""
    assert format_value(9.45, MetricKind.PERCENT) == "9.5%"
    assert format_value(12.25, MetricKind.PERCENT) == "12.3%"
    assert format_value(2.5, MetricKind.COUNT) == "3"
    assert format_value(-2.25, MetricKind.NUMBER) == "-2.3"  # away from zero on the negative side too


def test_far_from_a_level_the_tile_reads_as_the_platform_reports() -> None:
    """118 of 1242 abandoned (9.5008 %) under "warn above 5" reads 9.5 %, the platform's figure, not 9.6 %."""
    config = load_config_text('[site]\nid = "s"\n[board]\nid = "b"\n[[rule]]\nmetric = "q.abandon_rate_pct"\n'
                              "warn_above = 5\ncritical_above = 15\n").config  # fmt: skip
    assert rounding_for(config, "q.abandon_rate_pct", 118 / 1242 * 100) == "nearest"
    severity, _, shown, _ = _tile(config, "q.abandon_rate_pct", 118 / 1242 * 100)
    assert (severity, shown) == (Severity.WARN, "9.5%")


def test_next_to_a_level_the_digits_round_toward_the_bad_side() -> None:
    """79.96 under "below 80" reads 79.9 % (never 80.0 %); 80.04 reads 80.0 %; 60.4 s over "above 60" reads 1:01."""
    config = load_config_text('[site]\nid = "s"\n[board]\nid = "b"\n'
                              '[[rule]]\nmetric = "q.service_level_pct"\nwarn_below = 80\n'
                              '[[rule]]\nmetric = "q.longest_wait_s"\nwarn_above = 60\n').config  # fmt: skip
    assert rounding_for(config, "q.service_level_pct", 79.96) == "down"
    assert _tile(config, "q.service_level_pct", 79.96)[2] == "79.9%"
    assert rounding_for(config, "q.service_level_pct", 80.04) == "nearest"
    assert _tile(config, "q.service_level_pct", 80.04)[2] == "80.0%"
    assert rounding_for(config, "q.longest_wait_s", 60.4) == "up"
    assert _tile(config, "q.longest_wait_s", 60.4)[2] == "1:01"
    assert _tile(config, "q.longest_wait_s", 59.6)[2] == "1:00"  # not above 60: the nearest, OK
