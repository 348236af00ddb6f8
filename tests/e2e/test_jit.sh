# JIT code: named from perf maps and jitdumps (read while the program runs,
# and at its exit for runtimes that buffer them), unwound through by frame
# pointer or by the code CPython's perf trampolines run, and the owner rule
# for those files. On build/progs/jitmap (a tiny JIT whose numbers are known),
# node (Debian's) and pyenv's CPython 3.12 and 3.13.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
JITMAP="$PROGS/jitmap"

# rooted FILE: the share (percent) of samples whose stack begins at _start
rooted() {
    awk '{ n = $NF; t += n; split($0, a, ";"); if (a[2] == "_start") r += n }
         END { printf "%.1f\n", t ? 100 * r / t : 0 }' "$1"
}
# share FILE RE: the share of samples whose stack matches RE
share() {
    awk -v re="$2" '{ n = $NF; t += n; if ($0 ~ re) m += n }
                    END { printf "%.1f\n", t ? 100 * m / t : 0 }' "$1"
}
atleast() { awk -v v="$1" -v w="$2" 'BEGIN { exit !(v >= w) }'; }

# ----- a perf map, frame pointers through code with no CFI -----
"$TPROF" -o map.folded -- "$JITMAP" 2 map >/dev/null 2>map.err
r=$(rooted map.folded) s=$(share map.folded ';main;jit_spin_\[j\]')
atleast "$r" 95 && atleast "$s" 90
check "perf map: JIT frames named (main;jit_spin_[j] $s%) and stacks reach _start through them ($r%)" $? "$(head -3 map.folded)"

# ----- a jitdump written only at exit -----
"$TPROF" -o dump.folded -- "$JITMAP" 2 dump >/dev/null 2>dump.err
s=$(share dump.folded ';main;jit_spin_\[j\]')
atleast "$s" 90 && ! grep -q '\[jit 0x' dump.folded
check "jitdump written at exit: its code is named once it is ($s% main;jit_spin_[j], no [jit 0x...] left)" $? "$(head -3 dump.folded)"

# ----- a jitdump's unwinding info: CFI for code no other way can leave -----
# (jit_cfi keeps no frame pointer and pushes %rbx: without its CFI every
# stack is [unknown];jit_cfi_[j])
"$TPROF" -o cfi.folded -- "$JITMAP" 2 cfi >/dev/null 2>cfi.err
r=$(rooted cfi.folded) s=$(share cfi.folded ';main;jit_cfi_\[j\]')
atleast "$r" 95 && atleast "$s" 90
check "jitdump unwinding info: stacks leave JIT code by its CFI ($s% main;jit_cfi_[j], $r% rooted)" \
    $? "$(head -3 cfi.folded)"
"$TPROF" --backend ptrace -o cfip.folded -- "$JITMAP" 2 cfi >/dev/null 2>cfip.err
r=$(rooted cfip.folded) s=$(share cfip.folded ';main;jit_cfi_\[j\]')
atleast "$r" 95 && atleast "$s" 90
check "jitdump unwinding info, ptrace backend ($s% main;jit_cfi_[j], $r% rooted)" $? \
    "$(head -3 cfip.folded)"

# ----- nothing names it: the summary says what the runtime needs -----
"$TPROF" -o none.folded -- "$JITMAP" 1 none >/dev/null 2>none.err
grep -q 'in JIT code nothing names (the runtime must write /tmp/perf-PID.map or a jitdump)' none.err
check "unnamed JIT code: the summary says what would name it" $? "$(cat none.err)"

