"""The Asterisk AMI feed against a loopback server speaking the real AMI protocol."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.fake_ami import FakeAmi, Member, Queue
from tests.feed_helpers import LONDON, MONDAY_10AM, decode, local_time, make_context, make_runner
from tests.helpers import ManualClock
from wallboard.feeds.adapter import FeedContext
from wallboard.feeds.asterisk import READ_ACTIONS, AsteriskAdapter, AsteriskSection
from wallboard.feeds.errors import AuthFailed
from wallboard.feeds.publisher import PrintPublisher


def _pbx() -> FakeAmi:
    ami = FakeAmi()
    ami.queues["sales"] = Queue(
        "sales",
        members=[
            Member("Alice"),
            Member("Bob", status=2, in_call=True),
            Member("Carol", paused=True, reason="Lunch", last_pause=int(MONDAY_10AM) - 600),
            Member("Dave", status=5),
        ],
        waits=[12, 95],
    )
    ami.queues["support"] = Queue("support", members=[Member("Alice")])
    return ami


def _adapter(ami: FakeAmi, ctx: FeedContext, secret: str = "s3cret") -> AsteriskAdapter:
    section = AsteriskSection(port=ami.port, username="wallboard", secret_file="unused", timeout_s=2.0)
    return AsteriskAdapter(section, secret, ctx)


async def _settle(ami: FakeAmi, adapter: AsteriskAdapter) -> None:
    """Round-trip one poll so every event sent before it has been read."""
    await adapter.poll()


def test_poll_maps_queue_summary_and_status_to_real_time_fields(tmp_path: Path) -> None:
    """QueueSummary/QueueStatus become real-time fields; no event yet means no count field at all (never 0)."""

    async def scenario() -> None:
        ami = _pbx()
        await ami.start()
        ctx = make_context(tmp_path, ManualClock(MONDAY_10AM))
        adapter = _adapter(ami, ctx)
        await adapter.connect()
        reading = await adapter.poll()
        await adapter.close()
        await ami.stop()
        sales = reading.queues["sales"]
        assert sales == {
            "calls_waiting": 2,
            "longest_wait_s": 95,
            "agents_available": 1,
            "agents_staffed": 3,
            "agents_on_call": 1,
            "agents_away": 1,
        }
        assert "offered" not in sales and "agents_wrap" not in sales
        rows = {row.name: row for row in reading.agents or []}
        assert rows["Alice"].state == "available" and rows["Alice"].queues == ["sales", "support"]
        assert rows["Bob"].state == "on_call"
        assert rows["Carol"].state == "away" and rows["Carol"].reason == "Lunch"
        assert rows["Carol"].state_since == MONDAY_10AM - 600
        assert rows["Dave"].state == "offline"

    asyncio.run(scenario())


def test_queue_events_are_counted_into_today_once(tmp_path: Path) -> None:
    """Join/AgentConnect/AgentComplete/QueueCallerAbandon events count today's calls; a repeated event counts once."""

    async def scenario() -> None:
        ami = _pbx()
        await ami.start()
        ctx = make_context(tmp_path, ManualClock(MONDAY_10AM))
        adapter = _adapter(ami, ctx)
        await adapter.connect()
        for uid in ("1.1", "1.2", "1.3", "1.4"):
            await ami.emit("QueueCallerJoin", Queue="sales", Uniqueid=uid, CallerIDNum="+442079460000", Position=1)
        await ami.emit("Join", Queue="sales", Uniqueid="1.1", Position=1)  # the same call under the old name: once
        await ami.emit("AgentConnect", Queue="sales", Uniqueid="1.1", MemberName="Bob", HoldTime=8, RingTime=3)
        await ami.emit("AgentConnect", Queue="sales", Uniqueid="1.2", MemberName="Alice", HoldTime=45, RingTime=2)
        await ami.emit(
            "AgentComplete", Queue="sales", Uniqueid="1.1", MemberName="Bob", HoldTime=8, TalkTime=200, Reason="caller"
        )
        await ami.emit(
            "AgentComplete", Queue="sales", Uniqueid="1.1", MemberName="Bob", HoldTime=8, TalkTime=200, Reason="caller"
        )
        await ami.emit("QueueCallerAbandon", Queue="sales", Uniqueid="1.3", Position=1, OriginalPosition=1, HoldTime=3)
        await ami.emit("QueueCallerAbandon", Queue="sales", Uniqueid="1.4", Position=1, OriginalPosition=2, HoldTime=60)
        reading = await adapter.poll()
        await adapter.close()
        await ami.stop()
        sales = reading.queues["sales"]
        assert {k: sales[k] for k in sales if k not in ("calls_waiting", "longest_wait_s") and "agents" not in k} == {
            "offered": 4,
            "answered": 2,
            "answered_within_target": 1,
            "wait_time_s": 53,
            "handled": 1,
            "talk_time_s": 200,
            "handle_time_s": 200,
            "abandoned": 2,
            "abandoned_within_target": 1,
            "short_abandoned": 1,
        }
        assert "offered" not in reading.queues["support"]
        assert {row.name: row.calls_today for row in reading.agents or []}["Bob"] == 1

    asyncio.run(scenario())


