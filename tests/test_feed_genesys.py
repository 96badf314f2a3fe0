"""The Genesys Cloud feed against a local Genesys whose payloads are built with Genesys's own SDK models."""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fake_genesys import FakeGenesys, aggregate, group, observed, presence, serialise, stat_event
from tests.feed_helpers import MONDAY_10AM, decode, make_context, make_runner
from tests.helpers import ManualClock
from wallboard.feeds.adapter import FeedContext
from wallboard.feeds.budget import RequestBudget
from wallboard.feeds.errors import AuthFailed, Throttled
from wallboard.feeds.genesys import (
    GenesysAdapter,
    GenesysSection,
    ServiceLevelCalculation,
    _iso,
    longest_waiting_seconds,
    observation_fields,
)
from wallboard.feeds.publisher import PrintPublisher

SALES = "q-sales-0001"
SUPPORT = "q-support-0002"
BREAK_ID = "6a3b2f10-0000-4000-8000-00000000b4ea"  # the org's own "Break" presence
LUNCH_ID = "6a3b2f10-0000-4000-8000-0000000001c4"  # a second "Meal"-type presence, mapped only by its definition
ON_QUEUE_ID = "6a3b2f10-0000-4000-8000-0000000000a1"


def user_group(queue_id: str = SALES) -> Any:
    """User metrics come grouped by queue alone: 3 idle, 6 interacting, 1 not responding; 2 on Break."""
    return group(
        queue_id,
        [
            observed("oOnQueueUsers", 3, "IDLE"),
            observed("oOnQueueUsers", 6, "INTERACTING"),
            observed("oOnQueueUsers", 1, "NOT_RESPONDING"),
            observed("oUserPresences", 2, BREAK_ID),
            observed("oUserPresences", 10, ON_QUEUE_ID),
        ],
    )


def call_group(queue_id: str = SALES) -> Any:
    """Conversation metrics come grouped by queue and media type: 4 waiting, the oldest for 95 s."""
    return group(
        queue_id,
        [observed("oWaiting", 4), observed("oLongestWaiting", 4, started_ms=int((MONDAY_10AM - 95) * 1000))],
        media="voice",
    )


MAPPINGS = {"BREAK": [BREAK_ID], "ON_QUEUE": [ON_QUEUE_ID], "AVAILABLE": ["6a3b2f10-0000-4000-8000-0000000000a0"]}
AGGREGATES = [
    aggregate("nOffered", 50),
    aggregate("tAnswered", 44, 880000),
    aggregate("nOverSla", 6),
    aggregate("tAbandon", 5, 150000),
    aggregate("tShortAbandon", 2),
    aggregate("tHandle", 43, 12900000),
    aggregate("tTalkComplete", 43, 10000000),
    aggregate("tHeldComplete", 7, 400000),
    aggregate("tAcw", 43, 2500000),
]
REAL_TIME = {
    "calls_waiting": 4,
    "longest_wait_s": 95,
    "agents_available": 3,
    "agents_on_call": 6,
    "agents_away": 3,  # 2 on Break + 1 not responding
    "agents_staffed": 12,  # available + on call + away
}


def _section(fake: FakeGenesys, **more: Any) -> GenesysSection:
    return GenesysSection(
        client_id="wallboard",
        client_secret_file="unused",
        queues=more.pop("queues", {"sales": SALES}),
        api_base=fake.base,
        login_base=fake.base,
        timeout_s=5.0,
        **more,
    )


def _run(
    clock: ManualClock,
    tmp_path: Path,
    body: Callable[[FakeGenesys, GenesysAdapter, FeedContext], Awaitable[None]],
    *,
    secret: str = "s3cret",
    **section: Any,
) -> None:
    async def scenario() -> None:
        fake = FakeGenesys(clock)
        fake.groups = [user_group(), call_group()]
        fake.mappings = MAPPINGS
        fake.aggregates[SALES] = AGGREGATES
        await fake.start()
        ctx = make_context(tmp_path, clock)

        async def sleep(seconds: float) -> None:  # the budget waits on the test's clock
            clock.advance(seconds)
            await asyncio.sleep(0)

        ctx.budget = RequestBudget(5.0, 5, clock=clock, sleep=sleep)
        adapter = GenesysAdapter(_section(fake, **section), secret, ctx)
        try:
            await body(fake, adapter, ctx)
        finally:
            await adapter.shutdown()
            await fake.stop()

    asyncio.run(scenario())


