"""The Amazon Connect feed against botocore's Stubber, which checks each request and reply against the service model."""

from __future__ import annotations

import asyncio
import datetime as dt
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import boto3
import pytest
from botocore.stub import ANY, Stubber

from tests.feed_helpers import MONDAY_10AM, decode, make_context, make_runner
from tests.helpers import ManualClock
from wallboard.feeds.adapter import FeedContext
from wallboard.feeds.connect import ConnectAdapter, ConnectSection, build, oldest_contact_age_seconds
from wallboard.feeds.errors import AuthFailed, FeedConfigError
from wallboard.feeds.feed_config import load_feed_config
from wallboard.feeds.publisher import PrintPublisher

ARN = "arn:aws:connect:eu-west-2:123456789012:instance/11111111-2222-3333-4444-555555555555"
INSTANCE = "11111111-2222-3333-4444-555555555555"
SALES, SUPPORT = "aaaaaaaa-0000-0000-0000-000000000001", "aaaaaaaa-0000-0000-0000-000000000002"
SECTION = ConnectSection(instance_arn=ARN, region="eu-west-2", queues={"sales": SALES, "support": SUPPORT})


@pytest.fixture
def client() -> Iterator[tuple[Any, Stubber]]:
    connect = boto3.client(
        "connect", region_name="eu-west-2", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(connect) as stubber:
        yield connect, stubber
        stubber.assert_no_pending_responses()


def _collection(name: str, value: float | None, unit: str = "COUNT") -> dict[str, Any]:
    item: dict[str, Any] = {"Metric": {"Name": name, "Unit": unit}}
    if value is not None:
        item["Value"] = value
    return item


def _current(queue: str, channel: str, **values: float | None) -> dict[str, Any]:
    return {
        "Dimensions": {"Queue": {"Id": queue, "Arn": f"{ARN}/queue/{queue}"}, "Channel": channel},
        "Collections": [
            _collection(name, value, "SECONDS" if name == "OLDEST_CONTACT_AGE" else "COUNT")
            for name, value in values.items()
        ],
    }


def _v2(queue: str, *collections: tuple[str, float, float | None]) -> dict[str, Any]:
    items = []
    for name, value, threshold in collections:
        metric: dict[str, Any] = {"Name": name}
        if threshold is not None:
            metric["Threshold"] = [{"Comparison": "LTE", "ThresholdValue": threshold}]
        items.append({"Metric": metric, "Value": value})
    return {"Dimensions": {"QUEUE": queue}, "Collections": items}


def _stub_poll(stubber: Stubber, *, page_two: bool = True) -> None:
    voice = _current(
        SALES,
        "VOICE",
        CONTACTS_IN_QUEUE=4,
        OLDEST_CONTACT_AGE=95,
        CONTACTS_SCHEDULED=1,
        AGENTS_AVAILABLE=2,
        AGENTS_ON_CONTACT=7,
        AGENTS_AFTER_CONTACT_WORK=1,
        AGENTS_NON_PRODUCTIVE=3,
        AGENTS_STAFFED=13,
    )
    chat = _current(SALES, "CHAT", CONTACTS_IN_QUEUE=2, OLDEST_CONTACT_AGE=30)
    support = _current(SUPPORT, "VOICE", CONTACTS_IN_QUEUE=0, OLDEST_CONTACT_AGE=None, AGENTS_STAFFED=0)
    expected = {
        "InstanceId": INSTANCE,
        "Filters": {"Queues": [SALES, SUPPORT], "Channels": ["VOICE", "CHAT", "EMAIL"]},
        "Groupings": ["QUEUE", "CHANNEL"],
        "CurrentMetrics": ANY,
        "MaxResults": 100,
    }
    first = {"MetricResults": [voice, chat], "DataSnapshotTime": dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)}
    if page_two:
        first["NextToken"] = "page-2"
    stubber.add_response("get_current_metric_data", first, expected)
    if page_two:
        stubber.add_response(
            "get_current_metric_data",
            {"MetricResults": [support], "DataSnapshotTime": dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)},
            {**expected, "NextToken": "page-2"},
        )
    stubber.add_response(
        "get_metric_data_v2",
        {
            "MetricResults": [
                _v2(
                    SALES,
                    ("CONTACTS_QUEUED", 120, None),
                    ("CONTACTS_HANDLED", 100, None),
                    ("SUM_CONTACTS_ANSWERED_IN_X", 81, 20.0),
                    ("CONTACTS_ABANDONED", 9, None),
                    ("SUM_CONTACTS_ABANDONED_IN_X", 4, 20.0),
                    ("SUM_CONTACTS_ABANDONED_IN_X", 2, 5.0),
                    ("SUM_HANDLE_TIME", 31200, None),
                    ("SUM_INTERACTION_TIME", 25000, None),
                    ("SUM_HOLD_TIME", 1200, None),
                    ("SUM_AFTER_CONTACT_WORK_TIME", 5000, None),
                ),
            ]
        },
        {
            "ResourceArn": ARN,
            "StartTime": dt.datetime(2026, 11, 23, 0, tzinfo=dt.UTC),
            "EndTime": dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC),
            "Interval": {"TimeZone": "Europe/London", "IntervalPeriod": "TOTAL"},
            "Filters": [
                {"FilterKey": "QUEUE", "FilterValues": [SALES, SUPPORT]},
                {"FilterKey": "CHANNEL", "FilterValues": ["VOICE"]},
            ],
            "Groupings": ["QUEUE"],
            "Metrics": ANY,
            "MaxResults": 100,
        },
    )
    stubber.add_response(
        "get_current_user_data",
        {
            "UserDataList": [
                {
                    "User": {"Id": "u-1", "Arn": f"{ARN}/agent/u-1"},
                    "Status": {
                        "StatusStartTimestamp": dt.datetime(2026, 11, 23, 9, 55, tzinfo=dt.UTC),
                        "StatusName": "Available",
                    },
                    "Contacts": [
                        {
                            "ContactId": "c-1",
                            "Channel": "VOICE",
                            "AgentContactState": "CONNECTED",
                            "StateStartTimestamp": dt.datetime(2026, 11, 23, 9, 58, tzinfo=dt.UTC),
                            "Queue": {"Id": SALES},
                        }
                    ],
                },
                {
                    "User": {"Id": "u-2", "Arn": f"{ARN}/agent/u-2"},
                    "Status": {
                        "StatusStartTimestamp": dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC),
                        "StatusName": "Lunch",
                    },
                    "Contacts": [],
                },
            ],
            "ApproximateTotalCount": 2,
        },
        {"InstanceId": INSTANCE, "Filters": {"Queues": [SALES, SUPPORT]}, "MaxResults": 100},
    )
    stubber.add_response(
        "get_metric_data_v2",
        {
            "MetricResults": [
                {"Dimensions": {"AGENT": "u-1"}, "Collections": [{"Metric": {"Name": "CONTACTS_HANDLED"}, "Value": 17}]}
            ]
        },
        {
            "ResourceArn": ARN,
            "StartTime": dt.datetime(2026, 11, 23, 0, tzinfo=dt.UTC),
            "EndTime": dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC),
            "Interval": {"TimeZone": "Europe/London", "IntervalPeriod": "TOTAL"},
            "Filters": [{"FilterKey": "QUEUE", "FilterValues": [SALES, SUPPORT]}],
            "Groupings": ["AGENT"],
            "Metrics": [{"Name": "CONTACTS_HANDLED"}],
            "MaxResults": 100,
        },
    )
    for user_id, first_name in (("u-1", "Amira"), ("u-2", "Ben")):
        stubber.add_response(
            "describe_user",
            {
                "User": {
                    "Id": user_id,
                    "Username": f"{first_name.lower()}@example.com",
                    "IdentityInfo": {"FirstName": first_name, "LastName": "K"},
                }
            },
            {"InstanceId": INSTANCE, "UserId": user_id},
        )


