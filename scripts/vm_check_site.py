"""vm-check's bridged site: the docs' multi-site steps run in the image, and checked under the guest's systemd.

scripts/vm-check.sh --bridged-site calls it twice:

    python scripts/vm_check_site.py steps RUN CENTRE_PORT
        prints the shell the image's chroot runs: docs/deployment.md §11 "Each site's broker" and docs/fleet.md
        "As a service", as written, changed only where a chroot cannot do what a running machine does (no sudo,
        `enable` without `--now`, no restart/status/journal lines, the project's own source for the wheel, the
        test CA and passwords). Each change must match the docs, so a doc that moves on fails here first.
    python scripts/vm_check_site.py check RUN CENTRE_PORT SITE_PORT POWER_ON
        the centre (mosquitto, config/mosquitto/central.conf over TLS) on this host, which the guest reaches as
        central.example (QEMU's 10.0.2.2); then what a site's IT would check of the guest, through its
        command channel (a root shell on its second serial port, vm-check's own) and MQTT:
          1. the stunnel unit with our drop-in runs under systemd, the bridge is up at the centre, and the
             centre lists the guest's board;
          2. the fleet page's unit (DynamicUser, the credentials, its sandbox) runs and serves that board;
          3. stunnel SIGKILLed: systemd restarts it (the drop-in's Restart=) and the bridge comes back;
          4. the centre replaced for 30 s by a listener that closes every connection at once (a load balancer
             with no backend): the site broker keeps serving (round trips through it, its CPU), then the
             bridge comes back to the real centre.

The CA, the centre's certificate (for central.example) and the passwords are made in RUN/centre by `steps`.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "config" / "mosquitto"
CENTRAL_NAME = "central.example"
PASSWORDS = {"site-london": "vm-site-london", "wallboard-monitor": "vm-monitor", "wallboard-admin": "vm-admin"}
VENV = REPO / ".venv" / "bin"


def _block(document: Path, section: str, after: str) -> str:
    """The first ```sh block after ``after`` in ``section`` of ``document``."""
    text = document.read_text(encoding="utf-8").split(section, 1)[1]
    return text.split(after, 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]


def _changed(text: str, old: str, new: str) -> str:
    if old not in text:
        raise SystemExit(f"vm_check_site: the docs no longer say {old!r}: update scripts/vm_check_site.py")
    return text.replace(old, new)


def _certificates(folder: Path) -> None:
    """A company CA and the centre's certificate (central.example, and 127.0.0.1 for this host), by openssl."""
    folder.mkdir(parents=True, exist_ok=True)

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=folder)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=vm-check company CA",
            "-keyout", "ca.key", "-out", "ca.crt")  # fmt: skip
    # The name the sites connect to, and loopback for this host's own checks.
    (folder / "central.ext").write_text(f"subjectAltName=DNS:{CENTRAL_NAME},IP:127.0.0.1\n")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={CENTRAL_NAME}", "-keyout", "central.key",
            "-out", "central.csr")  # fmt: skip
    openssl("x509", "-req", "-in", "central.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-out", "central.crt", "-extfile", "central.ext")  # fmt: skip


def steps(centre_port: int) -> str:
    """The chroot's shell: the site's half of §11, then the fleet page as a service; run from the project's root."""
    site = _block(REPO / "docs" / "deployment.md", "## 11.", "**Each site's broker**")
    site = site.replace("\\\n", " ")
    site = _changed(site, "cd wallboard/config/mosquitto   # a copy of this project, as on the central broker",
                    "cd config/mosquitto")  # fmt: skip
    site = _changed(site, "'s/@CENTRAL_PORT@/8883/'", f"'s/@CENTRAL_PORT@/{centre_port}/'")
    site = _changed(site, "'s/@PASSWORD@/the-site-password/'", f"'s/@PASSWORD@/{PASSWORDS['site-london']}/'")
    site = _changed(site, "sudo systemctl daemon-reload\n", "")
    enable = "systemctl enable --now stunnel@wallboard-bridge && systemctl status stunnel@wallboard-bridge --no-pager"
    site = _changed(site, enable, "systemctl enable stunnel@wallboard-bridge")
    site = _changed(site, "sudo systemctl restart mosquitto\n", "")
    site = site.replace("sudo ", "")
    page = _block(REPO / "docs" / "fleet.md", "### As a service", "On the central broker's host")
    _changed(page, "[ -x /opt/wallboard/venv/bin/pip ] || ", "")  # on a board the venv is install.sh's: kept
    # The project is not on PyPI here: the same source install.sh installed, with the extra.
    page = _changed(page, "pip install 'wallboard[fleet]'", "pip install -q '/opt/wallboard/src[fleet]'")
    page = _changed(page, '<<<"the-monitor-password"', f'<<<"{PASSWORDS["wallboard-monitor"]}"')
    page = _changed(page, "/etc/default/wallboard-fleet-web   # then edit FLEET_BROKER",
                    f"/etc/default/wallboard-fleet-web\nsed -i 's/^FLEET_BROKER=.*/FLEET_BROKER={CENTRAL_NAME}:"
                    f"{centre_port}/' /etc/default/wallboard-fleet-web")  # fmt: skip
    page = _changed(page, "systemctl daemon-reload && sudo systemctl enable --now wallboard-fleet-web",
                    "systemctl enable wallboard-fleet-web")  # fmt: skip
    page = re.sub(r"(?m)^journalctl .*$", "", page).replace("sudo ", "")
    return "\n".join([
        "set -euxo pipefail",
        "cp ca.crt config/mosquitto/ca.crt",  # vm-check puts the company CA in the project's root
        f"echo '10.0.2.2 {CENTRAL_NAME}' >>/etc/hosts",
        f"( {site} )",
        page,
    ])  # fmt: skip


class Guest:
    """vm-check's command channel: a root shell on the guest's ttyS1 (QEMU's chardev socket), one line per command."""

    def __init__(self, sock: Path) -> None:
        self.sock = sock

    def run(self, command: str, timeout: float = 90.0) -> tuple[int, str]:
        deadline = time.time() + timeout
        while True:
            try:
                return self._once(command, deadline)
            except (OSError, TimeoutError):
                if time.time() > deadline:
                    raise
                time.sleep(2)

    def _once(self, command: str, deadline: float) -> tuple[int, str]:
        with socket.socket(socket.AF_UNIX) as channel:
            channel.connect(str(self.sock))
            channel.settimeout(max(1.0, min(10.0, deadline - time.time())))
            channel.sendall(command.encode() + b"\n")
            buffer = b""
            while b"\n@@rc " not in buffer or not buffer.endswith(b"\n"):
                chunk = channel.recv(65536)
                if not chunk:
                    raise OSError("the guest's channel closed")
                buffer += chunk
            found = re.search(rb"@@out ([A-Za-z0-9+/=]*)\n@@rc (\d+)\n", buffer)
            if not found:
                raise OSError(f"the guest's channel said {buffer[-200:]!r}")
            return int(found.group(2)), base64.b64decode(found.group(1)).decode(errors="replace")


class Centre:
    """config/mosquitto/central.conf on this host: its port on loopback, its files from RUN/centre."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port
        self.process: subprocess.Popen[bytes] | None = None
        passwd = folder / "passwd"
        passwd.write_text("")
        for user, password in PASSWORDS.items():
            subprocess.run(["mosquitto_passwd", "-b", str(passwd), user, password], check=True)
        text = (CONFIG / "central.conf").read_text()
        for old, new in {"listener 8883\n": f"listener {port} 127.0.0.1\n",
                         "/etc/mosquitto/certs/central.crt": str(folder / "central.crt"),
                         "/etc/mosquitto/certs/central.key": str(folder / "central.key"),
                         "/etc/mosquitto/certs/ca.crt": str(folder / "ca.crt"),
                         "/etc/mosquitto/passwd": str(passwd),
                         "/etc/mosquitto/acl-central": str(CONFIG / "acl-central.example")}.items():  # fmt: skip
            text = _changed(text, old, new)
        self.admin_password = folder / "admin.pw"
        self.admin_password.write_text(PASSWORDS["wallboard-admin"])
        # As root mosquitto would drop to its own user, which cannot read this folder.
        extra = f"user root\npersistence_location {folder}/\nlog_dest file {folder}/mosquitto.log\nlog_type all\n"
        (folder / "mosquitto.conf").write_text(text + extra)

    def start(self) -> None:
        self.process = subprocess.Popen(["mosquitto", "-c", str(self.folder / "mosquitto.conf")])
        deadline = time.time() + 10
        while time.time() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise SystemExit("the centre did not start: see mosquitto.log")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def board(self, board: str) -> dict[str, object]:
        """A board's row of `wallboard fleet --once --json` at the centre ({} if not listed), as IT runs it.

        As the admin: the page in the guest holds the monitor's session (one session per user at the centre).
        """
        got = subprocess.run([str(VENV / "wallboard"), "fleet", "--broker", f"127.0.0.1:{self.port}", "--ca-file",
                              str(self.folder / "ca.crt"), "--username", "wallboard-admin",
                              "--password-file", str(self.admin_password),
                              "--once", "--json"], capture_output=True, text=True, timeout=60)  # fmt: skip
        rows = json.loads(got.stdout) if got.returncode == 0 and got.stdout.strip() else []
        found = [row for row in rows if isinstance(row, dict) and row.get("board") == board]
        return found[0] if found else {}


class Results:
    """The checks' outcomes, printed as vm-check prints its own."""

    def __init__(self) -> None:
        self.failed: list[str] = []
        self.passed = 0

    def check(self, name: str, ok: bool, detail: str) -> None:
        if ok:
            self.passed += 1
        else:
            self.failed.append(name)
        print(f"vm-check: {'PASS' if ok else 'FAIL'} {name}: {detail}", flush=True)


def _retained(centre: Centre, topic: str) -> str | None:
    """The retained message on ``topic`` at the centre, read as the admin (None: none within 3 s)."""
    got = subprocess.run(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(centre.port), "--cafile",
                          str(centre.folder / "ca.crt"), "-u", "wallboard-admin", "-P", PASSWORDS["wallboard-admin"],
                          "-t", topic, "-C", "1", "-W", "3"], capture_output=True, text=True)  # fmt: skip
    return got.stdout.strip() if got.returncode == 0 else None


def _until(condition: Callable[[], object], timeout: float, every: float = 2.0) -> float | None:
    """Seconds until ``condition()`` held (None: not within ``timeout``)."""
    start = time.time()
    while time.time() - start < timeout:
        if condition():
            return time.time() - start
        time.sleep(every)
    return None


def _units(guest: Guest) -> str:
    units = "stunnel@wallboard-bridge mosquitto wallboard-fleet-web"
    return guest.run(f"systemctl is-active {units} | paste -sd' '")[1].strip()


def _restarts(guest: Guest, unit: str) -> int:
    return int(guest.run(f"systemctl show -P NRestarts {unit}")[1].strip() or -1)


def _page(guest: Guest) -> dict[str, object]:
    script = ("import json, urllib.request as u; "
              "d = json.load(u.urlopen('http://127.0.0.1:8080/api/boards', timeout=10)); "
              "print(json.dumps({'broker_up': d['broker_up'], "
              "'boards': [(b['id'], b['state'], b['shot'] is not None) for b in d['boards']]}))")  # fmt: skip
    rc, out = guest.run(f'python3 -c "{script}"')
    try:
        return json.loads(out) if rc == 0 else {"error": out[-300:]}
    except ValueError:
        return {"error": out[-300:]}


class ClosingListener:
    """A load balancer in front of the centre with no backend: it accepts each connection and closes it at once."""

    def __init__(self, port: int) -> None:
        self.accepted = 0
        self._server = socket.create_server(("127.0.0.1", port), reuse_port=False)
        self._server.settimeout(0.5)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._server.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._server.close()


def _round_trips(site_port: int, seconds: float) -> list[float | None]:
    """Publish and receive through the guest's site broker (QEMU's forward) every second: the latencies."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    got: dict[bytes, float] = {}

    def arrived(_client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        got.setdefault(bytes(message.payload), time.time())

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="vm-check-probe")
    client.on_message = arrived
    client.connect("127.0.0.1", site_port)
    client.subscribe("vm-check/probe", qos=1)
    client.loop_start()
    latencies: list[float | None] = []
    try:
        time.sleep(1)
        end = time.time() + seconds
        while time.time() < end:
            mark = f"{time.time():.6f}".encode()
            sent = time.time()
            client.publish("vm-check/probe", mark, qos=1)
            deadline = sent + 5
            while mark not in got and time.time() < deadline:
                time.sleep(0.01)
            latencies.append(got[mark] - sent if mark in got else None)
            time.sleep(max(0.0, 1 - (time.time() - sent)))
    finally:
        client.loop_stop()
        client.disconnect()
    return latencies


def _cpu_percent(guest: Guest, process: str, seconds: int = 5) -> float:
    """The guest process's CPU over ``seconds`` (percent of one core), from /proc/PID/stat's utime + stime."""
    command = (f"p=$(pidof {process}); a=$(awk '{{print $14+$15}}' /proc/$p/stat); sleep {seconds}; "
               f"b=$(awk '{{print $14+$15}}' /proc/$p/stat); echo $((b-a)) $(getconf CLK_TCK)")  # fmt: skip
    ticks, hz = guest.run(command)[1].split()
    return 100.0 * int(ticks) / int(hz) / seconds


def check(run: Path, centre_port: int, site_port: int, power_on: float) -> int:
    guest = Guest(run / "ctl.sock")
    results = Results()
    centre = Centre(run / "centre", centre_port)
    bridge_state = "wallboard/london/bridge/state"
    centre.start()
    try:
        # 1. The bridge through stunnel, started by systemd; the board at the centre.
        up = _until(lambda: _retained(centre, bridge_state) == "1", 120)
        results.check(
            "the site's bridge reaches the centre through stunnel",
            up is not None,
            f"bridge state 1 at the centre {up:.0f} s after it started ({time.time() - power_on:.0f} s after power-on)"
            if up is not None
            else "no bridge state 1 within 120 s (the guest's journal: serial.log)",
        )
        listed = _until(lambda: centre.board("floor1").get("online") is True, 90)
        row = centre.board("floor1")
        results.check(
            "the centre lists the guest's board online",
            listed is not None,
            f"london/floor1: online {row.get('online')}, flags {row.get('flags')}, "
            f"its status {row.get('status_age_s')} s old",
        )
        units = _units(guest)
        results.check("stunnel, mosquitto and the fleet page run under systemd", units == "active active active", units)

        # 2. The fleet page's unit: its dynamic user, its sandbox, the board from the centre with a thumbnail.
        unit = "wallboard-fleet-web"
        shown = guest.run(
            f"systemctl show -p DynamicUser,ProtectSystem,NRestarts {unit} | paste -sd' '; "
            f"ps -o uid= -p $(systemctl show -P MainPID {unit})"
        )[1].split()
        uid = int(shown[-1]) if shown and shown[-1].isdigit() else -1
        results.check(
            "the fleet page's unit runs as its own dynamic user, sandboxed",
            "DynamicUser=yes" in shown and "ProtectSystem=strict" in shown and 61184 <= uid <= 65519,
            f"{' '.join(shown[:-1])}; its process runs as uid {uid} (systemd's dynamic range is 61184-65519)",
        )
        wanted = ["london/floor1", "online", True]
        served = _until(lambda: wanted in list(_page(guest).get("boards") or []), 180, 5)  # type: ignore[call-overload]
        results.check(
            "the fleet page (in the guest, reading the centre) shows the board and its thumbnail",
            served is not None,
            json.dumps(_page(guest))[:300],
        )

        # 3. stunnel dies: systemd restarts it (the drop-in's Restart=on-failure), the bridge comes back.
        tunnel = "stunnel@wallboard-bridge"
        before = _restarts(guest, tunnel)
        guest.run(f"systemctl kill -s KILL {tunnel}")
        killed = time.time()
        gone = _until(lambda: _retained(centre, bridge_state) == "0", 90, 1)
        back = _until(lambda: _retained(centre, bridge_state) == "1", 120, 1)
        after = _restarts(guest, tunnel)
        results.check(
            "stunnel SIGKILLed: systemd restarts it and the bridge comes back",
            after == before + 1 and back is not None,
            f"NRestarts {before} -> {after}; at the centre the bridge "
            f"{'went down' if gone is not None else 'never read down'}, then up "
            f"{time.time() - killed:.0f} s after the kill",
        )

        # 4. The centre's load balancer with no backend: every connection accepted and closed mid-handshake.
        centre.stop()
        closing = ClosingListener(centre_port)
        try:
            cpu = _cpu_percent(guest, "mosquitto")
            latencies = _round_trips(site_port, 30)
            cpu_after = _cpu_percent(guest, "mosquitto")
            journal = guest.run(f"journalctl -u {tunnel} --since '-60s' --no-pager -o cat | tail -n 2")[1]
        finally:
            closing.close()
        answered = [latency for latency in latencies if latency is not None]
        slowest = f"{max(answered) * 1000:.0f} ms" if answered else "none"
        results.check(
            "the centre cuts every handshake for 30 s: the site broker keeps serving its boards",
            len(answered) == len(latencies) and closing.accepted > 0 and cpu_after < 50,
            f"{len(answered)} of {len(latencies)} round trips through the site broker (slowest {slowest}); "
            f"{closing.accepted} connections cut; the site's mosquitto at {cpu:.0f} % then {cpu_after:.0f} % of a "
            f"core; stunnel said: {' | '.join(line[-100:] for line in journal.strip().splitlines())}",
        )
        centre.start()
        back = _until(lambda: _retained(centre, bridge_state) == "1", 120, 1)
        results.check(
            "the real centre back: the bridge reconnects",
            back is not None,
            f"bridge state 1 {back:.0f} s after the centre returned" if back is not None else "not within 120 s",
        )
    finally:
        centre.stop()
    print(f"vm-check: bridged site: {results.passed} passed, {len(results.failed)} failed", flush=True)
    return 1 if results.failed else 0


def main() -> int:
    command, run, centre_port = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    if command == "steps":
        _certificates(run / "centre")
        print(steps(centre_port))
        return 0
    if command == "check":
        return check(run, centre_port, int(sys.argv[4]), float(sys.argv[5]))
    raise SystemExit(f"usage: {sys.argv[0]} steps|check RUN CENTRE_PORT ...")


if __name__ == "__main__":
    sys.exit(main())
