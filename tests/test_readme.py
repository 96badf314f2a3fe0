"""The README's wire-contract and config examples are real: each is run through the board's own code."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from wallboard.device.config.reading import load_config_text
from wallboard.device.core.rejections import RejectionCounter
from wallboard.device.core.state import BoardState
from wallboard.device.edge.ingest import Ingest

README = Path(__file__).resolve().parent.parent / "README.md"
EXAMPLE = re.compile(r"topic: `(?P<topic>[^`]+)`\n```json\n(?P<payload>.*?)```", re.S)
TOML_BLOCK = re.compile(r"```toml\n(?P<body>.*?)```", re.S)
NOW = 1_763_800_100.0


def _config_with(extra: str) -> str:
    return f'[site]\nid = "london"\n[board]\nid = "floor1"\n{extra}'


def test_every_wire_example_in_the_readme_is_accepted() -> None:
    """Each `topic:` + JSON example in the README decodes into updates with no rejection."""
    text = README.read_text()
    examples = list(EXAMPLE.finditer(text))
    assert len(examples) >= 4
    mappings = "\n".join(block["body"] for block in TOML_BLOCK.finditer(text) if "[[topic]]" in block["body"])
    config = load_config_text(_config_with(mappings)).config
    counter = RejectionCounter()
    ingest = Ingest(config, counter, clock=lambda: NOW)
    state = BoardState(config, counter, clock=lambda: NOW)
    for example in examples:
        updates = ingest.decode(example["topic"], example["payload"].encode(), NOW)
        assert updates, f"README example on {example['topic']} was rejected: {counter.counts()}"
        state.apply_all(updates)
    assert counter.counts() == {}
    assert state.value("sales.calls_waiting").value == 7  # type: ignore[union-attr]
    assert state.value("billing.service_level_pct").value == 80  # type: ignore[union-attr]
    assert state.leaderboard is not None and state.leaderboard.rows[0].name == "Asha"
    assert [a.id for a in state.announcements(NOW)] == ["drill"]


def test_every_toml_example_in_the_readme_is_valid_config() -> None:
    """Each TOML block in the README is valid config when placed in a board file."""
    blocks = [block["body"] for block in TOML_BLOCK.finditer(README.read_text())]
    assert blocks
    for body in blocks:
        tomllib.loads(body)
        extra = body if "[site]" not in body else ""
        load_config_text(_config_with(extra))
