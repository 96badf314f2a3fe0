"""A process that writes to a cache as fast as it can, for the kill -9 test. Usage: cache_writer.py PATH"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from wallboard.device.core.values import MetricValue
from wallboard.device.edge.cache import Cache


def main() -> None:
    cache = Cache(Path(sys.argv[1]), history_points=50, flush_interval=0.0)
    counter = 0
    print("ready", flush=True)
    while True:
        counter += 1
        now = time.time()
        for queue in range(20):
            cache.stage(f"q{queue}.calls_waiting", MetricValue(counter, now, now), (now, counter))
        cache.flush(force=True)
        if counter % 50 == 0:
            cache.save_config(f"config {counter}", f"{counter:016d}")


if __name__ == "__main__":
    main()
