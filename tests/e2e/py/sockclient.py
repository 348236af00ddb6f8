"""A blocking socket client against a local peer, the shape of an AMQP
client: it encodes a message (encode), sends it and blocks until the peer
answers (exchange); the peer, a thread of the same process on loopback,
reads the message and works out its answer (serve). Each function is timed
with time.thread_time_ns and the program prints its own split of CPU time:
    split: encode 60.2 exchange 9.8 serve 30.0
usage: sockclient.py [SECONDS]"""
import socket
import sys
import threading
import time

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 3
spent = {"encode": 0, "exchange": 0, "serve": 0}
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
    mine = 0
    while True:
        t = time.thread_time_ns()
        more = serve(conn)
        mine += time.thread_time_ns() - t
        if not more:
            break
    conn.close()
    with lock:
        spent["serve"] += mine


def main():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    th = threading.Thread(target=peer, args=(listener,))
    th.start()
    s = socket.create_connection(listener.getsockname())
    end = time.time() + SECONDS
    seq = 0
    enc = exc = 0
    while time.time() < end:
        t = time.thread_time_ns()
        msg = encode(seq)
        t1 = time.thread_time_ns()
        exchange(s, msg)
        t2 = time.thread_time_ns()
        enc += t1 - t
        exc += t2 - t1
        seq += 1
    s.close()
    th.join()
    spent["encode"] += enc
    spent["exchange"] += exc
    total = sum(spent.values())
    print("split: " + " ".join("%s %.1f" % (k, 100 * v / total) for k, v in spent.items()),
          flush=True)


main()
