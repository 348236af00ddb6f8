#!/bin/sh
# make demo-python: profile the pure-Python AMQP encoder, naive version
# (bytes +=), with Debian's python3.11. On a terminal: the live viewer;
# otherwise record it and print the hottest functions.
cd "$(dirname "$0")/.." || exit 1
PY=${PYTHON:-/usr/bin/python3.11}
if [ ! -x "$PY" ]; then
    echo "demo-python: $PY is missing (apt-get install python3.11, or PYTHON=/path/to/python3.1X)" >&2
    exit 1
fi
CMD="$PY examples/amqp-python/amqp_bench.py naive 20"
if [ -t 0 ] && [ -t 1 ]; then
    echo "\$ ./tprof -- $CMD"
    # shellcheck disable=SC2086
    ./tprof -- $CMD
    rc=$?
    [ $rc -eq 143 ] && rc=0 # q before the end: the benchmark was asked to stop
    exit $rc
fi
out=${DEMO_OUTPUT:-demo-python.folded}
CMD="$PY examples/amqp-python/amqp_bench.py naive 5"
echo "\$ ./tprof -o $out -- $CMD   (no terminal: headless)"
# shellcheck disable=SC2086
./tprof -o "$out" -- $CMD || exit 1
echo
echo "\$ ./tprof report --top 12 $out"
./tprof report --top 12 --width 110 "$out"
echo
echo "Explore it: ./tprof view $out   (or run 'make demo-python' on a terminal for the live view)"
