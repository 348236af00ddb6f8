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
"$TPROF" diff before.folded after.folded >/dev/null 2>e.txt
rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <e.txt)" -eq 1 ] && grep -q "diff needs -o OUT" e.txt
check "diff without -o: says what works (exit 2)" $? "rc=$rc $(cat e.txt)"
"$TPROF" diff before.folded after.folded -o out.svg >/dev/null 2>e.txt
rc=$?
[ $rc -eq 2 ] && [ ! -e out.svg ] && grep -q "differential SVG is not written yet" e.txt
check "diff -o x.svg: refused with a reason" $? "rc=$rc $(cat e.txt)"
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

