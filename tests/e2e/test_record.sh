# The recorder as a command: output file, exit statuses, signals, errors.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1

# A plain recording writes a sorted folded file and one summary line.
"$TPROF" -o out.folded -- "$PROGS/hot" 0.5 >/dev/null 2>err.txt
rc=$?
check "record exits with the program's status 0" $rc "got $rc"
grep -q '^hot;_start;__libc_start_main;__libc_start_call_main;main;work;alpha;spin [0-9]*$' out.folded
check "folded stack from comm through main to spin" $? "$(head -3 out.folded)"
LC_ALL=C sort -c -t' ' -k1,1 out.folded 2>/dev/null
check "folded lines are sorted by stack" $? "not sorted"
[ "$(wc -l <err.txt)" -eq 1 ] && grep -Eq '^tprof: [0-9.]+ s, [0-9]+ on-CPU samples \([0-9]+/s\) via perf_event_open( per CPU)?, samples cover [0-9]+% of [0-9.]+ s CPU, [0-9]+ lost, .*% unwound short of a root, tprof CPU [0-9.]+ s .*wrote [0-9]+ stacks to out.folded$' err.txt
check "one summary line with samples, lost, unwind failures, CPU" $? "$(cat err.txt)"
sed -n 's/.*tprof CPU \([0-9.]*\) s (\([0-9.]*\) s set-up, \([0-9]*\) us a sample; [0-9.]*% of a CPU while sampling); wrote.*/\1 \2 \3/p' err.txt |
    awk -v n="$(sed -n 's/.* \([0-9]*\) on-CPU samples.*/\1/p' err.txt)" \
        '{ exit !(NR == 1 && $2 <= $1 + 0.01 && $2 + n * $3 / 1e6 <= $1 + 0.02 && $3 > 0) }'
check "tprof's CPU: set-up and per sample apart, adding up to at most the whole, and its share while it sampled" $? "$(cat err.txt)"
# a run too short for a rate: tprof's CPU time alone, no share of 6 ms
"$TPROF" -o t.folded -- true >/dev/null 2>terr.txt
grep -Eq 'tprof CPU [0-9.]+ s \([0-9.]+ s set-up\); (wrote|no samples)' terr.txt && ! grep -q '% while sampling' terr.txt
check "a run too short for a rate: tprof CPU and its set-up in seconds, no rate" $? "$(cat terr.txt)"
awk '{ if ($0 !~ /^[^ ;][^;]*(;[^;]+)* [0-9]+$/ || $0 ~ /[ \t];/) bad++ } END { exit bad > 0 }' out.folded
check "every line is 'frame;...;frame COUNT' with no blank frame ends" $? "$(head -3 out.folded)"

# Exit statuses, as a shell gives them.
"$TPROF" -q -o x.folded -- "$PROGS/hot" 0.1 7 >/dev/null
rc=$?; [ $rc -eq 7 ]; check "exit code of the program (7) is tprof's" $? "got $rc"
"$TPROF" -q -o x.folded -- sh -c 'kill -SEGV $$' 2>/dev/null
rc=$?; [ $rc -eq 139 ]; check "killed by SIGSEGV gives 128+11" $? "got $rc"
"$TPROF" -o nf.folded -- no-such-program-xyz 2>err.txt
rc=$?; [ $rc -eq 127 ] && grep -q 'no-such-program-xyz: command not found' err.txt && [ ! -e nf.folded ]
check "missing program: 127, shell-like message, no file" $? "rc=$rc $(cat err.txt)"
printf 'not a program\n' >notexec.sh; chmod -x notexec.sh
"$TPROF" -o ne.folded -- ./notexec.sh 2>err.txt
rc=$?; [ $rc -eq 126 ] && grep -q 'Permission denied' err.txt
check "non-executable program: 126" $? "rc=$rc $(cat err.txt)"
"$TPROF" --freq abc -- true 2>err.txt
rc=$?; [ $rc -eq 2 ] && [ "$(wc -l <err.txt)" -eq 1 ]
check "usage error: exit 2, one line" $? "rc=$rc $(cat err.txt)"
"$TPROF" -g lbr -- true 2>/dev/null; rc=$?; [ $rc -eq 2 ]
check "unknown call-graph mode is a usage error" $? "rc=$rc"
"$TPROF" --stack-size 100 -- true 2>/dev/null; rc=$?; [ $rc -eq 2 ]
check "stack size not a multiple of 8 is a usage error" $? "rc=$rc"
"$TPROF" 2>/dev/null; rc=$?; [ $rc -eq 2 ]
check "no program is a usage error" $? "rc=$rc"
"$TPROF" --backend bpf -- true 2>err.txt; rc=$?
[ $rc -eq 2 ] && grep -q "invalid backend 'bpf' (auto, perf or ptrace)" err.txt
check "unknown backend is a usage error naming the choices" $? "rc=$rc $(cat err.txt)"
"$TPROF" --mode offcpu -- true 2>err.txt; rc=$?
[ $rc -eq 2 ] && grep -q "invalid mode 'offcpu' (cpu or wall)" err.txt
check "unknown mode is a usage error naming the choices" $? "rc=$rc $(cat err.txt)"
"$TPROF" --python-read bpf -- true 2>err.txt; rc=$?
[ $rc -eq 2 ] && grep -q "invalid --python-read 'bpf' (auto, kernel or user)" err.txt
check "unknown --python-read is a usage error naming the choices" $? "rc=$rc $(cat err.txt)"
"$TPROF" --python off --python-read kernel -- true 2>err.txt; rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <err.txt)" -eq 1 ]
check "--python-read with --python off is a usage error" $? "rc=$rc $(cat err.txt)"
"$TPROF" --backend ptrace --python-read kernel -o pr.folded -- true 2>err.txt; rc=$?
[ $rc -eq 1 ] && grep -q "^tprof: --python-read kernel needs the perf backend" err.txt && [ ! -e pr.folded ]
check "--python-read kernel on the ptrace backend: one line, exit 1" $? "rc=$rc $(cat err.txt)"
"$TPROF" -q --backend perf --mode cpu -o ok.folded -- "$PROGS/hot" 0.2 >/dev/null; rc=$?
[ $rc -eq 0 ] && [ -s ok.folded ]
check "--backend perf --mode cpu record as the default does" $? "rc=$rc"
"$TPROF" --help | grep -q -- '--stack-size'
check "--help documents the options" $? "no --stack-size in help"

