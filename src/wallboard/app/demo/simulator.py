"""A simulated contact centre publishing per the wire contract: for the demo, and as a load generator.

``ContactCentre`` is the model, pure and seeded, kept on the site's clock (its time zone): calls
arrive at random at a rate that follows the time of day (a late-morning and a mid-afternoon peak),
wait, abandon when their patience runs out, and go to the agent who has been idle longest; each
takes talk, hold and wrap time. The roster follows the forecast load (Erlang C for 80/20 per half
hour, allowing for breaks), up to each queue's head count, so a queue whose head count is short of
its peak breaches at the peak and recovers after it; agents on shift take staggered breaks and a
lunch. It keeps the day's counts since local midnight (or since it started) and publishes counts,
never ratios, so the board works out a service level consistent with what was offered.
``SimulatorPublisher`` runs it on a thread and publishes queue objects on
``cc/<site>/queue/<queue>``, leaderboard rows on ``cc/<site>/agents`` and announcements on
``cc/<site>/announce`` through paho, logged in as ``BrokerLogin`` says (the same keys as a board's
``[mqtt]``: a username, a password file, TLS), so it can feed a site broker set up as
``config/mosquitto/`` ships it. Nothing here reads a board's state.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from wallboard.app.demo.story import STORY_QUEUE, StoryStep, due_steps
from wallboard.device.config.named_files import read_secret
from wallboard.device.core.erlang import agents_required
from wallboard.device.util.stopping import stop_on_signals
from wallboard.device.wire.topics import SiteTopics

log = logging.getLogger(__name__)

SERVICE_TARGET_S = 20.0  # the "20" of an 80/20 service level
SERVICE_GOAL = 0.80
SHORT_ABANDON_S = 5.0  # callers gone within 5 s are misdials, not lost customers
INTERVAL_S = 1800.0  # the staffing hint's interval: calls offered in the last 30 minutes
WARMUP_S = 600.0  # simulated before the first message, so the board starts with calls behind it
OPEN_HOURS = (7.0, 20.0)  # the floor's opening hours, site time; no calls outside them
BREAK_SHRINKAGE = 0.15  # breaks and lunch take about this share of a shift
_FIRST_NAMES = (
    "Asha", "Ben", "Chidi", "Dorota", "Eamon", "Farah", "Gus", "Hana", "Ivan", "Jade", "Kofi", "Lena", "Mo",
    "Nia", "Owen", "Priya", "Quinn", "Rosa", "Sam", "Tom", "Uma", "Vik", "Wen", "Xavi", "Yara", "Zoe",
    "Ali", "Bea", "Cal", "Dev", "Elle", "Finn", "Gia", "Hugo", "Isla", "Jon", "Kai", "Lola", "Max", "Noor",
)  # fmt: skip
_INITIALS = "ABCDEFGHJKLMNOPRSTW"
SHIFT_LENGTHS = (8.0, 6.0)  # full and long part-time shifts, hours
PART_TIME_H = 4.0  # the shortest shift: a part-timer covering a peak
_ANNOUNCEMENTS = (
    "Team huddle at 11:30 in room 2",
    "Welcome to our new starters!",
    "System maintenance tonight 22:00-23:00: log out of the CRM by 21:55",
    "Great job on CSAT this week: 4.7 average",
    "Fire drill at 14:00 - please follow the wardens",
    "Remember to set Away when you take a break",
)
_COUNTS = ("offered", "answered", "answered_within_target", "abandoned", "abandoned_within_target",
           "short_abandoned", "handled", "handle_time_s", "talk_time_s", "hold_time_s", "wrap_time_s",
           "wait_time_s")  # fmt: skip


@dataclass(frozen=True)
class DayShape:
    """A queue's intraday curve: a late-morning and a mid-afternoon peak on a floor, each with a height and width."""

    morning: float = 0.85
    morning_width: float = 5.0
    afternoon: float = 0.6
    afternoon_width: float = 5.0


SMOOTH_DAY = DayShape()
SHARP_MORNING = DayShape(morning=0.85, morning_width=1.2, afternoon=0.35, afternoon_width=4.0)


