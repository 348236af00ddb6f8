"""A server with a thread per request: the main thread accepts a request
(accept: parses it, ~1 ms) and starts a thread that handles it (handle:
~4 ms of computing) and ends. On-CPU samples of a thread's first
milliseconds must carry its Python frames as the rest do. Each function is
timed with time.thread_time_ns and the program prints its own split:
    split: accept 20.1 handle 79.9
usage: shortthreads.py [SECONDS]"""
import sys
import threading
import time

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 3
spent = {"accept": 0, "handle": 0}
lock = threading.Lock()


def work(n):
    x = 0
    for i in range(n):
        x = (x + i) & 0xFFFF
    return x


def handle(n):
    t = time.thread_time_ns()
    work(n)
    d = time.thread_time_ns() - t
    with lock:
        spent["handle"] += d


def accept():
    work(4000)
    return 16000


def main():
    end = time.time() + SECONDS
    threads = []
    while time.time() < end:
        t = time.thread_time_ns()
        n = accept()
        spent["accept"] += time.thread_time_ns() - t
        th = threading.Thread(target=handle, args=(n,))
        th.start()
        threads.append(th)
        if len(threads) >= 4:
            threads.pop(0).join()
    for th in threads:
        th.join()
    total = sum(spent.values())
    print("split: " + " ".join("%s %.1f" % (k, 100 * v / total) for k, v in spent.items()),
          flush=True)


main()
