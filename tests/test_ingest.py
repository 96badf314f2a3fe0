"""Ingest at the edge: wire-contract decoding, every rejection reason, and arbitrary input never crashing."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wallboard.device.config.reading import load_config_text
from wallboard.device.config.schema import BoardConfig
from wallboard.device.core.rejections import Reason, RejectionCounter
from wallboard.device.core.state import BoardState
from wallboard.device.core.updates import Acknowledge, Announcement, Leaderboard, Reading
from wallboard.device.edge.ingest import Ingest
from wallboard.device.wire.metrics import QUEUE_FIELDS

NOW = 1_763_800_000.0
CONFIG = """
[site]
id = "lab"
[board]
id = "b1"
[[topic]]
topic = "acd/waiting"
metric = "support.calls_waiting"
[[topic]]
topic = "acd/summary"
format = "json"
ts_field = "timestamp"
fields = { SL = "support.service_level_pct", Longest = "support.longest_wait_s" }
"""


def _config() -> BoardConfig:
    return load_config_text(CONFIG).config


def _ingest() -> tuple[Ingest, RejectionCounter]:
    counter = RejectionCounter()
    return Ingest(_config(), counter, clock=lambda: NOW), counter


def _decode(topic: str, payload: bytes | str) -> tuple[list[object], dict[str, int]]:
    ingest, counter = _ingest()
    data = payload.encode() if isinstance(payload, str) else payload
    return list(ingest.decode(topic, data, NOW)), counter.counts()


def test_queue_object_becomes_typed_readings() -> None:
    """Every known field of a queue object becomes a Reading with the payload's ts; unknown fields are ignored."""
    updates, rejected = _decode("cc/lab/queue/sales", json.dumps({"ts": NOW - 5, "calls_waiting": 7, "x": 1}))
    assert updates == [Reading("sales.calls_waiting", 7.0, NOW - 5, NOW)]
    assert rejected == {}


def test_timestamps_as_iso_milliseconds_or_absent() -> None:
    """ts may be ISO 8601, epoch milliseconds, or absent (then the receive time is used)."""
    iso = "2025-11-22T08:13:20Z"
    expected = 1763799200.0
    for ts, measured in ((iso, expected), (expected * 1000, expected), (None, NOW)):
        body = {"asa_s": 31} if ts is None else {"ts": ts, "asa_s": 31}
        updates, _ = _decode("cc/lab/queue/q", json.dumps(body))
        assert updates == [Reading("q.asa_s", 31.0, measured, NOW)]


def test_mapped_plain_number_and_renamed_json_fields() -> None:
    """Config-mapped topics: a plain number, and JSON fields under the publisher's own names."""
    updates, _ = _decode("acd/waiting", b" 12 \n")
    assert updates == [Reading("support.calls_waiting", 12.0, NOW, NOW)]
    updates, _ = _decode("acd/summary", json.dumps({"SL": 91.5, "Longest": 40, "timestamp": NOW - 1, "Other": 3}))
    assert set(updates) == {
        Reading("support.service_level_pct", 91.5, NOW - 1, NOW),
        Reading("support.longest_wait_s", 40.0, NOW - 1, NOW),
    }


def test_announcement_leaderboard_and_ack() -> None:
    """Announcements are cleaned of control characters and capped; agents rows and acks decode."""
    updates, _ = _decode("cc/lab/announce", json.dumps({"id": "d", "text": "Drill\x1b[31m at\n2pm" + "!" * 400}))
    (announcement,) = updates
    assert isinstance(announcement, Announcement)
    assert announcement.text.startswith("Drill [31m at 2pm") and len(announcement.text) == 280
    updates, _ = _decode("cc/lab/agents", json.dumps([{"name": "Asha", "handled": 42}]))
    (board,) = updates
    assert isinstance(board, Leaderboard) and board.rows[0].name == "Asha" and board.rows[0].stat("handled") == 42
    updates, _ = _decode("wallboard/lab/b1/ack", b"")
    assert isinstance(updates[0], Acknowledge)


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("cc/lab/queue/q", b"x" * 70_000, Reason.TOO_LARGE),
        ("cc/lab/queue/q", b"{not json", Reason.MALFORMED),
        ("cc/lab/queue/q", b"\xff\xfe", Reason.MALFORMED),
        ("cc/lab/queue/q", b'{"calls_waiting": NaN}', Reason.MALFORMED),
        ("cc/lab/queue/q", b"[1, 2]", Reason.NOT_AN_OBJECT),
        ("cc/lab/queue/q", b'{"calls_waiting": "7"}', Reason.WRONG_TYPE),
        ("cc/lab/queue/q", b'{"calls_waiting": true}', Reason.WRONG_TYPE),
        ("cc/lab/queue/q", b'{"calls_waiting": 2.5}', Reason.WRONG_TYPE),
        ("cc/lab/queue/q", b'{"asa_s": 1e400}', Reason.NOT_FINITE),
        ("acd/waiting", b"nan", Reason.NOT_FINITE),
        ("acd/waiting", b"inf", Reason.NOT_FINITE),
        ("cc/lab/queue/q", b'{"calls_waiting": -1}', Reason.NEGATIVE),
        ("cc/lab/queue/q", b'{"service_level_pct": 101}', Reason.OUT_OF_RANGE),
        ("cc/lab/queue/q", b'{"longest_wait_s": 1e12}', Reason.OUT_OF_RANGE),
        ("cc/lab/queue/q", b'{"ts": "yesterday", "asa_s": 1}', Reason.BAD_TIMESTAMP),
        ("cc/lab/queue/q", json.dumps({"ts": NOW + 3600, "asa_s": 1}).encode(), Reason.BAD_TIMESTAMP),
        ("cc/lab/queue/bad+name", b'{"asa_s": 1}', Reason.UNKNOWN_TOPIC),
        ("cc/other/queue/q", b'{"asa_s": 1}', Reason.UNKNOWN_TOPIC),
        ("acd/waiting", b"twelve", Reason.MALFORMED),
    ],
)
def test_each_rejection_reason_is_counted_and_yields_nothing(topic: str, payload: bytes, reason: Reason) -> None:
    """A bad message produces no update and is counted under its reason."""
    updates, rejected = _decode(topic, payload)
    assert updates == []
    assert rejected == {reason.value: 1}


