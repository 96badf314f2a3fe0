"""Run on MicroPython (the unix port): the firmware's protocol module against vectors.json.

Usage: micropython check_vectors.py VECTORS.json, with the firmware folder on MICROPYPATH. Prints one
line per vector, ``ok <what>`` or ``FAIL <what>: <why>``, then ``passed N failed M``. Not a pytest file:
tests/test_bridge_micropython.py runs it and reads what it prints.
"""

import json
import sys

import bridge_protocol


def main(path):
    with open(path) as f:
        vectors = json.load(f)
    results = []

    def check(what, good, why=""):
        results.append(good)
        print(("ok " if good else "FAIL ") + what + ("" if good else ": " + why))

    crc = vectors["crc16_check"]
    got = bridge_protocol.crc16(crc["input"].encode())
    check("crc16 check value", got == crc["crc"], f"got {got}")
    for v in vectors["host_frames"]:
        what = "parse " + v["line"].strip()
        try:
            got = bridge_protocol.parse(v["line"].encode())
            check(what, list(got) == [v["seq"], v["verb"], v["args"]], repr(got))
        except Exception as err:
            check(what, False, repr(err))
    for v in vectors["bridge_frames"]:
        got = bridge_protocol.frame(v["seq"], v["verb"], v["args"])
        check("frame " + v["line"].strip(), got == v["line"].encode(), repr(got))
    for v in vectors["bad_host_lines"]:
        bridge = bridge_protocol.Bridge(0)
        want = bridge_protocol.frame(v.get("seq"), "NAK", [v["nak"]])
        got = bridge.receive(v["line"].encode(), 0)
        check("nak " + v["why"], got == want and bridge.faults == 0, repr(got) + f" faults {bridge.faults}")
    for v in vectors["protocol1_host_lines"]:
        got = bridge_protocol.Bridge(0).receive(v["line"].encode(), 0)
        check("protocol 1 " + v["why"], got == v["answer"].encode(), repr(got))
    print(f"passed {results.count(True)} failed {results.count(False)}")


main(sys.argv[1])
