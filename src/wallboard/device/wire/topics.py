"""Every MQTT topic the product uses, built in one place.

Contact-centre data (published by a feed or the simulator, read by every board of a site)::

    <prefix>/<site>/queue/<queue>     JSON queue metrics
    <prefix>/<site>/agents            leaderboard rows
    <prefix>/<site>/announce          ticker text
    <prefix>/<site>/agent_status      per-agent rows (state, time in state, reason, calls today)

A feed's own topic (``wallboard feed``)::

    wallboard/<site>/feed/<adapter>/status   retained JSON FeedStatus; the will says offline

One board's own topics (its status and what operators send it)::

    wallboard/<site>/<board>/status          retained JSON status; the will says offline
    wallboard/<site>/<board>/ack             acknowledge the alarm
    wallboard/<site>/<board>/config          retained TOML: a remote config
    wallboard/<site>/<board>/screenshot      ask for a PNG of the screen
    wallboard/<site>/<board>/screenshot/png  the answer
    wallboard/<site>/<board>/screenshot/error  or why there is none
    wallboard/<site>/<board>/screenshot/text  the screen's text twin (JSON), sent with every PNG
"""

from __future__ import annotations

from dataclasses import dataclass

BOARD_ROOT = "wallboard"


@dataclass(frozen=True)
class SiteTopics:
    """The contact-centre data topics of one site."""

    prefix: str
    site: str

    @property
    def queue_prefix(self) -> str:
        """The topic of queue ``q`` is this followed by ``q``."""
        return f"{self.prefix}/{self.site}/queue/"

    def queue(self, name: str) -> str:
        return self.queue_prefix + name

    @property
    def queues(self) -> str:
        """The filter matching every queue of the site."""
        return self.queue_prefix + "+"

    @property
    def agents(self) -> str:
        return f"{self.prefix}/{self.site}/agents"

    @property
    def announce(self) -> str:
        return f"{self.prefix}/{self.site}/announce"

    @property
    def agent_status(self) -> str:
        return f"{self.prefix}/{self.site}/agent_status"


def feed_status(site: str, adapter: str) -> str:
    """The retained status topic of the feed ``adapter`` at ``site`` (distinct from every board's)."""
    return f"{BOARD_ROOT}/{site}/feed/{adapter}/status"


def feed_status_filter(site: str) -> str:
    """The filter matching the status of every feed of ``site`` (``+`` for every site)."""
    return f"{BOARD_ROOT}/{site}/feed/+/status"


@dataclass(frozen=True)
class BoardTopics:
    """One board's own topics."""

    site: str
    board: str

    @property
    def root(self) -> str:
        return f"{BOARD_ROOT}/{self.site}/{self.board}"

    @property
    def status(self) -> str:
        return f"{self.root}/status"

    @property
    def ack(self) -> str:
        return f"{self.root}/ack"

    @property
    def config(self) -> str:
        return f"{self.root}/config"

    @property
    def screenshot(self) -> str:
        return f"{self.root}/screenshot"

    @property
    def screenshot_png(self) -> str:
        return f"{self.screenshot}/png"

    @property
    def screenshot_error(self) -> str:
        return f"{self.screenshot}/error"

    @property
    def screenshot_text(self) -> str:
        return f"{self.screenshot}/text"


def parse_feed_status_topic(topic: str) -> tuple[str, str] | None:
    """``(site, adapter)`` of a feed status topic, or None if ``topic`` is not one."""
    parts = topic.split("/")
    shaped = len(parts) == 5 and parts[0] == BOARD_ROOT and parts[2] == "feed" and parts[4] == "status"
    return (parts[1], parts[3]) if shaped and parts[1] and parts[3] else None


def status_filter(site: str) -> str:
    """The filter matching the status of every board of ``site`` (``+`` for every site)."""
    return f"{BOARD_ROOT}/{site}/+/status"


def parse_status_topic(topic: str) -> tuple[str, str] | None:
    """``(site, board)`` of a board status topic, or None if ``topic`` is not one."""
    parts = topic.split("/")
    if len(parts) == 4 and parts[0] == BOARD_ROOT and parts[3] == "status" and parts[1] and parts[2]:
        return parts[1], parts[2]
    return None
