"""How often a feed may ask its platform: a request budget and a retry backoff.

The budget is a token bucket kept below the vendor's quota, shared by every
call an adapter makes, and pushed back when the platform says ``Retry-After``.
The backoff is "full jitter" exponential backoff as published by AWS
(Marc Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog, 2015):
``sleep = random_between(0, min(cap, base * 2 ** attempt))``. Both take an
injected clock and random source; neither does I/O.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable


class RequestBudget:
    """At most ``rate`` requests a second on average, ``burst`` at once; ``hold_off`` honours Retry-After."""

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a request budget needs rate > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._stamp = clock()
        self._not_before = 0.0
        self.spent = 0

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def wait_needed(self) -> float:
        """Seconds until the next request may go (0 if now)."""
        self._refill()
        held = max(0.0, self._not_before - self._clock())
        short = 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate
        return max(held, short)

    async def acquire(self) -> None:
        """Wait until a request may go, then spend one token."""
        while (delay := self.wait_needed()) > 0:
            await self._sleep(delay)
        self._tokens -= 1
        self.spent += 1

    def hold_off(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (the platform's Retry-After)."""
        self._not_before = max(self._not_before, self._clock() + max(0.0, seconds))


class Backoff:
    """Full-jitter exponential backoff between ``0`` and ``min(cap, base * 2**attempt)`` seconds."""

    def __init__(self, base: float = 1.0, cap: float = 300.0, *, rng: random.Random | None = None) -> None:
        self.base = base
        self.cap = cap
        self.attempt = 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        """The wait before the next try; each call doubles the ceiling up to ``cap``."""
        ceiling = min(self.cap, self.base * 2.0**self.attempt)
        self.attempt += 1
        return self._rng.uniform(0.0, ceiling)

    def reset(self) -> None:
        """After a success: the next failure starts from ``base`` again."""
        self.attempt = 0
