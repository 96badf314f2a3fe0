"""The read-only port: outputs get the board state as a ``StateReader``, which offers no way to change it."""

from __future__ import annotations

import inspect
from pathlib import Path

from tests.conftest import board_toml
from wallboard.device.config.reading import load_config_text
from wallboard.device.core.reader import StateReader
from wallboard.device.core.rejections import RejectionCounter
from wallboard.device.core.state import BoardState
from wallboard.device.core.updates import Reading

MUTATORS = {"apply", "apply_all", "restore", "set_link", "set_clock_sync", "use_config", "take_changed"}


def _port_members() -> set[str]:
    return {name for name, _ in inspect.getmembers(StateReader) if not name.startswith("_")}


def test_the_port_has_no_mutator() -> None:
    """None of BoardState's mutators is on the StateReader port; every reader member is on BoardState."""
    members = _port_members()
    assert members, "the port lists its members"
    assert not members & MUTATORS
    assert members <= {name for name in dir(BoardState) if not name.startswith("_")} | {
        "link",
        "link_log",
        "agent_status",
        "feeds",
        "acknowledgements",
        "newest_received_at",
        "clock_synchronised",
        "clock_unsynchronised_since",
        "version",
    }


def test_a_board_state_reads_through_the_port(tmp_path: Path) -> None:
    """A value applied to the state is read back through the port with its age and freshness."""
    config = load_config_text(board_toml(1883, tmp_path)).config
    state = BoardState(config, RejectionCounter(), clock=lambda: 1_000.0)
    state.apply(Reading("sales.calls_waiting", 7.0, 990.0, 995.0))
    reader: StateReader = state
    held = reader.value("sales.calls_waiting")
    assert held is not None and held.value == 7.0
    assert reader.age("sales.calls_waiting") == 10.0
    assert reader.fresh_value("sales.calls_waiting") == 7.0
    assert reader.history("sales.calls_waiting") == [(990.0, 7.0)]
