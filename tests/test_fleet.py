"""The fleet view: status documents to rows and flags, and two live boards, one killed with kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.broker import Mosquitto
from tests.conftest import board_toml
from tests.helpers import WriteConfig, step_until, wait_until
from tests.ops_support import FakeDisplay, fleet_rows
from wallboard.app.loop.compose import compose_board, no_outputs
from wallboard.app.tools.fleet import Fleet, format_table, rows_json
from wallboard.device.config.reading import load_config
from wallboard.device.core.values import LinkStatus
from wallboard.ops.health import HealthPublisher

WALLBOARD = Path(sys.executable).parent / "wallboard"
NOW = 1_763_800_000.0


def _status(**changes: Any) -> bytes:
    document: dict[str, Any] = {
        "schema": 1,
        "status": "online",
        "version": "0.1.0",
        "published_at": NOW - 5,
        "interval_s": 30.0,
        "uptime_s": 7200.0,
        "temperature_c": 52.0,
        "hot": False,
        "data": {"newest_age_s": 3.0, "stale": False},
        "alarm": {"state": "warn"},
    }
    document.update(changes)
    return json.dumps(document).encode()


def test_rows_flag_offline_hot_stale_silent_and_dark_boards() -> None:
    """Each problem a board can have shows as its own flag; a healthy board has none."""
    fleet = Fleet(hot_celsius=70)
    fleet.update("wallboard/london/ok/status", _status())
    fleet.update("wallboard/london/gone/status", json.dumps({"schema": 1, "status": "offline"}).encode())
    fleet.update("wallboard/london/hot/status", _status(temperature_c=71.5))
    fleet.update("wallboard/paris/stale/status", _status(data={"newest_age_s": 900.0, "stale": True}))
    fleet.update("wallboard/paris/hung/status", _status(published_at=NOW - 200))
    dark = {"driver": "kmsdrm", "resolution": None, "state": "retrying: no DRM device", "showing": False}
    fleet.update("wallboard/paris/dark/status", _status(display=dark))
    fleet.update("wallboard/paris/lit/status", _status(display=dark | {"state": "ok", "showing": True}))
    flags = {(row.site, row.board): row.flags for row in fleet.rows(NOW)}
    assert flags == {
        ("london", "gone"): ("offline",),
        ("london", "hot"): ("hot",),
        ("london", "ok"): (),
        ("paris", "dark"): ("dark",),
        ("paris", "hung"): ("silent",),
        ("paris", "lit"): (),
        ("paris", "stale"): ("stale",),
    }


def test_a_board_whose_bridge_firmware_has_faults_restarts_or_is_refused_is_flagged_bridge() -> None:
    """Firmware faults, a watchdog restart or a refused protocol flag the board ``bridge``; a clean bridge does not."""
    fleet = Fleet()
    lamps = {"device": "bridge on /dev/ttyACM0", "connected": True, "firmware": "2.0.0", "protocol": "2",
             "refused": None, "firmware_faults": 0, "last_fault": None, "boot": "PWR", "restarts": 0}  # fmt: skip
    for board, changes in {
        "clean": {},
        "faulty": {"firmware_faults": 2, "last_fault": "OSError"},
        "reset": {"boot": "WDT", "restarts": 1},
        "old": {"connected": False, "refused": "firmware 1.0.0 speaks protocol 1, this board speaks 2: ..."},
    }.items():
        outputs = {"signals": {"backend": "bridge", "lamps": lamps | changes}}
        fleet.update(f"wallboard/london/{board}/status", _status(outputs=outputs))
    flags = {row.board: row.flags for row in fleet.rows(NOW)}
    assert flags == {"clean": (), "faulty": ("bridge",), "reset": ("bridge",), "old": ("bridge",)}


def test_unreadable_and_cleared_statuses() -> None:
    """A status that is not JSON is counted and ignored; an empty retained message retires the board."""
    fleet = Fleet()
    assert not fleet.update("wallboard/london/a/status", b"{nope")
    assert fleet.update("wallboard/london/b/status", _status())
    assert fleet.update("wallboard/london/b/status", b"")
    assert fleet.rows(NOW) == [] and fleet.unreadable == 1


def test_table_and_json_show_the_columns_it_needs() -> None:
    """The table has a header and one line per board; the JSON has the same rows for scripts."""
    fleet = Fleet()
    fleet.update("wallboard/london/floor1/status", _status())
    rows = fleet.rows(NOW)
    lines = format_table(rows).splitlines()
    header = ["SITE", "BOARD", "ONLINE", "VERSION", "UPTIME", "TEMP", "DATA", "AGE", "ALARM", "SCREEN", "FLAGS"]
    assert lines[0].split() == header
    # Its data was 3 s old when the status was published 5 s ago: at most 8 s old now.
    assert lines[1].split() == ["london", "floor1", "yes", "0.1.0", "2.0h", "52C", "8s", "warn", "-", "ok"]
    (row,) = json.loads(rows_json(rows))
    assert row["board"] == "floor1" and row["online"] is True and row["flags"] == []


def test_a_status_older_than_its_interval_is_not_shown_as_current() -> None:
    """A board whose last status is past its interval (plus grace) reads '?', flagged late, its data age grown."""
    fleet = Fleet()
    fleet.update("wallboard/london/fresh/status", _status(published_at=NOW - 30))
    fleet.update("wallboard/london/late/status", _status(published_at=NOW - 40))
    rows = {row.board: row for row in fleet.rows(NOW)}
    assert (rows["fresh"].online, rows["fresh"].flags, rows["fresh"].data_age_s) == (True, (), 33.0)
    assert (rows["late"].online, rows["late"].flags, rows["late"].data_age_s) == (None, ("late",), 43.0)
    late_line = format_table(list(rows.values())).splitlines()[2].split()
    assert late_line[:3] == ["london", "late", "?"] and late_line[6] == "43s" and late_line[-1] == "late"


def test_boards_of_a_site_whose_bridge_is_down_read_site_unreachable() -> None:
    """Bridge state 0 marks every board of that site unreachable since its last status; 1 clears it."""
    fleet = Fleet()
    fleet.update("wallboard/london/floor1/status", _status())
    fleet.update("wallboard/paris/floor1/status", _status(published_at=NOW - 12))
    fleet.update("wallboard/paris/lobby/status", _status(published_at=NOW - 8))
    fleet.update("wallboard/paris/gone/status", json.dumps({"schema": 1, "status": "offline"}).encode())
    assert fleet.update("wallboard/paris/bridge/state", b"0") and fleet.update("wallboard/london/bridge/state", b"1")
    rows = {(row.site, row.board): row for row in fleet.rows(NOW)}
    assert rows["london", "floor1"].online is True and rows["london", "floor1"].flags == ()
    for board in ("floor1", "lobby"):
        row = rows["paris", board]
        assert (row.online, row.flags, row.site_unreachable_since) == (None, ("unreachable",), NOW - 8)
    assert rows["paris", "gone"].flags == ("offline", "unreachable")
    table = format_table(list(rows.values()))
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(NOW - 8))  # not today: dated
    paris_lines = [line for line in table.splitlines() if line.startswith("paris")]
    assert len(paris_lines) == 3 and all(line.endswith(f"site unreachable since {since}") for line in paris_lines)
    assert fleet.bridge_down_sites() == ["paris"]
    fleet.update("wallboard/rome/bridge/state", b"0")  # a site with no board known here is still named
    assert fleet.bridge_down_sites() == ["paris", "rome"]
    fleet.update("wallboard/paris/bridge/state", b"1")
    assert all(row.flags == () for row in fleet.rows(NOW) if row.board != "gone")
    assert not fleet.update("wallboard/paris/bridge/state", b"maybe") and fleet.unreadable == 1


def test_at_the_sites_own_broker_a_board_heard_after_the_bridge_went_down_is_live() -> None:
    """The site's broker says its bridge is down, yet its boards' statuses keep arriving: they are live here."""
    fleet = Fleet()
    fleet.update("wallboard/paris/floor1/status", _status(published_at=NOW - 20))
    fleet.update("wallboard/paris/lobby/status", _status(published_at=NOW - 20))
    fleet.update("wallboard/paris/bridge/state", b"0")  # the WAN is cut: the site's local notification
    fleet.update("wallboard/paris/floor1/status", _status(published_at=NOW - 1))  # heard since: reachable
    rows = {row.board: row for row in fleet.rows(NOW)}
    assert (rows["floor1"].online, rows["floor1"].flags, rows["floor1"].site_unreachable_since) == (True, (), None)
    assert (rows["lobby"].online, rows["lobby"].flags) == (None, ("unreachable",))  # not heard since the cut
    assert fleet.bridge_down_sites() == ["paris"]  # the bridge itself is still down, and said so
    # A viewer's reconnection replays what the broker holds: the same documents, the same 0. Nothing changes.
    fleet.update("wallboard/paris/floor1/status", _status(published_at=NOW - 1))
    fleet.update("wallboard/paris/lobby/status", _status(published_at=NOW - 20))
    fleet.update("wallboard/paris/bridge/state", b"0")
    assert [row.flags for row in fleet.rows(NOW)] == [(), ("unreachable",)]
    fleet.update("wallboard/paris/bridge/state", b"1")
    fleet.update("wallboard/paris/bridge/state", b"0")  # down again: neither heard since
    assert [row.flags for row in fleet.rows(NOW)] == [("unreachable",), ("unreachable",)]


def test_screen_column_shows_driver_renderer_safe_path_and_flip_errors() -> None:
    """SCREEN says driver/renderer, `safe` after a crash at open, and the failed page flips, in table and JSON."""
    fleet = Fleet()
    display = {"driver": "kmsdrm", "renderer": "software", "state": "ok", "showing": True,
               "safe_mode": "the last screen open (kmsdrm with renderer opengles2) killed the board: ...",
               "present_errors": 12, "last_present_error": "Could not queue pageflip: -12"}  # fmt: skip
    fleet.update("wallboard/london/floor1/status", _status(display=display))
    fleet.update("wallboard/london/floor2/status", _status(display=display | {"safe_mode": "", "present_errors": 0}))
    rows = fleet.rows(NOW)
    assert [row.screen for row in rows] == ["kmsdrm/software safe 12 flip errors", "kmsdrm/software"]
    assert "kmsdrm/software safe 12 flip errors" in format_table(rows).splitlines()[1]
    assert json.loads(rows_json(rows))[0]["screen"] == "kmsdrm/software safe 12 flip errors"


def test_two_boards_listed_and_a_killed_one_shown_offline_by_its_will(
    mosquitto: Mosquitto, tmp_path: Path, write_config: WriteConfig
) -> None:
    """Boards a (in this process) and b (`wallboard run`) are listed online; after kill -9, b is offline."""
    board_a = compose_board(
        load_config(write_config(board_toml(mosquitto.port, tmp_path / "a"), "a.toml")), outputs=no_outputs
    )
    board_a.outputs.extend([FakeDisplay(), HealthPublisher(board_a.source, board_a.topics, board_a.outputs)])
    config_b = write_config(board_toml(mosquitto.port, tmp_path / "b", board="b2"), "b.toml")
    process = subprocess.Popen(
        [str(WALLBOARD), "run", "--config", str(config_b)],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    board_a.start()
    try:
        step_until(board_a, lambda: board_a.state.link.status is LinkStatus.UP, what="board a up")
        board_a.step()
        seen: dict[str, dict[str, Any]] = {}

        def both_online() -> bool:
            board_a.step()
            seen.update(fleet_rows(mosquitto.port))
            return all(seen.get(b, {}).get("online") for b in ("b1", "b2"))

        wait_until(both_online, timeout=30, what="both boards online in the fleet view")
        assert seen["b2"]["version"] == "0.1.0" and seen["b2"]["flags"] in ([], ["stale"])

        process.send_signal(signal.SIGKILL)
        process.wait(10)

        def b_offline() -> bool:
            board_a.step()
            seen.update(fleet_rows(mosquitto.port))
            return seen["b2"]["online"] is False

        wait_until(b_offline, timeout=20, what="the will marking b2 offline")
        assert seen["b2"]["flags"] == ["offline"]
        assert seen["b1"]["online"] is True
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        board_a.close()


def test_fleet_command_prints_json_for_scripts(mosquitto: Mosquitto) -> None:
    """`wallboard fleet --once --json` prints the boards whose status is retained on the broker."""
    mosquitto.publish("wallboard/london/floor9/status", _status(published_at=1_000_000_000), retain=True)
    result = subprocess.run(
        [str(WALLBOARD), "fleet", "--broker", f"127.0.0.1:{mosquitto.port}", "--once", "--json", "--timeout", "1"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    (row,) = json.loads(result.stdout)
    assert (row["site"], row["board"], row["alarm"]) == ("london", "floor9", "warn")
    assert row["flags"] == ["silent"]  # its last status is from 2001


def test_fleet_command_reports_an_unreachable_broker(tmp_path: Path) -> None:
    """A broker that is not there is an error message and exit status 1, not a traceback."""
    from tests.broker import free_port

    started = time.monotonic()
    result = subprocess.run(
        [str(WALLBOARD), "fleet", "--broker", f"127.0.0.1:{free_port()}", "--once"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1 and "cannot reach MQTT broker" in result.stderr
    assert time.monotonic() - started < 15


def test_fleet_strips_control_characters_from_wire_text(mosquitto: Mosquitto) -> None:
    """Escape sequences and newlines in a board's status never reach the admin's terminal, nor forge a row."""
    hostile = "\x1b]0;pwned\x07\x1b[2J\x1b[31mred"
    forged = "0.1.0\nevil     forged   yes      9.9.9"
    mosquitto.publish(
        "wallboard/london/floor9/status",
        _status(version=forged, alarm={"state": hostile}, remote_config={"result": "applied\r\x1b[1A"}),
        retain=True,
    )
    result = subprocess.run(
        [str(WALLBOARD), "fleet", "--broker", f"127.0.0.1:{mosquitto.port}", "--once", "--timeout", "1"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert not any(ord(ch) < 32 and ch != "\n" for ch in result.stdout), repr(result.stdout)
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    lines = result.stdout.splitlines()
    assert len(lines) == 2, lines  # the header and one board: the newline forged no row
    assert "0.1.0 evil" in lines[1] and "]0;pwned [2J [31mred" in lines[1]
    # mosquitto refuses control characters in topic names; a broker that passed them on is handled too.
    fleet = Fleet()
    fleet.update("wallboard/lon\x1b[2Jdon/floor\n9/status", _status())
    (row,) = fleet.rows(NOW)
    assert (row.site, row.board) == ("lon [2Jdon", "floor 9")


def test_fleet_command_names_a_site_whose_bridge_is_down(mosquitto: Mosquitto) -> None:
    """The table marks the boards of a site whose retained bridge state is 0, and names the site below it."""
    mosquitto.publish("wallboard/paris/floor1/status", _status(published_at=time.time() - 3), retain=True)
    mosquitto.publish("wallboard/paris/bridge/state", "0", retain=True)
    mosquitto.publish("wallboard/rome/bridge/state", "0", retain=True)
    result = subprocess.run(
        [str(WALLBOARD), "fleet", "--broker", f"127.0.0.1:{mosquitto.port}", "--once", "--timeout", "1"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    _header, paris, footer = result.stdout.splitlines()
    assert paris.split()[:3] == ["paris", "floor1", "?"] and "site unreachable since " in paris
    assert footer == "bridge down (wallboard/<site>/bridge/state 0): paris, rome"
