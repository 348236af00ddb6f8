# The import layer: perf script text read as FlameGraph's
# stackcollapse-perf.pl collapses it (its conformance corpus in ../shared),
# real perf script output from this machine (with and without call chains,
# piped, two events), formats recognised and refused by name, and convert.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1

# norm FILE: the stacks of a folded file, one per line, counts summed per
# stack, sorted. With JAVA_L=1, frames "L...": the leading L dropped where
# the frame has a '/' (stackcollapse-perf.pl does so since 2023 under
# --pid/--tid; the corpus's expected files for those predate it). With
# BLANK=MOD, a blank frame (" ": the script's name for a frame whose
# symbol perf left blank) and tprof's name for it, "[MOD]" or "[MOD <ADDR>]",
# are both "[blank]".
norm() {
    awk -v javal="${JAVA_L:-0}" -v blank="${BLANK:-}" '
        { c = $NF; s = substr($0, 1, length($0) - length(c) - 1)
          n = split(s, f, ";"); out = ""
          for (i = 1; i <= n; i++) {
              x = f[i]
              if (javal && i > 1 && x ~ /^L/ && x ~ /\//) x = substr(x, 2)
              if (blank != "" && (x == " " || x == "[" blank "]" || index(x, "[" blank " <") == 1)) x = "[blank]"
              out = out (i > 1 ? ";" : "") x
          }
          sum[out] += c }
        END { for (k in sum) print k " " sum[k] }' "$1" | LC_ALL=C sort
}

CORPUS="$SHARED/conformance/flamegraph"
if [ -d "$CORPUS/results" ]; then
    n=0 bad=""
    for in in "$CORPUS"/perf-*.txt; do
        b=$(basename "$in" .txt)
        for flag in "" pid tid kernel jit all addrs; do
            want="$CORPUS/results/$b-collapsed${flag:+-$flag}.txt"
            [ -f "$want" ] || continue
            n=$((n + 1))
            if ! "$TPROF" convert ${flag:+--$flag} "$in" -o got.folded 2>err.txt; then
                bad="$bad $b${flag:+/$flag}(failed: $(cat err.txt))"
                continue
            fi
            jl=0
            case "$b/$flag" in perf-java-*/pid | perf-java-*/tid | perf-vertx-*/pid | perf-vertx-*/tid) jl=1 ;; esac
            bl=""
            grep -q ';  [0-9]*$\|; ;' "$want" && bl=libc-2.15.so
            # The script leaves out a last sample no blank line follows;
            # tprof takes it, as inferno does: it is added to what the
            # script gave, as tprof collapses it alone.
            cp "$want" want.txt
            awk '/^[ \t\r]*$/ { t = ""; next } !/^#/ { t = t $0 "\n" } END { printf "%s", t }' \
                "$in" >tail.txt
            if [ -s tail.txt ] && [ "$(sed -n '2p' tail.txt)" ] &&
                head -n 1 tail.txt | grep -q ':[ \t\r]*$'; then
                "$TPROF" convert ${flag:+--$flag} --format folded tail.txt -o tail.folded 2>/dev/null &&
                    cat tail.folded >>want.txt
            fi
            JAVA_L=$jl BLANK=$bl norm want.txt >want.n
            JAVA_L=0 BLANK=$bl norm got.folded >got.n
            cmp -s want.n got.n || bad="$bad $b${flag:+/$flag}($(diff want.n got.n | grep -c '^[<>]') lines differ)"
        done
    done
    [ -z "$bad" ] && [ $n -eq 91 ]
    check "perf script: the $n conformance cases collapse as stackcollapse-perf.pl does (and a last sample with no blank line after it, as inferno)" $? "$bad"
    # the comparison can fail: a wrong count is seen
    sed '1s/ [0-9]*$/ 999999/' "$CORPUS/results/perf-dd-stacks-01-collapsed.txt" >off.txt
    "$TPROF" convert "$CORPUS/perf-dd-stacks-01.txt" -o got.folded 2>/dev/null
    ! cmp -s "$(norm off.txt >off.n; echo off.n)" "$(norm got.folded >got.n; echo got.n)"
    check "perf script: the conformance comparison sees a changed count" $? ""
    # the last sample needs no blank line after it (inferno takes it; the
    # script does not): three samples, the third's five frames
    head -n 20 "$CORPUS/perf-dd-stacks-01.txt" | "$TPROF" convert --format folded - -o cut.folded 2>err.txt
    rc=$?
    [ $rc -eq 0 ] && [ "$(awk '{ n += $NF } END { print n }' cut.folded)" = 30303030 ] &&
        grep -q '^dd;vfs_write;fsnotify;__srcu_read_unlock 10101010$' cut.folded
    check "perf script: the last sample taken with no blank line after it" $? "rc=$rc $(cat err.txt) $(cat cut.folded)"
    # samples that each count their period are events, not samples
    head -n 20 "$CORPUS/perf-dd-stacks-01.txt" | "$TPROF" report --top 2 - >o.txt 2>/dev/null
    head -n 20 "$CORPUS/perf-dd-stacks-01.txt" | "$TPROF" convert - -o ev.svg 2>/dev/null
    head -1 o.txt | grep -q '^-: 30303030 events, 3 stacks' &&
        grep -q '<title>all (30,303,030 events, 100.00%)</title>' ev.svg
    check "perf script weighted by period: the header and the SVG count events" $? "$(head -1 o.txt)"
