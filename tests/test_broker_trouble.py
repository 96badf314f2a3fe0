"""Broker trouble in words IT can act on, against a real mosquitto: refused, host not found, TLS, not authorised."""

from __future__ import annotations

import logging
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.broker import Mosquitto, free_port, make_tls_files
from tests.conftest import board_toml
from tests.display_helpers import config_from, count_colour, paint, view_of
from tests.helpers import WriteConfig, step_until
from wallboard.app.loop.board import Board
from wallboard.app.loop.compose import compose_board, no_outputs
from wallboard.device.config.reading import load_config
from wallboard.device.core.values import LinkStatus
from wallboard.device.core.view import BoardView
from wallboard.device.edge.broker_trouble import connect_failure_cause, link_lost_cause, refusal_cause
from wallboard.display.logic.legibility import min_cap_px
from wallboard.display.logic.theme import DARK
from wallboard.ops.health import HealthPublisher


def _board_with(tmp_path: Path, write_config: WriteConfig, port: int, mqtt_extra: str = "", host: str = "") -> Board:
    text = board_toml(port, tmp_path / "state")
    if host:
        text = text.replace('host = "127.0.0.1"', f'host = "{host}"')
    text = text.replace('reconnect_max = "2s"\n', 'reconnect_max = "2s"\n' + mqtt_extra)
    return compose_board(load_config(write_config(text)), outputs=no_outputs)


def _cause_of(board: Board, expected: str, caplog: pytest.LogCaptureFixture) -> str:
    """Start ``board``, wait until its link is down with ``expected`` in the cause; check the log and status."""
    views: list[BoardView] = []
    board.outputs.append(_Capture(views))
    board.start()
    try:
        step_until(
            board,
            lambda: board.state.link.status is LinkStatus.DOWN and expected in board.state.link.detail,
            timeout=20,
            what=f"link down with {expected!r}",
        )
        cause = board.state.link.detail
        board.step()
        status = HealthPublisher(board.source, board.topics, []).document(views[-1])
        assert status["connection"]["detail"] == cause  # type: ignore[index]
        assert status["connection"]["last_failure"]["cause"] == cause  # type: ignore[index]
        assert any(expected in record.getMessage() for record in caplog.records), "the cause is logged"
        return cause
    finally:
        board.close()


class _Capture:
    """An output that keeps the views it is given."""

    def __init__(self, views: list[BoardView]) -> None:
        self.views = views

    def render(self, view: BoardView) -> float:
        self.views.append(view)
        return 1.0

    def close(self) -> None:
        return None


@pytest.fixture
def caplog_warn(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.WARNING, logger="wallboard.device.edge.mqtt_source")
    yield caplog


def test_nothing_listening_is_connection_refused(
    tmp_path: Path, write_config: WriteConfig, caplog_warn: pytest.LogCaptureFixture
) -> None:
    """A port nothing listens on: "connection refused by 127.0.0.1:PORT (nothing listening on that port?)"."""
    port = free_port()
    cause = _cause_of(_board_with(tmp_path, write_config, port), "connection refused", caplog_warn)
    assert cause == f"connection refused by 127.0.0.1:{port} (nothing listening on that port?)"


def test_unknown_host_is_host_not_found(
    tmp_path: Path, write_config: WriteConfig, caplog_warn: pytest.LogCaptureFixture
) -> None:
    """A name that cannot resolve (.invalid is reserved by RFC 2606): "host not found: broker.invalid"."""
    board = _board_with(tmp_path, write_config, 1883, host="broker.invalid")
    cause = _cause_of(board, "host not found", caplog_warn)
    assert cause.startswith("host not found: broker.invalid")


def test_wrong_password_is_not_authorised_and_never_protocol_error(
    tmp_path: Path, write_config: WriteConfig, caplog_warn: pytest.LogCaptureFixture
) -> None:
    """mosquitto with a password file and a wrong password: "not authorised: bad user name or password"."""
    broker = Mosquitto(tmp_path / "broker", passwords={"board-b1": "s3cret"})
    broker.start()
    try:
        secret = tmp_path / "mqtt.password"
        secret.write_text("wrong\n")
        extra = f'username = "board-b1"\npassword_file = "{secret}"\n'
        board = _board_with(tmp_path, write_config, broker.auth_port or 0, extra)
        cause = _cause_of(board, "not authorised", caplog_warn)
        assert cause.startswith("not authorised: user or password refused")
        assert not any("Protocol error" in record.getMessage() for record in caplog_warn.records)
    finally:
        broker.stop()


