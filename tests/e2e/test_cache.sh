# The DWARF cache: a debug file's compressed DWARF written inflated, by
# build id, at the first run that needs it and mapped by the next; an
# entry that lies is refused and rewritten; --no-cache writes nothing; a
# cache that cannot be written is said once and costs nothing else.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1

libc=$(ldd "$PROGS/qsort_cb" | awk '/libc\.so/ { print $3 }')
bid=$(readelf -n "$libc" 2>/dev/null | awk '/Build ID/ { print $3 }')
dbg=/usr/lib/debug/.build-id/$(echo "$bid" | cut -c1-2)/$(echo "$bid" | cut -c3-).debug
if [ -z "$bid" ] || [ ! -f "$dbg" ] || ! readelf -SW "$dbg" | grep -q ' \.debug_info .* C '; then
    skip "the DWARF cache" "no compressed debug file for $libc (libc6-dbg not installed)"
    exit 0
fi
# lines PROFILE: the libc functions named by a line of theirs (msort.c)
lines() { grep -o '(msort\.c:[0-9]*)' "$1" | sort -u | wc -l; }

C=$TMP/c1
entry=$C/tprof/$bid.debug
XDG_CACHE_HOME=$C "$TPROF" --lines -o cold.folded -- "$PROGS/qsort_cb" 1 >/dev/null 2>cold.err
[ -f "$entry" ] && [ "$(stat -c %a "$C/tprof")" = 700 ] &&
    ! readelf -SW "$entry" | grep ' \.debug_' | grep -q ' C ' &&
    readelf -n "$entry" 2>/dev/null | grep -q "Build ID: $bid" && [ "$(lines cold.folded)" -gt 0 ]
check "the first run writes libc's DWARF inflated to \$XDG_CACHE_HOME/tprof/BUILDID.debug (0700)" $? \
    "$(ls -la "$C/tprof" 2>&1; tail -1 cold.err)"

XDG_CACHE_HOME=$C strace -f -e trace=openat -o warm.trace \
    "$TPROF" --lines -o warm.folded -- "$PROGS/qsort_cb" 1 >/dev/null 2>warm.err
grep -q "\"$entry\"" warm.trace && [ "$(lines warm.folded)" -gt 0 ] &&
    [ "$(ls -A "$C/tprof" | grep -c "\\.debug$")" -eq 1 ]
check "the next run maps the entry and names libc's lines from it ($(lines warm.folded) of msort.c)" $? \
    "$(tail -1 warm.err; grep -c tprof warm.trace)"

# entries that lie: garbage, and another file's DWARF under this name
for bad in garbage other; do
    if [ $bad = garbage ]; then
        head -c 100000 /dev/urandom >"$entry"
    else
        other=$(ls "$C"/tprof/*.debug | grep -v "$bid" | head -1)
        other=${other:-$(ls /usr/lib/debug/.build-id/*/*.debug | grep -v "$(echo "$bid" | cut -c3-)" | head -1)}
        cp "$other" "$entry"
    fi
    XDG_CACHE_HOME=$C "$TPROF" --lines -o $bad.folded -- "$PROGS/qsort_cb" 1 >/dev/null 2>$bad.err
    [ "$(lines $bad.folded)" -gt 0 ] && readelf -n "$entry" 2>/dev/null | grep -q "Build ID: $bid"
    check "an entry of $bad is refused: lines named from the debug file, the entry rewritten" $? \
        "$(tail -1 $bad.err)"
done

XDG_CACHE_HOME=$TMP/c2 "$TPROF" --no-cache --lines -o nocache.folded -- "$PROGS/qsort_cb" 1 \
    >/dev/null 2>nocache.err
[ ! -e "$TMP/c2" ] && [ "$(lines nocache.folded)" -gt 0 ] && ! grep -q 'DWARF cache' nocache.err
check "--no-cache: nothing written and nothing said of it, lines still named" $? \
    "$(ls -R "$TMP/c2" 2>&1; cat nocache.err)"

# a cache that cannot be written (its directory a file): said once, the
# profile as good, exit 0
: >"$TMP/notadir"
XDG_CACHE_HOME=$TMP/notadir "$TPROF" --lines -o unw.folded -- "$PROGS/qsort_cb" 1 >/dev/null 2>unw.err
rc=$?
[ $rc -eq 0 ] && [ "$(grep -c 'DWARF cache was not written' unw.err)" -eq 1 ] &&
    [ "$(lines unw.folded)" -gt 0 ]
