# Correctness against perf: every function with at least 5% of the samples
# in perf's profile must have self and total shares within 3 points in
# tprof's. Both sample the same run (tprof launches `perf record -- PROGRAM`
# and perf's own process is left out): these workloads vary by about as much
# as the tolerance from one run to the next, so separate runs would measure
# the machine, not the profilers.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1

if ! perf record -q -o probe.data -- true >/dev/null 2>&1; then
    skip "tprof vs perf" "perf record does not work here"
    exit 0
fi

# perf names libc's qsort_r by its internal alias.
ALIASES="--alias __GI___qsort_r=qsort_r"
# ~3 kHz for 3 s: ~8000 samples a side. The two sides sample apart, so
# their difference has the noise of both: for a function with two thirds
# of the samples, 1.0 point (SD) at 1.5 s, which put qsort_cb's
# msort_with_tmp 3.4 points off once in a fresh-clone run (six runs here:
# 0.5-1.8); 0.7 at 3 s. Not the same
# rate on both sides: two sampling timers at the same period fire in
# lockstep, and one's interrupt work lands in the other's samples (6-9% of
# perf's samples were in irqentry_exit_to_user_mode when tprof was woken
# at every sample, with an irq_work right after its timer's interrupt).
HZ=2999
PERF_HZ=2713
EXTRA=""

TPROF_CG="-g dwarf"
PERF_CG="--call-graph=dwarf"

compare() {
    name=$1; shift
    if ! "$TPROF" -q $TPROF_CG -F $HZ -o "$name.folded" -- perf record -q -F $PERF_HZ $PERF_CG \
        -o "$name.data" -- "$@" >/dev/null 2>"$name.err"; then
        fail "$name: tprof vs perf" "recording failed: $(tail -1 "$name.err")"
        return
    fi
    perf script --no-inline -i "$name.data" >"$name.perf.txt" 2>/dev/null
    if $STATS compare "folded:$name.folded" "perfscript:$name.perf.txt" 3 5 $ALIASES \
        --drop-root perf $EXTRA >"$name.cmp"; then
        pass "$name: hot functions within 3 points of perf ($(tail -1 "$name.cmp"))"
    else
        fail "$name: tprof vs perf" "$(grep -E 'BAD|samples' "$name.cmp" | head -5)"
    fi
}

compare hot "$PROGS/hot" 3
compare threads "$PROGS/threads" 1.4
# perf often stops at __libc_start_call_main in the exec'd program (2 runs
# of 3 here); tprof's stacks reaching _start is checked on its own below.
EXTRA="--skip _start --skip __libc_start_main"
compare forkexec "$PROGS/forkexec" 1.4 "$PROGS/hot" 1
EXTRA=""
n=$(awk '/^perf;/ {next} {t+=$NF} /^(forkexec|hot);_start;/ {s+=$NF} END {printf "%d", 100*s/t}' forkexec.folded)
[ "$n" -ge 99 ]
check "forkexec: ${n}% of tprof's stacks reach _start in parent, child and exec'd program" $? "only $n%"
compare qsort_cb "$PROGS/qsort_cb" 3
compare tmpl "$PROGS/tmpl" 3
compare dlopen "$PROGS/dlopen_main" 2 "$PROGS/libplugin.so"
compare syscalls "$PROGS/syscalls" 2

# Frame pointers: tprof -g fp against perf -g on a program built with them.
TPROF_CG="-g fp"
PERF_CG="-g"
compare hot_fp "$PROGS/hot_fp" 3
