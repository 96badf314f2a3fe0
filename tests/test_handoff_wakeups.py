"""The hand-off's doorbell: a put or a wake rouses the main thread's wait at once; a drain quietens it."""

from __future__ import annotations

import threading
import time

from wallboard.device.core.updates import Reading
from wallboard.device.edge.handoff import CoalescingQueue


def _reading(value: float) -> Reading:
    return Reading("sales.calls_waiting", value, 100.0 + value, 100.0 + value)


def test_wait_answers_at_once_while_something_waits_and_times_out_after_a_drain() -> None:
    handoff = CoalescingQueue(capacity=8)
    assert not handoff.waiting()
    assert handoff.wait(0.01) is False
    handoff.put(_reading(1))
    assert handoff.waiting()
    # Like an event: it stays rung (several waits) until the consumer drains.
    assert handoff.wait(0.0) is True
    assert handoff.wait(5.0) is True
    assert [u.value for u in handoff.drain() if isinstance(u, Reading)] == [1]
    assert not handoff.waiting()
    started = time.monotonic()
    assert handoff.wait(0.05) is False
    assert time.monotonic() - started >= 0.04
    # Many puts before a drain ring once: one drain quietens it.
    for n in range(5):
        handoff.put(_reading(n))
    assert len(handoff.drain()) == 1
    assert handoff.wait(0.0) is False


def test_wake_without_an_update_rouses_the_wait_and_a_drain_of_nothing_quietens_it() -> None:
    handoff = CoalescingQueue(capacity=8)
    handoff.wake()
    handoff.wake()
    assert handoff.wait(1.0) is True
    assert handoff.drain() == []
    assert handoff.wait(0.0) is False


def test_a_put_from_another_thread_ends_a_long_wait_promptly() -> None:
    handoff = CoalescingQueue(capacity=8)
    woke: list[float] = []

    def consumer() -> None:
        started = time.monotonic()
        if handoff.wait(10.0):
            woke.append(time.monotonic() - started)

    thread = threading.Thread(target=consumer)
    thread.start()
    time.sleep(0.1)
    handoff.put(_reading(3))
    thread.join(timeout=5.0)
    assert not thread.is_alive()
    assert woke and woke[0] < 5.0  # roused by the put, not by the 10 s timeout
    assert [u.value for u in handoff.drain() if isinstance(u, Reading)] == [3]
