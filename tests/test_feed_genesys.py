"""The Genesys Cloud feed against a local fake of its OAuth, analytics and notifications endpoints."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fake_genesys import FakeGenesys
from tests.feed_helpers import MONDAY_10AM, make_context, make_runner
from tests.helpers import ManualClock
from wallboard.feeds.adapter import FeedContext
from wallboard.feeds.errors import AuthFailed, Throttled
from wallboard.feeds.genesys import GenesysAdapter, GenesysSection, longest_waiting_seconds

SALES = "q-sales-0001"
OBSERVATIONS = [
    {"metric": "oWaiting", "stats": {"count": 3}},
    {"metric": "oLongestWaiting", "stats": {"count": 3, "calculatedMetricValue": (MONDAY_10AM - 75) * 1000}},
    {"metric": "oOnQueueUsers", "qualifier": "IDLE", "stats": {"count": 2}},
    {"metric": "oOnQueueUsers", "qualifier": "INTERACTING", "stats": {"count": 5}},
    {"metric": "oOnQueueUsers", "qualifier": "NOT_RESPONDING", "stats": {"count": 1}},
    {"metric": "oUserPresences", "qualifier": "BREAK", "stats": {"count": 2}},
    {"metric": "oUserPresences", "qualifier": "ON_QUEUE", "stats": {"count": 8}},
]
AGGREGATES = [
    {"metric": "nOffered", "stats": {"count": 50}},
    {"metric": "tAnswered", "stats": {"count": 44, "sum": 880000, "max": 90000, "min": 1000}},
    {"metric": "nOverSla", "stats": {"count": 6}},
    {"metric": "tAbandon", "stats": {"count": 5, "sum": 150000}},
    {"metric": "tShortAbandon", "stats": {"count": 2}},
    {"metric": "tHandle", "stats": {"count": 43, "sum": 12900000}},
    {"metric": "tTalkComplete", "stats": {"count": 43, "sum": 10000000}},
    {"metric": "tHeldComplete", "stats": {"count": 7, "sum": 400000}},
    {"metric": "tAcw", "stats": {"count": 43, "sum": 2500000}},
]


def _run(
    clock: ManualClock,
    tmp_path: Path,
    body: Callable[[FakeGenesys, GenesysAdapter, FeedContext], Awaitable[None]],
    *,
    secret: str = "s3cret",
) -> None:
    async def scenario() -> None:
        fake = FakeGenesys(clock)
        fake.observations[SALES] = [dict(item) for item in OBSERVATIONS]
        fake.aggregates[SALES] = AGGREGATES
        await fake.start()
        ctx = make_context(tmp_path, clock)
        section = GenesysSection(
            client_id="wallboard",
            client_secret_file="unused",
            queues={"sales": SALES},
            api_base=fake.base,
            login_base=fake.base,
            timeout_s=5.0,
        )
        adapter = GenesysAdapter(section, secret, ctx)
        try:
            await body(fake, adapter, ctx)
        finally:
            await adapter.close()
            await fake.stop()

    asyncio.run(scenario())


async def _until(condition: Callable[[], Any]) -> None:
    for _ in range(2000):  # up to 20 s on a loaded machine
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


def test_longest_waiting_is_an_epoch_start_time() -> None:
    """oLongestWaiting's calculatedMetricValue is the oldest wait's start (epoch ms), so wait = now - start."""
    assert longest_waiting_seconds((MONDAY_10AM - 75) * 1000, MONDAY_10AM) == 75
    assert longest_waiting_seconds(75000, MONDAY_10AM) == 75
    assert longest_waiting_seconds(None, MONDAY_10AM) is None


def test_poll_maps_observations_and_todays_aggregates(tmp_path: Path) -> None:
    """Observations give real time; aggregates from local midnight in the site's zone give today's counts."""
    clock = ManualClock(MONDAY_10AM)

    async def body(fake: FakeGenesys, adapter: GenesysAdapter, ctx: FeedContext) -> None:
        await adapter.connect()
        reading = await adapter.poll()
        assert reading.queues["sales"] == {
            "calls_waiting": 3,
            "longest_wait_s": 75,
            "agents_available": 2,
            "agents_on_call": 5,
            "agents_staffed": 8,
            "agents_away": 2,
            "offered": 50,
            "answered": 44,
            "wait_time_s": 880,
            "answered_within_target": 38,
            "abandoned": 5,
            "short_abandoned": 2,
            "handled": 43,
            "handle_time_s": 12900,
            "talk_time_s": 10000,
            "hold_time_s": 400,
            "wrap_time_s": 2500,
        }
        query = next(body for method, path, body in fake.requests if path.endswith("aggregates/query"))
        assert query["interval"] == "2026-11-23T00:00:00.000Z/2026-11-23T10:00:00.000Z"
        assert query["timeZone"] == "Europe/London"
        assert fake.subscriptions == {"streaming-1": [f"v2.analytics.queues.{SALES}.observations"]}

    _run(clock, tmp_path, body)


def test_websocket_notifications_update_real_time_between_queries(tmp_path: Path) -> None:
    """An observation notification changes calls waiting at the next poll without another observation query."""
    clock = ManualClock(MONDAY_10AM)

    async def body(fake: FakeGenesys, adapter: GenesysAdapter, ctx: FeedContext) -> None:
        await adapter.connect()
        await _until(lambda: fake.sockets)
        await fake.notify(SALES, [{"metric": "oWaiting", "stats": {"count": 9}}])
        await _until(lambda: fake.requests and adapter._observed.get("sales", {}).get("calls_waiting") == 9)
        clock.advance(5)
        reading = await adapter.poll()
        assert reading.queues["sales"]["calls_waiting"] == 9
        assert sum(1 for _, path, _ in fake.requests if path.endswith("observations/query")) == 1

    _run(clock, tmp_path, body)


def test_closing_notice_and_channel_expiry_open_a_new_channel_while_staying_online(tmp_path: Path) -> None:
    """v2.system.socket_closing, then the 24-hour channel expiry, each get a new channel; the feed stays online."""
    clock = ManualClock(MONDAY_10AM)

    async def body(fake: FakeGenesys, adapter: GenesysAdapter, ctx: FeedContext) -> None:
        runner = make_runner(adapter, ctx)
        await runner.cycle()
        await _until(lambda: fake.sockets)
        await fake.closing_notice()
        await _until(lambda: adapter._renew_channel)
        clock.advance(5)
        await runner.cycle()
        assert fake.channels == ["streaming-1", "streaming-2"] and runner.status.state == "online"
        clock.advance(fake.channel_lifetime - 200)  # inside the renewal margin before expiry
        await runner.cycle()
        assert len(fake.channels) == 3 and runner.status.summary == "online"
        assert runner.status.last_error is None

    _run(clock, tmp_path, body)


def test_token_expiry_and_revocation_fetch_a_new_token(tmp_path: Path) -> None:
    """A token near its expiry is renewed before use; a token refused with 401 is replaced once."""
    clock = ManualClock(MONDAY_10AM)

    async def body(fake: FakeGenesys, adapter: GenesysAdapter, ctx: FeedContext) -> None:
        fake.token_lifetime = 120
        await adapter.connect()
        assert fake.tokens_issued == 1
        clock.advance(100)
        await adapter.poll()
        assert fake.tokens_issued == 2
        fake.valid_tokens.clear()  # revoked on the Genesys side
        await adapter.poll()
        assert fake.tokens_issued == 3

    _run(clock, tmp_path, body)


def test_rate_limit_is_throttled_with_retry_after(tmp_path: Path) -> None:
    """A 429 with Retry-After: 2 becomes Throttled(retry_after=2)."""
    clock = ManualClock(MONDAY_10AM)

    async def body(fake: FakeGenesys, adapter: GenesysAdapter, ctx: FeedContext) -> None:
        await adapter.connect()
        fake.throttle_next = 1
        with pytest.raises(Throttled) as caught:
            await adapter.poll()
        assert caught.value.retry_after == 2.0

    _run(clock, tmp_path, body)


def test_a_wrong_client_secret_is_auth_failed(tmp_path: Path) -> None:
    """Genesys' invalid_client answer is AuthFailed with its description."""
    clock = ManualClock(MONDAY_10AM)

    async def body(fake: FakeGenesys, adapter: GenesysAdapter, ctx: FeedContext) -> None:
        with pytest.raises(AuthFailed, match="Genesys OAuth refused client wallboard: client not found"):
            await adapter.connect()

    _run(clock, tmp_path, body, secret="wrong")


def test_interval_is_iso_with_milliseconds() -> None:
    """The aggregate interval is written as Genesys expects: ISO 8601 UTC with milliseconds."""
    from wallboard.feeds.genesys import _iso

    assert _iso(dt.datetime(2026, 3, 29, 0, 0, 0, 123456, tzinfo=dt.UTC)) == "2026-03-29T00:00:00.123Z"
