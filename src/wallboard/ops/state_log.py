"""An output that writes the board's changes to the log (the journal under systemd): link, severities, alarm.

Also what a config change did to the rules: which kept their state (severity, hold, acknowledgement)
and which start fresh, and why.
"""

from __future__ import annotations

import logging

from wallboard.device.core.rules import Severity
from wallboard.device.core.values import LinkStatus
from wallboard.device.core.view import BoardView

log = logging.getLogger(__name__)


class StateLog:
    """Logs each change of the broker link, of a metric's severity and of the board's alarm state, once."""

    def __init__(self) -> None:
        self._link: LinkStatus | None = None
        self._board: Severity | None = None
        self._severities: dict[str, Severity] = {}
        self._rules_generation = 0

    def render(self, view: BoardView) -> float:
        self._log_rules_replaced(view)
        link = view.state.link
        if link.status is not self._link:
            self._link = link.status
            log.info("broker link %s (%s)", link.status.value, link.detail)
        for key, severity in view.assessment.metrics.items():
            if self._severities.get(key) is not severity:
                self._severities[key] = severity
                held = view.state.value(key)
                shown = "no value" if held is None else f"{held.value:g}"
                log.info("%s is %s (%s)", key, severity.label, shown)
        if view.assessment.board is not self._board:
            self._board = view.assessment.board
            log.info("board alarm state: %s%s", self._board.label, " (blind)" if view.assessment.blind else "")
        return 1.0

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
