# tprof report: the viewer's renderings as text, and the folded reader on
# real files (FlameGraph's own collapsed outputs, from ../shared).
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
export LC_ALL=C # ASCII drawing, for exact comparisons (UTF-8 is checked once below)

cp "$ROOT/tests/e2e/fixtures/small.folded" p.folded

"$TPROF" report --width 80 p.folded >out.txt 2>err.txt
rc=$?
[ $rc -eq 0 ] && [ ! -s err.txt ] && head -1 out.txt | grep -q "^p.folded: 100 samples, 5 stacks, 7 functions$"
check "report: one header line with samples, stacks, functions" $? "rc=$rc $(head -2 out.txt) $(cat err.txt)"
grep -q "^|parse                                  |eval                               |in~$" out.txt
check "report: the icicle, as the viewer draws it" $? "$(sed -n 3,10p out.txt)"
grep -q "^ 40.00%    40.00%          40         40       lex$" out.txt
check "report: the top table by self" $? "$(tail -6 out.txt)"
! grep -q "$(printf '\033')" out.txt
check "report: no escape codes when not on a terminal" $? "escape codes found"
awk 'length($0) > 80 { bad = 1 } END { exit bad }' out.txt
check "report --width 80: no line longer than 80" $? "$(awk 'length($0) > 80' out.txt | head -2)"

LC_ALL=C.UTF-8 "$TPROF" report --icicle --width 80 p.folded | grep -q "^▏parse .*▏in…$"
check "report in a UTF-8 locale: box-drawing borders and an ellipsis" $? "no UTF-8 drawing"
"$TPROF" report --top 2 p.folded >top.txt
[ "$(grep -c '%' top.txt)" -eq 3 ] && tail -1 top.txt | grep -q "lookup$"
check "report --top 2: two rows" $? "$(cat top.txt)"
"$TPROF" report --tree --min-percent 10 p.folded >tree.txt
grep -q "^  40.00%   40.00%                 lex$" tree.txt && ! grep -q "init" tree.txt
check "report --tree --min-percent 10: the indented tree without small frames" $? "$(cat tree.txt)"
"$TPROF" report --focus '^lookup$' --top 5 p.folded >f.txt
head -1 f.txt | grep -qF "30 samples, 5 stacks, 4 functions; focus ^lookup$" && ! grep -q "lex" f.txt
check "report --focus: only stacks through the function" $? "$(cat f.txt)"
"$TPROF" report --hide '^(parse|eval)$' --tree p.folded >h.txt
! sed 1d h.txt | grep -q "parse" && grep -q "^ 100.00%   25.00%           - main$" h.txt
check "report --hide: hidden frames' time goes to the caller" $? "$(cat h.txt)"
"$TPROF" report --invert --icicle --width 40 p.folded >i.txt
sed -n 4p i.txt | grep -q "^|lex  *|lookup  *|eval"
check "report --invert: leaf functions become the roots" $? "$(cat i.txt)"

# Piped, names are never cut; kinds have their own column; --width cuts.
long=$(printf 'v8::internal::StringTable::LookupKey<v8::internal::SeqSubStringKey<v8::internal::SeqOneByteString>, v8::internal::Isolate>%0200d' 0)
printf 'node;main;%s 30\nnode;main;tcp_sendmsg_locked_[k] 20\nnode;main;JS:*fib_[j] 10\nnode;main;helper_[i] 5\nnode;main;fib (a.py:3) 35\n' "$long" >kinds.folded
"$TPROF" report kinds.folded >k.txt
grep -qF -- "  30.00%" k.txt && grep -F -- "$long" k.txt | grep -q "^ 30.00%    30.00%          30         30       v8::" &&
    grep -q "^ 20.00%    20.00%          20         20  \[k\]  tcp_sendmsg_locked$" k.txt &&
    grep -q "  \[j\]  JS:\*fib$" k.txt && grep -q "  \[i\]  helper$" k.txt &&
    grep -q "  \[py\] fib (a.py:3)$" k.txt
check "report to a pipe: a ${#long}-character name whole, [k] [j] [i] in the kind column" $? "$(cut -c1-120 k.txt)"
"$TPROF" report --tree kinds.folded >kt.txt
grep -qF -- "$long" kt.txt && grep -q "^  20.00%   20.00%  \[k\]          tcp_sendmsg_locked$" kt.txt
check "report --tree to a pipe: whole names, kinds in their column" $? "$(cut -c1-120 kt.txt)"
"$TPROF" report --top 5 --width 100 kinds.folded >kw.txt
! grep -qF -- "$long" kw.txt && awk 'length($0) > 100 { bad = 1 } END { exit bad }' kw.txt
check "report --width 100: cuts names to the width asked" $? "$(cat kw.txt)"

