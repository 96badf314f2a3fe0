"""The adapter interface: what a site writes to connect a platform the project does not ship (Five9, Cisco, ...).

An adapter is a class with three coroutines and a factory in ``ADAPTERS``::

    class MyPlatform:
        name = "myplatform"
        SUPPLY = declare(sends=..., cannot=...)  # optional: the queue fields it can and cannot supply
        async def connect(self) -> None      # log in, subscribe; raise AuthFailed / Disconnected
        async def poll(self) -> Reading      # one round of reads, inside ctx.budget; raise FeedError
        async def close(self) -> None        # log out; never raises

    def build(config: FeedConfig, ctx: FeedContext) -> Adapter

``poll`` returns real-time values and today's counts per queue, keyed by the
wire contract's field names (``wallboard.device.wire.payloads``); a field the
platform cannot supply is simply not in the dict, and ``SUPPLY``
(``wallboard.device.wire.supply.declare``) says so for every field, once, in
the feed's status. An adapter that counts events itself adds them to
``ctx.counters`` (persisted, today only) and reads them back in ``poll``.
The runner does the rest: publishing, status, retries, backoff. Must not
publish MQTT, sleep between polls, or catch FeedError to hide it.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from wallboard.device.wire.payloads import AgentRow
from wallboard.feeds.budget import RequestBudget
from wallboard.feeds.daycount import DayCounters
from wallboard.feeds.errors import FeedConfigError
from wallboard.feeds.feed_config import FeedConfig
from wallboard.feeds.record import Recorder
from wallboard.feeds.secrets import read_secret_file


@dataclass
class Reading:
    """One poll's result: ``{queue: {field: value}}`` and, if the platform has them, the agent rows."""

    queues: dict[str, dict[str, float]]
    agents: list[AgentRow] | None = None


@dataclass
class FeedContext:
    """What the runner lends an adapter: the day counters, the request budget, the clock and secrets."""

    site: str
    zone: ZoneInfo
    counters: DayCounters
    budget: RequestBudget
    base_dir: Path
    service_level_s: float
    short_abandon_s: float
    clock: Callable[[], float] = time.time
    recorder: Recorder | None = None
    notes: list[str] = field(default_factory=list)

    def secret(self, name: str) -> str:
        """The secret in file ``name`` (relative to the config's folder); refuses group/world-readable files."""
        return read_secret_file(name, self.base_dir)

    def record(self, source: str, payload: object) -> None:
        """Keep a raw vendor payload when ``--record`` is on (personal data hashed)."""
        if self.recorder is not None:
            self.recorder.write(source, payload)


class Adapter(Protocol):
    """One platform, read by the runner: connect once, poll repeatedly, close at the end."""

    name: str

    async def connect(self) -> None: ...

    async def poll(self) -> Reading: ...

    async def close(self) -> None: ...


AdapterFactory = Callable[[FeedConfig, FeedContext], Adapter]

# name -> "module:factory"; imported only when chosen, so a site needs only its own platform's client library.
ADAPTERS: dict[str, str] = {
    "asterisk": "wallboard.feeds.asterisk:build",
    "connect": "wallboard.feeds.connect:build",
    "genesys": "wallboard.feeds.genesys:build",
}


def load_adapter(name: str) -> AdapterFactory:
    """The factory of adapter ``name``; FeedConfigError naming the choices if there is none."""
    target = ADAPTERS.get(name)
    if target is None:
        raise FeedConfigError(f"unknown adapter {name!r}; choose one of: {', '.join(sorted(ADAPTERS))}")
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise FeedConfigError(
            f"the {name} adapter needs {exc.name}: install it with `pip install 'wallboard[feeds]'`"
        ) from None
    factory: AdapterFactory = getattr(module, attribute)
    return factory
