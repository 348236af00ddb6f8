#!/bin/sh
# Run the unit test binaries (built with ASan and UBSan); fail if any fails.
status=0
for t in "$@"; do
    echo "== $(basename "$t")"
    if ! ASAN_OPTIONS=detect_leaks=1 "$t"; then
        echo "FAILED: $t"
        status=1
    fi
done
exit $status
