# Programs that once crashed, hung or fooled the recorder. Each check names
# the defect it guards (issue 11: R1..R5). A hang is caught by `timeout`: the limits are
# far above the time a working run takes, so they test that tprof ends, not
# how fast.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
NOPERF="$PROGS/noperf"
H="$PROGS/hostile"

# ran NAME RC ERRFILE: tprof ended by itself, not by a signal or the timeout
ended() { [ "$1" -lt 124 ] || [ "$1" -eq 143 ]; }

# ----- R1: %rbp = -1 in code with no unwind info, both backends -----
for be in perf ptrace; do
    wrap=""
    [ $be = ptrace ] && wrap="$NOPERF"
    timeout -k 10 60 $wrap "$TPROF" -q -o rbp.$be.folded -- "$H" badrbp 1 >/dev/null 2>rbp.$be.err
    rc=$?
    [ $rc -eq 0 ] && grep -q 'spin_badrbp [0-9]*$' rbp.$be.folded
    check "R1 $be: %rbp = -1 without CFI is sampled, no crash" $? "rc=$rc $(tail -2 rbp.$be.err)"
done

# ----- R2: a dlopen()ed library whose .eh_frame_hdr offset wraps -----
cp "$PROGS/libplugin.so" evil.so
python3 - evil.so <<'EOF'
import struct, sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
shoff, = struct.unpack_from('<Q', b, 0x28)
shentsize, shnum, shstrndx = struct.unpack_from('<HHH', b, 0x3a)
stroff, = struct.unpack_from('<Q', b, shoff + shstrndx * shentsize + 0x18)
for i in range(shnum):
    sh = shoff + i * shentsize
    name, = struct.unpack_from('<I', b, sh)
    if b[stroff + name:].split(b'\0', 1)[0] == b'.eh_frame_hdr':
        struct.pack_into('<Q', b, sh + 0x18, 0xfffffffffffffff8)
        open(p, 'wb').write(b)
        sys.exit(0)
sys.exit(1)
EOF
if [ $? -ne 0 ]; then
    fail "R2: patch .eh_frame_hdr" "no .eh_frame_hdr section in libplugin.so"
else
    timeout -k 10 60 "$TPROF" -q -o ehdr.folded -- "$PROGS/dlopen_main" 1 "$TMP/evil.so" >/dev/null 2>ehdr.err
    rc=$?
    [ $rc -eq 0 ] && grep -q 'plugin_compute' ehdr.folded
    check "R2: .eh_frame_hdr at offset 0xfffffffffffffff8: no crash, the library is named" $? \
        "rc=$rc $(tail -2 ehdr.err)"
fi

# ----- R3: a 9 MiB name in /tmp/perf-PID.map -----
timeout -k 10 120 "$TPROF" -q -o jit.folded -- "$H" jit 1 9437184 >/dev/null 2>jit.err
rc=$?
[ $rc -eq 0 ] && awk '{ n = split($0, f, ";"); if (f[n] ~ /^JJJJ/ && length(f[n]) < 5000) ok = 1 }
                      END { exit !ok }' jit.folded
check "R3: a 9 MiB JIT name is cut, not put on the stack" $? "rc=$rc $(tail -2 jit.err)"

# ----- R4: code mapped from a file since replaced by a FIFO -----
mkdir fifo.d
timeout -k 10 60 "$TPROF" -q --duration 1 -o fifo.folded -- "$H" fifo 30 "$TMP/fifo.d" >/dev/null 2>fifo.err
rc=$?
ended $rc && [ -s fifo.folded ]
check "R4: a FIFO in place of a mapped file is not opened blocking (--duration ends the run)" $? \
    "rc=$rc $(tail -2 fifo.err)"

# ----- R5: --duration sends SIGTERM once -----
timeout -k 10 60 "$TPROF" -q --duration 0.5 -o term.folded -- "$H" term "$TMP/terms" >/dev/null 2>term.err
rc=$?
[ "$(cat terms 2>/dev/null)" = 1 ]
check "R5: --duration sends one SIGTERM (a program that handles it got $(cat terms 2>/dev/null))" $? \
    "rc=$rc $(tail -2 term.err)"

# ----- issue 30, finding 4: no work that grows with depth x nodes -----
# (the limits are a hundred times what a working run takes; before the
# fixes these runs took 21 s for 100k levels of SVG, 43-69 s for 100k
# nested evented opens, and --tree printed 100 MB for 10k levels)
python3 -c "print(';'.join('f%d' % i for i in range(200000)) + ' 1')" >deep.folded
timeout -k 5 30 "$TPROF" convert deep.folded -o deep.svg 2>deep.err
rc=$?
[ $rc -eq 0 ] && grep -c '<g' deep.svg | awk '{ exit !($1 > 200000) }'
check "a 200k-deep stack converts to SVG (each node's depth found once)" $? "rc=$rc $(cat deep.err)"
python3 - <<'PY'
import json
n = 100000
ev = [{"type": "O", "frame": i % 50, "at": i} for i in range(n)]
ev += [{"type": "C", "frame": (n - 1 - i) % 50, "at": n + i} for i in range(n)]
json.dump({"$schema": "https://www.speedscope.app/file-format-schema.json",
           "shared": {"frames": [{"name": "f%d" % i} for i in range(50)]},
           "profiles": [{"type": "evented", "name": "x", "unit": "none", "startValue": 0,
                         "endValue": 2 * n, "events": ev}]}, open("ev.json", "w"))
