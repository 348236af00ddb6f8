#!/bin/sh
# Install the Debian packages tprof needs to build and test, if missing.
# As root it runs apt-get; otherwise it prints the exact command to run.
set -e
# build: compiler, libunwind, libelf and libdw (DWARF: CPython's structure
# offsets), libiberty (demangling), zlib, ncurses, uthash, jansson (speedscope JSON),
# libdebuginfod (debug files fetched by build id when DEBUGINFOD_URLS is set),
# protobuf-c and its compiler, with pprof's profile.proto from golang-github-google-pprof-dev
# tests: cmocka; libc6-dbg (libc's debug symbols); perf, the reference; tmux
# (TUI tests); python3 (stackstats.py); python3.11 (Debian's CPython, whose
# frames tprof must read: /usr/bin/python3.11) and python3.11-dbg (its
# debug file: the interpreter's internal functions by name); g++ (a C++ test program); binutils
# (strip, nm); nodejs (JIT frames via --perf-basic-prof); man-db (the man
# page renders); procps (pgrep, sysctl); clang and its sanitizer runtimes
# (make fuzz: libFuzzer; and the kernel program tprof reads Python stacks
# with, compiled for the BPF target), libbpf-dev (its loader) and bpftool
# (which links it and makes the skeleton that embeds it in tprof)
# With --tests (make check), the test oracles too: chromium (the SVG flame
# graph loaded headless), libxml2-utils (xmllint: the SVG is valid XML),
# golang-go (go tool pprof reads tprof's pprof files; a Go program's own
# CPU profile is read by tprof), debuginfod (a server on loopback serves
# a test library's debug file to libdebuginfod, the client tprof loads) and
# erlang-base (Erlang's JIT names its code in a perf map with +JPperf true).
PKGS="gcc make pkg-config libunwind-dev libelf-dev libdw-dev libiberty-dev zlib1g-dev \
libncurses-dev uthash-dev libjansson-dev libdebuginfod-dev \
libprotobuf-c-dev protobuf-c-compiler golang-github-google-pprof-dev libcmocka-dev libc6-dbg linux-perf tmux python3 python3.11 python3.11-dbg g++ binutils \
nodejs man-db procps clang libclang-rt-14-dev libbpf-dev bpftool"
[ "${1:-}" = "--tests" ] && PKGS="$PKGS chromium libxml2-utils golang-go debuginfod erlang-base"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "tprof: missing packages:$missing" >&2
    echo "tprof: run as root: apt-get update && apt-get install -y$missing" >&2
    exit 1
fi
echo "tprof: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq $missing >/dev/null
