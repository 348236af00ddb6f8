# Stress: many more threads than CPUs, deep recursion, walks the unwinder
# ends early, threads waiting for a CPU in wall mode (issue 11, point 6).
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1

# N and M of the summary's "N ... samples ... M lost".
summary_counts() { sed -n 's/.* \([0-9]*\) [A-Za-z-]* samples (.*, \([0-9]*\) lost,.*/\1 \2/p' "$1" | tail -1; }

# ----- 200 spinning threads on the perf backend: at most 5% lost -----
"$TPROF" -o many.folded -- "$PROGS/manythreads" 200 3 >/dev/null 2>many.err
rc=$?
set -- $(summary_counts many.err)
got=${1:-0} lost=${2:-0}
pct=$(awk -v g="$got" -v l="$lost" 'BEGIN { printf "%.1f", (g + l) ? 100 * l / (g + l) : 100 }')
# perf record on the same program, for comparison (its own loss, as it reports it)
perf record -q -F 999 --call-graph=dwarf -o many.data -- "$PROGS/manythreads" 200 3 >/dev/null 2>many.perf.err
perf_lost=$(sed -n 's/.*lost \([0-9.]*\)%.*/\1/p' many.perf.err | tail -1)
[ $rc -eq 0 ] && [ "$got" -gt 0 ] && awk -v p="$pct" 'BEGIN { exit !(p <= 5) }' &&
    grep -q 'spin_hot [0-9]*$' many.folded
check "200 spinning threads: $pct% of samples lost (perf record: ${perf_lost:-0}%)" $? \
    "rc=$rc $(tail -1 many.err)"

# ----- deep recursion: the innermost frames kept, the cut marked -----
"$TPROF" --max-depth 100 -o deep.folded -- "$PROGS/deep" 1 10000 >/dev/null 2>deep.err
rc=$?
cut=$(awk '{ n += $NF; if ($1 ~ /^deep;\[truncated\];descend;/ && $1 ~ /;(descend|leaf_work)$/) c += $NF }
           END { printf "%d", n ? 100 * c / n : 0 }' deep.folded)
[ $rc -eq 0 ] && [ "$cut" -ge 90 ] && grep -q 'cut at --max-depth 100' deep.err &&
    grep -Eq ' [0-9]\.[0-9]% unwound short of a root' deep.err &&
    awk -F';' '{ u = 0; for (i = 3; i <= NF; i++) if ($i !~ /_\[k\]/) u++; if (u > 100) exit 1 }' deep.folded
check "deep recursion: $cut% of stacks keep the innermost 100 frames under [truncated], counted apart" $? \
    "rc=$rc $(tail -1 deep.err) $(head -c 200 deep.folded)"

# ----- a walk the unwinder ends early is short of a root -----
# (CFI that marks the return address undefined ends libunwind's walk as if
# at _start; no entry point was reached)
"$TPROF" -o cfiend.folded -- "$PROGS/hostile" cfiend 1 >/dev/null 2>cfiend.err
rc=$?
short=$(sed -n 's/.* \([0-9.]*\)% unwound short of a root.*/\1/p' cfiend.err)
[ $rc -eq 0 ] && awk -v s="${short:-0}" 'BEGIN { exit !(s >= 90) }'
check "a walk ended before any entry point counts as short of a root (${short:-?}%)" $? \
    "rc=$rc $(tail -1 cfiend.err)"

# ----- wall mode: threads waiting for a CPU are sampled -----
# 8 spinning threads on the CPUs there are, and main blocked in
# pthread_join: every thread exists for the whole run, so each should get
# the same share of wall-clock samples (1/9). Counting only running and
# blocked threads gave main 35%.
"$TPROF" --mode wall --threads -o wall.folded -- "$PROGS/manythreads" 8 3 >/dev/null 2>wall.err
rc=$?
main_share=$(awk '{ split($1, f, ";"); split(f[1], id, "/"); n += $NF
                    if (id[1] ~ /-[0-9]+$/ && id[2] == substr(id[1], index(id[1], "-") + 1)) m += $NF }
                  END { printf "%d", n ? 100 * m / n : 0 }' wall.folded)
[ $rc -eq 0 ] && [ "$main_share" -ge 6 ] && [ "$main_share" -le 20 ]
check "wall mode: runnable threads waiting for a CPU are sampled (main $main_share%, 11% expected)" $? \
    "rc=$rc $(tail -1 wall.err) $(cut -d';' -f1 wall.folded | sort | uniq -c | head)"
