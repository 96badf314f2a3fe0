"""``--record DIR``: the raw vendor payloads a feed saw, one JSON line each, for new test fixtures.

Personal data is hashed before it is written: caller numbers and names, and
any field a vendor uses for a customer's address, become ``sha256:<12 hex>``
with a salt drawn per recording, so one caller stays one hash within a file but
cannot be looked up. Must not write anything unhashed that names a customer.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Field names (compared case-insensitively) whose values identify a customer.
PERSONAL_FIELDS = frozenset(
    {
        "calleridnum",
        "calleridname",
        "connectedlinenum",
        "connectedlinename",
        "exten",
        "destcalleridnum",
        "destcalleridname",
        "destconnectedlinenum",
        "destconnectedlinename",
        "address",
        "ani",
        "dnis",
        "phonenumber",
        "customerendpoint",
    }
)


class Recorder:
    """Appends ``{"t": ..., "source": ..., "payload": ...}`` lines to ``DIR/<adapter>-<start>.jsonl``."""

    def __init__(self, folder: Path, adapter: str, *, clock: Callable[[], float] = time.time) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        self._salt = secrets.token_bytes(16)
        self.path = folder / f"{adapter}-{int(clock())}.jsonl"
        self._file = self.path.open("a", encoding="utf-8")

    def hash(self, value: str) -> str:
        return "sha256:" + hashlib.sha256(self._salt + value.encode()).hexdigest()[:12]

    def scrub(self, payload: Any) -> Any:
        """``payload`` with every personal field's value hashed, at any depth."""
        if isinstance(payload, dict):
            return {
                key: (self.hash(str(value)) if _personal(key, value) else self.scrub(value))
                for key, value in payload.items()
            }
        if isinstance(payload, list):
            return [self.scrub(item) for item in payload]
        return payload

    def write(self, source: str, payload: Any) -> None:
        line = {"t": self._clock(), "source": source, "payload": self.scrub(payload)}
        self._file.write(json.dumps(line, default=str, sort_keys=True) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def _personal(key: object, value: object) -> bool:
    return isinstance(key, str) and key.lower() in PERSONAL_FIELDS and value not in (None, "", "<unknown>")