def day_profile(hour: float, shape: DayShape = SMOOTH_DAY) -> float:
    """Relative arrival rate through the day (site time): peaks late morning and mid afternoon, closed at night."""
    if not OPEN_HOURS[0] <= hour < OPEN_HOURS[1]:
        return 0.0
    morning = math.exp(-((hour - 10.5) ** 2) / shape.morning_width)
    afternoon = math.exp(-((hour - 14.5) ** 2) / shape.afternoon_width)
    return 0.15 + shape.morning * morning + shape.afternoon * afternoon


@dataclass
class Agent:
    """One simulated agent: roster slot, state, seconds left in it, when they last became idle, calls handled."""

    name: str
    slot: int  # staggers breaks and lunch
    shift: tuple[float, float] = (0.0, 0.0)  # site hours on shift today, planned from the forecast
    state: str = "off"  # off (not logged in), available, on_call, wrap, away
    left: float = 0.0
    idle_since: float = 0.0
    handled: int = 0
    call: tuple[float, float, float] = (0.0, 0.0, 0.0)  # talk, hold, wrap of the contact in hand
    pulled: bool = False  # taken off the phones by the demo's story (a meeting), on top of breaks


@dataclass
class Call:
    arrived: float
    patience: float


@dataclass
class Queue:
    """One queue's calls, agents, the day's counts and the last interval's arrivals."""

    name: str
    agents: list[Agent]  # the head count: more people than seats, to cover the day in shifts
    seats: int  # at most this many on shift at once: a queue short of its peak need breaches there
    base_rate: float  # calls per minute at the daily peak
    talk: float  # mean talk time, seconds
    hold: float  # mean hold time, seconds
    wrap: float  # mean wrap time, seconds
    shape: DayShape = SMOOTH_DAY
    waiting: deque[Call] = field(default_factory=deque)
    counts: dict[str, float] = field(default_factory=lambda: dict.fromkeys(_COUNTS, 0.0))
    arrivals: deque[float] = field(default_factory=deque)  # arrival times within the last INTERVAL_S
    surge: float = 1.0  # arrivals are the forecast times this (the demo's story: an outage elsewhere)
    pulled: int = 0  # this many working agents are kept off the phones (the demo's story: a meeting)

    @property
    def handle(self) -> float:
        return self.talk + self.hold + self.wrap


