#!/bin/sh
# make bench: wall time of the CPU-bound workload (~8 s) unprofiled, under
# tprof (999 Hz, dwarf), and under perf's pipeline (perf record
# --call-graph=dwarf, then `perf script report stackcollapse`, which is perf
# script plus its collapse), all in this run, each RUNS times, interleaved;
# medians and ratios to the unprofiled time are printed. The ptrace backend
# (where perf_event_open is refused) is timed at 99 Hz and 999 Hz next to
# the perf backend at the same rates.
#   BENCH_RUNS=N (default 3)  BENCH_SCALE=X (workload size, default 1.0)
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
W="$ROOT/build/bench/workload"
RUNS=${BENCH_RUNS:-3}
SCALE=${BENCH_SCALE:-1.0}
TMP=$(mktemp -d /tmp/tprof-bench.XXXXXX)
: >"$TMP/.t0"
. "$ROOT/scripts/runtime-files.sh"
trap 'runtime_files_clean "$TMP/.t0"; rm -rf "$TMP"' EXIT

now() { date +%s.%N; }
# timed NAME CMD...: run, append the elapsed seconds to $TMP/NAME and the
# workload's own reported time to $TMP/NAME.self
timed() {
    name=$1; shift
    t0=$(now)
    "$@" >/dev/null 2>"$TMP/$name.last" || { echo "bench: '$*' failed: $(tail -1 "$TMP/$name.last")" >&2; exit 1; }
    t1=$(now)
    cat "$TMP/$name.last" >>"$TMP/$name.err"
    echo "$t0 $t1" | awk '{printf "%.3f\n", $2 - $1}' >>"$TMP/$name"
    sed -n 's/^workload: \([0-9.]*\) s$/\1/p' "$TMP/$name.last" >>"$TMP/$name.self"
}

# live: tprof's viewer in a tmux terminal (120x40, 2 redraws/s); the
# workload's own time comes back through tprof's output capture after q.
SOCK="tprof-bench-$$"
live_run() {
    tmux -L "$SOCK" -f /dev/null new-session -d -s b -x 120 -y 40 \
        "env LANG=C.UTF-8 TERM=screen '$ROOT/tprof' -- '$W' '$SCALE'; sleep 600" || return 1
    i=0
    until tmux -L "$SOCK" capture-pane -p -t b | grep -q "exited 0"; do
        sleep 0.2; i=$((i + 1))
        [ $i -gt 1500 ] && { echo "bench: live run did not finish" >&2; return 1; }
    done
    tmux -L "$SOCK" send-keys -t b q
    # (q asks first when the profile is not saved: q again quits)
    i=0
    until tmux -L "$SOCK" capture-pane -p -t b | grep -q "q again quits"; do
        sleep 0.1; i=$((i + 1)); [ $i -gt 50 ] && break
    done
    tmux -L "$SOCK" send-keys -t b q
    i=0
    until tmux -L "$SOCK" capture-pane -p -t b | grep -q "^workload: "; do
        sleep 0.1; i=$((i + 1)); [ $i -gt 100 ] && break
    done
    tmux -L "$SOCK" capture-pane -p -t b | sed -n 's/^workload: \([0-9.]*\) s$/\1/p' >>"$TMP/live.self"
    tmux -L "$SOCK" capture-pane -pJ -t b | grep "tprof CPU" | tail -1 >"$TMP/live.err"
    tmux -L "$SOCK" kill-server
}
have_tmux=1
command -v tmux >/dev/null 2>&1 || have_tmux=0
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
    timed perf99 "$ROOT/tprof" --backend perf -F 99 -o "$TMP/p99.folded" -- "$W" "$SCALE"
    timed ptrace99 "$ROOT/tprof" --backend ptrace -F 99 -o "$TMP/t99.folded" -- "$W" "$SCALE"
    timed ptrace999 "$ROOT/tprof" --backend ptrace -F 999 -o "$TMP/t999.folded" -- "$W" "$SCALE"
    [ $have_tmux = 1 ] && { live_run || have_tmux=0; }
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
echo "  backends, same workload (tprof -o, dwarf):"
row "  perf_event_open,  99 Hz" "$(median "$TMP/perf99")"
row "  ptrace,           99 Hz" "$(median "$TMP/ptrace99")"
row "  perf_event_open, 999 Hz" "$(median "$TMP/tprof")"
row "  ptrace,          999 Hz" "$(median "$TMP/ptrace999")"
for f in ptrace99 ptrace999; do
    tail -1 "$TMP/$f.err" | sed -n 's/.*\(threads stopped [0-9]* times for [0-9]* us each\).*/\1/p' |
        sed "s/^/  $f: /"
    grep -h 'lowered' "$TMP/$f.err" | sort -u | sed "s/^/  $f: /"
