"""A thread per task, each ~0.2 ms of sha256 (task), one after another, as
a socketserver.ThreadingMixIn server does with short requests. The
program times its tasks with time.thread_time_ns and prints the CPU time
they took and the number of tasks:
    tasks: 5000 task_s 1.02
usage: pertask.py [TASKS [MICROSECONDS]]"""
import hashlib
import sys
import threading
import time

TASKS = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
USEC = float(sys.argv[2]) if len(sys.argv) > 2 else 200
spent = [0]
lock = threading.Lock()
BLOCK = b"x" * 4096


def task():
    t0 = time.thread_time_ns()
    end = t0 + USEC * 1000
    h = hashlib.sha256()
    while time.thread_time_ns() < end:
        h.update(BLOCK)
    d = time.thread_time_ns() - t0
    with lock:
        spent[0] += d


def main():
    for _ in range(TASKS):
        th = threading.Thread(target=task)
        th.start()
        th.join()
    print("tasks: %d task_s %.3f" % (TASKS, spent[0] / 1e9), flush=True)


main()