def _adapter(client: Any, ctx: FeedContext) -> ConnectAdapter:
    return ConnectAdapter(SECTION, ctx, client)


def test_oldest_contact_age_unit_quirk() -> None:
    """The API reference's own example: ungrouped, Unit SECONDS with Value 24113.0 is 24 seconds; grouped, seconds."""
    assert oldest_contact_age_seconds(24113.0, grouped=False) == pytest.approx(24.113)
    assert oldest_contact_age_seconds(24.0, grouped=True) == 24.0


def test_poll_maps_connect_metrics_to_the_wire_fields(client: tuple[Any, Stubber], tmp_path: Path) -> None:
    """Paged GetCurrentMetricData, GetMetricDataV2 since local midnight (site zone) and agents map to the contract."""
    connect, stubber = client
    _stub_poll(stubber)
    ctx = make_context(tmp_path, ManualClock(MONDAY_10AM))
    reading = asyncio.run(_adapter(connect, ctx).poll())
    assert reading.queues["sales"] == {
        "calls_waiting": 4,
        "longest_wait_s": 95,
        "callbacks_waiting": 1,
        "agents_available": 2,
        "agents_on_call": 7,
        "agents_wrap": 1,
        "agents_away": 3,
        "agents_staffed": 13,
        "chats_waiting": 2,
        "offered": 120,
        "answered": 100,
        "handled": 100,
        "answered_within_target": 81,
        "abandoned": 9,
        "abandoned_within_target": 4,
        "short_abandoned": 2,
        "handle_time_s": 31200,
        "talk_time_s": 25000,
        "hold_time_s": 1200,
        "wrap_time_s": 5000,
    }
    # A null from Connect (it cannot calculate) and a metric it did not return stay absent, never 0.
    assert reading.queues["support"] == {"calls_waiting": 0, "agents_staffed": 0}
    rows = {row.name: row for row in reading.agents or []}
    assert rows["Amira K"].state == "on_call" and rows["Amira K"].queues == ["sales"]
    assert rows["Amira K"].state_since == dt.datetime(2026, 11, 23, 9, 58, tzinfo=dt.UTC).timestamp()
    assert rows["Ben K"].state == "away" and rows["Ben K"].reason == "Lunch"
    assert rows["Amira K"].calls_today == 17 and rows["Ben K"].calls_today is None  # none handled: not known, absent
    assert ctx.budget.spent == 7


