#!/bin/sh
# make bench: wall time of the CPU-bound workload (~8 s) unprofiled, under
# tprof (999 Hz, dwarf), and under perf's pipeline (perf record
# --call-graph=dwarf, then `perf script report stackcollapse`, which is perf
# script plus its collapse), all in this run, each RUNS times, interleaved;
# medians and ratios to the unprofiled time are printed.
#   BENCH_RUNS=N (default 3)  BENCH_SCALE=X (workload size, default 1.0)
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
W="$ROOT/build/bench/workload"
RUNS=${BENCH_RUNS:-3}
SCALE=${BENCH_SCALE:-1.0}
TMP=$(mktemp -d /tmp/tprof-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

now() { date +%s.%N; }
# timed NAME CMD...: run, append the elapsed seconds to $TMP/NAME
timed() {
    name=$1; shift
    t0=$(now)
    "$@" >/dev/null 2>>"$TMP/$name.err" || { echo "bench: '$*' failed: $(tail -1 "$TMP/$name.err")" >&2; exit 1; }
    t1=$(now)
    echo "$t0 $t1" | awk '{printf "%.3f\n", $2 - $1}' >>"$TMP/$name"
}
median() { sort -n "$1" | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

perf_pipeline() {
    (cd "$TMP" && perf record -q -F 999 --call-graph=dwarf -o perf.data -- "$W" "$SCALE" &&
        perf script report stackcollapse >perf.folded)
}

have_perf=1
perf record -q -o "$TMP/probe.data" -- true >/dev/null 2>&1 || have_perf=0

echo "workload: $W $SCALE, $RUNS runs each, $(nproc) CPUs, $(uname -r)"
for i in $(seq "$RUNS"); do
    timed base "$W" "$SCALE"
    timed tprof "$ROOT/tprof" -o "$TMP/tprof.folded" -- "$W" "$SCALE"
    if [ $have_perf = 1 ]; then
        timed perf_record sh -c "cd '$TMP' && perf record -q -F 999 --call-graph=dwarf -o rec.data -- '$W' '$SCALE'"
        timed perf_pipeline perf_pipeline
    fi
done

base=$(median "$TMP/base")
row() { printf "  %-44s %7.2f s  %5.3fx\n" "$1" "$2" "$(echo "$2 $base" | awk '{print $1 / $2}')"; }
echo
printf "  %-44s %7.2f s\n" "unprofiled" "$base"
row "tprof -F 999 -g dwarf -o (record+unwind+write)" "$(median "$TMP/tprof")"
if [ $have_perf = 1 ]; then
    row "perf record --call-graph=dwarf (record only)" "$(median "$TMP/perf_record")"
    row "perf record + perf script report stackcollapse" "$(median "$TMP/perf_pipeline")"
else
    echo "  perf: not usable here, skipped"
fi
# tprof's own cost per sample, from its summary line of the last run
tail -1 "$TMP/tprof.err" | sed -n 's/^tprof: \([0-9.]*\) s, \([0-9]*\) samples .*tprof CPU \([0-9.]*\) s.*/\1 \2 \3/p' |
    awk '{ if ($2 > 0) printf "\n  tprof: %d samples in %.1f s; its own CPU %.2f s = %.1f us per sample (%.1f%% of one CPU)\n", $2, $1, $3, 1e6 * $3 / $2, 100 * $3 / $1 }'
tail -1 "$TMP/tprof.err" | sed 's/^/  last summary: /'
