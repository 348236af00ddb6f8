"""Two threads spinning in different functions while the main thread
waits in join(): each thread's samples must carry its own function."""
import sys
import threading
import time

def work(n):
    x = 0
    for i in range(n):
        x += i * i
    return x

def spin_left(end):
    while time.time() < end:
        work(20000)

def spin_right(end):
    while time.time() < end:
        work(20000)

def main():
    end = time.time() + float(sys.argv[1] if len(sys.argv) > 1 else 2)
    ts = [threading.Thread(target=spin_left, args=(end,)),
          threading.Thread(target=spin_right, args=(end,))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()

main()
