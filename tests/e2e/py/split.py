"""One hot loop, split by construction: a() 50%, b() 25%, c() 15%, keyfn()
10% called from C through sorted(). Each unit is the same work, and work
that allocates nothing (x stays 0 or 1, cached ints; repeat() yields one
object), so that no unit costs more for where the allocator stands.

usage: split.py [SECONDS [UNIT]]. UNIT (default 5000) sets the length of a
call: keyfn runs 10 * UNIT iterations, about 1.5 ms. On the perf backend a
sample whose thread has returned from a call through C (keyfn, run by its
own eval loop under sorted()) before tprof reads its Python stack is kept
native, so a call through C loses about (read delay / call length) of its
samples: bench/run.sh measures that with UNIT 1000 (keyfn 0.3 ms)."""
import random
import sys
import time
from itertools import repeat

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

def keyfn(v):
    work(10 * v)
    return v

def d(n):
    sorted([n], key=keyfn)

def main():
    end = time.time() + float(sys.argv[1] if len(sys.argv) > 1 else 3)
    while time.time() < end:
        # rounds of random length: a fixed one beats with the sampling
        # period (whole rounds of 15 ms gave a() 48.6-52.6%)
        n = random.randint(UNIT // 2, UNIT * 3 // 2)
        a(n)
        b(n)
        c(n)
        d(n)

main()
