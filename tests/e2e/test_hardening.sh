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
