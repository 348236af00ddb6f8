# Comparing two profiles: tprof diff (difffolded.pl's two-column format,
# checked against difffolded.pl's own outputs in ../shared), and tprof
# report --diff with its CI gate, on small profiles with known shares.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
export LC_ALL=C

# difffolded.pl's outputs, compared as sets of lines (its order is a hash's)
CASES="$SHARED/conformance/diff"
if [ -d "$CASES/results" ]; then
    for pair in small-before:small-after naive:tuned; do
        b=${pair%%:*} a=${pair#*:}
        for flag in "" --normalize --strip-hex; do
            case $flag in
            "") want="$CASES/results/$b--$a.default.txt" ;;
            --normalize) want="$CASES/results/$b--$a-n.txt" ;;
            *) want="$CASES/results/$b--$a-s.txt" ;;
            esac
            # shellcheck disable=SC2086 # no flag is no word
            "$TPROF" diff $flag "$CASES/$b.folded" "$CASES/$a.folded" -o got.folded 2>err.txt
            rc=$?
            sort got.folded >got.sorted
            sort "$want" >want.sorted
            [ $rc -eq 0 ] && [ -s got.sorted ] && cmp -s got.sorted want.sorted
            check "diff $b $a ${flag:-(no flag)}: difffolded.pl's lines" $? \
                "rc=$rc $(cat err.txt) $(diff got.sorted want.sorted | head -6)"
        done
    done
else
    skip "difffolded.pl conformance" "../shared/conformance/diff is not present"
fi

# Known shares: BEFORE spends 60% in encode (40 self), AFTER 20%.
cat >before.folded <<'X'
app;main;encode 40
app;main;encode;memmove 20
app;main;parse 30
app;main 10
X
cat >after.folded <<'X'
app;main;encode 10
app;main;encode;memmove 10
app;main;parse 60
app;main;send 20
app;main 0
X
"$TPROF" report --diff before.folded after.folded >r.txt 2>err.txt
rc=$?
[ $rc -eq 0 ] && [ ! -s err.txt ] &&
    head -1 r.txt | grep -qF "before before.folded: 100 samples; after after.folded: 100 samples"
check "report --diff: a header with both totals" $? "rc=$rc $(head -2 r.txt) $(cat err.txt)"
# rows: before% after% change before-self% after-self% self-change kind function
grep -q "^ *60.00% *20.00% *-40.00 *40.00% *10.00% *-30.00 *encode$" r.txt &&
    grep -q "^ *30.00% *60.00% *+30.00 *30.00% *60.00% *+30.00 *parse$" r.txt &&
    grep -q "^ *0.00% *20.00% *+20.00 *0.00% *20.00% *+20.00 *send$" r.txt &&
    grep -q "^ *20.00% *10.00% *-10.00 *20.00% *10.00% *-10.00 *memmove$" r.txt
check "report --diff: before, after and signed changes of total and self" $? "$(cat r.txt)"
sed -n '4p' r.txt | grep -q " encode$" && sed -n '5p' r.txt | grep -q " parse$" &&
    sed -n '6p' r.txt | grep -q " send$"
check "report --diff: sorted by the size of the change of the total" $? "$(cat r.txt)"
"$TPROF" report --diff --top 1 before.folded after.folded | tail -n +4 >t.txt
[ "$(wc -l <t.txt)" -eq 1 ] && grep -q " encode$" t.txt
check "report --diff --top 1: one row" $? "$(cat t.txt)"
"$TPROF" report --diff --min-delta 25 before.folded after.folded | tail -n +4 >m.txt
[ "$(wc -l <m.txt)" -eq 2 ] && grep -q " encode$" m.txt && grep -q " parse$" m.txt
check "report --diff --min-delta 25: changes under 25 points left out" $? "$(cat m.txt)"
"$TPROF" report --diff --focus '^(send|memmove)$' before.folded after.folded | tail -n +4 >f.txt
[ "$(wc -l <f.txt)" -eq 2 ] && grep -q " send$" f.txt && grep -q " memmove$" f.txt
check "report --diff --focus: only matching functions" $? "$(cat f.txt)"
"$TPROF" report --diff --absolute before.folded after.folded >a.txt
head -1 a.txt | grep -qF "change +0 samples (+0.0%)" &&
    grep -q "^ *60 *20 *-40 *40 *10 *-30 *encode$" a.txt
