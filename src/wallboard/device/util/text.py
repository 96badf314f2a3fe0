"""Untrusted text made safe to show on a screen, in a log line or in an admin's terminal."""

from __future__ import annotations

import unicodedata


def printable(text: str, limit: int) -> str:
    """``text`` with control characters removed, whitespace collapsed and its length capped at ``limit``."""
    cleaned = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text[: limit * 4])
    return " ".join(cleaned.split())[:limit]