PY
timeout -k 5 30 "$TPROF" report --top 1 ev.json >ev.out 2>ev.err
rc=$?
[ $rc -eq 0 ] && grep -q '100.00%  *[0-9]*  *199999  *f0$' ev.out
check "100k nested evented opens are read (each event to the innermost node)" $? \
    "rc=$rc $(tail -2 ev.out) $(cat ev.err)"
python3 -c "print(';'.join('f%d' % i for i in range(10000)) + ' 1')" >d10k.folded
timeout -k 5 30 "$TPROF" report --tree d10k.folded >tree.out 2>tree.err
rc=$?
bytes=$(wc -c <tree.out)
[ $rc -eq 0 ] && [ "$bytes" -lt 3000000 ] && tail -1 tree.out | grep -q '10000   f9999$'
check "--tree of a 10k-deep stack: deep rows say their depth, not 20k columns of blanks" $? \
    "rc=$rc $bytes bytes $(tail -1 tree.out | cut -c1-200)"

# ----- issue 30, done-list 2: each reader's work bound, hit with one line -----
# pstats: a function with 100k callees entered at 2^18 nodes (7 MB: 194 s
# before the walk had a budget), and one callers dict shared by reference
# by 20k functions (1 MB: 4e8 edges, 148 s and 6 GB before)
python3 - <<'PY'
import marshal
k = lambda n: ('x.py', 1, n)
d = {}
L = 18
for i in range(L):
    for n in 'AB':
        c = {k('A%d' % (i - 1)): (1, 1, 0.0, 1.0), k('B%d' % (i - 1)): (1, 1, 0.0, 1.0)} if i else {}
        d[k('%s%d' % (n, i))] = (1, 1, 0.0, 2.0, c)
d[k('F')] = (1, 1, 0.5, 1.0, {k('A%d' % (L - 1)): (1, 1, 0.0, 1.0), k('B%d' % (L - 1)): (1, 1, 0.0, 1.0)})
for j in range(100000):
    d[k('leaf%d' % j)] = (1, 1, 1e-300, 1e-300, {k('F'): (1, 1, 1e-300, 1e-300)})
open('fanout.prof', 'wb').write(marshal.dumps(d))
keys = [k('f%d' % i) for i in range(20000)]
callers = {x: (1, 1, 0.0, 1e-9) for x in keys}
open('shared.prof', 'wb').write(marshal.dumps({x: (1, 1, 0.0, 1.0, callers) for x in keys}))
PY
timeout -k 5 60 "$TPROF" report --top 1 fanout.prof >fan.out 2>fan.err
rc=$?
[ $rc -eq 0 ] && grep -q 'stops after 64M looks at call edges' fan.err && grep -q 'F (x.py:1)' fan.out
check "pstats: a function of 100k callees met at 2^18 nodes stops at the walk's budget, said" $? \
    "rc=$rc $(cat fan.err)"
timeout -k 5 60 "$TPROF" report shared.prof >/dev/null 2>sh.err
rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <sh.err)" -eq 1 ] && grep -q 'more callers than the file has bytes' sh.err
check "pstats: one callers dict shared by 20k functions is refused in one line" $? \
    "rc=$rc $(cat sh.err)"
# speedscope: 20M values (40 MB, 1.5 GB in jansson) past the reader's 16M
python3 - <<'PY'
with open('values.json', 'w') as f:
    f.write('{"$schema":"https://www.speedscope.app/file-format-schema.json",'
            '"shared":{"frames":[{"name":"a"}]},"profiles":[{"type":"sampled","name":"x",'
            '"unit":"none","startValue":0,"endValue":1,"samples":[[')
    f.write(','.join(['0'] * 20000000))
    f.write(']],"weights":[1]}]}')
PY
timeout -k 5 60 "$TPROF" report values.json >/dev/null 2>val.err
rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <val.err)" -eq 1 ] && grep -q 'JSON values, more than tprof reads' val.err
check "speedscope: 20M JSON values are refused in one line, not held" $? "rc=$rc $(cat val.err)"
rm -f values.json fanout.prof shared.prof