# ----- whose files are believed -----
if [ "$(id -u)" = 0 ]; then
    "$TPROF" -o other.folded -- "$JITMAP" 1 map 12345 >/dev/null 2>other.err
    grep -q "^tprof: ignoring /tmp/perf-[0-9]*.map: owned by uid 12345, not the program's user, you or root (--jit-any-owner trusts it)$" other.err &&
        ! grep -q jit_spin other.folded
    check "a perf map owned by another user is refused, in one line" $? "$(cat other.err)"
    "$TPROF" --jit-any-owner -o any.folded -- "$JITMAP" 1 map 12345 >/dev/null 2>any.err
    s=$(share any.folded 'jit_spin_\[j\]')
    atleast "$s" 90 && ! grep -q ignoring any.err
    check "--jit-any-owner believes it ($s% named)" $? "$(cat any.err)"
    # The program's own user's map is its own file: believed. The program
    # must be where that user can run it (the clone may be in a 0700 home).
    pub=$(mktemp -d /tmp/tprof-jit.XXXXXX) && chmod 755 "$pub" && cp "$JITMAP" "$pub/"
    "$TPROF" -o own.folded -- setpriv --reuid=65534 --regid=65534 --clear-groups \
        "$pub/jitmap" 1 map >/dev/null 2>own.err
    s=$(share own.folded 'jit_spin_\[j\]')
    atleast "$s" 90 && ! grep -q ignoring own.err
    check "a perf map owned by the program's own user (nobody) is believed ($s% named)" $? "$(cat own.err)"
    rm -rf "$pub"
else
    skip "perf map owners" "needs root to run programs as other users"
fi

# ----- node (Debian's) -----
cat >work.js <<'EOF'
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
function hot() { let s = 0; for (let i = 0; i < 30; i++) s += fib(20); return s; }
const end = Date.now() + 2500;
let t = 0;
while (Date.now() < end) t += hot();
console.log(t > 0 ? "ok" : "no");
EOF
if command -v node >/dev/null; then
    "$TPROF" -o node.folded -- node --perf-basic-prof work.js >/dev/null 2>node.err
    r=$(rooted node.folded) s=$(share node.folded 'JS:[*~^]?fib [^;]*work\.js:1:[0-9]+_\[j\]')
    atleast "$r" 95 && atleast "$s" 50
    check "node --perf-basic-prof: default (DWARF) stacks reach _start ($r%), JS frames named (fib $s%)" $? "$(cat node.err)"
    "$TPROF" -o nodedump.folded -- node --perf-prof work.js >/dev/null 2>nodedump.err
    r=$(rooted nodedump.folded) s=$(share nodedump.folded 'JS:[*~^]?fib [^;]*work\.js:1:[0-9]+_\[j\]')
    u=$(share nodedump.folded '\[jit 0x|\[unknown\]')
    atleast "$r" 95 && atleast "$s" 50 && ! atleast "$u" 5
    check "node --perf-prof: the jitdump names JS frames (fib $s%, unnamed $u%), stacks reach _start ($r%)" $? "$(cat nodedump.err)"
    "$TPROF" -o node0.folded -- node work.js >/dev/null 2>node0.err
    grep -q 'in JIT code nothing names (node: add --perf-basic-prof, or --perf-prof for a jitdump)' node0.err
    check "node without a flag: the summary says to add --perf-basic-prof" $? "$(cat node0.err)"
    # JSON and crypto: most samples are in C++ called from V8's builtins,
    # code in the node binary with no CFI, left by the frame pointer
    cat >jc.js <<'EOF'
const crypto = require('crypto');
const end = Date.now() + 2500;
let n = 0;
while (Date.now() < end) {
  const o = {id: n, name: "item" + n, tags: ["a", "b", "c"], nested: {x: n * 2, y: [1, 2, 3]}};
  const s = JSON.stringify(o);
  const h = crypto.createHash('sha256').update(s).digest('hex');
  n += JSON.parse(s).id > -1 && h.length;
}
console.log(n);
EOF
    "$TPROF" -o jc.folded -- node --perf-basic-prof jc.js >/dev/null 2>jc.err
    b=$(share jc.folded ';Builtins_[A-Za-z_]*;')
    short=$(sed -n 's/.* \([0-9.]*\)% unwound short of a root.*/\1/p' jc.err)
    atleast "$b" 20 && [ -n "$short" ] && ! atleast "$short" 5.1
    check "node JSON+crypto: V8 builtins without CFI left by the frame pointer ($short% short of a root, through builtins $b%)" $? \
        "$(cat jc.err)"
    # node writes isolate-*-v8.log and jit-PID.dump where it runs: here,
    # $TMP, never the checkout
    ! ls "$ROOT"/isolate-*-v8.log "$ROOT"/jit-*.dump >/dev/null 2>&1 && ls isolate-*-v8.log >/dev/null 2>&1
    check "node's isolate logs are written in the test's directory, not the checkout" $? \
        "$(ls "$ROOT" | grep -E 'isolate|jit-' | head -3)"
