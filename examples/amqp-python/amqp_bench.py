"""Encode batches of AMQP 1.0 transfers with one of the two codecs.

    python3 amqp_bench.py naive|tuned [SECONDS]   encode for SECONDS (default 5)
    python3 amqp_bench.py --selftest              both codecs, byte for byte

Each batch is 16 messages whose 16 KiB body arrives in 64-byte fragments
(as from a socket): the naive encoder gathers them with bytes +=, the tuned
one with bytes.join."""
import sys
import time

from codec import Described, Symbol
from codec_naive import NaiveEncoder
from codec_tuned import TunedEncoder

FRAGMENT = 64


def make_messages(count, body_size):
    msgs = []
    for i in range(count):
        body = bytes((i + k) & 0xFF for k in range(body_size))
        msgs.append({"id": i, "to": "queue://orders",
                     "headers": {"priority": i % 10, "source": "shop-%d" % (i % 4),
                                 "retry": False},
                     "body": [body[k:k + FRAGMENT] for k in range(0, body_size, FRAGMENT)]
                     or [b""]})
    return msgs


def run(codec, seconds):
    messages = make_messages(16, 16384)
    end = time.time() + seconds
    batches = 0
    size = 0
    while time.time() < end:
        size = len(codec.encode_batch(messages))
        batches += 1
    return batches, size


def selftest():
    for count, body in ((1, 0), (3, 10), (64, 4096), (5, 70000)):
        msgs = make_messages(count, body)
        a = NaiveEncoder().encode_batch(msgs)
        b = TunedEncoder().encode_batch(msgs)
        if a != b:
            print("selftest: codecs differ for %d x %d bytes" % (count, body))
            return 1
    # a known encoding: a described list with a uint, a binary and a symbol
    d = Described(0x14, [1, b"ab", Symbol("q")])
    want = bytes.fromhex("00 53 14 c0 0a 03 52 01 a0 02 61 62 a3 01 71".replace(" ", ""))
    out = bytearray()
    TunedEncoder().encode_described(out, d)
    got = bytes(out)
    if got != want:
        print("selftest: encoding %s, expected %s" % (got.hex(), want.hex()))
        return 1
    print("selftest: ok")
    return 0


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--selftest":
        return selftest()
    if len(sys.argv) < 2 or sys.argv[1] not in ("naive", "tuned"):
        print(__doc__)
        return 2
    codec = NaiveEncoder() if sys.argv[1] == "naive" else TunedEncoder()
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
    t0 = time.time()
    batches, size = run(codec, seconds)
    el = time.time() - t0
    print("%s: %d batches of 16 messages (%d bytes each) in %.2f s: %.0f messages/s"
          % (sys.argv[1], batches, size, el, 16 * batches / el))
    return 0


sys.exit(main())
