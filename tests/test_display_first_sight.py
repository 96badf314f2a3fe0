"""First sight (issue 24): the header says where you are, the trend reads, an acknowledgement shows, one vocabulary.

Each test paints shipped boards offscreen with the sample data and reads what was drawn from the screen's
text twin (the very strings the painter drew, with their cap heights), or the pixels where a line is drawn.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import msgspec
import pytest

from tests.display_helpers import config_from, count_colour, paint, rgb, view_of
from wallboard.device.core.acknowledgement import AcknowledgeLatch
from wallboard.device.core.rules import Severity
from wallboard.device.core.view import BoardView
from wallboard.display.draw.painter import BoardPainter
from wallboard.display.draw.twin import screen_twin
from wallboard.display.draw.widgets.chrome import place_candidates, shortened_names
from wallboard.display.draw.widgets.trend import _LEVEL_COLOUR, axis_label, rule_levels, tick_step, value_scale
from wallboard.display.logic.glossary import AGENT_WORDS, STATE_WORDS, VOLUME_WORDS
from wallboard.display.logic.legibility import min_cap_px
from wallboard.display.logic.theme import THEMES
from wallboard.display.preview.sample_data import load_sample

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "app" / "demo" / "demo.toml"
BOARDS = [*sorted((ROOT / "config" / "boards").glob("*.toml")), DEMO]
SAMPLES = sorted((ROOT / "config").glob("sample-data*.json"))
SIZES = [(1280, 720), (1920, 1080), (3840, 2160)]
LONG_NAME = "Demo contact centre - Sales, Support and Retention floor"
# A volume line in the glossary's words: "907 of 1209 today", "111 of 116 since 14:54", "43 of 52 busy", ...
VOLUME_LINE = re.compile(
    r"\d+ of \d+( today| since [\d:]+| busy)?|0 calls (today|since [\d:]+|this period)|have \d+|too few calls"
    r"|\S+ does not supply it"
)


def _explain(painter: BoardPainter, view: BoardView, size: tuple[int, int]) -> Any:
    """The twin as loosely typed JSON, for reading in tests."""
    return screen_twin(painter, view, size)


def _twin(config_path: Path, sample: str, size: tuple[int, int], page: int = 0, **view_changes: object) -> Any:
    config = config_from(config_path)
    view = view_of(config, load_sample(ROOT / "config" / sample))
    if view_changes:
        view = replace(view, **view_changes)  # type: ignore[arg-type]
    _, painter = paint(config, view, size, page)
    return _explain(painter, view, size)


def _strip_words(twin: Any) -> list[str]:
    return [text["text"] for text in twin["status_strip"]["texts"]]


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_strip_names_the_page_and_n_of_m_at_every_size_with_a_long_board_name(size: tuple[int, int]) -> None:
    """A long board name is shortened (or dropped) before the page and its N/M; every word is legible."""
    config = config_from(DEMO)
    config = msgspec.structs.replace(config, board=msgspec.structs.replace(config.board, name=LONG_NAME))
    view = view_of(config, load_sample(ROOT / "config" / "sample-data.json"))
    for page, label in ((0, "Sales (1/2)"), (1, "Support (2/2)")):
        _, painter = paint(config, view, size, page)
        twin = _explain(painter, view, size)
        words = _strip_words(twin)
        assert any(word.endswith(label) for word in words), words
        assert LONG_NAME not in " ".join(words)  # too long for the strip at any of the three sizes
        caps = [text["cap_px"] for text in twin["status_strip"]["texts"]]
        assert min(caps) >= min_cap_px(size[1]), (words, caps)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_an_alarm_on_another_page_names_its_queue_and_the_page_stays(size: tuple[int, int]) -> None:
    """floor1's Team page, Sales critical on the Now page: "✖ ... Sales" (never "on Now") beside "Team (2/2)"."""
    words = _strip_words(_twin(ROOT / "config" / "boards" / "floor1.toml", "sample-data-alarm.json", size, 1))
    assert words[0].startswith("\u2716") and words[0].endswith("Sales"), words
    assert "Now" not in words[0]
    assert words[1] == "Team (2/2)"


