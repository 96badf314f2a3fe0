"""install.sh for real into a throwaway root, the installed board started from it; refusals on 32-bit ARM.

The real install (not a dry run) goes into a staging root with ``--root``: the same steps as on a Pi
(user and groups through ``useradd --root``, the venv with the code built from the source, config,
unit, udev rule, the unit enabled offline), minus the apt packages, which it lists instead. This
machine has no udev and no systemd running, as in a chroot image build, so the reloads are skipped
with a note. The board is then started from the installed venv with the unit's own environment
(``SDL_VIDEODRIVER=kmsdrm``: there is no DRM device here, so its status must say ``retrying``).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.broker import Mosquitto
from tests.ops_support import require_tool, run_until_first_status
from tests.timing import scaled

REPO = Path(__file__).resolve().parent.parent
INSTALL = REPO / "systemd" / "install.sh"
GROUPS = ("video", "render", "input", "gpio", "dialout", "audio")


def _fresh_root(root: Path) -> None:
    """The account files of a minimal Debian (root and the groups a base system has), nothing else."""
    etc = root / "etc"
    etc.mkdir(parents=True)
    (etc / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (etc / "shadow").write_text("root:*:19000:0:99999:7:::\n")
    (etc / "group").write_text("root:x:0:\nvideo:x:44:\naudio:x:29:\ndialout:x:20:\n")
    (etc / "gshadow").write_text("root:*::\nvideo:*::\naudio:*::\ndialout:*::\n")
    for name in ("shadow", "gshadow"):
        (etc / name).chmod(0o640)


def _staging(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A fresh staging root and the environment to run install.sh in (no venv of the tests leaking in)."""
    if os.geteuid() != 0:
        pytest.fail("the real install needs root (useradd --root); run the README's test command as root")
    for program, package in (("useradd", "passwd"), ("systemctl", "systemd")):
        require_tool(program, package)
    root = tmp_path / "root"
    _fresh_root(root)
    return root, {key: value for key, value in os.environ.items() if not key.startswith("VIRTUAL_ENV")}


