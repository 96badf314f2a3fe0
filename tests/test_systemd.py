"""systemd integration: sd_notify on a real datagram socket, the unit verified and rated, install and udev files."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.broker import Mosquitto, free_port
from tests.conftest import board_toml
from tests.ops_support import FakeDisplay, require_tool
from tests.timing import scaled
from wallboard.app.loop.board import Board
from wallboard.app.loop.compose import compose_board, no_outputs
from wallboard.device.config.reading import load_config
from wallboard.device.core.view import ScreenReport
from wallboard.ops.systemd import SystemdNotifier, SystemdOutput

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "systemd" / "wallboard.service"
INSTALL = ROOT / "systemd" / "install.sh"
RULES = ROOT / "systemd" / "99-wallboard.rules"
WALLBOARD = Path(sys.executable).parent / "wallboard"


class NotifyListener:
    """A datagram socket standing in for systemd's notify socket; collects what the board sends."""

    def __init__(self, address: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(address)
        self.messages: list[str] = []

    def receive(self, timeout: float = 0.0) -> list[str]:
        self.sock.settimeout(timeout if timeout > 0 else 0.001)
        try:
            while True:
                self.messages.append(self.sock.recv(4096).decode())
                self.sock.settimeout(0.001)
        except (TimeoutError, BlockingIOError):
            pass
        return self.messages

    def fields(self) -> list[str]:
        return [line for message in self.receive() for line in message.split("\n")]

    def wait_for(self, field: str, timeout: float = 15.0) -> None:
        timeout = scaled(timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if field in self.fields():
                return
            self.receive(0.1)
        raise AssertionError(f"no {field} within {timeout}s; got {self.fields()}")


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[NotifyListener]:
    listener = NotifyListener(str(tmp_path / "notify.sock"))
    try:
        yield listener
    finally:
        listener.sock.close()


def _offline_board(tmp_path: Path) -> Board:
    """A board whose broker does not exist: step() still runs every output."""
    path = tmp_path / "board.toml"
    path.write_text(board_toml(free_port(), tmp_path / "state"))
    return compose_board(load_config(path), outputs=no_outputs)


def test_ready_watchdog_and_stopping_reach_the_notify_socket(tmp_path: Path, listener: NotifyListener) -> None:
    """READY=1 after the display's first frame, WATCHDOG=1 every half WATCHDOG_USEC, STOPPING=1 on close."""
    env = {"NOTIFY_SOCKET": str(tmp_path / "notify.sock"), "WATCHDOG_USEC": "200000"}
    board = _offline_board(tmp_path)
    display = FakeDisplay()
    board.outputs.extend([display, SystemdOutput(SystemdNotifier(env))])
    board.step()
    first = listener.receive(1.0)[0].split("\n")
    assert first[0] == "READY=1" and display.frames_drawn == 1
    assert any(line.startswith("STATUS=broker connecting") for line in first)
    deadline = time.monotonic() + 0.55
    while time.monotonic() < deadline:
        time.sleep(min(board.step(), 0.02))
    board.close()
    fields = listener.fields()
    assert fields.count("READY=1") == 1
    assert 4 <= fields.count("WATCHDOG=1") <= 8, fields  # ~every 0.1 s over ~0.55 s
    assert fields[-2:] == ["STOPPING=1", "STATUS=stopping: lamps to safe state, cache flushing"]


def test_abstract_notify_socket_address(listener: NotifyListener) -> None:
    """An address starting with @ is sent to the abstract namespace, as systemd means it."""
    name = f"wallboard-test-{os.getpid()}-{time.monotonic_ns()}"
    abstract = NotifyListener("\0" + name)
    try:
        assert SystemdNotifier({"NOTIFY_SOCKET": "@" + name}).notify("READY=1", "STATUS=hello")
        assert abstract.receive(1.0) == ["READY=1\nSTATUS=hello"]
    finally:
        abstract.sock.close()


def test_watchdog_meant_for_another_process_is_ignored() -> None:
    """WATCHDOG_PID naming another process means no pings from this one."""
    notifier = SystemdNotifier({"NOTIFY_SOCKET": "/nonexistent", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"})
    assert notifier.watchdog_interval is None
    assert SystemdNotifier({"WATCHDOG_USEC": "30000000"}).watchdog_interval == 15.0


def test_without_systemd_notify_is_a_quiet_no_op() -> None:
    """No NOTIFY_SOCKET (run by hand): nothing is sent and nothing fails."""
    notifier = SystemdNotifier({})
    assert not notifier.enabled and notifier.notify("READY=1") is False


def test_wallboard_run_notifies_ready_and_stopping(
    mosquitto: Mosquitto, tmp_path: Path, listener: NotifyListener
) -> None:
    """The real `wallboard run` process tells systemd READY=1 once drawing, and STOPPING=1 on SIGTERM."""
    config = tmp_path / "board.toml"
    config.write_text(board_toml(mosquitto.port, tmp_path / "state"))
    env = dict(os.environ, NOTIFY_SOCKET=str(tmp_path / "notify.sock"), WATCHDOG_USEC="2000000")
    process = subprocess.Popen(
        [str(WALLBOARD), "run", "--config", str(config)], env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    try:
        listener.wait_for("READY=1", timeout=scaled(30))
        listener.wait_for("WATCHDOG=1")
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
    finally:
        if process.poll() is None:
            process.kill()
        log = process.communicate()[1].decode(errors="replace")
    listener.receive(0.2)
    assert "STOPPING=1" in listener.fields(), log


def test_the_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    """`systemd-analyze verify` accepts the unit (ExecStart pointed at an executable that exists here)."""
    tool = require_tool("systemd-analyze", "systemd")
    stand_in = tmp_path / "wallboard"
    stand_in.write_text("#!/bin/sh\nexit 0\n")
    stand_in.chmod(0o755)
    text = UNIT.read_text()
    assert "ExecStart=/opt/wallboard/venv/bin/wallboard run" in text
    copy = tmp_path / "wallboard.service"
    copy.write_text(re.sub(r"^ExecStart=\S+", f"ExecStart={stand_in}", text, flags=re.MULTILINE))
    result = subprocess.run([tool, "verify", str(copy)], capture_output=True, text=True, timeout=scaled(60))
    assert result.returncode == 0, result.stderr
    assert "wallboard.service" not in result.stderr, result.stderr  # no warnings about our unit


def test_the_unit_is_sandboxed_well_below_the_default_exposure() -> None:
    """`systemd-analyze security --offline=true` rates the unit under 5.0 (an unsandboxed service is 9.6)."""
    tool = require_tool("systemd-analyze", "systemd")
    result = subprocess.run(
        [tool, "security", "--offline=true", "--no-pager", str(UNIT)],
        capture_output=True,
        text=True,
        timeout=scaled(60),
    )
    found = re.search(r"Overall exposure level for wallboard\.service: (\d+\.\d+)", result.stdout)
    assert found, result.stdout[-2000:] + result.stderr
    assert float(found.group(1)) < 5.0


def test_the_unit_has_the_service_settings_the_board_relies_on() -> None:
    """Type=notify with a watchdog, restarts, state directory, hardware groups, console video driver."""
    settings = [line for line in UNIT.read_text().splitlines() if line and not line.startswith("#")]
    for wanted in (
        "Type=notify",
        "NotifyAccess=main",
        "WatchdogSec=30s",
        "Restart=on-failure",
        "StateDirectory=wallboard",
        "ConfigurationDirectory=wallboard",
        "User=wallboard",
        "SupplementaryGroups=video render input gpio dialout audio",
        "EnvironmentFile=-/etc/default/wallboard",
        "SyslogIdentifier=wallboard",
        "WorkingDirectory=/run/wallboard",
        "DevicePolicy=closed",
    ):
        assert wanted in settings, wanted
    assert any(line.startswith("Environment=SDL_VIDEODRIVER=kmsdrm") for line in settings)


def _unit_settings() -> dict[str, list[str]]:
    """The unit's settings as systemd reads them: name -> every value given, in order (comments dropped)."""
    settings: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            name, _, value = line.partition("=")
            settings.setdefault(name.strip(), []).append(value.strip())
    return settings


def test_the_unit_never_gives_up_restarting_a_board_that_crashed() -> None:
    """No start limit (StartLimitIntervalSec=0, no burst), a crash restarted after 5 s; a config error is not."""
    settings = _unit_settings()
    assert settings["StartLimitIntervalSec"] == ["0"]
    assert "StartLimitBurst" not in settings and "StartLimitAction" not in settings
    assert settings["Restart"] == ["on-failure"]  # a segfault, an abort, a watchdog kill, an exit != 0
    assert settings["RestartSec"] == ["5s"]
    assert settings["RestartPreventExitStatus"] == ["2"]  # `wallboard run` exits 2 on an invalid config only


def test_install_script_parses_and_passes_shellcheck() -> None:
    """install.sh is valid bash and shellcheck-clean."""
    assert subprocess.run(["bash", "-n", str(INSTALL)], capture_output=True).returncode == 0
    shellcheck = require_tool("shellcheck", "shellcheck")
    result = subprocess.run([shellcheck, str(INSTALL)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_install_dry_run_lists_the_steps_and_changes_nothing() -> None:
    """--dry-run prints every step and changes nothing; uninstalling keeps the config unless --purge."""
    touched = [Path(p) for p in ("/opt/wallboard", "/etc/wallboard", "/etc/systemd/system/wallboard.service")]
    before = [p.exists() for p in touched]
    install = subprocess.run(["bash", str(INSTALL), "--dry-run"], capture_output=True, text=True, timeout=scaled(60))
    assert install.returncode == 0, install.stderr
    # What it installs depends on the machine: all present (a development PC), or the missing ones (a fresh root).
    packages = re.search(r"^wallboard-install: (?:packages: all present \((.*)\)|installing packages: (.*))$",
                         install.stdout, flags=re.MULTILINE)  # fmt: skip
    assert packages, install.stdout
    if packages[2] is not None:
        assert "+ apt-get update -qq" in install.stdout
        assert f"--no-install-recommends {packages[2]}" in install.stdout
    else:
        assert packages[1].split()[:3] == ["python3", "python3-venv", "fonts-dejavu-core"]
    for step in (
        "wallboard-install: platform: ",
        "+ usermod --append --groups video,render,input,gpio,dialout,audio wallboard",
        "+ write /etc/systemd/system/wallboard.service",
        "+ write /etc/udev/rules.d/99-wallboard.rules",
        "+ python3 -m venv --system-site-packages /opt/wallboard/venv",
        "--only-binary pygame-ce,msgspec,psutil /opt/wallboard/src",
        "+ check /etc/wallboard/board.toml as wallboard",
    ):
        assert step in install.stdout, step
    # With systemd running, enabled live; without it (a chroot, this test machine), enabled offline.
    assert re.search(r"^\+ systemctl (--root=/ )?enable wallboard\.service$", install.stdout, flags=re.MULTILINE)
    uninstall = subprocess.run(["bash", str(INSTALL), "--uninstall", "--dry-run"], capture_output=True, text=True)
    assert uninstall.returncode == 0, uninstall.stderr
    assert "+ rm -rf /opt/wallboard" in uninstall.stdout and "/etc/wallboard" not in uninstall.stdout.split("kept")[0]
    purge = subprocess.run(
        ["bash", str(INSTALL), "--uninstall", "--purge", "--dry-run"], capture_output=True, text=True
    )
    assert "+ rm -rf /etc/wallboard /var/lib/wallboard /etc/default/wallboard" in purge.stdout
    assert [p.exists() for p in touched] == before  # a dry run creates and removes nothing


def test_install_dry_run_on_a_fresh_root_lists_the_apt_steps_for_every_package(tmp_path: Path) -> None:
    """Where no package is installed (dpkg-query finds none), --dry-run shows apt-get installing the whole list."""
    fakes = tmp_path / "bin"
    fakes.mkdir()
    (fakes / "dpkg-query").write_text("#!/bin/sh\nexit 1\n")
    (fakes / "dpkg-query").chmod(0o755)
    env = {**os.environ, "PATH": f"{fakes}:{os.environ['PATH']}"}
    install = subprocess.run(["bash", str(INSTALL), "--dry-run"], capture_output=True, text=True, env=env,
                             timeout=scaled(60))  # fmt: skip
    assert install.returncode == 0, install.stderr
    wanted = "python3 python3-venv fonts-dejavu-core libdrm2 libgbm1 libegl1 libegl-mesa0 libgles2"
    assert f"wallboard-install: installing packages: {wanted}" in install.stdout
    assert "+ apt-get update -qq" in install.stdout
    assert f"apt-get install -y -qq --no-install-recommends {wanted}" in install.stdout


def test_install_feed_dry_run_lists_its_steps_and_refuses_unknown_adapters() -> None:
    """--feed ADAPTER installs a feed (its user, libraries and unit), none of the board's parts; a typo is refused."""
    feed = subprocess.run(["bash", str(INSTALL), "--feed", "asterisk", "--dry-run"],
                          capture_output=True, text=True, timeout=scaled(60))  # fmt: skip
    assert feed.returncode == 0, feed.stderr
    assert re.search(r"^wallboard-install: (packages: all present \(|installing packages: )python3", feed.stdout,
                     flags=re.MULTILINE)  # fmt: skip
    for step in (
        "--only-binary pygame-ce,msgspec,psutil /opt/wallboard/src[feeds]",
        "+ write /etc/systemd/system/wallboard-feed@.service (mode 0644)",
        "+ install -d -m 0700 /etc/wallboard/secrets",
    ):
        assert step in feed.stdout, step
    assert re.search(
        r"^\+ systemctl (--root=/ )?enable wallboard-feed@asterisk\.service$", feed.stdout, flags=re.MULTILINE
    )
    for board_step in ("wallboard.service", "99-wallboard.rules", "getty@tty1", "usermod", "board.toml"):
        assert board_step not in feed.stdout, board_step
    for wrong in (["--feed"], ["--feed", "asterix"], ["--feed=../../etc/passwd"]):
        refused = subprocess.run(["bash", str(INSTALL), *wrong, "--dry-run"], capture_output=True, text=True)
        assert refused.returncode == 2 and "asterisk connect genesys" in refused.stderr, refused.stderr
        assert "+ " not in refused.stdout
    uninstall = subprocess.run(["bash", str(INSTALL), "--uninstall", "--feed", "asterisk", "--dry-run"],
                               capture_output=True, text=True, timeout=scaled(60))  # fmt: skip
    assert uninstall.returncode == 0, uninstall.stderr
    assert "disable" in uninstall.stdout and "wallboard-feed@asterisk.service" in uninstall.stdout
    assert "/opt/wallboard" not in uninstall.stdout  # the code stays for a board on the same machine


def test_udev_rule_names_the_tower_and_the_pico() -> None:
    """The CH340 tower (1a86:7523) becomes /dev/wallboard-tower and the Pico (2e8a) /dev/wallboard-bridge."""
    rules = [line for line in RULES.read_text().splitlines() if line and not line.startswith("#")]
    assert len(rules) == 2
    tower, bridge = rules
    assert 'ATTRS{idVendor}=="1a86", ATTRS{idProduct}=="7523"' in tower and 'SYMLINK+="wallboard-tower"' in tower
    assert 'ATTRS{idVendor}=="2e8a"' in bridge and 'SYMLINK+="wallboard-bridge"' in bridge
    for rule in rules:
        assert rule.startswith('SUBSYSTEM=="tty"') and 'GROUP="dialout"' in rule


def test_the_unit_waits_for_the_display_and_owns_its_console() -> None:
    """Ordered after udev's coldplug, waits for a DRM device, holds tty1 (no getty behind it), logs to the journal."""
    settings = [line for line in UNIT.read_text().splitlines() if line and not line.startswith("#")]
    after = next(line for line in settings if line.startswith("After=")).split("=", 1)[1].split()
    assert {"systemd-udev-trigger.service", "getty@tty1.service"} <= set(after)
    for wanted in (
        "Conflicts=getty@tty1.service",
        "TTYPath=/dev/tty1",
        "StandardInput=tty-fail",
        "StandardOutput=journal",
        "StandardError=journal",
        "TTYReset=yes",
        "DeviceAllow=/dev/tty1 rw",
    ):
        assert wanted in settings, wanted
    assert any(line.startswith("ExecStartPre=/bin/sh -c ") and "/dev/dri/card*" in line for line in settings)


@pytest.mark.parametrize("device_present", [True, False])
def test_the_drm_wait_exits_zero_with_or_without_a_device(tmp_path: Path, device_present: bool) -> None:
    """The ExecStartPre wait, run by sh (systemd's $$ unescaped, its folder and 30 s shrunk): exit 0 either way."""
    (line,) = [line for line in UNIT.read_text().splitlines() if line.startswith("ExecStartPre=/bin/sh -c ")]
    script = line.removeprefix("ExecStartPre=/bin/sh -c ").strip("'").replace("$$", "$")
    dri = tmp_path / "dri"
    dri.mkdir()
    if device_present:
        (dri / "card1").touch()
    script = script.replace("/dev/dri/", f"{dri}/").replace("seq 30", "seq 2")
    done = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, timeout=scaled(30))
    assert done.returncode == 0, done.stderr
    assert ("no DRM device" in done.stdout) is (not device_present)


def test_the_status_line_says_when_the_screen_is_dark(listener: NotifyListener, tmp_path: Path) -> None:
    """With the screen retrying, `systemctl status` shows it: the STATUS= line ends with the screen's state."""

    class DarkScreen:
        def screen_report(self) -> ScreenReport:
            return ScreenReport(driver="kmsdrm", resolution=None, state="retrying: no DRM device", frames_drawn=0)

    board = _offline_board(tmp_path)
    board.outputs.append(SystemdOutput(SystemdNotifier({"NOTIFY_SOCKET": str(tmp_path / "notify.sock")}),
                                       screen=DarkScreen()))  # fmt: skip
    board.step()
    board.close()
    status = [line for line in listener.fields() if line.startswith("STATUS=broker")]
    assert status and status[0].endswith(", screen retrying: no DRM device"), status
