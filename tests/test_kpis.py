"""KPIs from counts: each formula on its source's worked example, the service-level conventions, totals, resets."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import board_toml
from wallboard.device.config.reading import load_config_text
from wallboard.device.config.schema import BoardConfig
from wallboard.device.core.derive import evaluate
from wallboard.device.core.erlang import agents_required, erlang_c
from wallboard.device.core.rejections import RejectionCounter
from wallboard.device.core.rules import LOW_VOLUME, NO_CALLS_YET, Assessment, RuleEngine, Severity
from wallboard.device.core.state import BoardState
from wallboard.device.core.updates import Reading
from wallboard.device.core.values import LinkChange, LinkStatus
from wallboard.device.core.view import BoardView, HandoffStats
from wallboard.device.edge.ingest import Ingest
from wallboard.device.wire.metrics import DERIVATIONS, SERVICE_LEVEL_FORMULAS, Derivation
from wallboard.display.logic.tile_text import period_text, tile_text

NOW = 1_763_800_000.0
BASE = """
[site]
id = "lab"
[board]
id = "b1"
"""


def _config(extra: str = "") -> BoardConfig:
    return load_config_text(BASE + extra).config


def _state(config: BoardConfig, counts: Mapping[str, Mapping[str, float]], at: float = NOW) -> BoardState:
    state = BoardState(config, RejectionCounter(), clock=lambda: at)
    state.set_link(LinkChange(LinkStatus.UP, at))
    for queue, fields in counts.items():
        for field, value in fields.items():
            state.apply(Reading(f"{queue}.{field}", value, at, at))
    return state


def _formula(field: str) -> Derivation:
    return next(f for f in DERIVATIONS if f.field == field)


def _value(formula: Derivation, counts: Mapping[str, float]) -> float | None:
    ratio = evaluate(formula, lambda name: (counts[name], NOW) if name in counts else None)
    return None if ratio is None else ratio.value


# ------------------------------------------------------------------ service level conventions

# Cisco Unified ICM/CCE's worked example ("How Service Levels are Calculated", ICM CTI/Config guide, Table 4):
# 70 answered within the threshold, 10 abandoned within it, 20 exceeded it: 100 service-level events.
# Taken as answered late: 90 answered, 10 abandoned.
CISCO = {"answered_within_target": 70, "abandoned_within_target": 10, "answered": 90, "abandoned": 10, "offered": 100}


def test_service_level_conventions_on_ciscos_worked_example() -> None:
    """Cisco's example: abandons ignored 77.8 %, negative 70 %, positive 80 %; answered-only hides the abandons."""
    assert _value(SERVICE_LEVEL_FORMULAS["offered"], CISCO) == pytest.approx(70.0)  # ICM type 2, negative
    assert _value(SERVICE_LEVEL_FORMULAS["abandoned_as_met"], CISCO) == pytest.approx(80.0)  # type 3, positive
    # Type 1 removes the abandons within T from the events: with those 10 as the short abandons, 70 / 90.
    ignored = _value(SERVICE_LEVEL_FORMULAS["offered_minus_short"], {**CISCO, "short_abandoned": 10})
    assert ignored == pytest.approx(77.78, abs=0.01)
    assert _value(SERVICE_LEVEL_FORMULAS["answered"], CISCO) == pytest.approx(77.78, abs=0.01)


def test_service_level_on_genesys_clouds_published_calculation() -> None:
    """Genesys Cloud: met / (answered + abandoned [- short] [- abandons]) on 80 met of 100 answered, 20 abandoned."""
    counts = {"answered_within_target": 80, "answered": 100, "abandoned": 20, "short_abandoned": 5}
    assert _value(SERVICE_LEVEL_FORMULAS["offered_minus_short"], counts) == pytest.approx(80 / 115 * 100)
    assert _value(SERVICE_LEVEL_FORMULAS["offered"], counts) == pytest.approx(80 / 120 * 100)  # short included
    assert _value(SERVICE_LEVEL_FORMULAS["answered"], counts) == pytest.approx(80.0)  # abandons excluded


def test_the_default_convention_counts_abandoned_callers() -> None:
    """The issue's support queue: 1 caller in 6 abandons; answered-only reads 86 %, the default 72 % (a warning)."""
    counts = {"offered": 600, "answered": 500, "answered_within_target": 430, "abandoned": 100, "short_abandoned": 0}
    assert _value(SERVICE_LEVEL_FORMULAS["answered"], counts) == pytest.approx(86.0)
    config = _config()
    assert config.queue_settings("support").sl_counts == "offered_minus_short"
    state = _state(config, {"support": counts})
    assert state.value("support.service_level_pct").value == pytest.approx(430 / 600 * 100)  # type: ignore[union-attr]


