"""A site's TLS tunnel to the centre: the shipped ``stunnel-bridge.conf`` run by the real stunnel on loopback.

The site's bridge connects in plain MQTT to the tunnel's local port; stunnel carries it over TLS to the
centre (here through the test's WAN proxy), checking the centre's certificate as shipped. The changes to
the shipped file: its placeholders filled, its local port a free one, and (when the tests do not run as root)
no ``setuid``/``setgid`` to the stunnel4 user.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.acl_files import CONFIG
from tests.broker import free_port, require, wait_for_port

SHIPPED_LOCAL = "accept = 127.0.0.1:8885\n"


class Tunnel:
    """One stunnel process from the shipped file: 127.0.0.1:``port`` -> TLS -> ``host``:``target``."""

    def __init__(self, folder: Path, host: str, target: int, ca_file: Path, *, expect_name: str | None = None) -> None:
        self.binary = require(
            "stunnel", "stunnel is not installed: run `sudo apt-get install stunnel4` (or the README's test command)"
        )
        self.port = free_port()
        text = (CONFIG / "stunnel-bridge.conf").read_text()
        assert SHIPPED_LOCAL in text
        text = text.replace(SHIPPED_LOCAL, f"accept = 127.0.0.1:{self.port}\n")
        for placeholder, value in {
            "@CENTRAL_HOST@": host,
            "@CENTRAL_PORT@": str(target),
            "@CA_FILE@": str(ca_file),
        }.items():
            text = text.replace(placeholder, value)
        if expect_name is not None:  # a site that names the centre wrongly (its certificate says otherwise)
            assert f"checkHost = {host}\n" in text
            text = text.replace(f"checkHost = {host}\n", f"checkHost = {expect_name}\n")
        if os.geteuid() != 0:
            text = text.replace("setuid = stunnel4\n", "").replace("setgid = stunnel4\n", "")
        folder.mkdir(parents=True, exist_ok=True)
        self.config_file = folder / "stunnel-bridge.conf"
        self.config_file.write_text(text)
        self.log_file = folder / "stunnel.log"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_file.open("ab")
        self._process = subprocess.Popen([self.binary, str(self.config_file)], stdout=log, stderr=log)
        try:
            wait_for_port(self.port)
        except TimeoutError:
            self.stop()
            raise RuntimeError(f"stunnel did not start: {self.log_file.read_text()[-2000:]}") from None

    def stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None

    def handshake_failures(self) -> int:
        """TLS handshakes the far end cut short (it closed before answering), as stunnel logged them."""
        return self.log_file.read_text(errors="replace").count("unexpected eof while reading")
