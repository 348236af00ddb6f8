"""A blocking socket client against a local peer, the shape of an AMQP
client: it encodes a message (encode), sends it and blocks until the peer
answers (exchange); the peer, a thread of the same process on loopback,
reads the message and works out its answer (serve). Each function is timed
with time.thread_time_ns and the program prints its own split of CPU time,
and of wall time (time.perf_counter_ns: the peer's serve() holds its wait
for the next message), which wall mode is judged against:
    split: encode 60.2 exchange 9.8 serve 30.0
    wall: encode 30.1 exchange 19.9 serve 50.0
usage: sockclient.py [SECONDS]"""
import socket
import sys
import threading
import time

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 3
spent = {"encode": 0, "exchange": 0, "serve": 0}
walls = {"encode": 0, "exchange": 0, "serve": 0}
lock = threading.Lock()


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        part = s.recv(n - len(buf))
        if not part:
            return None
        buf += part
    return buf


def encode(seq):
    body = bytearray()
    for i in range(3000):
        body += ((seq * 31 + i) & 0xFF).to_bytes(1, "little")
    return len(body).to_bytes(4, "little") + bytes(body)


def exchange(s, msg):
    s.sendall(msg)
    return recv_exact(s, 4)


def answer(body):
    x = 0
    for b in body:
        x = (x * 33 + b) & 0xFFFFFFFF
    return x.to_bytes(4, "little")


def serve(conn):
    head = recv_exact(conn, 4)
    if head is None:
        return False
    body = recv_exact(conn, int.from_bytes(head, "little"))
    conn.sendall(answer(body))
    return True


def peer(listener):
    conn, _ = listener.accept()
    mine = wall = 0
    while True:
        t, w = time.thread_time_ns(), time.perf_counter_ns()
        more = serve(conn)
        mine += time.thread_time_ns() - t
        wall += time.perf_counter_ns() - w
        if not more:
            break
    conn.close()
    with lock:
        spent["serve"] += mine
        walls["serve"] += wall


def main():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    th = threading.Thread(target=peer, args=(listener,))
    th.start()
    s = socket.create_connection(listener.getsockname())
    end = time.time() + SECONDS
    seq = 0
    enc = exc = wenc = wexc = 0
    while time.time() < end:
        t, w = time.thread_time_ns(), time.perf_counter_ns()
        msg = encode(seq)
        t1, w1 = time.thread_time_ns(), time.perf_counter_ns()
        exchange(s, msg)
        t2, w2 = time.thread_time_ns(), time.perf_counter_ns()
        enc += t1 - t
        exc += t2 - t1
        wenc += w1 - w
        wexc += w2 - w1
        seq += 1
    s.close()
    th.join()
    spent["encode"] += enc
    spent["exchange"] += exc
    walls["encode"] += wenc
    walls["exchange"] += wexc
    for label, d in (("split", spent), ("wall", walls)):
        total = sum(d.values())
        print(label + ": " + " ".join("%s %.1f" % (k, 100 * v / total) for k, v in d.items()),
              flush=True)


main()
