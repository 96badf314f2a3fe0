"""What an adapter raises when the platform cannot be read; the runner turns each into a status and a retry.

Must not hold vendor objects: the reason is one printable line for the status topic.
"""

from __future__ import annotations


class FeedError(Exception):
    """The platform could not be read; ``reason`` is the one line shown as ``degraded: <reason>``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AuthFailed(FeedError):
    """The platform refused the credentials (wrong user, secret, scope or role)."""


class Throttled(FeedError):
    """The platform asked us to slow down; ``retry_after`` seconds if it said (``Retry-After``)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Disconnected(FeedError):
    """The connection to the platform dropped or could not be made."""


class FeedConfigError(Exception):
    """A feed config or secret file is unusable; the message names the file and key."""
