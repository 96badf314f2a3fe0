"""What a config says about a metric name it does not know: the near wire-contract name first.

A typo such as ``sales.calls_witing`` is far likelier than a site's own metric, so the message
suggests the near name (``did you mean "sales.calls_waiting"?``) and only otherwise asks for a
``[[metric]]`` declaration. Pure: names in, one message out.
"""

from __future__ import annotations

import difflib

from wallboard.device.wire.metrics import DERIVED_FIELDS, QUEUE_FIELDS

# How alike a field must be to be suggested: close enough for a typo, not for a different metric.
_NEAR = 0.8


def near_metric(key: str) -> str | None:
    """The wire-contract metric ``key`` most likely meant (same queue, near field), or None."""
    queue, dot, field = key.rpartition(".")
    found = difflib.get_close_matches(field, [*QUEUE_FIELDS, *DERIVED_FIELDS], n=1, cutoff=_NEAR)
    return f"{queue}{dot}{found[0]}" if found else None


def unknown_metric(key: str, remedy: str) -> str:
    """The message for ``key``, unknown to the wire contract: the near name if there is one, else ``remedy``."""
    near = near_metric(key)
    if near is not None:
        return f'"{key}" is not a wire-contract field; did you mean "{near}"?'
    return f'"{key}" is not a wire-contract field; {remedy}'
