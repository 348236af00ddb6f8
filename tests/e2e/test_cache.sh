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
