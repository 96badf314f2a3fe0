"""How long the tests wait: the time limits of tests that do real work, scaled for slower machines.

A limit sized for a development PC fails on the platform the product is for (a Pi 4 is slower) and under
emulation (an arm64 root under qemu-user runs about 6x slower). ``WALLBOARD_TEST_TIME_FACTOR`` (a number,
1 to 100, default 1) multiplies every wait for something to happen (``wait_until``, a broker's port, a
subprocess doing real work) and pytest-timeout's limit per test (tests/conftest.py); ``scripts/fresh-check.sh
arm64`` sets it to 6. It never shortens a wait, and it never scales a wait for something that must *not*
happen (a quiet period is the same length everywhere).
"""

from __future__ import annotations

import math
import os

import pytest

FACTOR_VARIABLE = "WALLBOARD_TEST_TIME_FACTOR"


def time_factor(environ: dict[str, str] | os._Environ[str] | None = None) -> float:
    """The factor from the environment (1 when unset); a value that is not a number from 1 to 100 is an error."""
    text = (os.environ if environ is None else environ).get(FACTOR_VARIABLE, "").strip()
    if not text:
        return 1.0
    try:
        factor = float(text)
    except ValueError:
        factor = math.nan
    if not (1.0 <= factor <= 100.0):
        raise pytest.UsageError(f"{FACTOR_VARIABLE}={text!r}: expected a number from 1 to 100 (e.g. 6 under qemu)")
    return factor


def scaled(seconds: float) -> float:
    """``seconds`` times the machine's time factor: the limit for a wait on real work."""
    return seconds * time_factor()