# ----- issue 30, finding 10: a library whose path holds a newline -----
# /proc/PID/maps writes it as \012, which the ptrace backend once took
# literally (the module could not be opened: [module] frames)
nl="$TMP/new
line.so"
cp "$PROGS/libplugin.so" "$nl"
for be in perf ptrace; do
    wrap=""
    [ $be = ptrace ] && wrap="$NOPERF"
    timeout -k 10 60 $wrap "$TPROF" -q -o nl.$be.folded -- "$PROGS/dlopen_main" 1 "$nl" \
        >/dev/null 2>nl.$be.err
    rc=$?
    [ $rc -eq 0 ] && grep -q 'plugin_compute' nl.$be.folded && ! grep -q 'line.so\]' nl.$be.folded
    check "$be: a library whose path holds a newline is named" $? \
        "rc=$rc $(tail -1 nl.$be.err) $(sort -t' ' -k2 -n nl.$be.folded | tail -1 | cut -c1-200)"
done

# ----- issue 30, findings 6 and 7: escapes from names and paths -----
# A file name and frame names holding OSC, CSI, C1 CSI (U+009B) and RLO
# (U+202E): none reaches the terminal (report's header, stderr notes,
# error messages) or a written profile (folded, speedscope).
esc=$(printf 'p\033]0;pwned\007\033[31m\302\233\342\200\256x.folded')
printf 'main;a\033[2Jb;c\302\2331m;d\342\200\256e 3\nnot a stack\n' >"$esc"
"$TPROF" report "$esc" >esc.out 2>esc.err
"$TPROF" report "$esc.missing" >>esc.out 2>>esc.err
"$TPROF" convert "$esc" -o esc.folded 2>>esc.err
"$TPROF" convert "$esc" -o esc.json 2>>esc.err
python3 - esc.out esc.err esc.folded esc.json <<'PY'
import sys
bad = [b"\x1b", b"\x07", b"\xc2\x9b", b"\xe2\x80\xae"]
found = [(f, b) for f in sys.argv[1:] for b in bad if b in open(f, "rb").read()]
sys.exit(1 if found else 0)
PY
rc=$?
[ $rc -eq 0 ] && grep -q 'ignored 1 malformed' esc.err && grep -q 'cannot open' esc.err
check "escapes in a file name and frame names reach no terminal and no written profile" $? \
    "$(od -c esc.err | head -5)"

# ----- issue 30, finding 3: a library rewritten under the recorder -----
# The program dlopen()s a library over and over while it is rewritten in
# place (cp truncates it, then writes), as a new build copied over a
# library does: 20 runs on each backend, and tprof must end every one by
# itself, with its summary and its profile (the program itself may die of
# SIGBUS: its own mapping of the library was truncated too).
head -c 300000 /dev/zero >pad
cat "$PROGS/libplugin.so" pad >big.so
cp "$PROGS/libplugin.so" small.so
for be in perf ptrace; do
    wrap=""
    [ $be = ptrace ] && wrap="$NOPERF"
    deaths=0 said=""
    for i in $(seq 20); do
        cp big.so lib.so
        ( while :; do cp small.so lib.so; cp big.so lib.so; done ) 2>/dev/null &
        cpl=$!
        timeout -k 10 60 $wrap "$TPROF" -o relib.$be.folded -- "$H" relib 0.4 "$TMP/lib.so" \
            >/dev/null 2>relib.err
        rc=$?
        kill $cpl 2>/dev/null
        wait $cpl 2>/dev/null
        # (the program's own SIGBUS is its exit status, 135, after tprof's
        # summary; tprof's own death leaves no summary)
        if ! grep -q '^tprof: .* samples' relib.err || [ ! -e relib.$be.folded ]; then
            deaths=$((deaths + 1))
            said="rc=$rc $(tail -2 relib.err)"
        fi
        grep -q 'changed on disk while tprof read it' relib.err && said="${said:-noted: $(grep -m1 'changed on disk' relib.err)}"
        rm -f relib.$be.folded
    done
    [ $deaths -eq 0 ]
    check "$be: a library rewritten while sampled, 20 runs: tprof ended each by itself, summary and profile written" \
        $? "$deaths of 20 died; $said"
done

# ----- issue 30, finding 5: a perf map that grows while samples miss it -----
# (every sample lands in code the map never names, and the map grows a line
# a millisecond: it is read on from where it stopped, at most every 10 ms,
# not read and sorted whole at every miss; tprof's CPU is measured in make
# bench)
timeout -k 10 60 "$TPROF" -o grow.folded -- "$H" jitgrow 3 >/dev/null 2>grow.err
rc=$?
[ $rc -eq 0 ] && grep -q ' 0 lost' grow.err && grep -q 'in JIT code nothing names' grow.err
check "a perf map growing a line a millisecond while every sample misses it: no sample lost" $? \
    "rc=$rc $(tail -1 grow.err)"
# the same, its first line a 64 MiB name: read once, kept to its first
# bytes, never read again (it cost 1049 lost samples)
timeout -k 10 60 "$TPROF" -o growbig.folded -- "$H" jitgrow 3 67108864 >/dev/null 2>growbig.err
rc=$?
[ $rc -eq 0 ] && grep -q ' 0 lost' growbig.err && grep -q 'in JIT code nothing names' growbig.err
check "a growing perf map whose first line is 64 MiB: no sample lost" $? \
    "rc=$rc $(tail -1 growbig.err)"
