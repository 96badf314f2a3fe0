"""The shipped broker ACL example (config/mosquitto/acl.example), enforced by a real mosquitto."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.broker import Mosquitto, make_tls_files
from tests.helpers import run_for, step_until
from wallboard.app.loop.board import Board
from wallboard.app.loop.compose import compose_board, no_outputs
from wallboard.app.tools.mqtt_client import ToolClient
from wallboard.device.config.reading import load_config
from wallboard.device.core.values import LinkStatus

ACL_EXAMPLE = Path(__file__).resolve().parent.parent / "config" / "mosquitto" / "acl.example"
USERS = {
    "acd-london": "acd-pw",
    "wallboard-admin": "admin-pw",
    "wallboard-monitor": "monitor-pw",
    "board-london-floor1": "floor1-pw",
    "board-london-floor2": "floor2-pw",
    "feed-london": "feed-pw",
}


SHIPPED_CONF = ACL_EXAMPLE.with_name("wallboard.conf")
# The fixture gives its own listener and password file; every other directive is the shipped file's.
_OWN = ("listener", "password_file", "acl_file", "allow_anonymous")


def shipped_directives() -> str:
    """The shipped mosquitto.conf's directives, without the ones the test broker sets itself."""
    lines = [line.strip() for line in SHIPPED_CONF.read_text().splitlines()]
    return "".join(f"{line}\n" for line in lines if line and not line.startswith(("#", *_OWN)))


def _broker(folder: Path, extra: str) -> Mosquitto:
    # The shipped file turns persistence on; the database goes in the test's folder (Debian's main config says where).
    extra += f"persistence_location {folder}/\n"
    broker = Mosquitto(folder, passwords=USERS, extra_config=f"acl_file {ACL_EXAMPLE}\n{extra}")
    broker.start()
    return broker


@pytest.fixture
def acl_broker(tmp_path: Path) -> Iterator[Mosquitto]:
    """A mosquitto whose password listener uses the shipped ACL example and the shipped wallboard.conf."""
    broker = _broker(tmp_path / "broker", shipped_directives())
    try:
        yield broker
    finally:
        broker.stop()


def _client(broker: Mosquitto, user: str, client_id: str | None = None) -> ToolClient:
    assert broker.auth_port is not None
    client = ToolClient("127.0.0.1", broker.auth_port, username=user, password=USERS[user], client_id=client_id)
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
        floor1.publish("wallboard/london/floor1/screenshot/text", b'{"schema":1}')
        floor1.publish("wallboard/london/floor2/screenshot/text", b'{"forged":true}')
        watcher.publish("wallboard/london/floor2/config", b"# from the admin\n")
        topics = [topic for topic, _ in _received(watcher)]
        assert "wallboard/london/floor1/status" in topics  # the board may write its own status
        assert "wallboard/london/floor1/screenshot/text" in topics  # and its screenshot's text twin
        assert "wallboard/london/floor2/screenshot/text" not in topics  # not another board's
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


def test_the_shipped_conf_ties_client_ids_to_usernames() -> None:
    """The shipped broker config sets use_username_as_clientid (what the takeover tests below rely on)."""
    assert "use_username_as_clientid true\n" in shipped_directives()


def _floor2_board(broker: Mosquitto, folder: Path) -> Board:
    """floor2's real board, logged in with its own account on the password listener."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "password").write_text(USERS["board-london-floor2"] + "\n")
    (folder / "board.toml").write_text(
        f'[site]\nid = "london"\n[board]\nid = "floor2"\n[mqtt]\nhost = "127.0.0.1"\nport = {broker.auth_port}\n'
        'username = "board-london-floor2"\npassword_file = "password"\nkeepalive = "2s"\n'
        f'reconnect_min = "1s"\nreconnect_max = "1s"\n[cache]\ndir = "{folder / "state"}"\n'
    )
    board = compose_board(load_config(folder / "board.toml"), outputs=no_outputs)
    board.start()
    step_until(board, lambda: board.state.link.status is LinkStatus.UP, what="floor2 connected")
    return board


def _steal_floor2s_session(broker: Mosquitto, board: Board, times: int) -> tuple[int, int]:
    """Connect with floor1's credentials and floor2's client id ``times`` times; (wills seen, floor2 drops)."""
    watcher = _client(broker, "wallboard-admin")
    watcher.subscribe("wallboard/london/floor2/status")
    run_for(board, 0.5)
    _received(watcher, 0.3)  # the retained online status
    drops = 0
    try:
        for _ in range(times):
            thief = _client(broker, "board-london-floor1", client_id="wallboard-london-floor2")
            run_for(board, 0.4)
            drops += board.state.link.status is not LinkStatus.UP
            thief.publish("wallboard/london/floor2/status", b'{"status":"online","board":"forged"}', timeout=1)
            thief.close()
            step_until(board, lambda: board.state.link.status is LinkStatus.UP, what="floor2 back up")
        wills = sum(b'"offline"' in payload or b"forged" in payload for _, payload in _received(watcher, 0.5))
        return wills, drops
    finally:
        watcher.close()


def test_floor1s_password_cannot_disconnect_or_impersonate_floor2(acl_broker: Mosquitto, tmp_path: Path) -> None:
    """With the shipped config, floor1's credentials using floor2's client id leave floor2 connected, 5 times of 5."""
    board = _floor2_board(acl_broker, tmp_path / "floor2")
    try:
        wills, drops = _steal_floor2s_session(acl_broker, board, 5)
    finally:
        board.close()
    assert (wills, drops) == (0, 0)


def test_without_the_client_id_rule_a_stolen_password_silences_another_board(tmp_path: Path) -> None:
    """The control: the same ACL without use_username_as_clientid lets floor1's password kick floor2 off."""
    broker = _broker(tmp_path / "broker", "")
    try:
        board = _floor2_board(broker, tmp_path / "floor2")
        try:
            wills, drops = _steal_floor2s_session(broker, board, 2)
        finally:
            board.close()
    finally:
        broker.stop()
    assert wills >= 1 and drops >= 1


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


