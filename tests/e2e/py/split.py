"""One hot loop, split by construction: a() 50%, b() 25%, c() 15%, and
keyfn() 10% called from C through sorted(). Each unit is the same work,
so the shares follow the unit counts."""
import sys
import time

def work(n):
    x = 0
    for i in range(n):
        x += i * i
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
