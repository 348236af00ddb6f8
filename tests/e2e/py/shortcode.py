"""Code objects that live a moment, as an import's do: each round builds a
new module (compile and exec, in build()) whose function run() computes
about a tenth of a millisecond, then drops it; its code objects are freed and
their addresses taken by the next round's. Every sample of a round's run()
must carry its name, read while the object lived. Both are timed with
time.thread_time_ns, and the program prints its own split at exit:
    split: run 80.2 build 19.8
usage: shortcode.py [SECONDS]"""
import sys
import time

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 3
SOURCE = """
def run(n):
    x = 0
    for i in range(n):
        x = (x + i) & 0xFFFF
    return x
"""
spent = {"run": 0, "build": 0}


def build(i):
    ns = {}
    exec(compile(SOURCE, "gen_%d.py" % i, "exec"), ns)
    return ns


def main():
    end = time.time() + SECONDS
    i = 0
    while time.time() < end:
        t = time.thread_time_ns()
        ns = build(i)
        t1 = time.thread_time_ns()
        ns["run"](3000)
        t2 = time.thread_time_ns()
        spent["build"] += t1 - t
        spent["run"] += t2 - t1
        ns.clear()  # (run's globals are ns: freed now, not by the collector)
        i += 1
    total = sum(spent.values())
    print("split: " + " ".join("%s %.1f" % (k, 100 * v / total) for k, v in spent.items()),
          flush=True)


main()
