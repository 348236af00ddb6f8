#!/bin/sh
# make demo: profile the AMQP showcase's naive codec and transport.
# On a terminal: tprof's live viewer (drill in with the arrows and Enter,
# Tab for the other views, ? for the keys, q to quit). Otherwise: record it
# and print the hottest functions.
cd "$(dirname "$0")/.." || exit 1
if [ -t 0 ] && [ -t 1 ]; then
    echo "\$ ./tprof -- build/amqp-bench --naive --seconds 10"
    ./tprof -- build/amqp-bench --naive --seconds 10
    rc=$?
    [ $rc -eq 143 ] && rc=0 # q before the end: the benchmark was asked to stop
    exit $rc
fi
out=${DEMO_OUTPUT:-demo.folded}
echo "\$ ./tprof -o $out -- build/amqp-bench --naive --seconds 10   (no terminal: headless)"
./tprof -o "$out" -- build/amqp-bench --naive --seconds 10 || exit 1
echo
echo "\$ ./tprof report --top 15 $out"
./tprof report --top 15 --width 100 "$out"
echo
echo "Explore it: ./tprof view $out   (or run 'make demo' on a terminal for the live view)"