def test_tls_with_the_wrong_ca_says_the_certificate_is_not_trusted(
    tmp_path: Path, write_config: WriteConfig, caplog_warn: pytest.LogCaptureFixture
) -> None:
    """The broker's certificate from one CA, the board trusting another: "TLS failure: certificate not trusted"."""
    tls = make_tls_files(tmp_path / "tls")
    other = make_tls_files(tmp_path / "other-ca")
    broker = Mosquitto(tmp_path / "broker", tls=tls)
    broker.start()
    try:
        extra = f'[mqtt.tls]\nca_file = "{other.ca}"\n'
        text = board_toml(broker.tls_port or 0, tmp_path / "state").replace("[cache]", extra + "[cache]")
        board = compose_board(load_config(write_config(text)), outputs=no_outputs)
        cause = _cause_of(board, "TLS failure", caplog_warn)
        assert cause.startswith("TLS failure: certificate not trusted")
        assert "wrong mqtt.tls.ca_file?" in cause
    finally:
        broker.stop()


def test_tls_to_a_plain_port_says_it_does_not_speak_tls(
    tmp_path: Path, write_config: WriteConfig, caplog_warn: pytest.LogCaptureFixture
) -> None:
    """TLS configured against mosquitto's plain listener: the cause says that port does not speak TLS."""
    tls = make_tls_files(tmp_path / "tls")
    broker = Mosquitto(tmp_path / "broker")
    broker.start()
    try:
        extra = f'[mqtt.tls]\nca_file = "{tls.ca}"\n'
        text = board_toml(broker.port, tmp_path / "state").replace("[cache]", extra + "[cache]")
        board = compose_board(load_config(write_config(text)), outputs=no_outputs)
        cause = _cause_of(board, "TLS", caplog_warn)
        assert "does not speak TLS" in cause or "TLS to a plain port" in cause
    finally:
        broker.stop()


def test_a_listener_that_never_answers_times_out() -> None:
    """A socket that accepts but never completes TLS: the timeout is named as such (mapped from the real error)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        context = ssl.create_default_context()
        with socket.create_connection(("127.0.0.1", port), timeout=0.3) as raw:
            try:
                context.wrap_socket(raw, server_hostname="127.0.0.1")
            except TimeoutError as exc:
                error: BaseException = exc
            else:  # pragma: no cover - the handshake cannot complete
                pytest.fail("the handshake completed against a silent listener")
    assert connect_failure_cause(error, "127.0.0.1", port).startswith("timed out connecting to 127.0.0.1:")


def test_refusal_codes_map_to_causes() -> None:
    """CONNACK 0x86/0x87 (MQTT 5.0 section 3.2.2.2) are "not authorised"; an unknown code keeps the broker's words."""
    assert refusal_cause(0x86, "Bad user name or password").startswith("not authorised: bad user name or password")
    assert refusal_cause(0x87, "Not authorized").startswith("not authorised")
    assert refusal_cause(0x99, "Payload format invalid") == "refused by the broker: Payload format invalid"


@pytest.mark.parametrize(
    "cause",
    [
        "connection refused by 10.0.0.5:1883 (nothing listening on that port?)",
        "host not found: broker.example (check mqtt.host and DNS)",
        "TLS failure: certificate not trusted (unable to get local issuer certificate; wrong mqtt.tls.ca_file?)",
        "not authorised: bad user name or password (mqtt.username, mqtt.password_file)",
        refusal_cause(0x87, "Not authorized"),
        "timed out connecting to 10.0.0.5:8883 (firewall, or the wrong address?)",
        "broker.example.com:443 does not answer in MQTT (not an MQTT broker? wrong port, or TLS expected?)",
        "lost: the broker closed the connection (broker stopped or restarted, or a network reset)",
    ],
)
def test_each_cause_is_on_the_offline_banner(cause: str) -> None:
    """The banner's second line reads "Broker: <cause>" (its hint in brackets stays in the log), legible from 10 m."""
    config = config_from(Path(__file__).resolve().parent.parent / "config" / "boards" / "floor1.toml")
    view = view_of(
        config, {"link": "down", "down_for_s": 300, "link_detail": cause, "metrics": {"sales.calls_waiting": 4}}
    )
    surface, painter = paint(config, view, (1920, 1080))
    banner = painter.chrome["banner"]
    assert count_colour(surface, banner.cell, DARK.banner) > 20_000  # the purple banner, by pixel
    line = banner.words.index(f"Broker: {cause.split(' (')[0]}")
    assert painter.fonts.cap_height(banner.sizes[line]) >= min_cap_px(1080)
    for x, y, w, h in banner.text:
        bx, by, bw, bh = banner.cell
        assert bx <= x and x + w <= bx + bw and by <= y and y + h <= by + bh


class _NotABroker:
    """A real loopback TCP server that takes each connection, reads the CONNECT and answers ``reply`` (not MQTT)."""

    def __init__(self, reply: bytes) -> None:
        self._reply = reply
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._server.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                peer, _ = self._server.accept()
            except OSError:
                return  # closed
            with peer:
                self.connections += 1
                peer.settimeout(2)
                try:
                    peer.recv(4096)
                    peer.sendall(self._reply)
                except OSError:
                    pass

    def close(self) -> None:
        self._server.close()


