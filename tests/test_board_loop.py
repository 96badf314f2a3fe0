"""The run loop with an injected message source: no broker, the recording FakeSource plays its part."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import ManualClock
from tests.ops_support import FakeDisplay
from wallboard.app.loop.board import Board
from wallboard.device.config.reading import load_config_text
from wallboard.device.core.rules import Severity
from wallboard.device.core.values import LinkStatus
from wallboard.device.edge.cache import open_cache
from wallboard.device.edge.source import FakeSource
from wallboard.ops.health import HealthPublisher
from wallboard.ops.screenshot import ScreenshotResponder

NOW = 1_763_800_000.0


def _board(tmp_path: Path, extra: str = "", *, outputs: bool = False) -> tuple[Board, FakeSource, ManualClock]:
    text = f"""
[site]
id = "lab"
[board]
id = "b1"
[cache]
dir = "{tmp_path / "state"}"
[[rule]]
metric = "sales.calls_waiting"
warn_above = 5
critical_above = 10
{extra}
"""
    loaded = load_config_text(text, name="board.toml", base_dir=tmp_path)
    wall = ManualClock(NOW)
    source = FakeSource(address="broker.test:1883", clock=wall)
    board = Board(loaded, source=source, cache=open_cache(loaded.config.cache), wall_clock=wall, clock=ManualClock())
    if outputs:
        display = FakeDisplay()
        board.outputs.extend([display])
        board.outputs.extend(
            [
                ScreenshotResponder(board.source, board.topics, board.outputs),
                HealthPublisher(board.source, board.topics, board.outputs),
            ]
        )
    board.start()
    return board, source, wall


def test_start_subscribes_to_the_boards_topics_with_an_offline_will(tmp_path: Path) -> None:
    """On start the source is told the subscriptions and a retained will saying offline on the status topic."""
    board, source, _ = _board(tmp_path)
    assert "cc/lab/queue/+" in source.subscriptions
    assert "wallboard/lab/b1/ack" in source.subscriptions
    assert source.will is not None and source.will.topic == "wallboard/lab/b1/status" and source.will.retain
    assert json.loads(source.will.payload)["status"] == "offline"
    board.close()


def test_a_delivered_message_reaches_the_state_and_the_rules(tmp_path: Path) -> None:
    """A queue message delivered by the source is in the state after one pass, and the rule trips at once."""
    board, source, _ = _board(tmp_path)
    source.link(LinkStatus.UP)
    source.deliver("cc/lab/queue/sales", json.dumps({"ts": NOW, "calls_waiting": 12}))
    board.step()
    held = board.state.value("sales.calls_waiting")
    assert held is not None and held.value == 12
    assert board.state.link.status is LinkStatus.UP
    assert board.assessment.board is Severity.CRITICAL
    board.close()


def test_close_publishes_the_farewell_and_stops_the_source(tmp_path: Path) -> None:
    """Closing the board publishes a retained offline status through the source and stops it."""
    board, source, _ = _board(tmp_path)
    source.link(LinkStatus.UP)
    board.step()
    board.close()
    last = source.messages_on("wallboard/lab/b1/status")[-1]
    assert last.retain and json.loads(last.payload)["status"] == "offline"
    assert source.stopped


def test_health_and_screenshot_publish_through_the_port(tmp_path: Path) -> None:
    """The health publisher sends the full status on link-up; a screenshot request is answered with a PNG."""
    board, source, _ = _board(tmp_path, outputs=True)
    source.link(LinkStatus.UP)
    board.step()
    status = json.loads(source.messages_on("wallboard/lab/b1/status")[-1].payload)
    assert status["status"] == "online" and status["connection"]["broker"] == "broker.test:1883"
    assert status["config_checksum"] == board.loaded.checksum
    source.deliver("wallboard/lab/b1/screenshot", b'{"max_width": 320}')
    board.step()
    answers = source.messages_on("wallboard/lab/b1/screenshot/png")
    assert len(answers) == 1 and answers[0].payload.startswith(b"\x89PNG") and not answers[0].retain
    board.close()


def test_a_remote_config_is_judged_and_applied_on_the_main_thread(tmp_path: Path) -> None:
    """A valid retained config on the board's config topic is applied and reported; subscriptions follow it."""
    board, source, _ = _board(tmp_path)
    source.link(LinkStatus.UP)
    remote = '[site]\nid = "lab"\n[board]\nid = "b1"\nname = "Remote"\n[[topic]]\ntopic = "pbx/w"\n'
    remote += 'metric = "sales.calls_waiting"\n'
    source.deliver("wallboard/lab/b1/config", remote)
    board.step()
    assert board.config.board.name == "Remote"
    assert board.config_outcome is not None and board.config_outcome.result == "applied"
    assert "pbx/w" in source.subscriptions
    board.close()