def test_login_failure_is_a_clear_degraded_status_not_an_all_zero_board(tmp_path: Path) -> None:
    """A wrong AMI secret gives status "degraded: AMI login refused ..." and publishes no queue at all."""

    async def scenario() -> None:
        ami = _pbx()
        await ami.start()
        ctx = make_context(tmp_path, ManualClock(MONDAY_10AM))
        adapter = _adapter(ami, ctx, secret="wrong")
        with pytest.raises(AuthFailed, match="Authentication failed"):
            await adapter.connect()
        runner = make_runner(adapter, ctx)
        delay = await runner.cycle()
        await ami.stop()
        assert delay > 0
        assert runner.status.state == "degraded"
        assert runner.status.summary == "degraded: AMI login refused for wallboard: Authentication failed"
        assert runner.status.last_error_at == MONDAY_10AM and runner.status.last_success is None
        publisher = runner.publisher
        assert isinstance(publisher, PrintPublisher)
        assert [topic for topic, _ in publisher.sent] == ["wallboard/lab/feed/asterisk/status"]
        assert ami.logins == 0

    asyncio.run(scenario())


def test_pbx_restart_mid_stream_reconnects_and_keeps_todays_counts(tmp_path: Path) -> None:
    """A PBX restart (Shutdown event, socket closed) degrades the feed, then it logs in again and counts on."""

    async def scenario() -> None:
        ami = _pbx()
        await ami.start()
        clock = ManualClock(MONDAY_10AM)
        ctx = make_context(tmp_path, clock)
        adapter = _adapter(ami, ctx)
        runner = make_runner(adapter, ctx)
        assert await runner.cycle() == runner.poll_interval_s
        await ami.emit("QueueCallerJoin", Queue="sales", Uniqueid="2.1", Position=1)
        await runner.cycle()
        await ami.restart(down_for=0.2)
        clock.advance(5)
        await runner.cycle()
        assert runner.status.state == "degraded" and not runner.connected
        assert runner.status.last_error is not None and "closed" in runner.status.last_error
        for _ in range(50):
            await asyncio.sleep(0.02)
            if await runner.cycle() == runner.poll_interval_s:
                break
        await ami.emit("QueueCallerJoin", Queue="sales", Uniqueid="2.2", Position=1)
        await runner.cycle()
        await adapter.close()
        await ami.stop()
        assert runner.status.state == "online" and ami.logins == 2
        publisher = runner.publisher
        assert isinstance(publisher, PrintPublisher)
        assert decode(publisher.sent, "cc/lab/queue/sales")["offered"] == 2
        assert decode(publisher.sent, "cc/lab/queue/sales")["period_start"] == MONDAY_10AM - 10 * 3600
        sent = {action.get("action", "").lower() for action in ami.actions}
        assert sent <= READ_ACTIONS and "queuereset" not in sent

    asyncio.run(scenario())


def test_feed_killed_and_restarted_mid_day_loses_no_counts(tmp_path: Path) -> None:
    """A new feed process on the same SQLite file carries on today's counts from where the old one stopped."""

    async def scenario() -> None:
        ami = _pbx()
        await ami.start()
        clock = ManualClock(MONDAY_10AM)
        first = _adapter(ami, make_context(tmp_path, clock))
        await first.connect()
        await ami.emit("QueueCallerJoin", Queue="sales", Uniqueid="3.1", Position=1)
        await ami.emit("AgentConnect", Queue="sales", Uniqueid="3.1", MemberName="Bob", HoldTime=4)
        await _settle(ami, first)
        first.ctx.counters.close()  # killed: no logoff, nothing flushed on purpose
        await first.close()
        clock.advance(3600)
        second = _adapter(ami, make_context(tmp_path, clock))
        await second.connect()
        await ami.emit("QueueCallerJoin", Queue="sales", Uniqueid="3.2", Position=1)
        reading = await second.poll()
        await second.close()
        await ami.stop()
        assert reading.queues["sales"]["offered"] == 2 and reading.queues["sales"]["answered"] == 1

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("before", "after", "hours"),
    [
        ((2026, 11, 22, 23, 50), (2026, 11, 23, 0, 0, 5), 24),  # an ordinary midnight
        ((2026, 3, 28, 23, 50), (2026, 3, 29, 0, 0, 5), 24),  # into the 23-hour spring-forward day
        ((2026, 10, 24, 23, 50), (2026, 10, 25, 0, 0, 5), 24),  # into the 25-hour fall-back day
        ((2026, 3, 29, 23, 50), (2026, 3, 30, 0, 0, 5), 23),  # out of the spring-forward day
        ((2026, 10, 25, 23, 50), (2026, 10, 26, 0, 0, 5), 25),  # out of the fall-back day
    ],
)
def test_counts_restart_at_local_midnight_across_dst(
    tmp_path: Path, before: tuple[int, ...], after: tuple[int, ...], hours: int
) -> None:
    """A feed listening across local midnight publishes today's counts as 0 with the new period_start."""

    def at(*fields: int) -> float:
        return local_time(LONDON, *fields)

    async def scenario() -> None:
        ami = _pbx()
        await ami.start()
        clock = ManualClock(at(*before))
        ctx = make_context(tmp_path, clock)
        adapter = _adapter(ami, ctx)
        runner = make_runner(adapter, ctx)
        await runner.cycle()
        await ami.emit("QueueCallerJoin", Queue="sales", Uniqueid="5.1", Position=1)
        await runner.cycle()
        publisher = runner.publisher
        assert isinstance(publisher, PrintPublisher)
        late = decode(publisher.sent, "cc/lab/queue/sales")
        assert late["offered"] == 1
        clock.now = at(*after)
        await runner.cycle()
        fresh = decode(publisher.sent, "cc/lab/queue/sales")
        await adapter.close()
        await ami.stop()
        assert fresh["offered"] == 0 and fresh["answered"] == 0
        assert fresh["period_start"] == at(*after[:3])
        assert float(fresh["period_start"]) - float(late["period_start"]) == hours * 3600  # type: ignore[arg-type]

    asyncio.run(scenario())


