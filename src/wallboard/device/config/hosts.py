"""Whether ``mqtt.host`` is something the MQTT client can connect to: a host name or an address, nothing more.

A URL (``mqtt://broker:1883``) or a port in the host (``broker:1883``) passes a type check, and then
``run`` hands it to the resolver and retries "host not found" for ever; ``check`` refuses it instead,
saying what to write. Shared by the board's config and the feeds'. Pure: strings in, a message out.
"""

from __future__ import annotations

import re

_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<rest>.*)$")
_TLS_SCHEMES = ("mqtts", "ssl", "tls", "wss", "https")


def mqtt_host_problem(host: str, port: int) -> str | None:
    """Why ``host`` is not a host name or address the MQTT client can connect to (a URL, a port), or None."""
    scheme = _SCHEME.match(host)
    if scheme is not None:
        # `run` would hand "mqtt://broker" to the resolver and retry "host not found" for ever.
        rest = scheme.group("rest").split("/", 1)[0]
        name, _, given_port = rest.rpartition(":") if rest.count(":") == 1 else (rest, "", "")
        tls = " and a [mqtt.tls] table" if scheme.group("scheme").lower() in _TLS_SCHEMES else ""
        port_text = given_port if given_port.isdigit() else ("8883" if tls and port == 1883 else str(port))
        return (
            f'expected a host name or address without a scheme, got "{host}"; '
            f'write host = "{name or rest}" and port = {port_text}{tls}'
        )
    if not host.strip() or any(c.isspace() or c in "/?#@" for c in host):
        return f'expected a host name or address, got "{host}"'
    name, colon, given_port = host.rpartition(":")
    if colon and host.count(":") == 1 and given_port.isdigit():
        return (
            f'expected a host name or address without a port, got "{host}"; '
            f'write host = "{name}" and port = {given_port}'
        )
    return None
