"""The feed's systemd template unit: valid, and sandboxed tighter than the board's."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.broker import require
from tests.timing import scaled

UNIT = Path(__file__).resolve().parent.parent / "systemd" / "wallboard-feed@.service"


def test_the_feed_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    """`systemd-analyze verify` accepts wallboard-feed@asterisk.service with no warning about it."""
    tool = require("systemd-analyze")
    stand_in = tmp_path / "wallboard"
    stand_in.write_text("#!/bin/sh\nexit 0\n")
    stand_in.chmod(0o755)
    text = UNIT.read_text()
    assert "ExecStart=/opt/wallboard/venv/bin/wallboard feed %i --config /etc/wallboard/feed-%i.toml" in text
    copy = tmp_path / "wallboard-feed@.service"
    copy.write_text(re.sub(r"^ExecStart=\S+", f"ExecStart={stand_in}", text, flags=re.MULTILINE))
    instance = tmp_path / "wallboard-feed@asterisk.service"
    instance.symlink_to(copy)
    result = subprocess.run([tool, "verify", str(instance)], capture_output=True, text=True, timeout=scaled(60))
    assert result.returncode == 0, result.stderr
    assert "wallboard-feed" not in result.stderr, result.stderr


def test_the_feed_unit_is_sandboxed_tightly() -> None:
    """`systemd-analyze security --offline=true` rates the feed unit under 3.0 (measured 1.1)."""
    tool = require("systemd-analyze")
    result = subprocess.run(
        [tool, "security", "--offline=true", "--no-pager", str(UNIT)],
        capture_output=True,
        text=True,
        timeout=scaled(60),
    )
    found = re.search(r"Overall exposure level for wallboard-feed@\S*\.service: (\d+\.\d+)", result.stdout)
    assert found, result.stdout[-2000:] + result.stderr
    assert float(found.group(1)) < 3.0
