"""The state log's lines in the journal: the broker link without empty brackets, and a held value said pending."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from wallboard.device.config.reading import load_config_text
from wallboard.device.core.rejections import RejectionCounter
from wallboard.device.core.rules import RuleEngine
from wallboard.device.core.state import BoardState
from wallboard.device.core.updates import Reading
from wallboard.device.core.view import BoardView, HandoffStats
from wallboard.display.preview.sample_data import sample_view
from wallboard.ops.state_log import StateLog

BOARD = """
[site]
id = "london"
[board]
id = "floor1"
[[rule]]
metric = "sales.service_level_pct"
warn_below = 80
critical_below = 70
hysteresis = 2
hold = "30s"
"""
NOW = 1_763_800_000.0


def _lines(caplog: pytest.LogCaptureFixture, sample: dict[str, object]) -> list[str]:
    config = load_config_text(BOARD, name="board.toml", base_dir=Path.cwd()).config
    caplog.set_level(logging.INFO, logger="wallboard.ops.state_log")
    StateLog().render(sample_view(config, sample, wall_now=NOW))
    return [record.getMessage() for record in caplog.records]


def test_a_link_with_no_detail_has_no_empty_brackets(caplog: pytest.LogCaptureFixture) -> None:
    """A link still connecting (no detail yet) logs "broker link connecting", never "connecting ()"."""
    lines = _lines(caplog, {"link": "connecting", "metrics": {"sales.service_level_pct": 91.0}})
    assert "broker link connecting" in lines
    assert not any("()" in line for line in lines)


def test_a_link_with_a_detail_keeps_it_in_brackets(caplog: pytest.LogCaptureFixture) -> None:
    """A link down with a cause logs it: "broker link down (connection refused by ...)"."""
    cause = "connection refused by 127.0.0.1:1883 (nothing listening on that port?)"
    lines = _lines(caplog, {"link": "down", "link_detail": cause, "metrics": {}})
    assert f"broker link down ({cause})" in lines


def test_a_value_beyond_its_level_during_its_hold_is_pending_not_normal(caplog: pytest.LogCaptureFixture) -> None:
    """SL 78.5 below its warn level 80, 10 s into a 30 s hold: "is pending warn", never "is normal (78.5)"."""
    lines = _lines(caplog, {"metrics": {"sales.service_level_pct": 78.5}, "held_for_s": 10})
    assert "sales.service_level_pct is pending warn (78.5; warn in 20 s if it stays)" in lines
    assert not any("is normal" in line for line in lines)


def test_a_warning_heading_for_critical_says_both(caplog: pytest.LogCaptureFixture) -> None:
    """SL at warn for a minute, then 65 (below critical) 5 s into the hold: "is warn, pending critical"."""
    config = load_config_text(BOARD, name="board.toml", base_dir=Path.cwd()).config
    state = BoardState(config, RejectionCounter(), clock=lambda: NOW)
    engine = RuleEngine(config.rule)
    caplog.set_level(logging.INFO, logger="wallboard.ops.state_log")
    log = StateLog()
    for at, value in ((NOW - 60, 75.0), (NOW - 25, 75.0), (NOW - 5, 65.0), (NOW, 65.0)):  # warn held 35 s, then 65
        state.apply(Reading("sales.service_level_pct", value, at, at))
        view = BoardView(config, state, engine.assess(state, at, at), at, 1e9, {}, HandoffStats(0, 0, 0, 0))
        log.render(view)
    lines = [record.getMessage() for record in caplog.records]
    assert "sales.service_level_pct is warn (75)" in lines
    assert "sales.service_level_pct is warn, pending critical (65; critical in 30 s if it stays)" in lines


def test_after_the_hold_the_level_is_said_plainly(caplog: pytest.LogCaptureFixture) -> None:
    """Once the hold has run out the line is the plain level: "is warn (78.5)"."""
    lines = _lines(caplog, {"metrics": {"sales.service_level_pct": 78.5}})
    assert "sales.service_level_pct is warn (78.5)" in lines
