"""What each adapter declares it can and cannot supply, checked against its own field mapping and the wire."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import boto3
import msgspec
import pytest

from tests.fake_ami import FakeAmi, Member, Queue
from tests.feed_helpers import MONDAY_10AM, decode, make_context, make_runner
from tests.helpers import ManualClock
from wallboard.device.wire.metrics import PUBLISHED_RATIOS, QUEUE_FIELDS
from wallboard.device.wire.payloads import FeedStatus
from wallboard.device.wire.supply import RAW_FIELDS, FieldSupply, declare, missing_inputs
from wallboard.feeds import connect, genesys
from wallboard.feeds.asterisk import AsteriskAdapter, AsteriskSection
from wallboard.feeds.connect import ConnectAdapter, ConnectSection
from wallboard.feeds.genesys import GenesysAdapter
from wallboard.feeds.supplies import DECLARED


@pytest.mark.parametrize("adapter", sorted(DECLARED))
def test_every_queue_field_is_declared_on_exactly_one_side(adapter: str) -> None:
    """supplies and not_supplied split the wire's queue fields: nothing left out, nothing on both sides."""
    supply = DECLARED[adapter]
    assert supply.supplies | supply.not_supplied == frozenset(QUEUE_FIELDS)
    assert not supply.supplies & supply.not_supplied


def test_the_adapter_classes_carry_the_declarations() -> None:
    """Each adapter class has its platform's declaration as a static constant (read without connecting)."""
    assert AsteriskAdapter.SUPPLY is DECLARED["asterisk"]
    assert ConnectAdapter.SUPPLY is DECLARED["connect"]
    assert GenesysAdapter.SUPPLY is DECLARED["genesys"]


def test_a_declaration_with_a_gap_or_an_overlap_is_refused() -> None:
    """declare() refuses a raw field named on neither side, or on both (a new wire field must be placed)."""
    everything = set(RAW_FIELDS)
    with pytest.raises(ValueError, match="neither"):
        declare(frozenset(everything - {"agents_wrap"}), frozenset())
    with pytest.raises(ValueError, match="both"):
        declare(frozenset(everything), frozenset({"agents_wrap"}))


def test_asterisk_declares_no_wrap_and_what_a_poll_with_every_event_sends_is_supplied(tmp_path: Path) -> None:
    """AMI has no wrap-up member state: agents_wrap is not supplied; every field a full poll sends is declared."""

    async def scenario() -> dict[str, float]:
        ami = FakeAmi()
        ami.queues["sales"] = Queue("sales", members=[Member("Bob", status=2, in_call=True)], waits=[30])
        await ami.start()
        ctx = make_context(tmp_path, ManualClock(MONDAY_10AM))
        adapter = AsteriskAdapter(AsteriskSection(port=ami.port, username="wallboard", secret_file="x"), "s3cret", ctx)
        await adapter.connect()
        await ami.emit("QueueCallerJoin", Queue="sales", Uniqueid="1", Position=1)
        await ami.emit("AgentConnect", Queue="sales", Uniqueid="1", MemberName="Bob", HoldTime=3)
        await ami.emit("AgentComplete", Queue="sales", Uniqueid="1", MemberName="Bob", HoldTime=3, TalkTime=60)
        await ami.emit("QueueCallerAbandon", Queue="sales", Uniqueid="2", Position=1, HoldTime=2)
        reading = await adapter.poll()
        await adapter.close()
        await ami.stop()
        return reading.queues["sales"]

    sent = set(asyncio.run(scenario()))
    supply = DECLARED["asterisk"]
    assert sent == supply.supplies & RAW_FIELDS
    assert {"agents_wrap", "wrap_time_s", "hold_time_s", "chats_waiting"} <= supply.not_supplied
    assert {"service_level_pct", "abandon_rate_pct", "asa_s", "aht_s"} <= supply.supplies


def test_connect_declares_exactly_the_fields_its_metric_mapping_fills() -> None:
    """Connect's supplied raw fields are the wire fields of its GetCurrentMetricData and GetMetricDataV2 maps."""
    mapped = set(connect.REALTIME_METRICS.values()) | set(connect._WAITING_BY_CHANNEL.values())
    mapped |= {name for fields in connect.COUNT_METRICS.values() for name in fields}
    supply = DECLARED["connect"]
    assert mapped == supply.supplies & RAW_FIELDS
    assert "wait_time_s" in supply.not_supplied and "asa_s" in supply.not_supplied  # no sum of queue answer time
    assert "agents_wrap" in supply.supplies  # AGENTS_AFTER_CONTACT_WORK


