"""The fleet page's view of the broker: statuses, bridge states and screenshots, safe to share between threads.

The MQTT thread hands every message to ``take``; the web server's loop reads ``snapshot`` and the
screenshots, and asks ``due_requests`` which boards to ask for a new one. One lock guards it all; nothing
here blocks on I/O. The number of boards is capped (``max_boards``): a broker flooded with made-up status
topics cannot grow the server without bound (the extra ones are counted, not kept).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wallboard.app.tools.fleet import Fleet, describe_twin
from wallboard.app.tools.fleet_web.cards import board_id, card, parse_board_id
from wallboard.app.tools.fleet_web.shots import ShotDesk, ShotPolicy
from wallboard.device.util.text import printable
from wallboard.device.wire.topics import (
    BoardTopics,
    bridge_state,
    parse_screenshot_answer_topic,
    parse_status_topic,
    screenshot_answer_filters,
    status_filter,
)

_MAX_TWIN_LINE = 300


@dataclass(frozen=True)
class Snapshot:
    """The whole fleet at one moment: cards by id (as JSON text, for cheap comparison) and the sites."""

    now: float
    cards: dict[str, str]
    sites: list[dict[str, Any]]


class FleetWatcher:
    """Everything the page shows, fed by MQTT messages."""

    def __init__(
        self,
        policy: ShotPolicy | None = None,
        *,
        hot_celsius: float | None = None,
        max_boards: int = 5000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._fleet = Fleet(hot_celsius)
        self._shots = ShotDesk(policy or ShotPolicy())
        self._max_boards = max_boards
        self._clock = clock
        self._lock = threading.Lock()
        self.messages = 0
        self.boards_refused = 0  # status topics beyond ``max_boards``

    @staticmethod
    def subscriptions(site: str = "+") -> list[str]:
        """The topics to subscribe to: statuses, bridge states, screenshot answers."""
        return [status_filter(site), bridge_state(site), *screenshot_answer_filters(site)]

    def take(self, topic: str, payload: bytes) -> None:
        """One message from the broker (anything else than the subscriptions above is ignored)."""
        now = self._clock()
        with self._lock:
            self.messages += 1
            answer = parse_screenshot_answer_topic(topic)
            if answer is not None:
                site, board, kind = answer
                if self._fleet.document(site, board) is not None:  # only boards the page shows
                    self._shots.take((site, board), kind, payload, now)
                return
            key = parse_status_topic(topic)
            if (
                key is not None
                and payload
                and self._fleet.document(*key) is None
                and len(self._fleet) >= self._max_boards
            ):
                self.boards_refused += 1
                return
            self._fleet.update(topic, payload)
            if key is not None and not payload:
                self._shots.forget(key)

    def snapshot(self) -> Snapshot:
        """Every board's card and every site's bridge, now."""
        now = self._clock()
        with self._lock:
            cards: dict[str, str] = {}
            counts: dict[str, int] = {}
            for key, row in self._fleet.entries(now):
                doc = self._fleet.document(*key) or {}
                cards[board_id(key)] = json.dumps(card(key, row, doc, self._shots.get(key)), separators=(",", ":"))
                counts[key[0]] = counts.get(key[0], 0) + 1
            bridges = self._fleet.bridge_states()
        sites = [
            {
                "id": site,
                "site": printable(site, 40),
                "bridge": None if site not in bridges else "up" if bridges[site] else "down",
                "boards": counts.get(site, 0),
            }
            for site in sorted(set(counts) | set(bridges))
        ]
        return Snapshot(now=now, cards=cards, sites=sites)

    def due_requests(self) -> list[tuple[str, bytes]]:
        """The screenshot requests to publish now, as ``(topic, payload)``: online boards only, within bounds."""
        now = self._clock()
        with self._lock:
            online = [key for key, row in self._fleet.entries(now) if row.online]
            keys = self._shots.due(online, now)
            width = self._shots.policy.max_width
        payload = json.dumps({"max_width": width}).encode()
        return [(BoardTopics(*key).screenshot, payload) for key in keys]

    def want(self, ident: str) -> bool:
        """A viewer opened a board: ask it for a fresh screenshot soon. False if no such board."""
        key = parse_board_id(ident)
        with self._lock:
            if key is None or self._fleet.document(*key) is None:
                return False
            self._shots.want(key)
            return True

    def png(self, ident: str) -> tuple[bytes, int] | None:
        """The board's latest PNG and its version, if one is held."""
        key = parse_board_id(ident)
        with self._lock:
            shot = None if key is None else self._shots.get(key)
            return None if shot is None or shot.png is None else (shot.png, shot.version)

    def twin(self, ident: str) -> dict[str, Any] | None:
        """The board's latest text twin as lines a person reads (cleaned), with when it came; None if none held."""
        key = parse_board_id(ident)
        with self._lock:
            shot = None if key is None else self._shots.get(key)
            if shot is None or shot.twin is None:
                return None
            twin, at = shot.twin, shot.twin_at
        try:
            lines = describe_twin(twin)
        except (AttributeError, TypeError, ValueError):  # a twin of another shape: say so rather than fail
            lines = ["(this twin is not in a shape this page reads)"]
        return {"at": at, "lines": [printable(line, _MAX_TWIN_LINE) for line in lines]}

    def status(self, ident: str) -> dict[str, Any] | None:
        """The board's latest status document as it arrived (the page shows it as text)."""
        key = parse_board_id(ident)
        with self._lock:
            return None if key is None else self._fleet.document(*key)

    def counts(self) -> dict[str, int]:
        """For the log and the health endpoint."""
        with self._lock:
            return {
                "boards": len(self._fleet),
                "screenshots_held": self._shots.held(),
                "screenshot_requests": self._shots.requests_sent,
                "messages": self.messages,
                "boards_refused": self.boards_refused,
                "unreadable": self._fleet.unreadable + self._shots.unreadable,
                "oversized": self._shots.oversized,
                "screenshots_let_go": self._shots.let_go,
            }