def test_a_queues_convention_comes_from_config_and_shows_as_sl_80_20() -> None:
    """``[[queue]] sl_counts`` picks the formula per queue; the caption reads the target and threshold."""
    config = _config('[[queue]]\nid = "sales"\nsl_counts = "abandoned_as_met"\nsl_target = 90\nsl_threshold = "15s"\n')
    state = _state(config, {"sales": CISCO, "other": CISCO})
    assert state.value("sales.service_level_pct").value == pytest.approx(80.0)  # type: ignore[union-attr]
    assert state.value("other.service_level_pct").value == pytest.approx(70.0)  # type: ignore[union-attr]
    assert config.queue_settings("sales").sl_caption() == "SL 90/15"
    assert config.queue_settings("other").sl_caption() == "SL 80/20"


def test_a_convention_outside_the_list_is_refused_with_its_key() -> None:
    """A typo in sl_counts stops the config with the key path named."""
    with pytest.raises(Exception, match=r"queue\[1\]\.sl_counts"):
        _config('[[queue]]\nid = "sales"\nsl_counts = "answered_only"\n')


# ------------------------------------------------------------------ the other KPIs


def test_kpi_formulas_on_worked_examples() -> None:
    """ASA, AHT, abandon rates, occupancy, utilisation, adherence, FCR, CSAT, NPS, cost per contact, waiting."""
    # ASA = total queue wait of answered calls / calls answered (ICMI glossary; Amazon Connect "Average queue
    # answer time"): 3,000 s over 100 calls = 30 s.
    assert _value(_formula("asa_s"), {"wait_time_s": 3000, "answered": 100}) == 30.0
    # AHT = (talk + hold + wrap) / handled (ICMI; Amazon Connect "Average handle time"): 31,200 s / 100 = 312 s.
    assert _value(_formula("aht_s"), {"handle_time_s": 24_000 + 1_200 + 6_000, "handled": 100}) == 312.0
    # Abandon rate = abandoned / offered; without short abandons both sides drop them (Cisco "short calls").
    assert _value(_formula("abandon_rate_pct"), {"abandoned": 13, "offered": 130}) == pytest.approx(10.0)
    ex_short = {"abandoned": 13, "offered": 130, "short_abandoned": 4}
    assert _value(_formula("abandon_rate_ex_short_pct"), ex_short) == pytest.approx(9 / 126 * 100)
    # Occupancy = handling / (handling + available); utilisation = handling / logged in (ICMI, Reynolds
    # "Call Center Metrics"): 21 on call + 4 wrap, 3 available, 2 away -> 89.3 % and 83.3 %.
    agents = {"agents_on_call": 21, "agents_wrap": 4, "agents_available": 3, "agents_away": 2, "agents_staffed": 30}
    assert _value(_formula("occupancy_pct"), agents) == pytest.approx(25 / 28 * 100)
    assert _value(_formula("utilisation_pct"), agents) == pytest.approx(25 / 30 * 100)
    # Adherence = time in the scheduled state / scheduled time (Amazon Connect "Adherence"): 27,000 / 30,000.
    assert _value(_formula("adherence_pct"), {"adherent_time_s": 27_000, "scheduled_time_s": 30_000}) == 90.0
    # FCR = resolved on first contact / contacts judged (SQM, ICMI): 170 / 200.
    assert _value(_formula("fcr_pct"), {"fcr_resolved": 170, "fcr_eligible": 200}) == 85.0
    # CSAT = ratings of 4 or 5 / all ratings on a 1-5 scale (the "top-2-box" share): 45 / 50.
    assert _value(_formula("csat_pct"), {"csat_satisfied": 45, "csat_responses": 50}) == 90.0
    # NPS = % promoters (9-10) - % detractors (0-6) (Reichheld, "The One Number You Need to Grow", HBR 2003).
    nps = _formula("nps")
    assert _value(nps, {"nps_promoters": 50, "nps_passives": 30, "nps_detractors": 20}) == pytest.approx(30.0)
    assert _value(nps, {"nps_promoters": 10, "nps_passives": 20, "nps_detractors": 70}) == pytest.approx(-60.0)
    # Cost per contact = total cost / contacts handled: 12,000 / 400 = 30.
    assert _value(_formula("cost_per_contact"), {"cost": 12_000, "handled": 400}) == 30.0
    # Contacts waiting per channel add up; a channel not published counts as none waiting.
    waiting = {"calls_waiting": 7, "callbacks_waiting": 3, "chats_waiting": 2}
    assert _value(_formula("contacts_waiting"), waiting) == 12


