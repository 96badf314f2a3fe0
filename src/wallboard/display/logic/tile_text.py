"""What a KPI tile says besides its big number: the service-level convention, the volume, the staffing hint.

Pure text from the board view: ``SL 80/20`` beside a service level, ``96 of 120`` beside a ratio, "no
calls yet" for a new period's 0/0, "low volume" below a rule's ``min_volume``, and "need 23, have 16"
for the Erlang C staffing hint. It also picks the rounding direction from the rules on the metric so
the digits agree with the colour. No pygame; the widget draws what this returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from wallboard.device.config.schema import BoardConfig
from wallboard.device.core.rules import LOW_VOLUME, NO_CALLS_YET
from wallboard.device.core.verdict import ValueState, verdict
from wallboard.device.core.view import BoardView
from wallboard.device.wire.metrics import PERIOD_START, MetricKind, metric_key
from wallboard.display.logic.formatting import Rounding, format_value, round_half_away, shown_digits

_STAFFING = ("agents_required", "staffing_gap")
NOT_SUPPLIED = "not supplied"


@dataclass(frozen=True, slots=True)
class TileText:
    """The big value, an optional detail line, a caption for the label, and why the tile is quiet (if it is)."""

    value: str
    detail: str = ""
    caption: str = ""
    quiet: str | None = None  # "no calls yet" or "low volume": no alarm, and never shown as OK
    absent: str | None = None  # "not supplied": the site's feed cannot supply this field on its platform


def rounding_for(config: BoardConfig, key: str, value: float) -> Rounding:
    """How ``value`` of ``key`` rounds: to the nearest, unless that would cross a level the value has crossed.

    Under "below 80", 79.96 (crossed) would read "80.0%" to the nearest: it rounds down ("79.9%"). Under
    "above 60", 60.4 s would read "1:00": it rounds up ("1:01"). Anywhere else the nearest digits agree with
    the colour already, and the board agrees with the platform's own report (9.5008 % reads "9.5%").
    """
    kind = config.kind_of(key)
    digits = shown_digits(value, kind)
    nearest = float(round_half_away(value, digits))
    for rule in config.rule:
        if rule.metric != key:
            continue
        for level in (rule.warn_below, rule.critical_below):
            if level is not None and value < level <= nearest:
                return "down"
        for level in (rule.warn_above, rule.critical_above):
            if level is not None and value > level >= nearest:
                return "up"
    return "nearest"


def shown_value(config: BoardConfig, key: str, value: float) -> str:
    """``value`` of ``key`` as the board writes it: its kind's format, rounded per ``rounding_for``."""
    return format_value(value, config.kind_of(key), rounding_for(config, key, value))


# Ratios of real-time agent counts (not of a period's calls).
_AGENTS_NOW = frozenset({"occupancy_pct", "utilisation_pct"})


def tile_reads(key: str) -> tuple[str, ...]:
    """The metrics ``tile_text`` reads for ``key``: the tile is worked out again only when one of them changes."""
    queue, _, field = key.partition(".")
    staffing = ("agents_required", "staffing_gap") if field in _STAFFING else ()
    return (key, metric_key(queue, PERIOD_START), *(metric_key(queue, name) for name in staffing))


def tile_text(view: BoardView, key: str) -> TileText:
    """The texts of the KPI tile showing ``key``."""
    state, config = view.state, view.config
    queue, _, field = key.partition(".")
    caption = config.queue_settings(queue).sl_caption() if field == "service_level_pct" else ""
    quiet = view.assessment.quiet.get(key)
    if quiet is None and state.no_calls_yet(key, view.wall_now):
        quiet = NO_CALLS_YET
    period = period_text(view, queue)
    if quiet == NO_CALLS_YET:
        return TileText("no calls yet", f"0 calls {period or 'this period'}", caption, quiet)
    held = state.value(key)
    kind = config.kind_of(key)
    if held is None:
        found = verdict(state, config, key, view.wall_now)
        if found.state is ValueState.NOT_SUPPLIED:
            return TileText("n/a", f"{found.supplier} does not supply it", caption, quiet, NOT_SUPPLIED)
        return TileText("--", caption=caption, quiet=quiet)
    if field in _STAFFING:
        return _staffing_text(view, queue, caption)
    value = shown_value(config, key, held.value)
    detail = ""
    ratio = state.ratio(key)
    if ratio is not None and ratio.denominator is not None and kind is MetricKind.PERCENT:
        # Occupancy and utilisation are agents now, not the period's calls: "43 of 52 busy", never "today".
        tail = "busy" if field in _AGENTS_NOW else period
        detail = f"{ratio.numerator:.0f} of {ratio.denominator:.0f}" + (f" {tail}" if tail else "")
    if quiet == LOW_VOLUME and not detail:
        detail = "too few calls"
    return TileText(value, detail, caption, quiet)


def period_text(view: BoardView, queue: str) -> str:
    """Which period a queue's counts cover, from its ``period_start``: "today" (since local midnight), "since 06:00"."""
    held = view.state.value(metric_key(queue, PERIOD_START))
    if held is None:
        return ""
    try:
        zone = ZoneInfo(view.config.site.timezone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    start = datetime.fromtimestamp(held.value, zone)
    now = datetime.fromtimestamp(view.wall_now, zone)
    if start.date() == now.date() and (start.hour, start.minute, start.second) == (0, 0, 0):
        return "today"
    if start.date() == now.date():
        return f"since {start:%H:%M}"
    return f"since {start:%d %b %H:%M}"


def _staffing_text(view: BoardView, queue: str, caption: str) -> TileText:
    """``need 23`` with ``have 16`` (the agents who can take calls: need less the gap), from the Erlang C hint."""
    required = view.state.value(metric_key(queue, "agents_required"))
    gap = view.state.value(metric_key(queue, "staffing_gap"))
    need = "--" if required is None else f"{required.value:.0f}"
    have = "" if required is None or gap is None else f"have {required.value - gap.value:.0f}"
    settings = view.config.queue_settings(queue)
    return TileText(f"need {need}", have, caption or settings.sl_caption())