def test_board_names_shorten_a_word_at_a_time_and_the_page_is_the_last_wording() -> None:
    """ "Floor 1 - Sales" -> "Floor 1…" -> "Floor…"; the page alone is the strip's last resort."""
    assert shortened_names("Floor 1 - Sales") == ["Floor 1 - Sales", "Floor 1\u2026", "Floor\u2026"]
    assert place_candidates("Floor 1 - Sales", "Now (1/2)")[-1] == "Now (1/2)"
    assert place_candidates("Floor 1 - Sales", "Now (1/2)")[0] == "Floor 1 - Sales \u00b7 Now (1/2)"


def test_a_page_with_a_clock_widget_has_no_second_clock_in_the_strip() -> None:
    """floor1's Team page shows a big clock: the strip leaves its own out; the Now page keeps the strip's."""
    floor1 = ROOT / "config" / "boards" / "floor1.toml"
    team = _twin(floor1, "sample-data.json", (1920, 1080), 1)
    now = _twin(floor1, "sample-data.json", (1920, 1080), 0)
    clock = next(w for w in team["widgets"] if w["type"] == "clock")["texts"][0]["text"]
    assert clock not in _strip_words(team)
    assert clock in _strip_words(now)


def test_the_trend_draws_a_time_axis_and_the_rules_levels_as_lines() -> None:
    """floor1's Team page trend: "-1h" and "now" under the line, and the warn and critical levels drawn dashed."""
    config = config_from(ROOT / "config" / "boards" / "floor1.toml")
    view = view_of(config, load_sample(ROOT / "config" / "sample-data.json"))
    surface, painter = paint(config, view, (1920, 1080), 1)
    twin = _explain(painter, view, (1920, 1080))
    trend = next(w for w in twin["widgets"] if w["type"] == "trend")
    words = [text["text"] for text in trend["texts"]]
    assert "-1h" in words and "now" in words, words
    levels = rule_levels(config, trend["metric"])
    assert {name for name, _ in levels} == {"warn", "critical"}
    box = tuple(trend["box"])
    for name, _ in levels:
        assert count_colour(surface, box, _LEVEL_COLOUR[name]) > 20, name  # the dashed level line is on screen


def test_the_trend_scale_never_draws_a_small_wobble_as_a_cliff() -> None:
    """91-93 % with no level: the scale is at least a tenth of the value (9.3 points), so 2 points is a fifth of it."""
    low, high = value_scale([91.0, 93.0, 92.0], [])
    assert high - low >= 9.3
    low, high = value_scale([91.0, 93.0], [80.0])  # the target is always on the chart
    assert low < 80.0 < 91.0 < 93.0 < high


def test_the_trend_axis_ticks_are_round_and_its_start_says_how_far_back() -> None:
    """An hour has ticks every 15 min, 40 s every 15 s; the axis's start reads "-1h", "-40s", "-12m"."""
    assert tick_step(3600) == 900 and tick_step(40) == 15
    assert [axis_label(s) for s in (3600, 40, 720, 5400)] == ["-1h", "-40s", "-12m", "-1h30"]


def test_collecting_history_is_quiet_no_larger_than_the_legible_minimum() -> None:
    """A trend without history says so at the smallest legible size, in the muted colour: not louder than a KPI."""
    config = config_from(DEMO)
    sample = json.loads((ROOT / "config" / "sample-data.json").read_text())
    sample.pop("history", None)
    view = view_of(config, sample)
    size = (1920, 1080)
    _, painter = paint(config, view, size, 0)
    twin = _explain(painter, view, size)
    trend = next(w for w in twin["widgets"] if w["type"] == "trend")
    quiet = [text for text in trend["texts"] if "history" in text["text"]]
    assert quiet, trend["texts"]
    values = [w["texts"][1]["cap_px"] for w in twin["widgets"] if w["type"] == "kpi"]
    assert quiet[0]["cap_px"] < min(values) and quiet[0]["cap_px"] <= min_cap_px(1080) + 4