# Without -o: the documented default name, announced.
mkdir -p dflt && (cd dflt && "$TPROF" -- "$PROGS/hot" 0.2 >/dev/null 2>err.txt)
[ -s dflt/tprof.folded ] && grep -q 'wrote [0-9]* stacks to tprof.folded' dflt/err.txt
check "default output tprof.folded, announced" $? "$(cat dflt/err.txt)"

# SIGINT/SIGTERM/SIGHUP stop the program; the profile so far is written.
for sig in INT TERM HUP; do
    "$TPROF" -o sig.folded -- "$PROGS/hot" 30 >/dev/null 2>err.txt &
    tp=$!
    sleep 1.5
    kill -$sig $tp
    wait $tp
    rc=$?
    n=$(awk '{s+=$NF} END {print s+0}' sig.folded 2>/dev/null)
    [ "${n:-0}" -gt 500 ] && [ $rc -ge 129 ] && ! pgrep -f "$PROGS/hot 30" >/dev/null
    check "SIG$sig stops the program and keeps $n samples (exit $rc)" $? "rc=$rc n=$n"
    rm -f sig.folded
done

# --duration ends the program after the given time.
"$TPROF" --duration 0.5 -o dur.folded -- "$PROGS/hot" 30 >/dev/null 2>err.txt
rc=$?; [ $rc -eq 143 ] && [ -s dur.folded ]
check "--duration stops the program (SIGTERM, 143) and writes the profile" $? "rc=$rc"

# perf_event_open refused with --backend perf: one line naming the cause,
# no crash, no file (auto falls back to ptrace instead: test_ptrace.sh).
"$PROGS/noperf" "$TPROF" --backend perf -o np.folded -- "$PROGS/hot" 0.2 >/dev/null 2>err.txt
rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <err.txt)" -eq 1 ] && grep -q 'perf_event_open blocked by a seccomp filter' err.txt && [ ! -e np.folded ] &&
    ! pgrep -f "$PROGS/hot 0.2" >/dev/null
check "--backend perf, perf_event_open refused: one-line cause, exit 1, no file, no orphan" $? "rc=$rc $(cat err.txt)"

# The output is written atomically: an unwritable place leaves nothing.
mkdir ro && chmod 500 ro
if [ "$(id -u)" = 0 ]; then
    # root ignores permissions: use a path under a regular file instead
    "$TPROF" -o out.folded/x -- "$PROGS/hot" 0.2 >/dev/null 2>err.txt
else
    "$TPROF" -o ro/x.folded -- "$PROGS/hot" 0.2 >/dev/null 2>err.txt
fi
rc=$?; [ $rc -eq 1 ] && grep -q "cannot write" err.txt && [ -z "$(ls ro)" ]
check "unwritable output: one-line error, exit 1, no stray file" $? "rc=$rc $(cat err.txt)"
"$TPROF" -o "$TMP" -- "$PROGS/hot" 0.1 >/dev/null 2>err.txt
rc=$?; [ $rc -eq 1 ] && grep -q "Is a directory" err.txt
check "output is a directory: clear error" $? "rc=$rc $(cat err.txt)"
ls "$TMP" | grep -q '\.tmp\.' && fail "no temporary files left behind" "$(ls "$TMP")" || pass "no temporary files left behind"