def test_genesys_declares_exactly_the_fields_its_observation_and_aggregate_maps_fill() -> None:
    """Genesys' supplied raw fields are its observation fields and aggregate fields (plus answered_within_target)."""
    observed = set(
        genesys.observation_fields(
            [
                {"metric": "oWaiting", "stats": {"count": 1}},
                {"metric": "oLongestWaiting", "stats": {"calculatedMetricValue": 1.0}},
                {"metric": "oOnQueueUsers", "qualifier": "IDLE", "stats": {"count": 1}},
                {"metric": "oOnQueueUsers", "qualifier": "INTERACTING", "stats": {"count": 1}},
                {"metric": "oUserPresences", "qualifier": "BREAK", "stats": {"count": 1}},
            ],
            MONDAY_10AM,
        )
    )
    aggregated = {name for pair in genesys.AGGREGATES.values() for name in pair if name} | {"answered_within_target"}
    supply = DECLARED["genesys"]
    assert observed | aggregated == supply.supplies & RAW_FIELDS
    assert {"agents_wrap", "abandoned_within_target"} <= supply.not_supplied


def test_a_kpi_is_missing_exactly_the_undeclared_inputs_it_needs() -> None:
    """missing_inputs follows the formulas: occupancy needs wrap, the staffing gap the interval, SL its convention."""
    asterisk, genesys_supply = DECLARED["asterisk"].not_supplied, DECLARED["genesys"].not_supplied
    assert missing_inputs("occupancy_pct", asterisk) == {"agents_wrap"}
    assert missing_inputs("staffing_gap", asterisk) == {"interval_offered", "interval_s"}
    assert missing_inputs("service_level_pct", asterisk) == set()
    assert missing_inputs("service_level_pct", genesys_supply) == set()
    assert missing_inputs("service_level_pct", genesys_supply, "abandoned_as_met") == {"abandoned_within_target"}
    assert missing_inputs("contacts_waiting", asterisk) == set()  # callbacks, chats and emails are optional
    assert missing_inputs("a_site_metric", asterisk) == set()
    assert all(name in QUEUE_FIELDS for name in PUBLISHED_RATIOS)


def test_the_runner_publishes_the_declaration_in_every_status(tmp_path: Path) -> None:
    """The status document (retained) carries supplies and not_supplied, sorted, from the adapter's SUPPLY."""

    class Scripted:
        name = "scripted"
        SUPPLY = FieldSupply(frozenset({"calls_waiting"}), frozenset(QUEUE_FIELDS) - {"calls_waiting"})

        async def connect(self) -> None: ...

        async def poll(self) -> object:
            from wallboard.feeds.adapter import Reading

            return Reading(queues={"sales": {"calls_waiting": 2}})

        async def close(self) -> None: ...

    ctx = make_context(tmp_path, ManualClock(MONDAY_10AM))
    runner = make_runner(Scripted(), ctx)  # type: ignore[arg-type]
    asyncio.run(runner.cycle())
    status = msgspec.convert(decode(runner.publisher.sent, "wallboard/lab/feed/scripted/status"), FeedStatus)  # type: ignore[attr-defined]
    assert status.supplies == ["calls_waiting"]
    assert status.not_supplied == sorted(set(QUEUE_FIELDS) - {"calls_waiting"})


def test_a_connect_feed_reading_voice_only_declares_no_chats_or_emails(tmp_path: Path) -> None:
    """channels = ["VOICE"]: the adapter's own declaration (published by the runner) moves chats and emails over."""
    client: Any = boto3.client("connect", region_name="eu-west-2", aws_access_key_id="t", aws_secret_access_key="t")
    section = ConnectSection(instance_arn="arn:aws:connect:eu-west-2:1:instance/i", region="eu-west-2", queues={})
    ctx = make_context(tmp_path, ManualClock(MONDAY_10AM))
    everything = ConnectAdapter(section, ctx, client)
    voice = ConnectAdapter(msgspec.structs.replace(section, channels=["VOICE"]), ctx, client)
    assert everything.SUPPLY is DECLARED["connect"]
    assert {"chats_waiting", "emails_waiting"} <= voice.SUPPLY.not_supplied
    assert voice.SUPPLY.supplies == DECLARED["connect"].supplies - {"chats_waiting", "emails_waiting"}
    assert make_runner(voice, ctx).status.not_supplied == sorted(voice.SUPPLY.not_supplied)
