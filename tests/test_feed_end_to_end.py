"""``wallboard feed asterisk`` as a real process: fake PBX -> feed -> real mosquitto -> a real board."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pytest

from tests.ami_thread import AmiThread
from tests.broker import Mosquitto, free_port, require
from tests.conftest import board_toml
from tests.fake_ami import FakeAmi, Member, Queue
from tests.feed_helpers import make_context, make_runner
from tests.helpers import ManualClock, step_until, wait_until
from wallboard.app.loop.compose import compose_board, no_outputs
from wallboard.device.config.reading import load_config
from wallboard.device.wire.payloads import FeedStatus
from wallboard.device.wire.topics import feed_status
from wallboard.feeds.asterisk import AsteriskAdapter, AsteriskSection
from wallboard.feeds.daycount import period_start
from wallboard.feeds.publisher import MqttFeedPublisher


@pytest.fixture
def pbx() -> Iterator[AmiThread]:
    ami = FakeAmi()
    ami.queues["sales"] = Queue("sales", members=[Member("Alice"), Member("Bob", status=2, in_call=True)], waits=[30])
    thread = AmiThread(ami)
    try:
        yield thread
    finally:
        thread.close()


def _feed_config(
    folder: Path, ami_port: int, mqtt_port: int, secret: str = "s3cret", mode: int = 0o600, mqtt_login: str = ""
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ami.secret").write_text(secret + "\n")
    (folder / "ami.secret").chmod(mode)
    path = folder / "feed-asterisk.toml"
    path.write_text(
        f"""
[feed]
site = "lab"
time_zone = "Europe/London"
state_dir = "{folder / "state"}"
poll_interval_s = 0.2
heartbeat_s = 5
[mqtt]
host = "127.0.0.1"
port = {mqtt_port}
{mqtt_login}
[asterisk]
port = {ami_port}
username = "wallboard"
secret_file = "ami.secret"
"""
    )
    return path


def _feed(config: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "wallboard.app.cli", "feed", "asterisk", "--config", str(config), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _retained(mosquitto: Mosquitto, topic: str) -> dict[str, object]:
    tool = require("mosquitto_sub")
    out = subprocess.run(
        [tool, "-h", "127.0.0.1", "-p", str(mosquitto.port), "-t", topic, "-C", "1", "-W", "5"],
        capture_output=True,
        text=True,
        timeout=10,
    ).stdout
    result: dict[str, object] = json.loads(out) if out.strip() else {}
    return result


def test_asterisk_feed_to_a_real_board_and_a_kill_loses_no_counts(
    pbx: AmiThread, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    """The board shows the PBX's numbers; SIGKILL leaves status offline (will); a new feed counts on from there."""
    config = _feed_config(tmp_path / "feed", pbx.ami.port, mosquitto.port)
    board_file = tmp_path / "board.toml"
    board_file.write_text(board_toml(mosquitto.port, tmp_path / "board-state"))
    board = compose_board(load_config(board_file), outputs=no_outputs)
    board.start()
    feed = _feed(config)
    try:

        def shows(key: str, value: float) -> bool:
            got = board.state.value(key)
            return got is not None and got.value == value

        step_until(board, lambda: shows("sales.calls_waiting", 1), what="calls waiting from the PBX", timeout=20)
        assert shows("sales.agents_on_call", 1) and shows("sales.agents_available", 1)
        wait_until(lambda: pbx.ami.logins >= 1, what="the feed's AMI login")
        for uid in ("9.1", "9.2", "9.3"):
            pbx.emit("QueueCallerJoin", Queue="sales", Uniqueid=uid, Position=1)
        pbx.emit("AgentConnect", Queue="sales", Uniqueid="9.1", MemberName="Alice", HoldTime=5)
        step_until(board, lambda: shows("sales.offered", 3) and shows("sales.answered", 1), what="today's counts")
        status = _retained(mosquitto, "wallboard/lab/feed/asterisk/status")
        assert status["summary"] == "online"
        # The declaration, retained with the status, reaches the board with the feed's health.
        assert "agents_wrap" in status["not_supplied"] and "calls_waiting" in status["supplies"]  # type: ignore[operator]
        step_until(board, lambda: "agents_wrap" in board.state.feeds["asterisk"].not_supplied, what="not_supplied")

        feed.send_signal(signal.SIGKILL)
        feed.wait(10)
        wait_until(
            lambda: _retained(mosquitto, "wallboard/lab/feed/asterisk/status").get("summary") == "offline",
            what="the will marking the feed offline",
            timeout=30,
        )
        feed = _feed(config)
        wait_until(lambda: pbx.ami.logins >= 2, what="the restarted feed's AMI login", timeout=20)
        pbx.emit("QueueCallerJoin", Queue="sales", Uniqueid="9.4", Position=1)
        step_until(board, lambda: shows("sales.offered", 4), what="the count carried on after the restart")
        assert shows("sales.answered", 1)
    finally:
        feed.send_signal(signal.SIGTERM)
        output = feed.communicate(timeout=20)[0]
        board.close()
    assert feed.returncode == 0, output
    offline = _retained(mosquitto, "wallboard/lab/feed/asterisk/status")
    assert offline["summary"] == "offline" and "agents_wrap" in offline["not_supplied"]  # type: ignore[operator]