def test_one_bad_field_rejects_the_whole_message() -> None:
    """A message is accepted whole or rejected whole: a good field beside a bad one is not applied."""
    updates, rejected = _decode("cc/lab/queue/q", json.dumps({"calls_waiting": 3, "asa_s": -4}))
    assert updates == [] and rejected == {"negative": 1}


def test_rejections_are_logged_at_a_bounded_rate(caplog: pytest.LogCaptureFixture) -> None:
    """A flood of bad messages writes one log line per reason per interval, not one per message."""
    ingest, counter = _ingest()
    for _ in range(500):
        ingest.decode("cc/lab/queue/q", b"{oops", NOW)
    assert counter.counts() == {"malformed": 500}
    assert len([r for r in caplog.records if "rejected message" in r.getMessage()]) == 1


def _shown(state: BoardState) -> dict[str, object]:
    return {key: value for key, value in state.metrics()}


def _is_object_without_known_fields(payload: bytes) -> bool:
    try:
        value = json.loads(payload)
    except ValueError:
        return False
    known = {"ts", "timestamp", "calls_waiting", "SL", "Longest", *QUEUE_FIELDS}
    return isinstance(value, dict) and not known & set(value)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    topic=st.sampled_from(["cc/lab/queue/q", "acd/waiting", "acd/summary", "cc/lab/agents", "cc/lab/announce", "x"]),
    payload=st.one_of(
        st.binary(max_size=300),
        st.recursive(
            st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
            lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
            max_leaves=20,
        ).map(lambda value: json.dumps(value, allow_nan=True).encode()),
    ),
)
def test_arbitrary_bytes_and_json_never_crash_and_never_change_a_bad_value(topic: str, payload: bytes) -> None:
    """Whatever arrives, ingest returns valid typed updates or counts a rejection; shown values stay sane."""
    ingest, counter = _ingest()
    state = BoardState(_config(), counter, clock=lambda: NOW)
    state.apply(Reading("q.calls_waiting", 5.0, NOW, NOW))
    before = _shown(state)
    updates = ingest.decode(topic, payload, NOW)
    if not updates:
        # Nothing taken: either the message was rejected and counted, or it was a JSON object with no
        # field the board knows (unknown fields are ignored by contract). Nothing shown may change.
        assert counter.total() == 1 or _is_object_without_known_fields(payload), (topic, payload)
        assert _shown(state) == before
        return
    assert counter.total() == 0, (topic, payload, counter.counts())
    state.apply_all(updates)
    for key, held in state.metrics():
        assert math.isfinite(held.value) and held.value >= 0, (key, held)
        assert _config().kind_of(key) is not None


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("cc/lab/queue/sales", '{"calls_waiting": 1' + "0" * 400 + "}", "not_finite"),
        ("cc/lab/queue/sales", '{"ts": 1' + "0" * 400 + ', "calls_waiting": 1}', "bad_timestamp"),
        ("cc/lab/queue/sales", '{"calls_waiting": 1' + "0" * 5000 + "}", "not_finite"),
        ("cc/lab/queue/sales", '{"a": ' + "[" * 20_000 + "]" * 20_000 + "}", "malformed"),
        ("cc/lab/agents", "[" * 20_000 + "]" * 20_000, "malformed"),
    ],
)
def test_huge_integers_and_deep_nesting_are_counted_without_a_traceback(
    topic: str, payload: str, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    """10**400 is not_finite (as a ts: bad_timestamp), 20k nested brackets malformed; never a traceback."""
    updates, counts = _decode(topic, payload)
    assert updates == [] and counts == {reason: 1}
    assert "Traceback" not in caplog.text and "internal error" not in caplog.text
