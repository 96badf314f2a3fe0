"""Run on MicroPython (the unix port): blink and failsafe phases across the rp2's tick wrap, with the shims.

Usage: micropython check_ticks.py, with the firmware folder on MICROPYPATH. Prints ``ok`` lines or ``FAIL``
lines, then ``passed N failed M``. Not a pytest file: tests/test_bridge_micropython.py runs it.
"""

import bridge_protocol as bp

results = []


def check(what, good):
    results.append(good)
    print(("ok " if good else "FAIL ") + what)


top = bp.TICKS_PERIOD - 1
check("ticks_add wraps to 0", bp.ticks_add(top, 1) == 0)
check("ticks_add wraps back", bp.ticks_add(0, -1) == top)
check("ticks_diff across the wrap", bp.ticks_diff(bp.ticks_add(top, 5), top) == 5)
check("ticks_diff backwards across the wrap", bp.ticks_diff(top, bp.ticks_add(top, 5)) == -5)
start = bp.TICKS_PERIOD - 1000
bridge = bp.Bridge(start)
bridge.receive(bp.frame(1, "SET", ["B", "0", "0", "0", "300"]), start)
lit = [bridge.levels(bp.ticks_add(start, ms))[0] for ms in range(0, 2400, 50)]
check("a 300 ms blink keeps its rhythm across the wrap", lit == [(ms % 300) < 150 for ms in range(0, 2400, 50)])
check("no failsafe at 3000 ms", not bridge.check_failsafe(bp.ticks_add(start, 3000)))
check("failsafe at 3001 ms, across the wrap", bridge.check_failsafe(bp.ticks_add(start, 3001)))
phases = [bridge.levels(bp.ticks_add(start, 3001 + ms))[:2] for ms in (0, 499, 500, 999, 1000)]
check(
    "failsafe alternates every 500 ms",
    phases == [[True, False], [True, False], [False, True], [False, True], [True, False]],
)
print(f"passed {results.count(True)} failed {results.count(False)}")
