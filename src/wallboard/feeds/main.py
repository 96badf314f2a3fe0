"""``wallboard feed <adapter> --config FILE``: build a feed from its config and run it until stopped.

Objects are built here, never at import. Exit status: 0 when it ran (or, with
``--once``, the platform was read and the broker took the feed's status), 1
when the platform or the broker could not be reached (the cause is logged),
2 for a bad config or a missing or readable secret file (every secret, the
broker's password too, is read before anything connects).
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

# How long ``--once`` waits for the broker's answer and acknowledgement.
ONCE_BROKER_TIMEOUT_S = 10.0


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
    return mqtt_publisher(args, config, status_topic, supply, start=True)


def mqtt_publisher(
    args: argparse.Namespace, config: FeedConfig, status_topic: str, supply: FieldSupply | None, *, start: bool
) -> MqttFeedPublisher:
    """The site broker's publisher; the password file is read now (FeedConfigError naming the key if it fails)."""
    mqtt = config.mqtt
    try:
        password = read_secret_file(mqtt.password_file, config.base_dir) if mqtt.password_file else None
    except FeedConfigError as exc:
        raise FeedConfigError(f"{config.path}: mqtt.password_file: {exc}") from None
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
        start=start,
    )


def check_broker(runner: FeedRunner, broker: MqttFeedPublisher, timeout: float = ONCE_BROKER_TIMEOUT_S) -> str | None:
    """``--once``'s second half: log in to the broker, publish the feed's status and see it acknowledged.

    None when all of that worked, else the cause. The connection ends as a clean stop does, leaving the
    status ``offline`` (retained): no feed runs once ``--once`` has exited.
    """
    try:
        cause = broker.connect_now(timeout)
        if cause is None:
            broker.publish(runner.status_topic, msgspec.json.encode(runner.status))
            cause = broker.confirm(timeout)
        return cause
    finally:
        offline = msgspec.structs.replace(runner.status, state="offline", summary="offline", reason=None)
        broker.close(msgspec.json.encode(offline))


async def _run(runner: FeedRunner, once: bool, broker: MqttFeedPublisher | None = None) -> int:
    if once:
        await runner.cycle()  # the platform first
        await runner.adapter.close()
        snapshot = runner.snapshot()
        healthy = runner.status.state == "online"
        if broker is not None:  # then the broker (not with --dry-run)
            cause = await asyncio.to_thread(check_broker, runner, broker)
            snapshot["broker"] = {"ok": cause is None, "reason": cause}
            if cause is not None:
                log.error("broker: %s", cause)
                healthy = False
        if runner.status.state != "online":
            log.error("platform: %s", runner.status.summary)
        print(json.dumps(snapshot, indent=2, sort_keys=True))
        return 0 if healthy else 1
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
        broker = None
        if args.once and not args.dry_run:  # --once checks the broker too: its password is read now, like the rest
            supply = getattr(runner.adapter, "SUPPLY", None)
            broker = mqtt_publisher(args, config, runner.status_topic, supply, start=False)
    except FeedConfigError as exc:
        log.error("%s", exc)
        return 2
    log.info("wallboard %s: feed %s for site %s from %s", __version__, args.adapter, config.feed.site, config.path)
    try:
        return asyncio.run(_run(runner, args.once, broker))
    finally:
        runner.ctx.counters.close()
        if runner.ctx.recorder is not None:
            runner.ctx.recorder.close()