check "report --diff --absolute: weights and the total change" $? "$(cat a.txt)"
! grep -q "$(printf '\033')" r.txt
check "report --diff: no escape codes when not on a terminal" $? "escape codes found"

# The gate: exit 3 naming each function that grew by more than PTS points.
"$TPROF" report --diff --fail-if-grows 25 before.folded after.folded >g.txt 2>g.err
rc=$?
[ $rc -eq 3 ] && grep -q "^tprof: parse grew by +30.00 points (30.00% -> 60.00%), more than 25$" g.err &&
    [ "$(wc -l <g.err)" -eq 1 ] && grep -q " parse$" g.txt
check "--fail-if-grows 25: exit 3, parse named" $? "rc=$rc $(cat g.err)"
"$TPROF" report --diff --fail-if-grows 30 before.folded after.folded >/dev/null 2>g.err
rc=$?
[ $rc -eq 0 ] && [ ! -s g.err ]
check "--fail-if-grows 30: nothing grew by more, exit 0" $? "rc=$rc $(cat g.err)"
"$TPROF" report --diff --fail-if-grows 5 --focus '^send$' before.folded after.folded \
    >/dev/null 2>g.err
rc=$?
[ $rc -eq 3 ] && [ "$(wc -l <g.err)" -eq 1 ] && grep -q "^tprof: send grew" g.err
check "--fail-if-grows with --focus: only matching functions are judged" $? "rc=$rc $(cat g.err)"
"$TPROF" report --diff --fail-if-grows 5 --focus '^encode$' before.folded after.folded \
    >/dev/null 2>g.err
check "--fail-if-grows with --focus on a function that shrank: exit 0" $? "$(cat g.err)"

# two-column output to stdout, a stack on one side only gets 0 there
"$TPROF" diff before.folded after.folded -o - >d.txt 2>err.txt
grep -qx "app;main;send 0 20" d.txt && grep -qx "app;main;encode 40 10" d.txt &&
    [ "$(wc -l <d.txt)" -eq 5 ]
check "diff -o -: STACK BEFORE AFTER, zero on the side without the stack" $? "$(cat d.txt err.txt)"

# Bad input: one clear line, exit 1 or 2, no output file left behind.
"$TPROF" diff before.folded after.folded </dev/null >/dev/null 2>e.txt
rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <e.txt)" -eq 1 ] && grep -q "no terminal to draw on" e.txt
check "diff without -o and no terminal: the viewer says why (exit 1)" $? "rc=$rc $(cat e.txt)"
"$TPROF" diff before.folded after.folded -o out.json >/dev/null 2>e.txt
rc=$?
[ $rc -eq 2 ] && [ ! -e out.json ] && grep -q "not 'out.json'" e.txt
check "diff -o x.json: refused with a reason, nothing written" $? "rc=$rc $(cat e.txt)"

# A differential SVG as flamegraph.pl draws one: AFTER's widths, red where
# a frame's own share grew (parse, send), blue where it fell (encode).
"$TPROF" diff before.folded after.folded -o d.svg 2>e.txt
rc=$?
python3 - d.svg <<'PY' >svg.txt 2>&1
import re, sys, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
for g in doc.getElementsByTagName("g"):
    t = g.getElementsByTagName("title")
    r = g.getElementsByTagName("rect")
    if t and r:
        print(t[0].firstChild.data, r[0].getAttribute("fill"))
PY
[ $rc -eq 0 ] && grep -qx "parse (60 samples, 60.00%; +30.00%) rgb(255,0,0)" svg.txt &&
    grep -qx "send (20 samples, 20.00%; +20.00%) rgb(255,70,70)" svg.txt &&
    grep -qx "encode (20 samples, 20.00%; -30.00%) rgb(0,0,255)" svg.txt &&
    grep -qx "main (100 samples, 100.00%; -10.00%) rgb(140,140,255)" svg.txt
check "diff -o x.svg: widths AFTER's, red grew, blue shrank, by self share" $? \
    "rc=$rc $(cat e.txt svg.txt)"

