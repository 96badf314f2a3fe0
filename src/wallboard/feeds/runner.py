"""The feed contract, the same for every adapter: poll, publish on change plus heartbeat, say how it is.

Each cycle connects if needed, polls the adapter and publishes every queue
retained at QoS 1 when its numbers changed or the heartbeat is due; the feed's
own status (``online`` / ``degraded: <reason>`` / ``offline``, last success,
last error) goes to its retained status topic. A failure backs off with full
jitter (longer if the platform said Retry-After), drops the connection and
reconnects; values already published stay as they were, so boards show them
ageing into stale rather than flashing to 0. Must not know any vendor.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import msgspec

from wallboard.device.wire.payloads import COUNT_FIELDS, AgentStatusPayload, FeedStatus, queue_payload
from wallboard.device.wire.supply import FieldSupply
from wallboard.device.wire.topics import SiteTopics
from wallboard.feeds.adapter import Adapter, FeedContext, Reading
from wallboard.feeds.budget import Backoff
from wallboard.feeds.daycount import period_start
from wallboard.feeds.errors import FeedError, Throttled
from wallboard.feeds.publisher import FeedPublisher

log = logging.getLogger("wallboard.feed")

_encode = msgspec.json.Encoder().encode
PRUNE_EVERY_S = 3600.0


class FeedRunner:
    """Runs one adapter against one publisher; ``status`` is always the feed's current FeedStatus."""

    def __init__(
        self,
        adapter: Adapter,
        ctx: FeedContext,
        publisher: FeedPublisher,
        *,
        topics: SiteTopics,
        status_topic: str,
        poll_interval_s: float,
        heartbeat_s: float,
        backoff: Backoff,
        version: str | None = None,
    ) -> None:
        self.adapter = adapter
        self.ctx = ctx
        self.publisher = publisher
        self.topics = topics
        self.status_topic = status_topic
        self.poll_interval_s = poll_interval_s
        self.heartbeat_s = heartbeat_s
        self.backoff = backoff
        self.version = version
        self.connected = False
        # What the platform can and cannot supply, declared by the adapter (None: an adapter that does not say).
        supply: FieldSupply | None = getattr(adapter, "SUPPLY", None)
        supplies, not_supplied = supply.listed() if supply is not None else (None, None)
        self.status = FeedStatus(
            state="offline",
            summary="offline",
            adapter=adapter.name,
            ts=ctx.clock(),
            version=version,
            supplies=supplies,
            not_supplied=not_supplied,
        )
        self.last_reading: Reading | None = None
        self._sent: dict[str, tuple[bytes, float]] = {}
        self._pruned_at = 0.0

    # -- one cycle ---------------------------------------------------------------------------------------------

    async def cycle(self) -> float:
        """Connect if needed, poll, publish; the seconds to wait before the next cycle."""
        now = self.ctx.clock()
        try:
            if not self.connected:
                await self.adapter.connect()
                self.connected = True
                log.info("%s: connected", self.adapter.name)
            reading = await self.adapter.poll()
        except FeedError as exc:
            return await self._failed(exc, now)
        except Exception as exc:  # a bug or an unexpected vendor reply: say so, retry, never die silently
            log.exception("%s: unexpected error", self.adapter.name)
            return await self._failed(FeedError(f"unexpected {type(exc).__name__}: {exc}"), now)
        self.backoff.reset()
        self.last_reading = reading
        now = self.ctx.clock()
        self._set_status("online", None, now, success=True)
        self.publish_reading(reading, now)
        return self.poll_interval_s

    async def _failed(self, exc: FeedError, now: float) -> float:
        delay = self.backoff.next_delay()
        if isinstance(exc, Throttled) and exc.retry_after is not None:
            self.ctx.budget.hold_off(exc.retry_after)
            delay = max(delay, exc.retry_after)
        log.warning("%s: %s; retrying in %.1fs", self.adapter.name, exc.reason, delay)
        # Always close: a connect that failed half-way may hold a socket or a client (close never raises).
        self.connected = False
        await self.adapter.close()
        self._set_status("degraded", exc.reason, now, success=False)
        self._forget_sent_after_reconnect()
        self._publish_status(now)
        return delay

    def _forget_sent_after_reconnect(self) -> None:
        """After the broker came back (perhaps without its retained messages), everything is due again."""
        if self.publisher.take_reconnected():
            self._sent.clear()

    # -- publishing --------------------------------------------------------------------------------------------

    def _set_status(self, state: str, reason: str | None, now: float, *, success: bool) -> None:
        old = self.status
        self.status = msgspec.structs.replace(
            old,
            state=state,
            summary=state if reason is None else f"{state}: {reason}",
            reason=reason,
            ts=now,
            last_success=now if success else old.last_success,
            last_error=old.last_error if success else reason,
            last_error_at=old.last_error_at if success else now,
        )

    def _due(self, topic: str, body: bytes, now: float) -> bool:
        previous = self._sent.get(topic)
        return previous is None or previous[0] != body or now - previous[1] >= self.heartbeat_s

    def _publish(self, topic: str, body: bytes, payload: bytes, now: float) -> None:
        if self._due(topic, body, now):
            self.publisher.publish(topic, payload)
            self._sent[topic] = (body, now)

    def _publish_status(self, now: float) -> None:
        body = _encode(msgspec.structs.replace(self.status, ts=0.0, last_success=None))
        self._publish(self.status_topic, body, _encode(self.status), now)

    def publish_reading(self, reading: Reading, now: float) -> None:
        """Publish what changed (or is due a heartbeat); everything after a broker reconnection."""
        self._forget_sent_after_reconnect()
        start = period_start(now, self.ctx.zone)
        for queue, values in sorted(reading.queues.items()):
            has_counts = any(name in COUNT_FIELDS for name in values)
            payload = queue_payload(values, ts=now, period_start=start if has_counts else None)
            body = _encode(msgspec.structs.replace(payload, ts=None))
            self._publish(self.topics.queue(queue), body, _encode(payload), now)
        if reading.agents is not None:
            rows = AgentStatusPayload(ts=now, agents=reading.agents)
            body = _encode(msgspec.structs.replace(rows, ts=0.0))
            self._publish(self.topics.agent_status, body, _encode(rows), now)
        self.status = msgspec.structs.replace(self.status, queues=sorted(reading.queues))
        self._publish_status(now)

    def snapshot(self) -> dict[str, Any]:
        """The normalised snapshot ``--once`` prints: status, queues (absent fields left out), agents."""
        now = self.ctx.clock()
        reading = self.last_reading or Reading(queues={})
        start = period_start(now, self.ctx.zone)
        queues = {
            name: msgspec.to_builtins(queue_payload(values, ts=now, period_start=start))
            for name, values in sorted(reading.queues.items())
        }
        agents = None if reading.agents is None else msgspec.to_builtins(reading.agents)
        return {"status": msgspec.to_builtins(self.status), "queues": queues, "agents": agents}

    # -- the long run ------------------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Cycle until ``stop`` is set, then close the adapter and leave the status ``offline``."""
        try:
            while not stop.is_set():
                delay = await self.cycle()
                with_stop = asyncio.ensure_future(stop.wait())
                try:
                    await asyncio.wait({with_stop}, timeout=delay)
                finally:
                    with_stop.cancel()
                if self.ctx.clock() - self._pruned_at >= PRUNE_EVERY_S:  # a write, so rarely (SD cards wear)
                    self._pruned_at = self.ctx.clock()
                    self.ctx.counters.prune(self._pruned_at)
        finally:
            await self.adapter.close()
            self.connected = False
            now = self.ctx.clock()
            self.status = msgspec.structs.replace(self.status, state="offline", summary="offline", reason=None, ts=now)
            self.publisher.close(_encode(self.status))