done
if [ $have_tmux = 1 ] && [ -s "$TMP/live.self" ]; then
    bself=$(median "$TMP/base.self")
    lself=$(median "$TMP/live.self")
    tself=$(median "$TMP/tprof.self")
    echo "  the workload's own wall time (printed by it; the same measure live):"
    printf "  %-44s %7.2f s\n" "  unprofiled" "$bself"
    printf "  %-44s %7.2f s  %5.3fx\n" "  under tprof -o (headless)" "$tself" "$(echo "$tself $bself" | awk '{print $1 / $2}')"
    printf "  %-44s %7.2f s  %5.3fx\n" "  under tprof live (viewer, 2 redraws/s)" "$lself" "$(echo "$lself $bself" | awk '{print $1 / $2}')"
    sed 's/^/  live summary: /' "$TMP/live.err"
elif [ $have_tmux = 1 ]; then
    echo "  live: no figure (the viewer's run in tmux printed no workload time)"
else
    echo "  live: tmux not available, skipped"
fi
if [ $have_perf = 1 ]; then
    row "perf record --call-graph=dwarf (record only)" "$(median "$TMP/perf_record")"
    row "perf record + perf script report stackcollapse" "$(median "$TMP/perf_pipeline")"
else
    echo "  perf: not usable here, skipped"
fi
# tprof's own cost per sample, from its summary line of the last run
tail -1 "$TMP/tprof.err" | sed -n 's/^tprof: \([0-9.]*\) s, \([0-9]*\) on-CPU samples .*tprof CPU \([0-9.]*\) s.*/\1 \2 \3/p' |
    awk '{ if ($2 > 0) printf "\n  tprof: %d samples in %.1f s; its own CPU %.2f s = %.1f us per sample (%.1f%% of one CPU)\n", $2, $1, $3, 1e6 * $3 / $2, 100 * $3 / $1 }'
tail -1 "$TMP/tprof.err" | sed 's/^/  last summary: /'

# Many more runnable threads than CPUs (200 spinning threads, 3 s): the
# share of samples lost by tprof and by perf record on the same program.
MT="$ROOT/build/progs/manythreads"
if [ -x "$MT" ]; then
    echo
    echo "200 spinning threads on $(nproc) CPUs, 3 s (samples lost):"
    for i in $(seq "$RUNS"); do
        "$ROOT/tprof" -o "$TMP/mt.folded" -- "$MT" 200 3 >/dev/null 2>"$TMP/mt.err"
        tail -1 "$TMP/mt.err" | sed -n 's/.* \([0-9]*\) on-CPU samples .*, \([0-9]*\) lost,.*/\1 \2/p' |
            awk '{ printf "  tprof:       %6d samples, %5d lost (%.1f%%)\n", $1, $2, ($1 + $2) ? 100 * $2 / ($1 + $2) : 0 }'
        if [ $have_perf = 1 ]; then
            perf record -F 999 --call-graph=dwarf -o "$TMP/mt.data" -- "$MT" 200 3 >/dev/null 2>"$TMP/mt.perf"
            n=$(sed -n 's/.*(\([0-9]*\) samples).*/\1/p' "$TMP/mt.perf" | tail -1)
            l=$(sed -n 's/.*lost \([0-9.]*\)%.*/\1/p' "$TMP/mt.perf" | tail -1)
            printf "  perf record: %6s samples, lost %s%%\n" "${n:-?}" "${l:-0}"
        fi
    done
fi