else
    skip "perf script conformance" "../shared/conformance is not present"
fi

# Names with spaces stay whole; a parameter list is cut as the script cuts it.
printf 'prog 100/100 [000] 1.0: 1 cycles: \n\tab std::function<int (int, int)>::operator()+0x10 (/bin/prog)\n\tac foo(int)+0x1 (/bin/prog)\n\tad (anonymous namespace)::bar(char const*) (/bin/prog)\n\tae main (/bin/prog)\n\n' >cxx.txt
"$TPROF" convert cxx.txt -o cxx.folded 2>err.txt
grep -qxF 'prog;main;(anonymous namespace)::bar;foo;std::function<int (int, int)>::operator() 1' cxx.folded
check "perf script: C++ names with spaces kept whole, parameter lists cut" $? "$(cat cxx.folded err.txt)"

# This machine's perf: with call chains, piped, and without call chains.
if perf record -q -F 999 --call-graph=dwarf -o hot.data -- "$PROGS/hot" 1 >/dev/null 2>perf.err; then
    perf script --no-inline -i hot.data >hot.txt 2>/dev/null
    perf script --no-inline -i hot.data 2>/dev/null | "$TPROF" report --top 50 - >top.txt 2>err.txt
    rc=$?
    # (each sample counts its period, as in stackcollapse-perf.pl)
    periods=$(sed -n 's/^hot .*: *\([0-9][0-9]*\)  *[^ ]*: *$/\1/p' hot.txt | awk '{s += $1} END {printf "%d", s}')
    [ $rc -eq 0 ] && head -1 top.txt | grep -q "^-: $periods events" && grep -q ' alpha$' top.txt
    check "perf script piped into report: every sample, the hot function" $? "rc=$rc $(head -3 top.txt) $(cat err.txt)"
    "$TPROF" convert hot.txt -o hot.folded 2>err.txt
    grep -q '^hot;.*;main;work;alpha;spin' hot.folded
    check "perf script: the stacks root first, under the command" $? "$(head -2 hot.folded)"
    perf record -q -F 999 -o flat.data -- "$PROGS/hot" 0.5 >/dev/null 2>&1
    perf script -i flat.data >flat.txt 2>/dev/null
    fs=$(sed -n 's/^ *hot .*: *\([0-9][0-9]*\)  *[^ ]*: .*/\1/p' flat.txt | awk '{s += $1} END {printf "%d", s}')
    "$TPROF" convert flat.txt -o flat.folded 2>err.txt
    [ "$(awk '{s += $NF} END {printf "%d", s}' flat.folded)" = "$fs" ] && grep -q '^hot;spin ' flat.folded
    check "perf script without call chains: a one-frame stack per line" $? \
        "$fs lines: $(sort -t' ' -k2 -nr flat.folded | head -3) $(cat err.txt) $(head -2 flat.txt)"
    # two events: the first kept and said, --event picks
    if perf record -q -e cpu-clock,task-clock -F 999 -g -o two.data -- "$PROGS/hot" 0.5 >/dev/null 2>&1; then
        perf script -i two.data >two.txt 2>/dev/null
        first=$(sed -n 's/.* \([a-z-]*\): *$/\1/p' two.txt | head -1)
        other=$([ "$first" = cpu-clock ] && echo task-clock || echo cpu-clock)
        # (the count: samples, and their periods' sum for the total)
        n1=$(grep -c " $first: *\$" two.txt) n2=$(grep -c " $other: *\$" two.txt)
        p1=$(sed -n "s/.*: *\([0-9][0-9]*\)  *$first: *\$/\1/p" two.txt | awk '{s += $1} END {printf "%d", s}')
        p2=$(sed -n "s/.*: *\([0-9][0-9]*\)  *$other: *\$/\1/p" two.txt | awk '{s += $1} END {printf "%d", s}')
        "$TPROF" report --top 1 two.txt >o1.txt 2>e1.txt
        "$TPROF" report --top 1 --event "$other" two.txt >o2.txt 2>e2.txt
        head -1 o1.txt | grep -q ": $p1 events" && grep -q "$n2 samples of other events left out" e1.txt &&
            head -1 o2.txt | grep -q ": $p2 events"
        check "perf script: several events, the first kept and said; --event picks another" $? \
            "$first $n1 $other $n2: $(head -1 o1.txt) $(cat e1.txt) / $(head -1 o2.txt)"
    else
        skip "perf script: two events" "perf record -e cpu-clock,task-clock refused"
    fi
