"""An output that writes the board's changes to the log (the journal under systemd): link, severities, alarm.

It also names, once each, a metric the board shows or judges that has not arrived within its stale limit
of the board's start (a metric name the feed never sends, a field the platform cannot supply), so the
journal says why a tile reads NO DATA; and what a config change did to the rules: which kept their
state (severity, hold, acknowledgement) and which start fresh, and why.
"""

from __future__ import annotations

import logging

from wallboard.device.core.rules import Severity
from wallboard.device.core.values import LinkStatus
from wallboard.device.core.verdict import ValueState, verdict, watched_metrics
from wallboard.device.core.view import BoardView

log = logging.getLogger(__name__)


class StateLog:
    """Logs each change of the broker link, of a metric's severity and of the board's alarm state, once."""

    def __init__(self) -> None:
        self._link: LinkStatus | None = None
        self._board: Severity | None = None
        # Per metric, its severity and the level a running hold is heading for (None: no hold running).
        self._severities: dict[str, tuple[Severity, Severity | None]] = {}
        # Metrics still to watch for "never arrived", per config (a key leaves once it arrives or is named).
        self._watching: tuple[object, list[str]] = (None, [])
        self._rules_generation = 0

    def render(self, view: BoardView) -> float:
        self._log_rules_replaced(view)
        link = view.state.link
        if link.status is not self._link:
            self._link = link.status
            if link.detail:
                log.info("broker link %s (%s)", link.status.value, link.detail)
            else:
                log.info("broker link %s", link.status.value)
        for key, severity in view.assessment.metrics.items():
            pending = view.assessment.pending_of(key)
            heading = None if pending is None else pending.level
            if self._severities.get(key) != (severity, heading):
                self._severities[key] = (severity, heading)
                held = view.state.value(key)
                shown = "no value" if held is None else f"{held.value:g}"
                if pending is None:
                    log.info("%s is %s (%s)", key, severity.label, shown)
                else:
                    # Beyond a level while its hold runs: never "is normal" for a value past its level.
                    now = "" if severity is Severity.NORMAL else f"{severity.label}, "
                    level = pending.level.label
                    left = pending.seconds_left
                    log.info("%s is %spending %s (%s; %s in %.0f s if it stays)", key, now, level, shown, level, left)
        self._name_missing(view)
        if view.assessment.board is not self._board:
            self._board = view.assessment.board
            log.info("board alarm state: %s%s", self._board.label, " (blind)" if view.assessment.blind else "")
        return 1.0

    def _name_missing(self, view: BoardView) -> None:
        config = view.config
        if self._watching[0] is not config:
            self._watching = (config, list(watched_metrics(config)))
        pending = self._watching[1]
        if not pending:
            return
        up_for = view.wall_now - view.started_at
        for key in list(pending):
            if view.state.value(key) is not None:
                pending.remove(key)  # it arrived: nothing to say
                continue
            if up_for <= config.stale_after(key) or view.state.link.status is not LinkStatus.UP:
                continue
            found = verdict(view.state, config, key, view.wall_now)
            if found.state is ValueState.NOT_RECEIVED:
                log.warning("%s: not received in the %.0f s since the board started (its stale limit); "
                            "does the feed send it, under this name?", key, up_for)  # fmt: skip
            elif found.state is ValueState.NOT_SUPPLIED:
                log.info("%s: not supplied by the %s feed on its platform (shown as n/a)", key, found.supplier)
            else:
                continue
            pending.remove(key)

    def _log_rules_replaced(self, view: BoardView) -> None:
        replaced = view.assessment.rules_replaced
        if replaced is None or replaced.generation == self._rules_generation:
            return
        self._rules_generation = replaced.generation
        log.info(
            "config change: %d rule(s) keep their state (severity, hold, acknowledgement), %d start fresh",
            len(replaced.kept),
            len(replaced.fresh),
        )
        for line in replaced.fresh:
            log.info("rule %s: starts fresh", line)
        for metric in replaced.dropped:
            log.info("rule on %s removed: no longer judged", metric)

    def close(self) -> None:
        return None
