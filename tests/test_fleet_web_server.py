"""The ``fleet --serve`` process over HTTP: its login and TLS, its read-only and size bounds, its broker link."""

from __future__ import annotations

import base64
import json
import socket
import ssl
import subprocess
import time
from pathlib import Path

import httpx

from tests.broker import Mosquitto, free_port, make_tls_files
from tests.fleet_web_support import WALLBOARD, FleetServer, boards_json, fleet_server, wait_for


def _status(board: str) -> str:
    return json.dumps({"schema": 1, "status": "online", "published_at": time.time(), "interval_s": 60, "board": board})


def test_with_a_login_and_tls_the_page_asks_for_both_and_stays_read_only_and_bounded(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    tls = make_tls_files(tmp_path / "tls")
    (tmp_path / "web.pw").write_text("s3cret:pass\n")
    mosquitto.publish("wallboard/london/floor1/status", _status("floor1"), retain=True)
    args = ["--web-user", "it", "--web-password-file", str(tmp_path / "web.pw"), "--max-viewers", "2"]
    args += ["--web-cert", str(tls.server_cert), "--web-key", str(tls.server_key)]
    with fleet_server(mosquitto.port, tmp_path, *args, scheme="https") as server:
        with httpx.Client(verify=ssl.create_default_context(cafile=str(tls.ca)), timeout=5) as anonymous:
            refused = anonymous.get(server.url)
            assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Basic")
            assert anonymous.get(server.url + "api/boards", auth=("it", "wrong")).status_code == 401
        with httpx.Client(
            verify=ssl.create_default_context(cafile=str(tls.ca)), timeout=5, auth=("it", "s3cret:pass")
        ) as client:
            page = client.get(server.url)
            assert page.status_code == 200 and "Wallboard fleet" in page.text
            assert "script-src 'self'" in page.headers["content-security-policy"]
            assert page.headers["x-content-type-options"] == "nosniff"
            assert client.get(server.url + "static/fleet.js").status_code == 200
            trusted = ssl.create_default_context(cafile=str(tls.ca))
            listed = lambda: len(boards_json(server, verify=trusted, auth=("it", "s3cret:pass"))["boards"]) == 1  # noqa: E731
            wait_for(listed, 10, "the board in /api/boards")
            # Read-only: nothing but GET; no body; no giant request.
            for method in ("POST", "PUT", "DELETE", "PATCH"):
                assert client.request(method, server.url + "api/boards").status_code == 405
            assert client.request("GET", server.url + "api/boards", content=b"x" * 10).status_code == 413
            assert client.get(server.url + "api/boards?" + "a" * 5000).status_code in (414, 431, 400)
            assert client.get(server.url + "api/shot?id=london/nobody").status_code == 404
            assert client.get(server.url + "api/status?id=../../etc/passwd").status_code == 404
            # Viewers are bounded: a third live page is turned away, and places free when pages close.
            first, second = _open_events(server, tls.ca), _open_events(server, tls.ca)
            try:
                assert client.get(server.url + "events").status_code == 503
            finally:
                first.close()
                second.close()
            wait_for(lambda: client.get(server.url + "healthz").json()["viewers"] == 0, 10, "the viewers gone")
        with httpx.Client(timeout=5) as plain:  # no clear text on the TLS port
            try:
                answered = plain.get(server.url.replace("https", "http")).status_code
            except httpx.HTTPError:
                answered = None
            assert answered is None or answered >= 400


def _open_events(server: FleetServer, ca: Path) -> ssl.SSLSocket:
    """A page's live stream, held open on a socket of its own (as a browser holds it), its first line read."""
    context = ssl.create_default_context(cafile=str(ca))
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    stream = context.wrap_socket(raw, server_hostname="127.0.0.1")
    login = base64.b64encode(b"it:s3cret:pass").decode()
    stream.sendall(f"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {login}\r\n\r\n".encode())
    assert stream.recv(64).startswith(b"HTTP/1.1 200")
    return stream


def test_off_loopback_the_command_refuses_to_serve_without_a_login_and_tls(tmp_path: Path) -> None:
    (tmp_path / "web.pw").write_text("pw\n")
    cases = [
        (["--listen", "192.0.2.7:8080"], "needs a login"),
        (["--listen", "0.0.0.0:8080", "--web-user", "it", "--web-password-file", str(tmp_path / "web.pw")], "TLS"),
        (["--web-user", "it"], "go together"),
        (["--web-user", "it", "--web-password-file", str(tmp_path / "missing.pw")], "--web-password-file"),
        (["--listen", "nowhere"], "HOST:PORT"),
    ]
    for extra, said in cases:
        # The broker is never reached: the settings are refused first.
        result = subprocess.run(
            [str(WALLBOARD), "fleet", "--broker", "127.0.0.1:1", "--serve", *extra],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 2, (extra, result.stderr)
        assert said in result.stderr, (extra, result.stderr)


def test_the_page_says_when_the_server_loses_the_broker_and_catches_up_after_it_returns(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    mosquitto.publish("wallboard/london/floor1/status", _status("floor1"), retain=True)
    with fleet_server(mosquitto.port, tmp_path) as server:
        wait_for(lambda: len(boards_json(server)["boards"]) == 1, 10, "the board listed")
        assert boards_json(server)["broker_up"] is True
        mosquitto.stop()
        lost = wait_for(lambda: boards_json(server)["broker_up"] is False, 10, "the broker link down")
        mosquitto.start()
        back = wait_for(lambda: boards_json(server)["broker_up"] is True, 30, "the broker link back")
        # Subscribed again after the reconnection: a board that starts now is listed.
        mosquitto.publish("wallboard/london/floor2/status", _status("floor2"), retain=True)
        wait_for(lambda: len(boards_json(server)["boards"]) == 2, 10, "the new board listed after the restart")
        print(f"broker down seen after {lost:.1f} s, back after {back:.1f} s")
        # A second server on the same port says so and stops, rather than claim a page it does not serve.
        clash = subprocess.run(
            [str(WALLBOARD), "fleet", "--broker", f"127.0.0.1:{mosquitto.port}", "--serve", "--listen",
             f"127.0.0.1:{server.port}"], capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert clash.returncode == 1 and "cannot serve on 127.0.0.1" in clash.stderr
        assert "fleet page on" not in clash.stdout


def test_the_page_comes_up_before_its_broker_and_catches_up_when_it_answers(tmp_path: Path) -> None:
    """A service that starts before the centre answers (boot order, a WAN still down) serves and says so."""
    broker = Mosquitto(tmp_path / "broker", passwords={"monitor": "pw-monitor"})  # not started yet
    with fleet_server(broker.port, tmp_path) as server:
        first = boards_json(server)
        assert first["broker_up"] is False and first["boards"] == []
        assert "serving the page anyway" in server.log, server.log
        broker.start()
        try:
            broker.publish("wallboard/london/floor1/status", _status("floor1"), retain=True)
            # paho's retry backoff is at most 30 s here (reconnect_delay_set).
            up = wait_for(lambda: boards_json(server)["broker_up"] is True, 40, "the broker link up")
            listed = wait_for(lambda: len(boards_json(server)["boards"]) == 1, 10, "the board listed")
            print(f"broker answered: page live {up:.1f} s later, board listed {listed:.1f} s after that")
        finally:
            broker.stop()
    # A broker that answers and refuses (a wrong password) is a configuration error: say so and stop.
    broker.start()
    try:
        wrong = tmp_path / "wrong.pw"
        wrong.write_text("not-the-password\n")
        refused = subprocess.run(
            [str(WALLBOARD), "fleet", "--broker", f"127.0.0.1:{broker.auth_port}", "--username", "monitor",
             "--password-file", str(wrong), "--serve", "--listen", f"127.0.0.1:{free_port()}"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert refused.returncode == 1 and "refused the connection" in refused.stderr, refused.stderr
    finally:
        broker.stop()
