#!/usr/bin/env python3
"""Per-function self and total percentages of a profile, for comparing tprof
with perf in the e2e tests.

  stackstats.py folded FILE            a folded file (tprof's; root = comm)
  stackstats.py perfscript FILE        `perf script --no-inline` text
  stackstats.py compare A B TOL [MIN] [--alias X=Y]... [--drop-root COMM]... [--skip F]...
        A, B are "kind:path"; every function whose total is >= MIN% (default 5)
        in B must be within TOL points of B in A, self and total. --alias
        renames X to Y on both sides first (perf and tprof pick different
        names among a function's aliases). --drop-root COMM leaves out the
        folded stacks whose root frame is COMM. --skip F leaves F unchecked.

A function's total is the share of samples whose stack contains it (once per
sample); its self is the share of samples where it is the leaf. Names are
normalised the same way for both sides: parameter lists and return types
dropped, symbol versions dropped, kernel frames suffixed _[k].
"""
import re
import sys
from collections import Counter


def norm(name):
    """'void ns::f<int>(int*) const' -> 'ns::f<int>'; 'f@@GLIBC_2.2' -> 'f'."""
    depth = 0
    for i, c in enumerate(name):
        if c in '<':
            depth += 1
        elif c == '>':
            depth -= 1
        elif c == '(' and depth == 0 and not name.startswith('(anonymous', i):
            name = name[:i]
            break
    depth = 0
    last_space = -1
    for i, c in enumerate(name):
        if c == '<':
            depth += 1
        elif c == '>':
            depth -= 1
        elif c == ' ' and depth == 0:
            last_space = i
    if last_space >= 0 and not name.endswith('_[k]'):
        name = name[last_space + 1:]
    if '@' in name[1:]:
        name = name[:name.index('@', 1)]
    return name


DROP_ROOTS = set()


def read_folded(path):
    stacks = Counter()
    with open(path) as f:
        for line in f:
            line = line.rstrip('\n')
            if not line.strip():
                continue
            stack, _, count = line.rpartition(' ')
            if stack.split(';')[0] in DROP_ROOTS:
                continue
            frames = stack.split(';')[1:]  # drop the comm root
            stacks[tuple(norm(x) for x in frames)] += float(count)
    return stacks


FRAME_RE = re.compile(r'^\s*([0-9a-f]+)\s+(.*?)\s+\((.*)\)\s*$')


def read_perfscript(path):
    stacks = Counter()
    frames = []
    in_sample = False
    with open(path, errors='replace') as f:
        for line in f:
            line = line.rstrip('\n')
            if not line.strip():
                if in_sample:
                    stacks[tuple(reversed(frames))] += 1
                frames, in_sample = [], False
                continue
            if not line[0].isspace():
                in_sample, frames = True, []
                continue
            m = FRAME_RE.match(line)
            if not m:
                continue
            sym, module = m.group(2), m.group(3)
            sym = re.sub(r'\+0x[0-9a-f]+$', '', sym)
            if module.endswith('kernel.kallsyms]'):
                sym += '_[k]'
            frames.append(norm(sym))
    if in_sample:
        stacks[tuple(reversed(frames))] += 1
    return stacks


def stats(stacks):
    total = sum(stacks.values()) or 1.0
    self_c, tot_c = Counter(), Counter()
    for frames, n in stacks.items():
        if frames:
            self_c[frames[-1]] += n
        for fn in set(frames):
            tot_c[fn] += n
    return ({k: 100.0 * v / total for k, v in self_c.items()},
            {k: 100.0 * v / total for k, v in tot_c.items()}, total)


def load(spec):
    kind, _, path = spec.partition(':')
    return read_folded(path) if kind == 'folded' else read_perfscript(path)


def main(argv):
    if len(argv) >= 3 and argv[1] in ('folded', 'perfscript'):
        s, t, n = stats(load(argv[1] + ':' + argv[2]))
        for fn in sorted(t, key=lambda k: -t[k])[:25]:
            print('%6.1f %6.1f  %s' % (s.get(fn, 0), t[fn], fn))
        print('samples: %d' % n)
        return 0
    if len(argv) >= 5 and argv[1] == 'compare':
        rest, aliases, skips = [], {}, set()
        args = iter(argv[5:])
        for a in args:
            if a == '--alias':
                x, _, y = next(args).partition('=')
                aliases[x] = y
            elif a == '--drop-root':
                DROP_ROOTS.add(next(args))
            elif a == '--skip':
                skips.add(next(args))
            else:
                rest.append(a)
        minpct = float(rest[0]) if rest else 5.0
        tol = float(argv[4])

        def renamed(stacks):
            out = Counter()
            for frames, n in stacks.items():
                out[tuple(aliases.get(f, f) for f in frames)] += n
            return out
        sa, ta, na = stats(renamed(load(argv[2])))
        sb, tb, nb = stats(renamed(load(argv[3])))
        bad, checked = [], 0
        for fn in sorted(tb, key=lambda k: -tb[k]):
            if tb[fn] < minpct or fn in skips:
                continue
            checked += 1
            ds = abs(sa.get(fn, 0) - sb.get(fn, 0))
            dt = abs(ta.get(fn, 0) - tb[fn])
            mark = 'ok' if ds <= tol and dt <= tol else 'BAD'
            print('%-4s %-50s self %5.1f vs %5.1f   total %5.1f vs %5.1f' %
                  (mark, fn[:50], sa.get(fn, 0), sb.get(fn, 0), ta.get(fn, 0), tb[fn]))
            if mark == 'BAD':
                bad.append(fn)
        print('samples: %d vs %d; %d functions checked, %d outside %.1f points' %
              (na, nb, checked, len(bad), tol))
        return 1 if bad or checked == 0 or na == 0 else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
