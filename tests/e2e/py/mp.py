"""multiprocessing: the work happens in child processes."""
import multiprocessing
import sys
import time

def work(n):
    x = 0
    for i in range(n):
        x += i * i
    return x

def child_task(secs):
    end = time.time() + secs
    while time.time() < end:
        work(20000)
    return 0

if __name__ == "__main__":
    secs = float(sys.argv[1] if len(sys.argv) > 1 else 2)
    with multiprocessing.Pool(2) as p:
        p.map(child_task, [secs, secs])
