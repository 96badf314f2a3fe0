"""A simulated contact centre publishing per the wire contract: for the demo, and as a load generator.

``ContactCentre`` is the model, pure and seeded: calls arrive at random at a
rate that follows the time of day (a morning and an afternoon peak) with a
slow surge on top, wait, abandon when their patience runs out, are answered
by available agents, take a handle time and a wrap time; agents take breaks.
``SimulatorPublisher`` runs it on a thread and publishes queue objects on
``cc/<site>/queue/<queue>``, leaderboard rows on ``cc/<site>/agents`` and
announcements on ``cc/<site>/announce`` through paho. Nothing here reads a
board's state.
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
from dataclasses import dataclass, field
from datetime import datetime

from wallboard.device.util.stopping import stop_on_signals
from wallboard.device.wire.topics import SiteTopics

log = logging.getLogger(__name__)

SERVICE_TARGET_S = 20.0  # the "20" of an 80/20 service level
ROLLING_WINDOW_S = 1800.0  # service level, ASA, AHT and abandon rate over the last 30 minutes
_FIRST_NAMES = (
    "Asha", "Ben", "Chidi", "Dorota", "Eamon", "Farah", "Gus", "Hana", "Ivan", "Jade", "Kofi", "Lena", "Mo",
    "Nia", "Owen", "Priya", "Quinn", "Rosa", "Sam", "Tom", "Uma", "Vik", "Wen", "Xavi", "Yara", "Zoe",
)  # fmt: skip
_ANNOUNCEMENTS = (
    "Team huddle at 11:30 in room 2",
    "Welcome to our new starters!",
    "System maintenance tonight 22:00-23:00: log out of the CRM by 21:55",
    "Great job on CSAT this week: 4.7 average",
    "Fire drill at 14:00 - please follow the wardens",
    "Remember to set Away when you take a break",
)


@dataclass
class Agent:
    """One simulated agent: state, seconds left in it, and calls handled."""

    name: str
    state: str = "available"  # available, on_call, wrap, away
    left: float = 0.0
    handled: int = 0
    talk_total: float = 0.0


@dataclass
class Call:
    arrived: float
    patience: float


@dataclass
class Queue:
    """One queue's calls, agents and rolling tallies."""

    name: str
    agents: list[Agent]
    base_rate: float  # calls per minute at the daily peak
    aht: float  # mean talk time, seconds
    wrap: float  # mean wrap time, seconds
    waiting: deque[Call] = field(default_factory=deque)
    answered: deque[tuple[float, float]] = field(default_factory=deque)  # (time, wait)
    abandoned: deque[float] = field(default_factory=deque)
    handled: deque[tuple[float, float]] = field(default_factory=deque)  # (time, handle time)


def day_profile(hour: float) -> float:
    """Relative arrival rate through the day: quiet at night, peaks late morning and mid afternoon."""
    morning = math.exp(-((hour - 10.5) ** 2) / 3.0)
    afternoon = math.exp(-((hour - 14.5) ** 2) / 4.0)
    return 0.2 + 0.8 * morning + 0.7 * afternoon