else
    skip "perf script from this machine" "perf record failed: $(head -1 perf.err)"
fi

# The viewer on perf script text, from a file and from a pipe.
if [ -s hot.txt ]; then
    tmux_start formats
    for how in file pipe; do
        if [ $how = file ]; then
            cmd="'$TPROF' view hot.txt"
        else
            cmd="cat hot.txt | '$TPROF' view -"
        fi
        $T new-session -d -s v -x 100 -y 30 "env LANG=C.UTF-8 TERM=screen sh -c \"$cmd\"; echo EXIT=\$?; sleep 60"
        wait_for "[icicle]"
        screen | grep -q "^▏all" && screen | grep -q "^▏hot" && screen | grep -q "^▏alpha .*▏beta"
        quit_view $?
        check "view of perf script text ($how): the icicle under the command, q exits 0" $? \
            "$(screen | head -12)"
        $T kill-session -t v 2>/dev/null
    done
else
    skip "view of perf script text" "no perf script text from this machine"
fi

# Formats recognised and refused by name; anything else: one line naming
# the formats tried, exit 1.
printf 'a;b 1\n' | gzip >p.pb.gz
printf '{"$schema":"https://www.speedscope.app/file-format-schema.json","profiles":[]}\n' >s.json
printf '\373\000\000\000' >p.prof
printf 'hello world\nthis is text\n' >t.txt
printf '{"traceEvents": []}\n' >o.json
for f in p.pb.gz s.json o.json p.prof t.txt /bin/ls; do
    "$TPROF" report "$f" >/dev/null 2>err.txt
    rc=$?
    case $f in
    p.pb.gz) want="is not a readable pprof file (gzip): not a profile.proto message" ;;
    s.json) want="is not a readable speedscope file: no shared.frames or no profiles" ;;
    o.json) want="is JSON, but not a speedscope file" ;;
    p.prof) want="is not a readable pstats file: unknown marshal type code 0x00 at offset 1" ;;
    *) want="none of the formats tprof reads" ;;
    esac
    [ $rc -eq 1 ] && [ "$(wc -l <err.txt)" -eq 1 ] && grep -qF "$want" err.txt
    check "report $f: one line, the format named or those tried, exit 1" $? "rc=$rc $(cat err.txt)"
done

