"""The board's one vocabulary: the words every board says, at every size (docs/display.md, "Glossary").

A narrow tile says fewer of these words, never other ones: "▲ WARNING IN 18 s" becomes "▲ IN 18 s", not
"WARN IN"; the agents legend says Free / Talk / Wrap / Away on a 4K wall and a 720p TV alike; a volume
line is "907 of 1209 today", shortened to "907 of 1209". Tests check what the shipped boards draw against
these lists. No pygame: words only.
"""

from __future__ import annotations

# A value's state, as its tile's marker line says it (with its shape, so it reads without colour).
STATE_WORDS = {
    "normal": "OK",
    "warning": "WARNING",
    "critical": "CRITICAL",
    "pending": "IN",  # "▲ WARNING IN 18 s": beyond a level, its hold still running
    "acknowledged": "ACK",
    "stale": "STALE",
    "offline": "OFFLINE",
    "no data": "NO DATA",
    "not supplied": "NOT SUPPLIED",
    "no calls yet": "NO CALLS YET",
    "low volume": "LOW VOLUME",
}

# The agent states, as the agents bar's legend names them (the wire contract's fields).
AGENT_WORDS = (
    ("agents_available", "Free"),  # logged in and ready for a call
    ("agents_on_call", "Talk"),  # on a call, including hold
    ("agents_wrap", "Wrap"),  # after-call work
    ("agents_away", "Away"),  # logged in, not taking calls: a break, lunch, a meeting
)

# The words of a volume line: "907 of 1209 today", "111 of 116 since 14:54", "12 of 30 busy", "0 calls today".
VOLUME_WORDS = ("of", "today", "since", "busy", "calls", "too few calls", "need", "have", "does not supply it")