class ContactCentre:
    """The model: ``step`` advances simulated time; the ``*_payload`` methods describe it per the contract."""

    def __init__(self, queues: list[str], *, seed: int | None = None, start: float | None = None,
                 timezone: str = "UTC", head_counts: dict[str, int] | None = None) -> None:  # fmt: skip
        self.random = random.Random(seed)
        self.now = time.time() if start is None else start
        self.zone = ZoneInfo(timezone)
        self.period_start = self.now  # counts run from here: the start, then each local midnight
        self._period_day = self.local(self.now).date()
        names = [f"{first} {initial}" for first in _FIRST_NAMES for initial in _INITIALS]
        self.random.shuffle(names)
        self.queues: dict[str, Queue] = {}
        for index, name in enumerate(queues):
            first = index == 0
            # The first queue has seats for its peak; the others have fewer than their peak needs (the lesson:
            # support's late-morning peak of ~19 Erlangs needs 23 agents for 80/20 and 16 seats are staffed).
            seats = (head_counts or {}).get(name, 36 if first else 16)
            agents = [Agent(names.pop(), slot=i) for i in range(seats * 2)]
            base = 4.4 if first else 3.4
            shape = SMOOTH_DAY if first else SHARP_MORNING  # support: the Monday-morning rush
            queue = Queue(name, agents, seats, base, talk=250.0 if first else 290.0, hold=20.0, wrap=30.0, shape=shape)
            self.queues[name] = queue
            self._plan_shifts(queue)
            self._follow_roster(queue)

    # ------------------------------------------------------------------ the site's clock and the roster

    def local(self, at: float) -> datetime:
        """``at`` as a time in the site's time zone."""
        return datetime.fromtimestamp(at, self.zone)

    def hour(self, at: float | None = None) -> float:
        """The site's time of day, in hours."""
        local = self.local(self.now if at is None else at)
        return local.hour + local.minute / 60 + local.second / 3600

    def forecast_rate(self, queue: Queue, hour: float) -> float:
        """Calls per second expected at ``queue`` at ``hour`` (site time)."""
        return queue.base_rate / 60.0 * day_profile(hour, queue.shape)

    def rostered(self, queue: Queue, hour: float) -> int:
        """Agents on shift at ``hour``: Erlang C for 80/20 on the forecast, plus break cover, up to the head count."""
        if day_profile(hour, queue.shape) == 0:
            return 0
        calls = self.forecast_rate(queue, hour) * INTERVAL_S
        need = agents_required(calls, INTERVAL_S, queue.handle, SERVICE_GOAL, SERVICE_TARGET_S,
                               shrinkage=BREAK_SHRINKAGE).rostered  # fmt: skip
        return max(2, min(queue.seats, need))

    def _plan_shifts(self, queue: Queue) -> None:
        """Give agents today's shifts so the number on shift follows ``rostered`` (part-timers cover peaks)."""
        for agent in queue.agents:
            agent.shift = (0.0, 0.0)
        pool: list[Agent] = list(reversed(queue.agents))
        hour = OPEN_HOURS[0]
        while hour < OPEN_HOURS[1]:
            on = sum(1 for a in queue.agents if a.shift[0] <= hour < a.shift[1])
            need = self.rostered(queue, hour)
            while on < need:
                if not pool:
                    break
                agent = pool.pop()
                # The longest shift (8, 6 or 4 hours) the load keeps needing this agent for throughout.
                length = next((h for h in SHIFT_LENGTHS if self._needed_throughout(queue, hour, h, on)), PART_TIME_H)
                agent.shift = (hour, min(OPEN_HOURS[1], hour + length))
                on += 1
            hour += 0.5

    def _on_break(self, agent: Agent) -> bool:
        """Staggered 15-minute breaks every 2.5 hours and a 30-minute lunch between 11:30 and 14:00."""
        if agent.pulled:
            return True
        minute = self.hour() * 60
        if (minute + 37 * agent.slot) % 150 < 15:
            return True
        lunch = 690 + (agent.slot * 23) % 120
        return lunch <= minute < lunch + 30

    def _needed_throughout(self, queue: Queue, start: float, length: float, on: int) -> bool:
        """True if the roster wants more than ``on`` agents at every half hour of ``length`` hours from ``start``."""
        steps = int(length * 2)
        return all(self.rostered(queue, start + i / 2) > on for i in range(steps) if start + i / 2 < OPEN_HOURS[1])

    def on_shift(self, queue: Queue, hour: float) -> list[Agent]:
        """Agents the roster has working at ``hour``: their shift covers it, and when the load has fallen below
        the plan, the latest starters only (the early ones are offered time off)."""
        planned = [a for a in queue.agents if a.shift[0] <= hour < a.shift[1]]
        planned.sort(key=lambda a: (-a.shift[0], a.slot))
        return planned[: self.rostered(queue, hour)]

    def _follow_roster(self, queue: Queue) -> None:
        on_shift = self.on_shift(queue, self.hour())
        working = {id(agent) for agent in on_shift}
        pulled = {id(agent) for agent in sorted(on_shift, key=lambda a: a.slot)[: queue.pulled]}
        for agent in queue.agents:
            agent.pulled = id(agent) in pulled
        for agent in queue.agents:
            wanted = id(agent) in working
            if agent.state == "off" and wanted:
                agent.state, agent.idle_since = "available", self.now
            elif agent.state in ("available", "away") and not wanted:
                agent.state = "off"  # log out when free; a call in hand is finished first
            elif agent.state == "available" and self._on_break(agent):
                agent.state = "away"
            elif agent.state == "away" and not self._on_break(agent):
                agent.state, agent.idle_since = "available", self.now

    # ------------------------------------------------------------------ time

    def step(self, dt: float) -> None:
        """Advance the model by ``dt`` simulated seconds (in slices of at most one second)."""
        while dt > 0:
            slice_ = min(1.0, dt)
            self.now += slice_
            dt -= slice_
            day = self.local(self.now).date()
            if day != self._period_day:
                self._new_period(day)
            for queue in self.queues.values():
                self._step_queue(queue, slice_)

    def _new_period(self, day: date) -> None:
        """Local midnight: the day's counts start again from 0."""
        local = self.local(self.now)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        self.period_start, self._period_day = midnight.timestamp(), day
        for queue in self.queues.values():
            queue.counts = dict.fromkeys(_COUNTS, 0.0)
            for agent in queue.agents:
                agent.handled = 0
            self._plan_shifts(queue)

    def _step_queue(self, queue: Queue, dt: float) -> None:
        rng, counts = self.random, queue.counts
        for _ in range(self._poisson(self.forecast_rate(queue, self.hour()) * queue.surge * dt)):
            queue.waiting.append(Call(self.now, rng.expovariate(1 / 90.0)))
            queue.arrivals.append(self.now)
            counts["offered"] += 1
        while queue.arrivals and queue.arrivals[0] <= self.now - INTERVAL_S:
            queue.arrivals.popleft()
        kept: deque[Call] = deque()
        for call in queue.waiting:
            waited = self.now - call.arrived
            if waited <= call.patience:
                kept.append(call)
                continue
            counts["abandoned"] += 1
            counts["abandoned_within_target"] += waited <= SERVICE_TARGET_S
            counts["short_abandoned"] += waited <= SHORT_ABANDON_S
        queue.waiting = kept
        for agent in queue.agents:
            agent.left -= dt
            if agent.state == "on_call" and agent.left <= 0:
                agent.state, agent.left = "wrap", agent.call[2]
            elif agent.state == "wrap" and agent.left <= 0:
                talk, hold, wrap = agent.call
                for name, value in (("talk_time_s", talk), ("hold_time_s", hold), ("wrap_time_s", wrap)):
                    counts[name] += value
                counts["handle_time_s"] += talk + hold + wrap
                counts["handled"] += 1
                agent.handled += 1
                agent.state, agent.idle_since = "available", self.now
        self._follow_roster(queue)
        idle = sorted((a for a in queue.agents if a.state == "available"), key=lambda a: a.idle_since)
        for agent in idle:  # longest-idle agent first: the routing most ACDs use
            if not queue.waiting:
                break
            call = queue.waiting.popleft()
            waited = self.now - call.arrived
            talk = rng.lognormvariate(math.log(queue.talk) - 0.18, 0.6)
            hold = rng.expovariate(1 / queue.hold) if rng.random() < 0.3 else 0.0
            wrap = rng.expovariate(1 / queue.wrap)
            agent.state, agent.left, agent.call = "on_call", talk + hold, (talk, hold, wrap)
            counts["answered"] += 1
            counts["answered_within_target"] += waited <= SERVICE_TARGET_S
            counts["wait_time_s"] += waited

    def _poisson(self, mean: float) -> int:
        # Knuth's method: fine for the small means of one-second slices.
        limit, count, product = math.exp(-mean), 0, self.random.random()
        while product > limit:
            count += 1
            product *= self.random.random()
        return count

    # ------------------------------------------------------------------ payloads

    def queue_payload(self, name: str, ts: float | None = None, period_start: float | None = None) -> dict[str, float]:
        """The wire contract's queue object for ``name`` now: counts since ``period_start``, and real-time figures.

        ``ts`` and ``period_start`` default to the model's own times; a publisher running the model faster than
        the wall clock passes wall times, so the board judges freshness by its own clock.
        """
        queue = self.queues[name]
        states = {state: sum(1 for a in queue.agents if a.state == state)
                  for state in ("available", "on_call", "wrap", "away")}  # fmt: skip
        payload: dict[str, float] = {
            "ts": round(self.now if ts is None else ts, 3),
            "period_start": round(self.period_start if period_start is None else period_start, 3),
        }
        payload.update({key: round(value, 1) if key.endswith("_s") else int(value)
                        for key, value in queue.counts.items()})  # fmt: skip
        payload.update({
            "calls_waiting": len(queue.waiting),
            "longest_wait_s": round(self.now - queue.waiting[0].arrived) if queue.waiting else 0,
            "agents_available": states["available"],
            "agents_on_call": states["on_call"],
            "agents_wrap": states["wrap"],
            "agents_away": states["away"],
            "agents_staffed": sum(states.values()),
            "interval_offered": len(queue.arrivals),
            "interval_s": INTERVAL_S,
        })  # fmt: skip
        return payload

    def agents_payload(self, rows: int = 10, ts: float | None = None) -> dict[str, object]:
        """Leaderboard rows: the agents who handled most calls today."""
        everyone = [agent for queue in self.queues.values() for agent in queue.agents if agent.handled]
        best = sorted(everyone, key=lambda a: (-a.handled, a.name))[:rows]
        rows_out = [{"name": a.name, "handled": a.handled} for a in best]
        return {"ts": round(self.now if ts is None else ts, 3), "rows": rows_out}

    def announcement(self, ts: float | None = None) -> dict[str, object]:
        """A random announcement that expires in a few minutes."""
        text = self.random.choice(_ANNOUNCEMENTS)
        return {
            "id": "sim",
            "text": text,
            "expires": round((self.now if ts is None else ts) + self.random.uniform(120, 300)),
        }


