"""Read the shipped mosquitto ACL and bridge files, and match MQTT topic filters the way mosquitto does.

Only what the shipped files use: ``user NAME`` blocks of ``topic [read|write|readwrite] FILTER`` lines, and a
bridge's ``topic FILTER DIRECTION QOS`` lines. Used by tests that check the files against the code's topic list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

CONFIG = Path(__file__).resolve().parent.parent / "config" / "mosquitto"


@dataclass
class AclUser:
    """What one ACL user may read and write (topic filters, as written)."""

    reads: set[str] = field(default_factory=set)
    writes: set[str] = field(default_factory=set)


def read_acl(path: Path) -> dict[str, AclUser]:
    """The ``user`` blocks of a mosquitto ACL file."""
    users: dict[str, AclUser] = {}
    current: AclUser | None = None
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        words = raw.split()
        if not words or words[0].startswith("#"):
            continue
        if words[0] == "user" and len(words) == 2:
            current = users.setdefault(words[1], AclUser())
        elif words[0] == "topic" and current is not None and len(words) in (2, 3):
            access, topic = ("readwrite", words[1]) if len(words) == 2 else (words[1], words[2])
            if access in ("read", "readwrite"):
                current.reads.add(topic)
            if access in ("write", "readwrite"):
                current.writes.add(topic)
        else:
            raise AssertionError(f"{path.name}:{number}: a line these tests do not understand: {raw!r}")
    return users


def read_bridge_topics(path: Path) -> set[tuple[str, str]]:
    """A bridge config's ``topic`` lines as (filter, direction) pairs."""
    pairs = set()
    for raw in path.read_text().splitlines():
        words = raw.split()
        if words and words[0] == "topic":
            assert len(words) == 4 and words[3] == "1", f"{path.name}: expected 'topic FILTER DIR 1', got {raw!r}"
            pairs.add((words[1], words[2]))
    return pairs


def covers(pattern: str, topic_filter: str) -> bool:
    """True if every topic matching ``topic_filter`` also matches ``pattern`` (an ACL line allows it all)."""
    mine, theirs = pattern.split("/"), topic_filter.split("/")
    for index, level in enumerate(mine):
        if level == "#":
            return True
        if index >= len(theirs) or theirs[index] == "#":
            return False
        if level != "+" and (theirs[index] == "+" or theirs[index] != level):
            return False
    return len(mine) == len(theirs)


def overlaps(pattern: str, topic_filter: str) -> bool:
    """True if some topic matches both (a user allowed ``pattern`` can publish something ``topic_filter`` gets)."""
    mine, theirs = pattern.split("/"), topic_filter.split("/")
    for index in range(min(len(mine), len(theirs))):
        a, b = mine[index], theirs[index]
        if "#" in (a, b):
            return True
        if "+" not in (a, b) and a != b:
            return False
    return len(mine) == len(theirs)
