"""Compare `tprof report --top N --width W` on a pstats file with what
Python's pstats reads from it (or, with --json, with a dump.py JSON file of
the conformance corpus): every function present, named as tprof names it,
self% = tottime and total% = cumtime as shares of pstats's total time,
within 0.1 point. Prints one line per difference; exit 1 when any.

usage: pstats_check.py (PROF | --json JSON) REPORT"""
import json
import re
import sys


def short(file):
    """tprof's python_short_file with no working directory."""
    best = None
    for m in re.finditer(r"(site|dist)-packages/", file):
        best = file[m.end():]
    if best:
        return best
    best = None
    for m in re.finditer(r"lib/python[0-9.]+/", file):
        if m.group(0) != "lib/python/" and file[m.end():]:
            best = file[m.end():]
    return best if best else file


def name(file, line, func):
    if line == 0 and file in ("~", ""):
        return func
    return "%s (%s:%d)" % (func, short(file), line)


def entries(args):
    """(name, tt, ct) per entry, and the total."""
    if args[0] == "--json":
        d = json.load(open(args[1]))
        return ([(name(e["file"], e["line"], e["func"]), e["tt"], e["ct"]) for e in d["entries"]],
                d["total_tt"], args[2])
    import pstats
    s = pstats.Stats(args[0])
    out = []
    for (file, line, func), v in s.stats.items():
        if not isinstance(func, str):  # a code object (the profile module's own entry)
            func = getattr(func, "co_qualname", func.co_name)
        out.append((name(file, line, func), v[2], v[3]))
    return out, s.total_tt, args[1]


def main():
    want, total, report = entries(sys.argv[1:])
    agg = {}
    for n, tt, ct in want:
        a = agg.setdefault(n, [0.0, 0.0])
        a[0] += tt
        a[1] += ct
    rows = {}
    for line in open(report, encoding="utf-8"):
        # (after the weights, the kind column: "[py] " or five spaces)
        m = re.match(r"^\s*([0-9.]+)%\s+([0-9.]+)%\s+([0-9.]+)\s+([0-9.]+)  (?:\[[a-z]+\] *| {5})(.*)$",
                     line.rstrip("\n"))
        if m:
            rows[m.group(5)] = (float(m.group(1)), float(m.group(2)))
    bad = 0
    for n, (tt, ct) in sorted(agg.items()):
        if n not in rows:
            print("missing: %s" % n)
            bad += 1
            continue
        s, t = rows[n]
        ws, wt = 100 * tt / total, 100 * ct / total
        if abs(s - ws) > 0.1 or abs(t - wt) > 0.1:
            print("%s: tprof self %.2f total %.2f, pstats %.2f %.2f" % (n, s, t, ws, wt))
            bad += 1
    for n in rows:
        if n not in agg:
            print("not in pstats: %s" % n)
            bad += 1
    print("%d functions, %d differ" % (len(agg), bad))
    sys.exit(1 if bad else 0)


main()
