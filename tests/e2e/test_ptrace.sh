# The ptrace backend and wall-clock mode. perf_event_open is refused the way
# a container's seccomp profile refuses it (progs/noperf installs such a
# filter and runs tprof under it); tprof must fall back to ptrace, agree with
# its perf backend, follow threads, children and execs, pass signals on, and
# leave every target running or cleanly exited, never stopped or traced.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
NOPERF="$PROGS/noperf"

# Every thread of PID: not traced by anyone, not stopped ('t' or 'T').
untraced() {
    for st in /proc/"$1"/task/*/status; do
        grep -q '^TracerPid:[[:space:]]*0$' "$st" || return 1
        grep -Eq '^State:[[:space:]]*[tT]' "$st" && return 1
    done
    return 0
}

# A function's share of a folded file's samples (its total, in percent).
# (GCC's clones, f.constprop.0 and the like, count as f.)
share() {
    $STATS folded "$1" |
        awk -v f="$2" '($NF == f || index($NF, f ".") == 1) && !found { print int($2 + 0.5); found = 1 }
                       END { if (!found) print 0 }'
}

# ----- the fallback -----
"$NOPERF" "$TPROF" -o fb.folded -- "$PROGS/hot" 1 >/dev/null 2>fb.err
rc=$?
[ $rc -eq 0 ] && [ "$(grep -c 'sampling with ptrace instead' fb.err)" -eq 1 ] &&
    grep -q '^tprof: perf_event_open blocked by a seccomp filter' fb.err &&
    grep -q ' on-CPU samples (.*) via ptrace, ' fb.err && [ -s fb.folded ]
check "auto: perf_event_open refused -> ptrace, said once, profile written" $? "rc=$rc $(cat fb.err)"
grep -q '^hot;_start;__libc_start_main;__libc_start_call_main;main;work;alpha;spin [0-9]*$' fb.folded
check "ptrace: full stacks from _start to the leaf" $? "$(head -3 fb.folded)"

"$NOPERF" "$TPROF" --backend perf -o nb.folded -- "$PROGS/hot" 0.2 >/dev/null 2>nb.err
rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <nb.err)" -eq 1 ] && ! grep -q ptrace nb.err && [ ! -e nb.folded ]
check "--backend perf does not fall back: one-line error, exit 1" $? "rc=$rc $(cat nb.err)"

# ----- agreement with the perf backend, same program -----
# Separate runs (perf_event_open is refused in one of them), so the
# tolerance is 5 points: these programs vary by ~3 between runs.
agree() {
    name=$1; shift
    # Two separate runs of a program whose split itself moves by about 3
    # points: the sanitizer build (three times the work per sample) adds
    # its own timing to that. Its pass checks memory safety; how closely
    # the backends agree is the release build's to show.
    if [ -n "${TPROF_SANITIZED:-}" ]; then
        skip "$name: ptrace vs perf" "agreement is measured with the release build"
        return
    fi
    if ! "$TPROF" -q --backend perf -F 1999 $CG -o "$name.perf.folded" -- "$@" >/dev/null 2>"$name.err" ||
        ! "$NOPERF" "$TPROF" -q -F 1999 $CG -o "$name.pt.folded" -- "$@" >/dev/null 2>>"$name.err"; then
        fail "$name: ptrace vs perf" "recording failed: $(tail -2 "$name.err")"
        return
    fi
    if $STATS compare "folded:$name.pt.folded" "folded:$name.perf.folded" 5 5 $EXTRA >"$name.cmp"; then
        pass "$name: ptrace within 5 points of the perf backend ($(tail -1 "$name.cmp"))"
    else
        fail "$name: ptrace vs perf" "$(grep -E 'BAD|samples' "$name.cmp" | head -5)"
    fi
}
CG=""
EXTRA=""
agree hot "$PROGS/hot" 1.5
agree threads "$PROGS/threads" 1
agree qsort_cb "$PROGS/qsort_cb" 1.5
# tprof held up (a stall of its loop; here stopped three times for 100 ms
# while the program runs on): the ticks the thread ran meanwhile are paid
# over the stops that follow, not to the one stack it was in at the next
# (all at once, the full suite once put 5 points on msort_with_tmp, and
# these stalls failed 4 runs in 4)
if [ -n "${TPROF_SANITIZED:-}" ]; then
    skip "qsort_cb, tprof held up: ptrace vs perf" "agreement is measured with the release build"
elif [ -s qsort_cb.perf.folded ]; then
    "$NOPERF" "$TPROF" -F 1999 -o stall.folded -- "$PROGS/qsort_cb" 1.5 >/dev/null 2>stall.err &
    tp=$!
    sleep 0.4
    for i in 1 2 3; do
        kill -STOP $tp 2>/dev/null
        sleep 0.1
        kill -CONT $tp 2>/dev/null
        sleep 0.2
    done
    wait $tp
    if $STATS compare "folded:stall.folded" "folded:qsort_cb.perf.folded" 5 5 >stall.cmp; then
        pass "qsort_cb, tprof held up 3 times 100 ms: ptrace within 5 points of perf ($(tail -1 stall.cmp))"
    else
        fail "qsort_cb, tprof held up: ptrace vs perf" "$(grep -E 'BAD|samples' stall.cmp | head -5)"
    fi
else
    fail "qsort_cb, tprof held up: ptrace vs perf" "no perf profile of qsort_cb to compare with"
fi
# tmpl's own split moves between runs by more than the tolerance (it
# prints what it measured, its threads' CPU time per function): each
# backend is judged against the split of its own run.
tmpl_truth() {
    label=$1; shift
    if [ -n "${TPROF_SANITIZED:-}" ]; then
        skip "tmpl ($label): its own split" "accuracy is measured with the release build"
        return
    fi
    "$@" -q -F 1999 -o "tmpl.$label.folded" -- "$PROGS/tmpl" 1.5 >/dev/null 2>"tmpl.$label.err"
    want=$(sed -n 's/^tmpl: checksum<unsigned long> \([0-9.]*\)%$/\1/p' "tmpl.$label.err")
    got=$($STATS folded "tmpl.$label.folded" |
        awk '{ n = substr($0, 16) } n == "codec::checksum<unsigned long>" { u = $2 }
             n == "codec::checksum<long>" { l = $2 }
             END { if (u + l > 0) printf "%.1f", 100 * u / (u + l) }')
    [ -n "$want" ] && [ -n "$got" ] &&
        awk -v a="$got" -v b="$want" 'BEGIN { d = a - b; exit !(d <= 3 && d >= -3) }'
    check "tmpl ($label): checksum<unsigned long> within 3 points of the program's own split" $? \
        "profile ${got:-?}% program ${want:-?}% $(tail -1 "tmpl.$label.err")"
}
tmpl_truth ptrace "$NOPERF" "$TPROF"
tmpl_truth perf "$TPROF" --backend perf
# The exec'd program does fixed work (threads), not hot's fixed time: a
# program that runs for a time gets less CPU in it when stopped more often,
# which is a cost (make bench measures it), not a profile that disagrees.
agree forkexec "$PROGS/forkexec" 0.7 "$PROGS/threads" 0.3
agree dlopen "$PROGS/dlopen_main" 1 "$PROGS/libplugin.so"
# Nothing lost: on-CPU samples add up to the CPU time the program used
# (bash's `times`: its children's user and system time) times the rate, also
# with more runnable threads than CPUs, where rounds take several ticks and
# the rate is lowered (each sample then stands for several).
"$NOPERF" "$TPROF" -q -F 1999 -o cpu.folded -- bash -c "'$PROGS/threads' 1; times" >cpu.out 2>/dev/null
cpu=$(tail -1 cpu.out | awk '{ n = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); n += a[1] * 60 + a[2] } print n }')
got=$(awk '{t += $NF} END {print t + 0}' cpu.folded)
awk -v c="$cpu" -v g="$got" 'BEGIN { w = c * 1999; exit !(w > 0 && g > w * 0.96 && g < w * 1.04) }'
check "on-CPU samples = CPU time x rate, within 4% ($got samples for ${cpu} s at 1999 Hz)" $? "$(cat cpu.out)"

# ptrace sees no mmap records: tprof re-reads /proc/PID/maps when a frame is
# in no known mapping, and the re-read must replace what it knew. Here a
# library is loaded where a read-only mapping was when the maps were read
# (as dlopen can put one where it had ld.so.cache).
"$NOPERF" "$TPROF" -q -o reuse.folded -- "$PROGS/dlopen_main" 0.5 "$PROGS/libplugin.so" \
    "$PROGS/libstripped.so" >reuse.out 2>/dev/null
if grep -q reused reuse.out; then
    n=$(awk '{t += $NF} /;main;plugin_compute [0-9]+$/ {s += $NF} END {printf "%d", t ? 100 * s / t : 0}' reuse.folded)
    [ "$n" -ge 60 ] && ! grep -q 'ld.so.cache' reuse.folded
    check "a library loaded where a gone mapping was is named (plugin_compute ${n}%)" $? "$(sort -t' ' -k2 -nr reuse.folded | head -3)"
else
    skip "a library loaded where a gone mapping was" "dlopen did not reuse the address here"
fi
CG="-g fp"
agree hot_fp "$PROGS/hot_fp" 1.5
CG=""

# ----- threads, children and execs are followed -----
"$NOPERF" "$TPROF" -q --threads -o th.folded -- "$PROGS/threads" 0.5 >/dev/null 2>th.err
n=$(cut -d';' -f1 th.folded | sort -u | wc -l)
[ "$n" -eq 3 ] && grep -q 'start_thread' th.folded
check "threads: all 3 threads sampled, each its own root ($n roots)" $? "$(cut -d';' -f1 th.folded | sort -u)"
"$NOPERF" "$TPROF" -q --pid-roots -o fe.folded -- "$PROGS/forkexec" 0.5 "$PROGS/hot" 0.5 >/dev/null 2>fe.err
grep -q ';parent_work;' fe.folded && grep -q ';child_work;' fe.folded && grep -q '^hot-[0-9]*;_start;.*;spin ' fe.folded &&
    [ "$(cut -d';' -f1 fe.folded | sort -u | wc -l)" -ge 2 ]
check "fork and exec: parent, child and the exec'd program's stacks" $? "$(cut -c1-100 fe.folded)"

# A thread that names itself is shown under its name, as perf's COMM
# records make it on the perf backend. (It is sampled under its old name
# for 50 ms first: a name read once a second missed the change, three runs
# in three.)
"$NOPERF" "$TPROF" -q -o nm.folded -- "$PROGS/named" 0.5 >/dev/null 2>&1
grep -q '^worker-x;clone3;start_thread;worker;spin_for' nm.folded && grep -q '^named;_start;' nm.folded
check "a thread renamed with pthread_setname_np has its own root" $? "$(cut -c1-80 nm.folded)"

# ----- signals -----
"$NOPERF" "$TPROF" -o sig.folded -- "$PROGS/signals" 1 >sig.out 2>sig.err
rc=$?
[ $rc -eq 0 ] && grep -q 'usr1 sent \([0-9]*\) handled \1;' sig.out
check "every signal reaches the program (SIGALRM at 1 kHz, raised SIGUSR1)" $? "rc=$rc $(cat sig.out)"
"$NOPERF" "$TPROF" -q -o x.folded -- sh -c 'kill -SEGV $$' 2>/dev/null
rc=$?; [ $rc -eq 139 ]; check "killed by SIGSEGV under ptrace: 139" $? "got $rc"
"$NOPERF" "$TPROF" -q -o x.folded -- "$PROGS/hot" 0.1 7 >/dev/null 2>&1
rc=$?; [ $rc -eq 7 ]; check "exit code of the program under ptrace (7)" $? "got $rc"

# Job control: SIGSTOP stops the program (tprof does not resume it), SIGCONT
# resumes it.
"$NOPERF" "$TPROF" -q -o js.folded -- "$PROGS/hot" 1.5 >/dev/null 2>&1 &
tp=$!
sleep 0.4
c=$(pgrep -P $tp)
kill -STOP "$c"
sleep 0.4
s1=$(awk '/^State:/ {print $2}' /proc/"$c"/status)
sleep 0.3
s2=$(awk '/^State:/ {print $2}' /proc/"$c"/status)
kill -CONT "$c"
wait $tp
rc=$?
case "$s1$s2" in [tT][tT]) ok=0 ;; *) ok=1 ;; esac
[ $ok -eq 0 ] && [ $rc -eq 0 ]
check "SIGSTOP keeps the program stopped under ptrace; SIGCONT resumes it" $? "states $s1 $s2, rc=$rc"

# ----- never left stopped, traced or orphaned -----
for sig in INT TERM; do
    "$NOPERF" "$TPROF" -o s$sig.folded -- "$PROGS/hot" 30 >/dev/null 2>s$sig.err &
    tp=$!
    sleep 0.8
    c=$(pgrep -P $tp)
    kill -$sig $tp
    wait $tp
    rc=$?
    [ $rc -ge 129 ] && [ -s s$sig.folded ] && ! kill -0 "$c" 2>/dev/null
    check "SIG$sig to tprof: program ended, profile written (exit $rc)" $? "rc=$rc $(tail -1 s$sig.err)"
done
"$NOPERF" "$TPROF" -o k.folded -- "$PROGS/hot" 30 >/dev/null 2>&1 &
tp=$!
sleep 0.5
c=$(pgrep -P $tp)
{ kill -KILL $tp; wait $tp; } 2>/dev/null
i=0
while kill -0 "$c" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
! kill -0 "$c" 2>/dev/null
check "SIGKILL to tprof: the launched program dies with it (EXITKILL)" $? "pid $c still there"

# -p: attach to a running multi-threaded process, detach, it goes on.
"$PROGS/threads" 30 >/dev/null &
bg=$!
sleep 0.3
"$NOPERF" "$TPROF" -p $bg --duration 1 -o att.folded 2>att.err
rc=$?
alive=0; kill -0 $bg 2>/dev/null && alive=1
untraced $bg; free=$?
[ $rc -eq 0 ] && [ $alive -eq 1 ] && [ $free -eq 0 ] && grep -q 'mix' att.folded &&
    grep -q 'sampling with ptrace instead' att.err
check "-p under ptrace: sampled, detached, still running and not stopped" $? "rc=$rc alive=$alive free=$free $(cat att.err)"
kill $bg; wait $bg 2>/dev/null

# -p on a shell that forks and execs all the time: detaching meets clone
# and exec stops; afterwards no task of it is traced.
sh -c 'while :; do /bin/true; done' &
bg=$!
sleep 0.2
ok=0
for i in 1 2 3; do
    "$NOPERF" "$TPROF" -q -p $bg --duration 0.3 -o fk.folded 2>/dev/null || ok=1
done
sleep 0.2
for c in $bg $(pgrep -P $bg); do
    grep -q '^TracerPid:[[:space:]]*0$' /proc/"$c"/status 2>/dev/null || [ ! -e /proc/"$c" ] || ok=1
done
kill -0 $bg 2>/dev/null || ok=1
[ $ok -eq 0 ]
check "-p on a fork+exec loop, three times: detached each time, nothing left traced" $? "ok=$ok"
kill $bg; wait $bg 2>/dev/null

# A program that leaves a child behind: the child is detached, not killed.
"$NOPERF" "$TPROF" -q -o lb.folded -- sh -c "\"$PROGS/hot\" 3 >/dev/null & echo \$! >child.pid" 2>/dev/null
sleep 0.2
c=$(cat child.pid)
alive=0; kill -0 "$c" 2>/dev/null && alive=1
untraced "$c"; free=$?
[ $alive -eq 1 ] && [ $free -eq 0 ]
check "a child outliving the program is detached and keeps running" $? "alive=$alive free=$free"
kill "$c" 2>/dev/null

# ----- rate -----
# 100 kHz cannot be kept by stopping threads: the rate is lowered, and said.
"$NOPERF" "$TPROF" -F 100000 -o hz.folded -- "$PROGS/hot" 2.5 >/dev/null 2>hz.err
rc=$?
[ $rc -eq 0 ] && grep -q 'ptrace sampling lowered from 100000 to [0-9]* Hz' hz.err && [ -s hz.folded ]
check "a rate the target cannot keep is lowered, and said" $? "rc=$rc $(cat hz.err)"

# ----- wall-clock mode -----
# halfsleep computes 5 ms, sleeps 5 ms: wall mode shows the sleep at about
# half the samples, cpu mode hardly at all; on both backends.
for be in ptrace perf; do
    "$TPROF" --backend $be --mode wall -o w$be.folded -- "$PROGS/halfsleep" 2 >/dev/null 2>w$be.err
    rc=$?
    w=$(share w$be.folded wait_for_peer)
    c=$(share w$be.folded compute)
    [ $rc -eq 0 ] && [ "$w" -ge 40 ] && [ "$w" -le 60 ] && [ "$c" -ge 40 ] && [ "$c" -le 60 ] &&
        grep -q ' wall-clock samples ' w$be.err
    check "wall, $be: sleeping stack ${w}% and computing ${c}% (about half each)" $? "rc=$rc $(cat w$be.err)"
    "$TPROF" --backend $be --mode cpu -o c$be.folded -- "$PROGS/halfsleep" 1 >/dev/null 2>c$be.err
    w=$(share c$be.folded wait_for_peer)
    [ "$w" -le 5 ] && grep -q ' on-CPU samples ' c$be.err
    check "cpu, $be: the sleeping stack is not counted (${w}%)" $? "$(cat c$be.err)"
done
# A thread blocked in read() the whole run shows its read() stack in wall
# mode: with the main thread, two threads sampled at the rate.
"$NOPERF" "$TPROF" --mode wall -o wt.folded -- "$PROGS/halfsleep" 1 thread >/dev/null 2>wt.err
r=$(share wt.folded blocked_reader)
[ "$r" -ge 40 ] && [ "$r" -le 60 ] && grep -q ';blocked_reader;read' wt.folded
check "wall: a thread blocked in read() shows its waiting stack (${r}%)" $? "$(cat wt.err)"

# ----- live: the header says the backend and mode -----
if command -v tmux >/dev/null 2>&1; then
    tmux_start ptrace
    $T new-session -d -s v -x 120 -y 30 "\"$NOPERF\" \"$TPROF\" --mode wall -- \"$PROGS/hot\" 30"
    wait_for "[wall, ptrace: perf_event_open refused]"
    check "live header: [wall, ptrace: perf_event_open refused]" $? "$(screen | head -3)"
    c=$(pgrep -f "^$PROGS/hot 30")
    keys q q # (no -o: the first q asks)
    i=0
    while kill -0 "$c" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    ! kill -0 "$c" 2>/dev/null
    check "live, q: the program is ended, not left stopped or traced" $? "pid $c still there"
else
    skip "live header under ptrace" "tmux is not installed"
fi
