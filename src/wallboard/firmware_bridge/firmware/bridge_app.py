"""The bridge firmware's loop: USB serial lines in, NeoPixel lamps and a buzzer out, and a watchdog.

Hardware (docs/wiring.md): a NeoPixel strip on GP16 (LAMP_PIXELS pixels per
lamp: red, amber, green from the first pixel), a piezo buzzer on GP15 driven
by PWM, an optional acknowledge button from GP14 to ground. All protocol
logic is in bridge_protocol; this module only moves bytes and pixels. It runs
nothing at import: main.py calls main().

Nothing the wire sends may stop the loop: an exception in one pass is
counted, reported as ``EVT FAULT`` and shows the failsafe pattern until the
host's next valid frame. If the loop itself stops (a hang, or a fault on
every pass), the Pico's hardware watchdog (``machine.WDT``, fed only after a
clean pass) resets it within WATCHDOG_MS; the firmware then says ``EVT BOOT
WDT`` and ``VER`` names the cause, so the host re-sends its state.
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
WATCHDOG_MS = 2000  # rp2 allows up to 8388 ms; a stopped loop resets well before the host's failsafe
FAULT_REPORT_MS = 1000  # at most one EVT FAULT a second, so a fault on every pass cannot flood the line
LOOP_SLEEP_MS = 5


def _ticks_ms():
    return time.ticks_ms()  # MicroPython only; the host's tests pass their own clock


_ticks_diff = getattr(time, "ticks_diff", bridge_protocol.ticks_diff)
_ticks_add = getattr(time, "ticks_add", bridge_protocol.ticks_add)


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
        self.shown = None  # if a write fails half-way, the next pass writes everything again
        for lamp in range(3):
            colour = COLOURS[lamp] if levels[lamp] else (0, 0, 0)
            colour = tuple(int(c * BRIGHTNESS) for c in colour)
            for i in range(LAMP_PIXELS):
                self.pixels[lamp * LAMP_PIXELS + i] = colour
        self.pixels.write()
        self.buzzer.duty_u16(32768 if levels[3] else 0)
        self.shown = levels


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


def boot_cause(machine):
    """Why this start: ``WDT`` (the watchdog, or ``machine.reset()``, which rp2 does through it), ``PWR``, ``RESET``."""
    reset_cause = getattr(machine, "reset_cause", None)
    if reset_cause is None:
        return "PWR"  # the unix port: every run is a fresh start
    cause = reset_cause()
    if cause == getattr(machine, "WDT_RESET", None):
        return "WDT"
    if cause == getattr(machine, "PWRON_RESET", None):
        return "PWR"
    return "RESET"


def boot_id():
    """Four hex digits, new at each start (rp2 seeds ``random`` from its ring oscillator)."""
    try:
        import random

        return f"{random.getrandbits(16):04X}"
    except Exception:  # no random module: still a valid id, just not a fresh one
        return "0000"


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
    add=_ticks_add,
    watchdog=None,
    boot="PWR",
):
    """Serve the protocol until ``keep_going()`` is false (forever on the Pico).

    ``read()`` returns the bytes waiting (b"" if none) and never blocks;
    ``write(data)`` sends bytes to the host; ``watchdog`` (``machine.WDT``
    or None) is fed after every pass that raised nothing.
    """
    if sleep_ms is None:
        sleep_ms = time.sleep_ms
    bridge = bridge_protocol.Bridge(now(), failsafe_ms=failsafe_ms, ticks_diff=diff, ticks_add=add, boot=boot)
    bridge.boot_id = boot_id()
    lamps = Lamps(machine, neopixel)
    button = AckButton(machine, now())
    write(bridge_protocol.frame(None, "EVT", ["BOOT", boot, bridge.boot_id]))
    buffer = b""
    reported = 0  # faults already reported to the host
    reported_at = None  # the first fault is reported at once, later ones at most once a FAULT_REPORT_MS
    while keep_going is None or keep_going():
        try:
            buffer = _serve(bridge, lamps, button, read, write, buffer, now, diff)
        except Exception as err:  # the point: nothing stops the loop
            buffer = b""
            bridge.fault(err, now())
        else:
            if watchdog is not None:
                watchdog.feed()
        if bridge.faults != reported and (reported_at is None or diff(now(), reported_at) >= FAULT_REPORT_MS):
            reported, reported_at = bridge.faults, now()
            try:  # noqa: SIM105 (MicroPython has no contextlib)
                write(bridge_protocol.frame(None, "EVT", ["FAULT", str(bridge.faults), bridge.last_fault]))
            except Exception:  # the port itself failed: the count waits for the next VER?
                pass
        sleep_ms(LOOP_SLEEP_MS)
    lamps.show([False, False, False, False])


def _serve(bridge, lamps, button, read, write, buffer, now, diff):
    """One pass: answer whole lines, check the failsafe and the button, show the lamps; return the rest."""
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
    return buffer


def start_watchdog(machine):
    """The hardware watchdog where the port has one (rp2), else None (the unix port, the host's tests)."""
    wdt = getattr(machine, "WDT", None)
    if wdt is None:
        return None
    return wdt(timeout=WATCHDOG_MS)


def main(machine=None, neopixel=None, failsafe_ms=bridge_protocol.FAILSAFE_MS):
    """On the Pico: USB serial is sys.stdin/sys.stdout; poll so reads never block.

    ``machine`` and ``neopixel`` default to the Pico's modules; the host's tests pass stand-ins and run
    this very function on MicroPython's unix port, with a pty as stdin and stdout.
    """
    import select
    import sys

    if machine is None:
        import machine
    if neopixel is None:
        import neopixel

    poller = select.poll()
    poller.register(sys.stdin, select.POLLIN)

    def read():
        data = b""
        while poller.poll(0) and len(data) < 64:
            byte = sys.stdin.buffer.read(1)
            if not byte:
                break  # end of input (the unix port's stdin closed): nothing more will come
            data += byte
        return data

    def write(data):
        sys.stdout.buffer.write(data)

    watchdog = start_watchdog(machine)
    try:
        run(read, write, machine, neopixel, failsafe_ms=failsafe_ms, watchdog=watchdog, boot=boot_cause(machine))
    except KeyboardInterrupt:
        # Ctrl-C (mpremote updating the firmware): a started watchdog cannot be stopped, so a timer feeds it
        # while the REPL has the board; the reset that follows the update ends it.
        if watchdog is not None:
            machine.Timer(period=WATCHDOG_MS // 4, callback=lambda timer: watchdog.feed())
        raise