def test_a_negative_nps_is_held_and_shown_as_negative() -> None:
    """NPS -60 is accepted as a value, not rejected as a negative count."""
    state = _state(_config(), {"q": {"nps_promoters": 10, "nps_passives": 20, "nps_detractors": 70}})
    assert state.value("q.nps").value == pytest.approx(-60.0)  # type: ignore[union-attr]


# ------------------------------------------------------------------ totals

_FIELDS = ("answered", "abandoned", "answered_within_target", "short_abandoned", "calls_waiting", "longest_wait_s")
FIVE: dict[str, dict[str, float]] = {
    queue: dict(zip(_FIELDS, values, strict=True))
    for queue, values in {
        "a": (195, 5, 180, 0, 1, 12),
        "b": (8, 2, 2, 0, 0, 0),
        "c": (48, 7, 41, 5, 4, 95),
        "d": (110, 10, 90, 3, 2, 30),
        "e": (30, 1, 30, 1, 0, 0),
    }.items()
}


def _held(state: BoardState, key: str) -> float:
    held = state.value(key)
    assert held is not None, key
    return held.value


def test_five_queue_total_is_sum_over_sum_never_an_average() -> None:
    """site.service_level_pct == sum(numerators) / sum(denominators); waiting adds up; longest wait is the max."""
    config = _config('[[total]]\nid = "site"\nqueues = ["a", "b", "c", "d", "e"]\n')
    state = _state(config, FIVE)
    numerator = sum(q["answered_within_target"] for q in FIVE.values())
    denominator = sum(q["answered"] + q["abandoned"] - q["short_abandoned"] for q in FIVE.values())
    total = state.value("site.service_level_pct")
    assert total is not None and total.value == pytest.approx(numerator / denominator * 100)
    average = sum(_held(state, f"{q}.service_level_pct") for q in FIVE) / 5
    assert abs(total.value - average) > 5  # 84.3 % against an average of 73.8 %: not the same figure
    assert state.value("site.calls_waiting").value == 7  # type: ignore[union-attr]
    assert state.value("site.longest_wait_s").value == 95  # type: ignore[union-attr]
    ratio = state.ratio("site.service_level_pct")
    assert ratio is not None and (ratio.numerator, ratio.denominator) == (numerator, denominator)


def test_a_star_total_covers_every_queue_heard_and_a_rule_can_watch_it() -> None:
    """``queues = ["*"]`` sums every queue the board hears; a rule on the total trips on the site's figure."""
    extra = '[[total]]\nid = "site"\nqueues = ["*"]\n[[rule]]\nmetric = "site.service_level_pct"\nwarn_below = 80\n'
    config = _config(extra)
    state = _state(config, FIVE)
    assert state.value("site.answered").value == sum(q["answered"] for q in FIVE.values())  # type: ignore[union-attr]
    assessment = RuleEngine(config.rule).assess(state, NOW, 0.0)
    assert assessment.severity_of("site.service_level_pct") is Severity.NORMAL  # 83.3 %: above 80


def test_a_silent_queue_makes_the_total_stale_not_quietly_short() -> None:
    """The total is as old as its oldest member: one queue's frozen counts grey the total out."""
    config = _config('[[total]]\nid = "site"\nqueues = ["a", "b"]\n')
    state = BoardState(config, RejectionCounter(), clock=lambda: NOW + 600)
    state.apply(Reading("a.offered", 100, NOW, NOW))
    state.apply(Reading("b.offered", 50, NOW + 590, NOW + 590))
    assert state.value("site.offered").value == 150  # type: ignore[union-attr]
    assert state.is_stale("site.offered")


# ------------------------------------------------------------------ resets and minimum volume


