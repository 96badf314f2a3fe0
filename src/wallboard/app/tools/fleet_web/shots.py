"""The fleet page's screenshots: which board to ask next, at a bounded rate, and the latest answer of each.

A thumbnail is asked for over the board's own screenshot topic (the same request ``wallboard fleet
--screenshot`` sends) when the one held is older than ``every_s`` (or a viewer opened the board), only
from boards that are online, never more than ``per_board_per_minute`` times in any minute for one board,
with at most ``in_flight`` requests unanswered at once across the fleet. Answers nobody here asked for
(another operator's ``--screenshot``) are kept too: they are as fresh as ours. Sizes are capped: a PNG
or a twin above its limit is dropped and counted, and the pictures together stay within a total (the oldest
let go first). No I/O, no clock of its own: the caller passes ``now``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from wallboard.app.tools.fleet import PNG_SIGNATURE, json_object
from wallboard.device.util.text import printable

BoardKey = tuple[str, str]  # (site, board) as the topic names them

_MINUTE_S = 60.0
# Ask again once the held thumbnail is this share of ``every_s`` old, so the answer lands before it is due.
_REFRESH_SHARE = 0.9


@dataclass(frozen=True)
class ShotPolicy:
    """How often and how many screenshots the page asks for."""

    every_s: float = 60.0  # a thumbnail is no older than this (plus one answer's time)
    per_board_per_minute: int = 2  # never more requests than this in any 60 s, per board
    in_flight: int = 8  # unanswered requests at once, across the fleet
    answer_timeout_s: float = 15.0  # a request unanswered this long is given up (and counted)
    max_width: int = 960  # asked of the board: the PNG's width limit
    max_png_bytes: int = 1024 * 1024
    max_twin_bytes: int = 512 * 1024
    max_total_png_bytes: int = 256 * 1024 * 1024  # beyond it the oldest pictures are let go

    def __post_init__(self) -> None:
        if self.every_s <= 0 or self.per_board_per_minute < 1 or self.in_flight < 1 or self.max_width < 64:
            raise ValueError("screenshot policy: every_s > 0, per_board_per_minute >= 1, in_flight >= 1, width >= 64")


@dataclass
class Shot:
    """What is held and asked of one board."""

    png: bytes | None = None
    png_at: float | None = None  # when it arrived here (epoch seconds)
    version: int = 0  # changes with every new PNG: the page's image URL carries it
    twin: dict[str, Any] | None = None
    twin_at: float | None = None
    error: str | None = None  # the board's own answer, or "no answer within ..."
    error_at: float | None = None
    asked: deque[float] = field(default_factory=deque)  # request times within the last minute
    waiting_since: float | None = None
    wanted: bool = False  # a viewer opened the board: ask as soon as its budget allows
    unanswered: int = 0


class ShotDesk:
    """The screenshots held, and the requests due."""

    def __init__(self, policy: ShotPolicy) -> None:
        self.policy = policy
        self._shots: dict[BoardKey, Shot] = {}
        self._versions = 0
        self.requests_sent = 0
        self.oversized = 0
        self.unreadable = 0
        self.let_go = 0  # pictures dropped to stay within max_total_png_bytes
        self._png_bytes = 0

    def get(self, key: BoardKey) -> Shot | None:
        return self._shots.get(key)

    def forget(self, key: BoardKey) -> None:
        """The board is gone from the fleet (its retained status was cleared)."""
        shot = self._shots.pop(key, None)
        if shot is not None and shot.png is not None:
            self._png_bytes -= len(shot.png)

    def _let_go_oldest(self, keep: BoardKey) -> None:
        """Drop the oldest pictures until all of them fit ``max_total_png_bytes`` (the newest is kept)."""
        if self._png_bytes <= self.policy.max_total_png_bytes:
            return
        held = sorted((shot.png_at or 0.0, key) for key, shot in self._shots.items() if shot.png is not None)
        for _, key in held:
            if self._png_bytes <= self.policy.max_total_png_bytes:
                return
            shot = self._shots[key]
            if key == keep or shot.png is None:
                continue
            self._png_bytes -= len(shot.png)
            shot.png = shot.png_at = None
            self.let_go += 1

    def held(self) -> int:
        """How many boards have a PNG here."""
        return sum(1 for shot in self._shots.values() if shot.png is not None)

    def take(self, key: BoardKey, kind: str, payload: bytes, now: float) -> bool:
        """Keep one answer (``png``, ``text`` or ``error``); False if it was refused (too large, unreadable)."""
        shot = self._shots.setdefault(key, Shot())
        if kind == "png":
            if len(payload) > self.policy.max_png_bytes:
                self.oversized += 1
                return False
            if not payload.startswith(PNG_SIGNATURE):
                self.unreadable += 1
                return False
            self._versions += 1
            self._png_bytes += len(payload) - (len(shot.png) if shot.png is not None else 0)
            shot.png, shot.png_at, shot.version = payload, now, self._versions
            self._let_go_oldest(keep=key)
            shot.error = shot.error_at = None
            shot.waiting_since = None
            return True
        if kind == "text":
            if len(payload) > self.policy.max_twin_bytes:
                self.oversized += 1
                return False
            twin = json_object(payload)
            if twin is None:
                self.unreadable += 1
                return False
            shot.twin, shot.twin_at = twin, now
            return True
        if kind == "error":
            shot.error, shot.error_at = printable(payload.decode("utf-8", errors="replace"), 300), now
            shot.waiting_since = None
            return True
        return False

    def want(self, key: BoardKey) -> None:
        """A viewer opened this board: a fresh screenshot as soon as the board's budget allows."""
        self._shots.setdefault(key, Shot()).wanted = True

    def due(self, online: Iterable[BoardKey], now: float) -> list[BoardKey]:
        """The boards to ask now (each marked asked): the neediest first, within every bound."""
        waiting = 0
        for shot in self._shots.values():
            if shot.waiting_since is not None and now - shot.waiting_since > self.policy.answer_timeout_s:
                shot.waiting_since = None
                shot.unanswered += 1
                shot.error = f"no answer within {self.policy.answer_timeout_s:.0f} s"
                shot.error_at = now
            if shot.waiting_since is not None:
                waiting += 1
        room = self.policy.in_flight - waiting
        if room <= 0:
            return []
        candidates: list[tuple[int, float, BoardKey]] = []
        for key in online:
            shot = self._shots.setdefault(key, Shot())
            while shot.asked and now - shot.asked[0] >= _MINUTE_S:
                shot.asked.popleft()
            if shot.waiting_since is not None or len(shot.asked) >= self.policy.per_board_per_minute:
                continue
            age = None if shot.png_at is None else now - shot.png_at
            if shot.wanted or age is None or age >= _REFRESH_SHARE * self.policy.every_s:
                # Wanted first, then the never-seen, then the oldest.
                candidates.append((0 if shot.wanted else 1, -1.0 if age is None else -age, key))
        candidates.sort()
        chosen = [key for _, _, key in candidates[:room]]
        for key in chosen:
            shot = self._shots[key]
            shot.asked.append(now)
            shot.waiting_since = now
            shot.wanted = False
        self.requests_sent += len(chosen)
        return chosen
