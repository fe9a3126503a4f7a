#!/usr/bin/env python3
"""The noise injector of the noise rig (bench/noise_rig.sh): bursty CPU hogs, one per core.

Each hog process sleeps a random IDLE time, then burns the CPU for a random BURST time, and again,
forever: on a shared CI runner, that is another job's compile steps. With one hog per core, every core
is taken away from the service now and then, for 100 to 400 ms at a time.

    noise_hog.py [HOGS] [BURST_MS=100-400] [IDLE_MS=100-400] [SEED]

HOGS defaults to the number of cores. Stop it with SIGTERM or Ctrl-C (the hogs go with it).
"""

import multiprocessing
import os
import random
import signal
import sys
import time


def hog(seed: int, burst: tuple, idle: tuple) -> None:
    rnd = random.Random(seed)
    while True:
        time.sleep(rnd.uniform(*idle) / 1000.0)
        end = time.monotonic() + rnd.uniform(*burst) / 1000.0
        while time.monotonic() < end:
            pass


def span(text: str) -> tuple:
    low, _, high = text.partition("-")
    return (float(low), float(high or low))


if __name__ == "__main__":
    hogs = int(sys.argv[1]) if len(sys.argv) > 1 else os.cpu_count() or 1
    burst = span(sys.argv[2]) if len(sys.argv) > 2 else (100.0, 400.0)
    idle = span(sys.argv[3]) if len(sys.argv) > 3 else (100.0, 400.0)
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else int(time.time())
    procs = [multiprocessing.Process(target=hog, args=(seed + i, burst, idle), daemon=True) for i in range(hogs)]
    for p in procs:
        p.start()

    def stop(*_):
        for p in procs:
            p.terminate()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for p in procs:
        p.join()
