"""Two sites and a centre as shipped: three real mosquittos on loopback built from ``config/mosquitto/``.

The centre runs ``central.conf`` (TLS, its port and paths swapped in) with ``acl-central.example``; each site
runs ``wallboard.conf`` with ``acl.example`` (London's file; Leeds' is the same with the site's name, as a
site's IT would copy it) and ``bridge-site.conf`` with its placeholders filled, its bridge carried over TLS by
the site's tunnel (``stunnel-bridge.conf``, tests/tunnel.py). Each tunnel reaches the centre through a
``SilentableProxy``, the WAN link a test can cut silently. The one change to a shipped file is the
bridge's ``keepalive_interval``, lowered from 30 s to mosquitto's minimum (5 s) so a silent cut is noticed in
seconds, not in 45. Boards are real ``wallboard run`` processes logged in with their own users.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.acl_files import CONFIG
from tests.broker import Mosquitto, TlsFiles, free_port, require, wait_for_port
from tests.proxy import SilentableProxy
from tests.tunnel import Tunnel
from wallboard.app.tools.fleet import watch
from wallboard.app.tools.mqtt_client import ToolClient

WALLBOARD = Path(sys.executable).parent / "wallboard"
SITES = ("london", "leeds")
BRIDGE_KEEPALIVE_S = 5  # mosquitto's minimum; the shipped file says 30
BOARD_INTERVAL_S = 5.0  # the test boards' [health] interval (30 s by default)
CENTRAL_USERS = {
    "site-london": "pw-site-london",
    "site-leeds": "pw-site-leeds",
    "wallboard-admin": "pw-admin",
    "wallboard-monitor": "pw-monitor",
}


def site_users(site: str) -> dict[str, str]:
    """Every user of a site's ACL (acl.example's users, with the site's name)."""
    names = ["wallboard-admin", "wallboard-monitor", f"acd-{site}", f"feed-{site}"]
    names += [f"board-{site}-{board}" for board in ("floor1", "floor2", "overview")]
    return {name: f"pw-{site}-{name}" for name in names}


def shipped_setting(file: str, key: str) -> int:
    """An integer directive of a shipped broker file (e.g. central.conf's autosave_interval)."""
    found = re.search(rf"^{key} (\d+)$", (CONFIG / file).read_text(), re.MULTILINE)
    assert found, f"{file} has no {key}"
    return int(found.group(1))


def _passwd(path: Path, users: dict[str, str]) -> Path:
    path.write_text("")
    for user, password in users.items():
        subprocess.run([require("mosquitto_passwd"), "-b", str(path), user, password], check=True)
    path.chmod(0o600)
    return path


def _own_listener(text: str, shipped_port: int, port: int, paths: dict[str, Path]) -> str:
    """A shipped file with this machine's loopback port and files, without per_listener_settings (the harness's)."""
    text = text.replace(f"listener {shipped_port}\n", f"listener {port} 127.0.0.1\n")
    for shipped, real in paths.items():
        text = text.replace(f" {shipped}\n", f" {real}\n")
    return text.replace("per_listener_settings true\n", "")


@dataclass
class Board:
    """A ``wallboard run`` process of one site."""

    site: str
    board: str
    config: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (self.config.parent / f"{self.board}.log").open("ab")
        self.process = subprocess.Popen([str(WALLBOARD), "run", "--config", str(self.config)],
                                        env=dict(os.environ), stdout=log, stderr=log)  # fmt: skip

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None


@dataclass
class Site:
    name: str
    broker: Mosquitto
    port: int  # the shipped listener (passwords, ACL, client id = username)
    link: SilentableProxy  # the WAN between this site's tunnel and the centre
    tunnel: Tunnel  # the TLS half of the bridge (stunnel), on the site machine
    folder: Path
    boards: dict[str, Board] = field(default_factory=dict)

    def start(self) -> None:
        self.broker.start()
        wait_for_port(self.port)


