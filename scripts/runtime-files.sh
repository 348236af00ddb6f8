# Sourced by tests/e2e/lib.sh and bench/run.sh. JIT runtimes write
# /tmp/perf-PID.map (node --perf-basic-prof, python -X perf) and
# /tmp/jit-PID.dump (python -X perf_jit) and never remove them:
# runtime_files_clean MARKER removes those newer than the file MARKER
# whose process has ended. (node writes its isolate-*.log in the working
# directory: the scripts run it in their temporary directory.)
runtime_files_clean() {
    for f in /tmp/perf-*.map /tmp/jit-*.dump; do
        [ -f "$f" ] && [ "$f" -nt "$1" ] || continue
        pid=${f#/tmp/*-}
        pid=${pid%.*}
        kill -0 "$pid" 2>/dev/null || rm -f "$f"
    done
}
