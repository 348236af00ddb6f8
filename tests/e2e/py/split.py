"""One hot loop, split by construction: a() 50%, b() 25%, c() 15%, keyfn()
10% called from C through sorted(). Each unit is the same work, and work
that allocates nothing (x stays 0 or 1, cached ints; repeat() yields one
object), so that no unit costs more for where the allocator stands.

usage: split.py [SECONDS [UNIT]]. UNIT (default 5000) sets the length of a
call: keyfn runs 10 * UNIT iterations, about 1.5 ms. On the perf backend a
sample whose thread has returned from a call through C (keyfn, run by its
own eval loop under sorted()) before tprof reads its Python stack is kept
native, so a call through C loses about (read delay / call length) of its
samples: bench/run.sh measures that with UNIT 1000 (keyfn 0.3 ms).

The program's own split moves between runs on a busy host (keyfn took 15.5%
of one run's CPU time, measured in the program), so it measures it with
perf_counter (vDSO: no system call, so no extra stop for the ptrace
backend) and prints at exit, for the tests to judge a profile by:
    split: a 50.1 b 25.0 c 15.0 keyfn 9.9"""
import random
import sys
import time
from itertools import repeat
from time import perf_counter as clock

UNIT = int(sys.argv[2]) if len(sys.argv) > 2 else 5000

def work(n):
    x = 0
    for _ in repeat(None, n):
        x = (x ^ 1) & 1
    return x

def a(n):
    work(50 * n)

def b(n):
    work(25 * n)

def c(n):
    work(15 * n)

spent = {"a": 0.0, "b": 0.0, "c": 0.0, "keyfn": 0.0}

def keyfn(v):
    t = clock()
    work(10 * v)
    spent["keyfn"] += clock() - t
    return v

def d(n):
    sorted([n], key=keyfn)

def main():
    start = clock()
    end = time.time() + float(sys.argv[1] if len(sys.argv) > 1 else 3)
    while time.time() < end:
        # rounds of random length: a fixed one beats with the sampling
        # period (whole rounds of 15 ms gave a() 48.6-52.6%)
        n = random.randint(UNIT // 2, UNIT * 3 // 2)
        t0 = clock()
        a(n)
        t1 = clock()
        b(n)
        t2 = clock()
        c(n)
        t3 = clock()
        d(n)
        spent["a"] += t1 - t0
        spent["b"] += t2 - t1
        spent["c"] += t3 - t2
    total = clock() - start
    if total > 0:
        print("split: " + " ".join("%s %.1f" % (k, 100 * v / total) for k, v in spent.items()),
              flush=True)

main()