# Sampling per CPU (the default as root) against per task (--per-task):
# (1) what each sees of 5000 threads of 0.2 ms (tests' shortthreads: the
# samples' coverage of the program's CPU); (2) what sampling every CPU
# costs a busy machine: a neighbour doing fixed work (bench/pywork.py,
# timed by itself) beside a profiled CPU-bound program (hot, 4 s), in
# interleaved triples: alone, beside tprof --per-task, beside tprof per
# CPU. Per CPU its samples are taken and dropped by tprof's kernel program
# before their stack is copied; the ratio is the neighbour's time over its
# time alone (median, range).
ST="$ROOT/build/progs/shortthreads"
if [ -x "$ST" ] && [ "$(id -u)" = 0 ]; then
    echo
    echo "5000 threads of 0.2 ms each, samples' coverage of the program's CPU:"
    for m in "per CPU|" "per task|--per-task"; do
        # shellcheck disable=SC2086 # the option is a word or none
        "$ROOT/tprof" ${m#*|} -o "$TMP/st.folded" -- "$ST" 5000 200 >/dev/null 2>"$TMP/st.err"
        printf "  %-10s %s\n" "${m%%|*}:" "$(tail -1 "$TMP/st.err" |
            sed -n 's/.* \([0-9]*\) on-CPU samples.*samples cover \([0-9]*%\) of \([0-9.]*\) s CPU.*/\1 samples, cover \2 of \3 s/p')"
    done
    NB=/usr/bin/python3
    if [ -x "$NB" ]; then
        echo "A neighbour's fixed work (bench/pywork.py 30000) beside a profiled hot 4, $RUNS triples:"
        : >"$TMP/nb.task"; : >"$TMP/nb.cpu"
        nb() { "$NB" "$ROOT/bench/pywork.py" 30000 | tail -1; }
        for i in $(seq "$RUNS"); do
            alone=$(nb)
            for m in "task|--per-task" "cpu|"; do
                # shellcheck disable=SC2086
                "$ROOT/tprof" ${m#*|} -o "$TMP/nbt.folded" -- "$ROOT/build/progs/hot" 4 \
                    >/dev/null 2>"$TMP/nb.$i.${m%%|*}.err" &
                tp=$!
                sleep 0.3
                t=$(nb)
                wait $tp
                echo "$alone $t" | awk '$1 > 0 {print $2 / $1}' >>"$TMP/nb.${m%%|*}"
            done
        done
        for m in task cpu; do
            printf "  %-10s neighbour %5.3fx (%s), tprof CPU %s\n" "per $m:" "$(median "$TMP/nb.$m")" \
                "$(sort -n "$TMP/nb.$m" | awk '{r[NR] = $1} END {printf "%.3f-%.3f", r[1], r[NR]}')" \
                "$(tail -1 "$TMP/nb.1.$m.err" | sed -n 's/.*tprof CPU \([0-9.]* s ([^)]*)\).*/\1/p')"
        done
    fi
fi

# The AMQP showcase: naive vs tuned codec (issue target: tuned >= 5x).
if [ -x "$ROOT/build/amqp-bench" ]; then
    echo
    echo "amqp-bench --compare (codec path, encode + decode of a 1 KiB message):"
    "$ROOT/build/amqp-bench" --compare --seconds 4 | sed 's/^/  /'
fi

# Python: the tuned pure-Python AMQP encoder (examples/amqp-python) under
# Debian's CPython, 4 s per run, unprofiled and under tprof at 999 Hz on
# both backends, in pairs; the slowdown is the unprofiled throughput over
# the profiled one in each pair, and the median of those ratios is shown
# (a pair is run back to back, so the host's slow drifts cancel), with
# their range; tprof's own CPU per sample comes from its summary line,
# next to the native figure above.
PY=/usr/bin/python3.11
PYB="$ROOT/examples/amqp-python/amqp_bench.py"
if [ -x "$PY" ]; then
    echo
    echo "CPython 3.11 (Debian), amqp_bench.py tuned, 4 s, $((RUNS > 5 ? RUNS : 5)) pairs:"
    rate() { sed -n 's/.*: \([0-9]*\) messages\/s$/\1/p'; }
    for i in $(seq $((RUNS > 5 ? RUNS : 5))); do
        "$PY" "$PYB" tuned 4 | rate >>"$TMP/py.base"
        "$ROOT/tprof" -o "$TMP/py.folded" -- "$PY" "$PYB" tuned 4 2>"$TMP/py.err" | rate >>"$TMP/py.perf"
        tail -1 "$TMP/py.err" >>"$TMP/py.perf.sum"
        "$ROOT/tprof" --backend ptrace -o "$TMP/pyt.folded" -- "$PY" "$PYB" tuned 4 2>"$TMP/pyt.err" |
            rate >>"$TMP/py.ptrace"
        tail -1 "$TMP/pyt.err" >>"$TMP/py.ptrace.sum"
    done
    pb=$(median "$TMP/py.base")
    for b in perf ptrace; do
        pr=$(median "$TMP/py.$b")
        paste "$TMP/py.base" "$TMP/py.$b" | awk '$2 > 0 {print $1 / $2}' >"$TMP/py.$b.ratio"
        printf "  %-44s %7d msg/s  %5.3fx (pairs %s)\n" "tprof -F 999, $b" "$pr" \
            "$(median "$TMP/py.$b.ratio")" "$(sort -n "$TMP/py.$b.ratio" | awk '{r[NR] = $1} END {printf "%.3f-%.3f", r[1], r[NR]}')"
        tail -1 "$TMP/py.$b.sum" |
            sed -n 's/^tprof: \([0-9.]*\) s, \([0-9]*\) on-CPU samples .*, \([0-9.]*\)% of [0-9]* Python samples inconsistent.*tprof CPU \([0-9.]*\) s.*/\1 \2 \3 \4/p' |
            awk -v b="$b" '{ printf "  %-44s %.1f us of tprof CPU per sample, %.1f%% inconsistent\n", "  " b ":", 1e6 * $4 / $2, $3 }'
    done
    printf "  %-44s %7d msg/s\n" "unprofiled" "$pb"

    # A CPU-bound pure-Python program (bench/pywork.py, fixed work, ~1.5 s,
    # timed by itself): unprofiled and under tprof in pairs, at 999 Hz on
    # both backends. At 999 Hz the cost is smaller than this machine's
    # run-to-run noise (two unprofiled runs differ by up to 30% on a busy
    # host), so it is also measured where it stands out: at 4999 Hz, five
    # times the samples, with and without Python frames, the slowdown per
    # sample in microseconds of the program's time, and what that makes at
    # 999 Hz.
    PW="$ROOT/bench/pywork.py"
    PAIRS=$((RUNS > 7 ? RUNS : 7))
    echo
    echo "CPython 3.11 (Debian), bench/pywork.py (CPU-bound, fixed work), $PAIRS pairs:"
    pyrun() { "$@" 2>"$TMP/pw.err" | tail -1; }
    for i in $(seq "$PAIRS"); do
        base=$(pyrun "$PY" "$PW")
        for c in "perf|-F 999" "ptrace|-F 999 --backend ptrace" "perf4999|-F 4999" \
                 "off4999|-F 4999 --python=off"; do
            # shellcheck disable=SC2086 # the options are words
            t=$(pyrun "$ROOT/tprof" ${c#*|} -o "$TMP/pw.folded" -- "$PY" "$PW")
            echo "$base $t" | awk '$1 > 0 && $2 > 0 {print $2 / $1}' >>"$TMP/pw.${c%%|*}"
            tail -1 "$TMP/pw.err" >>"$TMP/pw.${c%%|*}.sum"
        done
    done
    pyrange() { sort -n "$1" | awk '{r[NR] = $1} END {printf "%.3f-%.3f", r[1], r[NR]}'; }
    for b in perf ptrace; do
        printf "  %-44s %5.3fx (pairs %s)\n" "tprof -F 999, $b" "$(median "$TMP/pw.$b")" \
            "$(pyrange "$TMP/pw.$b")"
    done
    for b in perf4999 off4999; do
        m=$(median "$TMP/pw.$b")
        label="tprof -F 4999$([ $b = off4999 ] && echo ' --python=off')"
        awk -v m="$m" -v l="$label" -v r="$(pyrange "$TMP/pw.$b")" 'BEGIN {
            printf "  %-44s %5.3fx (pairs %s): %.1f us a sample, %.3fx at 999 Hz\n",
                   l, m, r, (m - 1) / 4999 * 1e6, 1 + (m - 1) / 4999 * 999 }'
    done
    tail -1 "$TMP/pw.perf.sum" |
        sed -n 's/^tprof: \([0-9.]*\) s, \([0-9]*\) on-CPU samples .*, \([0-9.]*\)% of [0-9]* Python samples inconsistent.*tprof CPU \([0-9.]*\) s.*/\1 \2 \3 \4/p' |
        awk '{ printf "  %-44s %.1f us of tprof CPU per sample, %.1f%% inconsistent\n", "  perf, 999 Hz:", 1e6 * $4 / $2, $3 }'

    # What the read delay costs a short call through C: keyfn (10% of the
    # loop by construction, run from sorted()) at two call lengths,
    # its share on each backend (ptrace reads with the thread stopped).
    # (Here one iteration is about 30 ns: 0.3 ms and 1.5 ms a call.)
    echo
    echo "CPython 3.11, tests/e2e/py/split.py, keyfn's share (10% by construction), 3 s:"
    keyfn() {
        awk '{ n = $NF; if ($0 !~ /;main \([^;]*split\.py:/) next; t += n
               if ($0 ~ /;keyfn \(/) k += n }
             END { if (t) printf "%.1f%%", 100 * k / t; else printf "-" }' "$1"
    }
    for unit in 1000 5000; do
        line=""
        for b in perf ptrace; do
            "$ROOT/tprof" --backend $b -o "$TMP/split.folded" -- \
                "$PY" "$ROOT/tests/e2e/py/split.py" 3 $unit >/dev/null 2>"$TMP/split.err"
            inc=$(sed -n 's/.*, \([0-9.]*\)% of [0-9]* Python samples inconsistent.*/\1/p' "$TMP/split.err")
            line="$line  $b $(keyfn "$TMP/split.folded") (${inc:-?}% inconsistent)"
        done
        printf "  %-44s%s\n" "keyfn, $((unit * 10)) iterations a call:" "$line"
    done
else
    echo
    echo "CPython: $PY not installed, skipped"
fi

# JIT code in the default (DWARF) mode: the share of samples whose stack
# reaches _start through JIT frames, and tprof's CPU per sample, under tprof
# and under perf record --call-graph=dwarf (its perf script read back by
# tprof convert), for node --perf-basic-prof, node --perf-prof (a jitdump,
# with unwinding-info records), python3.12 -X perf (pyenv's, when present)
# and tests' jitmap, whose JIT function keeps no frame pointer and has its
# CFI in its jitdump. perf's unwinder stops at the first frame without CFI
# (perf record alone: perf inject --jit needs the runtime's timestamps in
# perf's clock, which jitmap does not write). Run in $TMP, where the
# jitdumps are written.
JS="$TMP/jit.js"
cat >"$JS" <<'JSEOF'
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
const end = Date.now() + 3000;
let t = 0;
while (Date.now() < end) t += fib(22);
console.log(t > 0 ? "ok" : "no");
JSEOF
JPY="$TMP/jit.py"
printf 'import time\ndef fib(n): return n if n < 2 else fib(n-1) + fib(n-2)\nend = time.time() + 3\nwhile time.time() < end: fib(18)\n' >"$JPY"
P12=$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12.*/bin/python3.12 2>/dev/null | sort -V | tail -1)
rooted() {
    awk '{ n = $NF; t += n; split($0, a, ";"); if (a[2] == "_start") r += n }
         END { printf "%.1f%%", t ? 100 * r / t : 0 }' "$1"
}
echo
echo "JIT code, default mode, 3 s: stacks that reach _start (tprof CPU per sample)"
for job in "node --perf-basic-prof|node --perf-basic-prof $JS" "node --perf-prof|node --perf-prof $JS" \
    "python3.12 -X perf|$P12 -X perf $JPY" "jitmap (jitdump CFI)|$ROOT/build/progs/jitmap 3 cfi"; do
    label=${job%%|*} cmd=${job#*|}
    if [ "$label" = "python3.12 -X perf" ] && [ -z "$P12" ]; then
        printf "  %-24s skipped: no pyenv CPython 3.12\n" "$label"
        continue
    fi
    if ! command -v "${cmd%% *}" >/dev/null 2>&1; then
        printf "  %-24s skipped: %s not installed\n" "$label" "${cmd%% *}"
        continue
    fi
    # shellcheck disable=SC2086 # the command is words
    (cd "$TMP" && "$ROOT/tprof" --python off -o "$TMP/jit.folded" -- $cmd >/dev/null 2>"$TMP/jit.err")
    us=$(tail -1 "$TMP/jit.err" | sed -n 's/.*s, \([0-9]*\) on-CPU samples .*tprof CPU \([0-9.]*\) s.*/\1 \2/p' |
        awk '{ printf "%.1f", 1e6 * $2 / $1 }')
    # shellcheck disable=SC2086
    (cd "$TMP" && perf record -q -F 999 --call-graph=dwarf -o "$TMP/jit.data" -- $cmd >/dev/null 2>&1)
    perf script -i "$TMP/jit.data" 2>/dev/null | "$ROOT/tprof" convert - -o "$TMP/jitperf.folded" >/dev/null 2>&1
    printf "  %-24s tprof %s (%s us/sample), perf record %s\n" "$label" \
        "$(rooted "$TMP/jit.folded")" "$us" "$(rooted "$TMP/jitperf.folded")"
done

# A perf map that grows a line a millisecond while every sample lands in
# code it never names (tests' hostile jitgrow, 5 s): tprof's CPU and its
# lost samples. It reads on from where it stopped, at most every 10 ms;
# re-reading and re-sorting the whole map at every miss cost 97% of a CPU
# with a big map.
echo
"$ROOT/tprof" -o "$TMP/grow.folded" -- "$ROOT/build/progs/hostile" jitgrow 5 >/dev/null 2>"$TMP/grow.err"
printf "A perf map growing a line a ms, every sample missing it, 5 s: %s\n" \
    "$(tail -1 "$TMP/grow.err" | sed -n 's/.*samples (\([0-9]*\)\/s).*, \([0-9]*\) lost.*tprof CPU \([0-9.]*\) s (\([0-9.]*\)%).*/\1 samples\/s, \2 lost, tprof CPU \3 s (\4%)/p')"

# Inlined functions and source lines: tprof's CPU time for a 3 s run with
# --no-inline, by default (inlined functions) and with --lines (mostly
# once: DWARF opened, a debug file's decompressed, a unit indexed), and
# the share of samples with an inlined frame; next to perf script's time
# to write the same run's perf record with its inlined frames and without
# (--no-inline), the reference for what DWARF lookups cost. The workloads:
# the AMQP codec (C, -O2 -g), CPython 3.12 (pyenv: its libpython's DWARF)
# and Debian's python3.11 (its debug file, compressed, when python3.11-dbg
# is installed).
PW="$ROOT/bench/pywork.py"
echo
echo "Inlined functions, 3 s runs: tprof CPU --no-inline / default / --lines; perf script with / without inlined frames"
cpu_of() { tail -1 "$1" | sed -n 's/.*tprof CPU \([0-9.]*\) s.*/\1/p'; }
for job in "amqp codec (C)|$ROOT/build/amqp-bench --naive --phase codec --seconds 3" \
    "python3.12 (pyenv)|$P12 $PW 120000" "python3.11 (Debian)|/usr/bin/python3.11 $PW 120000"; do
    label=${job%%|*} cmd=${job#*|}
    if ! [ -x "${cmd%% *}" ]; then
        printf "  %-22s skipped: %s not installed\n" "$label" "${cmd%% *}"
        continue
    fi
    line=""
    for o in --no-inline "-F 999" --lines; do # (999 Hz: the default)
        # shellcheck disable=SC2086 # the options and the command are words
        "$ROOT/tprof" $o --no-tui -o "$TMP/inl.folded" -- $cmd >/dev/null 2>"$TMP/inl.err"
        line="$line${line:+ / }$(cpu_of "$TMP/inl.err") s"
        [ "$o" = "-F 999" ] && share=$(awk '{ t += $NF } /_\[i\]/ { s += $NF }
            END { printf "%.0f%%", t ? 100 * s / t : 0 }' "$TMP/inl.folded")
    done
    # shellcheck disable=SC2086
    perf record -q -F 999 --call-graph=dwarf -o "$TMP/inl.data" -- $cmd >/dev/null 2>&1
    t0=$(now); perf script -i "$TMP/inl.data" >/dev/null 2>&1; t1=$(now)
    perf script --no-inline -i "$TMP/inl.data" >/dev/null 2>&1; t2=$(now)
    printf "  %-22s tprof %s (%s of samples inlined); perf script %s s / %s s\n" "$label" "$line" \
        "$share" "$(echo "$t0 $t1" | awk '{printf "%.2f", $2 - $1}')" \
        "$(echo "$t1 $t2" | awk '{printf "%.2f", $2 - $1}')"
done
