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

A site broker's bridge to the central broker (mosquitto's notification, retained, with a will)::

    wallboard/<site>/bridge/state            "1" while the bridge is up, "0" once it is down

``centre_topics(site)`` is the one list of what crosses a site's bridge: ``config/mosquitto/bridge-site.conf``
and the site users of ``acl-central.example`` are checked against it by ``tests/test_bridge_files.py``,
and every topic of ``BoardTopics`` must be in it or in ``SITE_ONLY_BOARD_TOPICS``, so a new topic
cannot be left out of the bridge by mistake.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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


def bridge_state(site: str) -> str:
    """The retained bridge notification of ``site`` ("1" up, "0" down) on both brokers; ``+``: every site's."""
    return f"{BOARD_ROOT}/{site}/bridge/state"


def parse_bridge_state_topic(topic: str) -> str | None:
    """The site of a bridge state topic, or None if ``topic`` is not one."""
    parts = topic.split("/")
    shaped = len(parts) == 4 and parts[0] == BOARD_ROOT and parts[2] == "bridge" and parts[3] == "state"
    return parts[1] if shaped and parts[1] else None


ScreenshotAnswer = Literal["png", "text", "error"]
_SCREENSHOT_ANSWERS: tuple[ScreenshotAnswer, ...] = ("png", "text", "error")


def screenshot_answer_filters(site: str) -> tuple[str, ...]:
    """The filters matching every board's screenshot answers (PNG, text twin, error) at ``site`` (``+``: all)."""
    return tuple(f"{BOARD_ROOT}/{site}/+/screenshot/{kind}" for kind in _SCREENSHOT_ANSWERS)


def parse_screenshot_answer_topic(topic: str) -> tuple[str, str, ScreenshotAnswer] | None:
    """``(site, board, kind)`` of a screenshot answer topic, or None if ``topic`` is not one."""
    parts = topic.split("/")
    if len(parts) != 5 or parts[0] != BOARD_ROOT or parts[3] != "screenshot" or not parts[1] or not parts[2]:
        return None
    for kind in _SCREENSHOT_ANSWERS:
        if parts[4] == kind:
            return parts[1], parts[2], kind
    return None


Direction = Literal["out", "in"]


@dataclass(frozen=True)
class BridgedTopic:
    """One topic filter that crosses a site's bridge: ``out`` (site to centre) or ``in`` (centre to site)."""

    filter: str
    direction: Direction
    why: str


# Every BoardTopics topic crosses the bridge in one direction, except these (none today: a board's whole
# conversation with IT is readable at the centre). A new BoardTopics property must be named in one of the two.
SITE_ONLY_BOARD_TOPICS: frozenset[str] = frozenset()
BOARD_TOPIC_DIRECTIONS: dict[str, Direction] = {
    "status": "out",
    "screenshot_png": "out",
    "screenshot_error": "out",
    "screenshot_text": "out",
    "config": "in",
    "ack": "in",
    "screenshot": "in",
}


def centre_topics(site: str, prefix: str = "cc") -> tuple[BridgedTopic, ...]:
    """What a site's bridge forwards: its data and every answer of its boards out, IT's requests in.

    The bridge's own state is not here: mosquitto publishes it on both brokers itself (``notification_topic``);
    the central ACL must still let the site's user write it (``bridge_state``).
    """
    boards = BoardTopics(site, "+")
    board_topics = tuple(
        BridgedTopic(getattr(boards, name), direction, f"a board's {name.replace('_', ' ')}")
        for name, direction in BOARD_TOPIC_DIRECTIONS.items()
    )
    return (
        BridgedTopic(f"{prefix}/{site}/#", "out", "the site's queue data, agent rows and announcements"),
        BridgedTopic(feed_status_filter(site), "out", "the site's feed statuses"),
        *board_topics,
    )
