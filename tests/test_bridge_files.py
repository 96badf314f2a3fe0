"""The shipped bridge and ACL files against the one list of topics in the code, and every shipped board's data.

``centre_topics(site)`` (``wallboard.device.wire.topics``) says what crosses a site's bridge; these tests fail when
``bridge-site.conf``, ``acl-central.example`` or ``acl.example`` forgets one, or when a new board topic is
added to ``BoardTopics`` without saying whether it crosses. The live behaviour is in tests/test_bridge.py.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.acl_files import CONFIG, covers, overlaps, read_acl, read_bridge_topics
from wallboard.device.config.reading import load_config
from wallboard.device.core.rejections import RejectionCounter
from wallboard.device.edge.ingest import Ingest
from wallboard.device.wire.topics import (
    BOARD_TOPIC_DIRECTIONS,
    SITE_ONLY_BOARD_TOPICS,
    BoardTopics,
    bridge_state,
    centre_topics,
)

SHIPPED = Path(__file__).resolve().parent.parent / "config"
CENTRAL_SITES = ("london", "leeds")


def test_every_board_topic_is_placed_on_one_side_of_the_bridge() -> None:
    """Each topic BoardTopics builds is listed as crossing the bridge (in or out) or as staying at the site."""
    topics = {name for name, value in vars(BoardTopics).items() if isinstance(value, property) and name != "root"}
    assert topics == set(BOARD_TOPIC_DIRECTIONS) | SITE_ONLY_BOARD_TOPICS
    assert not set(BOARD_TOPIC_DIRECTIONS) & SITE_ONLY_BOARD_TOPICS


def test_the_shipped_bridge_forwards_exactly_the_listed_topics() -> None:
    """bridge-site.conf's topic lines are centre_topics() for @SITE@: the text twin included, nothing extra."""
    expected = {(topic.filter, topic.direction) for topic in centre_topics("@SITE@")}
    assert read_bridge_topics(CONFIG / "bridge-site.conf") == expected
    assert ("wallboard/@SITE@/+/screenshot/text", "out") in expected


def test_the_central_acl_lets_each_site_write_what_its_bridge_sends_and_read_what_it_asks() -> None:
    """Each site-<site> user writes exactly its outgoing topics (and its bridge state) and reads its incoming ones."""
    users = read_acl(CONFIG / "acl-central.example")
    for site in CENTRAL_SITES:
        user = users[f"site-{site}"]
        topics = centre_topics(site)
        assert user.writes == {t.filter for t in topics if t.direction == "out"} | {bridge_state(site)}, site
        assert user.reads == {t.filter for t in topics if t.direction == "in"}, site


def test_the_monitor_account_reads_every_answer_at_the_centre_and_at_a_site() -> None:
    """wallboard-monitor may read every board answer and the bridge state, and ask for screenshots, at both."""
    for acl, site in (("acl-central.example", "+"), ("acl.example", "london")):
        monitor = read_acl(CONFIG / acl)["wallboard-monitor"]
        board = BoardTopics(site, "+")
        for topic in (board.status, board.screenshot_png, board.screenshot_text, board.screenshot_error):
            assert any(covers(pattern, topic) for pattern in monitor.reads), (acl, topic)
        assert any(covers(pattern, bridge_state(site)) for pattern in monitor.reads), acl
        assert any(covers(pattern, board.screenshot) for pattern in monitor.writes), acl


def _shipped_boards() -> list[Path]:
    return sorted((SHIPPED / "boards").glob("*.toml"))


@pytest.mark.parametrize("path", _shipped_boards(), ids=lambda path: path.stem)
def test_every_shipped_board_gets_its_data_under_the_shipped_acl(path: Path) -> None:
    """Each topic a shipped board subscribes to, its own user may read and some other user may write."""
    config = load_config(path).config
    users = read_acl(CONFIG / "acl.example")
    name = f"board-{config.site.id}-{config.board.id}"
    assert name in users, f"acl.example has no block for {name} ({path.name})"
    board = users[name]
    others = {user: access for user, access in users.items() if user != name}
    missing_reads, no_publisher = [], []
    for topic in Ingest(config, RejectionCounter()).subscriptions():
        if not any(covers(pattern, topic) for pattern in board.reads):
            missing_reads.append(topic)
        if not any(overlaps(pattern, topic) for access in others.values() for pattern in access.writes):
            no_publisher.append(topic)
    assert (missing_reads, no_publisher) == ([], []), f"{path.name}: unreadable, then unpublishable topics"
    # And the board may write each of its own answers (its status, the will included, and screenshot replies).
    own = BoardTopics(config.site.id, config.board.id)
    answers = [getattr(own, name) for name, direction in BOARD_TOPIC_DIRECTIONS.items() if direction == "out"]
    assert [topic for topic in answers if not any(covers(p, topic) for p in board.writes)] == []


