"""systemd readiness, watchdog and status, over the ``$NOTIFY_SOCKET`` datagram socket (no libsystemd).

``SystemdNotifier`` is the protocol: newline-separated ``KEY=value`` fields in
one datagram to the AF_UNIX socket systemd names in ``$NOTIFY_SOCKET`` (a
path, or an abstract address written with a leading ``@``). Without that
variable (not run by systemd) every call is a quiet no-op.

``SystemdOutput`` is the board's output that uses it; it comes last in the
output list so that ``READY=1`` goes out after the first full pass, i.e. after
the display drew its first frame. It pings ``WATCHDOG=1`` from the frame loop
at half of ``$WATCHDOG_USEC``, so a hung loop stops the pings and systemd
restarts the service; it sends a ``STATUS=`` line when the connection or the
alarm state changes (shown by ``systemctl status``; with the screen's state appended while it is not
showing, read through the ``ScreenHealth`` port) and ``STOPPING=1`` on
close. It must never raise into the loop: a failed send is logged once.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

from wallboard.device.core.view import BoardView, ScreenHealth

log = logging.getLogger(__name__)


class SystemdNotifier:
    """Sends sd_notify messages to ``$NOTIFY_SOCKET``; a no-op when systemd did not set it."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET", "")
        self.address: str | None = None
        if address.startswith("@"):
            self.address = "\0" + address[1:]  # abstract socket namespace
        elif address.startswith("/"):
            self.address = address
        self.watchdog_interval: float | None = None
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        if usec.isdigit() and int(usec) > 0 and (not pid or pid == str(os.getpid())):
            self.watchdog_interval = int(usec) / 1e6 / 2  # ping at half the timeout, as sd_watchdog_enabled advises
        self._warned = False

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def notify(self, *fields: str) -> bool:
        """Send ``fields`` (e.g. ``"READY=1"``, ``"STATUS=..."``) as one message; False if not sent."""
        if self.address is None:
            return False
        message = "\n".join(fields).encode("utf-8", errors="replace")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(message, self.address)
        except OSError as exc:
            if not self._warned:
                self._warned = True
                log.warning("cannot notify systemd at %r: %s", self.address.replace("\0", "@"), exc)
            return False
        return True


class SystemdOutput:
    """The board's link to systemd: READY after the first pass, WATCHDOG pings, STATUS lines, STOPPING."""

    def __init__(self, notifier: SystemdNotifier | None = None, *, screen: ScreenHealth | None = None) -> None:
        """Notify through ``notifier``; ``screen``, if given, puts a dark screen in the STATUS line."""
        self._notifier = notifier if notifier is not None else SystemdNotifier()
        self._screen = screen
        self._ready = False
        self._next_ping = float("-inf")
        self._status: str | None = None

    def render(self, view: BoardView) -> float:
        notifier = self._notifier
        if not notifier.enabled:
            return 3600.0
        fields = []
        status = _status_line(view)
        if self._screen is not None and not (report := self._screen.screen_report()).showing:
            status += f", screen {report.state}"  # e.g. "screen retrying: Could not initialize ..."
        if status != self._status:
            self._status = status
            fields.append(f"STATUS={status}")
        if not self._ready:
            self._ready = True
            fields.insert(0, "READY=1")
            log.info("told systemd the board is ready")
        interval = notifier.watchdog_interval
        if interval is not None and view.now >= self._next_ping:
            fields.append("WATCHDOG=1")
            self._next_ping = view.now + interval
        if fields:
            notifier.notify(*fields)
        return 3600.0 if interval is None else max(0.0, self._next_ping - view.now)

    def close(self) -> None:
        self._notifier.notify("STOPPING=1", "STATUS=stopping: lamps to safe state, cache flushing")


def _status_line(view: BoardView) -> str:
    """One line for ``systemctl status``: connection, alarm state, data freshness (not its age: that ticks)."""
    age = view.state.data_age(view.wall_now)
    if age is None:
        shown = "no data yet"
    else:
        shown = "data stale" if age > float(view.config.default_stale_after) else "data fresh"
    blind = " (blind)" if view.assessment.blind else ""
    return f"broker {view.state.link.status.value}, alarm {view.assessment.board.label}{blind}, {shown}"
