"""Health telemetry: temperatures from a fake sysfs tree, and the retained status on a real mosquitto."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.broker import Mosquitto
from tests.conftest import board_toml
from tests.helpers import WriteConfig
from tests.ops_support import FakeDisplay, Inbox, status_where
from wallboard.app.loop.board import Board
from wallboard.app.loop.compose import compose_board, no_outputs
from wallboard.app.tools.mqtt_client import ToolClient
from wallboard.device.config.reading import load_config
from wallboard.device.core.view import ScreenReport
from wallboard.ops.health import HealthPublisher
from wallboard.ops.status import STATUS_SCHEMA
from wallboard.ops.sysinfo import read_disk, read_temperature


def _zone(root: Path, name: str, kind: str, millidegrees: str) -> None:
    zone = root / "class" / "thermal" / name
    zone.mkdir(parents=True)
    (zone / "type").write_text(kind + "\n")
    (zone / "temp").write_text(millidegrees + "\n")


def test_temperature_prefers_the_cpu_thermal_zone(tmp_path: Path) -> None:
    """Of several thermal zones, the SoC's (cpu-thermal) is reported, in degrees with one decimal."""
    _zone(tmp_path, "thermal_zone0", "gpu-thermal", "40000")
    _zone(tmp_path, "thermal_zone1", "cpu-thermal", "51234")
    reading = read_temperature(tmp_path)
    assert reading is not None
    assert (reading.celsius, reading.source) == (51.2, "thermal_zone1:cpu-thermal")


def test_temperature_falls_back_to_hwmon(tmp_path: Path) -> None:
    """Without thermal zones, the first hwmon temperature input is used and named."""
    chip = tmp_path / "class" / "hwmon" / "hwmon0"
    chip.mkdir(parents=True)
    (chip / "name").write_text("coretemp\n")
    (chip / "temp1_input").write_text("47000\n")
    reading = read_temperature(tmp_path)
    assert reading is not None
    assert (reading.celsius, reading.source) == (47.0, "hwmon0:coretemp")


def test_temperature_is_none_without_a_sane_sensor(tmp_path: Path) -> None:
    """No sensors, or only garbage and absent-sensor values, give None rather than an error or a fake figure."""
    assert read_temperature(tmp_path) is None
    _zone(tmp_path, "thermal_zone0", "cpu-thermal", "not a number")
    _zone(tmp_path, "thermal_zone1", "acpitz", "-273000")
    assert read_temperature(tmp_path) is None


def test_disk_figures_for_a_folder_not_created_yet(tmp_path: Path) -> None:
    """Disk space is read from the nearest existing parent of the cache folder."""
    disk = read_disk(tmp_path / "not" / "yet")
    assert disk is not None and disk.free_bytes > 0 and 0 <= disk.used_pct <= 100


@pytest.fixture
def status_inbox(mosquitto: Mosquitto) -> Iterator[Inbox]:
    """A client subscribed to every board's status on the test broker."""
    client = ToolClient("127.0.0.1", mosquitto.port)
    client.connect()
    client.subscribe("wallboard/+/+/status")
    try:
        yield Inbox(client)
    finally:
        client.close()


def _health_board(path: Path) -> tuple[Board, FakeDisplay]:
    board = compose_board(load_config(path), outputs=no_outputs)
    display = FakeDisplay(fps=2.5)
    board.outputs.extend([display, HealthPublisher(board.source, board.topics, board.outputs)])
    board.start()
    return board, display


def test_status_is_retained_with_the_health_figures(
    mosquitto: Mosquitto, tmp_path: Path, write_config: WriteConfig, status_inbox: Inbox
) -> None:
    """The board's retained status carries version, checksum, temperature, fps, connection, data and rejections."""
    sysfs = tmp_path / "sys"
    _zone(sysfs, "thermal_zone0", "cpu-thermal", "81500")
    extra = f'[health]\ninterval = "1s"\nsysfs = "{sysfs}"\n'
    board, _ = _health_board(write_config(board_toml(mosquitto.port, tmp_path / "state", extra)))
    try:
        status_where(board, status_inbox, lambda d: d["status"] == "online", "online status")
        mosquitto.publish("cc/lab/queue/sales", json.dumps({"calls_waiting": 4}))
        mosquitto.publish("cc/lab/queue/sales", b"{not json")
        status = status_where(
            board, status_inbox, lambda d: d["rejected_total"] >= 1 and d["data"]["metrics"] >= 1, "figures"
        )
    finally:
        board.close()
    assert status["schema"] == STATUS_SCHEMA
    assert (status["site"], status["board"], status["version"]) == ("lab", "b1", "0.1.0")
    assert status["config_checksum"] == board.loaded.checksum
    assert status["temperature_c"] == 81.5 and status["hot"] is True
    assert status["fps"] == 2.5 and status["frames_drawn"] >= 1
    assert status["connection"]["state"] == "up"
    assert status["data"]["newest_age_s"] < 5 and status["data"]["stale"] is False
    assert status["rejected"] == {"malformed": 1}
    assert status["memory"]["rss_bytes"] > 0 and status["uptime_s"] >= 0
    assert status["disk"]["free_bytes"] > 0
    assert status["alarm"]["state"] in {"normal", "unknown"}

    late = ToolClient("127.0.0.1", mosquitto.port)
    late.connect()
    try:
        late.subscribe(board.topics.status)
        message = late.next_message(5)
    finally:
        late.close()
    assert message is not None and json.loads(message[1])["status"] == "offline"  # retained: the farewell


