#!/bin/sh
# make bench (formats part): perf script import on a >= 300 MB perf script
# text, against FlameGraph's stackcollapse-perf.pl on the same file (same
# stacks, checked), `tprof report` against flamegraph.pl drawing the
# viewer bench's big folded file, and the comparison of that file with a
# variant of it against difffolded.pl. FlameGraph is not packaged: point
# FLAMEGRAPH_DIR at a checkout of brendangregg/FlameGraph; without it those
# rows say skipped. Time and peak memory from /usr/bin/time.
cd "$(dirname "$0")/.." || exit 1
B=build/bench
PS=$B/big.perf.txt
FG=${FLAMEGRAPH_DIR:-}
TMP=$(mktemp -d /tmp/tprof-bench-fmt.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# measure NAME CMD...: "seconds peak-KiB" of CMD (stdout to $TMP/NAME.out)
measure() {
    name=$1; shift
    /usr/bin/time -f "%e %M" -o "$TMP/$name.time" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" ||
        { echo "  $name failed: $(tail -1 "$TMP/$name.err")"; return 1; }
    cat "$TMP/$name.time"
}

# row LABEL SECONDS KIB [NOTE]: one line of the table, NOTE in parentheses
row() {
    printf "  %-44s %6.2f s  peak %4.0f MB%s\n" "$1" "$2" "$(echo "$3" | awk '{print $1 / 1024}')" \
        "${4:+  ($4)}"
}
# ratio A B: A / B, one decimal
ratio() { echo "$1 $2" | awk '{printf "%.1f", $1 / $2}'; }
# same WHAT A B UNIT: whether files A and B hold the same, else how many
# lines differ
same() {
    if cmp -s "$2" "$3"; then
        echo "  $1: yes"
    else
        echo "  $1: NO ($(diff "$2" "$3" | grep -c '^[<>]') $4)"
    fi
}

# The input: one second of the bench workload under perf (dwarf), its perf
# script text repeated (each copy under its own PID) past 300 MB.
if [ ! -s "$PS" ]; then
    perf record -q -F 999 --call-graph=dwarf -o "$TMP/w.data" -- "$B/workload" 0.15 >/dev/null 2>&1 &&
        perf script --no-inline -i "$TMP/w.data" >"$TMP/w.txt" 2>/dev/null ||
        { echo; echo "perf script import: perf record failed here, skipped"; exit 0; }
    one=$(stat -c %s "$TMP/w.txt")
    copies=$(( (300 * 1000 * 1000) / one + 1 ))
    awk -v n="$copies" 'NR == FNR { l[++m] = $0; next }
        END { for (c = 0; c < n; c++) for (i = 1; i <= m; i++) {
                  s = l[i]; if (s ~ /^[^ \t#]/) sub(/ [0-9]+ /, " " (100000 + c) " ", s); print s } }' \
        "$TMP/w.txt" /dev/null >"$PS.tmp" && mv "$PS.tmp" "$PS"
fi
size=$(stat -c %s "$PS")
echo
echo "perf script import, $PS ($(echo "$size" | awk '{printf "%.0f MB", $1 / 1e6}')):"
cat "$PS" >/dev/null
set -- $(measure tprof ./tprof convert "$PS" -o -) || exit 1
tt=$1 tm=$2
row "tprof convert (folded out)" "$tt" "$tm"
if [ -n "$FG" ] && [ -f "$FG/stackcollapse-perf.pl" ]; then
    set -- $(measure script perl "$FG/stackcollapse-perf.pl" "$PS") || exit 1
    st=$1 sm=$2
    row "stackcollapse-perf.pl" "$st" "$sm" "tprof $(ratio "$st" "$tt")x faster"
    same "same stacks and counts" "$TMP/tprof.out" "$TMP/script.out" "lines differ"
else
    echo "  stackcollapse-perf.pl: skipped (set FLAMEGRAPH_DIR to a FlameGraph checkout)"
fi

F=$B/big.folded
if [ -s "$F" ]; then
    echo
    echo "report vs flamegraph.pl on $F ($(stat -c %s "$F" | awk '{printf "%.0f MB", $1 / 1e6}')):"
    cat "$F" >/dev/null
    # (the best of three: a second-long run on a shared VM is at the mercy
    # of its neighbours; flamegraph.pl's minute averages them out)
    best3() {
        name=$1; shift
        best=""
        for i in 1 2 3; do
            r=$(measure "$name" "$@") || return 1
            best=$(printf '%s\n%s\n' "$best" "$r" | awk 'NF == 2' | sort -n | head -1)
        done
        echo "$best"
    }
    set -- $(best3 report ./tprof report --top 10 --width 160 "$F") || exit 1
    rt=$1
    row "tprof report --top 10" "$rt" "$2" "best of 3"
    set -- $(best3 tsvg ./tprof convert "$F" -o "$TMP/t.svg") || exit 1
    vt=$1
    row "tprof convert -o x.svg" "$vt" "$2" "best of 3; $(grep -c '<title>' "$TMP/t.svg") frames"
    for f in json pb.gz; do
        set -- $(measure "t$f" ./tprof convert "$F" -o "$TMP/t.$f") || exit 1
        row "tprof convert -o x.$f" "$1" "$2" \
            "$(stat -c %s "$TMP/t.$f" | awk '{printf "%.0f MB", $1 / 1e6}')"
    done
    if [ -n "$FG" ] && [ -f "$FG/flamegraph.pl" ]; then
        set -- $(measure svg perl "$FG/flamegraph.pl" "$F") || exit 1
        row "flamegraph.pl (SVG)" "$1" "$2" "tprof report $(ratio "$1" "$rt")x, tprof's SVG \
$(ratio "$1" "$vt")x faster; $(grep -c '<title>' "$TMP/svg.out") frames"
    else
        echo "  flamegraph.pl: skipped (set FLAMEGRAPH_DIR to a FlameGraph checkout)"
    fi
fi

# Comparing two profiles: the viewer bench's big folded file against a
# variant of it (every third stack's count doubled, every seventh gone):
# report --diff, the difffolded output and the differential SVG, against
# FlameGraph's difffolded.pl on the same pair (its lines, as a set, must be
# tprof's).
F2=$B/big-after.folded
if [ -s "$F" ]; then
    if [ ! -s "$F2" ]; then
        awk '{ n = $NF; if (NR % 7 == 0) next; if (NR % 3 == 0) $NF = 2 * n; print }' "$F" \
            >"$F2.tmp" && mv "$F2.tmp" "$F2"
    fi
    echo
    echo "comparing $F with $F2 ($(stat -c %s "$F2" | awk '{printf "%.0f MB", $1 / 1e6}')):"
    cat "$F" "$F2" >/dev/null
    set -- $(measure rdiff ./tprof report --diff --top 10 "$F" "$F2") || exit 1
    row "tprof report --diff --top 10" "$1" "$2"
    set -- $(measure dsvg ./tprof diff "$F" "$F2" -o "$TMP/d.svg") || exit 1
    row "tprof diff -o x.svg" "$1" "$2" "$(grep -c '<title>' "$TMP/d.svg") frames"
    set -- $(measure dfold ./tprof diff "$F" "$F2" -o -) || exit 1
    dt=$1
    row "tprof diff -o x.folded" "$dt" "$2"
    if [ -n "$FG" ] && [ -f "$FG/difffolded.pl" ]; then
        set -- $(measure dpl perl "$FG/difffolded.pl" "$F" "$F2") || exit 1
        row "difffolded.pl" "$1" "$2" "tprof $(ratio "$1" "$dt")x faster"
        sort "$TMP/dfold.out" >"$TMP/a.sorted"
        sort "$TMP/dpl.out" >"$TMP/b.sorted"
        same "same lines" "$TMP/a.sorted" "$TMP/b.sorted" "differ"
    else
        echo "  difffolded.pl: skipped (set FLAMEGRAPH_DIR to a FlameGraph checkout)"
    fi
fi