def test_the_shipped_boards_are_all_checked() -> None:
    """The parametrised check above sees every shipped board, site files included through their boards."""
    boards = {path.stem for path in _shipped_boards()}
    assert {"floor1", "floor2", "site-overview"} <= boards
    extended = {load_config(path).path.parent for path in _shipped_boards()}
    assert extended == {SHIPPED / "boards"}
    for site in (SHIPPED / "sites").glob("*.toml"):
        assert any(f"../sites/{site.name}" in path.read_text() for path in _shipped_boards()), site.name


def test_the_topic_matching_the_checks_rely_on() -> None:
    """covers() and overlaps() agree with MQTT's wildcard rules on the cases the checks meet."""
    assert covers("cc/london/#", "cc/london/queue/+") and covers("wallboard/+/+/status", "wallboard/x/+/status")
    assert not covers("wallboard/london/floor1/#", "wallboard/london/feed/+/status")
    assert not covers("cc/london/queue/sales", "cc/london/queue/+") and covers("a/#", "a")
    assert overlaps("acd/london/#", "acd/london/support/waiting")
    assert overlaps("wallboard/+/+/config", "wallboard/l/f/+")
    assert not overlaps("cc/london/#", "acd/london/support/waiting") and not overlaps("a/+", "a/b/c")


DEPLOYMENT = Path(__file__).resolve().parent.parent / "docs" / "deployment.md"


def _site_commands() -> list[tuple[str, str]]:
    """docs/deployment.md §11's fill-in commands for a site: (the sed pipeline, the file it installs)."""
    section = DEPLOYMENT.read_text(encoding="utf-8").split("## 11.", 1)[1]
    block = section.split("**Each site's broker**", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    joined = block.replace("\\\n", " ")
    found = re.findall(r"^(sed .*?) \| sudo install .*? /dev/stdin (\S+)$", joined, re.MULTILINE)
    return [(pipeline, destination) for pipeline, destination in found]


def test_the_deployment_docs_fill_every_placeholder_and_the_two_halves_of_the_bridge_meet(tmp_path: Path) -> None:
    """§11's sed lines, run as written on the shipped files: no @...@ left, and the tunnel is where the bridge goes."""
    commands = dict((destination, pipeline) for pipeline, destination in _site_commands())
    assert set(commands) == {"/etc/stunnel/wallboard-bridge.conf", "/etc/mosquitto/conf.d/bridge.conf"}
    filled = {}
    for destination, pipeline in commands.items():
        result = subprocess.run(["sh", "-c", pipeline], cwd=CONFIG, capture_output=True, text=True, check=True)
        settings = re.sub(r"(?m)^\s*[#;].*$", "", result.stdout)  # comments may name placeholders
        assert not re.search(r"@[A-Z_]+@", settings), (destination, re.findall(r"@[A-Z_]+@", settings))
        filled[destination] = result.stdout
    tunnel, bridge = filled["/etc/stunnel/wallboard-bridge.conf"], filled["/etc/mosquitto/conf.d/bridge.conf"]
    accept = re.search(r"^accept = (\S+)$", tunnel, re.MULTILINE)
    address = re.search(r"^address (\S+)$", bridge, re.MULTILINE)
    assert accept and address and accept.group(1) == address.group(1) == "127.0.0.1:8885"
    assert re.search(r"^connect = central\.example:8883$", tunnel, re.MULTILINE)
    assert re.search(r"^checkHost = central\.example$", tunnel, re.MULTILINE)  # the name on the certificate
    assert re.search(r"^verifyChain = yes$", tunnel, re.MULTILINE)
    assert "bridge_cafile" not in bridge and "notification_topic wallboard/london/bridge/state" in bridge
