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
            JAVA_L=$jl BLANK=$bl norm "$want" >want.n
            JAVA_L=0 BLANK=$bl norm got.folded >got.n
            cmp -s want.n got.n || bad="$bad $b${flag:+/$flag}($(diff want.n got.n | grep -c '^[<>]') lines differ)"
        done
    done
    [ -z "$bad" ] && [ $n -eq 91 ]
    check "perf script: the $n conformance cases collapse as stackcollapse-perf.pl does" $? "$bad"
    # the comparison can fail: a wrong count is seen
    sed '1s/ [0-9]*$/ 999999/' "$CORPUS/results/perf-dd-stacks-01-collapsed.txt" >off.txt
    "$TPROF" convert "$CORPUS/perf-dd-stacks-01.txt" -o got.folded 2>/dev/null
    ! cmp -s "$(norm off.txt >off.n; echo off.n)" "$(norm got.folded >got.n; echo got.n)"
    check "perf script: the conformance comparison sees a changed count" $? ""
    # a cut input: the sample it ends inside is left out, and said
    head -n 20 "$CORPUS/perf-dd-stacks-01.txt" | "$TPROF" report --top 3 - >o.txt 2>err.txt
    rc=$?
    [ $rc -eq 0 ] && grep -q "1 cut short (no blank line after) left out" err.txt
    check "perf script: a sample cut off at the end is left out and said" $? "rc=$rc $(cat err.txt)"
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
    [ $rc -eq 0 ] && head -1 top.txt | grep -q "^-: $periods samples" && grep -q ' alpha$' top.txt
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
        head -1 o1.txt | grep -q ": $p1 samples" && grep -q "$n2 samples of other events left out" e1.txt &&
            head -1 o2.txt | grep -q ": $p2 samples"
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
        ok=$?
        keys q
        wait_for "EXIT=0"
        [ $ok -eq 0 ] && [ $? -eq 0 ]
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
for f in p.pb.gz s.json p.prof t.txt /bin/ls; do
    "$TPROF" report "$f" >/dev/null 2>err.txt
    rc=$?
    case $f in
    p.pb.gz) want="gzip-compressed (a pprof profile?): tprof reads only folded stacks and perf script text so far" ;;
    s.json) want="a speedscope JSON file: tprof reads only" ;;
    p.prof) want="a Python pstats file" ;;
    *) want="none of the formats tprof reads" ;;
    esac
    [ $rc -eq 1 ] && [ "$(wc -l <err.txt)" -eq 1 ] && grep -qF "$want" err.txt
    check "report $f: one line, the format named or those tried, exit 1" $? "rc=$rc $(cat err.txt)"
done

# convert: folded out (a round trip keeps every stack and count), other
# formats refused by name, an unknown extension asks for --format.
printf 'p;a;b 3\np;a;c 2\np;d 1\n' >in.folded
"$TPROF" convert in.folded -o out.txt && cmp -s in.folded out.txt
check "convert folded -> folded keeps every stack and count" $? "$(cat out.txt)"
"$TPROF" convert in.folded -o - | cmp -s in.folded -
check "convert -o - writes to standard output" $? ""
"$TPROF" convert in.folded -o out.svg 2>err.txt
rc=$?
[ $rc -eq 2 ] && grep -q "writing svg is not implemented yet; folded (.folded, .txt) is" err.txt && [ ! -e out.svg ]
check "convert to .svg: not implemented yet, said, nothing written" $? "rc=$rc $(cat err.txt)"
"$TPROF" convert in.folded -o out.xyz 2>err.txt
rc=$?
[ $rc -eq 2 ] && grep -q "cannot tell the format to write from 'out.xyz'" err.txt
check "convert to an unknown extension: asks for --format, exit 2" $? "rc=$rc $(cat err.txt)"
"$TPROF" convert in.folded 2>err.txt
rc=$?
[ $rc -eq 2 ] && grep -q "convert needs -o OUT" err.txt
check "convert without -o: usage error" $? "rc=$rc $(cat err.txt)"
