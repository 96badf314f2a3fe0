"""Which page is on screen: rotation on an interval, pinned while it shows a critical widget.

Also builds the page a board shows when its config has none (a tile per
watched metric), so a minimal config still draws something useful. Pure
logic: no pygame, no clock of its own (callers pass ``now``).
"""

from __future__ import annotations

import math

from wallboard.device.config.display import PageSettings, WidgetSettings
from wallboard.device.config.loader import BoardConfig
from wallboard.device.core.rules import Assessment, Severity


def board_pages(config: BoardConfig) -> list[PageSettings]:
    """The configured pages, or one automatic page of KPI tiles for every metric the config names."""
    if config.display.page:
        return list(config.display.page)
    keys: list[str] = []
    for key in [m.key for m in config.metric] + [r.metric for r in config.rule]:
        if key not in keys and config.kind_of(key) is not None:
            keys.append(key)
    keys = keys[:12]
    if not keys:
        return [PageSettings(name="", columns=1, rows=1, widget=[WidgetSettings(type="clock")])]
    columns = min(4, math.ceil(math.sqrt(len(keys) * 16 / 9)))
    rows = math.ceil(len(keys) / columns)
    widgets = [
        WidgetSettings(type="kpi", metric=key, at=(i % columns + 1, i // columns + 1)) for i, key in enumerate(keys)
    ]
    return [PageSettings(name="", columns=columns, rows=rows, widget=widgets)]


def page_is_critical(page: PageSettings, assessment: Assessment) -> bool:
    """True if a widget on ``page`` shows a metric in critical state."""
    return any(w.metric is not None and assessment.severity_of(w.metric) is Severity.CRITICAL for w in page.widget)


# A page showing a critical widget stays up this many intervals before the others get one interval each:
# the alarm is on screen most of the time, and the floor still sees the rest of the board.
PIN_INTERVALS = 3


class PageRotation:
    """Turns pages every ``interval`` seconds; a page with a critical widget stays ``PIN_INTERVALS`` times as long."""

    def __init__(self, pages: list[PageSettings], interval: float, pin_critical: bool) -> None:
        self.pages = pages
        self.interval = interval
        self.pin_critical = pin_critical
        self.index = 0
        self._shown_since: float | None = None

    def current(self, now: float, assessment: Assessment) -> int:
        """The index of the page to show at monotonic time ``now``."""
        if len(self.pages) <= 1:
            return self.index  # nothing to turn (asked on every frame: keep it cheap)
        if self._shown_since is None:
            self._shown_since = now
        pinned = self.pin_critical and page_is_critical(self.pages[self.index], assessment)
        if now - self._shown_since >= self.interval * (PIN_INTERVALS if pinned else 1):
            self.index = (self.index + 1) % len(self.pages)
            self._shown_since = now
        return self.index
