#!/bin/sh
# make bench, first part: what tprof costs, the figures of the README's
# cost section, each line with what reproduces it.
#   start-up  ms from tprof's start to the program's first instruction
#             (bench/t0.c prints the time it started; `python3 -S -c` its
#             first line), median of 5, with tprof's cache empty (first
#             run) and warm
#   overhead  the CPU-bound workload (BENCH_SCALE 0.4: 3.3 s) unprofiled
#             and under `tprof -o` with default options, COST_PAIRS (5)
#             interleaved pairs, the median of the pairs' ratios; first
#             runs (cache emptied before each) and warm runs; beside them
#             `perf record --call-graph=dwarf` and perf's pipeline (perf
#             record + perf script report stackcollapse), once a pair;
#             bench/pywork.py at 999 Hz the same way
#   per sample  tprof's CPU per sample from its summary (set-up apart),
#             median over the warm runs; and the replay (bench/replay.c):
#             one recording's records fed through the pipeline with no
#             target, samples per second of one core
#   reading   `tprof report --top 10` on folded files of two shapes
#             (bench/genfolded.c: 100,000 stacks with long templated names
#             and long-tailed counts, and 300,000 stacks of short names), MB/s
#             and peak RSS against the file; the viewer's load and first
#             screen on the first; flamegraph.pl on it when FLAMEGRAPH_DIR
#             points at a FlameGraph checkout (not packaged), else skipped
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
W="$ROOT/build/bench/workload"
PAIRS=${COST_PAIRS:-5}
TMP=$(mktemp -d /tmp/tprof-cost.XXXXXX)
: >"$TMP/.t0"
. "$ROOT/scripts/runtime-files.sh"
trap 'runtime_files_clean "$TMP/.t0"; rm -rf "$TMP"' EXIT
median() { sort -n "$1" | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
spread() { sort -n "$1" | awk '{v[NR]=$1} END {printf "%.3f-%.3f", v[1], v[NR]}'; }
now() { date +%s.%N; }
WARM="$TMP/cache-warm"
cold() { rm -rf "$TMP/cache-cold"; }
have_perf=1
perf record -q -o "$TMP/probe.data" -- true >/dev/null 2>&1 || have_perf=0

echo "cost ($(nproc) CPUs, $(uname -r)); tprof's cache: a fresh one per cold run, one kept warm"

# ----- start-up -----
startup() { # CACHE PROG...: ms from tprof's start to the program's first line
    cache=$1; shift
    a=$(now)
    b=$(XDG_CACHE_HOME=$cache "$ROOT/tprof" -o "$TMP/s.folded" -- "$@" 2>/dev/null | tail -1)
    echo "$a $b" | awk '{printf "%.1f\n", ($2 - $1) * 1000}'
}
PY=/usr/bin/python3.11
PYLINE='import time; print("%.9f" % time.time())'
: >"$TMP/st.native.cold"; : >"$TMP/st.native.warm"; : >"$TMP/st.py.cold"; : >"$TMP/st.py.warm"
startup "$WARM" "$ROOT/build/bench/t0" >/dev/null
[ -x "$PY" ] && startup "$WARM" "$PY" -S -c "$PYLINE" >/dev/null
for i in 1 2 3 4 5; do
    cold; startup "$TMP/cache-cold" "$ROOT/build/bench/t0" >>"$TMP/st.native.cold"
    startup "$WARM" "$ROOT/build/bench/t0" >>"$TMP/st.native.warm"
    if [ -x "$PY" ]; then
        cold; startup "$TMP/cache-cold" "$PY" -S -c "$PYLINE" >>"$TMP/st.py.cold"
        startup "$WARM" "$PY" -S -c "$PYLINE" >>"$TMP/st.py.warm"
    fi
done
a=$(now); "$ROOT/build/bench/t0" >"$TMP/bare"; b=$(tail -1 "$TMP/bare")
bare=$(echo "$a $b" | awk '{printf "%.1f", ($2 - $1) * 1000}')
echo "start-up, ms from tprof's start to the program's first instruction (median of 5; the program alone: $bare ms):"
printf "  %-40s first run %6.1f ms, warm %6.1f ms\n" "native (bench/t0)" \
    "$(median "$TMP/st.native.cold")" "$(median "$TMP/st.native.warm")"
if [ -s "$TMP/st.py.warm" ]; then
    : >"$TMP/st.py.bare"
    for i in 1 2 3 4 5; do
        a=$(now); b=$("$PY" -S -c "$PYLINE")
        echo "$a $b" | awk '{printf "%.1f\n", ($2 - $1) * 1000}' >>"$TMP/st.py.bare"
    done
    printf "  %-40s first run %6.1f ms, warm %6.1f ms (alone: %.1f ms)\n" \
        "python3.11 -S -c (its first line)" "$(median "$TMP/st.py.cold")" \
        "$(median "$TMP/st.py.warm")" "$(median "$TMP/st.py.bare")"
fi

# ----- overhead -----
# timed OUT CMD...: the command's wall time in seconds, appended to OUT
timed() {
    t_out=$1; shift
    t_a=$(now)
    "$@" >/dev/null 2>"$TMP/last.err" || { echo "bench: '$*' failed: $(tail -1 "$TMP/last.err")" >&2; exit 1; }
    t_b=$(now)
    echo "$t_a $t_b" | awk '{printf "%.4f\n", $2 - $1}' >>"$t_out"
}
ratio_to() { echo "$1 $2" | awk '{printf "%.4f\n", $1 / $2}'; }
SC=${BENCH_SCALE:-0.4}
for f in base cold warm perf pipe ratio.cold ratio.warm ratio.perf ratio.pipe us; do : >"$TMP/o.$f"; done
XDG_CACHE_HOME=$WARM "$ROOT/tprof" -o "$TMP/w.folded" -- "$W" "$SC" >/dev/null 2>&1 # (warms)
for i in $(seq "$PAIRS"); do
    : >"$TMP/one"; timed "$TMP/one" "$W" "$SC"; base_t=$(cat "$TMP/one"); echo "$base_t" >>"$TMP/o.base"
    cold
    : >"$TMP/one"; timed "$TMP/one" env XDG_CACHE_HOME="$TMP/cache-cold" "$ROOT/tprof" -o "$TMP/c.folded" -- "$W" "$SC"
    ratio_to "$(cat "$TMP/one")" "$base_t" >>"$TMP/o.ratio.cold"
    : >"$TMP/one"; timed "$TMP/one" env XDG_CACHE_HOME="$WARM" "$ROOT/tprof" -o "$TMP/w.folded" -- "$W" "$SC"
    ratio_to "$(cat "$TMP/one")" "$base_t" >>"$TMP/o.ratio.warm"
    sed -n 's/.* \([0-9]*\) us a sample.*/\1/p' "$TMP/last.err" >>"$TMP/o.us"
    if [ $have_perf = 1 ]; then
        : >"$TMP/one"; timed "$TMP/one" perf record -q -F 999 --call-graph=dwarf -o "$TMP/p.data" -- "$W" "$SC"
        ratio_to "$(cat "$TMP/one")" "$base_t" >>"$TMP/o.ratio.perf"
        : >"$TMP/one"
        timed "$TMP/one" sh -c "cd '$TMP' && perf record -q -F 999 --call-graph=dwarf -o perf.data -- '$W' '$SC' && perf script report stackcollapse"
        ratio_to "$(cat "$TMP/one")" "$base_t" >>"$TMP/o.ratio.pipe"
    fi
done
echo "overhead, the workload ($SC: $(median "$TMP/o.base") s unprofiled), wall time over unprofiled, median of $PAIRS interleaved pairs (range):"
printf "  %-40s %5.3fx (%s)\n" "tprof -o, first run (cache empty)" "$(median "$TMP/o.ratio.cold")" "$(spread "$TMP/o.ratio.cold")"
printf "  %-40s %5.3fx (%s)\n" "tprof -o, warm" "$(median "$TMP/o.ratio.warm")" "$(spread "$TMP/o.ratio.warm")"
if [ $have_perf = 1 ]; then
    printf "  %-40s %5.3fx (%s)\n" "perf record --call-graph=dwarf" "$(median "$TMP/o.ratio.perf")" "$(spread "$TMP/o.ratio.perf")"
    printf "  %-40s %5.3fx (%s)\n" "perf record + perf script stackcollapse" "$(median "$TMP/o.ratio.pipe")" "$(spread "$TMP/o.ratio.pipe")"
else
    echo "  perf: not usable here, skipped"
fi
tail -1 "$TMP/last.err" | sed 's/^/  last summary: /'

PW="$ROOT/bench/pywork.py"
if [ -x "$PY" ]; then
    : >"$TMP/py.ratio"
    for i in $(seq "$PAIRS"); do
        a=$("$PY" "$PW" 60000 | tail -1)
        b=$(XDG_CACHE_HOME=$WARM "$ROOT/tprof" -F 999 -o "$TMP/py.folded" -- "$PY" "$PW" 60000 2>/dev/null | tail -1)
        echo "$b $a" | awk '$2 > 0 {printf "%.4f\n", $1 / $2}' >>"$TMP/py.ratio"
    done
    printf "  %-40s %5.3fx (%s), the program's own time\n" "bench/pywork.py, 999 Hz, warm" \
        "$(median "$TMP/py.ratio")" "$(spread "$TMP/py.ratio")"
fi

# ----- per sample -----
echo "per sample:"
printf "  %-40s %s us (median of the warm runs' summaries; %s)\n" "tprof's CPU, set-up apart" \
    "$(median "$TMP/o.us")" "$(sort -n "$TMP/o.us" | tr '\n' ' ' | sed 's/ $//')"
R="$ROOT/build/bench/replay"
if "$R" record "$TMP/w.rec" -- "$W" "$SC" >/dev/null 2>&1; then
    XDG_CACHE_HOME=$WARM "$R" run "$TMP/w.rec" 3 | sed 's/^/  replay (unwind, symbols, profile): /'
else
    echo "  replay: the recording failed"
fi

# ----- reading -----
B="$ROOT/build/bench"
T="$B/templated.folded"
[ -s "$T" ] || "$B/genfolded" "$T" 100000 templated 2>/dev/null || exit 1
[ -s "$B/big.folded" ] || "$B/genfolded" "$B/big.folded" 300000 2>/dev/null || exit 1
echo "reading (tprof report --top 10, best of 3; the file in the page cache):"
for F in "$T" "$B/big.folded"; do
    cat "$F" >/dev/null
    size=$(stat -c %s "$F")
    : >"$TMP/rd"
    for i in 1 2 3; do
        /usr/bin/time -f "%e %M" -o "$TMP/rd.one" "$ROOT/tprof" report --top 10 "$F" >/dev/null || exit 1
        cat "$TMP/rd.one" >>"$TMP/rd"
    done
    [ "$F" = "$T" ] && best_t=$(sort -n "$TMP/rd" | head -1 | cut -d' ' -f1)
    sort -n "$TMP/rd" | head -1 | awk -v s="$size" -v f="$(basename "$F")" '{
        printf "  %-22s %4.0f MB: %.2f s, %.0f MB/s, peak RSS %.0f MB (%.2fx the file)\n",
            f, s / 1e6, $1, s / 1e6 / ($1 > 0 ? $1 : 0.01), $2 / 1024, $2 * 1024 / s }'
done
"$B/viewbench" "$T" 200 50 | head -2 | sed "s/^  /  viewer on templated.folded: /"
FG=${FLAMEGRAPH_DIR:-}
if [ -n "$FG" ] && [ -f "$FG/flamegraph.pl" ]; then
    a=$(now); perl "$FG/flamegraph.pl" "$T" >"$TMP/fg.svg"; b=$(now)
    echo "$a $b $best_t" | awk '{printf "  flamegraph.pl on templated.folded: %.1f s (tprof report %.0fx faster)\n", $2 - $1, ($2 - $1) / $3}'
else
    echo "  flamegraph.pl: skipped (set FLAMEGRAPH_DIR to a FlameGraph checkout)"
fi
