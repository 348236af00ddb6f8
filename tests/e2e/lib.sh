# Helpers for the e2e tests: each test script sources this, then calls
# pass/fail/skip once per check. The runner tallies $E2E_RESULTS.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TPROF="${TPROF_BIN:-$ROOT/tprof}"
PROGS="$ROOT/build/progs"
SHARED="$ROOT/../shared"
STATS="python3 $ROOT/tests/e2e/stackstats.py"
TMP=$(mktemp -d /tmp/tprof-e2e.XXXXXX)
. "$ROOT/scripts/runtime-files.sh"
: >"$TMP/.t0"
trap 'runtime_files_clean "$TMP/.t0"; rm -rf "$TMP"' EXIT
: "${E2E_RESULTS:=/dev/null}"
# Debian's login shells point DEBUGINFOD_URLS at debuginfod.debian.net: the
# tests fetch nothing unless they start a server of their own.
unset DEBUGINFOD_URLS

pass() { echo "ok   $1"; echo "pass" >>"$E2E_RESULTS"; }
fail() { echo "FAIL $1: $2"; echo "fail" >>"$E2E_RESULTS"; }
skip() { echo "skip $1: $2"; echo "skip" >>"$E2E_RESULTS"; }

# expect NAME COND-EXIT-STATUS MESSAGE: pass when the previous command's test held
check() { if [ "$2" -eq 0 ]; then pass "$1"; else fail "$1" "$3"; fi; }

# Record PROGRAM with perf (dwarf) into $TMP/NAME.perf.txt (perf script text).
perf_record() {
    name=$1; shift
    perf record -q -F 999 --call-graph=dwarf -o "$TMP/$name.data" -- "$@" >/dev/null 2>"$TMP/$name.perf.err" &&
        perf script --no-inline -i "$TMP/$name.data" >"$TMP/$name.perf.txt" 2>/dev/null
}

# ----- tmux: a private server per script (tmux's regress/ style) -----
# tmux_start NAME: T runs tmux on its own socket; the server dies with the
# script. Then screen (capture-pane of window v), wait_for TEXT [TRIES]
# (polls, 0.1 s apart, 100 tries unless told: a wait, not a timing
# assertion) and keys (send-keys to v).
tmux_start() {
    T="tmux -L tprof-$1-$$ -f /dev/null"
    trap '$T kill-server 2>/dev/null; [ -n "${BG:-}" ] && kill $BG 2>/dev/null; runtime_files_clean "$TMP/.t0"; rm -rf "$TMP"' EXIT
    # A session that outlives the others: killing the last one ends the
    # server, and a new-session racing with that shutdown finds no server
    # (a test then saw an empty screen, once in a clean-clone run).
    $T new-session -d -s keep "sleep 600"
}
screen() { $T capture-pane -p -t v; }
wait_for() {
    i=0
    while [ $i -lt "${2:-100}" ]; do
        screen | grep -qF -- "$1" && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}
keys() { $T send-keys -t v "$@"; }
# quit_view OK: q to the viewer in window v (started with "...; echo
# EXIT=$?"); status 0 when it exits 0 and OK, the status of the checks made
# on its screen, is 0.
quit_view() { keys q; wait_for "EXIT=0" && [ "$1" -eq 0 ]; }

# The CPython interpreters: "LABEL PATH" lines (PATH "-" when absent):
# Debian's python3.11, and pyenv's newest patch release of each minor
# version 3.10-3.13, found without running pyenv itself.
PYENV_ROOT=${PYENV_ROOT:-$HOME/.pyenv}
interpreters() {
    echo "debian-3.11 /usr/bin/python3.11"
    for m in 10 11 12 13; do
        p=$(ls -d "$PYENV_ROOT"/versions/3.$m.*/bin/python3.$m 2>/dev/null | sort -V | tail -1)
        if [ -n "$p" ] && [ -x "$p" ]; then
            echo "pyenv-3.$m $p"
        else
            echo "pyenv-3.$m -"
        fi
    done
}

# (its variables are sn_*: sh has no locals, and a caller's tol or name
# must not change under it)
# shares_near NAME FOLDED OUT TOL FUNC...: each FUNC's share of the samples
# under any of them (a frame "FUNC (" or a native "FUNC;" or "FUNC ")
# within TOL points of the program's own split, its "split: F P ..." line
# in OUT (SPLIT_KEY=wall: its "wall:" line); at least 300 such samples.
shares_near() {
    sn_name=$1 sn_folded=$2 sn_out=$3 sn_tol=$4
    shift 4
    key=${SPLIT_KEY:-split}
    prof=$(awk -v names="$*" 'BEGIN { n = split(names, nm, " ") }
        { c = $NF; for (i = 1; i <= n; i++)
            if (index($0, ";" nm[i] " (") || index($0, ";" nm[i] ";") || index($0, ";" nm[i] " "))
                { s[i] += c; t += c; break } }
        END { for (i = 1; i <= n; i++) printf "%s %.1f ", nm[i], t ? 100 * s[i] / t : 0; printf "total %d", t }' "$sn_folded")
    own=$(sed -n "s/^$key: //p" "$sn_out" | tail -1)
    if [ -z "$own" ]; then
        fail "$sn_name" "the program printed no $key split: $(head -c 300 "$sn_out")"
        return
    fi
    echo "$prof" | awk -v own="$own" -v tol="$sn_tol" '{
        n = split(own, o, " "); for (i = 1; i < n; i += 2) want[o[i]] = o[i + 1]
        for (i = 1; i < NF - 1; i += 2) { d = $(i + 1) - want[$i]; if (d < 0) d = -d; if (d > tol) bad = 1 }
        if ($NF < 300) bad = 1
        exit bad }'
    check "$sn_name: shares within $sn_tol points of the program's own $key figures (tprof: $prof; program: $own)" $? \
        "tprof and the program differ by more"
}
