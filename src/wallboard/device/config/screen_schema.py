"""The ``[display]`` section of a board config: typed, validated, no pygame import.

Pages are grids of cells; each widget sits at ``at = [column, row]`` (from 1)
and covers ``span = [columns, rows]``. ``display_problems`` returns the checks
types alone cannot express (a widget's metric exists, cells fit the grid, the
schedule's times parse), as (key path, message) pairs for ``problems``.
Nothing here draws or opens a screen.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

import msgspec

from wallboard.device.config.metric_names import unknown_metric
from wallboard.device.config.types import Duration
from wallboard.device.wire.metrics import MetricKind, is_valid_name, split_key

KindOf = Callable[[str], MetricKind | None]

WidgetType = Literal["kpi", "agents", "leaderboard", "ticker", "clock", "trend", "agent_grid"]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^(?P<start>\d{1,2}):(?P<start_m>\d{2})-(?P<end>\d{1,2}):(?P<end_m>\d{2})$")
_SIZE = re.compile(r"^(?P<w>\d{3,5})x(?P<h>\d{3,5})$")


class WidgetSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """One widget on a page: what it shows and which cells it covers."""

    type: WidgetType
    at: tuple[int, int] = (1, 1)  # [column, row], counted from 1
    span: tuple[int, int] = (1, 1)  # [columns, rows]
    metric: str | None = None  # kpi, trend
    queue: str | None = None  # agents: the queue whose agents_* counts to show
    label: str | None = None  # default: the metric's label, else its key
    unit: str = ""  # shown after the label, e.g. "calls"
    rows: int = 5  # leaderboard: how many agents; agent_grid: agents a page
    stat: str = "handled"  # leaderboard: the figure to rank by
    window: Duration = Duration(3600)  # trend: how far back the line goes
    # Older data than this is greyed with its age. Default: the metric's stale_after (kpi, trend, agents),
    # default_stale_after (leaderboard), never (ticker: announcements expire); clock: how long the system
    # clock may be unsynchronised (no NTP) before it is greyed, default 10m.
    stale_after: Duration | None = None


class PageSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """One page: a grid of ``columns`` x ``rows`` cells and the widgets placed on it."""

    name: str = ""
    columns: int = 3
    rows: int = 2
    widget: list[WidgetSettings] = []


class ScheduleSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """When the screen is on, per weekday: "07:00-19:00", "on" (all day) or "off"; outside it blank or dim."""

    mon: str = "on"
    tue: str = "on"
    wed: str = "on"
    thu: str = "on"
    fri: str = "on"
    sat: str = "on"
    sun: str = "on"
    outside: Literal["blank", "dim"] = "blank"
    dim_level: float = 0.25  # brightness kept when outside = "dim" (0..1)

    def day(self, index: int) -> str:
        """The span text for weekday ``index`` (0 is Monday)."""
        text: str = getattr(self, WEEKDAYS[index])
        return text


class BurnInSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """A small periodic shift of the whole board so static parts do not burn into the panel."""

    shift_pixels: int = 4  # at 1080p; scaled with the screen height; 0 turns it off
    interval: Duration = Duration(300)


class DisplaySettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """How the board is drawn on its screen."""

    size: str = "auto"  # "auto" (the screen's own) or "WIDTHxHEIGHT"
    # SDL's video driver. "auto": $SDL_VIDEODRIVER if set, a desktop's when one runs, else "kmsdrm".
    # A named driver is the only one tried: "kmsdrm" that cannot open retries kmsdrm, never offscreen.
    driver: Literal["auto", "kmsdrm", "x11", "wayland", "offscreen"] = "auto"
    retry_max: Duration = Duration(30)  # a screen that would not open is retried after 1 s, doubling up to this
    fullscreen: bool = True
    fps: int = 24  # frame rate while something moves (the ticker); a still board draws about once a second
    page_interval: Duration = Duration(15)
    pin_critical: bool = True  # a page showing a critical widget stays 3 intervals; the others still get theirs
    theme: Literal["dark", "light"] = "dark"
    font: str = ""  # a .ttf file; default DejaVu Sans Bold, else pygame's own font
    status_strip: bool = True
    ticker_speed: float = 120.0  # pixels per second at 1080p
    page: list[PageSettings] = []
    schedule: ScheduleSettings = ScheduleSettings()
    burn_in: BurnInSettings = BurnInSettings()

    def fixed_size(self) -> tuple[int, int] | None:
        """The configured size, or None for "auto"."""
        return parse_size(self.size)


def parse_size(text: str) -> tuple[int, int] | None:
    """``"1920x1080"`` -> (1920, 1080); ``"auto"`` -> None; ValueError otherwise."""
    if text == "auto":
        return None
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f'expected "auto" or WIDTHxHEIGHT such as "1920x1080", got "{text}"')
    return int(match.group("w")), int(match.group("h"))


def parse_span(text: str) -> tuple[int, int] | None:
    """A schedule day as minutes after midnight (on, off); "on" -> (0, 1440); "off" -> None."""
    if text == "on":
        return (0, 24 * 60)
    if text == "off":
        return None
    match = _SPAN.match(text)
    if not match:
        raise ValueError(f'expected "HH:MM-HH:MM", "on" or "off", got "{text}"')
    start = int(match.group("start")) * 60 + int(match.group("start_m"))
    end = int(match.group("end")) * 60 + int(match.group("end_m"))
    if (
        not (0 <= start <= 1440 and 0 <= end <= 1440)
        or int(match.group("start_m")) > 59
        or int(match.group("end_m")) > 59
    ):
        raise ValueError(f'expected times from 00:00 to 24:00, got "{text}"')
    if start == end:
        raise ValueError(f'expected a start and an end that differ, got "{text}"')
    return (start, end)


def display_problems(display: DisplaySettings, kind_of: KindOf) -> list[tuple[list[str | int], str]]:
    """Cross-key checks of ``[display]`` that types cannot express, as (key path, message) pairs.

    ``kind_of`` names the kind of a metric the board knows (the wire contract's and its ``[[metric]]``
    declarations), or None: a widget may only show a metric the board can receive.
    """
    found: list[tuple[list[str | int], str]] = []
    try:
        parse_size(display.size)
    except ValueError as exc:
        found.append((["display", "size"], str(exc)))
    if not 1 <= display.fps <= 120:
        found.append((["display", "fps"], f"expected 1 to 120, got {display.fps}"))
    if display.page_interval < 1:
        found.append((["display", "page_interval"], "expected at least 1s"))
    if not 0 < display.ticker_speed <= 2000:
        found.append((["display", "ticker_speed"], "expected a speed from 1 to 2000 pixels per second"))
    schedule = display.schedule
    for index, name in enumerate(WEEKDAYS):
        try:
            parse_span(schedule.day(index))
        except ValueError as exc:
            found.append((["display", "schedule", name], str(exc)))
    if not 0.0 <= schedule.dim_level <= 1.0:
        found.append((["display", "schedule", "dim_level"], f"expected 0 to 1, got {schedule.dim_level}"))
    if not 0 <= display.burn_in.shift_pixels <= 64:
        found.append((["display", "burn_in", "shift_pixels"], "expected 0 to 64"))
    if display.burn_in.interval < 1:
        found.append((["display", "burn_in", "interval"], "expected at least 1s"))
    for p, page in enumerate(display.page):
        found += _page_problems(kind_of, ["display", "page", p], page)
    return found


def _page_problems(kind_of: KindOf, here: list[str | int], page: PageSettings) -> list[tuple[list[str | int], str]]:
    found: list[tuple[list[str | int], str]] = []
    if not 1 <= page.columns <= 12:
        found.append(([*here, "columns"], f"expected 1 to 12, got {page.columns}"))
    if not 1 <= page.rows <= 12:
        found.append(([*here, "rows"], f"expected 1 to 12, got {page.rows}"))
    if not page.widget:
        found.append(([*here, "widget"], "expected at least one widget on the page"))
    taken: dict[tuple[int, int], int] = {}
    for w, widget in enumerate(page.widget):
        path: list[str | int] = [*here, "widget", w]
        column, row = widget.at
        columns, rows = widget.span
        if columns < 1 or rows < 1:
            found.append(([*path, "span"], f"expected a span of at least [1, 1], got [{columns}, {rows}]"))
            continue
        if column < 1 or row < 1 or column + columns - 1 > page.columns or row + rows - 1 > page.rows:
            found.append(
                (
                    [*path, "at"],
                    f"cells [{column}, {row}] to [{column + columns - 1}, {row + rows - 1}] do not fit the page's "
                    f"{page.columns} x {page.rows} grid",
                )
            )
            continue
        for c in range(column, column + columns):
            for r in range(row, row + rows):
                if (c, r) in taken:
                    found.append(([*path, "at"], f"cell [{c}, {r}] is already used by widget {taken[(c, r)] + 1}"))
                    break
                taken[(c, r)] = w
        found += _widget_problems(kind_of, path, widget)
    return found


def _widget_problems(
    kind_of: KindOf, path: list[str | int], widget: WidgetSettings
) -> list[tuple[list[str | int], str]]:
    found: list[tuple[list[str | int], str]] = []
    if widget.type in ("kpi", "trend"):
        if widget.metric is None:
            found.append(([*path, "metric"], f'required for a "{widget.type}" widget'))
        else:
            try:
                split_key(widget.metric)
            except ValueError as exc:
                found.append(([*path, "metric"], str(exc)))
            else:
                if kind_of(widget.metric) is None:
                    found.append(([*path, "metric"], unknown_metric(widget.metric, "declare it in [[metric]]")))
    elif widget.metric is not None:
        found.append(([*path, "metric"], f'not used by a "{widget.type}" widget'))
    if widget.type == "agents":
        if widget.queue is None:
            found.append(([*path, "queue"], 'required for an "agents" widget'))
        elif not is_valid_name(widget.queue):
            found.append(([*path, "queue"], f'expected letters, digits, "_" or "-", got "{widget.queue}"'))
    if widget.type in ("leaderboard", "agent_grid") and not 1 <= widget.rows <= 20:
        found.append(([*path, "rows"], f"expected 1 to 20, got {widget.rows}"))
    if widget.stale_after is not None and widget.stale_after <= 0:
        found.append(([*path, "stale_after"], "expected more than 0s"))
    if widget.type == "trend" and widget.window < 60:
        found.append(([*path, "window"], "expected at least 1m"))
    return found
