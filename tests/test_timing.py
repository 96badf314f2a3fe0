"""The tests' time factor: what WALLBOARD_TEST_TIME_FACTOR accepts, and that it scales each test's time limit."""

from __future__ import annotations

import pytest

from tests.timing import FACTOR_VARIABLE, scaled, time_factor


def test_time_factor_is_one_when_unset_and_reads_a_number() -> None:
    """No variable means 1; "6" (the arm64 run under qemu) means 6."""
    assert time_factor({}) == 1.0
    assert time_factor({FACTOR_VARIABLE: "6"}) == 6.0


@pytest.mark.parametrize("text", ["0.5", "0", "-2", "fast", "nan", "1000"])
def test_time_factor_refuses_what_is_not_a_number_from_1_to_100(text: str) -> None:
    """A factor that would shorten waits, or is not a number, stops the run with a message naming the variable."""
    with pytest.raises(pytest.UsageError, match=FACTOR_VARIABLE):
        time_factor({FACTOR_VARIABLE: text})


def test_each_test_s_time_limit_is_the_configured_one_times_the_factor(request: pytest.FixtureRequest) -> None:
    """conftest gives every test pytest-timeout's limit (120 s in pyproject.toml) times the factor."""
    marker = request.node.get_closest_marker("timeout")
    assert marker is not None and marker.args[0] == pytest.approx(scaled(120))