def test_status_goes_out_at_once_when_the_alarm_changes(
    mosquitto: Mosquitto, tmp_path: Path, write_config: WriteConfig, status_inbox: Inbox
) -> None:
    """With a 10-minute interval, a rule tripping still publishes a new status within a second or two.

    The machine's figures in it are the interval's sample, not read again for the alarm (reading PSS walks
    the page tables: milliseconds a time, on every flap of an alarm).
    """
    extra = (
        '[health]\ninterval = "10m"\n[[rule]]\nmetric = "sales.calls_waiting"\nwarn_above = 5\ncritical_above = 10\n'
    )
    board, _ = _health_board(write_config(board_toml(mosquitto.port, tmp_path / "state", extra)))
    try:
        first = status_where(board, status_inbox, lambda d: d["status"] == "online", "online status")
        mosquitto.publish("cc/lab/queue/sales", json.dumps({"calls_waiting": 2}))
        status_where(board, status_inbox, lambda d: d["alarm"]["state"] == "normal", "normal", timeout=5)
        started = time.monotonic()
        mosquitto.publish("cc/lab/queue/sales", json.dumps({"calls_waiting": 12}))
        status = status_where(board, status_inbox, lambda d: d["alarm"]["state"] == "critical", "critical", timeout=5)
        assert time.monotonic() - started < 3
        assert status["interval_s"] == 600
        machine = ("memory", "cpu_pct", "disk")
        assert [status[name] for name in machine] == [first[name] for name in machine]
    finally:
        board.close()


def test_without_a_display_fps_is_null(
    mosquitto: Mosquitto, tmp_path: Path, write_config: WriteConfig, status_inbox: Inbox
) -> None:
    """A board with no display reports fps and frames as null rather than a made-up figure."""
    board = compose_board(load_config(write_config(board_toml(mosquitto.port, tmp_path / "state"))), outputs=no_outputs)
    board.outputs.append(HealthPublisher(board.source, board.topics, board.outputs))
    board.start()
    try:
        status = status_where(board, status_inbox, lambda d: d["status"] == "online", "online status")
    finally:
        board.close()
    assert status["fps"] is None and status["frames_drawn"] is None


def test_the_documented_example_has_exactly_the_fields_a_board_sends(tmp_path: Path) -> None:
    """docs/status-format.md's online example and table match the document the board builds, field for field."""
    from tests.broker import free_port
    from wallboard.device.config.remote import ConfigOutcome
    from wallboard.device.core.view import BoardView

    docs = (Path(__file__).resolve().parent.parent / "docs" / "status-format.md").read_text()
    example = json.loads(docs.split("```json\n", 1)[1].split("```", 1)[0])
    path = tmp_path / "board.toml"
    path.write_text(board_toml(free_port(), tmp_path / "state"))
    board = compose_board(load_config(path), outputs=no_outputs)
    views: list[BoardView] = []

    class Capture:
        def render(self, view: BoardView) -> float:
            views.append(view)
            return 1.0

        def close(self) -> None:
            return None

    class Screen:
        def screen_report(self) -> ScreenReport:
            return ScreenReport(driver="kmsdrm", resolution=(1920, 1080), state="ok", frames_drawn=5)

    board.outputs.append(Capture())
    board.config_outcome = ConfigOutcome("applied", board.loaded.checksum, 1.0)
    board.step()
    document = HealthPublisher(board.source, board.topics, [*board.outputs, Screen()]).document(views[0])
    board.close()

    def keys(value: dict[str, object], prefix: str = "") -> set[str]:
        found = set()
        for key, inner in value.items():
            found.add(prefix + key)
            if isinstance(inner, dict) and key not in {"rejected", "outputs"}:
                found |= keys(inner, f"{prefix}{key}.")
        return found

    assert keys(example) == keys(document)
    for key in keys(document):
        assert f"`{key.split('.')[0]}" in docs, f"{key} is not described in docs/status-format.md"
