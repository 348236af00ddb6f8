# Every CPU tick where it was spent (issue 31): the coverage figure against
# programs that time themselves, threads shorter than a sampling period
# sampled per CPU, and other processes' samples kept out. Truth is each
# program's own measure of the same run (thread CPU clocks around its
# work), never an expected number.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
NOPERF="$PROGS/noperf"
PY="$ROOT/tests/e2e/py"
PERIOD_MS=1.001 # (999 Hz: the default rate)

# cover FILE: the coverage percentage the summary in FILE gives, or ""
cover() { sed -n 's/.*samples cover \([0-9]*\)% of.*/\1/p' "$1" | tail -1; }
# samples_in FOLDED FRAME: samples whose stack holds FRAME
samples_in() { grep -F "$2" "$1" | awk '{ n += $NF } END { print n + 0 }'; }
# ratio A B: A / B with 3 decimals
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

# ----- one long thread: its samples cover its CPU time -----
for be in perf ptrace; do
    wrap=""
    [ $be = ptrace ] && wrap="$NOPERF"
    $wrap "$TPROF" -o long.$be.folded -- "$PROGS/hot" 1.5 >/dev/null 2>long.$be.err
    c=$(cover long.$be.err)
    [ -n "$c" ] && ge "$c" 95
    check "$be: one long thread, samples cover >= 95% of its CPU ($c%)" $? "$(tail -1 long.$be.err)"
done

# ----- 5000 threads of 0.2 ms each (a thread per request) -----
# (the coverage counts the whole process, ~1100 samples; a function's own
# share, ~1000 samples of 1 ms against its thread-CPU clock, is held to
# 85%: one sample more or less is 0.1%, and such counts vary by a few %)
priv=false
[ "$(id -u)" = 0 ] && priv=true
if $priv; then
    "$TPROF" -o st.folded -- "$PROGS/shortthreads" 5000 200 >st.out 2>st.err
    rc=$?
    c=$(cover st.err)
    work=$(sed -n 's/^work_s=//p' st.out)
    got=$(samples_in st.folded ';short_work')
    share=$(ratio "$(awk -v n="$got" -v p=$PERIOD_MS 'BEGIN { print n * p / 1000 }')" "$work")
    [ $rc -eq 0 ] && grep -q 'via perf_event_open per CPU' st.err && [ -n "$c" ] && ge "$c" 90 &&
        ge "$share" 0.85
    check "per CPU: 5000 threads of 0.2 ms, samples cover >= 90% of the CPU ($c%) and of short_work's own time ($share of ${work}s)" \
        $? "rc=$rc $(tail -1 st.err)"
    # the same, per task: the low figure, and why
    "$TPROF" --per-task -o stt.folded -- "$PROGS/shortthreads" 2000 200 >/dev/null 2>stt.err
    c=$(cover stt.err)
    [ -n "$c" ] && [ "$c" -lt 50 ] &&
        grep -q 'threads ended before their first sample (shorter than the 1.0 ms period: without --per-task' stt.err
    check "--per-task: the same threads' low coverage ($c%) and its reason" $? "$(tail -1 stt.err)"

    # another CPU-bound process beside: none of its samples reach the profile
    "$PROGS/hot" 8 >/dev/null 2>&1 &
    other=$!
    "$TPROF" -o beside.folded -- "$PROGS/shortthreads" 3000 200 >/dev/null 2>beside.err
    rc=$?
    kill $other 2>/dev/null
    wait $other 2>/dev/null
    roots=$(cut -d';' -f1 beside.folded | sort -u | tr '\n' ' ')
    [ $rc -eq 0 ] && [ "$roots" = "shortthreads " ] && ! grep -q ';work;alpha;' beside.folded
    check "per CPU, a busy process beside: only the program's samples" $? "roots: $roots"
else
    skip "per-CPU sampling" "needs root (or CAP_PERFMON)"
fi

# ----- unprivileged: per task, and the coverage line says what per CPU needs -----
par=$(cat /proc/sys/kernel/perf_event_paranoid)
if $priv && command -v setpriv >/dev/null 2>&1 && [ "$par" -ge 1 ] && [ "$par" -le 2 ]; then
    mkdir -m 777 user
    cp "$TPROF" user/tprof && cp "$PROGS/shortthreads" user/st && chmod 755 user/tprof user/st
    (cd user && setpriv --reuid=65534 --regid=65534 --clear-groups ./tprof -o u.folded -- ./st 2000 200 \
        >/dev/null 2>err.txt)
    c=$(cover user/err.txt)
    [ -n "$c" ] && [ "$c" -lt 50 ] && grep -q 'needs root, CAP_PERFMON or kernel.perf_event_paranoid <= 0' user/err.txt &&
        ! grep -q 'via perf_event_open per CPU' user/err.txt
    check "unprivileged (paranoid=$par): per task, low coverage ($c%) and what per CPU needs" $? \
        "$(tail -1 user/err.txt)"