else
    skip "node JIT frames" "node is not installed"
fi

# ----- CPython's perf trampolines -----
cat >work.py <<'EOF'
import time
def fib(n): return n if n < 2 else fib(n-1) + fib(n-2)
def hot(): return sum(fib(16) for _ in range(5))
end = time.time() + 2.5
while time.time() < end: hot()
EOF
pyexe() { interpreters | awk -v l="$1" '$1 == l { print $2 }'; }
P12=$(pyexe pyenv-3.12) P13=$(pyexe pyenv-3.13)
if [ -n "$P12" ] && [ "$P12" != - ]; then
    "$TPROF" --python off -o py12.folded -- "$P12" -X perf work.py >/dev/null 2>py12.err
    r=$(rooted py12.folded) s=$(share py12.folded 'py::fib:[^;]*work\.py_\[j\]')
    atleast "$r" 95 && atleast "$s" 50
    check "python3.12 -X perf: stacks reach _start through the trampolines ($r%), py:: frames ($s%)" $? "$(cat py12.err)"
    "$TPROF" --python off --backend ptrace -o py12pt.folded -- "$P12" -X perf work.py >/dev/null 2>py12pt.err
    r=$(rooted py12pt.folded)
    atleast "$r" 95
    check "python3.12 -X perf, ptrace backend: stacks reach _start ($r%)" $? "$(cat py12pt.err)"
    "$TPROF" -o py12on.folded -- "$P12" -X perf work.py >/dev/null 2>py12on.err
    s=$(share py12on.folded ';fib \([^;]*work\.py:2\)')
    mixed=$(grep ';fib (' py12on.folded | grep -c 'py::')
    atleast "$s" 10 && [ "$mixed" -eq 0 ]
    check "python3.12 -X perf with Python frames: spliced stacks ($s% through fib) drop the trampolines ($mixed mixed)" $? "$(cat py12on.err)"
else
    skip "python3.12 -X perf" "pyenv has no CPython 3.12 here"
fi
if [ -n "$P13" ] && [ "$P13" != - ]; then
    "$TPROF" --python off -o py13.folded -- "$P13" -X perf_jit work.py >/dev/null 2>py13.err
    r=$(rooted py13.folded) s=$(share py13.folded 'py::fib:[^;]*work\.py_\[j\]')
    atleast "$r" 95 && atleast "$s" 50 && ! grep -q '\[jit 0x' py13.folded
    check "python3.13 -X perf_jit: its jitdump names py:: frames ($s%), stacks reach _start ($r%)" $? "$(cat py13.err)"
else
    skip "python3.13 -X perf_jit" "pyenv has no CPython 3.13 here"
fi

# ----- Erlang's JIT (BeamAsm): +JPperf true writes a perf map -----
# (each Erlang process runs on a stack of its own: its stacks end at its
# first frame, $erts_beamasm:normal_exit/0-CodeInfoPrologue, not _start)
if command -v erl >/dev/null && command -v erlc >/dev/null; then
    cat >fibe.erl <<'EOF2'
-module(fibe).
-export([main/0]).
fib(N) when N < 2 -> N;
fib(N) -> fib(N - 1) + fib(N - 2).
loop(End) ->
    fib(20),
    case erlang:monotonic_time(millisecond) < End of
        true -> loop(End);
        false -> ok
    end.
main() ->
    loop(erlang:monotonic_time(millisecond) + 2500),
    halt().
EOF2
    erlc fibe.erl
    "$TPROF" -o erl.folded -- erl +JPperf true -noshell -s fibe main >/dev/null 2>erl.err
    s=$(share erl.folded ';[$]fibe:loop/1_\[j\];[$]fibe:fib/1_\[j\]')
    atleast "$s" 50
    check "erl +JPperf true: Erlang frames named, callers by frame pointer ($s% loop;fib)" $? \
        "$(cat erl.err; head -3 erl.folded)"
    "$TPROF" -o erl0.folded -- erl -noshell -s fibe main >/dev/null 2>erl0.err
    grep -q 'in JIT code nothing names (erlang: add +JPperf true)' erl0.err
    check "erl without +JPperf: the summary says to add it" $? "$(cat erl0.err)"
else
    skip "Erlang JIT frames" "erlang-base is not installed"
fi