def test_floor2_gets_the_acd_bridges_own_topics(acl_broker: Mosquitto) -> None:
    """floor2's user receives what acd-london publishes on acd/london/support/*, the topics floor2.toml maps."""
    floor2 = _client(acl_broker, "board-london-floor2")
    acd = _client(acl_broker, "acd-london")
    try:
        floor2.subscribe("acd/london/support/waiting")
        floor2.subscribe("acd/london/support/summary")
        time.sleep(0.3)
        assert acd.publish("acd/london/support/waiting", b"7")
        assert acd.publish("acd/london/support/summary", b'{"SL": 81.5, "timestamp": 1763800000}')
        got = _received(floor2)
    finally:
        acd.close()
        floor2.close()
    assert [topic for topic, _ in got] == ["acd/london/support/waiting", "acd/london/support/summary"]


WALLBOARD = Path(sys.executable).parent / "wallboard"


def _simulate(broker: Mosquitto, tmp_path: Path, *login: str) -> subprocess.CompletedProcess[str]:
    """`wallboard simulate` for 2 s against the shipped listener, with the login options given."""
    return subprocess.run(
        [str(WALLBOARD), "simulate", "--broker", f"127.0.0.1:{broker.auth_port}", "--site", "london",
         "--queues", "sales", "--rate", "5", "--duration", "2", "--seed", "1", *login],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip


def test_simulate_feeds_a_shipped_site_broker_with_the_feeds_login(acl_broker: Mosquitto, tmp_path: Path) -> None:
    """`simulate --username feed-london --password-file` publishes London's queues; with no login it is refused."""
    (tmp_path / "feed.pw").write_text(USERS["feed-london"] + "\n")
    watcher = _client(acl_broker, "wallboard-admin")
    try:
        watcher.subscribe("cc/#")
        time.sleep(0.3)
        result = _simulate(acl_broker, tmp_path, "--username", "feed-london", "--password-file", "feed.pw")
        topics = {topic for topic, _ in _received(watcher, 0.5)}
        refused = _simulate(acl_broker, tmp_path)
    finally:
        watcher.close()
    assert result.returncode == 0, result.stderr
    assert "cc/london/queue/sales" in topics and "as feed-london" in result.stderr
    assert "refused the simulator" in refused.stderr


def test_simulate_connects_over_tls_with_the_ca_file(tmp_path: Path) -> None:
    """`simulate --ca-file` verifies the broker's certificate and publishes over TLS, as a board's [mqtt.tls] does."""
    tls = make_tls_files(tmp_path / "tls")
    broker = Mosquitto(tmp_path / "broker", tls=tls)
    broker.start()
    try:
        watcher = ToolClient("127.0.0.1", broker.port)
        watcher.connect()
        try:
            watcher.subscribe("cc/#")
            time.sleep(0.3)
            result = subprocess.run(
                [str(WALLBOARD), "simulate", "--broker", f"127.0.0.1:{broker.tls_port}", "--site", "london",
                 "--queues", "sales", "--rate", "5", "--duration", "2", "--ca-file", str(tls.ca)],
                capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            topics = {topic for topic, _ in _received(watcher, 0.5)}
        finally:
            watcher.close()
    finally:
        broker.stop()
    assert result.returncode == 0 and "over TLS" in result.stderr, result.stderr
    assert "cc/london/queue/sales" in topics