# What an HTTP server answers to bytes it cannot parse, and a TLS server's alert to a plain-text hello.
_HTTP_REPLY = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
_TLS_ALERT = bytes.fromhex("15030300020246")


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (_TLS_ALERT, "127.0.0.1:{port} does not answer in MQTT (not an MQTT broker? wrong port, or TLS expected?)"),
        (_HTTP_REPLY, "127.0.0.1:{port} closed the connection without an MQTT answer "
                      "(not an MQTT broker? wrong port, or TLS expected?)"),
    ],
)  # fmt: skip
def test_a_peer_that_is_not_a_broker_is_named_with_a_hint_and_logged_once(
    tmp_path: Path, write_config: WriteConfig, caplog_warn: pytest.LogCaptureFixture, reply: bytes, expected: str
) -> None:
    """A TLS port or an HTTP server on the broker's address: named as not a broker with a hint, one log line."""
    peer = _NotABroker(reply)
    try:
        board = _board_with(tmp_path, write_config, peer.port)
        board.start()
        try:
            step_until(board, lambda: peer.connections >= 3, timeout=30, what="three connect attempts")
            step_until(board, lambda: board.state.link.status is LinkStatus.DOWN, timeout=10, what="link down")
            assert board.state.link.detail == expected.format(port=peer.port)
        finally:
            board.close()
    finally:
        peer.close()
    lines = [r.getMessage() for r in caplog_warn.records]
    assert [line for line in lines if "MQTT" in line and "answer" in line] == [
        f"MQTT broker 127.0.0.1:{peer.port}: {expected.format(port=peer.port)}; retrying with backoff"
    ], "said once, not on every retry"
    assert not any("lost:" in line for line in lines), "never 'lost: Protocol error' for a link that never came up"


def test_plain_mqtt_to_mosquittos_tls_port_hints_that_tls_is_expected(
    tmp_path: Path, write_config: WriteConfig, caplog_warn: pytest.LogCaptureFixture
) -> None:
    """No [mqtt.tls] against mosquitto's TLS listener: the cause names the port and asks "TLS expected?"."""
    broker = Mosquitto(tmp_path / "broker", tls=make_tls_files(tmp_path / "tls"))
    broker.start()
    try:
        board = _board_with(tmp_path, write_config, broker.tls_port or 0)
        cause = _cause_of(board, "MQTT", caplog_warn)
        assert cause.startswith(f"127.0.0.1:{broker.tls_port} ")
        assert cause.endswith("(not an MQTT broker? wrong port, or TLS expected?)")
    finally:
        broker.stop()


def test_a_broker_stopped_cleanly_says_it_closed_the_connection(
    tmp_path: Path, write_config: WriteConfig, caplog_warn: pytest.LogCaptureFixture
) -> None:
    """mosquitto stopped with SIGTERM (no DISCONNECT): "lost: the broker closed the connection", not "Unspecified"."""
    broker = Mosquitto(tmp_path / "broker")
    broker.start()
    board = _board_with(tmp_path, write_config, broker.port)
    board.start()
    try:
        step_until(board, lambda: board.state.link.status is LinkStatus.UP, timeout=20, what="link up")
        broker.terminate()
        step_until(board, lambda: board.state.link.status is LinkStatus.DOWN, timeout=20, what="link down")
        cause = "lost: the broker closed the connection (broker stopped or restarted, or a network reset)"
        assert board.state.link.detail == cause
    finally:
        board.close()
        broker.stop()
    lines = [r.getMessage() for r in caplog_warn.records]
    assert f"MQTT link to 127.0.0.1:{broker.port} {cause}; retrying with backoff" in lines
    assert not any("Unspecified error" in line for line in lines)


@pytest.mark.parametrize(
    ("reason", "from_broker", "expected"),
    [
        ("Server shutting down", True, "the broker is shutting down (it will be retried)"),
        ("Session taken over", True,
         "disconnected by the broker: another client took this client id (mqtt.client_id used twice?)"),
        ("Keep alive timeout", False,
         "lost: no answer from the broker within the keepalive (network down, or the broker hung?)"),
        ("Administrative action", True, "disconnected by the broker: Administrative action"),
    ],
)  # fmt: skip
def test_a_lost_link_says_why_in_words(reason: str, from_broker: bool, expected: str) -> None:
    """paho's disconnect reasons after a connected link (MQTT 5 DISCONNECT or not) become plain causes."""
    assert link_lost_cause(reason, from_broker=from_broker, acknowledged=True, address="10.0.0.5:1883") == expected