def test_the_trend_of_a_pending_value_is_not_drawn_in_the_alarms_colour() -> None:
    """While its tile says "▲ WARNING IN 18 s" the trend's value is in the panel's text colour, not amber or red."""
    config = config_from(ROOT / "config" / "boards" / "floor1.toml")
    view = view_of(config, load_sample(ROOT / "config" / "sample-data-pending.json"))
    assert "sales.service_level_pct" in view.assessment.pending
    _, painter = paint(config, view, (1920, 1080), 1)
    trend = next(w for w in _explain(painter, view, (1920, 1080))["widgets"] if w["type"] == "trend")
    assert trend["state"] in ("pending_warn", "pending_critical"), trend["state"]


def test_an_acknowledged_alarm_says_ack_on_its_tile_and_on_the_strip() -> None:
    """The alarm sample acknowledged at critical: the critical tiles read "✖ CRITICAL · ACK", the strip "ACK"."""
    floor1 = ROOT / "config" / "boards" / "floor1.toml"
    plain = _twin(floor1, "sample-data-alarm.json", (1920, 1080))
    acked = _twin(floor1, "sample-data-alarm.json", (1920, 1080), acknowledged=Severity.CRITICAL)
    markers = [w["texts"][-1]["text"] for w in acked["widgets"] if w["type"] == "kpi" and w["severity"] == "critical"]
    assert markers and all(marker.endswith("ACK") for marker in markers), markers
    assert any("ACK" in word for word in _strip_words(acked)), _strip_words(acked)
    assert not any("ACK" in text["text"] for w in plain["widgets"] for text in w["texts"])
    assert not any("ACK" in word for word in _strip_words(plain))


def test_an_acknowledgement_lasts_until_the_alarm_clears_or_gets_worse() -> None:
    """Acked at warning: kept, gone at critical; acked at critical: kept easing to warning, gone at normal."""
    latch = AcknowledgeLatch()
    assert latch.update(Severity.WARN, 0) is None  # the count at start acknowledges nothing
    assert latch.update(Severity.WARN, 1) is Severity.WARN
    assert latch.update(Severity.CRITICAL, 1) is None  # worse: a new alarm
    assert latch.update(Severity.CRITICAL, 2) is Severity.CRITICAL
    assert latch.update(Severity.WARN, 2) is Severity.WARN  # easing off keeps it
    assert latch.update(Severity.NORMAL, 2) is None  # cleared
    assert latch.update(Severity.NORMAL, 3) is None  # an ack with no alarm acknowledges nothing


