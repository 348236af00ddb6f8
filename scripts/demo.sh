#!/bin/sh
# make demo: the AMQP showcase's naive codec and transport under tprof, the
# tuned one, then the two compared.
# On a terminal: the live viewer on the naive run (drill in with the arrows
# and Enter, Tab for the other views, ? for the keys, q to go on), the tuned
# run recorded, then the differential viewer on both (red grew, blue
# shrank; b shows the naive widths; q quits).
# Otherwise: both recorded headless, the naive run's hottest functions and
# the comparison's top 10 rows.
cd "$(dirname "$0")/.." || exit 1
naive=${DEMO_OUTPUT:-demo-naive.folded}
tuned=${DEMO_TUNED_OUTPUT:-demo-tuned.folded}
if [ -t 0 ] && [ -t 1 ]; then
    echo "\$ ./tprof -o $naive -- build/amqp-bench --naive --seconds 10"
    ./tprof -o "$naive" -- build/amqp-bench --naive --seconds 10
    rc=$?
    [ $rc -eq 143 ] && rc=0 # q before the end: the benchmark was asked to stop
    [ $rc -eq 0 ] || exit $rc
    echo "\$ ./tprof -o $tuned -- build/amqp-bench --tuned --seconds 5   (headless)"
    ./tprof --no-tui -o "$tuned" -- build/amqp-bench --tuned --seconds 5 >/dev/null || exit 1
    echo "\$ ./tprof diff $naive $tuned"
    exec ./tprof diff "$naive" "$tuned"
fi
echo "\$ ./tprof -o $naive -- build/amqp-bench --naive --seconds 10   (no terminal: headless)"
./tprof -o "$naive" -- build/amqp-bench --naive --seconds 10 || exit 1
echo
echo "\$ ./tprof report --top 15 $naive"
./tprof report --top 15 --width 100 "$naive" || exit 1
echo
echo "\$ ./tprof -o $tuned -- build/amqp-bench --tuned --seconds 5"
./tprof -o "$tuned" -- build/amqp-bench --tuned --seconds 5 || exit 1
echo
echo "\$ ./tprof report --diff --top 10 $naive $tuned"
./tprof report --diff --top 10 "$naive" "$tuned" || exit 1
echo
echo "Explore them: ./tprof diff $naive $tuned   (or run 'make demo' on a terminal)"
