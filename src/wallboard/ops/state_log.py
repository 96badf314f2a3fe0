"""An output that writes the board's changes to the log (the journal under systemd): link, severities, alarm."""

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

    def render(self, view: BoardView) -> float:
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

    def close(self) -> None:
        return None
