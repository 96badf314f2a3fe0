"""The board's status document on ``wallboard/<site>/<board>/status``: its schema and its identity fields.

Built here and only here: the will and the farewell (``offline``), the minimal ``online`` a board without
a health publisher sends, and the health publisher's full document all start from ``presence``. The
format is in docs/status-format.md.
"""

from __future__ import annotations

import json

from wallboard.device import __version__
from wallboard.device.config.schema import BoardConfig

# Bump when a field changes meaning or goes away; adding a field does not bump it.
STATUS_SCHEMA = 1


def presence(config: BoardConfig, config_checksum: str, *, online: bool, started_at: float) -> dict[str, object]:
    """The fields every status carries: schema, online or offline, who the board is and what it runs."""
    status: dict[str, object] = {
        "schema": STATUS_SCHEMA,
        "status": "online" if online else "offline",
        "site": config.site.id,
        "board": config.board.id,
        "version": __version__,
        "config_checksum": config_checksum,
    }
    if online:
        status["started_at"] = round(started_at, 3)
    return status


def presence_payload(config: BoardConfig, config_checksum: str, *, online: bool, started_at: float) -> bytes:
    """``presence`` as the compact JSON sent over MQTT."""
    document = presence(config, config_checksum, online=online, started_at=started_at)
    return json.dumps(document, separators=(",", ":")).encode()
