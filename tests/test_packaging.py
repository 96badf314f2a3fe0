"""The wheel under test carries every package and every file the board reads at run time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import wallboard

REPO = Path(__file__).resolve().parent.parent
INSTALLED = Path(wallboard.__file__).resolve().parent
SOURCE = REPO / "src"
FOLDERS = ("app", "device", "display", "feeds", "firmware_bridge", "ops")


def _source_packages() -> set[str]:
    """Every package under src/wallboard/, as its wallboard.* name."""
    return {".".join(init.parent.relative_to(SOURCE).parts) for init in (SOURCE / "wallboard").rglob("__init__.py")}


def test_the_root_folders_link_to_the_code() -> None:
    """Each of the design card's folders at the root is a link to its real package under src/wallboard/."""
    for folder in FOLDERS:
        assert (REPO / folder).is_symlink(), folder
        assert (REPO / folder).resolve() == (SOURCE / "wallboard" / folder).resolve(), folder
        assert not (SOURCE / "wallboard" / folder).is_symlink(), f"src/wallboard/{folder} must be real files"


def test_every_source_package_is_installed() -> None:
    """Each package under src/wallboard/ exists in the copy under test (display/draw/widgets included)."""
    missing = sorted(name for name in _source_packages() if not (INSTALLED.parent / name.replace(".", "/")).is_dir())
    assert not missing, f"not in {INSTALLED}: {missing}"
    assert "wallboard.display.draw.widgets" in _source_packages()


def test_the_suite_runs_the_installed_wheel_under_the_test_command() -> None:
    """scripts/test.sh sets WALLBOARD_TEST_INSTALLED; then the board under test is in site-packages, not the tree."""
    if os.environ.get("WALLBOARD_TEST_INSTALLED") != "1":
        pytest.skip("a plain pytest runs the source tree; `bash scripts/test.sh` tests the built wheel")
    assert "site-packages" in INSTALLED.parts
    assert (SOURCE / "wallboard").resolve() != INSTALLED, "the package under test is the source tree's"


def test_run_time_files_are_package_data() -> None:
    """The demo config and the bridge firmware ship inside the package; nothing is read from the source tree."""
    for relative in (
        "app/demo/demo.toml",
        "firmware_bridge/firmware/main.py",
        "firmware_bridge/firmware/vectors.json",
        "app/tools/fleet_web/static/index.html",
        "app/tools/fleet_web/static/fleet.js",
        "app/tools/fleet_web/static/fleet.css",
    ):
        assert (INSTALLED / relative).is_file(), relative


def test_no_generic_top_level_names_are_installed() -> None:
    """Only ``wallboard`` is importable from the install: no bare device, display or firmware_bridge."""
    code = "import importlib.util, sys; sys.exit(any(importlib.util.find_spec(n) for n in sys.argv[1:]))"
    done = subprocess.run([sys.executable, "-I", "-c", code, *FOLDERS], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