"$TPROF" diff before.folded missing.folded -o o.folded >/dev/null 2>e.txt
rc=$?
[ $rc -eq 1 ] && [ ! -e o.folded ] && [ "$(wc -l <e.txt)" -eq 1 ] && grep -q "missing.folded" e.txt
check "diff with a missing file: one line, no output" $? "rc=$rc $(cat e.txt)"
"$TPROF" report --diff before.folded >/dev/null 2>e.txt
rc=$?
[ $rc -eq 2 ] && grep -q "needs two files" e.txt
check "report --diff with one file: usage error" $? "rc=$rc $(cat e.txt)"
"$TPROF" report --fail-if-grows 3 before.folded >/dev/null 2>e.txt
rc=$?
[ $rc -eq 2 ] && grep -q "go with 'tprof report --diff" e.txt
check "--fail-if-grows without --diff: usage error" $? "rc=$rc $(cat e.txt)"
"$TPROF" report before.folded after.folded >/dev/null 2>e.txt
rc=$?
[ $rc -eq 2 ] && grep -q "tprof report --diff BEFORE AFTER" e.txt
check "report with two files: points to --diff" $? "rc=$rc $(cat e.txt)"


# ----- the differential viewer in a terminal (tmux) -----
if ! command -v tmux >/dev/null 2>&1; then
    skip "the differential viewer in tmux" "tmux is not installed"
    exit 0
fi
tmux_start diff
# view ENV ARGS: tprof ARGS in a 100x30 window of 256 colours, ENV added
view() {
    $T kill-session -t v 2>/dev/null
    $T new-session -d -s v -x 100 -y 30 \
        "cd '$TMP' && env LC_ALL=C.UTF-8 TERM=screen-256color $1 '$TPROF' $2; echo EXIT=\$?; sleep 600"
}
icicle() { screen | sed -n '3,12p'; }
colours() { $T capture-pane -e -p -t v; }

view "" "diff before.folded after.folded"
wait_for "before.folded vs after.folded"
r=$?
icicle | grep -q "▏\*send" && ! icicle | grep -q "memmove.*▏\*" &&
    screen | grep -q "60.00 *20.00 *−40.00 *encode$"
check "diff viewer: the union tree, send marked as AFTER's only, the table by change" \
    $((r + $?)) "$(screen)"
# 256 colours: strong red (196) where parse grew, strong blue (33) where
# encode shrank, grey where memmove's 10 points are within the noise of
# 100 samples
c=$(colours)
echo "$c" | grep -q "48;5;196m[^▏]*▏parse" && echo "$c" | grep -q "48;5;33m[^▏]*▏encode" &&
    echo "$c" | grep -qE "(48;5;8|100)m▏memmove"
check "diff viewer: red grew, blue shrank, grey within noise" $? "$(echo "$c" | sed -n '4,7p' | cat -v)"
keys j j j
wait_for "parse  before 30.00%  after 60.00%  +30.00 pts  (self +30.00)"
check "diff viewer: the status line's before, after and signed change" $? "$(screen | tail -12 | head -2)"
keys l
wait_for "encode  before 60.00%  after 20.00%  −40.00 pts  (self −30.00)"
check "diff viewer: a frame that shrank" $? "$(screen | tail -12 | head -2)"
keys b
wait_for "[widths: BEFORE]"
r=$?
screen | grep -q "encode  before 60.00%  after 20.00%" && ! icicle | grep -q "send"
check "diff viewer: b, widths of BEFORE (send has none), the same figures" $((r + $?)) "$(screen)"
keys b Tab Tab 1
wait_for "[self%]"
r=$?
keys 4
wait_for "[Δtotal]"
screen | sed -n 4p | grep -q "encode$"
check "diff viewer: the top view sorts by self (1) and by change (4)" $((r + $?)) "$(screen | head -8)"
quit_view 0
check "diff viewer: q leaves with status 0" $? "$(screen | tail -3)"