async def _until(condition: Callable[[], Any], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout  # generous: a loaded machine
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.005)


def test_longest_waiting_is_an_epoch_start_time() -> None:
    """oLongestWaiting's calculatedMetricValue is the oldest wait's start (epoch ms), so wait = now - start."""
    assert longest_waiting_seconds((MONDAY_10AM - 75) * 1000, MONDAY_10AM) == 75
    assert longest_waiting_seconds(75000, MONDAY_10AM) == 75
    assert longest_waiting_seconds(None, MONDAY_10AM) is None


def test_interval_is_iso_with_milliseconds() -> None:
    """The aggregate interval is written as Genesys expects: ISO 8601 UTC with milliseconds."""
    assert _iso(dt.datetime(2026, 3, 29, 0, 0, 0, 123456, tzinfo=dt.UTC)) == "2026-03-29T00:00:00.123Z"


def test_an_absent_metric_is_left_out_and_a_missing_qualifier_is_0() -> None:
    """oOnQueueUsers with no IDLE: 0 available; no oUserPresences: away and staffed not sent; nobody waiting: 0 s."""
    data = serialise(group(SALES, [observed("oOnQueueUsers", 6, "INTERACTING"), observed("oWaiting", 0)]))["data"]
    data.append(serialise(observed("oLongestWaiting", 0)))
    assert observation_fields(data, MONDAY_10AM) == {
        "agents_available": 0,
        "agents_on_call": 6,
        "calls_waiting": 0,
        "longest_wait_s": 0,
    }


def test_poll_maps_sdk_observations_and_todays_aggregates(tmp_path: Path) -> None:
    """SDK-built observations give real time; aggregates from local midnight in the site's zone give today's counts."""
    clock = ManualClock(MONDAY_10AM)

    async def body(fake: FakeGenesys, adapter: GenesysAdapter, ctx: FeedContext) -> None:
        await adapter.connect()
        reading = await adapter.poll()
        assert reading.queues["sales"] == {
            **REAL_TIME,
            "offered": 50,
            "answered": 44,
            "wait_time_s": 880,
            "answered_within_target": 38,
            "abandoned": 5,
            "handled": 43,
            "handle_time_s": 12900,
            "talk_time_s": 10000,
            "hold_time_s": 400,
            "wrap_time_s": 2500,
        }  # short_abandoned left out: the org's SL (Genesys's default) counts short abandons
        query = next(body for method, path, body in fake.requests if path.endswith("aggregates/query"))
        assert query["interval"] == "2026-11-23T00:00:00.000Z/2026-11-23T10:00:00.000Z"
        assert query["timeZone"] == "Europe/London"
        assert fake.subscriptions == {"streaming-1": [f"v2.analytics.queues.{SALES}.observations"]}

    _run(clock, tmp_path, body)


@pytest.mark.parametrize("users_first", [True, False], ids=["users-then-calls", "calls-then-users"])
def test_result_groups_of_one_queue_are_merged_in_either_order(tmp_path: Path, users_first: bool) -> None:
    """A queue's user group and its calls group are merged: agents and calls waiting both survive, either order."""
    clock = ManualClock(MONDAY_10AM)

    async def body(fake: FakeGenesys, adapter: GenesysAdapter, ctx: FeedContext) -> None:
        fake.groups = [user_group(), call_group()] if users_first else [call_group(), user_group()]
        await adapter.connect()
        reading = await adapter.poll()
        assert {name: reading.queues["sales"][name] for name in REAL_TIME} == REAL_TIME

    _run(clock, tmp_path, body)