def test_real_install_into_a_throwaway_root_and_the_installed_board_runs(mosquitto: Mosquitto, tmp_path: Path) -> None:
    """Every file, the user with its groups and the enabled unit land in the root; its board publishes a status."""
    root, env = _staging(tmp_path)
    done = subprocess.run(["bash", str(INSTALL), "--root", str(root), "--no-start"],
                          capture_output=True, text=True, timeout=scaled(900), env=env)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "udev is not running here" in done.stdout and "skipping the udev reload" in done.stdout
    assert "not installing packages into" in done.stdout and "libgbm1" in done.stdout

    wallboard = root / "opt/wallboard/venv/bin/wallboard"
    for path in (wallboard, root / "etc/wallboard/board.toml", root / "etc/wallboard/site.toml",
                 root / "etc/default/wallboard", root / "etc/udev/rules.d/99-wallboard.rules",
                 root / "opt/wallboard/docs/deployment.md"):  # fmt: skip
        assert path.is_file(), path
    unit = root / "etc/systemd/system/wallboard.service"
    assert unit.read_text() == (REPO / "systemd/wallboard.service").read_text()
    enabled = root / "etc/systemd/system/multi-user.target.wants/wallboard.service"
    assert enabled.is_symlink() and os.readlink(enabled).endswith("/wallboard.service")
    passwd = (root / "etc/passwd").read_text()
    assert re.search(r"^wallboard:x:\d+:\d+:Contact-centre wallboard:/var/lib/wallboard:/usr/sbin/nologin$",
                     passwd, flags=re.MULTILINE), passwd  # fmt: skip
    members = {line.split(":")[0]: line.split(":")[3].split(",") for line in (root / "etc/group").read_text().split()}
    assert all("wallboard" in members[group] for group in GROUPS), members
    check = subprocess.run([str(wallboard), "check", str(root / "etc/wallboard/board.toml")],
                           capture_output=True, text=True, timeout=scaled(120))  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr

    # Started as the unit would: its Environment= line, the config in the root (site.toml edited as IT
    # would, to the site's broker: here the test's mosquitto), its state directory.
    site = root / "etc/wallboard/site.toml"
    text = re.sub(r"^host = .*$", 'host = "127.0.0.1"', site.read_text(), count=1, flags=re.MULTILINE)
    site.write_text(re.sub(r"^port = .*$", f"port = {mosquitto.port}", text, count=1, flags=re.MULTILINE))
    (line,) = [line for line in unit.read_text().splitlines() if line.startswith("Environment=")]
    unit_env = dict(pair.split("=", 1) for pair in line.removeprefix("Environment=").split())
    assert unit_env["SDL_VIDEODRIVER"] == "kmsdrm"
    state = tmp_path / "state"
    state.mkdir()
    board_env = {**env, **unit_env, "STATE_DIRECTORY": str(state), "SDL_AUDIODRIVER": "dummy"}
    command = [str(wallboard), "run", "--config", str(root / "etc/wallboard/board.toml")]
    run = run_until_first_status(command, mosquitto.port, "wallboard/london/floor1/status", env=board_env,
                                 cwd=state, timeout=scaled(60))  # fmt: skip
    display = run.status["display"]
    assert display["driver"] == "kmsdrm"
    assert str(display["state"]).startswith("retrying: ")  # no DRM device on this machine: said, not hidden
    assert run.returncode == 0, run.output
    assert (state / "cache.sqlite3").is_file()

    removed = subprocess.run(["bash", str(INSTALL), "--root", str(root), "--uninstall", "--purge"],
                             capture_output=True, text=True, timeout=scaled(120), env=env)  # fmt: skip
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert not (root / "opt/wallboard").exists() and not (root / "etc/wallboard").exists() and not unit.exists()
    assert not enabled.is_symlink() and "wallboard:" not in (root / "etc/passwd").read_text()


@pytest.mark.parametrize(
    ("dpkg_arch", "python_facts", "says"),
    [
        ("armhf", "3.11 32", "this is 32-bit ARM (armhf)"),
        ("arm64", "3.9 64", "is Python 3.9; the board needs 3.11 or newer"),
        ("arm64", "3.11 32", "is a 32-bit build"),
    ],
)
def test_install_refuses_platforms_without_wheels(tmp_path: Path, dpkg_arch: str, python_facts: str, says: str) -> None:
    """32-bit ARM, an old Python or a 32-bit Python: exit 3 with what to do, before anything is changed."""
    fakes = tmp_path / "bin"
    fakes.mkdir()
    (fakes / "dpkg").write_text(f"#!/bin/sh\necho {dpkg_arch}\n")
    (fakes / "python3").write_text(f"#!/bin/sh\necho {python_facts}\n")
    for fake in fakes.iterdir():
        fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{fakes}:{os.environ['PATH']}"}
    dry_run = ["bash", str(INSTALL), "--dry-run"]
    done = subprocess.run(dry_run, capture_output=True, text=True, env=env, timeout=scaled(60))
    assert done.returncode == 3, done.stdout + done.stderr
    assert says in done.stderr
    assert "+ " not in done.stdout  # refused before the first step
    if dpkg_arch == "armhf":
        assert "Raspberry Pi OS Lite (64-bit)" in done.stderr


