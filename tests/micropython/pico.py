"""Run on MicroPython (the unix port): the bridge firmware's real ``main()`` with stand-ins for the Pico.

Usage: micropython -X heapsize=192K pico.py [--boot WDT] [--fail-writes N] [--hang-on-white] [--failsafe-ms MS],
with the firmware folder on MICROPYPATH and a pty as stdin and stdout (the USB serial port). What the Pico's
hardware would show goes to stderr, one line each, for tests/test_bridge_micropython.py to read:

- ``P <ms> <r,g,b> <r,g,b> <r,g,b>``: the pixels after each NeoPixel write;
- ``F <ms> <heap used>``: the watchdog was fed (at most once a second, with the heap after a collection);
- ``H <ms>``: the strip hung (``--hang-on-white``: all three lamps lit) and the loop stops for good.

``--fail-writes N`` makes the strip's N-th write raise OSError (a flaky wire to the LEDs), to show the loop
survives it. Not a pytest file.
"""

import gc
import sys
import time

import bridge_app


def _stamp():
    return time.ticks_ms()


class Pin:
    OUT = 1
    IN = 0
    PULL_UP = 2

    def __init__(self, number, mode=None, pull=None):
        self.number = number

    def value(self):
        return 1  # the acknowledge button is never pressed here


class PWM:
    def __init__(self, pin):
        self.duty = 0

    def freq(self, hz):
        pass

    def duty_u16(self, duty):
        self.duty = duty


class NeoPixel:
    fail_on = 0
    hang_on_white = False

    def __init__(self, pin, count):
        self.pixels = [(0, 0, 0)] * count
        self.writes = 0

    def __setitem__(self, index, colour):
        self.pixels[index] = colour

    def write(self):
        self.writes += 1
        if self.writes == NeoPixel.fail_on:
            raise OSError(5)
        if NeoPixel.hang_on_white and all(c != (0, 0, 0) for c in self.pixels):
            sys.stderr.write(f"H {_stamp()}\n")
            while True:  # the loop never comes back: only the watchdog can end this
                time.sleep_ms(1000)
        text = " ".join(f"{c[0]},{c[1]},{c[2]}" for c in self.pixels)
        sys.stderr.write(f"P {_stamp()} {text}\n")


class WDT:
    """Records feeds; the test harness plays the hardware (no feed for WATCHDOG_MS: it restarts us)."""

    def __init__(self, timeout):
        self.timeout = timeout
        self.reported = None

    def feed(self):
        now = _stamp()
        if self.reported is None or time.ticks_diff(now, self.reported) >= 1000:
            self.reported = now
            gc.collect()
            sys.stderr.write(f"F {now} {gc.mem_alloc()}\n")


class Machine:
    Pin = Pin
    PWM = PWM
    WDT = WDT
    PWRON_RESET = 1
    WDT_RESET = 3

    def __init__(self, boot):
        self.boot = boot

    def reset_cause(self):
        return self.WDT_RESET if self.boot == "WDT" else self.PWRON_RESET


class NeoPixelModule:
    NeoPixel = NeoPixel


def main(argv):
    boot = "PWR"
    if "--boot" in argv:
        boot = argv[argv.index("--boot") + 1]
    if "--fail-writes" in argv:
        NeoPixel.fail_on = int(argv[argv.index("--fail-writes") + 1])
    NeoPixel.hang_on_white = "--hang-on-white" in argv
    failsafe_ms = bridge_app.bridge_protocol.FAILSAFE_MS
    if "--failsafe-ms" in argv:
        failsafe_ms = int(argv[argv.index("--failsafe-ms") + 1])
    bridge_app.main(Machine(boot), NeoPixelModule(), failsafe_ms)


main(sys.argv)
