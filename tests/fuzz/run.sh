#!/bin/sh
# Run each libFuzzer target for SECONDS: its working corpus grows in
# build/fuzz/corpus/NAME (seeded from tests/fuzz/seed/NAME and regress/NAME),
# crashes are written to build/fuzz/crash-NAME-*. An input that takes more
# than 10 s (-timeout: the per-input time bound) fails the run like a crash.
#   run.sh BINDIR SECONDS NAME...
dir=$(cd "$1" && pwd); secs=$2; shift 2
cd "$(dirname "$0")" || exit 1
status=0
for name in "$@"; do
    corpus="$dir/corpus/$name"
    mkdir -p "$corpus"
    echo "== $name ($secs s)"
    regress=""
    [ -d "regress/$name" ] && regress="regress/$name"
    # shellcheck disable=SC2086
    ASAN_OPTIONS=detect_leaks=1 "$dir/$name" -max_total_time="$secs" -print_final_stats=1 \
        -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
        -artifact_prefix="$dir/crash-$name-" "$corpus" "seed/$name" $regress \
        >"$dir/$name.log" 2>&1
    rc=$?
    grep -E '^stat::(number_of_executed_units|peak_rss_mb)|cov: ' "$dir/$name.log" | tail -3
    if [ $rc -ne 0 ]; then
        grep -E 'ERROR|SUMMARY|Test unit written' "$dir/$name.log" | head -5
        echo "FAILED: $name (log: $dir/$name.log)"
        status=1
    fi
done
exit $status
