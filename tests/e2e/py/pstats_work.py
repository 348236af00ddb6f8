"""A workload for cProfile and profile (tests/e2e/test_formats.sh): an
AMQP-style encoder (bytes += against bytearray), recursion, a method called
from C through sorted(), a generator, a nested function, and the standard
library (json)."""
import json
import struct


def encode_binary(buf, data):
    buf += struct.pack(">BI", 0xB0, len(data))
    buf += data
    return buf


def encode_naive(n):
    out = b""
    for _ in range(n):
        out = encode_binary(out, b"x" * 64)
    return out


def encode_fast(n):
    out = bytearray()
    for _ in range(n):
        out += struct.pack(">BI", 0xB0, 64)
        out += b"x" * 64
    return bytes(out)


def depth(k):
    return 0 if k == 0 else 1 + depth(k - 1)


class Frame:
    def size(self, v):
        return len(v)


def sort_by_size(items):
    f = Frame()
    return sorted(items, key=lambda v: f.size(v))


def numbers(n):
    for i in range(n):
        yield i * i


def main():
    def nested():
        return sum(numbers(2000))
    for _ in range(15):
        encode_naive(300)
        encode_fast(300)
        nested()
    depth(60)
    sort_by_size([b"a" * i for i in range(300)])
    json.loads(json.dumps({"k%d" % i: list(range(20)) for i in range(200)}))


if __name__ == "__main__":
    main()
