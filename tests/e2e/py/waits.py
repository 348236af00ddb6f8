"""Threads blocked in the usual places, for --mode wall: time.sleep,
queue.get, socket.recv, and two threads taking turns at the GIL."""
import queue
import socket
import sys
import threading
import time

def napper(end):
    while time.time() < end:
        time.sleep(0.05)

def consumer(q):
    while q.get() is not None:
        pass

def reader(sock):
    while sock.recv(1):
        pass

def work(n):
    x = 0
    for i in range(n):
        x += i * i
    return x

def spinner(end):
    while time.time() < end:
        work(20000)

def main():
    end = time.time() + float(sys.argv[1] if len(sys.argv) > 1 else 2)
    q = queue.Queue()
    a, b = socket.socketpair()
    ts = [threading.Thread(target=napper, args=(end,)),
          threading.Thread(target=consumer, args=(q,)),
          threading.Thread(target=reader, args=(b,)),
          threading.Thread(target=spinner, args=(end,)),
          threading.Thread(target=spinner, args=(end,))]
    for t in ts:
        t.start()
    time.sleep(max(0.0, end - time.time()))
    q.put(None)
    a.close()
    for t in ts:
        t.join()

main()
