# tprof — a plain GNU Makefile (redis style): objects in build/, -MMD deps.
#   make            build ./tprof
#   make check      install what is missing, build, run unit (ASan+UBSan) and e2e tests
#   make demo       install what is missing, build, record the bundled workload
#   make demo-python  the same with the pure-Python AMQP encoder
#   make bench      overhead against the unprofiled run and perf's pipeline; the viewer
#                   at scale; perf script import (FLAMEGRAPH_DIR=checkout for the script rows);
#                   Python frames read at the sample against after it and ptrace (root)
#   make format     clang-format every source file

CC      ?= cc
WERROR  ?= -Werror
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Wvla $(WERROR) -Iinclude -D_GNU_SOURCE -MMD -MP
LDLIBS  = -lunwind-x86_64 -lunwind -ldw -lbpf -lelf -liberty -ljansson -lprotobuf-c -lz -lncursesw -lm

BUILD   = build
# pprof's profile.proto as Debian ships it (golang-github-google-pprof-dev),
# compiled by protoc-c into build/gen: nothing generated is committed.
PROTO   = /usr/share/gocode/src/github.com/google/pprof/proto/profile.proto
GEN     = $(BUILD)/gen
CFLAGS  += -I$(GEN)
SRCS    = $(filter-out %.bpf.c,$(wildcard src/*/*.c))
OBJS    = $(SRCS:%.c=$(BUILD)/%.o) $(BUILD)/gen/profile.pb-c.o
MAIN    = $(BUILD)/src/main.o

ASAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ASAN_OBJS  = $(SRCS:%.c=$(BUILD)/asan/%.o) $(BUILD)/asan/gen/profile.pb-c.o
UNIT_SRCS  = $(wildcard tests/unit/test_*.c)
UNIT_BINS  = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit/%)

PROG_SRCS  = $(wildcard tests/e2e/progs/*.c tests/e2e/progs/*.cpp)
PROG_BINS  = $(patsubst tests/e2e/progs/%,$(BUILD)/progs/%,$(basename $(PROG_SRCS)))

AMQP_SRCS = $(wildcard examples/amqp-bench/*.c)
AMQP_FLAGS = -O2 -g -Wall -Wextra $(WERROR) -D_GNU_SOURCE

# Fuzzing (tests/fuzz): libFuzzer targets built with clang; make check
# replays their seed and regression corpora through the same targets built
# with gcc and ASan/UBSan (tests/fuzz/replay.c is their main).
FUZZ_SRCS    = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES   = $(basename $(notdir $(FUZZ_SRCS)))
FUZZ_BINS    = $(FUZZ_NAMES:%=$(BUILD)/fuzz/%)
REPLAY_BINS  = $(FUZZ_NAMES:%=$(BUILD)/fuzz-replay/%)
FUZZ_CC      = clang
FUZZ_CFLAGS  = -O1 -g -std=gnu11 -Wall -Iinclude -I$(GEN) -D_GNU_SOURCE -MMD -MP
FUZZ_SAN     = -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_OBJS    = $(SRCS:%.c=$(BUILD)/fuzzobj/%.o) $(BUILD)/fuzzobj/gen/profile.pb-c.o
FUZZ_SECONDS ?= 60
# (objects built only for pattern rules: kept, not rebuilt every run)
.SECONDARY: $(FUZZ_OBJS) $(ASAN_OBJS)

.PHONY: all deps deps-test check unit e2e e2e-asan progs demo demo-python bench format clean amqp-selftest fuzz fuzz-replay
all: tprof $(BUILD)/amqp-bench

# The showcase workload: built -O2 -g, not stripped.
$(BUILD)/amqp-bench: $(AMQP_SRCS) examples/amqp-bench/amqp.h
	@mkdir -p $(dir $@)
	$(CC) $(AMQP_FLAGS) -o $@ $(AMQP_SRCS) -lpthread
$(BUILD)/amqp-bench-asan: $(AMQP_SRCS) examples/amqp-bench/amqp.h
	@mkdir -p $(dir $@)
	$(CC) $(AMQP_FLAGS) $(ASAN_FLAGS) -o $@ $(AMQP_SRCS) -lpthread
amqp-selftest: $(BUILD)/amqp-bench-asan
	$(BUILD)/amqp-bench-asan --selftest

deps:
	@sh scripts/install-deps.sh
# the test oracles too (headless Chromium for SVG, xmllint)
deps-test:
	@sh scripts/install-deps.sh --tests

tprof: $(OBJS) $(MAIN)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# The same program under ASan and UBSan: make check runs the e2e suite with
# it as well as with ./tprof.
$(BUILD)/tprof-asan: $(ASAN_OBJS) $(BUILD)/asan/src/main.o
	$(CC) $(CFLAGS) $(ASAN_FLAGS) -o $@ $^ $(LDLIBS)

$(GEN)/profile.pb-c.c $(GEN)/profile.pb-c.h &: $(PROTO)
	@mkdir -p $(GEN)
	@test -f $(PROTO) || { echo "tprof: $(PROTO) is missing: make deps installs golang-github-google-pprof-dev" >&2; exit 1; }
	protoc-c --proto_path=$(dir $(PROTO)) --c_out=$(GEN) $(notdir $(PROTO))
# (generated code: built without -Wextra)
$(BUILD)/gen/%.o: $(GEN)/%.c
	$(CC) -O2 -g -I$(GEN) -c -o $@ $<
$(BUILD)/asan/gen/%.o: $(GEN)/%.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g $(ASAN_FLAGS) -I$(GEN) -c -o $@ $<
$(BUILD)/fuzzobj/gen/%.o: $(GEN)/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link -I$(GEN) -c -o $@ $<
# The kernel program (src/bpf/pyframes.bpf.c): compiled by clang for the
# BPF target, linked by bpftool (which drops its DWARF), and embedded in
# tprof as a skeleton header: nothing generated is committed, nothing is
# installed beside the binary.
BPF_CFLAGS = -O2 -g -Wall -Werror -target bpf -D__TARGET_ARCH_x86 -Iinclude \
	-I/usr/include/$(shell $(CC) -dumpmachine)
$(BUILD)/bpf/pyframes.bpf.o: src/bpf/pyframes.bpf.c include/tprof/pyframes.h
	@mkdir -p $(dir $@)
	clang $(BPF_CFLAGS) -c -o $@ $<
$(GEN)/pyframes.skel.h: $(BUILD)/bpf/pyframes.bpf.o
	@mkdir -p $(GEN)
	bpftool gen object $(BUILD)/bpf/pyframes.o $<
	bpftool gen skeleton $(BUILD)/bpf/pyframes.o name pyframes >$@.tmp && mv $@.tmp $@
$(BUILD)/src/bpf/pybpf.o $(BUILD)/asan/src/bpf/pybpf.o \
$(BUILD)/fuzzobj/src/bpf/pybpf.o: $(GEN)/pyframes.skel.h
# whatever includes the generated header waits for it
$(BUILD)/src/formats/pprof.o $(BUILD)/asan/src/formats/pprof.o \
$(BUILD)/fuzzobj/src/formats/pprof.o: $(GEN)/profile.pb-c.h

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(ASAN_FLAGS) -c -o $@ $<

$(BUILD)/unit/%: tests/unit/%.c $(ASAN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(ASAN_FLAGS) -o $@ $< $(ASAN_OBJS) $(LDLIBS) -lcmocka

# Test programs: -O2 without frame pointers, as real distribution code is.
PROG_CFLAGS = -O2 -g -fomit-frame-pointer -Wall -Wextra $(WERROR)
$(BUILD)/progs/%: tests/e2e/progs/%.c
	@mkdir -p $(dir $@)
	$(CC) $(PROG_CFLAGS) -o $@ $< -lpthread -ldl -lm
$(BUILD)/progs/%: tests/e2e/progs/%.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(PROG_CFLAGS) -o $@ $<
$(BUILD)/progs/libplugin.so: tests/e2e/progs/plugin/plugin.c
	@mkdir -p $(dir $@)
	$(CC) $(PROG_CFLAGS) -fPIC -shared -o $@ $<

# The same code with an unstripped copy (for the expected answer) and a stripped one.
$(BUILD)/progs/libstripped.so: tests/e2e/progs/plugin/stripped.c
	@mkdir -p $(dir $@)
	$(CC) $(PROG_CFLAGS) -fPIC -shared -o $(BUILD)/progs/libstripped.debug.so $<
	strip --strip-all -o $@ $(BUILD)/progs/libstripped.debug.so
$(BUILD)/progs/libnoperf.so: tests/e2e/progs/plugin/noperf_preload.c
	@mkdir -p $(dir $@)
	$(CC) $(PROG_CFLAGS) -fPIC -shared -o $@ $< -ldl
# hot.c again, with frame pointers, for -g fp.
$(BUILD)/progs/hot_fp: tests/e2e/progs/hot.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -fno-omit-frame-pointer -Wall -Wextra $(WERROR) -o $@ $<

progs: $(PROG_BINS) $(BUILD)/progs/libplugin.so $(BUILD)/progs/libstripped.so \
       $(BUILD)/progs/hot_fp $(BUILD)/progs/libnoperf.so

unit: $(UNIT_BINS)
	@sh tests/unit/run.sh $(UNIT_BINS)

$(BUILD)/fuzz-replay/%: tests/fuzz/%.c tests/fuzz/replay.c tests/fuzz/fuzz.h $(ASAN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(ASAN_FLAGS) -o $@ $< tests/fuzz/replay.c $(ASAN_OBJS) $(LDLIBS)

$(BUILD)/fuzzobj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c -o $@ $<

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(FUZZ_OBJS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(LDLIBS)

# Every seed and every input that once crashed, once each (fast).
fuzz-replay: $(REPLAY_BINS)
	@sh tests/fuzz/replay.sh $(BUILD)/fuzz-replay $(FUZZ_NAMES)

# FUZZ_SECONDS per target (default 60); new crashes go to build/fuzz/.
fuzz: deps
	@$(MAKE) --no-print-directory $(FUZZ_BINS)
	@sh tests/fuzz/run.sh $(BUILD)/fuzz $(FUZZ_SECONDS) $(FUZZ_NAMES)

e2e: tprof progs $(BUILD)/amqp-bench
	@sh tests/e2e/run.sh

# The e2e suite again with the sanitizer build of tprof.
e2e-asan: $(BUILD)/tprof-asan progs $(BUILD)/amqp-bench
	@TPROF_BIN=$(CURDIR)/$(BUILD)/tprof-asan TPROF_SANITIZED=1 \
		ASAN_OPTIONS=verify_asan_link_order=0 sh tests/e2e/run.sh

check: deps-test
	@$(MAKE) --no-print-directory tprof progs $(UNIT_BINS) $(BUILD)/amqp-bench \
		$(BUILD)/tprof-asan $(REPLAY_BINS)
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory fuzz-replay
	@$(MAKE) --no-print-directory amqp-selftest
	@$(MAKE) --no-print-directory e2e
	@$(MAKE) --no-print-directory e2e-asan

demo: deps
	@$(MAKE) --no-print-directory tprof $(BUILD)/amqp-bench
	@sh scripts/demo.sh

# The same story in Python: the pure-Python encoder (examples/amqp-python).
demo-python: deps
	@$(MAKE) --no-print-directory tprof
	@sh scripts/demo-python.sh

$(BUILD)/bench/workload: bench/workload.c
	@mkdir -p $(dir $@)
	$(CC) $(PROG_CFLAGS) -o $@ $<

$(BUILD)/bench/genfolded: bench/genfolded.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra $(WERROR) -o $@ $<
$(BUILD)/bench/viewbench: bench/viewbench.c $(OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(OBJS) $(LDLIBS)

$(BUILD)/bench/t0: bench/t0.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

$(BUILD)/bench/replay: bench/replay.c $(OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(OBJS) $(LDLIBS)

bench: deps
	@$(MAKE) --no-print-directory tprof $(BUILD)/bench/workload $(BUILD)/bench/genfolded \
		$(BUILD)/bench/viewbench $(BUILD)/bench/replay $(BUILD)/bench/t0 $(BUILD)/amqp-bench $(BUILD)/progs/manythreads $(BUILD)/progs/jitmap
	@sh bench/cost.sh
	@sh bench/run.sh
	@sh bench/view.sh
	@sh bench/formats.sh
	@sh bench/pyread.sh

format:
	clang-format -i $(SRCS) src/main.c include/tprof/*.h tests/unit/*.c tests/e2e/progs/*.c*

clean:
	rm -rf $(BUILD) tprof

-include $(OBJS:.o=.d) $(MAIN:.o=.d) $(ASAN_OBJS:.o=.d) $(BUILD)/asan/src/main.d $(FUZZ_OBJS:.o=.d)
