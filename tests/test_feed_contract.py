"""The feed contract every adapter gets from the runner: on change plus heartbeat, status, budget, backoff, secrets."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from pathlib import Path

import msgspec
import pytest

from tests.feed_helpers import MONDAY_10AM, decode, make_context, make_runner
from tests.helpers import ManualClock
from wallboard.device.wire.payloads import COUNT_FIELDS, REALTIME_FIELDS, QueuePayload
from wallboard.feeds.adapter import Reading
from wallboard.feeds.budget import Backoff, RequestBudget
from wallboard.feeds.errors import Disconnected, FeedConfigError, FeedError, Throttled
from wallboard.feeds.publisher import PrintPublisher
from wallboard.feeds.record import Recorder
from wallboard.feeds.secrets import read_secret_file


@dataclass
class ScriptedPlatform:
    """A platform whose next answers the test sets: a Reading, or a FeedError to raise."""

    answers: list[Reading | FeedError]
    name: str = "scripted"
    calls: list[str] = field(default_factory=list)

    async def connect(self) -> None:
        self.calls.append("connect")

    async def poll(self) -> Reading:
        self.calls.append("poll")
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, FeedError):
            raise answer
        return answer

    async def close(self) -> None:
        self.calls.append("close")


SALES = Reading(queues={"sales": {"calls_waiting": 3, "longest_wait_s": 40.0, "offered": 10}})


def _queue_messages(publisher: PrintPublisher) -> list[bytes]:
    return [payload for topic, payload in publisher.sent if topic == "cc/lab/queue/sales"]


def test_payload_module_carries_exactly_the_agreed_queue_fields() -> None:
    """The shared payload type has the agreed counts and real-time fields and leaves an unknown field out."""
    names = set(QueuePayload.__struct_fields__) - {"ts", "period_start"}
    assert names == set(COUNT_FIELDS) | set(REALTIME_FIELDS)
    assert msgspec.json.encode(QueuePayload(ts=1.0, calls_waiting=0)) == b'{"ts":1.0,"calls_waiting":0}'


def test_publishes_on_change_and_on_heartbeat_only(tmp_path: Path) -> None:
    """An unchanged reading is not republished until the heartbeat is due; a change goes out at once."""
    clock = ManualClock(MONDAY_10AM)
    ctx = make_context(tmp_path, clock)
    platform = ScriptedPlatform([SALES])
    runner = make_runner(platform, ctx)
    publisher = runner.publisher
    assert isinstance(publisher, PrintPublisher)

    async def scenario() -> None:
        await runner.cycle()
        clock.advance(5)
        await runner.cycle()
        assert len(_queue_messages(publisher)) == 1
        clock.advance(30)
        await runner.cycle()
        assert len(_queue_messages(publisher)) == 2  # heartbeat
        platform.answers = [Reading(queues={"sales": {"calls_waiting": 4, "offered": 10}})]
        clock.advance(1)
        await runner.cycle()

    asyncio.run(scenario())
    assert len(_queue_messages(publisher)) == 3
    last = decode(publisher.sent, "cc/lab/queue/sales")
    assert last == {"ts": MONDAY_10AM + 36, "period_start": MONDAY_10AM - 36000, "offered": 10, "calls_waiting": 4}
    status = decode(publisher.sent, "wallboard/lab/feed/scripted/status")
    # The status too goes out on change or heartbeat: the last one was the heartbeat at +35 s.
    assert status["summary"] == "online" and status["last_success"] == MONDAY_10AM + 35


def test_a_failure_degrades_keeps_the_last_values_and_backs_off_with_retry_after(tmp_path: Path) -> None:
    """Throttled with Retry-After 7: status degraded, no queue rewritten to 0, the budget held off 7 s."""
    clock = ManualClock(MONDAY_10AM)
    ctx = make_context(tmp_path, clock)
    monotonic = ManualClock(0.0)
    ctx.budget = RequestBudget(2.0, 2, clock=monotonic)
    platform = ScriptedPlatform([SALES, Throttled("rate limited (429)", retry_after=7.0), SALES])
    runner = make_runner(platform, ctx)
    publisher = runner.publisher
    assert isinstance(publisher, PrintPublisher)

    async def scenario() -> tuple[float, float]:
        await runner.cycle()
        clock.advance(5)
        delay = await runner.cycle()
        held = ctx.budget.wait_needed()
        clock.advance(delay)
        await runner.cycle()
        return delay, held

    delay, held = asyncio.run(scenario())
    assert delay >= 7.0 and held == pytest.approx(7.0)
    statuses = [msgspec.json.decode(p) for t, p in publisher.sent if t.endswith("/status")]
    assert [s["summary"] for s in statuses] == ["online", "degraded: rate limited (429)", "online"]
    assert statuses[-1]["last_error"] == "rate limited (429)" and statuses[-1]["last_error_at"] == MONDAY_10AM + 5
    assert len(_queue_messages(publisher)) == 1  # no flash to 0 or empty while degraded
    assert platform.calls == ["connect", "poll", "poll", "close", "connect", "poll"]


def test_a_broker_reconnection_republishes_everything(tmp_path: Path) -> None:
    """After the broker comes back the runner republishes every topic even when nothing changed."""
    clock = ManualClock(MONDAY_10AM)
    ctx = make_context(tmp_path, clock)
    runner = make_runner(ScriptedPlatform([SALES]), ctx)
    publisher = runner.publisher
    assert isinstance(publisher, PrintPublisher)
    asyncio.run(runner.cycle())
    publisher._fresh = True
    asyncio.run(runner.cycle())
    assert len(_queue_messages(publisher)) == 2


def test_stop_leaves_the_status_offline(tmp_path: Path) -> None:
    """A clean stop closes the platform and publishes status offline (the will covers an unclean one)."""
    ctx = make_context(tmp_path, ManualClock(MONDAY_10AM))
    platform = ScriptedPlatform([SALES])
    runner = make_runner(platform, ctx)

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(runner.run(stop))
        while "poll" not in platform.calls:
            await asyncio.sleep(0.01)
        stop.set()
        await task

    asyncio.run(scenario())
    publisher = runner.publisher
    assert isinstance(publisher, PrintPublisher)
    assert decode(publisher.sent, "wallboard/lab/feed/scripted/status")["summary"] == "offline"
    assert platform.calls[-1] == "close"


def test_backoff_is_full_jitter_exponential_capped() -> None:
    """Delays stay within [0, min(cap, base * 2**n)] (AWS full jitter) and reset after a success."""
    backoff = Backoff(base=1.0, cap=20.0, rng=random.Random(4))
    delays = [backoff.next_delay() for _ in range(8)]
    for n, delay in enumerate(delays):
        assert 0.0 <= delay <= min(20.0, 2.0**n)
    assert max(delays[5:]) > 2.0  # the ceiling really grew
    backoff.reset()
    assert backoff.next_delay() <= 1.0


def test_request_budget_spends_tokens_at_the_rate() -> None:
    """A budget of 2/s with a burst of 2 lets two calls go at once, then one every half second."""
    clock = ManualClock(0.0)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds)

    budget = RequestBudget(2.0, 2, clock=clock, sleep=sleep)

    async def scenario() -> None:
        for _ in range(4):
            await budget.acquire()

    asyncio.run(scenario())
    assert slept == [pytest.approx(0.5), pytest.approx(0.5)] and budget.spent == 4


def test_secret_files_readable_by_others_are_refused(tmp_path: Path) -> None:
    """A 0644 secret file is refused with the chmod to run; a 0600 one is read (first line)."""
    secret = tmp_path / "ami.secret"
    secret.write_text("hunter2\nignored\n")
    secret.chmod(0o644)
    with pytest.raises(FeedConfigError, match=r"readable by group or others \(mode 0644\); run: chmod 600"):
        read_secret_file("ami.secret", tmp_path)
    secret.chmod(0o600)
    assert read_secret_file("ami.secret", tmp_path) == "hunter2"
    with pytest.raises(FeedConfigError, match="No such file"):
        read_secret_file("missing.secret", tmp_path)


def test_secret_from_systemd_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``$CREDENTIALS_DIRECTORY/name`` reads systemd's LoadCredential= file."""
    (tmp_path / "ami").write_text("from-systemd\n")
    (tmp_path / "ami").chmod(0o400)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    assert read_secret_file("$CREDENTIALS_DIRECTORY/ami", Path("/nonexistent")) == "from-systemd"


