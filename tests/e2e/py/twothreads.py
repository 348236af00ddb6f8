"""Two worker threads alternate encode_frame (bytes +=: every += copies all
so far, the seeds' pyamqp story) and decode_frame (a tight integer loop);
the main thread encodes with a bytearray (encode_frame_fast). Each call is
timed with time.thread_time_ns (the thread's own CPU time, the quantity
on-CPU samples measure), and at exit the program prints its own split:
    split: encode_frame 64.7 decode_frame 31.1 encode_frame_fast 4.2
usage: twothreads.py [SECONDS]"""
import sys
import threading
import time

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 3
spent = {"encode_frame": 0, "decode_frame": 0, "encode_frame_fast": 0}
lock = threading.Lock()
CHUNK = b"x" * 64


def encode_frame(n):
    out = b""
    for _ in range(n):
        out += CHUNK
    return len(out)


def decode_frame(n):
    x = 0
    for i in range(n):
        x = (x + i * 7) & 0xFFFF
    return x


def encode_frame_fast(n):
    out = bytearray()
    for _ in range(n):
        out += CHUNK
    return len(out)


def timed(fn, n, acc):
    t = time.thread_time_ns()
    fn(n)
    acc[fn.__name__] += time.thread_time_ns() - t


def worker(end):
    mine = dict.fromkeys(spent, 0)
    while time.time() < end:
        timed(encode_frame, 1500, mine)
        timed(decode_frame, 12000, mine)
    with lock:
        for k, v in mine.items():
            spent[k] += v


def main():
    end = time.time() + SECONDS
    threads = [threading.Thread(target=worker, args=(end,)) for _ in range(2)]
    for t in threads:
        t.start()
    mine = dict.fromkeys(spent, 0)
    while time.time() < end:
        timed(encode_frame_fast, 6000, mine)
        time.sleep(0.002)
    for t in threads:
        t.join()
    for k, v in mine.items():
        spent[k] += v
    total = sum(spent.values())
    print("split: " + " ".join("%s %.1f" % (k, 100 * v / total) for k, v in spent.items()),
          flush=True)


main()
