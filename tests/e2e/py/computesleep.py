"""A loop that computes about 1 ms, then sleeps 2 ms: on-CPU samples must
land in compute(), not in wait() (a stack read after the sample finds the
thread asleep). Each call is timed with time.thread_time_ns, and the
program prints its own split of CPU time at exit:
    split: compute 97.1 wait 2.9
usage: computesleep.py [SECONDS]"""
import sys
import time

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 3
spent = {"compute": 0, "wait": 0}


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
        t = time.thread_time_ns()
        compute(25000)
        t1 = time.thread_time_ns()
        wait()
        t2 = time.thread_time_ns()
        spent["compute"] += t1 - t
        spent["wait"] += t2 - t1
    total = sum(spent.values())
    print("split: " + " ".join("%s %.1f" % (k, 100 * v / total) for k, v in spent.items()),
          flush=True)


main()
