"""Compare `go tool pprof -top` with `tprof report --top` on the same pprof
file: every function in both, flat% = self% and cum% = total% within 0.1
point (0.1 per row added up, for namesakes). Prints the differences and a
count; exit 1 when any.

usage: pprof_compare.py GO_TOP_OUTPUT TPROF_REPORT_OUTPUT"""
import re
import sys

go, tp = {}, {}
cum_max = {}  # the larger cum% of a name's rows
for line in open(sys.argv[1], encoding="utf-8"):
    # "    1480ms 98.67% 98.67%     1500ms   100%  main.spin"
    m = re.match(r"^\s*\S+\s+([0-9.]+)%\s+[0-9.]+%\s+\S+\s+([0-9.]+)%\s+(.*)$", line.rstrip("\n"))
    if m:
        # go tool pprof marks a function it saw only inlined "NAME
        # (inline)" (a row apart when it was also seen not inlined); tprof
        # names it NAME: the two are added up under NAME. Their flat% add;
        # their cum% add only for samples that had one of them, so where a
        # stack held both (malloc inlined and malloc called), tprof's
        # total% (each function once a stack) lies between the larger and
        # the sum.
        name = re.sub(r" \(inline\)$", "", m.group(3))
        pf, pc = go.get(name, (0.0, 0.0))
        go[name] = (pf + float(m.group(1)), pc + float(m.group(2)))
        cum_max[name] = max(cum_max.get(name, 0.0), float(m.group(2)))
for line in open(sys.argv[2], encoding="utf-8"):
    # (after the weights, report's kind column: "[k]  " or five spaces)
    m = re.match(r"^\s*([0-9.]+)%\s+([0-9.]+)%\s+\S+\s+\S+  (?:\[[a-z]+\] *| {5})(.*)$",
                 line.rstrip("\n"))
    if m:
        tp[m.group(3)] = (float(m.group(1)), float(m.group(2)))
# tprof names two functions of one name from two modules "NAME (MODULE)"
# (ld.so's _start and the program's); go tool pprof adds them up under
# NAME. They never share a stack, so flat and cum both add.
for name in list(tp):
    m = re.match(r"^(.*) \(([^():]+)\)$", name)
    if name not in go and m and m.group(1) in go:
        f, c = tp.pop(name)
        pf, pc = tp.get(m.group(1), (0.0, 0.0))
        tp[m.group(1)] = (pf + f, pc + c)
bad = 0
for name in sorted(set(go) | set(tp)):
    if name not in go or name not in tp:
        print("only in %s: %s" % ("go tool pprof" if name in go else "tprof", name))
        bad += 1
        continue
    (gf, gc), (tf, tc) = go[name], tp[name]
    if abs(gf - tf) > 0.1 or not cum_max.get(name, gc) - 0.1 <= tc <= gc + 0.1:
        print("%s: go tool pprof %.2f/%.2f, tprof %.2f/%.2f" % (name, gf, gc, tf, tc))
        bad += 1
print("%d functions, %d differ" % (len(go), bad))
sys.exit(1 if bad or not go else 0)
