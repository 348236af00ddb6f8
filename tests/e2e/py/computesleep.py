"""A loop that computes about 1 ms, then sleeps 2 ms: on-CPU samples must
land in compute(), not in wait() (a stack read after the sample finds the
thread asleep). Each call is timed with time.thread_time_ns, and the
program prints its own split of CPU time at exit, and of wall time
(time.perf_counter_ns), which wall mode is judged against:
    split: compute 97.1 wait 2.9
    wall: compute 33.0 wait 67.0
usage: computesleep.py [SECONDS]"""
import sys
import time

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 3
spent = {"compute": 0, "wait": 0}
walls = {"compute": 0, "wait": 0}


def compute(n):
    x = 0
    for i in range(n):
        x = (x ^ i) & 0xFFF
    return x


def wait():
    time.sleep(0.002)


def main():
    end = time.time() + SECONDS
    while time.time() < end:
        t, w = time.thread_time_ns(), time.perf_counter_ns()
        compute(25000)
        t1, w1 = time.thread_time_ns(), time.perf_counter_ns()
        wait()
        t2, w2 = time.thread_time_ns(), time.perf_counter_ns()
        spent["compute"] += t1 - t
        spent["wait"] += t2 - t1
        walls["compute"] += w1 - w
        walls["wait"] += w2 - w1
    for label, d in (("split", spent), ("wall", walls)):
        total = sum(d.values())
        print(label + ": " + " ".join("%s %.1f" % (k, 100 * v / total) for k, v in d.items()),
              flush=True)


main()
