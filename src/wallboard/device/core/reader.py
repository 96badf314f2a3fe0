"""``StateReader``: the board state as an output sees it, with no way to change it.

Every output (the display, the signals, the operator outputs) and the rules get the state through this
port: values, their ages and verdicts' inputs, the link, the feeds, the history. It has no mutator, and
mutable containers are typed as read-only views, so the type checker refuses an output that tries to
change what the board holds (``BoardState`` implements it; the run loop alone holds the real thing).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Protocol

from wallboard.device.core.derive import Ratio
from wallboard.device.core.history import Point
from wallboard.device.core.updates import AgentStatusBoard, Announcement, FeedHealth, Leaderboard
from wallboard.device.core.values import LinkChange, MetricValue


class StateReader(Protocol):
    """Read-only access to the board's data and connection."""

    @property
    def link(self) -> LinkChange:
        """The broker connection now, and since when."""
        ...

    @property
    def link_log(self) -> Sequence[LinkChange]:
        """The last connection changes, oldest first."""
        ...

    @property
    def agent_status(self) -> AgentStatusBoard | None:
        """The latest per-agent status rows, if any arrived."""
        ...

    @property
    def feeds(self) -> Mapping[str, FeedHealth]:
        """The site's feeds' last status, by adapter name."""
        ...

    @property
    def acknowledgements(self) -> int:
        """How many acknowledgements have arrived."""
        ...

    @property
    def newest_received_at(self) -> float | None:
        """When the newest value arrived (live or restored); None before any data."""
        ...

    @property
    def clock_synchronised(self) -> bool | None:
        """Whether the system clock is synchronised (None: unknown)."""
        ...

    @property
    def clock_unsynchronised_since(self) -> float | None:
        """Since when the clock has not been synchronised."""
        ...

    @property
    def version(self) -> int:
        """Bumped on every change an output might draw."""
        ...

    @property
    def leaderboard(self) -> Leaderboard | None:
        """The latest leaderboard; gone once not refreshed for a day."""
        ...

    def version_of(self, keys: Iterable[str]) -> int:
        """The ``version`` at which any of metrics ``keys`` last changed (0: none of them yet)."""
        ...

    def value(self, key: str) -> MetricValue | None:
        """The held value for ``key``, stale or not."""
        ...

    def fresh_value(self, key: str, now: float | None = None) -> float | None:
        """The value for ``key`` if it is not stale."""
        ...

    def age(self, key: str, now: float | None = None) -> float | None:
        """Seconds since ``key`` was measured; None if there is no value."""
        ...

    def is_stale(self, key: str, now: float | None = None) -> bool:
        """True if ``key`` has no value or its value is older than its ``stale_after``."""
        ...

    def ratio(self, key: str) -> Ratio | None:
        """The counts behind derived ``key``'s latest evaluation."""
        ...

    def no_calls_yet(self, key: str, now: float | None = None) -> bool:
        """True if ``key`` is a ratio whose fresh counts are 0/0."""
        ...

    def metrics(self) -> Iterator[tuple[str, MetricValue]]:
        """Every held metric and its value."""
        ...

    def history(self, key: str) -> list[Point]:
        """(measured_at, value) points for a trend line, oldest first."""
        ...

    def last_history_point(self, key: str) -> Point | None:
        """The newest trend-line point for ``key``."""
        ...

    def announcements(self, now: float | None = None) -> list[Announcement]:
        """Current ticker texts, oldest first."""
        ...

    def feeds_not_online(self) -> list[FeedHealth]:
        """The site's feeds whose last status is not ``online``."""
        ...

    def data_age(self, now: float | None = None) -> float | None:
        """Seconds since the newest value arrived; None before any data."""
        ...
