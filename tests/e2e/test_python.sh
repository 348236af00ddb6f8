# Python frames: every CPython present (Debian's /usr/bin/python3.11, which
# scripts/install-deps.sh installs, and pyenv's 3.10-3.13 when the machine
# has them), on both backends: detection, naming, splicing, accuracy against
# a split known by construction, threads, generators, --python=off,
# --python-lines, attaching, wall mode, children, and an unsupported version.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
PY="$ROOT/tests/e2e/py"
NOPERF="$PROGS/noperf"

# Shares among the loop's stacks (those through main (split.py)): a, b, c
# and keyfn, and the share of keyfn under d through sorted() (C).
split_shares() {
    awk '{ n = $NF; if ($0 !~ /;main \([^;]*split\.py:[0-9]+\)/) next; t += n
           if ($0 ~ /;a \(/) A += n; if ($0 ~ /;b \(/) B += n; if ($0 ~ /;c \(/) C += n
           if ($0 ~ /;keyfn \(/) K += n
           if ($0 ~ /;d \([^;]*\);(builtin_sorted[^;]*;)?([^;]*_\[i\];)*keyfn \(/) D += n }
         END { if (!t) { print "0 0 0 0 0 0"; exit }
               printf "%d %.1f %.1f %.1f %.1f %.1f\n", t, 100*A/t, 100*B/t, 100*C/t, 100*K/t, 100*D/t }' "$1"
}

# near VALUE WANT TOL: |VALUE - WANT| <= TOL
near() { awk -v v="$1" -v w="$2" -v t="$3" 'BEGIN { d = v - w; if (d < 0) d = -d; exit !(d <= t) }'; }

# measured OUT: the split split.py measured of itself ("a 50.1 b 25.0 c
# 15.0 keyfn 9.9" -> "50.1 25.0 15.0 9.9"); its own time moves between runs
# on a busy host (keyfn 15.5% of one run's CPU time), so a profile is judged
# against its run's split.
measured() {
    sed -n 's/^split: a \([0-9.]*\) b \([0-9.]*\) c \([0-9.]*\) keyfn \([0-9.]*\)$/\1 \2 \3 \4/p' "$1" | tail -1
}

# split_near NAME a b c keyfn OUT: each share within 3 points of what the
# program measured (50/25/15/10 by construction).
split_near() {
    name=$1 a=$2 b=$3 c=$4 k=$5
    set -- $(measured "$6")
    if [ $# -ne 4 ]; then
        fail "$name: split" "split.py printed no split: $(head -c 300 "$6" 2>/dev/null)"
        return
    fi
    near "$a" "$1" 3 && near "$b" "$2" 3 && near "$c" "$3" 3 && near "$k" "$4" 3
    check "$name: split within 3 points of the program's own (50/25/15/10 by construction)" $? \
        "profile a $a b $b c $c keyfn $k; program a $1 b $2 c $3 keyfn $4"
}

# accuracy NAME FOLDED: the split (see split_near) and the sorted() chain
# present.
accuracy() {
    file=$2
    set -- "$1" $(split_shares "$file")
    name=$1 total=$2 a=$3 b=$4 c=$5 k=$6 chain=$7
    if [ "$total" -lt 500 ]; then
        fail "$name: split" "only $total samples through main: $(sort -t' ' -k2 -nr "$file" | head -3 | cut -c1-900) $(tail -3 "${file%.folded}.err" 2>/dev/null)"
        return
    fi
    near "$chain" "$k" 0.5 && [ "${k%.*}" -gt 0 ]
    check "$name: keyfn called from sorted() sits under d" $? "keyfn $k%, under d $chain%"
    if [ -n "${TPROF_SANITIZED:-}" ]; then
        skip "$name: split 50/25/15/10" "accuracy is measured with the release build"
        return
    fi
    split_near "$name" "$a" "$b" "$c" "$k" "${file%.folded}.out"
}

# split.py's first lines (co_firstlineno), and a()'s one line of work
line_of() { grep -n "^def $1(" "$PY/split.py" | cut -d: -f1; }
L_MAIN=$(line_of main) L_A=$(line_of a) L_WORK=$(line_of work)
L_A_WORK=$((L_A + 1))

# ----- read at the sample (the kernel program) -----

# inconsistent ERR: the summary's share of Python samples kept native
inconsistent() { sed -n 's/.* \([0-9.]*\)% of [0-9]* Python samples inconsistent.*/\1/p' "$1" | tail -1; }

# after_share ERR: the summary's share of Python samples read after the
# sample for lack of a kernel record
after_share() { sed -n 's/.*, \([0-9.]*\)% after it (no kernel record.*/\1/p' "$1" | tail -1; }

# read_at_sample_once_loaded NAME ERR: as read_at_sample, for a python that
# a program started: the kernel program is loaded while the program runs
# (30-120 ms), and what came before reads after the sample, counted so
# (at most a tenth here); the rest is read at the sample, and at most 1%
# more than that share kept native
read_at_sample_once_loaded() {
    inc=$(inconsistent "$2") after=$(after_share "$2")
    grep -q "read at each sample in the kernel" "$2" && [ -n "$after" ] &&
        awk -v i="${inc:-100}" -v a="$after" 'BEGIN { exit !(a <= 10 && i <= a + 1) }'
    check "$1: read at the sample once the kernel program is loaded (${after:-?}% before it)" $? \
        "$(cat "$2")"
}

# read_at_sample NAME ERR: the run said its frames were read in the kernel,
# and at most 1% of its Python samples were kept native
read_at_sample() {
    inc=$(inconsistent "$2")
    grep -q "read at each sample in the kernel" "$2" && near "${inc:-100}" 0 1
    check "$1: read at the sample (at most 1% inconsistent)" $? "$(cat "$2")"
}

# The kernel program must load here when root (CI is): only a machine
# where it cannot (not root) skips what needs it.
if "$TPROF" -q --python-read kernel -o "$TMP/probe.folded" -- "$PROGS/hot" 0.1 2>"$TMP/probe.err"; then
    KERNEL=yes
elif [ -n "${CI:-}" ]; then
    KERNEL=no
    fail "the kernel program loads (CI runs as root)" "$(cat "$TMP/probe.err")"
else
    KERNEL=no
    skip "reading Python frames at the sample" "it cannot load here: $(head -c 300 "$TMP/probe.err")"
fi

interpreters >list
while read -r label py; do
    if [ "$py" = "-" ]; then
        skip "$label" "not installed (pyenv install 3.${label#pyenv-3.})"
        continue
    fi
    if [ ! -x "$py" ]; then
        fail "$label" "$py is missing: scripts/install-deps.sh installs python3.11"
        continue
    fi
    ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

    # ----- perf backend -----
    "$TPROF" --backend perf -o "$label.perf.folded" -- "$py" "$PY/split.py" 3 >"$label.perf.out" 2>"$label.perf.err"
    rc=$?
    [ $rc -eq 0 ] && [ "$(grep -c "^tprof: python $ver" "$label.perf.err")" -eq 1 ] &&
        grep -q "showing Python frames" "$label.perf.err" &&
        grep -Eq "[0-9.]+% of [0-9]+ Python samples inconsistent" "$label.perf.err"
    check "$label: detected and said once (python $ver), inconsistent share in the summary" $? \
        "rc=$rc $(cat "$label.perf.err")"
    grep -q ";<module> ([^;]*split\.py:1);main ([^;]*split\.py:$L_MAIN);a ([^;]*split\.py:$L_A);work ([^;]*split\.py:$L_WORK)" \
        "$label.perf.folded"
    check "$label: QUALNAME (FILE:FIRSTLINE) frames in place of the eval loop" $? \
        "$(sort -t' ' -k2 -nr "$label.perf.folded" | head -2)"
    ! grep -q ';<module> ([^;]*split\.py:1);[^;(]*;main (' "$label.perf.folded"
    check "$label: interpreter frames between Python frames dropped" $? \
        "$(grep ';<module> (' "$label.perf.folded" | head -2)"
    accuracy "$label perf" "$label.perf.folded"

    grep -q "^tprof: python $ver.*, offsets from its DWARF): showing" "$label.perf.err"
    check "$label: structure offsets from the interpreter's DWARF" $? "$(head -1 "$label.perf.err")"

    if [ "$KERNEL" = yes ]; then
        # read at the sample: said, and (nearly) every Python sample
        # consistent; the rest are import-time frames named too late
        grep -q "^tprof: python $ver.*read at each sample in the kernel" "$label.perf.err" &&
            grep -Eq "% read at the sample" "$label.perf.err"
        check "$label: frames read at each sample in the kernel, said" $? "$(cat "$label.perf.err")"
        if [ -z "${TPROF_SANITIZED:-}" ]; then
            inc=$(inconsistent "$label.perf.err")
            near "${inc:-100}" 0 1
            check "$label: split.py: at most 1% of Python samples inconsistent" $? \
                "$(tail -1 "$label.perf.err")"
            # two threads encoding and decoding, the main one encoding
            # fast: the issue's program
            "$TPROF" -o "$label.two.folded" -- "$py" "$PY/twothreads.py" 4 >"$label.two.out" 2>"$label.two.err"
            inc=$(inconsistent "$label.two.err")
            near "${inc:-100}" 0 1
            check "$label: two threads: at most 1% of Python samples inconsistent" $? \
                "$(tail -1 "$label.two.err")"
            shares_near "$label: two threads" "$label.two.folded" "$label.two.out" 2 \
                encode_frame_fast encode_frame decode_frame
            # compute ~1 ms then sleep 2 ms: the samples land in compute
            "$TPROF" -o "$label.cs.folded" -- "$py" "$PY/computesleep.py" 2 >"$label.cs.out" 2>"$label.cs.err"
            shares_near "$label: compute then sleep" "$label.cs.folded" "$label.cs.out" 3 compute wait
            # a blocking socket client against a local peer
            "$TPROF" -o "$label.sock.folded" -- "$py" "$PY/sockclient.py" 2 >"$label.sock.out" 2>"$label.sock.err"
            # (8 points as in test_block.sh: sampled per CPU, its two
            # threads can keep step with a CPU's timer; 5.8 off once in a
            # full suite, 0.9-2.7 in 6 runs alone)
            shares_near "$label: socket client" "$label.sock.folded" "$label.sock.out" 8 \
                encode exchange serve
            # code objects freed right after they run (an import's): named
            # from the kernel's copy, each round's by its own file
            "$TPROF" -o "$label.code.folded" -- "$py" "$PY/shortcode.py" 2 >"$label.code.out" \
                2>"$label.code.err"
            read_at_sample "$label: code objects that live a moment" "$label.code.err"
            # (4 points: 0.2-3.1 from the program's own figure in 5 runs)
            shares_near "$label: code objects that live a moment" "$label.code.folded" \
                "$label.code.out" 4 run build
            # (a round is ~0.2 ms, a sample period 1 ms: nearly every
            # sample of run() is another round's, and names its own file)
            set -- $(awk '/;run \(gen_[0-9]*\.py:2\)/ { n += $NF
                          match($0, /;run \(gen_[0-9]*\.py/); f[substr($0, RSTART, RLENGTH)] = 1 }
                          END { for (k in f) u++; printf "%d %d", n, u }' "$label.code.folded")
            [ "${1:-0}" -ge 300 ] && [ $(($2 * 10)) -ge $(($1 * 8)) ]
            check "$label: each round's run() named by its own file" $? "$2 files for $1 samples"
        fi
    fi

    # ----- read after the sample (--python-read user), as without BPF -----
    "$TPROF" --python-read user -o "$label.user.folded" -- "$py" "$PY/split.py" 3 >"$label.user.out" \
        2>"$label.user.err"
    if grep -q "^tprof: python $ver.*read after each sample.*(--python-read user)" "$label.user.err"; then
        accuracy "$label read after the sample" "$label.user.folded"
    else
        fail "$label: --python-read user" "$(cat "$label.user.err")"
    fi

    # ----- the built-in tables, without the DWARF -----
    TPROF_PYTHON_OFFSETS=tables "$TPROF" --backend perf -o "$label.tab.folded" -- "$py" "$PY/split.py" 3 \
        >"$label.tab.out" 2>"$label.tab.err"
    if grep -q "^tprof: python $ver.*, built-in offsets): showing" "$label.tab.err"; then
        accuracy "$label tables" "$label.tab.folded"
    else
        fail "$label tables" "$(cat "$label.tab.err")"
    fi

    # ----- ptrace backend (read while the thread is stopped) -----
    if "$NOPERF" "$TPROF" -o "$label.pt.folded" -- "$py" "$PY/split.py" 3 >"$label.pt.out" 2>"$label.pt.err"; then
        accuracy "$label ptrace" "$label.pt.folded"
    else
        fail "$label ptrace" "$(cat "$label.pt.err")"
    fi

    # ----- threads: each thread state matched to its kernel thread -----
    "$TPROF" -q --threads -o "$label.thr.folded" -- "$py" "$PY/threads.py" 1.5 >/dev/null 2>&1
    l=$(grep -c ';spin_left (' "$label.thr.folded")
    r=$(grep -c ';spin_right (' "$label.thr.folded")
    both=$(grep ';spin_left (' "$label.thr.folded" | grep -c ';spin_right (')
    lroots=$(grep ';spin_left (' "$label.thr.folded" | cut -d';' -f1 | sort -u | wc -l)
    rroots=$(grep ';spin_right (' "$label.thr.folded" | cut -d';' -f1 | sort -u | wc -l)
    common=$( (grep ';spin_left (' "$label.thr.folded" | cut -d';' -f1 | sort -u
               grep ';spin_right (' "$label.thr.folded" | cut -d';' -f1 | sort -u) | sort | uniq -d | wc -l)
    [ "$l" -gt 0 ] && [ "$r" -gt 0 ] && [ "$both" -eq 0 ] && [ "$lroots" -eq 1 ] &&
        [ "$rroots" -eq 1 ] && [ "$common" -eq 0 ]
    check "$label: threads: each function on its own thread only" $? \
        "left $l right $r both $both roots $lroots/$rroots common $common"
    # (3.10's code objects have no qualname: "run", not "Thread.run")
    grep -Eq ';(Thread\.)?run \(threading\.py:[0-9]+\);spin_left \(' "$label.thr.folded"
    check "$label: standard library files shortened (threading.py)" $? \
        "$(grep ';spin_left (' "$label.thr.folded" | head -1)"

    # ----- generators and coroutines -----
    "$TPROF" -q -o "$label.gen.folded" -- "$py" "$PY/gen.py" 1.5 >/dev/null 2>&1
    grep -q ';consume ([^;]*gen\.py:16);produce ([^;]*gen\.py:12);work (' "$label.gen.folded" &&
        grep -q ';coro ([^;]*gen\.py:22);work (' "$label.gen.folded"
    check "$label: generator and coroutine frames as their functions" $? \
        "$(grep -o ';[a-z_]* ([^;]*gen\.py:[0-9]*)' "$label.gen.folded" | sort | uniq -c | head)"

    # ----- --python=off, --python-lines -----
    "$TPROF" -q --python=off -o "$label.off.folded" -- "$py" "$PY/split.py" 0.5 >/dev/null 2>"$label.off.err"
    ! grep -q 'split\.py' "$label.off.folded" && grep -q '_PyEval_EvalFrameDefault' "$label.off.folded" &&
        ! grep -q 'showing Python frames' "$label.off.err"
    check "$label: --python=off keeps the interpreter's frames" $? "$(head -c 400 "$label.off.folded")"
    "$TPROF" -q --python-lines -o "$label.lines.folded" -- "$py" "$PY/split.py" 1 >/dev/null 2>&1
    grep -Eq ";work \([^;]*split\.py:($((L_WORK + 1))|$((L_WORK + 2))|$((L_WORK + 3)))\)" "$label.lines.folded" &&
        grep -q ";a ([^;]*split\.py:$L_A_WORK);" "$label.lines.folded"
    check "$label: --python-lines names the line executing" $? \
        "$(grep -o ';[a-z]* ([^;]*split\.py:[0-9]*)' "$label.lines.folded" | sort | uniq -c | head)"
done <list

# ----- the rest: one interpreter (Debian's) -----
py=/usr/bin/python3.11
if [ -x "$py" ]; then
    # attaching to a running program
    "$py" "$PY/split.py" 5 >attach.out &
    pid=$!
    sleep 0.5
    "$TPROF" -p $pid --duration 2.5 -o attach.folded >/dev/null 2>attach.err
    rc=$?
    wait $pid
    [ $rc -eq 0 ] && grep -q "^tprof: python 3.11" attach.err
    check "-p: a running Python program is detected" $? "rc=$rc $(cat attach.err)"
    if [ "$KERNEL" = yes ] && [ -z "${TPROF_SANITIZED:-}" ]; then
        read_at_sample "-p, from its first sample on" attach.err
        # a thread per request, launched: each thread's first samples read
        # at the sample too (its state found through its thread-local slot)
        # (short threads get few samples on some runs, issue 31's
        # per-task timers: 84 in 2 s once, where 2 of 69 Python samples
        # made 2.9%; so
        # at most 1% or 2 samples inconsistent)
        # (a sample or two before tprof has registered the process has no
        # record: on a run that got 33 Python samples, one was 3%)
        "$TPROF" -o shortl.folded -- "$py" "$PY/shortthreads.py" 2 >/dev/null 2>shortl.err
        after=$(sed -n 's/.*, \([0-9.]*\)% after it (no kernel record).*/\1/p' shortl.err)
        pys=$(sed -n 's/.* of \([0-9]*\) Python samples inconsistent.*/\1/p' shortl.err)
        bad=$(sed -n 's/.* \([0-9.]*\)% of \([0-9]*\) Python samples inconsistent.*/\1 \2/p' shortl.err |
              awk '{ printf "%d", $1 * $2 / 100 + 0.5 }')
        late=$(echo "${after:-100} ${pys:-0}" | awk '{ printf "%d", $1 * $2 / 100 + 0.5 }')
        { near "${after:-100}" 0 1 || [ "${late:-100}" -le 2 ]; } &&
            { near "$(inconsistent shortl.err)" 0 1 || [ "${bad:-100}" -le 2 ]; }
        check "a thread per request: at most 1% (or 2 samples) inconsistent, and without a record" $? \
            "$(tail -1 shortl.err)"
        # a thread per request, the threads made after tprof attached
        "$py" "$PY/shortthreads.py" 4 >short.out &
        pid=$!
        sleep 0.5
        "$TPROF" -p $pid --duration 2 -o short.folded >/dev/null 2>short.err
        wait $pid
        after=$(sed -n 's/.*, \([0-9.]*\)% after it (no kernel record).*/\1/p' short.err)
        grep -q ';handle ([^;]*shortthreads\.py:[0-9]*);work (' short.folded && near "${after:-100}" 0 1
        check "-p: threads made later read at the sample from their first samples (at most 1% without a record)" $? \
            "$(tail -1 short.err)"
    fi
    set -- $(split_shares attach.folded)
    [ "${1:-0}" -ge 500 ] && near "$6" "$5" 0.5 && [ "${5%.*}" -gt 0 ]
    check "-p: keyfn called from sorted() sits under d" $? "$(split_shares attach.folded)"
    if [ -n "${TPROF_SANITIZED:-}" ]; then
        skip "-p: split 50/25/15/10" "accuracy is measured with the release build"
    else
        # (the program measures its whole 5 s; tprof samples 2.5 s of them)
        if [ "${1:-0}" -ge 500 ]; then
            split_near "-p" "$2" "$3" "$4" "$5" attach.out
        else
            fail "-p: split" "only ${1:-0} samples through main"
        fi
    fi

    out=$("$py" "$ROOT/examples/amqp-python/amqp_bench.py" --selftest 2>&1)
    check "amqp-python --selftest: both encoders, byte for byte" $? "$out"
    # the AMQP story: the line is slow because of what runs under it
    "$TPROF" -q -o amqp.folded -- "$py" "$ROOT/examples/amqp-python/amqp_bench.py" naive 1.5 \
        >/dev/null 2>&1
    grep -Eq ';NaiveEncoder\.encode_binary \([^;]*codec_naive\.py:9\);bytes_concat[^;]*;([^;]*_\[i\];)*__memmove' amqp.folded
    check "amqp naive: memmove under bytes_concat under encode_binary (python3.11-dbg names)" $? \
        "$(grep 'encode_binary' amqp.folded | sort -t' ' -k2 -nr | head -2)"
    if [ "$KERNEL" = yes ] && [ -z "${TPROF_SANITIZED:-}" ]; then
        # the tuned encoder changes its stack every few microseconds: read
        # after the sample, half its samples were kept native
        "$TPROF" -o tuned.folded -- "$py" "$ROOT/examples/amqp-python/amqp_bench.py" tuned 2 \
            >/dev/null 2>tuned.err
        inc=$(inconsistent tuned.err)
        near "${inc:-100}" 0 1 && grep -q ';TunedEncoder\.encode_binary (' tuned.folded
        check "amqp tuned: at most 1% of Python samples inconsistent" $? "$(tail -1 tuned.err)"
    fi
    # the committed recordings were made reading at the sample: the tuned
    # one has (nearly) no sample in the eval loop without a Python frame
    evalonly=$(awk '{ n = $NF; t += n; if ($0 ~ /_PyEval_EvalFrameDefault/ && $0 !~ /\.py:[0-9]+\)/) e += n }
                    END { printf "%.2f", t ? 100 * e / t : 100 }' "$ROOT/sample-profiles/amqp-python-tuned.folded")
    near "$evalonly" 0 1
    check "sample-profiles/amqp-python-tuned.folded: at most 1% in the eval loop with no Python frame" $? \
        "$evalonly%"

    # the program's own files are named relative to where tprof runs
    (cd "$ROOT/tests/e2e" && "$TPROF" -q -o "$TMP/rel.folded" -- "$py" py/split.py 0.5 >/dev/null 2>&1)
    grep -q ";main (py/split\.py:$L_MAIN);a (py/split\.py:$L_A);work (py/split\.py:$L_WORK)" rel.folded
    check "files under the current directory are named relative to it" $? "$(head -c 400 rel.folded)"

    # a shell starting python, and multiprocessing's children
    "$TPROF" -o sh.folded -- sh -c "'$py' '$PY/split.py' 3" >sh.out 2>sh.err
    grep -q ";a ([^;]*split\.py:$L_A);work (" sh.folded
    check "a shell script's python is detected after its exec" $? "$(head -c 300 sh.folded)"
    # found after it started, it is read as promptly from then on as a
    # python launched directly: the same accuracy
    accuracy "a shell script's python" sh.folded
    if [ "$KERNEL" = yes ] && [ -z "${TPROF_SANITIZED:-}" ]; then
        read_at_sample_once_loaded "a shell script's python" sh.err
    fi
    "$TPROF" -o mp.folded -- "$py" "$PY/mp.py" 1 >/dev/null 2>mp.err
    grep -q ';child_task ([^;]*mp\.py:12);work (' mp.folded
    check "multiprocessing: the children's Python frames" $? \
        "$(grep -o ';[a-z_]* ([^;]*mp\.py:[0-9]*)' mp.folded | sort | uniq -c)"
    if [ "$KERNEL" = yes ] && [ -z "${TPROF_SANITIZED:-}" ]; then
        # a forked child is read at the sample from its first sample on
        after=$(sed -n 's/.*, \([0-9.]*\)% after it (no kernel record).*/\1/p' mp.err)
        near "${after:-100}" 0 1
        check "multiprocessing: the children read at the sample from their first samples (at most 1% without a record)" $? \
            "$(tail -1 mp.err)"
    fi
    # a Python program that forks and execs a native one: the child, taken
    # for Python as it forked, is the native program once it has exec'd
    "$TPROF" -q -o sub.folded -- "$py" -c 'import subprocess, sys; subprocess.run([sys.argv[1], "1"])' \
        "$PROGS/hot" >/dev/null 2>sub.err
    grep -q '^hot;.*;main;work;alpha' sub.folded || grep -q ';main;work;alpha' sub.folded
    check "a Python program's native child (fork, exec): its own frames" $? \
        "$(sort -t' ' -k2 -nr sub.folded | head -3 | cut -c1-300) $(cat sub.err)"

    # a live viewer says which Python it found
    tmux_start py
    $T new-session -d -s v -x 120 -y 30 "env TERM=screen LANG=C.UTF-8 '$TPROF' -- '$py' '$PY/split.py' 30"
    if [ "$KERNEL" = yes ]; then
        wait_for "python 3.11 at-sample" 100
        check "live: the header says python 3.11, read at the sample" $? "$(screen | tail -3)"
    else
        wait_for "python 3.11 after-sample" 100
        check "live: the header says python 3.11, read after the sample" $? "$(screen | tail -3)"
    fi
    keys q q # (no -o: the first q asks)
    sleep 0.5
else
    fail "debian python3.11" "/usr/bin/python3.11 is missing: scripts/install-deps.sh installs it"
fi

# ----- where the kernel program cannot load: not root -----
# (a world-readable copy of tprof and split.py: the checkout may be in a
# 0700 home)
if [ "$(id -u)" = 0 ] && [ -x /usr/bin/python3.11 ] && command -v setpriv >/dev/null; then
    nob="$TMP/nobody"
    mkdir -p "$nob" && cp "$TPROF" "$PY/split.py" "$nob/" && chmod 755 "$TMP" && chmod 777 "$nob"
    asnobody() { (cd "$nob" && setpriv --reuid=65534 --regid=65534 --clear-groups "$@"); }
    asnobody --inh-caps=-all ./"$(basename "$TPROF")" -o "$nob/u.folded" -- /usr/bin/python3.11 split.py 1 \
        >/dev/null 2>"$nob/u.err"
    rc=$?
    [ $rc -eq 0 ] && grep -q "^tprof: python 3.11.*read after each sample, so some are inconsistent (.*needs root, or CAP_BPF and CAP_PERFMON (setcap cap_bpf,cap_perfmon+ep tprof).*--backend ptrace" "$nob/u.err" &&
        grep -q ";a ([^;]*split\.py:$L_A);work (" "$nob/u.folded"
    check "not root: Python frames read after the sample, and the one line says why and what would read them at it" $? \
        "rc=$rc $(cat "$nob/u.err")"
    asnobody --inh-caps=-all ./"$(basename "$TPROF")" --python-read kernel -o "$nob/k.folded" -- \
        /usr/bin/python3.11 split.py 1 >/dev/null 2>"$nob/k.err"
    rc=$?
    [ $rc -eq 1 ] && [ "$(grep -c '^tprof: --python-read kernel: .*CAP_BPF and CAP_PERFMON' "$nob/k.err")" -eq 1 ] &&
        [ ! -e "$nob/k.folded" ]
    check "not root, --python-read kernel: one line, exit 1, nothing run or written" $? "rc=$rc $(cat "$nob/k.err")"
    if [ "$KERNEL" = yes ]; then
        asnobody --inh-caps=+bpf,+perfmon --ambient-caps=+bpf,+perfmon ./"$(basename "$TPROF")" \
            -o "$nob/c.folded" -- /usr/bin/python3.11 split.py 1 >/dev/null 2>"$nob/c.err"
        rc=$?
        [ $rc -eq 0 ] && grep -q "read at each sample in the kernel" "$nob/c.err"
        check "CAP_BPF and CAP_PERFMON alone: read at the sample" $? "rc=$rc $(cat "$nob/c.err")"
    fi
else
    skip "not root: read after the sample" "needs root (to become nobody) and /usr/bin/python3.11"
fi

# wall mode: blocked threads under their Python frames, and the GIL wait.
wpy=$(ls -d "$PYENV_ROOT"/versions/3.12.*/bin/python3.12 2>/dev/null | sort -V | tail -1)
[ -n "$wpy" ] || wpy=/usr/bin/python3.11
"$TPROF" -q --mode wall -o wall.folded -- "$wpy" "$PY/waits.py" 2 >/dev/null 2>wall.err
grep -Eq ';napper \([^;]*waits\.py:9\);[^ ]*(sleep|select)' wall.folded &&
    grep -Eq ';consumer \([^;]*waits\.py:13\);Queue\.get \(queue\.py:[0-9]+\);' wall.folded &&
    grep -Eq ';reader \([^;]*waits\.py:17\);[^ ]*recv' wall.folded
check "wall: time.sleep, queue.get and socket.recv under their Python frames" $? \
    "$(grep -Eo ';(napper|consumer|reader) \([^;]*\);[^ ]{0,200}' wall.folded | sort | uniq -c | sort -nr | head -5)"
# (Debian's python3.11 names take_gil from python3.11-dbg's debug file)
grep -Eq ';spinner \([^;]*waits\.py:27\);work \([^;]*\);[^ ]*take_gil' wall.folded
check "wall: the GIL wait shows as take_gil under the Python frame" $? \
    "$(grep ';spinner (' wall.folded | sort -t' ' -k2 -nr | head -3)"

# an unsupported version: one clear line, native frames only
old=$(ls -d "$PYENV_ROOT"/versions/3.9.*/bin/python3.9 2>/dev/null | sort -V | tail -1)
if [ -n "$old" ]; then
    "$TPROF" -o old.folded -- "$old" "$PY/split.py" 0.5 >/dev/null 2>old.err
    [ "$(grep -c 'python 3.9.* is not supported (3.10 to 3.13)' old.err)" -eq 1 ] &&
        ! grep -q 'split\.py' old.folded && grep -q '_PyEval_EvalFrameDefault' old.folded
    check "python 3.9: said unsupported once, native frames only" $? "$(cat old.err)"
else
    skip "python 3.9 (unsupported)" "pyenv 3.9 not installed"
fi

# Headless, the interpreter is announced when it is found, not at the end:
# the line comes before what the program writes on stderr as it ends.
if [ -x /usr/bin/python3.11 ]; then
    /usr/bin/python3.11 - 2>/dev/null <<'PYEND' >late.py
print("import sys, time")
print("t = time.time()")
print("while time.time() - t < 1.5:")
print("    sum(range(1000))")
print("print('program done', file=sys.stderr)")
PYEND
    "$TPROF" -o late.folded -- /usr/bin/python3.11 late.py >/dev/null 2>late.err
    found=$(grep -n "showing Python frames" late.err | head -1 | cut -d: -f1)
    done_at=$(grep -n "^program done" late.err | cut -d: -f1)
    [ -n "$found" ] && [ -n "$done_at" ] && [ "$found" -lt "$done_at" ]
    check "headless: the interpreter is announced when found, before the program ends" $? "$(cat late.err)"
else
    skip "headless: the interpreter announced when found" "/usr/bin/python3.11 is missing"
fi

# The Python view (the default): the socket client's stacks start at
# <module> under one [python start-up] frame (the peer thread's under
# [python thread start-up]), and the C function a line calls sits right
# under it (exchange;sock_sendall, no _PyObject_MakeTpCall or cfunction_call
# between); --all-frames and a .pb.gz keep every frame, and the .pb.gz
# converts to the view; report --fold-kernel makes send()'s kernel frames
# its system call.
if [ -x /usr/bin/python3.11 ]; then
    "$TPROF" -q -o view.folded -- /usr/bin/python3.11 "$PY/sockclient.py" 1 >/dev/null
    "$TPROF" -q --all-frames -o raw.folded -- /usr/bin/python3.11 "$PY/sockclient.py" 1 >/dev/null
    "$TPROF" -q -o raw.pb.gz -- /usr/bin/python3.11 "$PY/sockclient.py" 1 >/dev/null
    "$TPROF" convert raw.pb.gz -o pbview.folded 2>/dev/null
    "$TPROF" convert --all-frames raw.pb.gz -o pbraw.folded 2>/dev/null
    machinery='_PyObject_MakeTpCall\|cfunction_call\|method_vectorcall\|_PyObject_Vectorcall\|_PyEval_EvalFrame'
    grep -q '^python3.11;\[python start-up\];<module> ([^;]*sockclient\.py:1);main (' view.folded &&
        grep -q '^python3.11;\[python thread start-up\];Thread\._bootstrap (' view.folded &&
        grep -q ';exchange ([^;]*);sock_sendall' view.folded &&
        ! grep 'sockclient\.py' view.folded | grep -q "$machinery" &&
        ! grep '([^;]*\.py:[0-9]*)' view.folded | grep -q ';_start;' &&
        grep -q '^python3.11;_start;' raw.folded && grep -q "$machinery" raw.folded &&
        grep -q '^python3\.11[^;]*;\[python start-up\];<module> (' pbview.folded &&
        grep -q '^python3\.11[^;]*;_start;' pbraw.folded
    check "the Python view: stacks from <module> under [python start-up], no call machinery; --all-frames and .pb.gz as recorded" $? \
        "$(grep ';exchange (' view.folded | head -2 | cut -c1-300)"
    "$TPROF" report --tree --min-percent 0 --fold-kernel raw.pb.gz >fk.txt 2>/dev/null
    "$TPROF" report --tree --min-percent 0 raw.pb.gz >nfk.txt 2>/dev/null
    grep -q 'sys_sendto$' fk.txt && ! grep -q 'entry_SYSCALL\|tcp_sendmsg' fk.txt &&
        grep -q 'tcp_sendmsg' nfk.txt && head -1 fk.txt | grep -q 'Python view, kernel folded'
    check "report --fold-kernel: send()'s kernel frames are its system call, sys_sendto" $? \
        "$(head -1 fk.txt) $(grep -c '\[k\]' fk.txt) kernel rows"
else
    skip "the Python view" "/usr/bin/python3.11 is missing"
fi