def site_time_today(timezone: str, hour: float, now: float | None = None) -> float:
    """Epoch seconds of ``hour`` o'clock today in ``timezone`` (where a demo day starts)."""
    local = datetime.fromtimestamp(time.time() if now is None else now, ZoneInfo(timezone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight + timedelta(hours=hour)).timestamp()


@dataclass(frozen=True)
class BrokerLogin:
    """How the simulator logs in to its broker: a board's ``[mqtt]`` credentials, with the password read."""

    username: str | None = None
    password: str | None = None
    ca_file: str | None = None  # set: connect with TLS, verifying the broker against this CA
    cert_file: str | None = None
    key_file: str | None = None


class SimulatorPublisher:
    """Runs a ContactCentre on a thread and publishes it to a broker with paho."""

    def __init__(self, host: str, port: int, *, site: str, queues: list[str], rate: float = 1.0,
                 speed: float = 1.0, seed: int | None = None, prefix: str = "cc", timezone: str = "UTC",
                 day_start: float | None = None, warmup: float = WARMUP_S, head_counts: dict[str, int] | None = None,
                 story: tuple[StoryStep, ...] = (), ack_topic: str | None = None,
                 on_story: Callable[[float, StoryStep], None] | None = None,
                 login: BrokerLogin | None = None) -> None:  # fmt: skip
        self.host, self.port, self.site, self.prefix = host, port, site, prefix
        self.login = login or BrokerLogin()
        self.topics = SiteTopics(prefix, site)
        self.rate = max(0.01, rate)
        self.speed = max(0.01, speed)
        # The model runs on the site's clock from `day_start` (hours, site time; default: now), `warmup` ahead
        # of the first message so the first figures have calls behind them. Messages carry wall-clock times.
        self._wall_start = time.time()
        start = self._wall_start if day_start is None else site_time_today(timezone, day_start, self._wall_start)
        self.model = ContactCentre(queues, seed=seed, start=start - warmup, timezone=timezone,
                                   head_counts=head_counts)  # fmt: skip
        self.model.step(warmup)
        self._model_start = self.model.now
        self._owed = 0.0  # model seconds not yet stepped: the model steps in whole seconds, so a seed replays
        # The demo's story (app/demo/story.py): steps taken on the model's clock, an ack published to the board.
        self.story, self._story_done = story, 0
        self.ack_topic, self.on_story = ack_topic, on_story
        self._acks_owed = 0
        self.published = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: object = None

    def wall_time(self, model_time: float) -> float:
        """The wall-clock time a model time is published as (the model may run faster than the wall)."""
        return self._wall_start + (model_time - self._model_start) / self.speed

    def start(self) -> None:
        """Connect (in the background, reconnecting as needed) and start publishing."""
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"wallboard-sim-{self.site}")
        client.reconnect_delay_set(1, 10)
        login = self.login
        if login.username is not None:
            client.username_pw_set(login.username, login.password)
        if login.ca_file is not None:
            client.tls_set(ca_certs=login.ca_file, certfile=login.cert_file, keyfile=login.key_file)
        client.on_connect = self._handle_connect
        client.connect_async(self.host, self.port, keepalive=30)
        client.loop_start()
        self._client = client
        self._thread = threading.Thread(target=self._run, name="simulator", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import paho.mqtt.client as mqtt

        client = self._client
        assert isinstance(client, mqtt.Client)
        period = 1.0 / self.rate
        next_agents = next_announce = 0.0
        last = time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            self.advance((now - last) * self.speed)
            last = now
            if client.is_connected():
                ts = self.wall_time(self.model.now)
                period_start = min(ts, self.wall_time(self.model.period_start))
                for name in self.model.queues:
                    payload = self.model.queue_payload(name, ts=ts, period_start=period_start)
                    self._publish(client, self.topics.queue(name), payload)
                if now >= next_agents:
                    self._publish(client, self.topics.agents, self.model.agents_payload(ts=ts))
                    next_agents = now + 10.0
                if now >= next_announce:
                    self._publish(client, self.topics.announce, self.model.announcement(ts=ts))
                    next_announce = now + self.model.random.uniform(60, 120)
                while self._acks_owed and self.ack_topic is not None:
                    client.publish(self.ack_topic, b"{}", qos=1)
                    self._acks_owed -= 1
            self._stop.wait(period)

    def advance(self, model_seconds: float) -> None:
        """Step the model by ``model_seconds`` in whole seconds (the rest is owed), taking story steps on the way."""
        self._owed += model_seconds
        while self._owed >= 1.0:
            self._owed -= 1.0
            self.model.step(1.0)
            if self.story:
                self._take_story_steps()

    def _take_story_steps(self) -> None:
        elapsed = (self.model.now - self._model_start) / self.speed
        steps, self._story_done = due_steps(elapsed, self._story_done, self.story)
        for step in steps:
            queue = self.model.queues.get(STORY_QUEUE)
            if queue is not None and step.surge is not None:
                queue.surge = step.surge
            if queue is not None and step.pulled is not None:
                queue.pulled = step.pulled
            if step.acknowledge:
                self._acks_owed += 1
            if self.on_story is not None:
                self.on_story(elapsed, step)

    def _handle_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:  # a wrong password or user: say so, instead of publishing nothing in silence
            log.error("broker %s:%d refused the simulator: %s", self.host, self.port, reason)

    def _publish(self, client: object, topic: str, payload: dict[str, object] | dict[str, float]) -> None:
        import paho.mqtt.client as mqtt

        assert isinstance(client, mqtt.Client)
        info = client.publish(topic, json.dumps(payload), qos=0)
        if info.rc == mqtt.MQTT_ERR_SUCCESS:
            self.published += 1

    def stop(self) -> None:
        """Stop publishing and disconnect."""
        import paho.mqtt.client as mqtt

        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        client = self._client
        if isinstance(client, mqtt.Client):
            client.disconnect()
            client.loop_stop()
        self._client = None


def parse_broker(text: str) -> tuple[str, int]:
    """``"host:1883"`` -> ("host", 1883); a bare host means port 1883."""
    host, _, port = text.rpartition(":")
    if not host:
        return text, 1883
    return host, int(port)


def run_simulator(args: argparse.Namespace) -> int:
    """``wallboard simulate``: publish until interrupted (or for ``--duration`` seconds)."""
    try:
        host, port = parse_broker(args.broker)
    except ValueError:
        log.error("--broker: expected HOST:PORT, got %r", args.broker)
        return 2
    queues = [q.strip() for q in args.queues.split(",") if q.strip()]
    password = read_secret(args.password_file, Path.cwd()) if args.password_file else None
    login = BrokerLogin(args.username, password, args.ca_file, args.cert_file, args.key_file)
    publisher = SimulatorPublisher(host, port, site=args.site, queues=queues, rate=args.rate, speed=args.speed,
                                   seed=args.seed, timezone=args.timezone, day_start=args.day_start,
                                   login=login)  # fmt: skip
    stop = stop_on_signals()
    publisher.start()
    log.info("simulating site %s (queues %s) on %s:%d%s%s, %.2g updates/s per queue", args.site, ", ".join(queues),
             host, port, " as " + args.username if args.username else "", " over TLS" if args.ca_file else "",
             args.rate)  # fmt: skip
    stop.wait(args.duration if args.duration > 0 else None)
    publisher.stop()
    log.info("published %d messages", publisher.published)
    return 0