def test_no_empty_ticker_band_without_announcements() -> None:
    """No announcement: the ticker's cell is the board's background, not an empty coloured band."""
    config = config_from(DEMO)
    sample = json.loads((ROOT / "config" / "sample-data.json").read_text())
    sample["announcements"] = []
    view = view_of(config, sample)
    surface, painter = paint(config, view, (1920, 1080), 0)
    ticker = painter.placed[len(painter.pages[0].widget) - 1]
    assert ticker.kind == "ticker"
    x, y, w, h = ticker.cell
    theme = THEMES[config.display.theme]
    assert count_colour(surface, ticker.cell, theme.ticker) == 0
    assert rgb(surface, (x + w // 2, y + h // 2)) == theme.background


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("board", BOARDS, ids=[b.stem for b in BOARDS])
def test_every_marker_and_legend_uses_only_the_glossary(board: Path, size: tuple[int, int]) -> None:
    """Every tile marker and agents legend on every shipped board, state and size says only the glossary's words."""
    config = config_from(board)
    agent_words = {word for _, word in AGENT_WORDS}
    state_words = set(STATE_WORDS.values()) | {"NOT", "SUPPLIED", "N/A"}
    for sample in SAMPLES:
        view = view_of(config, load_sample(sample))
        for page in range(len(config.display.page) or 1):
            _, painter = paint(config, view, size, page)
            for widget in _explain(painter, view, size)["widgets"]:
                texts = [text["text"] for text in widget["texts"]]
                if widget["type"] == "agents":
                    names = {t.rsplit(" ", 1)[0] for t in texts[-4:]}
                    assert names <= agent_words, (sample.name, texts)
                if widget["type"] == "kpi" and widget.get("severity") is not None and len(texts) >= 3:
                    marker = texts[-1]
                    words = {w for w in marker.replace("\u00b7", " ").split() if w.isalpha() and w.isupper()}
                    assert words <= state_words | {"CALLS", "YET", "LOW", "VOLUME", "DATA", "NO"}, (sample.name, marker)
                    assert "WARN " not in marker + " " or "WARNING" in marker
                if widget["type"] == "kpi":
                    for line in texts[2:]:  # the volume line (lower case or a count), not the marker (capitals)
                        if line[:1].islower() or line[:1].isdigit():
                            assert VOLUME_LINE.fullmatch(line), (sample.name, line)


def test_the_glossary_in_the_docs_lists_every_word() -> None:
    """docs/display.md's glossary names every state, agent state and volume word the board uses."""
    docs = (ROOT / "docs" / "display.md").read_text()
    glossary = docs[docs.index("## Glossary") :]
    for word in [*STATE_WORDS.values(), *(word for _, word in AGENT_WORDS), *VOLUME_WORDS]:
        assert f"`{word}`" in glossary, word


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_queues_sl_caption_is_shown(size: tuple[int, int]) -> None:
    """The site overview's Queues page: each queue's SL tile says its target, Retention's 70/20 too."""
    twin = _twin(ROOT / "config" / "boards" / "site-overview.toml", "sample-data-site.json", size, 1)
    labels = {w["metric"]: w["texts"][0]["text"] for w in twin["widgets"] if w.get("metric", "").endswith("_pct")}
    assert "70/20" in labels["retention.service_level_pct"], labels
    assert all("/20" in label for key, label in labels.items() if key.endswith("service_level_pct")), labels


def test_numbers_in_one_row_share_a_baseline() -> None:
    """The demo's first row (a rule-less count beside ratios with volume lines): the numbers sit on one line."""
    twin = _twin(DEMO, "sample-data-alarm.json", (1920, 1080))
    row = [w for w in twin["widgets"] if w["type"] == "kpi" and w["box"][1] == twin["widgets"][0]["box"][1]]
    bottoms = {w["texts"][1]["box"][1] + w["texts"][1]["box"][3] for w in row}
    assert len(row) == 3 and max(bottoms) - min(bottoms) <= 2, bottoms


def test_the_trend_and_the_tile_of_one_metric_are_drawn_in_one_state() -> None:
    """The demo's Sales page shows service level as a tile and a trend: in every sample both say the same state."""
    config = config_from(DEMO)
    for sample in SAMPLES:
        view = view_of(config, load_sample(sample))
        _, painter = paint(config, view, (1920, 1080), 0)
        widgets = _explain(painter, view, (1920, 1080))["widgets"]
        states = {w["type"]: w["state"] for w in widgets if w.get("metric") == "sales.service_level_pct"}
        assert set(states) == {"kpi", "trend"} and states["kpi"] == states["trend"], (sample.name, states)


def test_an_acknowledged_alarm_on_another_page_says_ack_beside_its_queue() -> None:
    """floor1's Team page, the Sales critical acknowledged: the strip's block reads "✖ ... Sales · ACK"."""
    twin = _twin(ROOT / "config" / "boards" / "floor1.toml", "sample-data-alarm.json", (1920, 1080), 1,
                 acknowledged=Severity.CRITICAL)  # fmt: skip
    words = _strip_words(twin)
    assert words[0].startswith("\u2716") and words[0].endswith("Sales \u00b7 ACK"), words
    assert words[1].endswith("Team (2/2)")
