#!/bin/sh
# Run the unit test binaries (built with ASan and UBSan); fail if any fails.
status=0
# tprof's cache (DWARF, kernel symbols): the run's own, left empty for the
# next, the user's untouched
XDG_CACHE_HOME=$(mktemp -d /tmp/tprof-unit-cache.XXXXXX)
export XDG_CACHE_HOME
trap 'rm -rf "$XDG_CACHE_HOME"' EXIT
for t in "$@"; do
    echo "== $(basename "$t")"
    if ! ASAN_OPTIONS=detect_leaks=1 "$t"; then
        echo "FAILED: $t"
        status=1
    fi
done
exit $status