else
    skip "unprivileged coverage" "needs root, setpriv and perf_event_paranoid 1 or 2"
fi

# ----- Python, a thread per task of 0.2 ms (sha256), every interpreter -----
interpreters | while read -r name py; do
    if [ "$py" = - ]; then
        skip "$name: a thread per task" "not installed"
        continue
    fi
    if ! $priv; then
        skip "$name: a thread per task, per CPU" "needs root"
        continue
    fi
    "$TPROF" -o pt.$name.folded -- "$py" "$PY/pertask.py" 5000 200 >pt.out 2>pt.err
    rc=$?
    c=$(cover pt.err)
    task=$(sed -n 's/^tasks: [0-9]* task_s //p' pt.out)
    got=$(samples_in pt.$name.folded ';task (')
    share=$(ratio "$(awk -v n="$got" -v p=$PERIOD_MS 'BEGIN { print n * p / 1000 }')" "$task")
    inc=$(sed -n 's/.* \([0-9.]*\)% of [0-9]* Python samples inconsistent.*/\1/p' pt.err)
    short=$(sed -n 's/.* \([0-9.]*\)% unwound short of a root.*/\1/p' pt.err)
    # (the task's share: 0.845-1.035 in 30 runs of the five interpreters,
    # both builds, one under 0.89: at least 0.80)
    [ $rc -eq 0 ] && [ -n "$c" ] && ge "$c" 90 && ge "$share" 0.80 && [ -n "$inc" ] &&
        ! ge "$inc" 2.01 && [ -n "$short" ] && ! ge "$short" 2.01
    check "$name: a thread per task of 0.2 ms, samples cover >= 90% ($c%), task's own time ($share of ${task}s), Python frames on them ($inc% inconsistent, $short% short of a root)" \
        $? "rc=$rc $(tail -1 pt.err)"
    # ptrace: each short thread stopped for its samples; their Python
    # frames consistent, their stacks whole (the parent in clone3, the
    # child at its first instruction: glibc's clone3 has no CFI there)
    "$NOPERF" "$TPROF" --all-frames -o ptp.$name.folded -- "$py" "$PY/pertask.py" 2000 200 >/dev/null 2>ptp.err
    rc=$?
    inc=$(sed -n 's/.* \([0-9.]*\)% of [0-9]* Python samples inconsistent.*/\1/p' ptp.err)
    # (short of a root: 21.5% before the unwinder stepped through clone3;
    # then 0.0-1.1%, 3.6% once, with a new thread stopped a few
    # instructions into clone3's child, before its CFI: [unknown] callers;
    # then 0.0-0.2% in 23 runs of the five interpreters. Judged on the
    # short threads' own samples (those through Thread._bootstrap or
    # task): the summary's figure, over every sample, also counts the
    # interpreter's start-up, whose imports can run deeper than the 16 KiB
    # of stack copied (0.0-3.9% here, with the short threads whole). The
    # short stacks are shown if it fails.)
    short=$(awk '{ n = $NF; s = $0; sub(/ [0-9]+$/, "", s)
                   if (s !~ /;(task|Thread\._bootstrap) \(/) next
                   t += n; split(s, f, ";"); if (f[2] !~ /^(clone3|clone|start_thread)$/) b += n }
                 END { printf "%.1f", t ? 100 * b / t : 100 }' ptp.$name.folded)
    [ $rc -eq 0 ] && [ -n "$inc" ] && ! ge "$inc" 2.01 && ! ge "$short" 2.01
    check "$name, ptrace: a thread per task, $inc% inconsistent (at most 2%), the threads' stacks $short% short of a root (at most 2%)" \
        $? "rc=$rc $(tail -1 ptp.err); short: $(grep ';task (\|;Thread\._bootstrap (' ptp.$name.folded | awk -F';' '$2 !~ /^(clone3|clone|start_thread)$/' | sort -t' ' -k2 -rn | head -3 | cut -c1-300)"
done


