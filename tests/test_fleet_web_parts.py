"""The fleet page's parts on their own: the screenshot budget, the watcher's bounds, cards, the change hub."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.helpers import ManualClock
from tests.ops_support import make_png
from wallboard.app.tools.fleet_web.app import Login
from wallboard.app.tools.fleet_web.cards import parse_board_id
from wallboard.app.tools.fleet_web.hub import ChangeHub
from wallboard.app.tools.fleet_web.serve import WebSettings, check_listen, parse_listen
from wallboard.app.tools.fleet_web.shots import ShotDesk, ShotPolicy
from wallboard.app.tools.fleet_web.watcher import FleetWatcher

NOW = 1_800_000_000.0


def _status(board: str = "floor1", **fields: Any) -> bytes:
    doc: dict[str, Any] = {"schema": 1, "status": "online", "board": board, "published_at": NOW, "interval_s": 30.0}
    doc.update(fields)
    return json.dumps(doc).encode()


def test_a_board_is_never_asked_more_often_than_its_budget_even_when_viewers_keep_opening_it() -> None:
    """Two a minute per board: a page opened every second for 5 minutes still sends at most 2 in any 60 s."""
    desk = ShotDesk(ShotPolicy(every_s=10, per_board_per_minute=2, in_flight=8, answer_timeout_s=5))
    key = ("london", "floor1")
    asked: list[float] = []
    for second in range(300):
        now = NOW + second
        desk.want(key)
        if desk.due([key], now):
            asked.append(now)
            desk.take(key, "png", make_png(4, 4), now + 0.5)  # answered at once
    assert len(asked) >= 9  # it does refresh: about twice a minute
    for first in asked:
        assert sum(1 for t in asked if first <= t < first + 60) <= 2


def test_thumbnails_are_asked_when_old_oldest_first_and_never_more_than_in_flight_at_once() -> None:
    desk = ShotDesk(ShotPolicy(every_s=60, per_board_per_minute=2, in_flight=3, answer_timeout_s=15))
    boards = [("s", f"b{i}") for i in range(10)]
    first = desk.due(boards, NOW)
    assert len(first) == 3  # never more than in_flight unanswered
    assert desk.due(boards, NOW + 1) == []  # still waiting for those three
    for key in first:
        desk.take(key, "png", make_png(4, 4), NOW + 2)
    second = desk.due(boards, NOW + 3)
    assert len(second) == 3 and not set(second) & set(first)  # the never-seen ones before a fresh one
    # A request nobody answers is given up after the timeout, says so, and frees its place.
    assert desk.due(boards, NOW + 10) == []
    third = desk.due(boards, NOW + 19)
    assert len(third) == 3
    shot = desk.get(second[0])
    assert shot is not None and shot.error == "no answer within 15 s" and shot.unanswered == 1
    # A thumbnail is asked again once 90 % of every_s old.
    desk = ShotDesk(ShotPolicy(every_s=60, in_flight=8))
    desk.due([("s", "b0")], NOW)
    desk.take(("s", "b0"), "png", make_png(4, 4), NOW)
    assert desk.due([("s", "b0")], NOW + 53) == []
    assert desk.due([("s", "b0")], NOW + 54) == [("s", "b0")]


def test_the_desk_keeps_only_pngs_and_twins_within_their_limits() -> None:
    desk = ShotDesk(ShotPolicy(max_png_bytes=1000, max_twin_bytes=100))
    key = ("s", "b")
    assert not desk.take(key, "png", b"not a png at all", NOW)
    assert not desk.take(key, "png", make_png(200, 200, (1, 2, 3)) + b"\0" * 2000, NOW)
    assert not desk.take(key, "text", b"[1, 2]", NOW)
    assert not desk.take(key, "text", json.dumps({"x": "y" * 200}).encode(), NOW)
    assert desk.take(key, "png", make_png(4, 4), NOW) and desk.take(key, "text", b'{"page": {"number": 1}}', NOW)
    assert desk.take(key, "error", b"no display\x1b[31m here", NOW)
    shot = desk.get(key)
    assert shot is not None and shot.error == "no display [31m here"
    assert (desk.oversized, desk.unreadable) == (2, 2)


def test_the_pictures_together_stay_within_their_total_the_oldest_let_go_first() -> None:
    picture = make_png(64, 64, (9, 9, 9))
    desk = ShotDesk(ShotPolicy(max_total_png_bytes=3 * len(picture)))
    for i in range(5):
        assert desk.take(("s", f"b{i}"), "png", picture, NOW + i)
    assert desk.held() == 3 and desk.let_go == 2
    assert [desk.get(("s", f"b{i}")).png is None for i in range(5)] == [True, True, False, False, False]  # type: ignore[union-attr]
    desk.forget(("s", "b4"))
    assert desk.take(("s", "b0"), "png", picture, NOW + 9) and desk.let_go == 2  # room again: nobody let go


def _watcher(**kwargs: Any) -> tuple[FleetWatcher, ManualClock]:
    clock = ManualClock(NOW)
    return FleetWatcher(ShotPolicy(every_s=60), clock=clock, **kwargs), clock


def test_the_watcher_keeps_at_most_max_boards_and_forgets_a_retired_one() -> None:
    watcher, _ = _watcher(max_boards=3)
    for i in range(5):
        watcher.take(f"wallboard/s/b{i}/status", _status(f"b{i}"))
    assert watcher.counts()["boards"] == 3 and watcher.boards_refused == 2
    watcher.take("wallboard/s/b0/screenshot/png", make_png(4, 4))
    assert watcher.png("s/b0") is not None
    watcher.take("wallboard/s/b0/status", b"")  # the retained status cleared: retired
    assert watcher.png("s/b0") is None and watcher.status("s/b0") is None
    # An answer from a board the page does not show is not kept (no growth from made-up topics).
    watcher.take("wallboard/s/nobody/screenshot/png", make_png(4, 4))
    assert watcher.png("s/nobody") is None


def test_cards_carry_flags_with_reasons_and_clean_text_and_requests_go_to_online_boards_only() -> None:
    watcher, clock = _watcher()
    watcher.take(
        "wallboard/s/hostile/status",
        _status(
            "hostile",
            name="<script>alert(1)</script>\x1b[2J\nx",
            data={"not_received": ["sales.calls_waiting"], "newest_age_s": 3},
            cache="degraded: disk full",
            remote_config={"result": "rejected", "problems": ["rule[1].warn_abov: unknown key"]},
            outputs={"signals": {"backend": "bridge", "lamps": {"firmware": "2.0.0", "boot": "WDT"}}},
        ),
    )
    watcher.take("wallboard/s/gone/status", json.dumps({"status": "offline", "published_at": NOW}).encode())
    snapshot = watcher.snapshot()
    hostile = json.loads(snapshot.cards["s/hostile"])
    assert hostile["name"] == "<script>alert(1)</script> [2J x"  # text stays text; control characters out
    reasons = {f["flag"]: f["reason"] for f in hostile["flags"]}
    assert reasons == {
        "cache": "degraded: disk full",
        "no-data": "never arrived: sales.calls_waiting",
        "config-refused": "rule[1].warn_abov: unknown key",
        "bridge": "bridge 2.0.0, boot WDT (its watchdog reset it)",
    }
    assert json.loads(snapshot.cards["s/gone"])["state"] == "offline"
    assert [topic for topic, _ in watcher.due_requests()] == ["wallboard/s/hostile/screenshot"]
    clock.advance(100)  # its status is now late: not current, so not asked either
    assert watcher.due_requests() == []
    assert json.loads(watcher.snapshot().cards["s/hostile"])["state"] == "unknown"


def test_board_ids_and_listen_addresses() -> None:
    assert parse_board_id("london/floor1") == ("london", "floor1")
    assert parse_board_id("london") is None and parse_board_id("a/b/c") is None and parse_board_id("/b") is None
    assert parse_listen("127.0.0.1:8080") == ("127.0.0.1", 8080)
    assert parse_listen("[::1]:9000") == ("::1", 9000)
    for bad in ("8080", "host:", "host:99999", ":80"):
        with pytest.raises(ValueError):
            parse_listen(bad)
    login = Login("it", "secret")
    assert check_listen(WebSettings("127.0.0.1")) is None
    assert check_listen(WebSettings("localhost")) is None
    assert "needs a login" in (check_listen(WebSettings("0.0.0.0")) or "")
    assert "over TLS" in (check_listen(WebSettings("192.0.2.7", login=login)) or "")
    assert check_listen(WebSettings("0.0.0.0", login=login, certfile="c.pem", keyfile="k.pem")) is None
    assert "go together" in (check_listen(WebSettings("127.0.0.1", certfile="c.pem")) or "")


def test_basic_login_needs_both_parts_right() -> None:
    import base64

    login = Login("it", "pa:ss")

    def header(text: str) -> bytes:
        return b"Basic " + base64.b64encode(text.encode())

    assert login.accepts(header("it:pa:ss"))
    assert not login.accepts(header("it:pa"))
    assert not login.accepts(header("IT:pa:ss"))
    assert not login.accepts(None) and not login.accepts(b"Basic !!!") and not login.accepts(b"Bearer x")


def test_the_hub_sends_only_what_changed_and_drops_a_viewer_that_cannot_keep_up() -> None:
    async def scenario() -> None:
        watcher, _ = _watcher()
        watcher.take("wallboard/s/a/status", _status("a"))
        watcher.take("wallboard/s/b/status", _status("b"))
        hub = ChangeHub(watcher, "broker:1883")
        hub.refresh()
        queue, first = hub.join()
        assert first.startswith("event: snapshot\n") and len(json.loads(first.split("data: ", 1)[1])["boards"]) == 2
        hub.refresh()
        assert queue.empty()  # nothing changed: nothing sent
        watcher.take("wallboard/s/b/status", _status("b", alarm={"state": "critical"}))
        hub.refresh()
        message = queue.get_nowait()
        assert message is not None
        sent = json.loads(message.split("data: ", 1)[1])
        assert [card["id"] for card in sent["cards"]] == ["s/b"] and sent["cards"][0]["alarm"] == "critical"
        watcher.take("wallboard/s/a/status", b"")
        hub.refresh()
        message = queue.get_nowait()
        assert message is not None and json.loads(message.split("data: ", 1)[1])["gone"] == ["s/a"]
        for i in range(100):  # a viewer that reads nothing
            watcher.take("wallboard/s/b/status", _status("b", uptime_s=i))
            hub.refresh()
        assert hub.viewers == 0 and hub.viewers_dropped == 1

    asyncio.run(scenario())
