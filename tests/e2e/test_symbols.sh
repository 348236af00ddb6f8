# Unwinding and symbols on the cases that break profilers: libc without frame
# pointers, debug files, C++ names, dlopen, stripped code, the vDSO, JIT code,
# deep stacks, and programs no one here wrote.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1

# share PATTERN FILE: percent of samples on lines matching the regex
share() { awk -v re="$1" '{t+=$NF} $0 ~ re {s+=$NF} END {printf "%d", t ? 100*s/t : 0}' "$2"; }

"$TPROF" -q -o qsort.folded -- "$PROGS/qsort_cb" 1 >/dev/null
n=$(share ';main;qsort_r;msort_with_tmp[^ ]*;cmp_records' qsort.folded)
m=$(share '^qsort_cb;_start;__libc_start_main;__libc_start_call_main;main;' qsort.folded)
[ "$n" -ge 5 ] && [ "$m" -ge 99 ]
check "qsort: libc calls back into cmp_records under main ($n%), ${m}% of stacks reach main" $? "n=$n m=$m"

libc_dbg=$(ls /usr/lib/debug/.build-id/*/*.debug 2>/dev/null | head -1)
if [ -n "$libc_dbg" ]; then
    grep -q ';msort_with_tmp' qsort.folded
    check "libc's internal msort_with_tmp named from its /usr/lib/debug/.build-id file" $? "not found"
else
    skip "libc internal symbols from libc6-dbg" "libc6-dbg is not installed"
fi

"$TPROF" -q -o tmpl.folded -- "$PROGS/tmpl" 1 >/dev/null
grep -q ';codec::checksum<unsigned long>;codec::Accumulator<unsigned long>::add_all ' tmpl.folded
check "C++ template names demangled (codec::Accumulator<unsigned long>::add_all)" $? "$(head -2 tmpl.folded)"

"$TPROF" -q -o dl.folded -- "$PROGS/dlopen_main" 1 "$PROGS/libplugin.so" >/dev/null
n=$(share ';main;plugin_compute ' dl.folded)
[ "$n" -ge 90 ]
check "dlopen'ed library symbolised (plugin_compute ${n}%)" $? "$(head -3 dl.folded)"

# A stripped library: the static internal_mix has no symbol; its samples must
# not be given to plugin_compute, but named module+0xSTART with START its
# real address (from the unstripped copy).
"$TPROF" -q -o strip.folded -- "$PROGS/dlopen_main" 1 "$PROGS/libstripped.so" >/dev/null
addr=$(nm "$PROGS/libstripped.debug.so" | awk '$3 == "internal_mix" {sub(/^0+/, "", $1); print $1}')
n=$(share ";main;plugin_compute;libstripped.so\\+0x$addr " strip.folded)
[ "$n" -ge 90 ]
check "stripped code named libstripped.so+0x$addr (internal_mix's start), ${n}%" $? "$(head -3 strip.folded)"
# and the summary says how much went through code without symbols, where,
# and how to name it (DEBUGINFOD_URLS unset: the lib.sh default)
"$TPROF" -o strip2.folded -- "$PROGS/dlopen_main" 1 "$PROGS/libstripped.so" >/dev/null 2>strip2.err
grep -Eq '[0-9.]+% of samples through code without symbols \(most in libstripped\.so, [0-9.]+%: their debug files name them: Debian.s -dbgsym or -dbg packages, or DEBUGINFOD_URLS=' strip2.err &&
    "$TPROF" -o hot.folded -- "$PROGS/hot" 0.3 >/dev/null 2>hot.err && ! grep -q "without symbols" hot.err
check "summary: the share through code without symbols, its module, how to name it (none for hot)" $? \
    "$(cat strip2.err) / $(cat hot.err)"

"$TPROF" -q -o vdso.folded -- "$PROGS/vdso_loop" 1 >/dev/null
n=$(share ';__vdso_clock_gettime' vdso.folded)
[ "$n" -ge 20 ]
check "vDSO frames symbolised (__vdso_clock_gettime ${n}%)" $? "$(head -3 vdso.folded)"

"$TPROF" -q -o sys.folded -- "$PROGS/syscalls" 1 >/dev/null
n=$(share ';main;read_chunks;read;[^ ]*_\[k\]' sys.folded)
[ "$n" -ge 80 ]
check "kernel-mode samples kept under their user stack (read_chunks;read;..._[k] ${n}%)" $? "$(head -3 sys.folded)"

# Deep stacks: 8 KiB copies cannot reach main from ~300 frames deep, 32 KiB can;
# the summary says how many samples fell short.
"$TPROF" --stack-size 8192 -o deep8.folded -- "$PROGS/deep" 1 >/dev/null 2>deep8.err
"$TPROF" --stack-size 32768 -o deep32.folded -- "$PROGS/deep" 1 >/dev/null 2>deep32.err
s8=$(sed -n 's/.* \([0-9.]*\)% unwound short.*/\1/p' deep8.err)
s32=$(sed -n 's/.* \([0-9.]*\)% unwound short.*/\1/p' deep32.err)
m=$(share '^deep;_start;.*;main;descend' deep32.folded)
awk -v a="$s8" -v b="$s32" 'BEGIN { exit !(a > 50 && b < 2) }' && [ "$m" -ge 95 ]
check "stack size: 8 KiB leaves ${s8}% short of a root, 32 KiB ${s32}% (${m}% reach main)" $? "s8=$s8 s32=$s32 m=$m"

# Frame pointers: -g fp follows the kernel's FP walk.
"$TPROF" -q -g fp -o fp.folded -- "$PROGS/hot_fp" 1 >/dev/null
n=$(share ';main;(work;)?spin ' fp.folded)
[ "$n" -ge 95 ]
check "-g fp: stacks through main (${n}%)" $? "$(head -3 fp.folded)"

# Programs no one here wrote.
# (sys.executable: python3 may be a wrapper script, as pyenv's shims are)
py=$(python3 -c 'import sys; print(sys.executable)')
"$TPROF" -q --python=off -o py.folded -- "$py" -c 'sum(i * i for i in range(6000000))' >/dev/null
n=$(share ';_PyEval_EvalFrameDefault' py.folded)
m=$(share '^python3[^;]*;_start;' py.folded)
[ "$n" -ge 50 ] && [ "$m" -ge 90 ]
check "python3 --python=off: interpreter frames (_PyEval_EvalFrameDefault ${n}%), ${m}% reach _start" $? "n=$n m=$m $(head -2 py.folded)"
# (--all-frames: the stacks as recorded reach _start; by default the Python
# view starts them at <module>, under one start-up frame)
spin='def spin(n):\n    x = 0\n    for i in range(n):\n        x += i * i\n    return x\nspin(8000000)\n'
"$TPROF" -q --all-frames -o pyf.folded -- "$py" -c "$(printf "$spin")" >/dev/null
n=$(share ';<module> [(]<string>:1[)];spin [(]<string>:1[)]' pyf.folded)
m=$(share '^python3[^;]*;_start;' pyf.folded)
[ "$n" -ge 50 ] && [ "$m" -ge 90 ]
check "python3 --all-frames: its Python frames (spin (<string>:1) ${n}%), ${m}% reach _start" $? "n=$n m=$m $(head -2 pyf.folded)"
"$TPROF" -q -o pyv.folded -- "$py" -c "$(printf "$spin")" >/dev/null
n=$(share '^python3[^;]*;\[python start-up\];<module> [(]<string>:1[)];spin [(]<string>:1[)]' pyv.folded)
[ "$n" -ge 50 ] && ! grep '<string>:1' pyv.folded | grep -q '_PyEval_EvalFrame\|;_start;\|_PyObject_Vectorcall\|cfunction_call'
check "python3: the Python view, [python start-up];<module>;spin (${n}%), no interpreter frames" $? "n=$n $(head -2 pyv.folded)"

"$TPROF" -q -o sh.folded -- sh -c 'head -c 300000000 /dev/urandom | gzip -1 | wc -c' >/dev/null
g=$(share '^gzip;' sh.folded)
h=$(share '^head;' sh.folded)
[ "$g" -ge 20 ] && [ "$h" -ge 5 ] && ! grep -q '^sh;.*;gzip' sh.folded
check "a shell pipeline: every child followed through exec (gzip ${g}%, head ${h}%)" $? "g=$g h=$h"

if command -v node >/dev/null 2>&1; then
    "$TPROF" -q -o node.folded -- node --perf-basic-prof -e '
        function hotLoop(n) { let x = 0; for (let i = 0; i < n; i++) x = (x * 31 + i) | 0; return x; }
        let s = 0; const end = Date.now() + 1500; while (Date.now() < end) s += hotLoop(100000);
        console.log(s & 1);' >/dev/null
    grep -q 'hotLoop[^;]*_\[j\]' node.folded
    check "node --perf-basic-prof: JIT frames from /tmp/perf-PID.map (hotLoop _[j])" $? "$(grep -c '_\[j\]' node.folded) JIT lines"
else
    skip "JIT frames with node --perf-basic-prof" "node is not installed"
fi
