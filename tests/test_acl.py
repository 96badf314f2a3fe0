"""The shipped broker ACL example (config/mosquitto/acl.example), enforced by a real mosquitto."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.broker import Mosquitto
from wallboard.device.tools.mqtt_client import ToolClient

ACL_EXAMPLE = Path(__file__).resolve().parent.parent / "config" / "mosquitto" / "acl.example"
USERS = {
    "wallboard-admin": "admin-pw",
    "wallboard-monitor": "monitor-pw",
    "board-london-floor1": "floor1-pw",
    "board-london-floor2": "floor2-pw",
    "feed-london": "feed-pw",
}


@pytest.fixture
def acl_broker(tmp_path: Path) -> Iterator[Mosquitto]:
    """A mosquitto whose password listener uses the shipped ACL example."""
    broker = Mosquitto(tmp_path / "broker", passwords=USERS, extra_config=f"acl_file {ACL_EXAMPLE}\n")
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


def _client(broker: Mosquitto, user: str) -> ToolClient:
    assert broker.auth_port is not None
    client = ToolClient("127.0.0.1", broker.auth_port, username=user, password=USERS[user])
    client.connect()
    return client


def _received(client: ToolClient, wait: float = 1.0) -> list[tuple[str, bytes]]:
    got = []
    deadline = time.monotonic() + wait
    while (message := client.next_message(max(0.0, deadline - time.monotonic()))) is not None:
        got.append(message)
    return got


def test_a_board_cannot_publish_another_boards_config(acl_broker: Mosquitto) -> None:
    """floor1's credentials publishing floor2's config reach nobody; the admin's config gets through."""
    watcher = _client(acl_broker, "wallboard-admin")
    floor1 = _client(acl_broker, "board-london-floor1")
    try:
        watcher.subscribe("wallboard/#")
        time.sleep(0.3)
        floor1.publish("wallboard/london/floor2/config", b"[board]\nid = 'hijacked'\n")
        floor1.publish("wallboard/london/floor1/config", b"[board]\nid = 'own config, still not allowed'\n")
        floor1.publish("wallboard/london/floor1/status", b'{"status":"online"}')
        watcher.publish("wallboard/london/floor2/config", b"# from the admin\n")
        topics = [topic for topic, _ in _received(watcher)]
        assert "wallboard/london/floor1/status" in topics  # the board may write its own status
        assert topics.count("wallboard/london/floor2/config") == 1  # only the admin's copy
        assert "wallboard/london/floor1/config" not in topics  # a board may not even write its own config
    finally:
        floor1.close()
        watcher.close()


def test_a_board_reads_its_own_config_but_not_anothers(acl_broker: Mosquitto) -> None:
    """A board receives its own config topic, and nothing from another board's topics."""
    floor1 = _client(acl_broker, "board-london-floor1")
    admin = _client(acl_broker, "wallboard-admin")
    try:
        floor1.subscribe("wallboard/london/floor1/config")
        floor1.subscribe("wallboard/london/floor2/config")
        time.sleep(0.3)
        admin.publish("wallboard/london/floor2/config", b"# floor2's")
        admin.publish("wallboard/london/floor1/config", b"# floor1's")
        assert [topic for topic, _ in _received(floor1)] == ["wallboard/london/floor1/config"]
    finally:
        admin.close()
        floor1.close()


def test_the_monitor_account_sees_status_but_cannot_write_config(acl_broker: Mosquitto) -> None:
    """The fleet view's read-only account receives every status and cannot write a config."""
    monitor = _client(acl_broker, "wallboard-monitor")
    floor2 = _client(acl_broker, "board-london-floor2")
    admin = _client(acl_broker, "wallboard-admin")
    try:
        monitor.subscribe("wallboard/+/+/status")
        admin.subscribe("wallboard/+/+/config")
        time.sleep(0.3)
        floor2.publish("wallboard/london/floor2/status", b'{"status":"online"}')
        monitor.publish("wallboard/london/floor2/config", b"# not allowed")
        assert [topic for topic, _ in _received(monitor)] == ["wallboard/london/floor2/status"]
        assert _received(admin, 0.5) == []
    finally:
        admin.close()
        floor2.close()
        monitor.close()


def test_the_feed_writes_its_site_data_and_its_status_only(acl_broker: Mosquitto) -> None:
    """The feed user publishes London's queues and its own status; a board's config or Leeds' data reach nobody."""
    watcher = _client(acl_broker, "wallboard-admin")
    feed = _client(acl_broker, "feed-london")
    try:
        watcher.subscribe("wallboard/#")
        watcher.subscribe("cc/#")
        time.sleep(0.3)
        feed.publish("cc/london/queue/sales", b'{"calls_waiting": 3}')
        feed.publish("wallboard/london/feed/asterisk/status", b'{"state": "online"}')
        feed.publish("wallboard/london/floor1/config", b"# not the feed's to write\n")
        feed.publish("cc/leeds/queue/sales", b'{"calls_waiting": 666}')
        topics = [topic for topic, _ in _received(watcher)]
        assert "cc/london/queue/sales" in topics and "wallboard/london/feed/asterisk/status" in topics
        assert "wallboard/london/floor1/config" not in topics and "cc/leeds/queue/sales" not in topics
    finally:
        feed.close()
        watcher.close()
