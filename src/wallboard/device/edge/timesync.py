"""Is the system clock synchronised? The kernel's own answer (adjtimex), for the clock widget's honesty.

A Raspberry Pi has no battery-backed clock (the Pi 5 only with a battery
fitted): booted without network it runs on a guessed time until NTP answers.
The kernel knows: ``adjtimex`` with no changes returns TIME_ERROR (5) while the
clock is not synchronised (man 2 adjtimex). This module only asks; it never
sets the clock. Where the call is missing (not Linux) the answer is None:
unknown, never "synchronised".
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable

_TIME_ERROR = 5  # adjtimex(2): "the system clock is not synchronized to a reliable server"
_TIMEX_BYTES = 512  # struct timex is 208 bytes on 64-bit Linux; a zeroed buffer with modes = 0 only reads


@functools.cache
def _adjtimex() -> Callable[[ctypes.Array[ctypes.c_char]], int] | None:
    """libc's ``adjtimex``, looked up once: in the running process's own symbols (Python is linked to libc),
    else through ``find_library``, which runs ``ldconfig -p`` (a fork of the whole board, once a minute
    before this was kept); None where there is none."""
    for own in (True, False):
        name = None if own else ctypes.util.find_library("c")
        try:
            found: Callable[[ctypes.Array[ctypes.c_char]], int] = ctypes.CDLL(name, use_errno=True).adjtimex
        except (OSError, AttributeError, TypeError):
            continue
        return found
    return None


def kernel_clock_synchronised() -> bool | None:
    """True if the kernel says the clock is synchronised, False if not, None if it cannot be asked."""
    adjtimex = _adjtimex()
    if adjtimex is None:
        return None
    state = int(adjtimex(ctypes.create_string_buffer(_TIMEX_BYTES)))
    if state < 0:
        return None
    return state != _TIME_ERROR


class ClockWatch:
    """Asks whether the clock is synchronised at most once per ``interval`` and remembers since when it is not."""

    def __init__(self, ask: Callable[[], bool | None] = kernel_clock_synchronised, interval: float = 60.0) -> None:
        self._ask = ask
        self._interval = interval
        self._next = float("-inf")
        self.synchronised: bool | None = None
        self.unsynchronised_since: float | None = None  # wall time first seen unsynchronised

    def check(self, wall_now: float, now: float) -> bool:
        """Ask again if due (``now`` is monotonic); True if the answer changed."""
        if now < self._next:
            return False
        self._next = now + self._interval
        answer = self._ask()
        changed = answer != self.synchronised
        self.synchronised = answer
        if answer is False and self.unsynchronised_since is None:
            self.unsynchronised_since = wall_now
        elif answer is not False:
            self.unsynchronised_since = None
        return changed
