#!/bin/sh
# make bench, Python frames read at the sample (the kernel program) against
# read after it (--python-read user) and read with the thread stopped
# (--backend ptrace), on every CPython present (Debian's python3.11, pyenv's
# 3.10-3.13):
#   - the share of Python samples kept native (inconsistent) on split.py,
#     the two-thread encoder/decoder and the tuned AMQP encoder;
#   - the shares of the two-thread program, a compute-then-sleep loop and a
#     blocking socket client against what each program measured of itself
#     with thread_time in the same run (the largest difference, in points);
#   - the first samples of new threads and processes with no kernel record
#     (a thread per request under -p, multiprocessing's children);
#   - the kernel program's cost per sample (kernel.bpf_stats_enabled:
#     run_time_ns / run_cnt) at 10, 50 and 1000 Python frames;
#   - the target's slowdown at 999 Hz on bench/pywork.py, median of 5
#     interleaved pairs.
# Needs root (the kernel program, bpf_stats); says so and stops otherwise.
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
T="$ROOT/tprof"
PY="$ROOT/tests/e2e/py"
TMP=$(mktemp -d /tmp/tprof-pyread.XXXXXX)
STATS0=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null)
trap 'rm -rf "$TMP"; [ -n "$STATS0" ] && sysctl -q kernel.bpf_stats_enabled="$STATS0"' EXIT

echo
echo "Python frames read at the sample (BPF), after it (user), stopped (ptrace):"
if ! "$T" -q --python-read kernel -o "$TMP/probe.folded" -- sh -c 'i=0; while [ $i -lt 30000 ]; do i=$((i + 1)); done' 2>"$TMP/probe.err"; then
    echo "  skipped: $(cat "$TMP/probe.err")"
    exit 0
fi

inc() { sed -n 's/.* \([0-9.]*\)% of [0-9]* Python samples inconsistent.*/\1/p' "$1" | tail -1; }
after() { sed -n 's/.*, \([0-9.]*\)% after it (no kernel record).*/\1/p' "$1" | tail -1; }
# worst FOLDED OUT FN...: the largest |profile share - program's share|
worst() {
    f=$1 o=$2
    shift 2
    awk -v names="$*" -v own="$(sed -n 's/^split: //p' "$o" | tail -1)" '
        BEGIN { n = split(names, nm, " "); m = split(own, w, " ")
                for (i = 1; i < m; i += 2) want[w[i]] = w[i + 1] }
        { c = $NF; for (i = 1; i <= n; i++) if (index($0, ";" nm[i] " (")) { s[i] += c; t += c; break } }
        END { if (!t || own == "") { printf "-"; exit }
              for (i = 1; i <= n; i++) { d = 100 * s[i] / t - want[nm[i]]; if (d < 0) d = -d; if (d > x) x = d }
              printf "%.1f", x }' "$f"
}
# rec LABEL MODE PYTHON SCRIPT ARGS...: run under MODE (at, user, ptrace)
rec() {
    mode=$1 py=$2 script=$3
    shift 3
    case $mode in
        at) opt="" ;;
        user) opt="--python-read user" ;;
        ptrace) opt="--backend ptrace" ;;
    esac
    # shellcheck disable=SC2086
    "$T" $opt -o "$TMP/r.folded" -- "$py" "$script" "$@" >"$TMP/r.out" 2>"$TMP/r.err"
}

interp() {
    echo "debian-3.11 /usr/bin/python3.11"
    for m in 10 11 12 13; do
        p=$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.$m.*/bin/python3.$m 2>/dev/null | sort -V | tail -1)
        [ -n "$p" ] && echo "pyenv-3.$m $p"
    done
}

