"""Sample data for previews: a JSON file of metric values (with optional ages) turned into a board view.

The format (see config/sample-data.json)::

    {"link": "up",                       # "up", "down" or "connecting"
     "down_for_s": 120,                  # with "down": how long ago the link dropped
     "link_detail": "connection refused by 10.0.0.5:1883 (nothing listening on that port?)",  # with "down": why
     "metrics": {"sales.calls_waiting": 7,                       # a value measured just now
                 "sales.service_level_pct": {"value": 78.5, "age_s": 400}},  # an old one
     "history": {"sales.service_level_pct": {"minutes": 60, "from": 85, "to": 78.5, "wobble": 2}},
     "queues": {"sales": {"offered": 230, "answered": 214, "answered_within_target": 181}},  # counts: the
                                         # board derives ratios, totals and the staffing hint from them
     "period_start_h": 0,                # the counts' period began at this hour today, site time
     "agents": [{"name": "Asha", "handled": 42}],
     "agents_age_s": 0,                  # how long ago the leaderboard rows were measured
     "agent_status": {"age_s": 0, "agents": [{"name": "Asha", "state": "on_call", "in_state_s": 95,
                                             "reason": null, "calls_today": 12, "ring_no_answer": false}]},
     "announcements": ["Fire drill at 14:00"],
     "announcements_age_s": 0,           # how long ago the ticker texts arrived
     "held_for_s": 12,                   # optional: how long the values have been as they are
     "clock_unsynced_s": 3600,           # optional: the system clock has not been synchronised for this long
     "feeds": {"asterisk": "offline"}}   # optional: each feed's status: "online", "degraded" or "offline"

Rules are applied as if every value had been held past its hold time, so an
alarm sample shows its alarm; with ``held_for_s`` a hold longer than that is
still running, so the sample shows the pending level. No pygame, no broker, no cache: everything
lives in memory.
"""

from __future__ import annotations

import json
import math
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from wallboard.device.config.schema import BoardConfig
from wallboard.device.core.rejections import RejectionCounter
from wallboard.device.core.rules import RuleEngine
from wallboard.device.core.state import BoardState
from wallboard.device.core.updates import (
    AgentRow,
    AgentStatusBoard,
    AgentStatusRow,
    Announcement,
    FeedHealth,
    Leaderboard,
    Reading,
)
from wallboard.device.core.values import LinkChange, LinkStatus, MetricValue
from wallboard.device.core.view import BoardView, HandoffStats
from wallboard.device.errors import ConfigError