def test_real_feed_install_into_a_throwaway_root(tmp_path: Path) -> None:
    """--feed: the feed's user, libraries, unit (enabled for the adapter) and an example config; no board parts.

    The example is not the site's config, so the feed is enabled but not started, and the install says what to
    edit next. Uninstalling with --purge removes the feed and its user and leaves the code (a board may run it).
    """
    root, env = _staging(tmp_path)
    done = subprocess.run(["bash", str(INSTALL), "--root", str(root), "--feed", "asterisk"],
                          capture_output=True, text=True, timeout=scaled(900), env=env)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "installed and enabled, not started: the config is an example" in done.stdout
    assert "systemctl edit wallboard-feed@asterisk" in done.stdout  # what to do next
    assert "python3 python3-venv" in done.stdout and "libgbm1" not in done.stdout  # no screen libraries

    unit = root / "etc/systemd/system/wallboard-feed@.service"
    assert unit.read_text() == (REPO / "systemd/wallboard-feed@.service").read_text()
    enabled = root / "etc/systemd/system/multi-user.target.wants/wallboard-feed@asterisk.service"
    assert enabled.is_symlink() and os.readlink(enabled).endswith("/wallboard-feed@.service")
    config = root / "etc/wallboard/feed-asterisk.toml"
    assert config.read_text() == (REPO / "config/feeds/asterisk.toml").read_text()
    groups = {line.split(":")[0]: line.split(":") for line in (root / "etc/group").read_text().split()}
    assert config.stat().st_mode & 0o777 == 0o640 and config.stat().st_gid == int(groups["wallboard-feed"][2])
    assert (root / "etc/wallboard/secrets").stat().st_mode & 0o777 == 0o700
    passwd = (root / "etc/passwd").read_text()
    assert re.search(r"^wallboard-feed:x:\d+:\d+:Contact-centre wallboard feed:/var/lib/wallboard-feed:"
                     r"/usr/sbin/nologin$", passwd, flags=re.MULTILINE), passwd  # fmt: skip
    assert not any("wallboard-feed" in group[3] for group in groups.values())  # no device groups
    board_parts = (
        "etc/systemd/system/wallboard.service",
        "etc/udev/rules.d/99-wallboard.rules",
        "etc/wallboard/board.toml",
        "etc/systemd/system/multi-user.target.wants/wallboard.service",
    )
    for board_part in board_parts:
        assert not (root / board_part).exists(), board_part

    python = root / "opt/wallboard/venv/bin/python"
    libraries = subprocess.run([str(python), "-c", "import boto3, panoramisk, httpx, websockets"],
                               capture_output=True, text=True, timeout=scaled(120))  # fmt: skip
    assert libraries.returncode == 0, libraries.stderr
    check = subprocess.run([str(root / "opt/wallboard/venv/bin/wallboard"), "check", str(config)],
                           capture_output=True, text=True, timeout=scaled(120))  # fmt: skip
    assert check.returncode == 0 and "ok (feed)" in check.stdout, check.stdout + check.stderr

    # Run again (an upgrade): the site's edited config stays as it is.
    config.write_text(config.read_text().replace('site = "london"', 'site = "leeds"'))
    again = subprocess.run(["bash", str(INSTALL), "--root", str(root), "--feed", "asterisk", "--dry-run"],
                           capture_output=True, text=True, timeout=scaled(120), env=env)  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    assert "feed-asterisk.toml (mode" not in again.stdout and "+ check " in again.stdout

    # The board's uninstall would remove the code the feed runs from: refused, saying how to remove the feed first.
    board_removal = subprocess.run(["bash", str(INSTALL), "--root", str(root), "--uninstall"],
                                   capture_output=True, text=True, timeout=scaled(120), env=env)  # fmt: skip
    assert board_removal.returncode == 1 and "--uninstall --feed asterisk" in board_removal.stderr
    assert python.is_file() and enabled.is_symlink()
    uninstall = ["bash", str(INSTALL), "--root", str(root), "--uninstall", "--purge", "--feed", "asterisk"]
    removed = subprocess.run(uninstall, capture_output=True, text=True, timeout=scaled(120), env=env)
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert not unit.exists() and not enabled.is_symlink() and not config.exists()
    assert "wallboard-feed:" not in (root / "etc/passwd").read_text()
    assert python.is_file()  # the code stays: a board on this machine may run from it
