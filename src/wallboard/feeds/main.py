"""``wallboard feed <adapter> --config FILE``: build a feed from its config and run it until stopped.

Objects are built here, never at import. Exit status: 0 when it ran (or, with
``--once``, the platform was read), 1 when the platform could not be read,
2 for a bad config or secret file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from pathlib import Path

import msgspec

from wallboard.device import __version__
from wallboard.device.wire.payloads import FeedStatus
from wallboard.device.wire.supply import FieldSupply
from wallboard.device.wire.topics import SiteTopics, feed_status
from wallboard.feeds.adapter import FeedContext, load_adapter
from wallboard.feeds.budget import Backoff, RequestBudget
from wallboard.feeds.daycount import DayCounters
from wallboard.feeds.errors import FeedConfigError
from wallboard.feeds.feed_config import FeedConfig, load_feed_config
from wallboard.feeds.publisher import FeedPublisher, MqttFeedPublisher, PrintPublisher
from wallboard.feeds.record import Recorder
from wallboard.feeds.runner import FeedRunner
from wallboard.feeds.secrets import read_secret_file

log = logging.getLogger("wallboard.feed")


def build_runner(args: argparse.Namespace, config: FeedConfig, publisher: FeedPublisher | None = None) -> FeedRunner:
    """Everything a feed needs, from its config and the command line."""
    site = config.feed
    state_dir = Path(args.state_dir or site.state_dir)
    counters = DayCounters(state_dir / f"{args.adapter}-counters.sqlite", config.zone)
    ctx = FeedContext(
        site=site.site,
        zone=config.zone,
        counters=counters,
        budget=RequestBudget(site.requests_per_second, site.burst),
        base_dir=config.base_dir,
        service_level_s=site.service_level_s,
        short_abandon_s=site.short_abandon_s,
        recorder=Recorder(Path(args.record), args.adapter) if args.record else None,
    )
    adapter = load_adapter(args.adapter)(config, ctx)
    status_topic = feed_status(site.site, args.adapter)
    if publisher is None:
        publisher = _publisher(args, config, status_topic, getattr(adapter, "SUPPLY", None))
    return FeedRunner(
        adapter,
        ctx,
        publisher,
        topics=SiteTopics(site.prefix, site.site),
        status_topic=status_topic,
        poll_interval_s=site.poll_interval_s,
        heartbeat_s=site.heartbeat_s,
        backoff=Backoff(base=1.0, cap=site.backoff_cap_s),
        version=__version__,
    )


def _publisher(
    args: argparse.Namespace, config: FeedConfig, status_topic: str, supply: FieldSupply | None
) -> FeedPublisher:
    if args.dry_run or args.once:
        return PrintPublisher(status_topic, out=sys.stdout if args.dry_run else None)
    mqtt = config.mqtt
    password = read_secret_file(mqtt.password_file, config.base_dir) if mqtt.password_file else None
    # The will keeps the declaration: a board still knows what the platform cannot supply while the feed is down.
    supplies, not_supplied = supply.listed() if supply is not None else (None, None)
    will = FeedStatus(
        state="offline",
        summary="offline",
        adapter=args.adapter,
        ts=0.0,
        version=__version__,
        supplies=supplies,
        not_supplied=not_supplied,
    )
    return MqttFeedPublisher(
        mqtt.host,
        mqtt.port,
        client_id=mqtt.client_id or f"wallboard-feed-{config.feed.site}-{args.adapter}",
        status_topic=status_topic,
        will=msgspec.json.encode(will),
        username=mqtt.username,
        password=password,
        ca_file=mqtt.ca_file,
    )


async def _run(runner: FeedRunner, once: bool) -> int:
    if once:
        await runner.cycle()
        await runner.adapter.close()
        print(json.dumps(runner.snapshot(), indent=2, sort_keys=True))
        return 0 if runner.status.state == "online" else 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await runner.run(stop)
    return 0


def run_feed(args: argparse.Namespace) -> int:
    """The ``feed`` sub-command."""
    try:
        config = load_feed_config(args.config)
        runner = build_runner(args, config)
    except FeedConfigError as exc:
        log.error("%s", exc)
        return 2
    log.info("wallboard %s: feed %s for site %s from %s", __version__, args.adapter, config.feed.site, config.path)
    try:
        return asyncio.run(_run(runner, args.once))
    finally:
        runner.ctx.counters.close()
        if runner.ctx.recorder is not None:
            runner.ctx.recorder.close()