def test_presence_ids_are_mapped_through_the_response_and_the_org_definitions(tmp_path: Path) -> None:
    """oUserPresences qualifiers are org presence ids: mapped by systemToOrganizationMappings, else by definitions."""
    clock = ManualClock(MONDAY_10AM)

    async def body(fake: FakeGenesys, adapter: GenesysAdapter, ctx: FeedContext) -> None:
        users = user_group()
        users.data.append(observed("oUserPresences", 4, LUNCH_ID))  # not in the response's mappings
        fake.groups = [users, call_group()]
        fake.definitions = [presence(BREAK_ID, "Break"), presence(LUNCH_ID, "Meal"), presence(ON_QUEUE_ID, "OnQueue")]
        await adapter.connect()
        reading = await adapter.poll()
        assert reading.queues["sales"]["agents_away"] == 2 + 4 + 1  # Break, Meal (by definition), not responding
        assert reading.queues["sales"]["agents_staffed"] == 3 + 6 + 7
        await adapter.poll()
        clock.advance(61)
        await adapter.poll()  # a second observation query: the definitions are not asked again
        assert fake.count("/api/v2/presence/definitions") == 1

    _run(clock, tmp_path, body)


def test_presence_definitions_refused_count_only_the_mapped_presences(tmp_path: Path) -> None:
    """A 403 on the presence definitions is logged once; mapped ids still count, the feed stays online."""
    clock = ManualClock(MONDAY_10AM)

    async def body(fake: FakeGenesys, adapter: GenesysAdapter, ctx: FeedContext) -> None:
        users = user_group()
        users.data.append(observed("oUserPresences", 4, LUNCH_ID))
        fake.groups = [users, call_group()]
        fake.forbidden = {"/api/v2/presence/definitions"}
        runner = make_runner(adapter, ctx)
        await runner.cycle()
        assert runner.status.state == "online"
        assert runner.last_reading is not None and runner.last_reading.queues["sales"]["agents_away"] == 2 + 1
        assert fake.count("/api/v2/presence/definitions") == 1

    _run(clock, tmp_path, body)


def test_an_sdk_shaped_notification_is_applied_within_a_second(tmp_path: Path) -> None:
    """A StatEventQueueTopicStatsNotification (data[{interval, metrics}]) replaces its metrics at once, others kept."""
    clock = ManualClock(MONDAY_10AM)

    async def body(fake: FakeGenesys, adapter: GenesysAdapter, ctx: FeedContext) -> None:
        await adapter.connect()
        await _until(lambda: fake.open_sockets())
        sent = time.monotonic()
        await fake.notify(SALES, [stat_event("oWaiting", 9.0), stat_event("oLongestWaiting", 9.0)])
        await _until(lambda: adapter.notifications_applied == 1)
        applied_in = time.monotonic() - sent
        clock.advance(1)
        reading = await adapter.poll()
        assert applied_in < 1.0, applied_in
        assert reading.queues["sales"]["calls_waiting"] == 9
        assert reading.queues["sales"]["agents_available"] == 3  # the user metrics it did not carry are kept
        assert fake.count("observations/query") == 1  # no query needed for it

    _run(clock, tmp_path, body)


def test_a_quiet_morning_is_100_percent_and_0_percent_abandoned(tmp_path: Path) -> None:
    """No tAbandon, no nOverSla for a day the query covers: abandoned 0 and all 5 answered within target."""
    clock = ManualClock(MONDAY_10AM)

    async def body(fake: FakeGenesys, adapter: GenesysAdapter, ctx: FeedContext) -> None:
        fake.aggregates[SALES] = [aggregate("nOffered", 5), aggregate("tAnswered", 5, 40000), aggregate("tHandle", 5)]
        await adapter.connect()
        counts = (await adapter.poll()).queues["sales"]
        assert counts["abandoned"] == 0 and counts["answered_within_target"] == 5 == counts["answered"]
        assert counts["talk_time_s"] == 0 and counts["handle_time_s"] == 0  # a count with no sum: 0 s
        assert counts["answered_within_target"] / (counts["answered"] + counts["abandoned"]) == 1.0
        assert counts["abandoned"] / counts["offered"] == 0.0

    _run(clock, tmp_path, body)