def test_throttling_backs_off_and_the_next_poll_succeeds(client: tuple[Any, Stubber], tmp_path: Path) -> None:
    """A ThrottlingException (429) degrades the feed with the reason; after the backoff it reads again."""
    connect, stubber = client
    stubber.add_client_error(
        "get_current_metric_data",
        service_error_code="ThrottlingException",
        service_message="Rate exceeded",
        http_status_code=429,
        response_meta={"HTTPHeaders": {"retry-after": "3"}},
    )
    _stub_poll(stubber, page_two=False)
    ctx = make_context(tmp_path, ManualClock(MONDAY_10AM))
    runner = make_runner(_adapter(connect, ctx), ctx)

    async def scenario() -> float:
        delay = await runner.cycle()
        assert runner.status.summary == "degraded: get_current_metric_data: ThrottlingException: Rate exceeded"
        await runner.cycle()
        return delay

    assert asyncio.run(scenario()) >= 3.0
    publisher = runner.publisher
    assert isinstance(publisher, PrintPublisher)
    assert runner.status.state == "online"
    sales = decode(publisher.sent, "cc/lab/queue/sales")
    assert sales["offered"] == 120 and sales["period_start"] == MONDAY_10AM - 36000


def test_access_denied_is_a_login_problem_shown_as_such(client: tuple[Any, Stubber], tmp_path: Path) -> None:
    """AccessDeniedException (a missing IAM permission) is AuthFailed naming the call, not an all-zero board."""
    connect, stubber = client
    stubber.add_client_error(
        "get_current_metric_data",
        service_error_code="AccessDeniedException",
        service_message="not authorized to perform: connect:GetCurrentMetricData",
        http_status_code=403,
    )
    ctx = make_context(tmp_path, ManualClock(MONDAY_10AM))
    with pytest.raises(AuthFailed, match="connect:GetCurrentMetricData"):
        asyncio.run(_adapter(connect, ctx).poll())


class _LocalConnect(http.server.BaseHTTPRequestHandler):
    """A loopback stand-in for a Connect endpoint (a VPC or FIPS one): answers the two metric calls, records them."""

    seen: ClassVar[list[tuple[str, str, str]]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.seen.append((self.command, self.path, self.headers.get("Authorization", "")))
        if self.path == f"/metrics/current/{INSTANCE}":
            body: dict[str, Any] = {
                "MetricResults": [_current(SALES, "VOICE", CONTACTS_IN_QUEUE=4, AGENTS_AFTER_CONTACT_WORK=1)],
                "DataSnapshotTime": MONDAY_10AM,
            }
        elif self.path == "/metrics/data":
            body = {"MetricResults": [_v2(SALES, ("CONTACTS_QUEUED", 120, None))]}
        else:
            self.send_error(404)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reads ``seen``."""


def test_endpoint_url_sends_every_call_to_that_endpoint_signed_for_the_region(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """connect.endpoint_url (a VPC/FIPS endpoint) is where boto3 sends the calls, still signed for connect.region."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _LocalConnect)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    path = tmp_path / "feed-connect.toml"
    path.write_text(
        f"""
[feed]
site = "lab"
time_zone = "Europe/London"
[connect]
instance_arn = "{ARN}"
region = "eu-west-2"
agents = false
endpoint_url = "http://127.0.0.1:{server.server_address[1]}"
[connect.queues]
sales = "{SALES}"
"""
    )
    _LocalConnect.seen.clear()
    try:
        adapter = build(load_feed_config(path), make_context(tmp_path, ManualClock(MONDAY_10AM)))
        reading = asyncio.run(adapter.poll())
    finally:
        server.shutdown()
        server.server_close()
    assert reading.queues["sales"] == {"calls_waiting": 4, "agents_wrap": 1, "offered": 120}
    assert [(method, where) for method, where, _ in _LocalConnect.seen] == [
        ("POST", f"/metrics/current/{INSTANCE}"),
        ("POST", "/metrics/data"),
    ]
    assert all("/eu-west-2/connect/aws4_request" in auth for _, _, auth in _LocalConnect.seen)


def test_an_endpoint_url_that_is_not_a_url_is_refused_naming_the_key(tmp_path: Path) -> None:
    """connect.endpoint_url must be an http(s) URL: anything else is a config error naming file and key."""
    path = tmp_path / "feed-connect.toml"
    path.write_text(
        f'[feed]\nsite = "lab"\ntime_zone = "UTC"\n[connect]\ninstance_arn = "{ARN}"\nregion = "eu-west-2"\n'
        'endpoint_url = "vpce-0123.connect.eu-west-2.vpce.amazonaws.com"\n[connect.queues]\nsales = "q"\n'
    )
    with pytest.raises(FeedConfigError, match=r"connect\.endpoint_url: expected \"https://\.\.\.\""):
        build(load_feed_config(path), make_context(tmp_path, ManualClock(MONDAY_10AM)))