check "an unwritable cache: one notice, lines named, exit 0" $? "rc=$rc $(cat unw.err)"

# A Python program launched directly waits for the kernel program, whose
# CO-RE relocations read the kernel's types from a BTF of their own
# (kbtf-BOOTID), and for the interpreter's structure offsets from its
# DWARF (pyoff-BUILDID-3.MINOR): the first run writes both, the next reads
# them instead of /sys/kernel/btf/vmlinux and the DWARF's structures.
PY311=/usr/bin/python3.11
boot=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null)
if [ "$(id -u)" != 0 ] || [ ! -x "$PY311" ] || [ ! -r /sys/kernel/btf/vmlinux ] || [ -z "$boot" ]; then
    skip "the kernel types' and Python offsets' entries" "needs root, $PY311 and the kernel's BTF"
    exit 0
fi
C=$TMP/c3
atsample() { sed -n 's/.* \([0-9.]*\)% read at the sample.*/\1/p' "$1"; }
XDG_CACHE_HOME=$C "$TPROF" -o py1.folded -- "$PY311" "$ROOT/tests/e2e/py/computesleep.py" 0.5 \
    >/dev/null 2>py1.err
kb=$C/tprof/kbtf-$boot
pyoff=$(ls "$C"/tprof/pyoff-*-3.11 2>/dev/null | head -1)
[ -s "$kb" ] && awk -v v="$(atsample py1.err)" 'BEGIN { exit !(v >= 90) }'
check "a Python program's first run writes kbtf-BOOTID, Python frames read at the sample ($(atsample py1.err)%)" \
    $? "$(ls -la "$C/tprof"; tail -2 py1.err)"
pybid=$(readelf -n "$(readlink -f "$PY311")" 2>/dev/null | awk '/Build ID/ { print $3 }')
pydbg=/usr/lib/debug/.build-id/$(echo "$pybid" | cut -c1-2)/$(echo "$pybid" | cut -c3-).debug
if [ -n "$pybid" ] && [ -f "$pydbg" ]; then
    [ "$pyoff" = "$C/tprof/pyoff-$pybid-3.11" ]
    check "the interpreter's offsets from its DWARF kept in pyoff-BUILDID-3.11" $? \
        "$(ls "$C/tprof")"
else
    skip "the interpreter's offsets kept" "no DWARF for $PY311 (python3.11-dbg not installed)"
    pyoff=""
fi
XDG_CACHE_HOME=$C strace -f -e trace=openat -o py2.trace \
    "$TPROF" -o py2.folded -- "$PY311" "$ROOT/tests/e2e/py/computesleep.py" 0.5 >/dev/null 2>py2.err
grep -q "\"$kb\"" py2.trace && ! grep -q '"/sys/kernel/btf/vmlinux"' py2.trace &&
    { [ -z "$pyoff" ] || grep -q "\"$pyoff\"" py2.trace; } &&
    awk -v v="$(atsample py2.err)" 'BEGIN { exit !(v >= 90) }'
check "the next run reads them, not the kernel's BTF ($(atsample py2.err)% at the sample)" $? \
    "$(grep -c btf py2.trace) $(tail -2 py2.err)"
# entries that lie: garbage in both; refused, rewritten, frames as good
printf 'garbage' >"$kb"
[ -n "$pyoff" ] && head -c 133 /dev/urandom >"$pyoff"
XDG_CACHE_HOME=$C "$TPROF" -o py3.folded -- "$PY311" "$ROOT/tests/e2e/py/computesleep.py" 0.5 \
    >/dev/null 2>py3.err
[ "$(head -c 7 "$kb" | tr -d '\000')" != garbage ] && awk -v v="$(atsample py3.err)" 'BEGIN { exit !(v >= 90) }' &&
    grep -q ';compute (' py3.folded && { [ -z "$pyoff" ] || [ "$(head -c 8 "$pyoff")" = tppyoff1 ]; }
check "garbage entries are refused and rewritten, Python frames as good ($(atsample py3.err)%)" $? \
    "$(tail -2 py3.err)"