printf "  %-12s %-10s %-26s %-26s %-26s\n" "" "" "split.py 3 s" "two threads 3 s" "tuned AMQP 3 s"
printf "  %-12s %-10s %-26s %-26s %-26s\n" "" "" "inconsistent" "inconsistent, worst share" "inconsistent"
interp | while read -r label py; do
    [ -x "$py" ] || continue
    for mode in at user ptrace; do
        rec $mode "$py" "$PY/split.py" 3; a=$(inc "$TMP/r.err")
        rec $mode "$py" "$PY/twothreads.py" 3; b=$(inc "$TMP/r.err")
        bw=$(worst "$TMP/r.folded" "$TMP/r.out" encode_frame_fast encode_frame decode_frame)
        rec $mode "$py" "$ROOT/examples/amqp-python/amqp_bench.py" tuned 3; c=$(inc "$TMP/r.err")
        printf "  %-12s %-10s %-26s %-26s %-26s\n" "$label" "$mode" "${a:-?}%" \
            "${b:-?}%, ${bw} points" "${c:-?}%"
    done
done

echo
echo "  shares against the programs' own thread_time split (largest difference, points):"
printf "  %-12s %-10s %-18s %-18s\n" "" "" "compute+sleep 3 s" "socket client 3 s"
interp | while read -r label py; do
    [ -x "$py" ] || continue
    for mode in at user ptrace; do
        rec $mode "$py" "$PY/computesleep.py" 3
        a=$(worst "$TMP/r.folded" "$TMP/r.out" compute wait)
        rec $mode "$py" "$PY/sockclient.py" 3
        b=$(worst "$TMP/r.folded" "$TMP/r.out" encode exchange serve)
        printf "  %-12s %-10s %-18s %-18s\n" "$label" "$mode" "$a" "$b"
    done
done

echo
echo "  new threads and processes: samples with no kernel record (read after the sample):"
D=/usr/bin/python3.11
"$D" "$PY/shortthreads.py" 4 >/dev/null &
pid=$!
sleep 0.5
"$T" -p $pid --duration 2 -o "$TMP/s.folded" >/dev/null 2>"$TMP/s.err"
wait $pid
printf "  %-44s %s%% of Python samples\n" "thread per request, -p (python3.11)" "$(after "$TMP/s.err")"
"$T" -o "$TMP/m.folded" -- "$D" "$PY/mp.py" 2 >/dev/null 2>"$TMP/m.err"
printf "  %-44s %s%% of Python samples\n" "multiprocessing's children (python3.11)" "$(after "$TMP/m.err")"
"$T" -o "$TMP/sh.folded" -- sh -c "$D $PY/split.py 3" >/dev/null 2>"$TMP/sh.err"
printf "  %-44s %s%% of Python samples\n" "a shell starting python3.11" "$(after "$TMP/sh.err")"

echo
echo "  the kernel program's cost per sample (kernel.bpf_stats_enabled=1), python3.11:"
if sysctl -q kernel.bpf_stats_enabled=1 2>/dev/null; then
    for depth in 10 50 1000; do
        "$T" -o "$TMP/d.folded" -- "$D" "$ROOT/bench/pydeep.py" "$depth" 2 >/dev/null 2>"$TMP/d.err"
        us=$(sed -n 's/.*read at the sample, \([0-9.]*\) us each in the kernel.*/\1/p' "$TMP/d.err")
        printf "  %-44s %s us\n" "$((depth + 2)) Python frames" "${us:-?}"
    done
    sysctl -q kernel.bpf_stats_enabled="$STATS0"
else
    echo "  skipped: cannot set kernel.bpf_stats_enabled"
fi

echo
echo "  bench/pywork.py (CPU-bound, fixed work), python3.11, slowdown at 999 Hz, 5 interleaved pairs:"
for i in 1 2 3 4 5; do
    base=$("$D" "$ROOT/bench/pywork.py" 2>/dev/null | tail -1)
    for mode in at user; do
        opt=""
        [ $mode = user ] && opt="--python-read user"
        # shellcheck disable=SC2086
        t=$("$T" $opt -o "$TMP/w.folded" -- "$D" "$ROOT/bench/pywork.py" 2>/dev/null | tail -1)
        echo "$base $t" | awk '$1 > 0 && $2 > 0 {print $2 / $1}' >>"$TMP/pw.$mode"
    done
done
for mode in at user; do
    sort -n "$TMP/pw.$mode" | awk -v m=$mode '{r[NR] = $1} END {
        printf "  %-44s %.3fx (pairs %.3f-%.3f)\n", "read " (m == "at" ? "at the sample" : "after the sample"), r[int((NR + 1) / 2)], r[1], r[NR] }'
done