def test_a_feed_started_mid_day_leaves_uncounted_fields_absent(tmp_path: Path) -> None:
    """Started at 10:00, the feed has not seen the morning's calls: no event yet means no count, not 0."""

    async def scenario() -> None:
        ami = _pbx()
        await ami.start()
        ctx = make_context(tmp_path, ManualClock(MONDAY_10AM))
        adapter = _adapter(ami, ctx)
        await adapter.connect()
        reading = await adapter.poll()
        await adapter.close()
        await ami.stop()
        assert "offered" not in reading.queues["sales"] and "abandoned" not in reading.queues["sales"]

    asyncio.run(scenario())


def _counts(values: dict[str, object]) -> dict[str, object]:
    return {name: values[name] for name in ("offered", "answered", "abandoned", "short_abandoned") if name in values}


def test_zeros_seen_since_midnight_stay_published_after_a_reconnect_and_a_restart(tmp_path: Path) -> None:
    """Listening since midnight: abandoned 0 stays published after a PBX restart, a new feed process and midnight."""

    async def scenario() -> None:
        ami = _pbx()
        await ami.start()
        clock = ManualClock(local_time(LONDON, 2026, 11, 22, 23, 59))
        ctx = make_context(tmp_path, clock)
        adapter = _adapter(ami, ctx)
        runner = make_runner(adapter, ctx)
        await runner.cycle()  # connected before midnight: it will see every call of the 23rd
        clock.now = MONDAY_10AM
        await ami.emit("QueueCallerJoin", Queue="sales", Uniqueid="7.1", Position=1)
        await ami.emit("AgentConnect", Queue="sales", Uniqueid="7.1", MemberName="Bob", HoldTime=4)
        await runner.cycle()
        publisher = runner.publisher
        assert isinstance(publisher, PrintPublisher)
        before = _counts(decode(publisher.sent, "cc/lab/queue/sales"))
        assert before == {"offered": 1, "answered": 1, "abandoned": 0, "short_abandoned": 0}

        await ami.restart(down_for=0.1)  # the AMI link drops; the feed logs in again at 10:00, mid-day
        clock.advance(5)
        for _ in range(50):
            await asyncio.sleep(0.02)
            if await runner.cycle() == runner.poll_interval_s and runner.status.state == "online":
                break
        await ami.emit("QueueCallerJoin", Queue="sales", Uniqueid="7.2", Position=1)
        await runner.cycle()
        after_reconnect = _counts(decode(publisher.sent, "cc/lab/queue/sales"))
        await adapter.close()
        ctx.counters.close()

        clock.advance(60)  # a new feed process on the same counters file
        ctx = make_context(tmp_path, clock)
        restarted = make_runner(_adapter(ami, ctx), ctx)
        await restarted.cycle()
        assert isinstance(restarted.publisher, PrintPublisher)
        after_restart = _counts(decode(restarted.publisher.sent, "cc/lab/queue/sales"))
        clock.now = local_time(LONDON, 2026, 11, 24, 0, 0, 5)  # the restarted feed listens on across midnight
        await restarted.cycle()
        next_day = decode(restarted.publisher.sent, "cc/lab/queue/sales")
        await restarted.adapter.close()
        await ami.stop()
        assert ami.logins == 3
        assert after_reconnect == {"offered": 2, "answered": 1, "abandoned": 0, "short_abandoned": 0}
        assert after_restart == after_reconnect
        assert _counts(next_day) == {"offered": 0, "answered": 0, "abandoned": 0, "short_abandoned": 0}
        assert next_day["period_start"] == local_time(LONDON, 2026, 11, 24)

    asyncio.run(scenario())
