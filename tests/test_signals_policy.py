"""The signal policy on a timeline: which lamps, which chimes, and what an acknowledgement silences."""

from __future__ import annotations

from wallboard.device.config.signals_schema import SignalSettings
from wallboard.device.core.rules import Assessment, Severity
from wallboard.firmware_bridge.lights import LampMode
from wallboard.firmware_bridge.policy import SignalPolicy, SignalState, classify

S = SignalState


def _policy() -> SignalPolicy:
    return SignalPolicy(SignalSettings(), started_at=0.0, startup_quiet=0.0)


def test_blind_and_unknown_classify_as_blind_never_normal() -> None:
    """A blind board, or a board whose worst rule is unknown, shows the blind pattern."""
    assert classify(Assessment({}, Severity.NORMAL, blind=True)) is S.BLIND
    assert classify(Assessment({}, Severity.UNKNOWN, blind=False)) is S.BLIND
    assert classify(Assessment({}, Severity.CRITICAL, blind=False)) is S.CRITICAL


def test_critical_chimes_at_entry_and_every_30s() -> None:
    """Critical plays its chime on entry and then every 30 s while it lasts."""
    policy = _policy()
    played = [t for t in range(0, 95, 5) if policy.decide(S.CRITICAL, 0, float(t)).chime == "critical"]
    assert played == [0, 30, 60, 90]


def test_acknowledge_silences_until_worse_and_keeps_lamps() -> None:
    """After an ack, critical stays red-blinking but silent; a drop to warn stays silent; a new rise chimes."""
    policy = _policy()
    assert policy.decide(S.CRITICAL, 0, 0.0).chime == "critical"
    acked = policy.decide(S.CRITICAL, 1, 1.0)
    assert acked.acknowledged and acked.light.red is LampMode.BLINK and acked.chime is None
    assert all(policy.decide(S.CRITICAL, 1, float(t)).chime is None for t in range(2, 200))
    eased = policy.decide(S.WARN, 1, 200.0)
    assert eased.acknowledged and eased.chime is None and eased.light.amber is LampMode.ON
    worse = policy.decide(S.CRITICAL, 1, 201.0)
    assert not worse.acknowledged and worse.chime == "critical"


def test_acknowledge_ends_when_the_alarm_clears() -> None:
    """An acknowledged warn that clears to normal and comes back chimes again."""
    policy = _policy()
    assert policy.decide(S.WARN, 0, 0.0).chime == "warn"
    assert policy.decide(S.WARN, 1, 1.0).acknowledged
    cleared = policy.decide(S.NORMAL, 1, 2.0)
    assert not cleared.acknowledged and cleared.light.green is LampMode.ON
    assert policy.decide(S.WARN, 1, 3.0).chime == "warn"


def test_ack_with_nothing_wrong_does_not_silence_a_later_alarm() -> None:
    """An acknowledgement while normal is ignored: the next alarm still sounds."""
    policy = _policy()
    policy.decide(S.NORMAL, 0, 0.0)
    policy.decide(S.NORMAL, 1, 1.0)
    assert policy.decide(S.CRITICAL, 1, 2.0).chime == "critical"


def test_startup_quiet_defers_the_first_chime_but_not_the_lamps() -> None:
    """Within the first seconds after start the lamps show blind at once; its chime waits for the quiet to end."""
    policy = SignalPolicy(SignalSettings(), started_at=100.0, startup_quiet=5.0)
    first = policy.decide(S.BLIND, 0, 100.0)
    assert first.light.amber is LampMode.BLINK and first.chime is None and first.next_due == 5.0
    assert policy.decide(S.BLIND, 0, 105.0).chime == "blind"
