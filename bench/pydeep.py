"""A CPU-bound loop at a chosen Python stack depth, for the cost of reading
a stack at each sample (bench/pyread.sh):

    python3 pydeep.py DEPTH SECONDS

DEPTH Python frames (recursion) over <module> and main, then a tight loop
until SECONDS have passed."""
import sys
import time

sys.setrecursionlimit(10000)


def spin(end):
    x = 0
    while time.perf_counter() < end:
        for i in range(1000):
            x = (x + i) & 0xFFFF
    return x


def down(n, end):
    if n <= 1:
        return spin(end)
    return down(n - 1, end)


def main():
    depth = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 2
    down(depth, time.perf_counter() + seconds)


main()