# A program too short to be sampled (per task: per CPU, a tick often lands
# in the exec of true): a failure (exit 1, said on the one
# line), and -o holds this run's empty profile, not an earlier run's.
echo "main;earlier 5" >short.folded
"$TPROF" --per-task -o short.folded -- true 2>err.txt
rc=$?
if grep -q 'no samples' err.txt; then
    [ $rc -eq 1 ] && [ ! -s short.folded ] && [ "$(wc -l <err.txt)" -eq 1 ]
    check "a too-short program: exit 1, one line, and -o is this run's (empty)" $? \
        "rc=$rc $(cat err.txt) [$(head -c 100 short.folded)]"
else
    skip "a too-short program" "true got a sample this time: $(cat err.txt)"
fi
# -q drops the summary, not this failure's line
"$TPROF" --per-task -q -o short.folded -- true 2>err.txt
rc=$?
if grep -q 'no samples' err.txt || [ $rc -ne 0 ]; then
    [ $rc -eq 1 ] && [ "$(wc -l <err.txt)" -eq 1 ] && grep -q 'no samples' err.txt
    check "a too-short program with -q: exit 1 and still its one line" $? "rc=$rc $(cat err.txt)"
else
    skip "a too-short program with -q" "true got a sample this time"
fi
"$TPROF" -o short2.folded -- sh -c 'exit 7' 2>err.txt
rc=$?; [ $rc -eq 7 ]
check "a failing program, sampled or not: its exit status" $? "rc=$rc $(cat err.txt)"

# Unprivileged users: with perf_event_paranoid=2 only user mode may be
# sampled (said once); with 3 perf_event_open is refused and the message
# names the setting. Needs root to switch user (and to set the sysctl).
par=$(cat /proc/sys/kernel/perf_event_paranoid)
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 && [ "$par" -le 2 ]; then
    # (copies: the checkout may be where nobody can go, e.g. under a 0700
    # /root; relative paths from the working directory need no way in)
    mkdir -m 777 user
    cp "$TPROF" user/tprof && cp "$PROGS/hot" user/hot && chmod 755 user/tprof user/hot
    asuser() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
    (cd user && asuser ./tprof -o u.folded -- ./hot 0.3 >/dev/null 2>err.txt)
    rc=$?
    [ $rc -eq 0 ] && [ -s user/u.folded ] && grep -q 'kernel-mode time is not sampled (kernel.perf_event_paranoid=' user/err.txt
    check "unprivileged, paranoid=$par: user-mode profile and a one-line notice" $? "rc=$rc $(cat user/err.txt)"
    # Debian's kernels make 3 refuse everything unprivileged; mainline treats
    # it as 2. Either way the outcome must be clean and say so.
    if sysctl -q -w kernel.perf_event_paranoid=3 2>/dev/null; then
        (cd user && asuser ./tprof --backend perf -o p3.folded -- ./hot 0.3 >/dev/null 2>err3.txt)
        rc=$?
        sysctl -q -w kernel.perf_event_paranoid="$par"
        if [ $rc -eq 1 ]; then
            [ "$(wc -l <user/err3.txt)" -eq 1 ] && grep -q 'perf_event_paranoid=3' user/err3.txt && [ ! -e user/p3.folded ]
            check "paranoid=3 (refusing kernel): one line naming the setting, no file" $? "$(cat user/err3.txt)"
        else
            [ $rc -eq 0 ] && grep -q 'perf_event_paranoid=3' user/err3.txt && [ -s user/p3.folded ]
            check "paranoid=3 (mainline kernel, same as 2): user-mode profile, notice names the setting" $? "rc=$rc $(cat user/err3.txt)"
        fi
    else
        skip "paranoid=3" "cannot set kernel.perf_event_paranoid here"
    fi
else
    skip "unprivileged recording" "needs root, setpriv and perf_event_paranoid <= 2"
fi

# perf_event_open refused without seccomp (EACCES, as paranoid gives): the
# message names kernel.perf_event_paranoid and what to do.
LD_PRELOAD="$PROGS/libnoperf.so" "$TPROF" --backend perf -o ea.folded -- "$PROGS/hot" 0.2 >/dev/null 2>err.txt
rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <err.txt)" -eq 1 ] && grep -q "perf_event_open denied (kernel.perf_event_paranoid=$par); run as root or 'sysctl kernel.perf_event_paranoid=1'" err.txt && [ ! -e ea.folded ]
check "EACCES: one line naming perf_event_paranoid and the fix, no file" $? "rc=$rc $(cat err.txt)"
