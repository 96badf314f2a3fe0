"""A hand-written reference board: what 12 tiles and a 30 fps ticker cost in plain pygame and paho.

Not the product and imports nothing from it: the yardstick ``bench versus`` runs
beside the board, in the same run and on the same broker load, so every figure
of the board has its ratio to this one. It is written the way a careful person
would write it by hand: values arrive on paho's thread into a dict under a lock
and wake the main thread; the main thread renders a tile only when its value
changed, keeps the announcement pre-rendered as one strip, places the ticker by
time (so a late frame skips pixels rather than slowing the scroll), paces
frames to a fixed schedule (frame ``n`` is due at ``start + n / fps``), and
pushes only the changed rectangles. Without a ticker it wakes for data and once
a second for the clock.

It writes the same ``T`` lines as the board's frame log (``ops/frame_log.py``)
so the harness reads both alike. Run: ``python -m bench.reference_board --port P
--prefix cc/bench --frame-log FILE [--no-ticker]``; SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
import time
from collections.abc import Sequence

import paho.mqtt.client as mqtt
import pygame
from paho.mqtt.enums import CallbackAPIVersion

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
SIZE = (1920, 1080)
QUEUES = ("sales", "support", "billing")
FIELDS = ("calls_waiting", "longest_wait_s", "service_level_pct", "abandon_rate_pct")
BACKGROUND, TILE, INK, TICKER = (16, 20, 28), (32, 40, 56), (235, 240, 245), (40, 48, 64)


class Inbox:
    """What paho's thread hands the main thread: the latest value per tile and the announcement."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.values: dict[str, float] = {}
        self.announcement: str | None = None
        self.messages = 0

    def on_message(self, _client: object, _userdata: object, message: mqtt.MQTTMessage) -> None:
        if message.topic.endswith("/announce"):
            with self.lock:
                self.announcement, self.messages = message.payload.decode(errors="replace"), self.messages + 1
        else:
            queue = message.topic.rsplit("/", 1)[-1]
            body = json.loads(message.payload)
            with self.lock:
                self.messages += 1
                for field in FIELDS:
                    if field in body:
                        self.values[f"{queue}.{field}"] = float(body[field])
        self.wake.set()

    def take(self) -> tuple[dict[str, float], str | None]:
        with self.lock:
            values, self.values = self.values, {}
            announcement, self.announcement = self.announcement, None
        return values, announcement


def run(port: int, prefix: str, frame_log: str, *, ticker: bool, fps: float, speed: float) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    inbox = Inbox()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="reference-board")
    client.on_message = inbox.on_message
    client.on_connect = lambda c, *_: c.subscribe([(f"{prefix}/queue/+", 0), (f"{prefix}/announce", 0)])
    client.connect("127.0.0.1", port)
    client.loop_start()
    pygame.display.init()
    pygame.font.init()
    screen = pygame.display.set_mode(SIZE)
    big, small, line = pygame.font.Font(FONT, 120), pygame.font.Font(FONT, 30), pygame.font.Font(FONT, 110)
    w, h = SIZE[0] // 4, SIZE[1] // 4
    tiles = {f"{q}.{f}": pygame.Rect(c * w + 8, r * h + 8, w - 16, h - 16)
             for r, q in enumerate(QUEUES) for c, f in enumerate(FIELDS)}  # fmt: skip
    clock_box = pygame.Rect(8, 3 * h + 8, w - 16, h - 16)
    band = pygame.Rect(w + 8, 3 * h + 8, 3 * w - 16, h - 16)
    screen.fill(BACKGROUND)
    for key, box in tiles.items():
        screen.fill(TILE, box)
        screen.blit(small.render(key, True, INK), (box.x + 16, box.y + 12))
    screen.fill(TICKER, band)
    pygame.display.flip()
    strip: pygame.Surface | None = None
    log = open(frame_log, "a", buffering=1 << 16)  # noqa: SIM115 (closed below, after the loop)
    frames = presents = uploaded = passes = 0
    start = time.monotonic()
    next_frame = next_tally = start
    second, shown_time = -1, ""
    while not stop.is_set():
        now = time.monotonic()
        passes += 1
        inbox.wake.clear()  # before taking: a value that arrives from here on wakes the next wait
        dirty: list[pygame.Rect] = []
        values, announcement = inbox.take()
        for key, value in values.items():
            if (place := tiles.get(key)) is not None:
                area = pygame.Rect(place.x, place.y + 60, place.w, place.h - 60)
                screen.fill(TILE, area)
                screen.blit(big.render(f"{value:g}", True, INK), (place.x + 16, place.y + 70))
                dirty.append(area)
        if announcement is not None:
            strip = line.render(announcement, True, INK, TICKER).convert()  # opaque: each frame is a plain copy
        if int(time.time()) != second:  # the clock's text is worked out once a second, drawn when it changes
            second = int(time.time())
            if (text := time.strftime("%H:%M")) != shown_time:
                shown_time = text
                screen.fill(TILE, clock_box)
                screen.blit(big.render(text, True, INK), (clock_box.x + 16, clock_box.y + 40))
                dirty.append(clock_box)
        scrolling = ticker and strip is not None
        if scrolling and now >= next_frame:
            # Frame n is due at start + n / fps; a frame that ran late skips the slots it missed.
            next_frame += 1.0 / fps
            if next_frame < now:
                next_frame = now + 1.0 / fps
            assert strip is not None
            period = strip.get_width() + band.w
            left = band.right - int((now - start) * speed) % period
            top = band.y + (band.h - strip.get_height()) // 2
            row = pygame.Rect(band.x, top, band.w, strip.get_height())
            screen.fill(TICKER, row)
            screen.set_clip(band)
            screen.blit(strip, (left, top))
            screen.set_clip(None)
            dirty.append(row)
        if dirty:
            pygame.display.update(dirty)
            span = dirty[0].unionall(dirty[1:])
            frames, presents = frames + 1, presents + 1
            uploaded += span.w * span.h * screen.get_bytesize()
        if now >= next_tally:
            next_tally = now + 0.5
            counts = f"{passes} {frames} {inbox.messages} 0 0 {len(tiles)} {presents} {uploaded}"
            log.write(f"T {time.time():.6f} {counts}\n")
            log.flush()
        pygame.event.pump()
        wait = 1.0 - time.time() % 1.0 + 0.01  # the clock's next whole second
        if scrolling:
            wait = min(wait, next_frame - time.monotonic())
        if wait > 0:
            inbox.wake.wait(wait)
    log.close()
    client.loop_stop()
    client.disconnect()
    pygame.display.quit()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reference_board", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--prefix", default="cc/bench")
    parser.add_argument("--frame-log", required=True)
    parser.add_argument("--no-ticker", action="store_true")
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--speed", type=float, default=120.0, help="ticker speed in pixels per second")
    args = parser.parse_args(argv)
    run(args.port, args.prefix, args.frame_log, ticker=not args.no_ticker, fps=args.fps, speed=args.speed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
