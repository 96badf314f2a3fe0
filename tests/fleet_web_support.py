"""The fleet page's real parts for tests: the ``wallboard fleet --serve`` process, real boards, a real Chromium."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import httpx

from tests.broker import free_port, require, wait_for_port
from tests.helpers import wait_until

WALLBOARD = Path(sys.executable).parent / "wallboard"
CHROMIUM_HINT = (
    "install Debian's browser and what Playwright's driver needs: sudo apt-get install chromium libatomic1 "
    "(scripts/setup-env.sh does)"
)


def chromium() -> str:
    """Debian's Chromium, which Playwright drives; the test fails and says how to install it when it is missing."""
    return require("chromium", CHROMIUM_HINT)


@dataclass
class FleetServer:
    """One ``wallboard fleet --serve`` process."""

    broker_port: int
    folder: Path
    args: tuple[str, ...] = ()
    port: int = field(default_factory=free_port)
    scheme: str = "http"
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}/"

    @property
    def log(self) -> str:
        path = self.folder / f"fleet-serve-{self.port}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        out = (self.folder / f"fleet-serve-{self.port}.log").open("ab")
        command = [str(WALLBOARD), "fleet", "--broker", f"127.0.0.1:{self.broker_port}", "--serve"]
        command += ["--listen", f"127.0.0.1:{self.port}", *self.args]
        self.process = subprocess.Popen(command, env=dict(os.environ), stdout=out, stderr=out)
        try:
            wait_for_port(self.port, timeout=20)
        except Exception:
            self.stop()
            raise AssertionError(f"the fleet server did not start:\n{self.log}") from None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None


@contextmanager
def fleet_server(broker_port: int, folder: Path, *args: str, scheme: str = "http") -> Iterator[FleetServer]:
    server = FleetServer(broker_port, folder, tuple(args), scheme=scheme)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class RealBoard:
    """A ``wallboard run`` process with a (headless) screen, so it answers screenshots with its real frame."""

    site: str
    board: str
    broker_port: int
    folder: Path
    name: str = ""
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        folder = self.folder / f"{self.site}-{self.board}"
        folder.mkdir(parents=True, exist_ok=True)
        config = folder / "board.toml"
        config.write_text(self._demo_config(folder))

        log = (folder / "board.log").open("ab")
        self.process = subprocess.Popen(
            [str(WALLBOARD), "run", "--config", str(config)], env=dict(os.environ), stdout=log, stderr=log
        )

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def _demo_config(self, folder: Path) -> str:
        """The shipped demo board (its tiles and rules) as this site's board on the test's broker."""
        text = (resources.files("wallboard.app.demo") / "demo.toml").read_text(encoding="utf-8")
        text = text.replace('id = "demo"', f'id = "{self.site}"', 1).replace('id = "demo"', f'id = "{self.board}"', 1)
        text = text.replace('name = "Demo - Sales & Support"', f'name = "{self.name or self.board}"')
        text = text.replace("port = 1883", f"port = {self.broker_port}").replace('keepalive = "5s"', 'keepalive = "2s"')
        text = text.replace('size = "1280x720"', 'size = "960x540"')
        text = text.replace("[cache]\n", f'[cache]\ndir = "{folder / "state"}"\n')
        return text + '\n[health]\ninterval = "3s"\n'


@contextmanager
def simulated_site(broker_port: int, site: str, folder: Path) -> Iterator[None]:
    """``wallboard simulate`` feeding ``site``'s sales and support queues (what the demo board shows)."""
    log = (folder / f"simulate-{site}.log").open("ab")
    command = [str(WALLBOARD), "simulate", "--broker", f"127.0.0.1:{broker_port}", "--site", site, "--seed", "7"]
    command += ["--timezone", "Europe/London", "--day-start", "10", "--speed", "5"]
    process = subprocess.Popen(command, env=dict(os.environ), stdout=log, stderr=log)
    try:
        yield
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def boards_json(server: FleetServer, **kwargs: Any) -> dict[str, Any]:
    response = httpx.get(server.url + "api/boards", timeout=5, **kwargs)
    response.raise_for_status()
    document = response.json()
    assert isinstance(document, dict)
    return document


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> float:
    """``wait_until`` polling at a pace a browser page can take (5 a second); the seconds it took."""
    return wait_until(condition, timeout, what, interval=0.2)
