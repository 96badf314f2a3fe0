"""The shipped sample data is self-consistent: what a supervisor sees in the docs could happen on a real floor."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "config").glob("sample-data*.json"))


def _figures(sample: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per queue, every figure the sample gives (plain metrics and raw counts alike)."""
    queues: dict[str, dict[str, float]] = {}
    for key, entry in sample.get("metrics", {}).items():
        queue, _, field = key.partition(".")
        queues.setdefault(queue, {})[field] = float(entry["value"] if isinstance(entry, dict) else entry)
    for queue, counts in sample.get("queues", {}).items():
        queues.setdefault(queue, {}).update({field: float(value) for field, value in counts.items()})
    return queues


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_samples_never_queue_calls_beside_free_agents_and_their_counts_add_up(path: Path) -> None:
    """No call waits while an agent is available; answered + abandoned + waiting <= offered; parts <= wholes."""
    queues = _figures(json.loads(path.read_text(encoding="utf-8")))
    assert queues
    for queue, f in queues.items():
        where = f"{path.name}: {queue}"
        if f.get("calls_waiting", 0) > 0:
            assert f.get("agents_available", 0) == 0, where
        if "offered" in f:
            assert f["answered"] + f["abandoned"] + f.get("calls_waiting", 0) == f["offered"], where
            assert f["answered_within_target"] <= f["answered"], where
            assert f["short_abandoned"] <= f["abandoned_within_target"] <= f["abandoned"], where
            assert f["talk_time_s"] + f["hold_time_s"] + f["wrap_time_s"] == f["handle_time_s"], where
        states = [f.get(f"agents_{s}") for s in ("available", "on_call", "wrap", "away")]
        if "agents_staffed" in f:
            assert sum(s or 0 for s in states) == f["agents_staffed"], where
