#!/bin/sh
# make demo: record the bundled workload with tprof and print its hottest
# functions (self and total share of samples) from the folded profile.
# (The interactive viewer is not built yet; this is the headless demo.)
cd "$(dirname "$0")/.." || exit 1
out=${DEMO_OUTPUT:-demo.folded}
echo "\$ ./tprof -o $out -- build/bench/workload 0.3"
./tprof -o "$out" -- build/bench/workload 0.3 >/dev/null || exit 1
echo
echo "Hottest functions (self = samples where it is the leaf; total = on the stack):"
awk '
{
    n = $NF; line = $0; sub(/ [^ ]*$/, "", line)
    k = split(line, f, ";"); all += n
    self[f[k]] += n
    delete seen
    for (i = 2; i <= k; i++) if (!(f[i] in seen)) { seen[f[i]] = 1; total[f[i]] += n }
}
END {
    printf "  %6s %6s  %s\n", "self%", "total%", "function"
    for (fn in self) printf "  %6.1f %6.1f  %s\n", 100 * self[fn] / all, 100 * total[fn] / all, fn | "sort -rn | head -12"
}' "$out"
echo
echo "The full profile is in $out (collapsed stacks: flamegraph.pl, speedscope, ...)."
