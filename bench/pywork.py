"""A fixed amount of CPU-bound pure-Python work (calls three deep, loops,
arithmetic); prints the seconds it took, measured by itself:

    python3 pywork.py [REPS]      (default 60000: about 1.5 s here)"""
import sys
import time


def leaf(n):
    s = 0
    for i in range(n):
        s += i * i
    return s


def mid(n):
    return leaf(n) + leaf(n // 2)


def top(reps):
    t = 0
    for _ in range(reps):
        t += mid(200)
    return t


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 60000
    t0 = time.perf_counter()
    top(reps)
    print("%.4f" % (time.perf_counter() - t0))


if __name__ == "__main__":
    main()
