"""Run on MicroPython (the unix port): answer every line of a corpus as the firmware would, one reply a line.

Usage: micropython -X heapsize=192K answer_corpus.py CORPUS ANSWERS, with the firmware folder on
MICROPYPATH. CORPUS holds one host line per line (bytes, no newline inside); ANSWERS gets the firmware's
reply to each, in order. Prints ``lines N faults F heap_used B heap_total T`` at the end (heap after a
collection, with the corpus streamed, not loaded). Not a pytest file.
"""

import gc
import sys

import bridge_protocol


def main(corpus, answers):
    bridge = bridge_protocol.Bridge(0)
    lines = 0
    peak = 0
    with open(corpus, "rb") as source, open(answers, "wb") as out:
        while True:
            line = source.readline()
            if not line:
                break
            out.write(bridge.receive(line, 0))
            lines += 1
            if lines % 1000 == 0:
                gc.collect()
                peak = max(peak, gc.mem_alloc())
    gc.collect()
    peak = max(peak, gc.mem_alloc())
    total = gc.mem_alloc() + gc.mem_free()
    print(f"lines {lines} faults {bridge.faults} heap_used {peak} heap_total {total}")


main(sys.argv[1], sys.argv[2])