def test_a_reset_to_zero_over_zero_shows_no_calls_yet_not_old_not_blind() -> None:
    """At a new period the counts go to 0/0: the rule is quiet, the board is not blind, the old figure is gone."""
    extra = '[[rule]]\nmetric = "q.service_level_pct"\nwarn_below = 80\ncritical_below = 70\n'
    config = _config(extra)
    clock = [NOW]
    state = BoardState(config, RejectionCounter(), clock=lambda: clock[0])
    state.set_link(LinkChange(LinkStatus.UP, NOW))
    engine = RuleEngine(config.rule)
    for field, value in (("answered", 100), ("abandoned", 0), ("answered_within_target", 60)):
        state.apply(Reading(f"q.{field}", value, NOW, NOW))
    assert engine.assess(state, NOW, 0.0).severity_of("q.service_level_pct") is Severity.CRITICAL
    midnight = NOW + 60
    for field in ("answered", "abandoned", "answered_within_target"):
        state.apply(Reading(f"q.{field}", 0, midnight, midnight))
    for later in (midnight, midnight + 115, midnight + 600):  # well past when the old figure is stale
        clock[0] = later
        for field in ("answered", "abandoned", "answered_within_target"):  # the feed keeps publishing its empty period
            state.apply(Reading(f"q.{field}", 0, later, later))
        assessment = engine.assess(state, later, later - NOW)
        assert state.no_calls_yet("q.service_level_pct", later)
        assert assessment.quiet == {"q.service_level_pct": NO_CALLS_YET}
        assert assessment.severity_of("q.service_level_pct") is Severity.NORMAL
        assert not assessment.blind and assessment.board is Severity.NORMAL
    state.apply(Reading("q.answered", 3, midnight + 700, midnight + 700))
    state.apply(Reading("q.answered_within_target", 3, midnight + 700, midnight + 700))
    assert not state.no_calls_yet("q.service_level_pct", midnight + 700)
    assert state.value("q.service_level_pct").value == 100.0  # type: ignore[union-attr]


def test_below_min_volume_a_rule_is_quiet_and_says_low_volume() -> None:
    """2 of 10 in target with min_volume 20 does not alarm; 180 of 200 and 100 of 200 are judged."""
    config = _config(
        '[[rule]]\nmetric = "q.service_level_pct"\nwarn_below = 80\ncritical_below = 70\nmin_volume = 20\n'
    )
    engine = RuleEngine(config.rule)
    small = _state(config, {"q": {"answered": 8, "abandoned": 2, "answered_within_target": 2}})
    assessment = engine.assess(small, NOW, 0.0)
    assert assessment.quiet == {"q.service_level_pct": LOW_VOLUME}
    assert assessment.severity_of("q.service_level_pct") is Severity.NORMAL
    big = _state(config, {"q": {"answered": 180, "abandoned": 20, "answered_within_target": 100}})
    assert engine.assess(big, NOW, 1.0).severity_of("q.service_level_pct") is Severity.CRITICAL


# ------------------------------------------------------------------ Erlang C


def test_erlang_c_matches_the_published_example_exactly() -> None:
    """100 calls in 30 min, AHT 180 s, 80 % in 20 s: 10 Erlangs, 14 agents, SL 0.888, P(wait) 0.174."""
    hint = agents_required(100, 1800, 180, 0.80, 20)
    assert hint.traffic_erlangs == 10.0
    assert hint.agents == 14
    assert round(hint.service_level, 3) == 0.888
    assert round(hint.wait_probability, 3) == 0.174
    assert round(hint.occupancy, 3) == 0.714
    assert agents_required(100, 1800, 180, 0.80, 20, shrinkage=0.30).rostered == 20  # ceil(14 / 0.7)
    assert agents_required(100, 1800, 180, 0.80, 20, max_occupancy=0.70).agents == 15  # 10 / 15 = 66.7 %


def _erlang_c_log_space(traffic: float, agents: int) -> float:
    """Erlang C from the textbook formula with every term in logarithms (an independent check)."""
    log_top = agents * math.log(traffic) - math.lgamma(agents + 1) + math.log(agents / (agents - traffic))
    logs = [i * math.log(traffic) - math.lgamma(i + 1) for i in range(agents)] + [log_top]
    peak = max(logs)
    return math.exp(log_top - peak) / sum(math.exp(x - peak) for x in logs)


@pytest.mark.parametrize("traffic", [0.5, 10.0, 180.0, 950.0])
def test_erlang_c_is_stable_for_hundreds_of_agents(traffic: float) -> None:
    """The Erlang B recursion agrees with a log-space Erlang C up to a thousand agents, where factorials overflow."""
    agents = int(traffic) + 1 + int(3 * math.sqrt(traffic))
    assert erlang_c(traffic, agents) == pytest.approx(_erlang_c_log_space(traffic, agents), rel=1e-9)
    hint = agents_required(traffic * 1800 / 300, 1800, 300, 0.8, 20)
    assert traffic < hint.agents < traffic * 1.3 + 5
    assert hint.service_level >= 0.8
    assert agents_required(traffic * 1800 / 300, 1800, 300, 0.8, 20).agents == hint.agents  # deterministic


