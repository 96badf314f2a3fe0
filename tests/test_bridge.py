"""Many sites, one fleet: two site brokers bridged over TLS to a central one, with the shipped configs.

Three real mosquittos on loopback. Each site runs a real board on its own
broker; the shipped ``config/mosquitto/bridge-site.conf`` (placeholders filled)
bridges it to a central broker configured like ``central.conf`` with the
shipped ``acl-central.example``. The WAN link is cut by killing the central
broker: the sites keep working, and the central sees everything again when it
returns.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.broker import Mosquitto, TlsFiles, free_port, make_tls_files, require, wait_for_port
from tests.conftest import board_toml
from tests.helpers import step_until, wait_until
from wallboard.app.loop.board import Board
from wallboard.app.loop.compose import compose_board, no_outputs
from wallboard.device.config.reading import load_config

CONFIG = Path(__file__).resolve().parent.parent / "config" / "mosquitto"
PASSWORDS = {"site-london": "pw-london", "site-leeds": "pw-leeds", "wallboard-admin": "pw-admin"}


@dataclass
class Fleet:
    tls: TlsFiles
    central: Mosquitto
    central_port: int
    sites: dict[str, Mosquitto]


def _central(folder: Path, tls: TlsFiles) -> tuple[Mosquitto, int]:
    folder.mkdir(parents=True)
    passwd = folder / "passwd"
    passwd.write_text("")
    for user, password in PASSWORDS.items():
        subprocess.run([require("mosquitto_passwd"), "-b", str(passwd), user, password], check=True)
    port = free_port()
    # central.conf with this machine's paths and port (the listener block is the shipped one's).
    text = (CONFIG / "central.conf").read_text()
    text = text.replace("listener 8883", f"listener {port} 127.0.0.1")
    text = text.replace("/etc/mosquitto/certs/central.crt", str(tls.server_cert))
    text = text.replace("/etc/mosquitto/certs/central.key", str(tls.server_key))
    text = text.replace("/etc/mosquitto/certs/ca.crt", str(tls.ca))
    text = text.replace("/etc/mosquitto/passwd", str(passwd))
    text = text.replace("/etc/mosquitto/acl-central", str(CONFIG / "acl-central.example"))
    text = text.replace("per_listener_settings true\n", "")  # the test harness's own config sets it already
    text += f"persistence_location {folder}/\n"
    broker = Mosquitto(folder, extra_config=text)
    broker.start()
    wait_for_port(port)
    return broker, port


def _site(folder: Path, site: str, tls: TlsFiles, central_port: int) -> Mosquitto:
    bridge = (CONFIG / "bridge-site.conf").read_text()
    for placeholder, value in {
        "@SITE@": site,
        "@CENTRAL_HOST@": "127.0.0.1",
        "@CENTRAL_PORT@": str(central_port),
        "@CA_FILE@": str(tls.ca),
        "@PASSWORD@": PASSWORDS[f"site-{site}"],
    }.items():
        bridge = bridge.replace(placeholder, value)
    broker = Mosquitto(folder, extra_config=bridge)
    broker.start()
    return broker


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    tls = make_tls_files(tmp_path / "tls")
    central, port = _central(tmp_path / "central", tls)
    sites = {site: _site(tmp_path / site, site, tls, port) for site in ("london", "leeds")}
    try:
        yield Fleet(tls, central, port, sites)
    finally:
        for broker in (*sites.values(), central):
            broker.stop()


def _central_retained(fleet: Fleet, topic: str, timeout: float = 3) -> str:
    """The retained message on ``topic`` at the central broker, read over TLS as the admin ('' if none)."""
    result = subprocess.run(
        [
            require("mosquitto_sub"),
            "-h",
            "127.0.0.1",
            "-p",
            str(fleet.central_port),
            "--cafile",
            str(fleet.tls.ca),
            "-u",
            "wallboard-admin",
            "-P",
            PASSWORDS["wallboard-admin"],
            "-t",
            topic,
            "-C",
            "1",
            "-W",
            str(timeout),
        ],
        capture_output=True,
        text=True,
        timeout=timeout + 10,
    )
    return result.stdout.strip()


def _board(fleet: Fleet, tmp_path: Path, site: str) -> Board:
    path = tmp_path / f"{site}.toml"
    path.write_text(board_toml(fleet.sites[site].port, tmp_path / f"{site}-state", site=site, board="floor1"))
    board = compose_board(load_config(path), outputs=no_outputs)
    board.start()
    return board


def test_two_sites_bridged_to_central_survive_a_wan_cut(fleet: Fleet, tmp_path: Path) -> None:
    """Central sees both sites' boards and data; with the WAN cut each site runs on; central catches up after."""
    boards = {site: _board(fleet, tmp_path, site) for site in fleet.sites}
    try:
        fleet.sites["london"].publish("cc/london/queue/sales", '{"calls_waiting": 4}', retain=True)
        board = boards["london"]
        step_until(board, lambda: board.state.value("sales.calls_waiting") is not None, what="london data")
        wait_until(
            lambda: '"calls_waiting": 4' in _central_retained(fleet, "cc/london/queue/sales"),
            what="london data at central",
            timeout=30,
        )

        # `wallboard fleet` against the central broker, over TLS, sees both sites' boards.
        password = tmp_path / "admin.pw"
        password.write_text(PASSWORDS["wallboard-admin"])
        password.chmod(0o600)

        def fleet_sites() -> set[str]:
            result = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "wallboard.app.cli",
                    "fleet",
                    "--broker",
                    f"127.0.0.1:{fleet.central_port}",
                    "--ca-file",
                    str(fleet.tls.ca),
                    "--username",
                    "wallboard-admin",
                    "--password-file",
                    str(password),
                    "--once",
                    "--json",
                    "--timeout",
                    "1",
                ],
                capture_output=True,
                text=True,
                timeout=30,
            )
            return {row["site"] for row in json.loads(result.stdout or "[]")}

        wait_until(lambda: fleet_sites() == {"london", "leeds"}, what="both sites in the central fleet", timeout=30)
        assert _central_retained(fleet, "wallboard/london/bridge/state") == "1"

        # Cut the WAN: the central broker is gone. London's board still gets London's data.
        fleet.central.stop()
        fleet.sites["london"].publish("cc/london/queue/sales", '{"calls_waiting": 9}', retain=True)
        step_until(
            board,
            lambda: board.state.value("sales.calls_waiting").value == 9,  # type: ignore[union-attr]
            what="london data with the WAN down",
        )

        # The WAN comes back: the bridge reconnects and sends what the site published meanwhile.
        fleet.central.start()
        wait_until(
            lambda: '"calls_waiting": 9' in _central_retained(fleet, "cc/london/queue/sales"),
            what="central caught up after the WAN came back",
            timeout=60,
        )
        subprocess.run(
            [
                require("mosquitto_pub"),
                "-h",
                "127.0.0.1",
                "-p",
                str(fleet.central_port),
                "--cafile",
                str(fleet.tls.ca),
                "-u",
                "site-leeds",
                "-P",
                PASSWORDS["site-leeds"],
                "-t",
                "cc/london/queue/sales",
                "-r",
                "-q",
                "1",
                "-m",
                '{"calls_waiting": 666}',
            ],
            capture_output=True,
            timeout=10,
        )
        assert '"calls_waiting": 9' in _central_retained(fleet, "cc/london/queue/sales")
    finally:
        for each in boards.values():
            each.close()