class ContactCentre:
    """The model: ``step`` advances simulated time; the ``*_payload`` methods describe it per the contract."""

    def __init__(self, queues: list[str], *, seed: int | None = None, start: float | None = None,
                 surge_period: float = 600.0) -> None:  # fmt: skip
        self.random = random.Random(seed)
        self.now = time.time() if start is None else start
        self.started = self.now
        self.surge_period = surge_period
        names = list(_FIRST_NAMES)
        self.random.shuffle(names)
        self.queues: dict[str, Queue] = {}
        for index, name in enumerate(queues):
            size = 28 if index == 0 else 16
            agents = [Agent(names.pop() if names else f"Agent {index}-{i}") for i in range(size)]
            base = 4.6 if index == 0 else 2.6
            self.queues[name] = Queue(name, agents, base, aht=270.0 if index == 0 else 330.0, wrap=30.0)
            for agent in agents:  # start in a plausible mix rather than all idle
                roll = self.random.random()
                if roll < 0.6:
                    agent.state, agent.left = "on_call", self.random.expovariate(1 / self.queues[name].aht)
                elif roll < 0.7:
                    agent.state, agent.left = "wrap", self.random.expovariate(1 / 30.0)
                elif roll < 0.76:
                    agent.state, agent.left = "away", self.random.uniform(60, 600)
                agent.handled = self.random.randint(5, 30)

    def arrival_rate(self, queue: Queue) -> float:
        """Calls per second arriving at ``queue`` right now."""
        hour = datetime.fromtimestamp(self.now).hour + datetime.fromtimestamp(self.now).minute / 60
        surge = 1.0 + 0.3 * math.sin(2 * math.pi * (self.now - self.started) / self.surge_period)
        return queue.base_rate / 60.0 * day_profile(hour) * surge * 1.15

    def step(self, dt: float) -> None:
        """Advance the model by ``dt`` simulated seconds (in slices of at most one second)."""
        while dt > 0:
            slice_ = min(1.0, dt)
            self.now += slice_
            dt -= slice_
            for queue in self.queues.values():
                self._step_queue(queue, slice_)

    def _step_queue(self, queue: Queue, dt: float) -> None:
        rng = self.random
        arrivals = self._poisson(self.arrival_rate(queue) * dt)
        for _ in range(arrivals):
            queue.waiting.append(Call(self.now, rng.expovariate(1 / 110.0)))
        kept: deque[Call] = deque()
        for call in queue.waiting:
            if self.now - call.arrived > call.patience:
                queue.abandoned.append(self.now)
            else:
                kept.append(call)
        queue.waiting = kept
        for agent in queue.agents:
            agent.left -= dt
            if agent.state == "on_call" and agent.left <= 0:
                agent.state, agent.left = "wrap", rng.expovariate(1 / queue.wrap)
            elif (agent.state == "wrap" and agent.left <= 0) or (agent.state == "away" and agent.left <= 0):
                agent.state = "available"
            elif agent.state == "available" and rng.random() < dt / 2400:  # a break every ~40 idle minutes
                agent.state, agent.left = "away", rng.uniform(120, 900)
        for agent in queue.agents:
            if agent.state != "available" or not queue.waiting:
                continue
            call = queue.waiting.popleft()
            talk = rng.lognormvariate(math.log(queue.aht) - 0.18, 0.6)
            agent.state, agent.left = "on_call", talk
            agent.handled += 1
            queue.answered.append((self.now, self.now - call.arrived))
            queue.handled.append((self.now, talk + queue.wrap))
        horizon = self.now - ROLLING_WINDOW_S
        for tally in (queue.answered, queue.handled):
            while tally and tally[0][0] < horizon:
                tally.popleft()
        while queue.abandoned and queue.abandoned[0] < horizon:
            queue.abandoned.popleft()

    def _poisson(self, mean: float) -> int:
        # Knuth's method: fine for the small means of one-second slices.
        limit, count, product = math.exp(-mean), 0, self.random.random()
        while product > limit:
            count += 1
            product *= self.random.random()
        return count

    def queue_payload(self, name: str) -> dict[str, float | int]:
        """The wire contract's queue object for ``name`` now."""
        queue = self.queues[name]
        counts = {state: sum(1 for a in queue.agents if a.state == state)
                  for state in ("available", "on_call", "wrap", "away")}  # fmt: skip
        answered = len(queue.answered)
        within = sum(1 for _, wait in queue.answered if wait <= SERVICE_TARGET_S)
        offered = answered + len(queue.abandoned)
        payload: dict[str, float | int] = {
            "ts": round(self.now, 3),
            "calls_waiting": len(queue.waiting),
            "longest_wait_s": round(self.now - queue.waiting[0].arrived) if queue.waiting else 0,
            "service_level_pct": round(100.0 * within / answered, 1) if answered else 100.0,
            "asa_s": round(sum(wait for _, wait in queue.answered) / answered) if answered else 0,
            "aht_s": round(sum(h for _, h in queue.handled) / len(queue.handled))
            if queue.handled
            else round(queue.aht),
            "abandon_rate_pct": round(100.0 * len(queue.abandoned) / offered, 1) if offered else 0.0,
            "agents_available": counts["available"],
            "agents_on_call": counts["on_call"],
            "agents_wrap": counts["wrap"],
            "agents_away": counts["away"],
        }
        return payload

    def agents_payload(self, rows: int = 10) -> dict[str, object]:
        """Leaderboard rows: the agents who handled most calls today."""
        everyone = [agent for queue in self.queues.values() for agent in queue.agents]
        best = sorted(everyone, key=lambda a: a.handled, reverse=True)[:rows]
        return {"ts": round(self.now, 3), "rows": [{"name": a.name, "handled": a.handled} for a in best]}

    def announcement(self) -> dict[str, object]:
        """A random announcement that expires in a few minutes."""
        text = self.random.choice(_ANNOUNCEMENTS)
        return {"id": "sim", "text": text, "expires": round(self.now + self.random.uniform(120, 300))}


class SimulatorPublisher:
    """Runs a ContactCentre on a thread and publishes it to a broker with paho."""

    def __init__(self, host: str, port: int, *, site: str, queues: list[str], rate: float = 1.0,
                 speed: float = 1.0, seed: int | None = None, prefix: str = "cc") -> None:  # fmt: skip
        self.host, self.port, self.site, self.prefix = host, port, site, prefix
        self.topics = SiteTopics(prefix, site)
        self.rate = max(0.01, rate)
        self.speed = speed
        # Start half an hour back and run to now, so the first figures have a rolling window behind them.
        self.model = ContactCentre(queues, seed=seed, start=time.time() - ROLLING_WINDOW_S)
        self.model.step(ROLLING_WINDOW_S)
        self.published = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: object = None

    def start(self) -> None:
        """Connect (in the background, reconnecting as needed) and start publishing."""
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"wallboard-sim-{self.site}")
        client.reconnect_delay_set(1, 10)
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
            self.model.step((now - last) * self.speed)
            last = now
            if client.is_connected():
                for name in self.model.queues:
                    self._publish(client, self.topics.queue(name), self.model.queue_payload(name))
                if now >= next_agents:
                    self._publish(client, self.topics.agents, self.model.agents_payload())
                    next_agents = now + 10.0
                if now >= next_announce:
                    self._publish(client, self.topics.announce, self.model.announcement())
                    next_announce = now + self.model.random.uniform(60, 120)
            self._stop.wait(period)

    def _publish(self, client: object, topic: str, payload: dict[str, object] | dict[str, float | int]) -> None:
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
    publisher = SimulatorPublisher(host, port, site=args.site, queues=queues, rate=args.rate, speed=args.speed,
                                   seed=args.seed)  # fmt: skip
    stop = stop_on_signals()
    publisher.start()
    log.info("simulating site %s (queues %s) on %s:%d, %.2g updates/s per queue", args.site, ", ".join(queues),
             host, port, args.rate)  # fmt: skip
    stop.wait(args.duration if args.duration > 0 else None)
    publisher.stop()
    log.info("published %d messages", publisher.published)
    return 0