def test_a_queue_genesys_does_not_return_is_not_published_again(tmp_path: Path) -> None:
    """A queue missing from the results is left out: its topic gets no new ts, the status lists only the others."""
    clock = ManualClock(MONDAY_10AM)

    async def body(fake: FakeGenesys, adapter: GenesysAdapter, ctx: FeedContext) -> None:
        fake.groups += [user_group(SUPPORT), call_group(SUPPORT)]
        fake.aggregates[SUPPORT] = AGGREGATES
        publisher = PrintPublisher("wallboard/lab/feed/genesys/status", out=None)
        runner = make_runner(adapter, ctx, publisher)
        await runner.cycle()
        assert decode(publisher.sent, "cc/lab/queue/support")["calls_waiting"] == 4
        fake.groups = [user_group(), call_group()]  # support deleted, or the client lost its division
        del fake.aggregates[SUPPORT]
        before = sum(1 for topic, _ in publisher.sent if topic == "cc/lab/queue/support")
        for _ in range(3):
            clock.advance(61)  # past refresh_s and the heartbeat
            await runner.cycle()
        assert sum(1 for topic, _ in publisher.sent if topic == "cc/lab/queue/support") == before
        assert decode(publisher.sent, "wallboard/lab/feed/genesys/status")["queues"] == ["sales"]
        assert decode(publisher.sent, "cc/lab/queue/sales")["ts"] == clock.now

    _run(clock, tmp_path, body, queues={"sales": SALES, "support": SUPPORT})


def test_sustained_429s_back_off_on_one_session_and_the_status_says_how_often(tmp_path: Path) -> None:
    """Ten minutes of 429 + Retry-After 30: one token, one channel, <= 2 requests a minute, said in the status."""
    clock = ManualClock(MONDAY_10AM)

    async def body(fake: FakeGenesys, adapter: GenesysAdapter, ctx: FeedContext) -> None:
        runner = make_runner(adapter, ctx)
        await runner.cycle()
        fake.sustained = (429, {"Retry-After": "30"})
        start = clock.advance(11)  # the next aggregates query is due
        while clock.now - start < 600:
            clock.advance(await runner.cycle())
            assert runner.status.state == "degraded"
        times = [at for at in fake.request_times if at >= start]
        busiest = max(sum(1 for at in times if first <= at < first + 60) for first in times)
        assert busiest <= math.ceil(60 / 30) + 1, busiest
        assert runner.status.reason is not None and "429" in runner.status.reason
        assert "2 requests in the last minute" in runner.status.reason, runner.status.reason
        fake.sustained = None
        clock.advance(await runner.cycle())
        assert runner.status.state == "online"
        assert fake.tokens_issued == 1 and fake.channels == ["streaming-1"] and fake.count("/subscriptions") == 1

    _run(clock, tmp_path, body)


def test_a_429_says_retry_after(tmp_path: Path) -> None:
    """A 429 with Retry-After: 2 becomes Throttled(retry_after=2)."""
    clock = ManualClock(MONDAY_10AM)

    async def body(fake: FakeGenesys, adapter: GenesysAdapter, ctx: FeedContext) -> None:
        await adapter.connect()
        fake.failures = [(429, {"Retry-After": "2"})]
        with pytest.raises(Throttled) as caught:
            await adapter.poll()
        assert caught.value.retry_after == 2.0

    _run(clock, tmp_path, body)


def test_two_503s_keep_the_session_and_the_feed_comes_back(tmp_path: Path) -> None:
    """Two 503s: degraded twice, then online; the token, the channel and the subscriptions are the first ones."""
    clock = ManualClock(MONDAY_10AM)

    async def body(fake: FakeGenesys, adapter: GenesysAdapter, ctx: FeedContext) -> None:
        runner = make_runner(adapter, ctx)
        await runner.cycle()
        fake.failures = [(503, {}), (503, {})]
        states = []
        for _ in range(3):
            clock.advance(11)  # past counts_refresh_s: one aggregates query each cycle
            await runner.cycle()
            states.append(runner.status.state)
        assert states == ["degraded", "degraded", "online"]
        assert "HTTP 503" in (runner.status.last_error or "")
        assert fake.tokens_issued == 1 and fake.channels == ["streaming-1"] and fake.count("/subscriptions") == 1
        assert len(fake.open_sockets()) == 1

    _run(clock, tmp_path, body)


