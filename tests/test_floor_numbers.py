"""The shipped boards lead with the floor's numbers: calls waiting, longest wait and agents free, thresholded."""

from __future__ import annotations

from pathlib import Path

import pytest

from wallboard.device.config.reading import load_config

ROOT = Path(__file__).resolve().parent.parent
BOARDS = {"floor1.toml": "sales", "floor2.toml": "support", "site-overview.toml": "site"}
LEADERS = ("calls_waiting", "longest_wait_s", "agents_available")


@pytest.mark.parametrize(("board", "queue"), BOARDS.items())
def test_each_shipped_board_thresholds_the_floors_numbers(board: str, queue: str) -> None:
    """Calls waiting (above), longest wait (above) and agents free (below) each have a rule, warn level set."""
    config = load_config(ROOT / "config" / "boards" / board).config
    rules = {rule.metric: rule for rule in config.rule}
    for field in LEADERS:
        rule = rules.get(f"{queue}.{field}")
        assert rule is not None, f"{board}: no rule on {queue}.{field}"
        if field == "agents_available":
            assert rule.warn_below is not None and rule.warn_above is None
        else:
            assert rule.warn_above is not None and rule.critical_above is not None


@pytest.mark.parametrize(("board", "queue"), BOARDS.items())
def test_the_first_page_leads_with_them_calls_waiting_beside_agents_free(board: str, queue: str) -> None:
    """Page 1's top row: calls waiting, agents free, longest wait, side by side, in that order."""
    config = load_config(ROOT / "config" / "boards" / board).config
    first = config.display.page[0]
    top = sorted((w.at[0], w.metric) for w in first.widget if w.type == "kpi" and w.at[1] == 1)
    assert [metric for _, metric in top][:3] == [f"{queue}.{field}" for field in
                                                 ("calls_waiting", "agents_available", "longest_wait_s")]  # fmt: skip
    label = config.metric_settings(f"{queue}.agents_available")
    assert label is not None and label.label == "Agents free"
