"""A loopback Asterisk Manager Interface server speaking the real AMI protocol, for the Asterisk feed's tests.

Framing as Asterisk sends it: the banner ``Asterisk Call Manager/<version>``,
``Key: value`` lines ending in CRLF, a blank line after each message; actions
answered with ``Response:`` and the caller's ``ActionID``; list actions answered
with ``EventList: start``, the events (each carrying the ActionID) and a
``...Complete`` event with ``EventList: Complete`` and ``ListItems``. Records
every action it was sent. ``restart()`` behaves as ``core restart now`` does:
a ``Shutdown`` event, then the socket closed.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

BANNER = "Asterisk Call Manager/5.0.4\r\n"


def frame(fields: list[tuple[str, str]]) -> bytes:
    return ("".join(f"{key}: {value}\r\n" for key, value in fields) + "\r\n").encode()


@dataclass
class Member:
    name: str
    status: int = 1  # AST_DEVICE_NOT_INUSE
    paused: bool = False
    reason: str = ""
    in_call: bool = False
    last_pause: int = 0


@dataclass
class Queue:
    name: str
    members: list[Member] = field(default_factory=list)
    waits: list[int] = field(default_factory=list)  # seconds each waiting caller has waited


class FakeAmi:
    """One fake PBX: ``queues`` is its state; ``emit`` sends an event to every logged-in client."""

    def __init__(self, username: str = "wallboard", secret: str = "s3cret") -> None:
        self.username = username
        self.secret = secret
        self.queues: dict[str, Queue] = {}
        self.actions: list[dict[str, str]] = []
        self.logins = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self, port: int = 0) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        for writer in list(self._writers):
            writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def restart(self, down_for: float = 0.0) -> None:
        """Announce a shutdown, drop every client and stop listening for ``down_for`` seconds."""
        for writer in list(self._writers):
            writer.write(
                frame(
                    [("Event", "Shutdown"), ("Privilege", "system,all"), ("Shutdown", "Cleanly"), ("Restart", "True")]
                )
            )
        port = self.port
        await self.stop()
        await asyncio.sleep(down_for)
        await self.start(port)

    async def emit(self, event: str, **fields: str | int) -> None:
        data = frame([("Event", event), ("Privilege", "agent,all"), *((k, str(v)) for k, v in fields.items())])
        for writer in list(self._writers):
            writer.write(data)
            with contextlib.suppress(ConnectionError):
                await writer.drain()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(BANNER.encode())
        authed = False
        try:
            while True:
                raw = await reader.readuntil(b"\r\n\r\n")
                action: dict[str, str] = {}
                for line in raw.decode().split("\r\n"):
                    key, sep, value = line.partition(": ")
                    if sep:
                        action[key.lower()] = value
                self.actions.append(action)
                name = action.get("action", "").lower()
                aid = action.get("actionid", "")
                if name == "login":
                    if action.get("username") == self.username and action.get("secret") == self.secret:
                        authed = True
                        self.logins += 1
                        self._writers.append(writer)
                        writer.write(
                            frame([("Response", "Success"), ("ActionID", aid), ("Message", "Authentication accepted")])
                        )
                        writer.write(
                            frame(
                                [
                                    ("Event", "FullyBooted"),
                                    ("Privilege", "system,all"),
                                    ("Uptime", "12"),
                                    ("LastReload", "12"),
                                    ("Status", "Fully Booted"),
                                ]
                            )
                        )
                    else:
                        writer.write(
                            frame([("Response", "Error"), ("ActionID", aid), ("Message", "Authentication failed")])
                        )
                        await writer.drain()
                        break  # Asterisk hangs up after a failed login
                elif not authed:
                    writer.write(
                        frame([("Response", "Error"), ("ActionID", aid), ("Message", "Missing action in request")])
                    )
                elif name == "queuesummary":
                    self._summary(writer, aid)
                elif name == "queuestatus":
                    self._status(writer, aid)
                elif name == "ping":
                    writer.write(
                        frame(
                            [
                                ("Response", "Success"),
                                ("ActionID", aid),
                                ("Ping", "Pong"),
                                ("Timestamp", "1763800000.000000"),
                            ]
                        )
                    )
                elif name == "logoff":
                    writer.write(
                        frame([("Response", "Goodbye"), ("ActionID", aid), ("Message", "Thanks for all the fish.")])
                    )
                    await writer.drain()
                    break
                else:
                    writer.write(
                        frame([("Response", "Error"), ("ActionID", aid), ("Message", "Invalid/unknown command")])
                    )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            if writer in self._writers:
                self._writers.remove(writer)
            writer.close()

    def _list(
        self, writer: asyncio.StreamWriter, aid: str, what: str, events: list[list[tuple[str, str]]], complete: str
    ) -> None:
        writer.write(
            frame(
                [("Response", "Success"), ("ActionID", aid), ("EventList", "start"), ("Message", f"{what} will follow")]
            )
        )
        for fields in events:
            writer.write(frame([*fields, ("ActionID", aid)]))
        writer.write(
            frame([("Event", complete), ("ActionID", aid), ("EventList", "Complete"), ("ListItems", str(len(events)))])
        )

    def _summary(self, writer: asyncio.StreamWriter, aid: str) -> None:
        events = []
        for q in self.queues.values():
            logged_in = [m for m in q.members if m.status not in (4, 5)]
            available = [m for m in logged_in if m.status == 1 and not m.paused and not m.in_call]
            events.append(
                [
                    ("Event", "QueueSummary"),
                    ("Queue", q.name),
                    ("LoggedIn", str(len(logged_in))),
                    ("Available", str(len(available))),
                    ("Callers", str(len(q.waits))),
                    ("HoldTime", "33"),
                    ("TalkTime", "180"),
                    ("LongestHoldTime", str(max(q.waits, default=0))),
                ]
            )
        self._list(writer, aid, "Queue summary", events, "QueueSummaryComplete")

    def _status(self, writer: asyncio.StreamWriter, aid: str) -> None:
        events = []
        for q in self.queues.values():
            events.append(
                [
                    ("Event", "QueueParams"),
                    ("Queue", q.name),
                    ("Max", "0"),
                    ("Strategy", "rrmemory"),
                    ("Calls", str(len(q.waits))),
                    ("Holdtime", "33"),
                    ("TalkTime", "180"),
                    ("Completed", "999"),
                    ("Abandoned", "888"),
                    ("ServiceLevel", "20"),
                    ("ServicelevelPerf", "50.0"),
                    ("Weight", "0"),
                ]
            )
            for m in q.members:
                events.append(
                    [
                        ("Event", "QueueMember"),
                        ("Queue", q.name),
                        ("Name", m.name),
                        ("Location", f"PJSIP/{m.name.lower()}"),
                        ("StateInterface", f"PJSIP/{m.name.lower()}"),
                        ("Membership", "dynamic"),
                        ("Penalty", "0"),
                        ("CallsTaken", "77"),
                        ("LastCall", "0"),
                        ("LastPause", str(m.last_pause)),
                        ("LoginTime", "1763790000"),
                        ("InCall", "1" if m.in_call else "0"),
                        ("Status", str(m.status)),
                        ("Paused", "1" if m.paused else "0"),
                        ("PausedReason", m.reason),
                        ("Wrapuptime", "0"),
                    ]
                )
            for position, wait in enumerate(q.waits, start=1):
                events.append(
                    [
                        ("Event", "QueueEntry"),
                        ("Queue", q.name),
                        ("Position", str(position)),
                        ("Channel", f"PJSIP/trunk-0000{position}"),
                        ("Uniqueid", f"17638.{position}"),
                        ("CallerIDNum", f"+4420790000{position:02d}"),
                        ("CallerIDName", "Caller"),
                        ("ConnectedLineNum", "unknown"),
                        ("ConnectedLineName", "unknown"),
                        ("Wait", str(wait)),
                        ("Priority", "0"),
                    ]
                )
        self._list(writer, aid, "Queue status", events, "QueueStatusComplete")
