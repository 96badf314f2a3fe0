"""The shipped tunnel (``config/mosquitto/stunnel-bridge.conf``, run by the real stunnel) checks whom it talks to.

A site's bridge speaks plain MQTT to the tunnel and trusts it to have checked the centre: the centre's
certificate must be signed by the company CA and issued for the name the site connects to. Here a TLS
mosquitto stands in for the centre (its certificate is for localhost); MQTT clients go through the tunnel.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.broker import Mosquitto, make_tls_files
from tests.tunnel import Tunnel
from wallboard.app.tools.mqtt_client import ToolClient


def _through(tunnel: Tunnel) -> ToolClient:
    client = ToolClient("127.0.0.1", tunnel.port)
    client.connect(timeout=5)
    return client


def test_the_tunnel_carries_mqtt_to_the_centre_it_was_told_of_and_no_other(tmp_path: Path) -> None:
    """The right name and CA: a round trip. A name the certificate does not carry, or another CA: refused."""
    tls = make_tls_files(tmp_path / "tls")
    centre = Mosquitto(tmp_path / "centre", tls=tls)
    centre.start()
    assert centre.tls_port is not None
    tunnels: list[Tunnel] = []
    try:
        right = Tunnel(tmp_path / "right", "localhost", centre.tls_port, tls.ca)
        wrong_name = Tunnel(tmp_path / "name", "localhost", centre.tls_port, tls.ca, expect_name="central.example")
        other_ca = Tunnel(tmp_path / "ca", "localhost", centre.tls_port, make_tls_files(tmp_path / "other").ca)
        tunnels = [right, wrong_name, other_ca]
        for tunnel in tunnels:
            tunnel.start()
        client = _through(right)
        try:
            client.subscribe("wallboard/london/probe/ack")
            assert client.publish("wallboard/london/probe/ack", b"through the tunnel")
            assert client.next_message(5) == ("wallboard/london/probe/ack", b"through the tunnel")
        finally:
            client.close()
        for refused in (wrong_name, other_ca):
            with pytest.raises(ConnectionError):
                _through(refused).close()
            assert "certificate verify failed" in refused.log_file.read_text(errors="replace").lower(), refused.log_file
    finally:
        for tunnel in tunnels:
            tunnel.stop()
        centre.stop()
