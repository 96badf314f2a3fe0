"""Human durations for config files: "30s", "5m", "1h30m", "250ms" or a bare number of seconds."""

import re

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float:
    """Return the number of seconds ``text`` names; raise ValueError if it is not a duration."""
    compact = text.strip().replace(" ", "")
    if not compact:
        raise ValueError('expected a duration like "30s" or "5m", got an empty string')
    position = 0
    total = 0.0
    for match in _PART.finditer(compact):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if position != len(compact) or position == 0:
        raise ValueError(f'expected a duration like "30s", "5m" or "1h30m", got "{text}"')
    return total