def load_sample(path: str | Path) -> dict[str, Any]:
    """Read a sample-data file; ConfigError naming the file if it is not a JSON object."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError([f"{path}: cannot read sample data: {exc}"]) from None
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: expected a JSON object"])
    return data


def sample_view(config: BoardConfig, sample: dict[str, Any], wall_now: float | None = None) -> BoardView:
    """A board view holding ``sample``'s values at ``wall_now`` (default: now)."""
    now = time.time() if wall_now is None else wall_now
    state = BoardState(config, RejectionCounter(), clock=lambda: now)
    histories = dict(sample.get("history", {}))
    for key, entry in dict(sample.get("metrics", {})).items():
        value, age = (entry, 0.0) if isinstance(entry, (int, float)) else (entry["value"], entry.get("age_s", 0.0))
        at = now - float(age)
        points = _history_points(histories[key], at) if key in histories else []
        # restore() keeps the sample's own times, as the cache does after a reboot.
        state.restore(key, MetricValue(float(value), at, at), [*points, (at, float(value))])
    start_h = sample.get("period_start_h")
    for queue, counts in dict(sample.get("queues", {})).items():
        if start_h is not None:
            state.apply(Reading(f"{queue}.period_start", _today_at(config, now, float(start_h)), now, now))
        for field, value in dict(counts).items():
            state.apply(Reading(f"{queue}.{field}", float(value), now, now))
    for key, spec in histories.items():  # trend lines of metrics derived from the counts above
        held = state.value(key)
        if held is not None and key not in sample.get("metrics", {}):
            state.restore(key, held, _history_points(spec, held.measured_at))
    rows = tuple(
        AgentRow(str(row["name"]), tuple((k, float(v)) for k, v in row.items() if k != "name"))
        for row in sample.get("agents", [])
    )
    if rows:
        rows_at = now - float(sample.get("agents_age_s", 0.0))
        state.apply(Leaderboard(rows, rows_at, rows_at))
    grid = sample.get("agent_status")
    if grid is not None:
        measured = now - float(grid.get("age_s", 0.0))
        status_rows = tuple(
            AgentStatusRow(
                name=str(row["name"]),
                state=str(row["state"]),
                state_since=None if row.get("in_state_s") is None else measured - float(row["in_state_s"]),
                reason=row.get("reason"),
                calls_today=row.get("calls_today"),
                ring_no_answer=bool(row.get("ring_no_answer", False)),
            )
            for row in grid.get("agents", [])
        )
        state.apply(AgentStatusBoard(status_rows, measured, now))
    for adapter, feed in dict(sample.get("feeds", {})).items():
        # "asterisk": "online", or {"state": "online", "not_supplied": ["agents_wrap"]}
        spec = feed if isinstance(feed, dict) else {"state": feed}
        feed_state = str(spec.get("state", "online"))
        absent = frozenset(str(name) for name in spec.get("not_supplied", ()))
        state.apply(FeedHealth(str(adapter), feed_state, feed_state, now, absent))
    said_at = now - float(sample.get("announcements_age_s", 0.0))
    for index, text in enumerate(sample.get("announcements", [])):
        state.apply(Announcement(str(index), str(text), None, said_at))
    if "clock_unsynced_s" in sample:
        state.set_clock_sync(False, now - float(sample["clock_unsynced_s"]))
    link = str(sample.get("link", "up"))
    status = {"up": LinkStatus.UP, "down": LinkStatus.DOWN, "connecting": LinkStatus.CONNECTING}[link]
    state.set_link(LinkChange(status, now - float(sample.get("down_for_s", 0.0)), str(sample.get("link_detail", ""))))
    engine = RuleEngine(config.rule)
    engine.assess(state, now, 0.0)
    # Every hold has long passed, unless the sample says how long the values have been held.
    assessment = engine.assess(state, now, float(sample.get("held_for_s", 1e9)))
    return BoardView(config, state, assessment, now, 1e9, {}, HandoffStats(0, 0, 0, 0))


def _today_at(config: BoardConfig, now: float, hour: float) -> float:
    """Epoch seconds of ``hour`` o'clock on ``now``'s day in the site's time zone."""
    local = datetime.fromtimestamp(now, ZoneInfo(config.site.timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp() + hour * 3600


def _history_points(spec: Any, now: float) -> list[tuple[float, float]]:
    """A smooth made-up history from ``{"minutes", "from", "to", "wobble"}``, or explicit [[age_s, value]]."""
    if isinstance(spec, list):
        return sorted((now - float(age), float(value)) for age, value in spec)
    minutes = float(spec.get("minutes", 60))
    start, end, wobble = float(spec["from"]), float(spec["to"]), float(spec.get("wobble", 0.0))
    steps = max(2, int(minutes * 6))
    points = []
    for i in range(steps):
        f = i / (steps - 1)
        value = start + (end - start) * f + wobble * math.sin(f * 3 * math.pi) * (1.2 - f)
        points.append((now - minutes * 60 * (1 - f) - 10, value))
    return points


def sample_state(view: BoardView) -> BoardState:
    """The writable state behind a view ``sample_view`` made, for a caller that moves its sample on.

    Outputs read a view's state through the read-only ``StateReader``; a sample's maker owns the real one.
    """
    state = view.state
    if not isinstance(state, BoardState):
        raise TypeError(f"not a sample view's state: {type(state).__name__}")
    return state
