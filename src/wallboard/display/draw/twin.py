"""The screen's text twin: what each widget on the shown page says, as one versioned JSON-able document.

Built from what the painter actually drew (the strings, their boxes and font
sizes) and the board view the frame was drawn from (value, unit, severity,
pending level and seconds left, age, stale). IT reads a board remotely with it
(`wallboard fleet --screenshot`), tests check what the floor sees without
reading pixels, and the legibility check reads its cap heights. Format:
docs/screen-twin.md. Changes nothing; call it right after a paint.
"""

from __future__ import annotations

from wallboard.device.config.screen_schema import WidgetSettings
from wallboard.device.core.verdict import verdict
from wallboard.device.core.view import BoardView
from wallboard.display.draw.painter import BoardPainter, PlacedWidget
from wallboard.display.draw.widgets.agents import STATES as AGENT_STATES
from wallboard.display.draw.widgets.base import Frame, Widget
from wallboard.display.draw.widgets.kpi import KpiTile
from wallboard.display.draw.widgets.trend import TrendLine
from wallboard.display.logic.freshness import board_freshness, widget_age

# Bump when a field changes meaning or goes away; adding a field does not bump it.
TWIN_SCHEMA = 1


def _texts(painter: BoardPainter, placed: PlacedWidget) -> list[dict[str, object]]:
    texts: list[dict[str, object]] = []
    for index, text in enumerate(placed.words):
        box = placed.text[index] if index < len(placed.text) else None
        size = placed.sizes[index] if index < len(placed.sizes) else None
        texts.append({
            "text": text,
            "box": None if box is None else list(box),
            "font_px": size,
            "cap_px": None if size is None else painter.fonts.cap_height(size),
        })  # fmt: skip
    return texts


def _data(view: BoardView, frame: Frame, settings: WidgetSettings, widget: Widget) -> dict[str, object]:
    """What a widget's data is, beside what it says: value, the core's verdict, severity, pending, age, stale.

    ``shown`` and ``state`` are what the widget drew (its own record), never worked out again here.
    """
    facts: dict[str, object] = {}
    age = widget_age(view, settings)
    if settings.type in ("kpi", "trend") and settings.metric is not None:
        key = settings.metric
        found = verdict(view.state, view.config, key, view.wall_now)
        kind = view.config.kind_of(key)
        severity = view.assessment.severity_of(key)
        pending = view.assessment.pending_of(key)
        drawn = widget.drawn if isinstance(widget, (KpiTile, TrendLine)) else None
        facts.update({
            "metric": key,
            "value": found.value,  # None unless a measured number is held (never the last period's after a reset)
            "value_state": found.state.value,
            "shown": None if drawn is None else drawn[1],
            "kind": None if kind is None else kind.value,
            "unit": settings.unit,
            "severity": None if severity is None else severity.label,
            "state": None if drawn is None else drawn[0].value,
            "pending": None if pending is None else {"level": pending.level.label,
                                                      "seconds_left": round(pending.seconds_left, 1)},
        })  # fmt: skip
    elif settings.type == "agents":
        facts["queue"] = settings.queue
        facts["value_states"] = {
            field: verdict(view.state, view.config, f"{settings.queue}.{field}", view.wall_now).state.value
            for field, _ in AGENT_STATES
        }
    elif settings.type == "leaderboard":
        board = view.state.leaderboard
        facts["rows"] = 0 if board is None else min(len(board.rows), settings.rows)
    facts["age_s"] = None if age.age is None else round(age.age, 1)
    facts["stale_after_s"] = age.limit
    facts["stale"] = age.stale or (frame.offline and age.age is not None)
    return facts


def screen_twin(painter: BoardPainter, view: BoardView, size: tuple[int, int]) -> dict[str, object]:
    """The text twin of what ``painter`` last painted from ``view`` on a ``size`` screen."""
    index = painter.page_shown
    page = painter.pages[index]
    frame = painter.last_frame
    assert frame is not None, "paint before asking for the twin"
    widgets: list[dict[str, object]] = []
    for slot, settings in enumerate(page.widget):
        placed = painter.placed.get(slot)
        entry: dict[str, object] = {
            "slot": slot + 1,
            "type": settings.type,
            "box": None if placed is None else list(placed.cell),
            "texts": [] if placed is None else _texts(painter, placed),
        }
        entry.update(_data(view, frame, settings, painter.widgets[index][slot]))
        widgets.append(entry)
    freshness = board_freshness(view, painter.strip.sources)
    strip = painter.chrome.get("strip")
    banner = painter.chrome.get("banner")
    config = view.config
    return {
        "schema": TWIN_SCHEMA,
        "site": config.site.id,
        "board": config.board.id,
        "at": round(view.wall_now, 3),
        "size": list(size),
        "page": {"number": index + 1, "of": len(painter.pages), "name": page.name},
        "link": {"state": view.state.link.status.value, "detail": view.state.link.detail},
        "alarm": view.assessment.board.label,
        "live": {
            "state": freshness.liveness.value,
            "stale": freshness.stale,
            "sources": freshness.total,
            "no_data": freshness.missing,
        },
        "status_strip": None if strip is None else {"texts": _texts(painter, strip)},
        "banner": None if banner is None else {"texts": _texts(painter, banner)},
        "widgets": widgets,
    }
