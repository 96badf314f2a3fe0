"""The bridge firmware's loop: USB serial lines in, NeoPixel lamps and a buzzer out.

Hardware (docs/wiring.md): a NeoPixel strip on GP16 (LAMP_PIXELS pixels per
lamp: red, amber, green from the first pixel), a piezo buzzer on GP15 driven
by PWM, an optional acknowledge button from GP14 to ground. All protocol
logic is in bridge_protocol; this module only moves bytes and pixels. It runs
nothing at import: main.py calls main().
"""

import time

import bridge_protocol

NEOPIXEL_PIN = 16
BUZZER_PIN = 15
BUTTON_PIN = 14
LAMP_PIXELS = 1
BRIGHTNESS = 0.5
BUZZER_HZ = 2700
COLOURS = ((255, 0, 0), (255, 110, 0), (0, 255, 0))
MAX_LINE = 128


def _ticks_ms():
    return time.ticks_ms()  # MicroPython only; the host's tests pass their own clock


def _ticks_diff(a, b):
    return time.ticks_diff(a, b)


class Lamps:
    """Three lamps on a NeoPixel strip and a PWM buzzer; writes only when something changes."""

    def __init__(self, machine, neopixel):
        self.pixels = neopixel.NeoPixel(machine.Pin(NEOPIXEL_PIN, machine.Pin.OUT), 3 * LAMP_PIXELS)
        self.buzzer = machine.PWM(machine.Pin(BUZZER_PIN))
        self.buzzer.freq(BUZZER_HZ)
        self.buzzer.duty_u16(0)
        self.shown = None

    def show(self, levels):
        if levels == self.shown:
            return
        self.shown = levels
        for lamp in range(3):
            colour = COLOURS[lamp] if levels[lamp] else (0, 0, 0)
            colour = tuple(int(c * BRIGHTNESS) for c in colour)
            for i in range(LAMP_PIXELS):
                self.pixels[lamp * LAMP_PIXELS + i] = colour
        self.pixels.write()
        self.buzzer.duty_u16(32768 if levels[3] else 0)


class AckButton:
    """A button to ground on an input with a pull-up; reports one press per push."""

    def __init__(self, machine, now_ms):
        self.pin = machine.Pin(BUTTON_PIN, machine.Pin.IN, machine.Pin.PULL_UP)
        self.was_down = False
        self.changed_at = now_ms

    def pressed(self, now_ms, diff):
        down = self.pin.value() == 0
        if down != self.was_down and diff(now_ms, self.changed_at) > 50:
            self.was_down = down
            self.changed_at = now_ms
            return down
        return False


def run(
    read,
    write,
    machine,
    neopixel,
    now=_ticks_ms,
    diff=_ticks_diff,
    sleep_ms=None,
    keep_going=None,
    failsafe_ms=bridge_protocol.FAILSAFE_MS,
):
    """Serve the protocol until ``keep_going()`` is false (forever on the Pico).

    ``read()`` returns the bytes waiting (b"" if none) and never blocks;
    ``write(data)`` sends bytes to the host.
    """
    if sleep_ms is None:
        sleep_ms = time.sleep_ms
    bridge = bridge_protocol.Bridge(now(), failsafe_ms=failsafe_ms, ticks_diff=diff)
    lamps = Lamps(machine, neopixel)
    button = AckButton(machine, now())
    write(bridge_protocol.frame(None, "EVT", ["BOOT"]))
    buffer = b""
    while keep_going is None or keep_going():
        data = read()
        if data:
            buffer += data
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                if line.strip():
                    write(bridge.receive(line, now()))
            if len(buffer) > MAX_LINE:
                buffer = b""
                write(bridge_protocol.frame(None, "NAK", ["LONG"]))
        t = now()
        if bridge.check_failsafe(t):
            write(bridge_protocol.frame(None, "EVT", ["FAILSAFE"]))
        if button.pressed(t, diff):
            write(bridge_protocol.frame(None, "EVT", ["BTN"]))
        lamps.show(bridge.levels(t))
        sleep_ms(5)
    lamps.show([False, False, False, False])


def main():
    """On the Pico: USB serial is sys.stdin/sys.stdout; poll so reads never block."""
    import select
    import sys

    import machine
    import neopixel

    poller = select.poll()
    poller.register(sys.stdin, select.POLLIN)

    def read():
        data = b""
        while poller.poll(0) and len(data) < 64:
            data += sys.stdin.buffer.read(1)
        return data

    def write(data):
        sys.stdout.buffer.write(data)

    run(read, write, machine, neopixel)
