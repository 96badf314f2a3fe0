"""Which page is on screen: rotation on an interval, pinned while it shows a critical widget.

Also builds the page a board shows when its config has none (a tile per
watched metric), so a minimal config still draws something useful. Pure
logic: no pygame, no clock of its own (callers pass ``now``).
"""

from __future__ import annotations

import math

from wallboard.device.config.schema import BoardConfig
from wallboard.device.config.screen_schema import PageSettings, WidgetSettings
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


def page_severity(page: PageSettings, assessment: Assessment, *, besides: frozenset[str] = frozenset()) -> Severity:
    """The worst alarm (NORMAL, WARN or CRITICAL) among the metrics ``page`` shows, leaving out ``besides``.

    UNKNOWN (no fresh data) is not an alarm: the tiles and the strip say that themselves.
    """
    worst = Severity.NORMAL
    for widget in page.widget:
        if widget.metric is None or widget.metric in besides:
            continue
        severity = assessment.severity_of(widget.metric)
        if severity in (Severity.WARN, Severity.CRITICAL) and severity > worst:
            worst = severity
    return worst


def page_is_critical(page: PageSettings, assessment: Assessment) -> bool:
    """True if a widget on ``page`` shows a metric in critical state."""
    return page_severity(page, assessment) is Severity.CRITICAL


def alarm_elsewhere(pages: list[PageSettings], shown: int, assessment: Assessment) -> tuple[Severity, int] | None:
    """The worst alarm on a metric that only other pages show, and the first page with it; None if there is none.

    A board turns its pages, so an alarm on a page not on screen would go unseen until it comes round: the
    status strip says it meanwhile ("✖ CRITICAL on Support"). A metric also on the page shown is seen already.
    """
    if len(pages) <= 1:
        return None  # nothing else to show (asked on every data pass: keep it cheap)
    on_screen = frozenset(w.metric for w in pages[shown].widget if w.metric is not None)
    found: tuple[Severity, int] | None = None
    for index, page in enumerate(pages):
        if index == shown:
            continue
        severity = page_severity(page, assessment, besides=on_screen)
        if severity is not Severity.NORMAL and (found is None or severity > found[0]):
            found = (severity, index)
    return found


def alarm_metric(page: PageSettings, severity: Severity, assessment: Assessment, *,
                 besides: frozenset[str] = frozenset()) -> str | None:  # fmt: skip
    """The first metric on ``page`` (leaving out ``besides``) at ``severity``: which queue an alarm elsewhere is on."""
    for widget in page.widget:
        metric = widget.metric
        if metric is not None and metric not in besides and assessment.severity_of(metric) is severity:
            return metric
    return None


def queue_name(config: BoardConfig, key: str) -> str:
    """The queue a metric belongs to, as the floor calls it: its ``[[queue]] label``, else its id capitalised."""
    queue = key.partition(".")[0]
    label = next((q.label for q in config.queue if q.id == queue and q.label), "")
    return label or queue.replace("_", " ").capitalize()


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