# By module: a recording keeps modules (pprof); a folded file has none.
"$TPROF" -q -o hot.pb.gz -- "$PROGS/hot" 1 >/dev/null 2>&1
"$TPROF" report --by module --top 5 hot.pb.gz >bm.txt 2>bm.err
head -1 bm.txt | grep -q "modules$" && grep -q "%  *[0-9]*  *[0-9]*       hot$" bm.txt &&
    grep -q "       libc.so.6$" bm.txt && ! grep -q "spin$" bm.txt
check "report --by module: the program and its libraries as rows" $? "$(cat bm.txt bm.err)"
"$TPROF" report --by module p.folded >/dev/null 2>bm.err
rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <bm.err)" -eq 1 ] && grep -q "names no modules" bm.err
check "report --by module on a folded file: one line, exit 1" $? "rc=$rc $(cat bm.err)"

# Tolerant reading, counted on stderr.
printf 'a;b 3\r\na;c\t2\n\nbroken line\na;d 1.5\n' >odd.folded
"$TPROF" report --top 5 odd.folded >o.txt 2>err.txt
rc=$?
[ $rc -eq 0 ] && grep -q "ignored 1 malformed and 1 blank lines" err.txt && head -1 o.txt | grep -q "6.5 samples\|^odd.folded: 6 samples\|6 samples"
check "CRLF, tabs and fractions accepted; bad lines counted in one line" $? "rc=$rc $(cat err.txt) $(head -1 o.txt)"

# Errors: one line each, non-zero.
"$TPROF" report nothere.folded >/dev/null 2>err.txt; rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <err.txt)" -eq 1 ]
check "missing file: one line, exit 1" $? "rc=$rc $(cat err.txt)"
printf '\n\n' | "$TPROF" report - >/dev/null 2>err.txt; rc=$?
[ $rc -eq 1 ] && grep -q "no stacks in 'standard input'" err.txt
check "no valid line (stdin): an error, not an empty profile" $? "rc=$rc $(cat err.txt)"
"$TPROF" report --hide 'a(' p.folded >/dev/null 2>err.txt; rc=$?
[ $rc -eq 2 ] && grep -q "bad regular expression" err.txt
check "bad regex: exit 2 with the reason" $? "rc=$rc $(cat err.txt)"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
    # (a copy of tprof in a directory nobody may use: the checkout may be
    # under a 0700 /root)
    mkdir -m 777 nb && cp "$TPROF" nb/tprof && chmod 755 nb/tprof
    cp p.folded nb/secret.folded && chmod 600 nb/secret.folded
    (cd nb && setpriv --reuid=65534 --regid=65534 --clear-groups ./tprof report secret.folded >/dev/null 2>../err.txt)
    rc=$?
    [ $rc -eq 1 ] && grep -q "cannot open 'secret.folded': Permission denied" err.txt
    check "unreadable file: one line, exit 1" $? "rc=$rc $(cat err.txt)"
else
    skip "unreadable file" "needs root and setpriv"
fi

# Round trip: a real recording reads back to the same samples.
"$TPROF" -q -o rec.folded -- "$PROGS/hot" 0.5 >/dev/null
n=$(awk '{s += $NF} END {print s}' rec.folded)
"$TPROF" report --top 1 rec.folded | head -1 | grep -q ": $n samples"
check "a recording reads back with all its $n samples" $? "$(head -1 rec.folded)"

# The FlameGraph corpus: stackcollapse-perf.pl's outputs are folded files.
CORPUS="$SHARED/conformance/flamegraph/results"
if [ -d "$CORPUS" ]; then
    bad=""
    nfiles=0
    for f in "$CORPUS"/*.txt; do
        nfiles=$((nfiles + 1))
        want=$(awk '{s += $NF} END {printf "%.0f", s}' "$f")
        got=$("$TPROF" report --top 1 "$f" 2>"$TMP/c.err" | head -1 | sed -n 's/.*: \([0-9.]*\) samples.*/\1/p')
        if [ "$got" != "$want" ] || [ -s "$TMP/c.err" ]; then
            bad="$bad $(basename "$f")($got/$want $(cat "$TMP/c.err"))"
        fi
    done
    [ -z "$bad" ] && [ $nfiles -gt 50 ]
    check "FlameGraph corpus: all $nfiles collapsed files read, no line skipped, totals exact" $? "$bad"
else
    skip "FlameGraph corpus" "../shared/conformance is not present"
fi
