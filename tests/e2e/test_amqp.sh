# The AMQP showcase: the benchmark works, its self-test passes, and tprof's
# profiles tell its story (naive hotspots present, gone when tuned).
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
B="$ROOT/build/amqp-bench"

"$B" --selftest >out.txt 2>&1
check "amqp-bench --selftest" $? "$(tail -3 out.txt)"
"$B" --tuned --phase transport --tcp --messages 20000 >out.txt 2>&1
grep -q "^transport(tcp) tuned *20000 msgs" out.txt
check "transport over loopback TCP with link credit (20000 messages)" $? "$(cat out.txt)"
"$B" --naive --messages 3000 >out.txt 2>&1
[ "$(grep -c ' msg/s .* MB/s .* ns/msg$' out.txt)" -eq 2 ]
check "each phase prints msg/s, MB/s and ns/msg" $? "$(cat out.txt)"
"$B" --compare --messages 2000 >out.txt 2>&1
grep -q "^codec     naive" out.txt && grep -q "^codec     tuned" out.txt && grep -qE "^codec: tuned is [0-9.]+x naive" out.txt
check "--compare prints both codec variants and the ratio" $? "$(cat out.txt)"
"$B" --phase nope >/dev/null 2>&1
[ $? -eq 2 ]
check "bad arguments: exit 2" $? ""

# share RE FILE: percent of samples whose stack matches RE
share() { awk -v re="$1" '{t+=$NF} $0 ~ re {s+=$NF} END {printf "%d", t ? 100*s/t : 0}' "$2"; }

"$TPROF" -q -o naive-codec.folded -- "$B" --naive --phase codec --seconds 1.5 >/dev/null
c=$(share ';(naive_encode_transfer|naive_decode_frame);' naive-codec.folded)
g=$(share ';buf_grow_by_exact' naive-codec.folded)
[ "$c" -ge 80 ] && [ "$g" -ge 10 ]
check "naive codec: codec functions dominate (${c}%), buf_grow_by_exact visible (${g}%)" $? "c=$c g=$g"

"$TPROF" -q -o naive-transport.folded -- "$B" --naive --phase transport --seconds 1.5 >/dev/null
r=$(share ';receive_naive;sock_read_exact;' naive-transport.folded)
s=$(share ';sender;' naive-transport.folded)
[ "$r" -ge 1 ] && [ "$s" -ge 10 ]
check "naive transport: sender thread (${s}%) and sock_read_exact on the receiver (${r}%)" $? "r=$r s=$s"

"$TPROF" -q -o tuned.folded -- "$B" --tuned --seconds 2 >/dev/null
t=$(share ';tuned_encode_transfer' tuned.folded)
f=$(share ';frame_scan_batch' tuned.folded)
! grep -qE ';(buf_grow_by_exact|value_box|decode_binary_copy|receive_naive|naive_)' tuned.folded &&
    [ "$t" -ge 10 ] && [ "$f" -ge 5 ]
check "tuned: the naive hotspots are gone (tuned_encode_transfer ${t}%, frame_scan_batch ${f}%)" $? \
    "$(grep -oE ';(buf_grow_by_exact|value_box|decode_binary_copy|receive_naive|naive_[a-z_]*)' tuned.folded | sort | uniq -c)"

bad=""
for p in "$ROOT"/sample-profiles/*.folded; do
    "$TPROF" report --top 5 "$p" >r.txt 2>err.txt && [ ! -s err.txt ] && grep -q " samples, " r.txt || bad="$bad $(basename "$p")"
done
n=$(ls "$ROOT"/sample-profiles/*.folded | wc -l)
[ -z "$bad" ] && [ "$n" -ge 6 ]
check "sample-profiles: all $n open in tprof report with no skipped line" $? "$bad"
grep -q ";buf_grow_by_exact" "$ROOT/sample-profiles/amqp-naive-codec.folded" &&
    ! grep -q ";buf_grow_by_exact" "$ROOT/sample-profiles/amqp-tuned-codec.folded"
check "sample-profiles: the naive codec shows buf_grow_by_exact, the tuned one does not" $? ""