# No colour: + and - marks on frames, signs in the table, no colour codes.
view "NO_COLOR=1" "diff before.folded after.folded"
wait_for "before.folded vs after.folded"
r=$?
icicle | grep -q "▏+parse" && icicle | grep -q "▏−encode" && icicle | grep -q "▏\*send" &&
    icicle | grep -q "▏memmove" && ! colours | grep -q "48;5" && screen | grep -q "+ grew"
check "diff viewer, NO_COLOR: + grew, − shrank, * one side only" $((r + $?)) "$(colours | head -12 | cat -v)"
quit_view 0
check "diff viewer, NO_COLOR: q" $? "$(screen | tail -3)"

# tprof view of a two-column file opens the comparison; so does view A B.
"$TPROF" diff before.folded after.folded -o two.folded
view "" "view two.folded"
wait_for "two.folded"
keys j j j
wait_for "parse  before 30.00%  after 60.00%  +30.00 pts"
check "view of a two-column (difffolded) file: a comparison" $? "$(screen)"
quit_view 0
view "" "view --absolute before.folded after.folded"
wait_for "before.folded vs after.folded"
keys j j j
wait_for "parse  before 30  after 60  +30  (self +30)"
check "view BEFORE AFTER --absolute: raw weights" $? "$(screen | tail -12 | head -2)"
quit_view 0

# Live against a baseline: the same program, matched frame by frame
# although the live frames know their modules and the saved ones do not.
"$TPROF" -q --duration 1 -o base.folded -- "$PROGS/hot" 1 >/dev/null 2>&1
view "" "--diff-base base.folded -o run.folded -- '$PROGS/hot' 3"
wait_for "exited 0" 100
r=$?
keys j
wait_for "hot  before 100.00%  after 100.00%"
r=$((r + $?))
# (the icicle's rows, not the table's: which rows the table shows depends on
# the kernel frames of the run, one side's only, sorted by their change)
icicle | grep -q "work" && ! icicle | grep -q "\*"
check "live --diff-base: the run against the baseline, every frame matched" $((r + $?)) "$(screen)"
quit_view 0
r=$?
grep -q "^hot;_start;.*;work;alpha;spin [0-9]*$" run.folded
check "live --diff-base: -o is the run's profile alone" $((r + $?)) "$(head -3 run.folded)"
"$TPROF" --diff-base missing.folded -o never.folded -- "$PROGS/hot" 1 >/dev/null 2>e.txt
rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <e.txt)" -eq 1 ] && grep -q "missing.folded" e.txt &&
    [ ! -e never.folded ]
check "--diff-base with a missing file: one line, exit 1, nothing run" $? "rc=$rc $(cat e.txt)"
"$TPROF" --diff-base base.folded -o headless.folded -- "$PROGS/hot" 1 >/dev/null 2>e.txt
rc=$?
[ $rc -eq 0 ] && grep -q "^tprof: --diff-base colours the live viewer.*report --diff base.folded" e.txt &&
    [ -s headless.folded ]
check "--diff-base headless: says so, records as asked" $? "rc=$rc $(cat e.txt)"

