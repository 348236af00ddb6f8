#!/bin/sh
# make bench (viewer part): generate a ~250 MB folded profile with 300,000
# unique stacks up to 50 frames deep, then measure load + first screen,
# keypress redraws, search and transforms (bench/viewbench.c, the viewer's own
# code on an off-screen canvas), and `tprof report` on the same file.
cd "$(dirname "$0")/.." || exit 1
F=build/bench/big.folded
[ -s "$F" ] || build/bench/genfolded "$F" 300000 || exit 1
size=$(stat -c %s "$F")
echo
echo "viewer on $F ($(echo "$size" | awk '{printf "%.0f MB", $1 / 1e6}'))"
cat "$F" >/dev/null # in the page cache, as a file just written or copied is
# three loads (the spread is part of the answer), then the full session
for i in 1 2; do
    build/bench/viewbench "$F" 200 50 | head -1 | sed "s/^  /  (run $i) /" || exit 1
done
build/bench/viewbench "$F" 200 50 | sed "1s/^  /  (run 3) /" || exit 1
t0=$(date +%s.%N)
./tprof report --top 10 --width 160 "$F" >/dev/null || exit 1
t1=$(date +%s.%N)
echo "$t0 $t1" | awk '{printf "  tprof report --top 10: %.2f s\n", $2 - $1}'
echo "  targets: first screen < 1 s, RSS < 1.5x the file ($(echo "$size" | awk '{printf "%.0f MB", 1.5 * $1 / 1048576}')), keypress redraw < 5 ms, report < 1 s"