def test_recorder_hashes_caller_numbers(tmp_path: Path) -> None:
    """--record writes raw payloads with caller numbers hashed: the same number gives the same hash, never itself."""
    recorder = Recorder(tmp_path, "asterisk", clock=lambda: MONDAY_10AM)
    recorder.write("event", {"Event": "QueueCallerJoin", "CallerIDNum": "+442079460000", "Queue": "sales"})
    recorder.write("event", {"nested": [{"CallerIDNum": "+442079460000"}]})
    recorder.close()
    text = recorder.path.read_text()
    assert "+442079460000" not in text and '"Queue": "sales"' in text
    first, second = (msgspec.json.decode(line) for line in text.splitlines())
    assert first["payload"]["CallerIDNum"] == second["payload"]["nested"][0]["CallerIDNum"]
    assert first["payload"]["CallerIDNum"].startswith("sha256:")


def test_disconnected_reason_is_the_status_line(tmp_path: Path) -> None:
    """A dropped platform connection reads "degraded: <reason>" and the runner reconnects on the next cycle."""
    ctx = make_context(tmp_path, ManualClock(MONDAY_10AM))
    platform = ScriptedPlatform([Disconnected("cannot reach AMI at 10.0.0.5:5038"), SALES])
    runner = make_runner(platform, ctx)
    asyncio.run(runner.cycle())
    assert runner.status.summary == "degraded: cannot reach AMI at 10.0.0.5:5038"
    asyncio.run(runner.cycle())
    assert runner.status.summary == "online" and platform.calls.count("connect") == 2
