#!/bin/sh
# Replay every seed and regression input of each fuzz target once.
#   replay.sh BINDIR NAME...
dir=$(cd "$1" && pwd); shift
cd "$(dirname "$0")" || exit 1
status=0
for name in "$@"; do
    files=$(ls seed/"$name"/* regress/"$name"/* 2>/dev/null)
    if [ -z "$files" ]; then
        echo "FAILED: $name has no seed corpus"
        status=1
        continue
    fi
    # shellcheck disable=SC2086
    if out=$(ASAN_OPTIONS=detect_leaks=1 "$dir/$name" $files 2>&1); then
        echo "ok   $name: $(echo "$out" | tail -1)"
    else
        echo "$out" | tail -30
        echo "FAILED: $name"
        status=1
    fi
done
exit $status