def test_the_staffing_hint_needs_23_for_the_issues_support_peak() -> None:
    """18 Erlangs (108 calls in 30 min at 5:00 AHT) needs 23 for 80/20; with 16 staffed the gap is 7."""
    counts = {
        "interval_offered": 108,
        "interval_s": 1800,
        "handled": 100,
        "handle_time_s": 30_000,
        "agents_staffed": 16,
    }
    state = _state(_config(), {"support": counts})
    assert state.value("support.agents_required").value == 23  # type: ignore[union-attr]
    assert state.value("support.staffing_gap").value == 7  # type: ignore[union-attr]


def test_min_volume_is_refused_on_a_metric_with_no_volume() -> None:
    """min_volume on calls_waiting (not a ratio) is a config error naming the key."""
    with pytest.raises(Exception, match=r"rule\[1\]\.min_volume: only for a ratio"):
        _config('[[rule]]\nmetric = "q.calls_waiting"\nwarn_above = 5\nhold = "10s"\nmin_volume = 10\n')


def test_period_start_is_read_checked_and_shown_as_today_or_since() -> None:
    """period_start becomes the counts' period: "today" from local midnight, "since 06:00"; after ts it is refused."""
    config = _config()  # site time zone: UTC
    counter = RejectionCounter()
    ingest = Ingest(config, counter, clock=lambda: NOW)
    local = datetime.fromtimestamp(NOW, ZoneInfo("UTC"))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    body = {"ts": NOW, "period_start": midnight, "answered": 10, "abandoned": 0, "answered_within_target": 9}
    state = BoardState(config, counter, clock=lambda: NOW)
    state.apply_all(ingest.decode("cc/lab/queue/q", json.dumps(body).encode(), NOW))
    view = BoardView(config, state, Assessment(), NOW, 0.0, {}, HandoffStats(0, 0, 0, 0))
    assert state.value("q.period_start").value == midnight  # type: ignore[union-attr]
    assert period_text(view, "q") == "today" and tile_text(view, "q.service_level_pct").detail == "9 of 10 today"
    later = {**body, "period_start": midnight + 6 * 3600}
    state.apply_all(ingest.decode("cc/lab/queue/q", json.dumps(later).encode(), NOW))
    assert period_text(view, "q") == "since 06:00"
    assert not ingest.decode("cc/lab/queue/q", json.dumps({**body, "period_start": NOW + 60}).encode(), NOW)
    assert counter.counts() == {"bad_timestamp": 1}


def test_the_staffing_gap_counts_only_agents_who_can_take_calls(tmp_path: Path) -> None:
    """Erlang C needs 14 (100 calls / 30 min, AHT 180 s, 80/20); 14 staffed of whom 3 away: "need 14 / have 11"."""
    config = load_config_text(board_toml(1883, tmp_path)).config
    state = BoardState(config, RejectionCounter(), clock=lambda: NOW)
    counts = {"interval_offered": 100, "interval_s": 1800, "aht_s": 180, "agents_staffed": 14, "agents_away": 3,
              "agents_available": 2, "agents_on_call": 8, "agents_wrap": 1}  # fmt: skip
    for field, value in counts.items():
        state.apply(Reading(f"sales.{field}", float(value), NOW, NOW))
    required, gap = state.value("sales.agents_required"), state.value("sales.staffing_gap")
    assert required is not None and required.value == 14
    assert gap is not None and gap.value == 3  # 14 needed, 2 + 8 + 1 can take calls


def test_without_agent_states_the_gap_is_staffed_less_away(tmp_path: Path) -> None:
    """A feed that sends only agents staffed and away: the gap is need - (staffed - away)."""
    config = load_config_text(board_toml(1883, tmp_path)).config
    state = BoardState(config, RejectionCounter(), clock=lambda: NOW)
    for field, value in {"interval_offered": 100, "interval_s": 1800, "aht_s": 180, "agents_staffed": 14,
                         "agents_away": 3}.items():  # fmt: skip
        state.apply(Reading(f"sales.{field}", float(value), NOW, NOW))
    gap = state.value("sales.staffing_gap")
    assert gap is not None and gap.value == 3
