# Inlined functions and source lines (DWARF, libdw) on a program whose
# inlining is known: progs/inlined.c runs work > scale > mix, with scale and
# mix inlined, and main > checksum, with checksum inlined. Checked against
# perf script's own inlined frames on the same run.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1

SRC="$ROOT/tests/e2e/progs/inlined.c"
line() { grep -n "/\* $1 \*/" "$SRC" | cut -d: -f1; }
L_MIX=$(line L_MIX) L_SCALE=$(line L_SCALE) L_WORK=$(line L_WORK)
L_CALLWORK=$(line L_CALLWORK) L_CHECKSUM=$(line L_CHECKSUM) L_MAIN=$(line L_MAIN)

# share ERE FILE: percent of the program's samples (root "inlined") on
# lines matching ERE (passed through the environment: awk -v would eat
# its backslashes)
share() {
    RE="$1" awk '/^inlined;/ {t+=$NF; if ($0 ~ ENVIRON["RE"]) s+=$NF}
                 END {printf "%d", t ? 100*s/t : 0}' "$2"
}
CHAIN='^inlined;_start;__libc_start_main;__libc_start_call_main;main;work;scale_\[i\];mix_\[i\]( |;)'

"$TPROF" -q -o inl.folded -- "$PROGS/inlined" 1.5 >/dev/null
m=$(share "$CHAIN" inl.folded)
c=$(share ';main;checksum_\[i\]( |;)' inl.folded)
[ "$m" -ge 40 ] && [ "$c" -ge 5 ]
check "inlined functions: main;work;scale_[i];mix_[i] ($m%), main;checksum_[i] ($c%)" $? \
    "m=$m c=$c: $(sort -t' ' -k2 -nr inl.folded | head -2)"

"$TPROF" -q --no-inline -o noinl.folded -- "$PROGS/inlined" 1 >/dev/null
n=$(share ';main;work( |;)' noinl.folded)
! grep -q '_\[i\]' noinl.folded && [ "$n" -ge 40 ]
check "--no-inline: no _[i] frame, mix's samples in work ($n%)" $? "n=$n: $(grep -m1 '_\[i\]' noinl.folded)"

"$TPROF" -q --lines -o lines.folded -- "$PROGS/inlined" 1 >/dev/null
m=$(share ";main \(inlined\.c:$L_CALLWORK\);work \(inlined\.c:$L_WORK\);scale \(inlined\.c:$L_SCALE\)_\[i\];mix \(inlined\.c:$L_MIX\)_\[i\]( |;)" lines.folded)
c=$(share ";main \(inlined\.c:$L_MAIN\);checksum \(inlined\.c:$L_CHECKSUM\)_\[i\]( |;)" lines.folded)
[ "$m" -ge 40 ] && [ "$c" -ge 5 ]
check "--lines: work (inlined.c:$L_WORK);scale (inlined.c:$L_SCALE)_[i];mix (inlined.c:$L_MIX)_[i] ($m%), checksum's line ($c%)" $? \
    "m=$m c=$c: $(sort -t' ' -k2 -nr lines.folded | head -2)"

"$TPROF" -q --lines --no-inline -o lines1.folded -- "$PROGS/inlined" 1 >/dev/null
m=$(share ";main \(inlined\.c:$L_CALLWORK\);work \(inlined\.c:$L_WORK\)( |;)" lines1.folded)
! grep -q '_\[i\]' lines1.folded && [ "$m" -ge 40 ]
check "--lines --no-inline: work at the line of its inlined call (inlined.c:$L_WORK, $m%)" $? \
    "m=$m: $(sort -t' ' -k2 -nr lines1.folded | head -2)"

# clang writes no .debug_aranges by default: the unit of an address comes
# from the units' own ranges then. (clang vectorizes work's loop: nearly
# all the time is checksum's, so the two chains are counted together.)
if command -v clang >/dev/null 2>&1 && clang -O2 -g -o inlined-clang "$SRC" 2>clang.err; then
    "$TPROF" -q -o clang.folded -- ./inlined-clang 1 >/dev/null
    m=$(RE=';main;(work;scale_\[i\];mix_\[i\]|checksum_\[i\])( |;)' awk '{t+=$NF; if ($0 ~ ENVIRON["RE"]) s+=$NF}
        END {printf "%d", t ? 100*s/t : 0}' clang.folded)
    [ "$m" -ge 90 ]
    check "clang -O2 -g (no .debug_aranges): main;checksum_[i] and main;work;scale_[i];mix_[i] ($m%)" $? \
        "m=$m: $(sort -t' ' -k2 -nr clang.folded | head -2)"
else
    skip "inlined functions in a clang build" "clang is not installed (make deps-test installs it)"
fi

# Kinds survive the formats that carry them.
for f in pb.gz json; do
    "$TPROF" convert -o "inl.$f" inl.folded 2>/dev/null &&
        "$TPROF" convert -o "back-$f.folded" "inl.$f" 2>/dev/null
    m=$(share "$CHAIN" "back-$f.folded")
    [ "$m" -ge 40 ]
    check "inlined frames kept through .$f ($m%)" $? "m=$m"
done

# perf on the same run (tprof launches perf record, which launches the
# program): the share of samples in mix inlined in scale inlined in work.
if ! perf record -q -o probe.data -- true >/dev/null 2>&1; then
    skip "inlined frames vs perf" "perf record does not work here"
    exit 0
fi
"$TPROF" -q -F 2999 -o vs.folded -- perf record -q -F 2713 --call-graph=dwarf -o vs.data \
    -- "$PROGS/inlined" 2 >/dev/null 2>vs.err
perf script -i vs.data >vs.perf.txt 2>/dev/null
if ! grep -q ' (inlined)$' vs.perf.txt; then
    skip "inlined frames vs perf" "this perf script shows no inlined frames"
    exit 0
fi
p=$(awk 'BEGIN {RS = ""} /^inlined / { t++
        if ($0 ~ /mix\+0x[0-9a-f]+ \(inlined\)\n[^\n]*scale\+0x[0-9a-f]+ \(inlined\)\n[^\n]*work\+0x[0-9a-f]+ \(/) m++ }
        END { printf "%.1f", t ? 100*m/t : 0 }' vs.perf.txt)
pc=$(awk 'BEGIN {RS = ""} /^inlined / { t++
        if ($0 ~ /checksum\+0x[0-9a-f]+ \(inlined\)\n[^\n]*main\+0x[0-9a-f]+ \(/) m++ }
        END { printf "%.1f", t ? 100*m/t : 0 }' vs.perf.txt)
t=$(RE="$CHAIN" awk '/^inlined;/ {t+=$NF; if ($0 ~ ENVIRON["RE"]) s+=$NF}
        END {printf "%.1f", t ? 100*s/t : 0}' vs.folded)
tc=$(RE=';main;checksum_\[i\]( |;)' awk '/^inlined;/ {t+=$NF; if ($0 ~ ENVIRON["RE"]) s+=$NF}
        END {printf "%.1f", t ? 100*s/t : 0}' vs.folded)
near() { awk -v v="$1" -v w="$2" 'BEGIN { d = v - w; if (d < 0) d = -d; exit !(d <= 5 && w > 0) }'; }
near "$t" "$p" && near "$tc" "$pc"
check "inlined frames within 5 points of perf script's: mix in scale in work $t% vs $p%, checksum in main $tc% vs $pc%" $? \
    "tprof $t/$tc perf $p/$pc"
