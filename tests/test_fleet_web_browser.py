"""The fleet page in a real browser: mosquitto, real boards, the ``fleet --serve`` process and headless Chromium.

What IT sees: every board under its site with its screen, a board killed shown offline within its will's
time and back online when it returns, a board's twin readable on click, a status field holding markup shown
as the characters it is (no script runs), and a page that says it is not live when its server goes away.
Set ``WALLBOARD_DOCS_SHOTS`` to a folder to keep the page's pictures at laptop and phone width (docs/fleet.md).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.broker import Mosquitto
from tests.fleet_web_support import CHROMIUM_HINT, RealBoard, chromium, fleet_server, simulated_site, wait_for

HOSTILE_BOARD = "<img src=y onerror=window.pwned=3>"  # a topic level may hold anything but "/", "+" and "#"
HOSTILE_NAME = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">'


@pytest.fixture
def browser() -> Iterator[Browser]:
    path = chromium()
    try:
        manager = sync_playwright().start()
        launched = manager.chromium.launch(executable_path=path, headless=True)
    except Exception as exc:  # a missing library of Playwright's driver or of Chromium: say what to install
        pytest.fail(f"Playwright could not start {path}: {exc}\n{CHROMIUM_HINT}", pytrace=False)
    try:
        yield launched
    finally:
        launched.close()
        manager.stop()


def _card(page: Page, ident: str) -> dict[str, Any] | None:
    """The card element of ``ident`` as the page shows it (found by its data, so any id works)."""
    found = page.evaluate(
        """(id) => {
            const node = [...document.querySelectorAll('.card')].find((c) => c.dataset.id === id);
            if (!node) return null;
            const img = node.querySelector('.thumb img');
            return {state: node.dataset.state, flags: node.dataset.flags,
                    name: node.querySelector('.name').textContent,
                    pill: node.querySelector('.pill').textContent,
                    thumb: img ? img.naturalWidth : 0};
        }""",
        ident,
    )
    assert found is None or isinstance(found, dict)
    return found


def _thumb_src(page: Page, ident: str) -> str:
    src = page.evaluate(
        "(id) => { const c = [...document.querySelectorAll('.card')].find((n) => n.dataset.id === id);"
        " const img = c && c.querySelector('.thumb img'); return img ? img.getAttribute('src') : ''; }",
        ident,
    )
    return str(src)


def _hostile_status() -> str:
    return json.dumps(
        {"schema": 1, "status": "online", "name": HOSTILE_NAME, "published_at": time.time(), "interval_s": 3600,
         "version": "0.1.0\x1b[31m", "alarm": {"state": "critical"}, "cache": "degraded: <i>disk</i> full"}
    )  # fmt: skip


def test_the_page_shows_the_fleet_live_a_board_going_offline_and_back_its_twin_and_markup_as_text(
    mosquitto: Mosquitto, tmp_path: Path, browser: Browser
) -> None:
    boards = [RealBoard("london", name, mosquitto.port, tmp_path, name=f"Floor {i}") for i, name in ((1, "floor1"),
              (2, "floor2"))]  # fmt: skip
    for board in boards:
        board.start()
    mosquitto.publish(f"wallboard/paris/{HOSTILE_BOARD}/status", _hostile_status(), retain=True)
    try:
        with (
            simulated_site(mosquitto.port, "london", tmp_path),
            fleet_server(mosquitto.port, tmp_path, "--shot-every", "5", "--shots-per-minute", "20") as server,
        ):
            page = browser.new_page(viewport={"width": 1366, "height": 860})
            page.goto(server.url)
            seen = wait_for(
                lambda: all((_card(page, f"london/{b.board}") or {}).get("state") == "online" for b in boards),
                40,
                "both boards online on the page",
            )
            wait_for(lambda: (_card(page, "london/floor1") or {}).get("thumb", 0) > 0, 30, "floor1's thumbnail")
            wait_for(lambda: (_card(page, "london/floor2") or {}).get("thumb", 0) > 0, 30, "floor2's thumbnail")
            assert page.locator("#link").text_content() == "Live"
            # Fed by the simulated site, floor1 carries no flag, and its next thumbnail shows it with its data.
            wait_for(lambda: (_card(page, "london/floor1") or {}).get("flags") == "", 30, "floor1 without flags")
            first_src = _thumb_src(page, "london/floor1")
            wait_for(lambda: _thumb_src(page, "london/floor1") != first_src, 20, "floor1's next thumbnail")
            headings = page.locator("section.site h2").all_text_contents()
            assert [h.split(" ")[0] for h in headings] == ["london2", "paris1"]

            # Markup from a board is text: the name reads as typed, no element was made of it, no script ran.
            hostile = _card(page, f"paris/{HOSTILE_BOARD}")
            assert hostile is not None and hostile["name"].startswith(f"{HOSTILE_BOARD} · <script>window.pwned=1")
            assert page.evaluate("window.pwned") is None
            assert page.locator("#sites script, #sites i, #sites img[src='x'], #sites img[src='y']").count() == 0
            assert "cache" in hostile["flags"] and hostile["pill"] == "ONLINE"
            shots = os.environ.get("WALLBOARD_DOCS_SHOTS")
            if shots:
                Path(shots).mkdir(parents=True, exist_ok=True)

            # A board's twin and full screenshot, on click.
            page.locator(".card[data-id='london/floor1']").click()
            wait_for(lambda: "page 1/" in (page.locator("#detail-twin").text_content() or ""), 20, "floor1's twin")
            # The twin, the picture and the status document load separately; each is waited for.
            wait_for(lambda: page.evaluate("document.getElementById('detail-shot').naturalWidth") > 0, 20, "the shot")
            assert "Floor 1" in (page.locator("#detail-title").text_content() or "")
            wait_for(
                lambda: '"board": "floor1"' in (page.locator("#detail-status").text_content() or ""),
                20,
                "floor1's status document",
            )
            if shots:
                page.screenshot(path=f"{shots}/fleet-detail.png")
            page.locator("#detail-close").click()

            # Killed: its will reaches the broker after 1.5 x its 2 s keepalive; the page follows within a second.
            killed_at = time.monotonic()
            boards[1].kill()
            offline_after = wait_for(
                lambda: (_card(page, "london/floor2") or {}).get("state") == "offline", 15, "floor2 offline"
            )
            assert (_card(page, "london/floor2") or {}).get("pill") == "OFFLINE"
            if shots:
                page.screenshot(path=f"{shots}/fleet-laptop.png")
            assert time.monotonic() - killed_at < 15
            boards[1].start()
            back_after = wait_for(
                lambda: (_card(page, "london/floor2") or {}).get("state") == "online", 30, "floor2 back online"
            )
            print(f"online on the page {seen:.1f} s; offline after kill {offline_after:.1f} s; back {back_after:.1f} s")

            # On a phone: two columns, nothing wider than the screen.
            phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
            phone.goto(server.url)
            wait_for(lambda: (_card(phone, "london/floor1") or {}).get("thumb", 0) > 0, 20, "the phone's thumbnails")
            assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            if shots:
                phone.screenshot(path=f"{shots}/fleet-phone.png")
        # The server is gone: the page says it is not live rather than keep showing old numbers as current.
        wait_for(
            lambda: (page.locator("#link").text_content() or "").startswith("Not live"), 10, "the page saying not live"
        )
        assert page.evaluate("document.body.classList.contains('stale')")
    finally:
        for board in boards:
            board.kill()
