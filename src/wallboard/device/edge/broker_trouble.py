"""Why the broker link is down, in words IT can act on: refused, host not found, TLS (which), not authorised, timed out.

Turns the exception paho's connect raised (a socket or TLS error) or the
broker's CONNACK reason code into one short cause, such as
``connection refused by 10.0.0.5:1883 (nothing listening on that port?)``. It
names the broker's address and the likely fix; it never includes a password.
The part before `` (`` is what the offline banner shows, so it stays short
enough to read from across the floor; the hint in brackets goes to the log and
the status.
Pure: no paho, no sockets.
"""

from __future__ import annotations

import errno
import socket
import ssl

# MQTT 5 CONNACK reason codes (OASIS MQTT Version 5.0, section 3.2.2.2) and MQTT 3.1.1 return codes
# (section 3.2.2.3; paho maps them onto the 5.0 codes: 4 -> 0x86, 5 -> 0x87), as causes.
_REFUSALS: dict[int, str] = {
    0x84: 'refused: the broker does not accept this MQTT version (try mqtt.protocol = "3.1.1")',
    0x85: "refused: client id not accepted (mqtt.client_id)",
    0x86: "not authorised: bad user name or password (mqtt.username, mqtt.password_file)",
    # mosquitto answers a wrong password with 0x87, not 0x86: the cause names both possibilities.
    0x87: "not authorised: user or password refused (a wrong password, or a user the broker does not allow; "
    "mqtt.username, mqtt.password_file)",
    0x88: "refused: the broker is unavailable",
    0x89: "refused: the broker is busy",
    0x8A: "refused: this client is banned by the broker",
    0x8C: "not authorised: bad authentication method",
    0x95: "refused: packet too large",
    0x97: "refused: quota exceeded",
    0x9C: "refused: use another server",
    0x9D: "refused: the broker has moved",
    0x9F: "refused: connection rate exceeded",
}


def refusal_cause(code: int, text: str) -> str:
    """The cause for a CONNACK refusal with reason ``code`` (``text`` as the broker's words if unknown)."""
    return _REFUSALS.get(code, f"refused by the broker: {text}")


def connect_failure_cause(exc: BaseException | None, host: str, port: int) -> str:
    """The cause for a failed connect to ``host:port`` given the exception raised (None: unknown)."""
    address = f"{host}:{port}"
    if isinstance(exc, socket.gaierror):
        return f"host not found: {host} (check mqtt.host and DNS)"
    if isinstance(exc, ConnectionRefusedError):
        return f"connection refused by {address} (nothing listening on that port?)"
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message or exc.reason or "verification failed"
        if "mismatch" in reason.lower():
            return f"TLS failure: certificate is not for {host} ({reason})"
        if "expired" in reason.lower():
            return f"TLS failure: certificate expired ({reason})"
        return f"TLS failure: certificate not trusted ({reason}; wrong mqtt.tls.ca_file?)"
    if isinstance(exc, ssl.SSLError):
        reason = (exc.reason or str(exc)).replace("_", " ").lower()
        if "wrong version number" in reason or "record layer failure" in reason:
            return f"TLS failure: {address} does not speak TLS (a plain MQTT port?)"
        if "certificate" in reason or "alert" in reason:
            return f"TLS failure: handshake rejected by the broker ({reason}; client certificate?)"
        return f"TLS failure: {reason}"
    if isinstance(exc, TimeoutError):
        return f"timed out connecting to {address} (firewall, or the wrong address?)"
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return f"no route to {address} (network down?)"
        if exc.errno == errno.ECONNRESET:
            return f"connection reset by {address} (TLS to a plain port, or plain MQTT to a TLS port?)"
        return f"cannot connect to {address}: {exc.strerror or exc}"
    return f"cannot reach {address}"


# The hint when the peer accepted the TCP connection but never answered as an MQTT broker does.
NOT_A_BROKER = "not an MQTT broker? wrong port, or TLS expected?"


def link_lost_cause(reason: str, *, from_broker: bool, acknowledged: bool, address: str) -> str:
    """Why the link to ``address`` ended, from paho's disconnect reason (its name, e.g. "Protocol error").

    ``acknowledged``: the broker had accepted the connect (CONNACK) before the link ended; without
    it the peer took the TCP connection but never answered as a broker: an HTTP or TLS port, or
    another service. ``from_broker``: the broker sent a DISCONNECT with ``reason`` (MQTT 5); without
    it paho saw the socket close ("Unspecified error"), the keepalive run out, or bytes that are not
    MQTT ("Protocol error").
    """
    if not acknowledged:
        if reason == "Protocol error":
            return f"{address} does not answer in MQTT ({NOT_A_BROKER})"
        return f"{address} closed the connection without an MQTT answer ({NOT_A_BROKER})"
    if from_broker:
        if reason == "Server shutting down":
            return "the broker is shutting down (it will be retried)"
        if reason == "Session taken over":
            return "disconnected by the broker: another client took this client id (mqtt.client_id used twice?)"
        return f"disconnected by the broker: {reason}"
    if reason == "Unspecified error":
        # paho's name for a socket the other end closed: mosquitto stopping closes it without a DISCONNECT.
        return "lost: the broker closed the connection (broker stopped or restarted, or a network reset)"
    if reason == "Keep alive timeout":
        return "lost: no answer from the broker within the keepalive (network down, or the broker hung?)"
    if reason == "Protocol error":
        return "lost: the broker sent something that is not MQTT (protocol error)"
    return f"lost: {reason}"
