"""Typed values that cross from the MQTT edge to the main thread.

Everything past ``device.edge.ingest`` speaks these frozen types; no paho object
travels further. Times are wall-clock epoch seconds.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Reading:
    """One metric's value as measured by the publisher at ``measured_at``."""

    metric: str
    value: float
    measured_at: float
    received_at: float

    @property
    def handoff_key(self) -> str:
        return self.metric


@dataclass(frozen=True, slots=True)
class Announcement:
    """Ticker text; empty ``text`` withdraws the announcement with this ``id``."""

    id: str
    text: str
    expires_at: float | None
    received_at: float

    @property
    def handoff_key(self) -> str:
        return f"announce:{self.id}"


@dataclass(frozen=True, slots=True)
class AgentRow:
    """One agent on the leaderboard: a display name and named figures."""

    name: str
    stats: tuple[tuple[str, float], ...]

    def stat(self, name: str, default: float = 0.0) -> float:
        for key, value in self.stats:
            if key == name:
                return value
        return default


@dataclass(frozen=True, slots=True)
class Leaderboard:
    """The latest leaderboard rows from the agents topic."""

    rows: tuple[AgentRow, ...]
    measured_at: float
    received_at: float

    @property
    def handoff_key(self) -> str:
        return "agents"


@dataclass(frozen=True, slots=True)
class AgentStatusRow:
    """One agent on the status grid: state, since when, why, today's calls, a missed ring."""

    name: str
    state: str
    state_since: float | None
    reason: str | None
    calls_today: int | None
    ring_no_answer: bool


@dataclass(frozen=True, slots=True)
class AgentStatusBoard:
    """The latest agent rows from the agent_status topic (published by a feed)."""

    rows: tuple[AgentStatusRow, ...]
    measured_at: float
    received_at: float

    @property
    def handoff_key(self) -> str:
        return "agent_status"


@dataclass(frozen=True, slots=True)
class FeedHealth:
    """A feed's own status (``online``, ``degraded`` or ``offline``) from its retained status topic."""

    adapter: str
    state: str
    summary: str
    received_at: float
    # The queue fields the feed declares it cannot supply on its platform (e.g. agents_wrap on Asterisk).
    not_supplied: frozenset[str] = frozenset()

    @property
    def handoff_key(self) -> str:
        return f"feed:{self.adapter}"


@dataclass(frozen=True, slots=True)
class Acknowledge:
    """A request to silence the current alarm's sound (from MQTT or a button)."""

    source: str
    received_at: float

    @property
    def handoff_key(self) -> str:
        return "ack"


@dataclass(frozen=True, slots=True)
class RemoteConfig:
    """A board config (TOML text) received on the board's own config topic; validated on the main thread."""

    text: str
    received_at: float
    size: int = 0  # the payload's bytes, as received
    refused: str | None = None  # why the edge would not read it (too large, not UTF-8); ``text`` is then ""

    @property
    def handoff_key(self) -> str:
        return "remote_config"


@dataclass(frozen=True, slots=True)
class ScreenshotRequest:
    """A request to publish a PNG of what the screen shows, at most ``max_width`` pixels wide."""

    max_width: int
    received_at: float

    @property
    def handoff_key(self) -> str:
        return "screenshot"


Update = (
    Reading
    | Announcement
    | Leaderboard
    | AgentStatusBoard
    | FeedHealth
    | Acknowledge
    | RemoteConfig
    | ScreenshotRequest
)
