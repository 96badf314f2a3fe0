"""An alarm on a page not on screen is said on the status strip, in its level's colour, until its page comes round.

A board turns its pages (and keeps a critical page up three intervals, then lets the others have one), so
without this a critical queue on page 2 would be invisible from the floor while page 1 shows.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pygame

from tests.display_helpers import config_from, rgb, view_of
from wallboard.device.config.screen_schema import PageSettings, WidgetSettings
from wallboard.device.core.rules import Assessment, Severity
from wallboard.display.draw.painter import BoardPainter
from wallboard.display.logic.pages import alarm_elsewhere
from wallboard.display.logic.theme import THEMES, TileState

ROOT = Path(__file__).resolve().parent.parent
SIZE = (1920, 1080)


def _page(name: str, *metrics: str) -> PageSettings:
    widgets = [WidgetSettings(type="kpi", metric=m, at=(i + 1, 1)) for i, m in enumerate(metrics)]
    return PageSettings(name=name, columns=max(1, len(metrics)), rows=1, widget=widgets)


def test_the_worst_alarm_only_other_pages_show_and_the_first_page_with_it() -> None:
    pages = [_page("Sales", "sales.sl", "sales.waiting"), _page("Support", "support.sl"), _page("Tech", "tech.sl")]
    calm = Assessment(metrics=dict.fromkeys(("sales.sl", "sales.waiting", "support.sl", "tech.sl"), Severity.NORMAL))
    assert alarm_elsewhere(pages, 0, calm) is None
    warn_and_critical = replace(
        calm, metrics={**calm.metrics, "support.sl": Severity.WARN, "tech.sl": Severity.CRITICAL}
    )
    assert alarm_elsewhere(pages, 0, warn_and_critical) == (Severity.CRITICAL, 2)  # the worst, not the first
    assert alarm_elsewhere(pages, 2, warn_and_critical) == (Severity.WARN, 1)
    # Stale data (UNKNOWN) is not an alarm here: the tiles and the strip's liveness say it.
    assert alarm_elsewhere(pages, 0, replace(calm, metrics={**calm.metrics, "tech.sl": Severity.UNKNOWN})) is None
    # A metric the page on screen shows too is seen already.
    both = [_page("Sales", "sales.sl"), _page("Overview", "sales.sl", "support.sl")]
    sales_critical = replace(calm, metrics={**calm.metrics, "sales.sl": Severity.CRITICAL})
    assert alarm_elsewhere(both, 0, sales_critical) is None
    assert alarm_elsewhere(both, 1, sales_critical) is None


def test_the_strip_says_the_alarm_on_the_other_page_in_its_colour_and_lets_go_when_it_clears() -> None:
    """floor1's "Team" page shows while "Now" holds a critical on Sales (23 calls waiting), named by its queue."""
    config = config_from(ROOT / "config" / "boards" / "floor1.toml")
    view = view_of(config, json.loads((ROOT / "config" / "sample-data-alarm.json").read_text()))
    pygame.font.init()
    surface = pygame.Surface(SIZE)
    painter = BoardPainter(config)
    painter.paint(view, surface, page=1)
    words = painter.chrome["strip"].words
    assert words[:2] == ["\u2716 CRITICAL in Sales", "Team (2/2)"], words  # the queue, not the page "Now"
    strip = painter.chrome["strip"].cell
    critical = THEMES[config.display.theme].tile(TileState.CRITICAL).background
    assert rgb(surface, (strip[0] + 4, strip[1] + 4)) == critical  # the level's colour, as well as its shape and word

    # The alarms clear while the Team page stays up: the strip names the board again, nothing left behind.
    calm = replace(view, assessment=replace(view.assessment, metrics=dict.fromkeys(view.assessment.metrics,
                                                                                   Severity.NORMAL)))  # fmt: skip
    painter.paint(calm, surface, page=1)
    assert painter.chrome["strip"].words[0].startswith(config.board.name)
    assert rgb(surface, (strip[0] + 4, strip[1] + 4)) == THEMES[config.display.theme].strip
    fresh = pygame.Surface(SIZE)
    BoardPainter(config).paint(calm, fresh, page=1)
    assert pygame.image.tobytes(surface, "RGB") == pygame.image.tobytes(fresh, "RGB")
    # The page with the alarm on screen: the strip names the board, as ever.
    painter.paint(view, surface, page=0)
    assert painter.chrome["strip"].words[0].startswith(config.board.name)
