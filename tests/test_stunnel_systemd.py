"""The drop-in for Debian's stunnel@.service that runs a site's bridge tunnel: loaded, valid, restarting."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.broker import require
from tests.timing import scaled

DROP_IN = Path(__file__).resolve().parent.parent / "systemd" / "stunnel@wallboard-bridge.service.d" / "wallboard.conf"
DEBIAN_UNIT = Path("/lib/systemd/system/stunnel@.service")


def _verify(units: Path) -> subprocess.CompletedProcess[str]:
    tool = require("systemd-analyze")
    environment = dict(os.environ, SYSTEMD_UNIT_PATH=f"{units}:")  # ours first, then the system's
    # --man=no: Debian's unit names its man page, and a fresh machine has no `man` to look it up with.
    command = [tool, "verify", "--man=no", "stunnel@wallboard-bridge.service"]
    return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=scaled(60))


def test_the_bridge_tunnels_drop_in_is_valid_on_debians_stunnel_unit(tmp_path: Path) -> None:
    """`systemd-analyze verify` reads the drop-in on Debian's own stunnel@.service and warns of nothing in it."""
    require("stunnel", "stunnel is not installed: run `sudo apt-get install stunnel4` (or the README's test command)")
    assert DEBIAN_UNIT.exists(), f"{DEBIAN_UNIT} missing: run `sudo apt-get install stunnel4`"
    folder = tmp_path / "stunnel@wallboard-bridge.service.d"
    folder.mkdir()
    shutil.copy(DROP_IN, folder / "wallboard.conf")
    result = _verify(tmp_path)
    assert result.returncode == 0 and "wallboard.conf" not in result.stderr, result.stderr
    # The control: a drop-in with a key systemd does not know is read and warned about, so the check above saw it.
    (folder / "wallboard.conf").write_text(DROP_IN.read_text() + "NoSuchKey=1\n")
    assert "wallboard.conf" in _verify(tmp_path).stderr
    text = DROP_IN.read_text()
    assert "Restart=on-failure" in text and "Before=mosquitto.service" in text
