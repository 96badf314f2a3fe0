"""A real mosquitto broker for tests, started on a free loopback port, stoppable and restartable.

Never a public broker: everything listens on 127.0.0.1. If mosquitto is not
installed the fixture fails and says how to install it (tests never skip).
"""

from __future__ import annotations

import contextlib
import getpass
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.timing import scaled

INSTALL_HINT = (
    "mosquitto is not installed: run `sudo apt-get install mosquitto mosquitto-clients` (or the README's test command)"
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    timeout = scaled(timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.02)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def require(program: str, hint: str = INSTALL_HINT) -> str:
    """The program's path; the test fails and says how to install it when it is missing (never skips)."""
    path = shutil.which(program) or shutil.which(program, path="/usr/sbin:/usr/bin:/sbin")
    if path is None:
        pytest.fail(f"{program} not found. {hint}", pytrace=False)
    return path


@dataclass
class TlsFiles:
    """A CA, a server certificate for 127.0.0.1/localhost, and a client certificate, all signed by the CA."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def make_tls_files(folder: Path) -> TlsFiles:
    """Generate a throwaway CA and certificates with the openssl command."""
    openssl = require("openssl")
    folder.mkdir(parents=True, exist_ok=True)

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], check=True, capture_output=True, cwd=folder)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=wallboard-test-ca",
        "-keyout", "ca.key", "-out", "ca.crt")  # fmt: skip
    (folder / "server.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name, ext in (("server", ["-extfile", "server.ext"]), ("client", [])):
        run("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout", f"{name}.key",
            "-out", f"{name}.csr")  # fmt: skip
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-out", f"{name}.crt", *ext)  # fmt: skip
    return TlsFiles(
        folder / "ca.crt", folder / "server.crt", folder / "server.key", folder / "client.crt", folder / "client.key"
    )


class Mosquitto:
    """One mosquitto process with a plain listener, and optionally TLS and password-protected listeners."""

    def __init__(
        self,
        folder: Path,
        *,
        tls: TlsFiles | None = None,
        passwords: dict[str, str] | None = None,
        extra_config: str = "",
    ) -> None:
        self.binary = require("mosquitto")
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.tls_port = free_port() if tls else None
        self.auth_port = free_port() if passwords else None
        # As root mosquitto would switch to the "mosquitto" user, which cannot read the test's files.
        lines = [
            f"user {getpass.getuser()}",
            "per_listener_settings true",
            "log_dest stderr",
            "log_type error",
            "log_type warning",
        ]
        lines += [f"listener {self.port} 127.0.0.1", "allow_anonymous true"]
        if tls is not None:
            lines += [
                f"listener {self.tls_port} 127.0.0.1",
                "allow_anonymous true",
                f"cafile {tls.ca}",
                f"certfile {tls.server_cert}",
                f"keyfile {tls.server_key}",
                "require_certificate false",
            ]
        if passwords:
            password_file = folder / "passwords"
            password_file.write_text("")
            tool = require("mosquitto_passwd")
            for user, password in passwords.items():
                subprocess.run([tool, "-b", str(password_file), user, password], check=True, capture_output=True)
            password_file.chmod(0o600)
            lines += [f"listener {self.auth_port} 127.0.0.1", "allow_anonymous false", f"password_file {password_file}"]
        self.config_file = folder / "mosquitto.conf"
        self.config_file.write_text("\n".join(lines) + "\n" + extra_config)
        self.log_file = folder / "mosquitto.log"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the broker (again, on the same ports) and wait until it listens."""
        log = self.log_file.open("ab")
        self._process = subprocess.Popen([self.binary, "-c", str(self.config_file)], stdout=log, stderr=log)
        for port in (self.port, self.tls_port, self.auth_port):
            if port is not None:
                try:
                    wait_for_port(port)
                except TimeoutError:
                    self.stop()
                    raise RuntimeError(f"mosquitto did not start: {self.log_file.read_text()[-2000:]}") from None

    def terminate(self) -> None:
        """Stop the broker cleanly (SIGTERM, as `systemctl stop mosquitto` does) and wait for it to exit."""
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None

    def stop(self) -> None:
        """Kill the broker at once (as a crash or a pulled cable would)."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def publish(self, topic: str, payload: str | bytes, *, retain: bool = False, port: int | None = None) -> None:
        """Publish one message with the real mosquitto_pub client."""
        tool = require("mosquitto_pub")
        data = payload.encode() if isinstance(payload, str) else payload
        args = [tool, "-h", "127.0.0.1", "-p", str(port or self.port), "-t", topic, "-q", "1", "-s"]
        if retain:
            args.append("-r")
        subprocess.run(args, input=data, check=True, capture_output=True, timeout=10)