# pstats: every CPython present profiles tests/e2e/py/pstats_work.py with
# cProfile and with the pure-Python profile module (whose file keys its own
# entry by a code object, and gives callers as counts); report's table is
# pstats's own figures (py/pstats_check.py compares them with what that
# Python's pstats reads, every function within 0.1 point).
CHECK="$ROOT/tests/e2e/py/pstats_check.py"
interpreters >pylist
while read -r label py; do
    if [ "$py" = "-" ] || [ ! -x "$py" ]; then
        skip "pstats from $label" "not installed"
        continue
    fi
    for mod in cProfile profile; do
        "$py" -m $mod -o "$label.$mod.prof" "$ROOT/tests/e2e/py/pstats_work.py" >/dev/null 2>&1
        "$TPROF" report --top 100000 --width 2000 "$label.$mod.prof" >"$label.$mod.txt" 2>"$label.$mod.err"
        rc=$?
        "$py" "$CHECK" "$label.$mod.prof" "$label.$mod.txt" >"$label.$mod.chk" 2>&1
        r=$?
        [ $rc -eq 0 ] && [ $r -eq 0 ] && grep -q "^$label.$mod.prof: pstats, [0-9.]* seconds" "$label.$mod.txt"
        check "pstats from $label $mod: report's table is what pstats reads (0.1 point)" $? \
            "rc=$rc $(cat "$label.$mod.err") $(tail -5 "$label.$mod.chk")"
    done
    grep -q "calls give only a count (the profile module's file)" "$label.profile.err" &&
        grep -q "^ *[0-9.]*% *[0-9.]*% .* \[py\] <module> (profile:0)$" "$label.profile.txt"
    check "pstats from $label profile: its code-object key named, its counts said" $? \
        "$(cat "$label.profile.err") $(grep -c . "$label.profile.txt") lines"
    last="$label"
    lastpy="$py"
done <pylist
if [ -n "${last:-}" ]; then
    # the comparison can fail: one share moved by a point is seen
    awk 'NR == 4 { sub(/^ */, ""); $1 = sprintf("%.2f%%", $1 + 1); print "  " $0; next } { print }' \
        "$last.cProfile.txt" >moved.txt
    ! "$lastpy" "$CHECK" "$last.cProfile.prof" moved.txt >/dev/null 2>&1
    check "pstats: the comparison sees a share moved by one point" $? "$(sed -n 4p moved.txt)"
    # the tree: the naive encoder under main, snakeviz's way (every node:
    # json's encode is ~1.5% of this program's real time, near the default
    # cut, and a loaded machine moved it under)
    "$TPROF" report --tree --min-percent 0 --width 300 "$last.cProfile.prof" >tree.txt 2>&1
    grep -q "▾ main (.*pstats_work.py:[0-9]*)$" tree.txt &&
        grep -q "^ *[0-9.]*% *[0-9.]*%  \[py\] *▾ encode_binary (.*pstats_work.py:[0-9]*)$" tree.txt &&
        grep -q "<built-in method _struct.pack>$" tree.txt &&
        grep -q "json/encoder.py:[0-9]*)$" tree.txt
    check "pstats: the tree (main, encode_binary, _struct.pack, json shortened)" $? "$(head -30 tree.txt)"
    # a cut file: one line, exit 1
    head -c 300 "$last.cProfile.prof" >cut.prof
    "$TPROF" report cut.prof >/dev/null 2>err.txt
    rc=$?
    [ $rc -eq 1 ] && [ "$(wc -l <err.txt)" -eq 1 ] &&
        grep -q "'cut.prof' is not a readable pstats file: truncated marshal data at offset" err.txt
    check "pstats: a cut file is one line, exit 1" $? "rc=$rc $(cat err.txt)"
    # the viewer: seconds where samples were
    [ -n "${T:-}" ] || tmux_start formats
    $T new-session -d -s v -x 140 -y 30 "env LANG=C.UTF-8 TERM=screen '$TPROF' view '$last.cProfile.prof'; echo EXIT=\$?; sleep 60"
    wait_for "[icicle]"
    # down to the script's <module> (some versions' builtins.exec sits
    # above it)
    for _ in 1 2 3; do
        keys j
        wait_for "pstats_work.py:1)  self" 20 && break
    done
    screen | grep -q "pstats_work.py:1)  self 0\.[0-9]* s  total [0-9.]* s " &&
        screen | head -1 | grep -q "[0-9]\.[0-9]\{6\} s *$"
    ok=$?
    # e on a saved profile: what is shown, hidden frames left out, to the
    # name typed
    keys x
    keys j s o n Enter
    wait_for "[hide json]" 50
    keys e
    wait_for "export to (.folded"
    keys C-u v i e w . j s o n Enter
    wait_for "exported " 50
    screen | grep -q "exported [0-9]* stacks (0\.[0-9]* s) to view.json (speedscope)" &&
        grep -q '"unit":"seconds"' view.json && ! grep -q 'json/' view.json &&
        grep -q 'pstats_work.py' view.json
    check "view: e writes what is shown (hide applied) in the format its name says" $? \
        "$(screen | tail -2) $(head -c 300 view.json 2>/dev/null)"
    quit_view $ok
    check "view of a .prof: times in seconds in the title and status line" $? "$(screen | head -24)"
    $T kill-session -t v 2>/dev/null
    # convert: folded with seconds as counts
    "$TPROF" convert "$last.cProfile.prof" -o prof.folded 2>err.txt &&
        grep -q "^<built-in method builtins.exec>;<module> ([^;]*pstats_work.py:1);main (" prof.folded
    check "convert .prof -> folded" $? "$(cat err.txt) $(head -3 prof.folded)"
