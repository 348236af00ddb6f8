"""One hot loop, split by construction: a() 50%, b() 25%, c() 15%, keyfn()
10% called from C through sorted(). Each unit is the same work (small ints:
i * i past 2**15 cost more and gave a() 52-54%), so shares follow counts."""
import sys
import time

def work(n):
    x = 0
    for i in range(n):
        x ^= i
    return x

def a():
    work(50000)

def b():
    work(25000)

def c():
    work(15000)

def keyfn(v):
    work(10000)
    return v

def d():
    sorted([1], key=keyfn)

def main():
    end = time.time() + float(sys.argv[1] if len(sys.argv) > 1 else 3)
    while time.time() < end:
        a()
        b()
        c()
        d()

main()