@dataclass
class Centre:
    """The central broker and the sites bridged to it."""

    tls: TlsFiles
    broker: Mosquitto
    port: int
    sites: dict[str, Site]

    def start(self) -> None:
        self.broker.start()
        wait_for_port(self.port)

    def client(self, user: str = "wallboard-monitor", client_id: str | None = None) -> ToolClient:
        """A connected client at the centre, over TLS, as ``user``."""
        client = ToolClient("127.0.0.1", self.port, username=user, password=CENTRAL_USERS[user],
                            ca_file=str(self.tls.ca), client_id=client_id)  # fmt: skip
        client.connect()
        return client

    def site_client(self, site: str, user: str, client_id: str | None = None) -> ToolClient:
        """A connected client at ``site``'s broker, on its shipped listener, as ``user``."""
        client = ToolClient("127.0.0.1", self.sites[site].port, username=user, password=site_users(site)[user],
                            client_id=client_id)  # fmt: skip
        client.connect()
        return client

    def rows(self, user: str = "wallboard-monitor", site: str | None = None) -> dict[tuple[str, str], dict[str, Any]]:
        """One ``wallboard fleet --once --json`` snapshot (in process), at the centre or at ``site``, by board."""
        client = self.site_client(site, user) if site else self.client(user)
        out = io.StringIO()
        try:
            watch(client, as_json=True, once=True, duration=0.7, out=out)
        finally:
            client.close()
        return {(row["site"], row["board"]): row for row in json.loads(out.getvalue())}

    def fleet_command(self, *args: str, folder: Path) -> subprocess.CompletedProcess[str]:
        """``wallboard fleet`` at the centre, as IT runs it: TLS, the monitor user, a password file."""
        password = folder / "monitor.pw"
        password.write_text(CENTRAL_USERS["wallboard-monitor"] + "\n")
        password.chmod(0o600)
        return subprocess.run(
            [str(WALLBOARD), "fleet", "--broker", f"127.0.0.1:{self.port}", "--ca-file", str(self.tls.ca),
             "--username", "wallboard-monitor", "--password-file", str(password), *args],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    def add_board(self, site: str, board: str) -> Board:
        """Write a board's config (its own user and password file) and start it."""
        folder = self.sites[site].folder / "boards"
        folder.mkdir(exist_ok=True)
        user = f"board-{site}-{board}"
        (folder / f"{board}.pw").write_text(site_users(site)[user] + "\n")
        config = folder / f"{board}.toml"
        # The boards keep the shipped keepalive (7 s), the one a site runs with.
        config.write_text(
            f'[site]\nid = "{site}"\n[board]\nid = "{board}"\n'
            f'[mqtt]\nhost = "127.0.0.1"\nport = {self.sites[site].port}\nusername = "{user}"\n'
            f'password_file = "{board}.pw"\nreconnect_min = "1s"\nreconnect_max = "2s"\n'
            f'[health]\ninterval = "{BOARD_INTERVAL_S:g}s"\n'
            f'[display]\nsize = "480x270"\nfullscreen = false\n'
            f'[cache]\ndir = "{folder / (board + "-state")}"\nflush_interval = "0.5s"\n'
        )
        started = self.sites[site].boards[board] = Board(site, board, config)
        started.start()
        return started

    def stop(self) -> None:
        for site in self.sites.values():
            for board in site.boards.values():
                board.kill()
            site.link.close()
            site.broker.stop()
            site.tunnel.stop()
        self.broker.stop()


def build_centre(folder: Path, tls: TlsFiles, *, without_bridge_line: str = "", direct_tls: bool = False) -> Centre:
    """The centre and both sites from the shipped files, started; no boards yet (a control may drop a bridge line).

    ``direct_tls`` builds the old setup instead of the tunnel: mosquitto's own bridge TLS straight to the WAN
    (``bridge_cafile``), the one bench/bridge_handshake_cut.py measures beside the shipped one.
    """
    central_folder = folder / "central"
    central_folder.mkdir(parents=True)
    port = free_port()
    text = _own_listener((CONFIG / "central.conf").read_text(), 8883, port, {
        "/etc/mosquitto/certs/central.crt": tls.server_cert,
        "/etc/mosquitto/certs/central.key": tls.server_key,
        "/etc/mosquitto/certs/ca.crt": tls.ca,
        "/etc/mosquitto/passwd": _passwd(central_folder / "passwd", CENTRAL_USERS),
        "/etc/mosquitto/acl-central": CONFIG / "acl-central.example",
    })  # fmt: skip
    # Notices too (connections, bridges, saves): what a failure message shows of each broker's log.
    central = Mosquitto(central_folder, extra_config=f"log_type notice\n{text}persistence_location {central_folder}/\n")
    centre = Centre(tls, central, port, {})
    centre.start()
    for name in SITES:
        site_folder = folder / name
        site_folder.mkdir(parents=True)
        acl = site_folder / "acl"
        acl.write_text((CONFIG / "acl.example").read_text().replace("london", name))
        site_port = free_port()
        site_text = _own_listener((CONFIG / "wallboard.conf").read_text(), 1883, site_port, {
            "/etc/mosquitto/passwd": _passwd(site_folder / "passwd", site_users(name)),
            "/etc/mosquitto/acl": acl,
        })  # fmt: skip
        link = SilentableProxy(port)
        # The centre by name, as a site connects to it: the tunnel checks the certificate is issued for it.
        tunnel = Tunnel(site_folder, "localhost", link.port, tls.ca)
        if not direct_tls:
            tunnel.start()
        bridge = (CONFIG / "bridge-site.conf").read_text()
        assert without_bridge_line in bridge
        bridge = bridge.replace(without_bridge_line, "") if without_bridge_line else bridge
        assert "address 127.0.0.1:8885\n" in bridge
        target = f"{link.port}\nbridge_cafile {tls.ca}\nbridge_insecure false" if direct_tls else str(tunnel.port)
        bridge = bridge.replace("address 127.0.0.1:8885\n", f"address 127.0.0.1:{target}\n")
        for placeholder, value in {"@SITE@": name, "@PASSWORD@": CENTRAL_USERS[f"site-{name}"]}.items():
            bridge = bridge.replace(placeholder, value)
        assert "@" not in re.sub(r"#.*", "", bridge), "a placeholder left in bridge-site.conf"
        assert "keepalive_interval 30\n" in bridge
        bridge = bridge.replace("keepalive_interval 30\n", f"keepalive_interval {BRIDGE_KEEPALIVE_S}\n")
        extra = f"log_type notice\n{site_text}persistence_location {site_folder}/\n{bridge}"
        broker = Mosquitto(site_folder, extra_config=extra)
        site = centre.sites[name] = Site(name, broker, site_port, link, tunnel, site_folder)
        site.start()
    return centre


def retained(centre: Centre, topic: str, *, site: str | None = None, wait: float = 1.0) -> bytes | None:
    """The retained message on ``topic`` at the centre (or at ``site``), read as the admin; None if none."""
    client = centre.site_client(site, "wallboard-admin") if site else centre.client("wallboard-admin")
    try:
        client.subscribe(topic)
        message = client.next_message(wait)
        return None if message is None else message[1]
    finally:
        client.close()


def wait_for(condition: Any, timeout: float, what: str, interval: float = 0.3, centre: Centre | None = None) -> float:
    """Poll ``condition`` until true; the seconds it took. Fails with ``what`` (and the logs) after ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with contextlib.suppress(ConnectionError):
            if condition():
                return time.monotonic() - started
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}" + (logs(centre) if centre else ""))


def logs(centre: Centre) -> str:
    """The end of every broker's and board's log, for a failure message."""
    files = [centre.broker.log_file]
    for site in centre.sites.values():
        files += [site.broker.log_file, site.tunnel.log_file, *sorted((site.folder / "boards").glob("*.log"))]
    return "".join(f"\n--- {path}:\n{path.read_text(errors='replace')[-1500:]}" for path in files if path.exists())