fi
PSTATS="$SHARED/conformance/pstats"
if [ -d "$PSTATS" ]; then
    bad=""
    for f in "$PSTATS"/*.prof; do
        b=$(basename "$f")
        "$TPROF" report --top 100000 --width 2000 "$f" >"$b.txt" 2>/dev/null &&
            python3 "$CHECK" --json "$f.json" "$b.txt" >"$b.chk" || bad="$bad $b: $(tail -3 "$b.chk")"
    done
    [ -z "$bad" ]
    check "pstats conformance: report's table is what pstats read from the corpus's files" $? "$bad"
else
    skip "pstats conformance" "../shared/conformance is not present"
fi

# convert: folded out (a round trip keeps every stack and count), other
# formats refused by name, an unknown extension asks for --format.
printf 'p;a;b 3\np;a;c 2\np;d 1\n' >in.folded
"$TPROF" convert in.folded -o out.txt && cmp -s in.folded out.txt
check "convert folded -> folded keeps every stack and count" $? "$(cat out.txt)"
"$TPROF" convert in.folded -o - | cmp -s in.folded -
check "convert -o - writes to standard output" $? ""
# pprof: tprof's files read by go tool pprof (every function's flat% and
# cum% as tprof's self% and total%, within 0.1 point), a Go program's own
# CPU profile read by tprof the same way, round trips, modules kept.
"$TPROF" convert in.folded -o out.pb.gz 2>err.txt && "$TPROF" convert out.pb.gz -o back.folded &&
    cmp -s in.folded back.folded
check "convert folded -> pprof -> folded keeps every stack and count" $? "$(cat err.txt back.folded)"
"$TPROF" -q -o run.pb.gz -- "$PROGS/hot" 0.5 >/dev/null 2>err.txt &&
    "$TPROF" convert run.pb.gz -o run-pb.json 2>>err.txt &&
    grep -q '{"name":"spin","file":"hot"}' run-pb.json
check "tprof -o run.pb.gz: modules kept (read back: spin in hot)" $? "$(cat err.txt)"
gzip -dc run.pb.gz >run.pb && "$TPROF" report --top 3 run.pb 2>err.txt | grep -q "  spin$"
check "pprof: an uncompressed message is read too" $? "$(cat err.txt)"
head -c 100 run.pb.gz >cut.pb.gz
"$TPROF" report cut.pb.gz >/dev/null 2>err.txt
rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <err.txt)" -eq 1 ] && grep -q "'cut.pb.gz' is not a readable pprof file (gzip): its gzip data" err.txt
check "pprof: a cut file is one line, exit 1" $? "rc=$rc $(cat err.txt)"
if command -v go >/dev/null 2>&1; then
    GOENV="env HOME=$TMP GOCACHE=$TMP/gocache GOPATH=$TMP/gopath GO111MODULE=off GOFLAGS="
    $GOENV go tool pprof -top -nodecount=100000 -nodefraction=0 run.pb.gz >go-run.txt 2>go.err
    "$TPROF" report --top 100000 --width 2000 run.pb.gz >tp-run.txt 2>&1
    python3 "$ROOT/tests/e2e/py/pprof_compare.py" go-run.txt tp-run.txt >cmp.txt 2>&1
    check "pprof: go tool pprof reads tprof's file as tprof does (0.1 point)" $? \
        "$(tail -4 cmp.txt) $(tail -2 go.err)"
    # the process and thread of each sample: labels comm, pid, tid
    $GOENV go tool pprof -tags run.pb.gz >go-tags.txt 2>>go.err
    grep -q "^ *comm: Total" go-tags.txt && grep -q "(  100%): hot$" go-tags.txt &&
        grep -q "^ *pid: Total" go-tags.txt && grep -q "^ *tid: Total" go-tags.txt
    check "pprof: go tool pprof -tags reads each sample's comm, pid and tid" $? \
        "$(head -12 go-tags.txt) $(tail -2 go.err)"
    if $GOENV go run "$ROOT/tests/e2e/go/cpu.go" gocpu.pb.gz 1 >go.err 2>&1; then
        $GOENV go tool pprof -top -nodecount=100000 -nodefraction=0 gocpu.pb.gz >go-cpu.txt 2>>go.err
        "$TPROF" report --top 100000 --width 2000 gocpu.pb.gz >tp-cpu.txt 2>tp-cpu.err
        python3 "$ROOT/tests/e2e/py/pprof_compare.py" go-cpu.txt tp-cpu.txt >cmp.txt 2>&1 &&
            grep -q "^gocpu.pb.gz: pprof, [0-9.]* seconds" tp-cpu.txt &&
            grep -q "  main.alpha$" tp-cpu.txt &&
            grep -q "cpu/nanoseconds of 2 sample types (--sample-type NAME for another)" tp-cpu.err
        check "pprof: a Go program's CPU profile, as go tool pprof reads it (0.1 point)" $? \
            "$(tail -4 cmp.txt) $(cat tp-cpu.err)"
        "$TPROF" report --sample-type samples --top 3 gocpu.pb.gz 2>/dev/null |
            grep -q "^gocpu.pb.gz: [0-9]* samples"
        check "pprof: --sample-type samples reads the counts" $? ""
        "$TPROF" report --sample-type bytes gocpu.pb.gz >/dev/null 2>err.txt
        rc=$?
        [ $rc -eq 1 ] && grep -q "\-\-sample-type bytes: the file's types are samples, cpu" err.txt
        check "pprof: an unknown --sample-type names the file's types, exit 1" $? "rc=$rc $(cat err.txt)"
    else
        fail "pprof: a Go program's CPU profile" "go run failed: $(tail -3 go.err)"
    fi
else
    skip "pprof against go tool pprof" "go is not installed (make deps-test installs golang-go)"
fi

# A folded file past 16 MiB is read on two cores (each half of its lines,
# then merged): the same profile as one reader gives it from a pipe, and
# the same error for a NUL byte in its second half.
awk 'BEGIN { for (i = 0; i < 300000; i++)
    printf "prog;main;mod%d::encode_value_with_a_long_name;helper_%d;leaf_%d %d\n", i % 97, i % 13, i % 7, 1 + i % 5
    }' >par.folded
[ "$(stat -c %s par.folded)" -gt $((16 << 20)) ] &&
    "$TPROF" convert par.folded -o par-file.folded 2>err.txt &&
    cat par.folded | "$TPROF" convert - -o par-pipe.folded 2>>err.txt &&
    cmp -s par-file.folded par-pipe.folded && [ "$(wc -l <par-file.folded)" -gt 1000 ]
check "a folded file past 16 MiB (two cores) reads as from a pipe (one)" $? \
    "$(cat err.txt) $(wc -l par-file.folded par-pipe.folded 2>&1 | head -2)"
{ cat par.folded; printf 'x;y 1\0\n'; } >parnul.folded
"$TPROF" report parnul.folded >/dev/null 2>err1.txt
cat parnul.folded | "$TPROF" report - >/dev/null 2>err2.txt
[ "$(sed "s/'[^']*'//" err1.txt)" = "$(sed "s/'[^']*'//" err2.txt)" ] && grep -q "a NUL byte at offset" err1.txt
check "a NUL byte in the second half: the one-reader error" $? "$(cat err1.txt err2.txt)"

# SVG: valid XML, flamegraph.pl's titles (thousands separators), and in
# headless Chromium the script zooms and searches (driven by the URL's
# fragment: #zoom=NAME, #search=REGEX).
printf 'prog;main;alpha;spin 1234567\nprog;main;beta;spin 765433\nprog;main;gamma<&> 500000\n' >big.folded
"$TPROF" convert big.folded -o flame.svg 2>err.txt
rc=$?
[ $rc -eq 0 ] && xmllint --noout flame.svg 2>>err.txt &&
    grep -q "<title>alpha (1,234,567 samples, 49.38%)</title>" flame.svg &&
    grep -q "<title>all (2,500,000 samples, 100.00%)</title>" flame.svg &&
    grep -q "<title>gamma&lt;&amp;&gt; (500,000 samples, 20.00%)</title>" flame.svg
check "convert to .svg: valid XML, titles as flamegraph.pl writes them" $? "rc=$rc $(cat err.txt)"
if command -v chromium >/dev/null 2>&1; then
    dom() { chromium --headless --no-sandbox --disable-gpu --virtual-time-budget=3000 \
        --user-data-dir="$TMP/chromium" --dump-dom "file://$TMP/flame.svg#$1" 2>/dev/null; }
    dom "zoom=beta" >zoom.xml
    # beta spans the whole width, alpha is hidden, main (a parent) is faded
    grep -q '<g data-name="beta"><title>[^<]*</title><rect x="10" y="[0-9]*" width="1180"' zoom.xml &&
        grep -q '<g data-name="alpha" style="display: none;">' zoom.xml &&
        grep -q '<g data-name="main" style="opacity: 0.5;">' zoom.xml
    check "svg in Chromium: a click's zoom widens the frame and hides the others" $? \
        "$(grep -o '<g data-name="[a-z]*"[^>]*><title>[^<]*</title><rect[^>]*>' zoom.xml | head -8)"
    # a screenshot: Chromium draws it (a PNG, wider than a blank page's)
    chromium --headless --no-sandbox --disable-gpu --user-data-dir="$TMP/chromium" \
        --window-size=1200,300 --screenshot="$TMP/flame.png" "file://$TMP/flame.svg" >/dev/null 2>&1
    [ "$(head -c 4 flame.png 2>/dev/null | od -An -c | tr -d ' ')" = "211PNG" ] &&
        [ "$(stat -c %s flame.png)" -gt 4000 ]
    check "svg in Chromium: it draws (a screenshot)" $? "$(ls -la flame.png 2>&1)"
    dom "search=^(alpha|gamma)" >search.xml
    grep -q '<text id="matched"[^>]*>Matched: 69.4%</text>' search.xml &&
        grep -q '<g data-name="alpha"><title>[^<]*</title><rect [^>]*fill="rgb(230,0,230)"' search.xml
    check "svg in Chromium: search highlights the matches and says their share" $? \
        "$(grep -o '<text id="matched"[^<]*</text>' search.xml)"
else
    skip "svg in Chromium" "chromium is not installed (make deps-test installs it)"
fi

# speedscope: folded -> .json -> folded keeps every stack and count; the
# file is valid against the schema of the npm package speedscope (ajv).
"$TPROF" convert big.folded -o big.json && "$TPROF" convert big.json -o back.folded &&
    cmp -s big.folded back.folded
check "convert folded -> speedscope -> folded keeps every stack and count" $? "$(cat back.folded)"
NPM_DIR="$ROOT/build/npm"
if [ ! -d "$NPM_DIR/node_modules/speedscope" ] && command -v npm >/dev/null 2>&1; then
    mkdir -p "$NPM_DIR" &&
        npm install --no-audit --no-fund --silent --prefix "$NPM_DIR" speedscope@1 ajv@8 >npm.log 2>&1
fi
if [ -d "$NPM_DIR/node_modules/speedscope" ] && [ -d "$NPM_DIR/node_modules/ajv" ]; then
    VALIDATE="env NODE_PATH=$NPM_DIR/node_modules node $ROOT/tests/e2e/js/validate_speedscope.js"
    "$TPROF" convert "${last:-x}.cProfile.prof" -o prof.json 2>/dev/null || cp big.json prof.json
    $VALIDATE big.json prof.json >val.txt 2>&1
    check "speedscope: valid against the speedscope package's schema (ajv)" $? "$(cat val.txt)"
    sed 's/"unit":"none",//' big.json >nounit.json
    ! $VALIDATE nounit.json >/dev/null 2>&1
    check "speedscope: the validation sees a missing unit" $? ""
else
    skip "speedscope schema" "npm could not install speedscope and ajv: $(tail -2 npm.log 2>/dev/null)"
fi
grep -q '"unit":"seconds"' prof.json 2>/dev/null || [ -z "${last:-}" ]
check "speedscope from a .prof: unit seconds" $? "$(head -c 300 prof.json 2>/dev/null)"

# tprof -o by extension: a recording straight to SVG and to speedscope
"$TPROF" -q -o run.svg -- "$PROGS/hot" 0.3 >/dev/null 2>err.txt &&
    xmllint --noout run.svg 2>>err.txt && grep -q "<title>spin ([0-9,]* samples, " run.svg
check "tprof -o run.svg writes an SVG flame graph" $? "$(cat err.txt)"
"$TPROF" -q -o run.json -- "$PROGS/hot" 0.3 >/dev/null 2>err.txt &&
    "$TPROF" report --top 3 run.json 2>>err.txt | grep -q "  spin$"
check "tprof -o run.json writes speedscope that reads back" $? "$(cat err.txt)"

# The viewer on speedscope and pprof files: the icicle of the recording
[ -n "${T:-}" ] || tmux_start formats
for f in run.json run.pb.gz; do
    $T new-session -d -s v -x 100 -y 30 "env LANG=C.UTF-8 TERM=screen '$TPROF' view $f; echo EXIT=\$?; sleep 60"
    wait_for "[icicle]"
    screen | grep -q "^▏all" && screen | grep -q "^▏hot" && screen | grep -q "▏spin"
    quit_view $?
    check "view of $f: the icicle of the recording, q exits 0" $? "$(screen | head -12)"
    $T kill-session -t v 2>/dev/null
done

# speedscope input: evented, several profiles (--profile N), errors
cat >ev.json <<'EOF2'
{"$schema": "https://www.speedscope.app/file-format-schema.json",
 "shared": {"frames": [{"name": "main"}, {"name": "encode", "file": "codec.py", "line": 3},
                       {"name": "memmove"}]},
 "activeProfileIndex": 1,
 "profiles": [
  {"type": "sampled", "name": "first", "unit": "none", "startValue": 0, "endValue": 3,
   "samples": [[0, 1], [0, 2]], "weights": [2, 1]},
  {"type": "evented", "name": "second", "unit": "milliseconds", "startValue": 0, "endValue": 10,
   "events": [{"type": "O", "frame": 0, "at": 0}, {"type": "O", "frame": 1, "at": 2},
              {"type": "O", "frame": 2, "at": 5}, {"type": "C", "frame": 2, "at": 6},
              {"type": "C", "frame": 1, "at": 9}, {"type": "C", "frame": 0, "at": 10}]}]}
EOF2
"$TPROF" convert ev.json -o ev.folded 2>err.txt &&
    [ "$(cat ev.folded)" = "$(printf 'main 0.003\nmain;encode (codec.py:3) 0.006\nmain;encode (codec.py:3);memmove 0.001')" ] &&
    grep -q "speedscope, profile 1 of 2 ('second'); --profile N reads another" err.txt
check "speedscope evented: open/close times, the active profile, said" $? "$(cat ev.folded err.txt)"
"$TPROF" convert --profile 0 ev.json -o ev0.folded 2>/dev/null &&
    [ "$(cat ev0.folded)" = "$(printf 'main;encode (codec.py:3) 2\nmain;memmove 1')" ]
check "speedscope: --profile 0 reads the first" $? "$(cat ev0.folded)"
"$TPROF" report --profile 5 ev.json >/dev/null 2>err.txt
rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <err.txt)" -eq 1 ] && grep -q "the file has 2 profiles (0 to 1)" err.txt
check "speedscope: --profile past the end is one line, exit 1" $? "rc=$rc $(cat err.txt)"
sed 's/"frame": 2, "at": 6/"frame": 1, "at": 6/' ev.json >bad.json
"$TPROF" report bad.json >/dev/null 2>err.txt
rc=$?
[ $rc -eq 1 ] && grep -q "is not a readable speedscope file: event 4 closes frame 1, which is not the innermost open" err.txt
check "speedscope: an unbalanced close is one line, exit 1" $? "rc=$rc $(cat err.txt)"

"$TPROF" convert in.folded -o out.xyz 2>err.txt
rc=$?
[ $rc -eq 2 ] && grep -q "cannot tell the format to write from 'out.xyz'" err.txt
check "convert to an unknown extension: asks for --format, exit 2" $? "rc=$rc $(cat err.txt)"
"$TPROF" convert in.folded 2>err.txt
rc=$?
[ $rc -eq 2 ] && grep -q "convert needs -o OUT" err.txt
check "convert without -o: usage error" $? "rc=$rc $(cat err.txt)"
