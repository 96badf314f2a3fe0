"""The fleet page's systemd unit: valid, sandboxed, and its command line, expanded as systemd does, serves the page.

``systemd/wallboard-fleet-web.service`` runs ``wallboard fleet --serve`` from settings in
``/etc/default/wallboard-fleet-web`` (the shipped ``wallboard-fleet-web.default``) and credentials. No systemd
runs here, so the last test expands the unit's ``ExecStart=`` the way systemd.service(5) says (``%d`` the
credentials directory, ``${VAR}`` one word, ``$VAR`` split on white space; ``Environment=`` then
``EnvironmentFile=``) and runs that command against a real mosquitto over TLS.
"""

from __future__ import annotations

import re
import shlex
import signal
import subprocess
from pathlib import Path

import httpx

from tests.broker import Mosquitto, free_port, make_tls_files, require, wait_for_port
from tests.fleet_web_support import WALLBOARD, wait_for
from tests.timing import scaled

SYSTEMD = Path(__file__).resolve().parent.parent / "systemd"
UNIT = SYSTEMD / "wallboard-fleet-web.service"
DEFAULTS = SYSTEMD / "wallboard-fleet-web.default"
INSTALLED = "/opt/wallboard/venv/bin/wallboard"


def _directives(name: str) -> list[str]:
    return re.findall(rf"^{name}=(.*)$", UNIT.read_text(), re.MULTILINE)


def test_the_fleet_page_unit_passes_systemd_analyze_verify_and_is_sandboxed(tmp_path: Path) -> None:
    """`systemd-analyze verify` accepts it; `security --offline` rates it under 2.0 (measured 1.1)."""
    tool = require("systemd-analyze")
    stand_in = tmp_path / "wallboard"
    stand_in.write_text("#!/bin/sh\nexit 0\n")
    stand_in.chmod(0o755)
    copy = tmp_path / UNIT.name
    copy.write_text(UNIT.read_text().replace(f"ExecStart={INSTALLED}", f"ExecStart={stand_in}"))
    result = subprocess.run([tool, "verify", "--man=no", str(copy)], capture_output=True, text=True,
                            timeout=scaled(60))  # fmt: skip
    assert result.returncode == 0 and UNIT.name not in result.stderr, result.stderr
    rated = subprocess.run([tool, "security", "--offline=true", "--no-pager", str(UNIT)], capture_output=True,
                           text=True, timeout=scaled(60))  # fmt: skip
    found = re.search(r"Overall exposure level for wallboard-fleet-web\.service: (\d+\.\d+)", rated.stdout)
    assert found and float(found.group(1)) < 2.0, rated.stdout[-2000:] + rated.stderr
    assert "DynamicUser=yes" in UNIT.read_text()  # no user to create, and nothing it can write


def _environment(defaults: str) -> dict[str, str]:
    """Environment= (in order), then the EnvironmentFile's KEY=value lines over it, as systemd builds it."""
    environment: dict[str, str] = {}
    for line in _directives("Environment"):
        for word in shlex.split(line):
            key, _, value = word.partition("=")
            environment[key] = value
    for line in defaults.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            environment[key.strip()] = value.strip()
    return environment


def _command(credentials: Path, environment: dict[str, str]) -> list[str]:
    """ExecStart= expanded: %d, then ${VAR} as one word and $VAR split on white space (systemd.service(5))."""
    (line,) = _directives("ExecStart")
    words: list[str] = []
    for word in line.replace("%d", str(credentials)).split():
        if re.fullmatch(r"\$[A-Z_]+", word):
            words += environment.get(word[1:], "").split()
        else:
            words.append(re.sub(r"\$\{([A-Z_]+)\}", lambda m: environment.get(m.group(1), ""), word))
    return words


def test_the_units_command_as_systemd_expands_it_serves_the_page_from_a_tls_broker(tmp_path: Path) -> None:
    """The shipped defaults with the site's values filled, the credentials in place: the page lists the board."""
    tls = make_tls_files(tmp_path / "tls")
    broker = Mosquitto(tmp_path / "broker", tls=tls)
    broker.start()
    try:
        broker.publish("wallboard/london/floor1/status", '{"schema": 1, "status": "online", "interval_s": 60}',
                       retain=True)  # fmt: skip
        broker.publish("wallboard/paris/floor1/status", '{"schema": 1, "status": "online", "interval_s": 60}',
                       retain=True)  # fmt: skip
        credentials = tmp_path / "credentials"  # what LoadCredential= puts in $CREDENTIALS_DIRECTORY
        credentials.mkdir()
        loads = dict(line.split(":", 1) for line in _directives("LoadCredential"))
        assert set(loads) == {"broker-ca", "broker-password"}, loads
        (credentials / "broker-ca").write_bytes(tls.ca.read_bytes())
        (credentials / "broker-password").write_text("monitor-password\n")
        port = free_port()
        shipped = DEFAULTS.read_text()
        assert "FLEET_BROKER=central.example:8883" in shipped and "FLEET_LISTEN=127.0.0.1:8080" in shipped
        site = shipped.replace("central.example:8883", f"localhost:{broker.tls_port}")
        site = site.replace("127.0.0.1:8080", f"127.0.0.1:{port}")
        site = site.replace("FLEET_OPTIONS=\n", "FLEET_OPTIONS=--site london --shot-every 120\n")
        command = _command(credentials, _environment(site))
        assert command[0] == INSTALLED
        command[0] = str(WALLBOARD)
        log = tmp_path / "page.log"
        with log.open("wb") as out:
            page = subprocess.Popen(command, stdout=out, stderr=out)
        try:
            wait_for_port(port, timeout=scaled(20))
            url = f"http://127.0.0.1:{port}/"
            with httpx.Client(timeout=5) as client:
                assert client.get(url).status_code == 200

                def listed() -> list[str]:
                    return [board["id"] for board in client.get(url + "api/boards").json()["boards"]]

                wait_for(lambda: listed() == ["london/floor1"], 15, "london/floor1 alone (--site london)")
                assert client.get(url + "healthz").json()["viewers"] == 0
        finally:
            page.send_signal(signal.SIGINT)
            page.wait(10)
        assert "central.example" not in log.read_text() and page.returncode == 0, log.read_text()
    finally:
        broker.stop()
