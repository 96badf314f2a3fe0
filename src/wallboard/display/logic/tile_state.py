"""How a metric's tile is drawn, decided from the board view: its severity's colour, stale, or missing.

The one mapping from the core's verdicts (held or not, fresh or stale, the rules' severity and any
pending level) to a ``TileState`` the theme colours; every widget and the text twin read it from here.
No pygame: it decides, the widgets draw.
"""

from __future__ import annotations

from wallboard.device.core.rules import Severity
from wallboard.device.core.verdict import ValueState, verdict
from wallboard.device.core.view import BoardView
from wallboard.display.logic.theme import TileState

_BY_SEVERITY = {
    Severity.NORMAL: TileState.NORMAL,
    Severity.WARN: TileState.WARN,
    Severity.CRITICAL: TileState.CRITICAL,
    Severity.UNKNOWN: TileState.STALE,
}


def metric_state(view: BoardView, key: str, *, offline: bool) -> TileState:
    """How ``key``'s tile is drawn: its severity if fresh and live (pending during a hold), else stale or missing.

    Read from the core's one ``Verdict``: a value never received or not supplied is MISSING (grey, no number),
    a stale one STALE; only a live value (or a real zero) gets its rules' colour.
    """
    found = verdict(view.state, view.config, key, view.wall_now)
    if not found.state.has_value:
        return TileState.MISSING
    if offline or found.state is ValueState.STALE:
        return TileState.STALE
    severity = view.assessment.severity_of(key)
    if severity is None:
        return TileState.NEUTRAL
    pending = view.assessment.pending_of(key)
    if severity is Severity.NORMAL and pending is not None:
        return TileState.PENDING_CRITICAL if pending.level is Severity.CRITICAL else TileState.PENDING_WARN
    return _BY_SEVERITY[severity]


def shown_state(view: BoardView, key: str, *, offline: bool) -> TileState:
    """The state ``key`` is drawn in by every widget that shows it (its KPI tile, its trend): ``metric_state``,
    but neutral while its rule is quiet ("no calls yet", "low volume": not judged, so neither OK nor stale)."""
    state = metric_state(view, key, offline=offline)
    quiet = view.assessment.quiet.get(key) is not None or view.state.no_calls_yet(key, view.wall_now)
    return TileState.NEUTRAL if quiet and not offline else state