# ----- Python functions matched by function, not line -----
# One recording of split.py, and the same after an edit above every
# function: each Python frame of split.py one line further (the profile
# rewritten, so that sampling noise plays no part). Compared by function,
# nothing changed and the gate passes; by line (--diff-lines), every
# function vanished and came back.
if [ -x /usr/bin/python3.11 ]; then
    "$TPROF" -q -o pyb.folded -- /usr/bin/python3.11 "$ROOT/tests/e2e/py/split.py" 1 >/dev/null
    awk '{ out = ""; s = $0
           while (match(s, /split\.py:[0-9]+\)/)) {
               n = substr(s, RSTART + 9, RLENGTH - 10) + 1
               out = out substr(s, 1, RSTART - 1) "split.py:" n ")"; s = substr(s, RSTART + RLENGTH) }
           print out s }' pyb.folded >pya.folded
    "$TPROF" report --diff pyb.folded pya.folded --top 1000 >pyd.txt 2>pyd.err
    rc=$?
    moved=$(awk '$NF ~ /split\.py/ && $3 != "+0.00" && $3 != "-0.00"' pyd.txt | wc -l)
    lined=$(grep -c 'split\.py:[0-9]' pyd.txt)
    [ $rc -eq 0 ] && grep -q "Python functions matched by qualified name and file" pyd.txt &&
        grep -q ' a ([^ ]*split\.py)$' pyd.txt && [ "$moved" -eq 0 ] && [ "$lined" -eq 0 ] &&
        ! cmp -s pyb.folded pya.folded
    check "report --diff: an edit above every function changes nothing (Python frames by function)" $? \
        "rc=$rc moved=$moved lined=$lined $(head -12 pyd.txt)"
    "$TPROF" report --diff pyb.folded pya.folded --fail-if-grows 1 --focus '^(a|b|c|keyfn|work) ' \
        >/dev/null 2>gate.err
    rc=$?
    "$TPROF" report --diff --diff-lines pyb.folded pya.folded --fail-if-grows 1 \
        --focus '^(a|b|c|keyfn|work) ' >/dev/null 2>gatel.err
    rcl=$?
    [ $rc -eq 0 ] && [ $rcl -eq 3 ] && grep -q 'a ([^ ]*split\.py:[0-9]*) grew' gatel.err
    check "the gate after that edit: passes (exit 0); --diff-lines sees new functions (exit 3)" $? \
        "rc=$rc rcl=$rcl $(cat gate.err gatel.err | head -4)"
    "$TPROF" diff pyb.folded pya.folded -o two.folded 2>/dev/null
    "$TPROF" diff --diff-lines pyb.folded pya.folded -o twol.folded 2>/dev/null
    ! grep -q 'split\.py:[0-9]' two.folded && grep -q ';a ([^ ]*split\.py)[; ]' two.folded &&
        grep -q 'split\.py:[0-9]' twol.folded
    check "tprof diff -o: Python frames by function (--diff-lines: by line)" $? "$(head -3 two.folded)"
else
    skip "Python functions matched by function" "/usr/bin/python3.11 is missing"
fi

# A cProfile file and a sampled profile of the same code match function for
# function: pstats names code by co_name, the samples by qualified name
# (Frame.size, sort_by_size.<locals>.<lambda>), so the two meet on the name
# and file. The demo's functions are run long enough to be sampled.
PSTATS="$SHARED/conformance/pstats"
if [ -f "$PSTATS/codec_demo.prof" ] && [ -x /usr/bin/python3.11 ]; then
    cp "$PSTATS/codec_demo.py" .
    "$TPROF" -q -o demo.folded -- /usr/bin/python3.11 -c 'import codec_demo
for _ in range(60):
    codec_demo.main()
    codec_demo.sort_by_size([b"a" * (i % 300) for i in range(20000)])' >/dev/null
    "$TPROF" report --diff "$PSTATS/codec_demo.prof" demo.folded --top 1000 >demo.txt 2>/dev/null
    "$TPROF" report --diff --diff-lines "$PSTATS/codec_demo.prof" demo.folded --top 1000 \
        >demol.txt 2>/dev/null
    # each function of codec_demo.py once, by its last name
    dups() { awk 'NF > 2 && $NF ~ /codec_demo\.py/ { n = $(NF - 1); sub(/.*\./, "", n); c[n]++ }
                  END { for (k in c) if (c[k] > 1) d++; print d + 0 }' "$1"; }
    both() { awk -v f="$2" 'NF > 2 && $(NF - 1) == f && $NF ~ /^\(codec_demo\.py/ && $1 != "0.00%" && $2 != "0.00%"' "$1" | wc -l; }
    [ "$(dups demo.txt)" -eq 0 ] && [ "$(both demo.txt size)" -eq 1 ] &&
        [ "$(both demo.txt '<lambda>')" -eq 1 ] && [ "$(both demo.txt encode_binary)" -eq 1 ] &&
        [ "$(dups demol.txt)" -gt 0 ]
    check "a .prof and a sampled profile of the demo: every function once, on both sides (--diff-lines: apart)" $? \
        "dups=$(dups demo.txt) size=$(both demo.txt size) lambda=$(both demo.txt '<lambda>') lines-dups=$(dups demol.txt) $(grep 'codec_demo\.py' demo.txt | head -12)"
else
    skip "a .prof against a sampled profile" "../shared/conformance/pstats or /usr/bin/python3.11 is missing"
fi