def _once(config: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wallboard.app.cli", "feed", "asterisk", "--config", str(config), "--once", *extra],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_once_prints_a_snapshot_and_its_exit_status_is_the_health(
    pbx: AmiThread, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    """--once: exit 0 with the snapshot when healthy, 1 with the reason on a wrong secret, 2 on a readable secret."""
    good = _feed_config(tmp_path / "good", pbx.ami.port, mosquitto.port)
    done = _once(good)
    assert done.returncode == 0, done.stderr
    snapshot = json.loads(done.stdout)
    assert snapshot["status"]["summary"] == "online" and snapshot["broker"] == {"ok": True, "reason": None}
    assert snapshot["queues"]["sales"]["calls_waiting"] == 1 and "offered" not in snapshot["queues"]["sales"]
    # It published its status and stopped as a clean stop does: offline, with what the platform can supply.
    left = _retained(mosquitto, "wallboard/lab/feed/asterisk/status")
    assert left["summary"] == "offline" and "agents_wrap" in left["not_supplied"]  # type: ignore[operator]

    wrong = _feed_config(tmp_path / "wrong", pbx.ami.port, mosquitto.port, secret="nope")
    done = _once(wrong)
    assert done.returncode == 1
    assert json.loads(done.stdout)["status"]["summary"] == (
        "degraded: AMI login refused for wallboard: Authentication failed"
    )
    assert "platform: degraded: AMI login refused for wallboard" in done.stderr

    readable = _feed_config(tmp_path / "readable", pbx.ami.port, mosquitto.port, mode=0o640)
    done = _once(readable)
    assert done.returncode == 2 and "readable by group or others (mode 0640)" in done.stderr


def test_once_without_the_mqtt_password_credential_says_so_and_exits_2_before_connecting(
    pbx: AmiThread, tmp_path: Path
) -> None:
    """A config naming $CREDENTIALS_DIRECTORY/mqtt-password the unit does not load: exit 2 naming it, no AMI login."""
    config = _feed_config(
        tmp_path / "feed",
        pbx.ami.port,
        1,
        mqtt_login='username = "feed-lab"\npassword_file = "$CREDENTIALS_DIRECTORY/mqtt-password"',
    )
    credentials = tmp_path / "credentials"  # what systemd would hand over with only the AMI secret loaded
    credentials.mkdir()
    env = {**os.environ, "CREDENTIALS_DIRECTORY": str(credentials)}
    done = _once(config, env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{config}: mqtt.password_file: secret file {credentials / 'mqtt-password'}" in done.stderr
    assert pbx.ami.logins == 0 and done.stdout == ""


def test_once_reports_a_broker_that_cannot_be_reached_or_refuses_the_login(pbx: AmiThread, tmp_path: Path) -> None:
    """The platform answers but the broker does not (exit 1, "cannot reach"), or refuses the password (exit 1)."""
    unreachable = _feed_config(tmp_path / "unreachable", pbx.ami.port, free_port())
    done = _once(unreachable)
    assert done.returncode == 1, done.stderr
    snapshot = json.loads(done.stdout)
    assert snapshot["status"]["summary"] == "online" and snapshot["broker"]["ok"] is False
    assert snapshot["broker"]["reason"].startswith("cannot reach the broker at 127.0.0.1:")
    assert "broker: cannot reach the broker at 127.0.0.1:" in done.stderr

    broker = Mosquitto(tmp_path / "broker", passwords={"feed-lab": "right"})
    broker.start()
    try:
        (tmp_path / "mqtt.password").write_text("wrong\n")
        (tmp_path / "mqtt.password").chmod(0o600)
        login = f'username = "feed-lab"\npassword_file = "{tmp_path / "mqtt.password"}"'
        refused = _feed_config(tmp_path / "refused", pbx.ami.port, broker.auth_port or 0, mqtt_login=login)
        done = _once(refused)
        assert done.returncode == 1, done.stderr
        reason = json.loads(done.stdout)["broker"]["reason"]
        assert reason.startswith(f"the broker at 127.0.0.1:{broker.auth_port} refused the feed's login as feed-lab:")
        (tmp_path / "mqtt.password").write_text("right\n")
        done = _once(refused)
        assert done.returncode == 0, done.stderr
    finally:
        broker.stop()


def test_once_with_dry_run_reads_the_platform_only(pbx: AmiThread, tmp_path: Path) -> None:
    """--once --dry-run: the platform's snapshot, no broker (nothing listens on its port), exit 0."""
    config = _feed_config(tmp_path / "feed", pbx.ami.port, free_port())
    done = _once(config, "--dry-run")
    assert done.returncode == 0, done.stderr
    snapshot = json.loads(done.stdout[done.stdout.index("\n{\n") :])  # after the --dry-run lines
    assert snapshot["status"]["summary"] == "online" and "broker" not in snapshot


def test_a_dead_feed_shows_on_the_board_as_feed_offline_not_broker_offline(
    pbx: AmiThread, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    """The feed's will reaches the board: its strip says "FEED OFFLINE: asterisk" while the broker link stays up."""
    import pygame

    from wallboard.device.core.view import BoardView
    from wallboard.display.draw.painter import BoardPainter

    config = _feed_config(tmp_path / "feed", pbx.ami.port, mosquitto.port)
    board_file = tmp_path / "board.toml"
    board_file.write_text(board_toml(mosquitto.port, tmp_path / "board-state"))
    board = compose_board(load_config(board_file), outputs=no_outputs)
    board.start()
    feed = _feed(config)
    try:

        def feed_state() -> str | None:
            health = board.state.feeds.get("asterisk")
            return None if health is None else health.state

        step_until(board, lambda: feed_state() == "online", what="the feed online on the board", timeout=20)
        feed.send_signal(signal.SIGKILL)
        feed.wait(10)
        step_until(board, lambda: feed_state() == "offline", what="the feed's will on the board", timeout=30)
        pygame.font.init()
        painter = BoardPainter(board.config)
        view = BoardView(
            board.config, board.state, board.assessment, time.time(), time.monotonic(), {}, board.handoff.stats()
        )
        painter.paint(view, pygame.Surface((1280, 720)), page=0, phase=0.0)
        words = painter.chrome["strip"].words
        assert any("FEED OFFLINE: asterisk" in word for word in words), words
        assert not any("\u25cb OFFLINE" in word for word in words)
    finally:
        if feed.poll() is None:
            feed.kill()
        feed.wait(10)
        board.close()


def test_an_ami_reconnect_with_no_abandon_yet_keeps_service_level_and_abandon_rate_on_the_board(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    """Feed listening since midnight, 1 answered, 0 abandoned; the PBX restarts: abandoned = 0 and SL stay live."""
    board_file = tmp_path / "board.toml"
    board_file.write_text(board_toml(mosquitto.port, tmp_path / "board-state"))
    board = compose_board(load_config(board_file), outputs=no_outputs)
    board.start()
    zone = ZoneInfo("Europe/London")
    clock = ManualClock(period_start(time.time(), zone) - 1)  # the feed logs in a second before local midnight
    ami = FakeAmi()
    ami.queues["sales"] = Queue("sales", members=[Member("Alice"), Member("Bob", status=2, in_call=True)])

    def live(key: str, since: float) -> float | None:
        held = board.state.value(key)
        return None if held is None or held.measured_at < since else board.state.fresh_value(key)

    async def scenario() -> float:
        await ami.start()
        ctx = make_context(tmp_path / "feed", clock, zone=zone)
        section = AsteriskSection(port=ami.port, username="wallboard", secret_file="unused", timeout_s=2.0)
        will = msgspec.json.encode(FeedStatus(state="offline", summary="offline", adapter="asterisk", ts=0.0))
        publisher = MqttFeedPublisher(
            "127.0.0.1", mosquitto.port, client_id="feed-e2e", status_topic=feed_status("lab", "asterisk"), will=will
        )
        assert publisher.wait_connected(10), "the feed did not reach mosquitto"
        runner = make_runner(AsteriskAdapter(section, "s3cret", ctx), ctx, publisher)
        try:
            await runner.cycle()
            clock.now = time.time()
            await ami.emit("QueueCallerJoin", Queue="sales", Uniqueid="8.1", Position=1)
            await ami.emit("AgentConnect", Queue="sales", Uniqueid="8.1", MemberName="Bob", HoldTime=4)
            await runner.cycle()
            await asyncio.to_thread(
                step_until,
                board,
                lambda: live("sales.service_level_pct", 0) == 100 and live("sales.abandon_rate_pct", 0) == 0,
                what="SL 100 % and abandon rate 0 % before the reconnect",
            )
            await ami.restart(down_for=0.2)  # "core restart now": Shutdown, socket closed, back after 0.2 s
            clock.now = time.time()
            await runner.cycle()
            assert runner.status.state == "degraded"
            for _ in range(100):
                await asyncio.sleep(0.05)
                clock.now = time.time()
                if await runner.cycle() == runner.poll_interval_s and runner.connected:
                    break
            reconnected_at = clock.now
            await ami.emit("QueueCallerJoin", Queue="sales", Uniqueid="8.2", Position=1)
            await runner.cycle()
            assert ami.logins == 2
            return reconnected_at
        finally:
            await runner.adapter.close()
            publisher.close(None)
            await ami.stop()

    try:
        reconnected_at = asyncio.run(scenario())
        payload = _retained(mosquitto, "cc/lab/queue/sales")
        assert payload["offered"] == 2 and payload["abandoned"] == 0 and payload["short_abandoned"] == 0
        assert payload["abandoned_within_target"] == 0
        # The board's SL and abandon rate are worked out from counts published after the reconnect: live, not "--".
        step_until(
            board,
            lambda: (
                live("sales.abandon_rate_pct", reconnected_at) == 0
                and live("sales.service_level_pct", reconnected_at) == 100
            ),
            what="SL and abandon rate from the counts published after the reconnect",
        )
    finally:
        board.close()


AGENTS_PAGE = """
[display]
size = "1280x720"
fullscreen = false
[[display.page]]
columns = 2
rows = 1
widget = [
    { type = "agents", queue = "sales", at = [1, 1] },
    { type = "kpi", metric = "sales.calls_waiting", at = [2, 1] },
]
"""


def test_an_asterisk_fed_agents_bar_is_live_with_wrap_n_a(pbx: AmiThread, mosquitto: Mosquitto, tmp_path: Path) -> None:
    """Fake PBX -> feed process -> mosquitto -> board: the agents bar draws "Wrap n/a", live, and the twin agrees."""
    from wallboard.display.screen import DisplayOutput

    config = _feed_config(tmp_path / "feed", pbx.ami.port, mosquitto.port)
    board_file = tmp_path / "board.toml"
    board_file.write_text(board_toml(mosquitto.port, tmp_path / "board-state", AGENTS_PAGE))
    loaded = load_config(board_file)
    display = DisplayOutput(loaded.config, size=(1280, 720), fullscreen=False)
    board = compose_board(loaded, outputs=lambda ports: [display])
    board.start()
    feed = _feed(config)

    def agents() -> dict[str, Any]:
        board.step()
        twin = display.explain()
        widgets: list[dict[str, Any]] = [] if twin is None else twin["widgets"]  # type: ignore[assignment]
        return next((w for w in widgets if w["type"] == "agents"), {})

    try:
        step_until(board, lambda: agents().get("value_states", {}).get("agents_wrap") == "not_supplied",
                   what="the feed's declaration on the board", timeout=20)  # fmt: skip
        step_until(board, lambda: agents().get("value_states", {}).get("agents_on_call") == "live",
                   what="the agent counts", timeout=20)  # fmt: skip
        bar = agents()
        words = [text["text"] for text in bar["texts"]]
        assert any(word.endswith("Wrap n/a") for word in words), words
        assert not any("NOT LIVE" in word or "NO DATA" in word for word in words), words
        assert bar["stale"] is False
    finally:
        feed.send_signal(signal.SIGTERM)
        feed.communicate(timeout=20)
        board.close()
