#!/bin/sh
# Run every tests/e2e/test_*.sh; each prints one line per check. Ends with
# the line "N passed, N failed, N skipped". Set E2E_ONLY=name to run one.
cd "$(dirname "$0")" || exit 1
E2E_RESULTS=$(mktemp /tmp/tprof-e2e-results.XXXXXX)
export E2E_RESULTS
# tprof's DWARF cache: the run's own, empty at its start (the runs are
# alike whatever the user's cache holds, and leave it alone)
XDG_CACHE_HOME=$(mktemp -d /tmp/tprof-e2e-cache.XXXXXX)
export XDG_CACHE_HOME
for t in test_*.sh; do
    case "$t" in *"${E2E_ONLY:-}"*) ;; *) continue ;; esac
    echo "== $t"
    # (a script that does not parse would stop at the error, its checks
    # after it never run nor counted)
    if ! bash -n "$t" 2>"$E2E_RESULTS.syntax"; then
        echo "FAIL $t: does not parse: $(cat "$E2E_RESULTS.syntax")"
        echo "fail" >>"$E2E_RESULTS"
        continue
    fi
    bash "$t" </dev/null
done
passed=$(grep -c '^pass$' "$E2E_RESULTS")
failed=$(grep -c '^fail$' "$E2E_RESULTS")
skipped=$(grep -c '^skip$' "$E2E_RESULTS")
rm -f "$E2E_RESULTS" "$E2E_RESULTS.syntax"
rm -rf "$XDG_CACHE_HOME"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
