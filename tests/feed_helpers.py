"""Helpers for the feed tests: a FeedContext on real SQLite, a runner on the recording publisher."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec

from tests.helpers import ManualClock
from wallboard.device.wire.topics import SiteTopics, feed_status
from wallboard.feeds.adapter import Adapter, FeedContext
from wallboard.feeds.budget import Backoff, RequestBudget
from wallboard.feeds.daycount import DayCounters
from wallboard.feeds.publisher import FeedPublisher, PrintPublisher
from wallboard.feeds.runner import FeedRunner

LONDON = ZoneInfo("Europe/London")
# 2026-11-23 10:00 UTC = 10:00 in London (GMT).
MONDAY_10AM = 1795428000.0


def local_time(
    zone: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, fold: int = 0
) -> float:
    """Epoch seconds of a wall-clock time at the site (``fold=1`` for the second of a repeated hour)."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=zone, fold=fold).timestamp()


def make_context(folder: Path, clock: ManualClock, *, zone: ZoneInfo = LONDON) -> FeedContext:
    return FeedContext(
        site="lab",
        zone=zone,
        counters=DayCounters(folder / "counters.sqlite", zone),
        budget=RequestBudget(1000.0, 1000),
        base_dir=folder,
        service_level_s=20.0,
        short_abandon_s=5.0,
        clock=clock,
    )


def make_runner(adapter: Adapter, ctx: FeedContext, publisher: FeedPublisher | None = None) -> FeedRunner:
    return FeedRunner(
        adapter,
        ctx,
        publisher or PrintPublisher(feed_status("lab", adapter.name), out=None),
        topics=SiteTopics("cc", "lab"),
        status_topic=feed_status("lab", adapter.name),
        poll_interval_s=0.05,
        heartbeat_s=30.0,
        backoff=Backoff(base=0.01, cap=0.05, rng=random.Random(1)),
        version="test",
    )


def decode(sent: list[tuple[str, bytes]], topic: str) -> dict[str, object]:
    """The last payload published on ``topic``."""
    bodies = [payload for t, payload in sent if t == topic]
    assert bodies, f"nothing published on {topic}; topics: {sorted({t for t, _ in sent})}"
    result: dict[str, object] = msgspec.json.decode(bodies[-1])
    return result
