"""The screen's ``ACK`` and the signals' silence follow one rule: the core's latch and the signal policy agree.

``device/core/acknowledgement.py`` says which alarm is acknowledged for the screen; ``firmware_bridge/policy.py``
silences the chime. A supervisor who sees ``ACK`` must hear silence, and hear the chime again exactly when
``ACK`` goes away.
"""

from __future__ import annotations

from wallboard.device.config.signals_schema import SignalSettings
from wallboard.device.core.acknowledgement import AcknowledgeLatch
from wallboard.device.core.rules import Severity
from wallboard.firmware_bridge.policy import SignalPolicy, SignalState

_SIGNAL = {
    Severity.NORMAL: SignalState.NORMAL,
    Severity.WARN: SignalState.WARN,
    Severity.CRITICAL: SignalState.CRITICAL,
}


def test_the_screens_ack_and_the_signals_silence_agree_through_a_shift() -> None:
    """Warn, ack, worse, ack, easing, clearing, a new alarm, an ack with no alarm: ACK shown exactly while silenced."""
    timeline = [
        (Severity.NORMAL, 0), (Severity.WARN, 0), (Severity.WARN, 1), (Severity.WARN, 1), (Severity.CRITICAL, 1),
        (Severity.CRITICAL, 2), (Severity.WARN, 2), (Severity.CRITICAL, 2), (Severity.NORMAL, 2), (Severity.NORMAL, 3),
        (Severity.WARN, 3), (Severity.CRITICAL, 4), (Severity.WARN, 4), (Severity.NORMAL, 4),
    ]  # fmt: skip
    latch = AcknowledgeLatch()
    policy = SignalPolicy(SignalSettings(), started_at=0.0, startup_quiet=0.0)
    shown, silenced = [], []
    for second, (severity, acks) in enumerate(timeline):
        shown.append(latch.update(severity, acks) is not None)
        silenced.append(policy.decide(_SIGNAL[severity], acks, float(second)).acknowledged)
    assert shown == silenced
    assert any(shown) and not all(shown)  # the timeline has both
