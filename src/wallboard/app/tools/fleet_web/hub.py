"""Live updates for the fleet page: one loop works out what changed and hands it to every open page.

``refresh`` takes a snapshot of the fleet (at most every ``min_gap_s`` when messages pour in, at least
every ``tick_s`` so a board that falls silent turns late without a message), compares each card with the
last one sent, and queues one server-sent event with the changed and the removed cards for every viewer.
A viewer that cannot keep up (its queue full) is dropped; its page reconnects and starts from a fresh
snapshot. All of it runs on the server's event loop; ``poke`` is the one call safe from another thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

from wallboard.app.tools.fleet_web.watcher import FleetWatcher, Snapshot

_QUEUE = 64


def event(name: str, data: dict[str, Any] | str) -> str:
    """One server-sent event (``data`` is JSON: one line, no raw newline can break the frame)."""
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    return f"event: {name}\ndata: {text}\n\n"


def snapshot_json(snapshot: Snapshot, broker: str, broker_up: bool) -> str:
    """The whole fleet as one JSON document: ``now``, ``broker``, ``broker_up``, ``sites`` and ``boards``."""
    head = json.dumps(
        {"now": snapshot.now, "broker": broker, "broker_up": broker_up, "sites": snapshot.sites},
        separators=(",", ":"),
    )
    return head[:-1] + ',"boards":[' + ",".join(snapshot.cards.values()) + "]}"


class ChangeHub:
    """The viewers' queues and the loop that fills them."""

    def __init__(
        self,
        watcher: FleetWatcher,
        broker: str,
        *,
        broker_up: Callable[[], bool] = lambda: True,
        tick_s: float = 1.0,
        min_gap_s: float = 0.25,
    ) -> None:
        self._watcher = watcher
        self._broker = broker
        self._broker_up = broker_up
        self._was_up: bool | None = None
        self._tick_s = tick_s
        self._min_gap_s = min_gap_s
        self._viewers: set[asyncio.Queue[str | None]] = set()
        self._last: Snapshot | None = None
        self._poked: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.events_sent = 0
        self.viewers_dropped = 0

    @property
    def viewers(self) -> int:
        return len(self._viewers)

    def join(self) -> tuple[asyncio.Queue[str | None], str]:
        """A new viewer: its queue, and the snapshot event it starts from."""
        queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=_QUEUE)
        self._viewers.add(queue)
        snapshot = self._last or self._watcher.snapshot()
        return queue, event("snapshot", snapshot_json(snapshot, self._broker, self._broker_up()))

    def snapshot_json(self) -> str:
        """The fleet now, as ``/api/boards`` serves it."""
        return snapshot_json(self._watcher.snapshot(), self._broker, self._broker_up())

    def leave(self, queue: asyncio.Queue[str | None]) -> None:
        self._viewers.discard(queue)

    def poke(self) -> None:
        """Something arrived (called from the MQTT thread): refresh soon."""
        loop, poked = self._loop, self._poked
        if loop is not None and poked is not None and not loop.is_closed():
            loop.call_soon_threadsafe(poked.set)

    async def run(self) -> None:
        """Refresh on every poke (at most every ``min_gap_s``) and every ``tick_s``, until cancelled."""
        self._loop = asyncio.get_running_loop()
        self._poked = asyncio.Event()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poked.wait(), self._tick_s)
            self._poked.clear()
            self.refresh()
            await asyncio.sleep(self._min_gap_s)

    def refresh(self) -> None:
        """Compare the fleet with what was last sent and queue the difference for every viewer."""
        snapshot = self._watcher.snapshot()
        before = self._last.cards if self._last is not None else {}
        changed = [text for ident, text in snapshot.cards.items() if before.get(ident) != text]
        gone = [ident for ident in before if ident not in snapshot.cards]
        sites_changed = self._last is None or self._last.sites != snapshot.sites
        up = self._broker_up()
        link_changed, self._was_up = up != self._was_up, up
        self._last = snapshot
        if not (changed or gone or sites_changed or link_changed) or not self._viewers:
            return
        head = json.dumps(
            {"now": snapshot.now, "broker_up": up, "sites": snapshot.sites, "gone": gone}, separators=(",", ":")
        )
        message = event("cards", head[:-1] + ',"cards":[' + ",".join(changed) + "]}")
        for queue in list(self._viewers):
            try:
                queue.put_nowait(message)
            except asyncio.QueueFull:
                self._drop(queue)
        self.events_sent += 1

    def close(self) -> None:
        """Tell every viewer's stream to end (the server is stopping)."""
        for queue in list(self._viewers):
            self._drop(queue)

    def _drop(self, queue: asyncio.Queue[str | None]) -> None:
        self._viewers.discard(queue)
        self.viewers_dropped += 1
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait(None)