def test_a_revoked_token_is_replaced_once_and_the_channel_kept(tmp_path: Path) -> None:
    """A 401 gets one new token and the request again; the feed stays online on the same channel."""
    clock = ManualClock(MONDAY_10AM)

    async def body(fake: FakeGenesys, adapter: GenesysAdapter, ctx: FeedContext) -> None:
        runner = make_runner(adapter, ctx)
        await runner.cycle()
        fake.valid_tokens.clear()  # revoked on the Genesys side
        clock.advance(11)
        await runner.cycle()
        assert runner.status.state == "online" and runner.status.last_error is None
        assert fake.tokens_issued == 2 and fake.channels == ["streaming-1"]

    _run(clock, tmp_path, body)


def test_token_expiry_fetches_a_new_token_before_use(tmp_path: Path) -> None:
    """A token near its expiry is renewed before the next request."""
    clock = ManualClock(MONDAY_10AM)

    async def body(fake: FakeGenesys, adapter: GenesysAdapter, ctx: FeedContext) -> None:
        fake.token_lifetime = 120
        await adapter.connect()
        clock.advance(100)
        await adapter.poll()
        assert fake.tokens_issued == 2

    _run(clock, tmp_path, body)


def test_a_socket_closing_notice_moves_to_a_new_socket_before_the_old_one_closes(tmp_path: Path) -> None:
    """v2.system.socket_closing: a new channel and socket at once; after the old closes, notifications still apply."""
    clock = ManualClock(MONDAY_10AM)

    async def body(fake: FakeGenesys, adapter: GenesysAdapter, ctx: FeedContext) -> None:
        runner = make_runner(adapter, ctx)
        await runner.cycle()
        await _until(lambda: fake.open_sockets())
        old = fake.sockets[0]
        await fake.closing_notice()
        await _until(lambda: len(fake.open_sockets()) == 2 or old.state.name != "OPEN")
        assert fake.channels == ["streaming-1", "streaming-2"] and "streaming-2" in fake.subscriptions
        await _until(lambda: old.state.name == "CLOSED")  # the feed closed the old one itself
        assert fake.open_at_connect == [0, 1]  # the new socket was up while the old one still was
        await fake.notify(SALES, [stat_event("oWaiting", 7.0)])
        await _until(lambda: adapter.notifications_applied == 1)
        clock.advance(1)
        await runner.cycle()
        assert runner.last_reading is not None and runner.last_reading.queues["sales"]["calls_waiting"] == 7
        assert runner.status.state == "online" and fake.tokens_issued == 1 and len(fake.channels) == 2
        clock.advance(fake.channel_lifetime - 200)  # inside the renewal margin before the new channel's expiry
        await runner.cycle()
        assert len(fake.channels) == 3 and runner.status.last_error is None

    _run(clock, tmp_path, body)


def test_the_org_service_level_calculation_decides_what_is_sent(tmp_path: Path) -> None:
    """Short abandons left out of SL: short_abandoned sent; flow-outs in SL: answered_within_target withheld."""
    clock = ManualClock(MONDAY_10AM)

    async def body(fake: FakeGenesys, adapter: GenesysAdapter, ctx: FeedContext) -> None:
        await adapter.connect()
        counts = (await adapter.poll()).queues["sales"]
        assert counts["short_abandoned"] == 2 and "answered_within_target" not in counts
        assert {"answered_within_target", "service_level_pct"} <= adapter.SUPPLY.not_supplied
        assert "short_abandoned" in adapter.SUPPLY.supplies

    calculation = ServiceLevelCalculation(include_short_abandons=False, include_flowouts=True)
    _run(clock, tmp_path, body, service_level_calculation=calculation)


def test_a_wrong_client_secret_is_auth_failed(tmp_path: Path) -> None:
    """Genesys' invalid_client answer is AuthFailed with its description."""
    clock = ManualClock(MONDAY_10AM)

    async def body(fake: FakeGenesys, adapter: GenesysAdapter, ctx: FeedContext) -> None:
        with pytest.raises(AuthFailed, match="Genesys OAuth refused client wallboard: client not found"):
            await adapter.connect()

    _run(clock, tmp_path, body, secret="wrong")
