# Debug files beyond /usr/lib/debug: perf's build-id cache, debuginfod's
# client cache, and a debuginfod server (Debian's, on loopback) serving the
# debug file of build/progs/libstripped.so, fetched with libdebuginfod when
# DEBUGINFOD_URLS is set.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
LIB="$PROGS/libstripped.so"
DBG="$PROGS/libstripped.debug.so"
bid=$(readelf -n "$LIB" | awk '/Build ID/ { print $3 }')
xx=$(echo "$bid" | cut -c1-2) rest=$(echo "$bid" | cut -c3-)

# named OUT: the stripped library's hot function has its name
named() { grep -q ';plugin_compute;internal_mix ' "$1"; }
run() { "$TPROF" -o "$1" -- "$PROGS/dlopen_main" 1 "$LIB" >/dev/null 2>"$1.err"; }

if [ -z "$bid" ]; then
    skip "debug files by build id" "libstripped.so has no build id"
    exit 0
fi

# the stripped library alone: an address, not a name (test_symbols checks which)
HOME="$TMP/empty" DEBUGINFOD_CACHE_PATH="$TMP/none" run bare.folded
! named bare.folded
check "without a debug file the stripped function has no name" $? "$(head -2 bare.folded)"

mkdir -p "home/.debug/.build-id/$xx/$rest"
cp "$DBG" "home/.debug/.build-id/$xx/$rest/debug"
HOME="$TMP/home" DEBUGINFOD_CACHE_PATH="$TMP/none" run perfcache.folded
named perfcache.folded
check "perf's build-id cache (~/.debug/.build-id/xx/REST/debug) names it" $? "$(head -2 perfcache.folded)"

mkdir -p "dcache/$bid"
cp "$DBG" "dcache/$bid/debuginfo"
HOME="$TMP/empty" DEBUGINFOD_CACHE_PATH="$TMP/dcache" run dcache.folded
named dcache.folded
check "debuginfod's client cache (\$DEBUGINFOD_CACHE_PATH/BUILDID/debuginfo) names it" $? "$(head -2 dcache.folded)"

# a debug file for another build is not believed
mkdir -p "wrong/$bid"
cp "$PROGS/libplugin.so" "wrong/$bid/debuginfo"
HOME="$TMP/empty" DEBUGINFOD_CACHE_PATH="$TMP/wrong" run wrong.folded
! named wrong.folded && ! grep -q plugin_ wrong.folded.err
check "a cached file of another build id is not used" $? "$(head -2 wrong.folded)"

if ! command -v debuginfod >/dev/null; then
    skip "debuginfod server" "debuginfod is not installed (make check installs it)"
    exit 0
fi
mkdir srv && cp "$DBG" srv/
port=$((20000 + $$ % 20000))
debuginfod -p "$port" -F "$TMP/srv" -d "$TMP/db.sqlite" -t 0 -g 0 >server.log 2>&1 &
SRV=$!
trap 'kill $SRV 2>/dev/null; runtime_files_clean "$TMP/.t0"; rm -rf "$TMP"' EXIT
# (a wait for the server's first scan, not a timing assertion)
i=0
until DEBUGINFOD_URLS="http://127.0.0.1:$port" DEBUGINFOD_CACHE_PATH="$TMP/probe" \
    debuginfod-find debuginfo "$bid" >/dev/null 2>&1; do
    i=$((i + 1))
    if [ $i -gt 100 ]; then break; fi
    sleep 0.2
done
before=$(grep -c "GET /buildid/$bid/debuginfo" server.log)
HOME="$TMP/empty" DEBUGINFOD_URLS="http://127.0.0.1:$port" DEBUGINFOD_CACHE_PATH="$TMP/fetched" \
    run fetched.folded
after=$(grep -c "GET /buildid/$bid/debuginfo" server.log)
named fetched.folded && [ $((after - before)) -eq 1 ] &&
    tr -d '\r' <fetched.folded.err | grep -q '^tprof: debuginfod: libstripped.so debug info: [0-9]*/[0-9]* KB$'
check "DEBUGINFOD_URLS: fetched from the server once, with a progress line" $? \
    "$((after - before)) requests; $(head -3 fetched.folded.err)"
kill $SRV 2>/dev/null
wait $SRV 2>/dev/null
HOME="$TMP/empty" DEBUGINFOD_URLS="http://127.0.0.1:$port" DEBUGINFOD_CACHE_PATH="$TMP/fetched" \
    run again.folded
named again.folded
check "the next run finds it in the client cache, the server gone" $? "$(head -3 again.folded.err)"
