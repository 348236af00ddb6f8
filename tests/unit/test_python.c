/* The Python reader's pure parts (line tables against CPython's own
 * co_lines(), file names, the splice plan, 3.13's debug offsets) and its
 * reading, on a fake 3.11 interpreter built in this process's memory and
 * read back through process_vm_readv as tprof reads a real one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/python/internal.h"
#include "tprof/cache.h"
#include "tprof/perf.h"
#include "tprof/folded.h"
#include "tprof/python.h"
#include "tprof/unwind.h"
#include "tprof/xalloc.h"

/* co_linetable and co_lines() of this function, from CPython itself:
 *
 * def sample(n):
 *     total = 0
 *     for i in range(n):
 *         if i % 3 == 0:
 *             total += i
 *         else:
 *             total -= 1
 *     try:
 *         x = 1 / n
 *     except ZeroDivisionError:
 *         x = 0
 *     return total + x
 *
 * (python3.11 and python3.10, one line per code unit, -1: no line) */
static const uint8_t lt311[] = {
    0x80, 0x00, 0xd8, 0x0c, 0x0d, 0x80, 0x45, 0xdd, 0x0d, 0x12, 0x90, 0x31, 0x89, 0x58, 0x8c,
    0x58, 0xf0, 0x00, 0x04, 0x05, 0x17, 0xf0, 0x00, 0x04, 0x05, 0x17, 0x88, 0x01, 0xd8, 0x0b,
    0x0c, 0x88, 0x71, 0x89, 0x35, 0x90, 0x41, 0x8a, 0x3a, 0x88, 0x3a, 0xd8, 0x0c, 0x11, 0x90,
    0x51, 0x89, 0x4a, 0x88, 0x45, 0x88, 0x45, 0xe0, 0x0c, 0x11, 0x90, 0x51, 0x89, 0x4a, 0x88,
    0x45, 0x88, 0x45, 0xf0, 0x02, 0x03, 0x05, 0x0e, 0xd8, 0x0c, 0x0d, 0x90, 0x01, 0x89, 0x45,
    0x88, 0x01, 0x88, 0x01, 0xf8, 0xdd, 0x0b, 0x1c, 0xf0, 0x00, 0x01, 0x05, 0x0e, 0xf0, 0x00,
    0x01, 0x05, 0x0e, 0xf0, 0x00, 0x01, 0x05, 0x0e, 0xd8, 0x0c, 0x0d, 0x88, 0x01, 0x88, 0x01,
    0x88, 0x01, 0xf0, 0x03, 0x01, 0x05, 0x0e, 0xf8, 0xf8, 0xf8, 0xe0, 0x0b, 0x10, 0x90, 0x31,
    0x89, 0x39, 0xd0, 0x04, 0x14};
static const int lines311[] = {
    2,  3,  3,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  5,  5,  5,  5,
    5,  5,  5,  5,  5,  6,  6,  6,  6,  6,  6,  8,  8,  8,  8,  8,  8,  9,  10, 10, 10, 10, 10, 10,
    -1, 11, 11, 11, 11, 11, 11, 11, 11, 11, 12, 12, 12, 12, 11, -1, -1, -1, 13, 13, 13, 13, 13};
static const uint8_t lt310[] = {0x04, 0x01, 0x0c, 0x01, 0x0c, 0x01, 0x0a, 0x01,
                                0x0a, 0x02, 0x02, 0x01, 0x0a, 0x01, 0x08, 0x03,
                                0x0c, 0xfe, 0x06, 0x01, 0x08, 0x01, 0x02, 0xfe};
static const int lines310[] = {3,  3,  4,  4,  4,  4,  4,  4,  5,  5,  5,  5,  5,  5,  6,  6,
                               6,  6,  6,  8,  8,  8,  8,  8,  9,  10, 10, 10, 10, 10, 13, 13,
                               13, 13, 11, 11, 11, 11, 11, 11, 12, 12, 12, 13, 13, 13, 13, 11};

static void test_line_table_311(void **state)
{
    (void)state;
    for (size_t u = 0; u < sizeof(lines311) / sizeof(lines311[0]); u++)
        assert_int_equal(python_line_311(lt311, sizeof(lt311), 2, (int)u), lines311[u]);
    assert_int_equal(python_line_311(lt311, sizeof(lt311), 2, -1), 2); /* not started */
    /* past the end, a byte without its entry bit, a varint cut short */
    assert_int_equal(python_line_311(lt311, sizeof(lt311), 2, 10000), -2);
    const uint8_t bad[] = {0x05};
    assert_int_equal(python_line_311(bad, 1, 2, 0), -2);
    const uint8_t cut[] = {0xe8, 0x41};
    assert_int_equal(python_line_311(cut, sizeof(cut), 2, 0), -2);
    const uint8_t longer[] = {0xe8, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x01};
    assert_int_equal(python_line_311(longer, sizeof(longer), 2, 0), -2);
}

static void test_line_table_310(void **state)
{
    (void)state;
    for (size_t u = 0; u < sizeof(lines310) / sizeof(lines310[0]); u++)
        assert_int_equal(python_line_310(lt310, sizeof(lt310), 2, (int)(2 * u)), lines310[u]);
    assert_int_equal(python_line_310(lt310, sizeof(lt310), 2, -1), 2);
    assert_int_equal(python_line_310(lt310, sizeof(lt310), 2, 10000), -2);
    const uint8_t none[] = {0x04, 0x80};
    assert_int_equal(python_line_310(none, sizeof(none), 2, 0), -1);
}

static void test_short_file(void **state)
{
    (void)state;
    assert_string_equal(python_short_file("/usr/lib/python3.11/threading.py", "/home/u/proj"), "threading.py");
    assert_string_equal(python_short_file("/root/.pyenv/versions/3.12.1/lib/python3.12/json/decoder.py", "/home/u/proj"),
                        "json/decoder.py");
    assert_string_equal(
        python_short_file("/venv/lib/python3.11/site-packages/amqp/codec.py", "/home/u/proj"), "amqp/codec.py");
    assert_string_equal(python_short_file("/usr/lib/python3/dist-packages/yaml/x.py", "/home/u/proj"), "yaml/x.py");
    assert_string_equal(python_short_file("/a/site-packages/b/site-packages/c.py", "/home/u/proj"), "c.py");
    assert_string_equal(python_short_file("codec.py", "/home/u/proj"), "codec.py");
    assert_string_equal(python_short_file("<frozen importlib._bootstrap>", "/home/u/proj"),
                        "<frozen importlib._bootstrap>");
    assert_string_equal(python_short_file("/x/lib/python/y.py", "/home/u/proj"), "/x/lib/python/y.py");
    assert_string_equal(python_short_file("site-packages/", "/home/u/proj"), "site-packages/");
    assert_string_equal(python_short_file("/home/u/proj/amqp/codec.py", "/home/u/proj"),
                        "amqp/codec.py");
    assert_string_equal(python_short_file("/home/u/project/x.py", "/home/u/proj"),
                        "/home/u/project/x.py");
    assert_string_equal(python_short_file("/home/u/proj/venv/lib/python3.11/site-packages/a.py",
                                          "/home/u/proj"),
                        "a.py");
    assert_string_equal(python_short_file("/x.py", "/"), "/x.py");
    assert_string_equal(python_short_file("/x.py", NULL), "/x.py");
}

static void test_is_python_name(void **state)
{
    (void)state;
    const char *yes[] = {"encode_binary (codec.py:3)", "Frame.encode (amqp/codec.py:41)",
                         "sort_phase.<locals>.<lambda> (w.py:27)",
                         "<module> (<frozen importlib._bootstrap>:1)", "f (a b.pyw:1)"};
    const char *no[] = {"main", "f (x.c:3)", "(a.py:1)", "f (a.py:)", "f (a.py:1", "f a.py:1)",
                        "operator() (x.py:1x)"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        assert_true(folded_is_python_name(yes[i], strlen(yes[i])));
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        assert_false(folded_is_python_name(no[i], strlen(no[i])));
}

/* Native frames leaf first; E: eval loop, I: interpreter, N: elsewhere. */
static long plan(const char *kinds, const uint32_t *runs, size_t nruns, int32_t *out)
{
    size_t nf = strlen(kinds);
    bool eval[32], interp[32];
    for (size_t i = 0; i < nf; i++) {
        eval[i] = kinds[i] == 'E';
        interp[i] = kinds[i] == 'E' || kinds[i] == 'I';
    }
    return python_splice_plan(eval, interp, nf, runs, nruns, true, true, out, 64);
}

static void test_splice_plan(void **state)
{
    (void)state;
    int32_t out[64];
    /* memmove <- bytes_concat(I) <- E(run0: 2 frames) <- I <- N(sorted) <- I <- E(run1: 3) <- I
     * (PyEval_EvalCode) <- N(main), leaf first */
    const uint32_t runs[] = {2, 3};
    long n = plan("NIEINIEIN", runs, 2, out);
    /* outermost first: main, PyEval_EvalCode, run1 (frames 4,3,2), sorted,
     * run0 (frames 1,0), bytes_concat, memmove; the I frames between runs
     * are dropped */
    const int32_t want[] = {8, 7, -5, -4, -3, 4, -2, -1, 1, 0};
    assert_int_equal(n, sizeof(want) / sizeof(want[0]));
    assert_memory_equal(out, want, sizeof(want));

    /* the innermost eval in its prologue: one eval more than runs, kept native */
    const uint32_t one[] = {1};
    n = plan("EIEN", one, 1, out);
    const int32_t want2[] = {3, -1, 1, 0};
    assert_int_equal(n, 4);
    assert_memory_equal(out, want2, sizeof(want2));

    /* counts that disagree: not spliced */
    assert_int_equal(plan("EIEN", runs, 2, out) >= 0, 1);
    /* read exactly, no eval call in a native stack: it was cut short
     * (clone3's CFI), the Python frames go above it */
    n = plan("IN", one, 1, out);
    const int32_t want3[] = {-1, 1, 0};
    assert_int_equal(n, 3);
    assert_memory_equal(out, want3, sizeof(want3));
    assert_int_equal(python_splice_plan((bool[]){false, false}, (bool[]){true, false}, 2, one, 1,
                                        false, true, out, 64),
                     -1);
    assert_int_equal(plan("EEEN", one, 1, out), -1);
    /* fewer eval calls than runs in a stack that reaches a thread's start:
     * they disagree; in one cut short (a deep import outgrows the stack
     * copy), the outer runs it lacks go above it: run1 (frames 4,3,2),
     * then I (between runs: dropped), run0 (1,0), bytes_concat, memmove */
    assert_int_equal(plan("EN", runs, 2, out), -1);
    n = python_splice_plan((bool[]){false, false, true, false},
                           (bool[]){true, true, true, true}, 4, runs, 2, true, false, out, 64);
    const int32_t want4[] = {-5, -4, -3, -2, -1, 1, 0};
    assert_int_equal(n, 7);
    assert_memory_equal(out, want4, sizeof(want4));
    /* (not read exactly: no) */
    assert_int_equal(python_splice_plan((bool[]){false, false, true, false},
                                        (bool[]){true, true, true, true}, 4, runs, 2, false, false,
                                        out, 64),
                     -1);
    assert_int_equal(plan("EN", runs, 0, out), -1);
    /* too little room */
    assert_int_equal(python_splice_plan((bool[]){true}, (bool[]){true}, 1, (uint32_t[]){3}, 1, true,
                                        true, out, 2),
                     -1);
    /* read after the sample, an extra eval call is one that returned */
    assert_int_equal(python_splice_plan((bool[]){true, false, true}, (bool[]){true, true, true}, 3,
                                        one, 1, false, true, out, 64),
                     -1);
}

static void test_debug_offsets(void **state)
{
    (void)state;
    uint8_t b[512];
    memset(b, 0, sizeof(b));
    struct py_offsets o = *py_offsets_builtin(13);
    assert_false(py_offsets_from_debug(&o, b, sizeof(b)));
    memcpy(b, "xdebugpy", 8);
#define PUT(off, v) do { uint64_t x_ = (v); memcpy(b + (off), &x_, 8); } while (0)
    PUT(24, 0x1000);  /* runtime_state.size */
    PUT(40, 0x300);   /* interpreters_head */
    PUT(48, 0x2000);  /* interpreter_state.size */
    PUT(64, 0x1c00);  /* next */
    PUT(72, 0x1c80);  /* threads_head */
    PUT(152, 320);    /* thread_state.size */
    PUT(168, 8);      /* next */
    PUT(184, 80);     /* current_frame */
    PUT(192, 152);    /* thread_id */
    PUT(200, 160);    /* native_thread_id */
    PUT(208, 240);    /* datastack_chunk */
    PUT(224, 80);     /* interpreter_frame.size */
    PUT(232, 8);      /* previous */
    PUT(240, 0);      /* executable */
    PUT(248, 56);     /* instr_ptr */
    PUT(264, 70);     /* owner */
    PUT(272, 208);    /* code_object.size */
    PUT(280, 112);
    PUT(288, 120);
    PUT(296, 128);
    PUT(304, 136);
    PUT(312, 68);
    PUT(344, 200);
    assert_true(py_offsets_from_debug(&o, b, sizeof(b)));
    assert_int_equal(o.rt_interpreters_head, 0x300);
    assert_int_equal(o.is_threads_head, 0x1c80);
    assert_int_equal(o.ts_frame, 80);
    assert_int_equal(o.ts_datastack_top, 248);
    assert_int_equal(o.co_code_adaptive, 200);
    /* an offset outside its struct, a free-threaded build, a short block */
    PUT(200, 400);
    assert_false(py_offsets_from_debug(&o, b, sizeof(b)));
    PUT(200, 160);
    PUT(16, 1);
    assert_false(py_offsets_from_debug(&o, b, sizeof(b)));
    PUT(16, 0);
    assert_false(py_offsets_from_debug(&o, b, 200));
#undef PUT
}

/* ----- a fake 3.11 interpreter in this process ----- */

static uint8_t code_type[8], unicode_type[8], bytes_type[8];

struct fake {
    uint8_t runtime[64];
    uint8_t interp[64];
    uint8_t tstate[512];
    uint8_t cframes[4][24];
    uint8_t chunk[4096];
    uint8_t code[3][256];
    uint8_t str[6][128];
};

static void put64(uint8_t *b, size_t off, uint64_t v)
{
    memcpy(b + off, &v, 8);
}

static uint64_t addr(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

/* An ASCII str object (3.11 layout: compact ASCII, data at +48). */
static void make_str(uint8_t *o, const char *s)
{
    memset(o, 0, 128);
    put64(o, 8, addr(unicode_type));
    put64(o, 16, strlen(s));
    uint32_t state = (1u << 2) | (1u << 5) | (1u << 6) | (1u << 7); /* kind 1, compact, ascii, ready */
    memcpy(o + 32, &state, 4);
    memcpy(o + 48, s, strlen(s) + 1);
}

static void make_code(struct fake *f, int i, const char *qualname, int firstline)
{
    uint8_t *c = f->code[i];
    memset(c, 0, 256);
    put64(c, 8, addr(code_type));
    put64(c, 16, 100); /* code units */
    int32_t fl = firstline;
    memcpy(c + 72, &fl, 4);
    make_str(f->str[2 * i], qualname);
    make_str(f->str[2 * i + 1], "/usr/lib/python3.11/fake.py");
    put64(c, 112, addr(f->str[2 * i + 1]));
    put64(c, 120, addr(f->str[2 * i]));
    put64(c, 128, addr(f->str[2 * i]));
    put64(c, 136, 0);
}

/* Frame K of the chunk: code, previous, entry. */
static uint8_t *frame_at(struct fake *f, int k)
{
    return f->chunk + 24 + 72 * k;
}

static void make_frame(struct fake *f, int k, int code, int prev, bool entry)
{
    uint8_t *fr = frame_at(f, k);
    memset(fr, 0, 72);
    put64(fr, 32, addr(f->code[code]));
    put64(fr, 48, prev < 0 ? 0 : addr(frame_at(f, prev)));
    put64(fr, 56, addr(f->code[code]) + 184 + 2 * 5); /* prev_instr: unit 5 */
    fr[68] = entry;
    fr[69] = 0;
}

/* <module> (entry) <- main <- [C call] <- key (entry): two eval calls. */
static void build(struct fake *f, uint32_t tid)
{
    memset(f, 0, sizeof(*f));
    make_code(f, 0, "<module>", 1);
    make_code(f, 1, "main", 10);
    make_code(f, 2, "key", 20);
    make_frame(f, 0, 0, -1, true);
    make_frame(f, 1, 1, 0, false);
    make_frame(f, 2, 2, 1, true);
    put64(f->runtime, 40, addr(f->interp));
    put64(f->interp, 0, 0);
    put64(f->interp, 16, addr(f->tstate));
    uint8_t *ts = f->tstate;
    put64(ts, 8, 0);
    put64(ts, 160, tid);
    put64(ts, 56, addr(f->cframes[0]));
    put64(f->cframes[0], 8, addr(frame_at(f, 2)));
    put64(f->cframes[0], 16, addr(f->cframes[1]));
    put64(f->cframes[1], 8, addr(frame_at(f, 1)));
    put64(f->cframes[1], 16, addr(ts + 336));
    put64(ts, 296, addr(f->chunk));
    put64(ts, 304, addr(frame_at(f, 3)));
}

static struct py_proc *fake_proc(struct fake *f)
{
    struct py_proc *pp = xcalloc(1, sizeof(*pp));
    pp->pid = (uint32_t)getpid();
    pp->state = PY_FOUND;
    pp->off = *py_offsets_builtin(11);
    pp->runtime = addr(f->runtime);
    pp->code_type = addr(code_type);
    pp->unicode_type = addr(unicode_type);
    pp->bytes_type = addr(bytes_type);
    pp->pthread_tid_off = -1;
    return pp;
}

static void test_read_fake_311(void **state)
{
    (void)state;
    struct fake *f = xcalloc(1, sizeof(*f));
    uint32_t tid = (uint32_t)gettid();
    build(f, tid);
    struct python_config cfg = {.lines = false};
    struct python *py = python_new(&cfg, NULL);
    struct py_proc *pp = fake_proc(f);
    struct py_stack *st = xmalloc(sizeof(*st));

    py_read_stack(py, pp, tid, st, NULL, 0);
    assert_true(st->present);
    assert_true(st->valid);
    assert_int_equal(st->nframes, 3);
    assert_int_equal(st->nruns, 2);
    assert_int_equal(st->runs[0], 1);
    assert_int_equal(st->runs[1], 2);
    assert_int_equal(st->frames[0].lasti, 5);
    assert_string_equal(py_frame_name(py, pp, &st->frames[0])->name, "key (fake.py:20)");
    assert_string_equal(py_frame_name(py, pp, &st->frames[2])->name, "<module> (fake.py:1)");

    /* another thread: not Python */
    py_read_stack(py, pp, tid + 1, st, NULL, 0);
    assert_false(st->present);

    /* a thread made a moment ago, not in the list read 50 ms ago: found at
     * its thread-local slot from its FS base (ptrace), checked by its TID */
    uint64_t pthread[128] = {0};
    pp->tls_slot = 0x318;
    pthread[0x318 / 8] = addr(f->tstate);
    put64(f->tstate, 160, tid + 1);
    py_read_stack(py, pp, tid + 1, st, NULL, 0);
    assert_false(st->present); /* (no FS base: the list only) */
    py_read_stack(py, pp, tid + 1, st, NULL, addr(pthread));
    assert_true(st->present);
    assert_true(st->valid);
    assert_int_equal(st->nframes, 3);
    py_read_stack(py, pp, tid + 2, st, NULL, addr(pthread)); /* (another TID's state) */
    assert_false(st->present);
    put64(f->tstate, 160, tid);
    pp->tls_slot = 0;
    pp->tids_at = 0; /* (the list is read again at the next miss) */

    /* a code object whose type is not code: inconsistent */
    put64(f->code[1], 8, addr(unicode_type));
    py_codes_free(pp);
    py_read_stack(py, pp, tid, st, NULL, 0);
    assert_true(st->present);
    assert_false(st->valid);
    put64(f->code[1], 8, addr(code_type));

    /* a code object freed and its address reused: the cache notices */
    py_read_stack(py, pp, tid, st, NULL, 0);
    assert_true(st->valid);
    make_str(f->str[2], "renamed");
    put64(f->code[1], 128, addr(f->str[4])); /* qualname now "key"'s string */
    py_read_stack(py, pp, tid, st, NULL, 0);
    assert_true(st->valid);
    assert_string_equal(py_frame_name(py, pp, &st->frames[1])->name, "key (fake.py:10)");
    build(f, tid);
    py_codes_free(pp);

    /* a frame whose instruction is past its (cached) code's end: read
     * again, not judged by the cache, which may hold an object freed since
     * whose address this one reuses */
    put64(f->code[2], 16, 3);
    py_read_stack(py, pp, tid, st, NULL, 0);
    assert_false(st->valid);
    put64(f->code[2], 16, 100);
    py_read_stack(py, pp, tid, st, NULL, 0);
    assert_true(st->valid);
    build(f, tid);
    py_codes_free(pp);

    /* a frame pointing at itself; an entry mark that is not 0 or 1; the
     * C-call chain disagreeing with the entry frames; a caller above its
     * callee in the data stack */
    put64(frame_at(f, 1), 48, addr(frame_at(f, 1)));
    py_read_stack(py, pp, tid, st, NULL, 0);
    assert_false(st->valid);
    build(f, tid);
    frame_at(f, 1)[68] = 7;
    py_read_stack(py, pp, tid, st, NULL, 0);
    assert_false(st->valid);
    build(f, tid);
    put64(f->cframes[1], 8, addr(frame_at(f, 0)));
    py_read_stack(py, pp, tid, st, NULL, 0);
    assert_false(st->valid);
    build(f, tid);
    put64(frame_at(f, 1), 48, addr(frame_at(f, 2)));
    py_read_stack(py, pp, tid, st, NULL, 0);
    assert_false(st->valid);
    build(f, tid);
    /* lasti outside the code */
    put64(frame_at(f, 2), 56, addr(f->code[2]) + 184 + 2 * 100);
    py_read_stack(py, pp, tid, st, NULL, 0);
    assert_false(st->valid);
    build(f, tid);
    /* a C-call chain that never ends */
    put64(f->cframes[1], 16, addr(f->cframes[0]));
    py_read_stack(py, pp, tid, st, NULL, 0);
    assert_false(st->valid);
    build(f, tid);
    py_read_stack(py, pp, tid, st, NULL, 0);
    assert_true(st->valid);

    /* read after the sample: brought back to the sample's time */
    uint64_t regs[20] = {0};
    struct py_snap snap = {regs, (const uint8_t *)"", 0};
    regs[0] = addr(f->code[2]) + 184 + 2 * 7; /* rax: next_instr in key */
    py_read_stack(py, pp, tid, st, &snap, 0);
    assert_true(st->valid);
    assert_int_equal(st->nframes, 3);
    assert_int_equal(st->frames[0].lasti, 6);
    /* key's code nowhere in the sample: the thread returned from it */
    regs[0] = addr(f->code[1]) + 184 + 2 * 7;
    py_read_stack(py, pp, tid, st, &snap, 0);
    assert_false(st->valid);
    /* key's eval call began after the sample (its _PyCFrame is under the
     * sample's stack pointer): the sample was in main */
    regs[7] = addr(f->cframes[0]) + 1;
    py_read_stack(py, pp, tid, st, &snap, 0);
    assert_true(st->valid);
    assert_int_equal(st->nframes, 2);
    assert_int_equal(st->nruns, 1);
    assert_int_equal(st->runs[0], 2);
    assert_string_equal(py_frame_name(py, pp, &st->frames[0])->name, "main (fake.py:10)");
    /* in the stack copy rather than a register */
    uint64_t words[4] = {1, 2, addr(f->code[1]) + 184 + 2 * 3, 4};
    regs[0] = 0;
    regs[7] = addr(f->cframes[0]) + 1;
    snap.stack = (const uint8_t *)words;
    snap.size = sizeof(words);
    py_read_stack(py, pp, tid, st, &snap, 0);
    assert_true(st->valid);
    assert_int_equal(st->frames[0].lasti, 2);

    free(st);
    py_proc_free(pp);
    python_free(py);
    free(f);
}

static uint64_t mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A stack is not read for a sample taken more than PYTHON_MAX_DELAY_NS ago:
 * such a sample of a thread in the eval loop is inconsistent, and of a
 * thread elsewhere not a Python sample. */
static void test_late_reads(void **state)
{
    (void)state;
    struct fake *f = xcalloc(1, sizeof(*f));
    uint32_t tid = (uint32_t)gettid();
    build(f, tid);
    struct python_config cfg = {0};
    struct python *py = python_new(&cfg, NULL);
    struct py_proc *pp = fake_proc(f);
    pp->eval[0][0] = 0x1000;
    pp->eval[0][1] = 0x2000;
    HASH_ADD(hh, py->procs, pid, sizeof(pp->pid), pp);
    uint64_t regs[20] = {0};
    regs[0] = addr(f->code[2]) + 184 + 2 * 7;
    uint64_t late = mono_now() - 2 * PYTHON_MAX_DELAY_NS;
    python_drained(py, pp->pid, tid, mono_now(), regs, (const uint8_t *)"", 0);
    assert_int_equal(py->nsaved, 1);
    python_drained(py, pp->pid, tid, late, regs, (const uint8_t *)"", 0);
    assert_int_equal(py->nsaved, 1);
    /* its turn comes: still not read */
    struct unwind_frame fr[1] = {{.ip = 0x1800, .exact = true}};
    struct py_sample s = {pp->pid, tid, fr, 1, regs, (const uint8_t *)"", 0, late};
    struct py_item out[8];
    size_t n;
    assert_int_equal(python_splice(py, &s, out, 8, &n), PY_INCONSISTENT);
    fr[0].ip = 0x2800; /* not in the eval loop: not a Python sample */
    assert_int_equal(python_splice(py, &s, out, 8, &n), PY_NONE);
    python_free(py);
    free(f);
}

/* ----- read at the sample: the kernel program's records ----- */

/* The maps as the kernel program would get them. */
struct kmaps {
    struct pyframes_proc proc;
    uint32_t proc_pid;
    int set_procs, forgot_procs;
    uint32_t tids[8];
    uint64_t tstates[8];
    int nthreads, forgot_threads;
};

static int k_set_proc(void *arg, uint32_t pid, const struct pyframes_proc *c)
{
    struct kmaps *k = arg;
    k->proc = *c;
    k->proc_pid = pid;
    k->set_procs++;
    return 0;
}

static void k_forget_proc(void *arg, uint32_t pid)
{
    struct kmaps *k = arg;
    (void)pid;
    k->forgot_procs++;
}

static int k_set_thread(void *arg, uint32_t tid, uint64_t ts)
{
    struct kmaps *k = arg;
    if (k->nthreads < 8) {
        k->tids[k->nthreads] = tid;
        k->tstates[k->nthreads++] = ts;
    }
    return 0;
}

static void k_forget_thread(void *arg, uint32_t tid)
{
    struct kmaps *k = arg;
    (void)tid;
    k->forgot_threads++;
}

/* A record as the kernel program writes it for the fake's thread at TIME,
 * with the sample's IP and SP: its three frames, innermost first. */
struct krec {
    struct pyframes_rec r;
    struct pyframes_frame f[3];
};

/* The identity the kernel hashes for the code object at CODE. */
static uint32_t ident_of(const uint8_t *code, const struct pyframes_proc *c)
{
    __u64 w[4], fw[PYFRAMES_FILE_BYTES / 8];
    memcpy(w, code + c->co_sig, sizeof(w));
    uint64_t file;
    memcpy(&file, code + c->co_filename, 8);
    memcpy(fw, (const uint8_t *)(uintptr_t)file + PYFRAMES_FILE_OFF, sizeof(fw));
    return pyframes_ident(w, c->co_sig_words, fw);
}

static void kframe(struct fake *f, const struct pyframes_proc *c, int k, struct pyframes_frame *out)
{
    uint8_t *fr = frame_at(f, k);
    memset(out, 0, sizeof(*out));
    out->frame = addr(fr);
    memcpy(&out->code, fr + 32, 8);
    memcpy(&out->instr, fr + 56, 8);
    out->entry = fr[68];
    out->ident = ident_of((const uint8_t *)(uintptr_t)out->code, c);
}

static void make_krec(struct fake *f, const struct pyframes_proc *c, uint32_t tid, uint64_t time,
                      const uint64_t *regs, struct krec *k)
{
    memset(k, 0, sizeof(*k));
    k->r.kind = PYFRAMES_REC_STACK;
    k->r.time = time;
    k->r.pid = (uint32_t)getpid();
    k->r.tid = tid;
    k->r.ip = regs[PERF_REG_IP];
    k->r.sp = regs[PERF_REG_SP];
    k->r.tstate = addr(f->tstate);
    k->r.gen = c->gen;
    k->r.status = PYFRAMES_OK;
    k->r.nframes = 3;
    for (int i = 0; i < 3; i++)
        kframe(f, c, 2 - i, &k->f[i]);
}

/* The kernel's snapshot of the fake's code object I, as it is now. */
static void make_kcode(struct fake *f, const struct pyframes_proc *c, int i, struct pyframes_code *kc)
{
    const uint8_t *code = f->code[i];
    memset(kc, 0, sizeof(*kc));
    kc->kind = PYFRAMES_REC_CODE;
    kc->pid = (uint32_t)getpid();
    kc->gen = c->gen;
    kc->code = addr(code);
    kc->ident = ident_of(code, c);
    kc->r[PYFRAMES_R_HEAD] = (struct pyframes_region){addr(code), c->co_size, 0};
    memcpy(kc->head, code, c->co_size);
    uint64_t name, file;
    memcpy(&name, code + c->co_name, 8);
    memcpy(&file, code + c->co_filename, 8);
    kc->r[PYFRAMES_R_NAME] = (struct pyframes_region){name, 128, 0};
    memcpy(kc->name, (const void *)(uintptr_t)name, 128);
    kc->r[PYFRAMES_R_FILE] = (struct pyframes_region){file, 128, 0};
    memcpy(kc->file, (const void *)(uintptr_t)file, 128);
}

static void test_kernel_records(void **state)
{
    (void)state;
    struct fake *f = xcalloc(1, sizeof(*f));
    uint32_t tid = (uint32_t)gettid();
    build(f, tid);
    struct python_config cfg = {0};
    struct python *py = python_new(&cfg, NULL);
    struct kmaps km;
    memset(&km, 0, sizeof(km));
    struct python_kernel ops = {&km, k_set_proc, k_forget_proc, k_set_thread, k_forget_thread};
    python_set_read(py, PYTHON_READ_KERNEL, &ops, NULL);
    struct py_proc *pp = fake_proc(f);
    HASH_ADD(hh, py->procs, pid, sizeof(pp->pid), pp);

    /* registering: the layout the program walks, then the threads */
    py_kernel_register(py, pp);
    assert_int_equal(km.set_procs, 1);
    assert_int_equal(km.proc_pid, pp->pid);
    assert_int_equal(km.proc.minor, 11);
    assert_int_equal(km.proc.ts_frame, 56);
    assert_int_equal(km.proc.cf_current_frame, 8);
    assert_int_equal(km.proc.fr_previous, 48);
    assert_int_equal(km.proc.fr_entry, 68);
    assert_int_equal(km.proc.co_sig, 112);
    assert_int_equal(km.proc.co_sig_words, 4);
    assert_int_not_equal(pp->kgen, 0);
    py_tids_refresh(py, pp);
    assert_int_equal(km.nthreads, 1);
    assert_int_equal(km.tids[0], tid);
    assert_int_equal(km.tstates[0], addr(f->tstate));

    uint64_t regs[24] = {0};
    regs[PERF_REG_IP] = 0x401000;
    regs[PERF_REG_SP] = 0x7ffd0000;
    struct unwind_frame fr[1] = {{.ip = 0x1800, .exact = true}};
    struct py_sample s = {pp->pid, tid, fr, 1, regs, (const uint8_t *)"", 0, 1000000};
    struct krec k;
    struct py_stack *st = xmalloc(sizeof(*st));

    /* a record that joins: the stack as the kernel read it, named */
    make_krec(f, &km.proc, tid, 1000400, regs, &k);
    python_kernel_record(py, &k, sizeof(k));
    assert_int_equal(py_kernel_take(py, pp, &s, st), PYK_OK);
    assert_true(st->valid);
    assert_int_equal(st->nframes, 3);
    assert_int_equal(st->nruns, 2);
    assert_int_equal(st->runs[0], 1);
    assert_int_equal(st->runs[1], 2);
    assert_int_equal(st->frames[0].lasti, 5);
    assert_string_equal(py_frame_name(py, pp, &st->frames[0])->name, "key (fake.py:20)");
    /* taken: not twice */
    assert_int_equal(py_kernel_take(py, pp, &s, st), PYK_NONE);

    /* the join: another IP or SP, too late, another registration, a
     * record older than the sample (its sample was lost: dropped) */
    make_krec(f, &km.proc, tid, 2000100, regs, &k);
    k.r.sp += 8;
    python_kernel_record(py, &k, sizeof(k));
    s.time = 2000000;
    assert_int_equal(py_kernel_take(py, pp, &s, st), PYK_NONE);
    make_krec(f, &km.proc, tid, 3000000 + PY_JOIN_WINDOW_NS + 1, regs, &k);
    python_kernel_record(py, &k, sizeof(k));
    s.time = 3000000;
    assert_int_equal(py_kernel_take(py, pp, &s, st), PYK_NONE);
    make_krec(f, &km.proc, tid, 4000001, regs, &k);
    k.r.gen = km.proc.gen + 1;
    python_kernel_record(py, &k, sizeof(k));
    s.time = 4000000;
    assert_int_equal(py_kernel_take(py, pp, &s, st), PYK_NONE);
    uint64_t orphans = py->kst.orphans;
    make_krec(f, &km.proc, tid, 5000000, regs, &k);
    python_kernel_record(py, &k, sizeof(k));
    s.time = 5000001;
    assert_int_equal(py_kernel_take(py, pp, &s, st), PYK_NONE);
    assert_true(py->kst.orphans > orphans);

    /* records that fail: a pointer that did not read, a loop, too deep, a
     * code object that is not one: native frames, counted */
    uint64_t t = 6000000;
    const uint16_t bad[] = {PYFRAMES_FAULT, PYFRAMES_LOOP, PYFRAMES_TRUNC};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++, t += 1000000) {
        make_krec(f, &km.proc, tid, t + 10, regs, &k);
        k.r.status = bad[i];
        python_kernel_record(py, &k, sizeof(k));
        s.time = t;
        assert_int_equal(py_kernel_take(py, pp, &s, st), PYK_BAD);
    }
    assert_int_equal(py->kst.deep, 1);
    make_krec(f, &km.proc, tid, t + 10, regs, &k);
    k.f[1].flags = PYFRAMES_F_NOSIG;
    python_kernel_record(py, &k, sizeof(k));
    s.time = t;
    assert_int_equal(py_kernel_take(py, pp, &s, st), PYK_BAD);
    t += 1000000;
    /* a child's first records, read with its parent's registration: taken
     * only by a process known to be forked from that registration */
    make_krec(f, &km.proc, tid, t + 10, regs, &k);
    k.r.inherited = 1;
    k.r.gen = 77;
    python_kernel_record(py, &k, sizeof(k));
    s.time = t;
    assert_int_equal(py_kernel_take(py, pp, &s, st), PYK_NONE);
    t += 1000000;
    pp->parent_gen = 77;
    make_krec(f, &km.proc, tid, t + 10, regs, &k);
    k.r.inherited = 1;
    k.r.gen = 77;
    python_kernel_record(py, &k, sizeof(k));
    s.time = t;
    assert_int_equal(py_kernel_take(py, pp, &s, st), PYK_OK);
    pp->parent_gen = 0;
    t += 1000000;
    /* no thread state: read after the sample instead */
    make_krec(f, &km.proc, tid, t + 10, regs, &k);
    k.r.status = PYFRAMES_NO_TSTATE;
    k.r.nframes = 0;
    python_kernel_record(py, &k, sizeof(k));
    s.time = t;
    assert_int_equal(py_kernel_take(py, pp, &s, st), PYK_NONE);
    t += 1000000;

    /* main's code object freed after the sample and its address reused by
     * another (the cache read it at the sample's time): the new one is
     * not the sample's, kept native */
    make_krec(f, &km.proc, tid, t + 10, regs, &k);
    python_kernel_record(py, &k, sizeof(k)); /* (named as it is drained) */
    make_str(f->str[4], "other");
    put64(f->code[1], 128, addr(f->str[4]));
    s.time = t;
    assert_int_equal(py_kernel_take(py, pp, &s, st), PYK_OK); /* (cached when drained) */
    assert_string_equal(py_frame_name(py, pp, &st->frames[1])->name, "main (fake.py:10)");
    t += 1000000;
    make_krec(f, &km.proc, tid, t + 10, regs, &k);
    k.f[1].ident ^= 1; /* the sample saw another object there */
    python_kernel_record(py, &k, sizeof(k));
    s.time = t;
    assert_int_equal(py_kernel_take(py, pp, &s, st), PYK_BAD);
    build(f, tid);
    py_codes_free(pp);
    t += 1000000;

    /* main's code object copied by the kernel at the sample (its
     * snapshot), then freed and its address reused by another before
     * tprof drained a thing: each sample is named from its own snapshot,
     * the old one's still queued when the new one's snapshot comes */
    assert_int_equal(km.proc.co_size, 192);
    assert_int_equal(km.proc.co_name, 128);
    assert_int_equal(km.proc.co_linetable, PYFRAMES_NONE);
    struct pyframes_code *kc = xmalloc(sizeof(*kc)), *kc2 = xmalloc(sizeof(*kc2));
    struct krec k2;
    size_t fixed = offsetof(struct pyframes_code, table);
    make_kcode(f, &km.proc, 1, kc);
    make_krec(f, &km.proc, tid, t + 10, regs, &k);
    make_str(f->str[4], "other");
    put64(f->code[1], 128, addr(f->str[4]));
    make_kcode(f, &km.proc, 1, kc2);
    make_krec(f, &km.proc, tid, t + 1000010, regs, &k2);
    python_kernel_record(py, kc, fixed);
    python_kernel_record(py, &k, sizeof(k));
    python_kernel_record(py, kc2, fixed);
    python_kernel_record(py, &k2, sizeof(k2));
    assert_int_equal(py->kst.snapshots, 2);
    s.time = t;
    assert_int_equal(py_kernel_take(py, pp, &s, st), PYK_OK);
    assert_string_equal(py_frame_name(py, pp, &st->frames[1])->name, "main (fake.py:10)");
    s.time = t + 1000000;
    assert_int_equal(py_kernel_take(py, pp, &s, st), PYK_OK);
    assert_string_equal(py_frame_name(py, pp, &st->frames[1])->name, "other (fake.py:10)");
    t += 2000000;
    /* the same again, but the new object's name, file and line table at
     * the addresses the old one's had (code built the same way under
     * another file name): only the file name's characters tell them apart */
    make_kcode(f, &km.proc, 1, kc);
    make_krec(f, &km.proc, tid, t + 10, regs, &k);
    make_str(f->str[3], "/usr/lib/python3.11/gake.py");
    make_kcode(f, &km.proc, 1, kc2);
    assert_int_not_equal(kc->ident, kc2->ident);
    make_krec(f, &km.proc, tid, t + 1000010, regs, &k2);
    python_kernel_record(py, kc, fixed);
    python_kernel_record(py, &k, sizeof(k));
    python_kernel_record(py, kc2, fixed);
    python_kernel_record(py, &k2, sizeof(k2));
    s.time = t;
    assert_int_equal(py_kernel_take(py, pp, &s, st), PYK_OK);
    assert_string_equal(py_frame_name(py, pp, &st->frames[1])->name, "other (fake.py:10)");
    s.time = t + 1000000;
    assert_int_equal(py_kernel_take(py, pp, &s, st), PYK_OK);
    assert_string_equal(py_frame_name(py, pp, &st->frames[1])->name, "other (gake.py:10)");
    assert_int_equal(py->kst.snapshots, 3); /* (the first was known) */
    t += 2000000;
    /* hostile snapshots: a copy longer than its place, a record shorter
     * than its fixed part or than the line table it claims, another
     * registration, a copy whose head is not the object it names: unused */
    make_kcode(f, &km.proc, 2, kc);
    kc->r[PYFRAMES_R_NAME].len = PYFRAMES_CODE_STR + 1;
    python_kernel_record(py, kc, fixed);
    make_kcode(f, &km.proc, 2, kc);
    python_kernel_record(py, kc, fixed - 1);
    kc->r[PYFRAMES_R_TABLE] = (struct pyframes_region){1, 16, 0};
    python_kernel_record(py, kc, fixed + 15);
    make_kcode(f, &km.proc, 2, kc);
    kc->gen++;
    python_kernel_record(py, kc, fixed);
    make_kcode(f, &km.proc, 2, kc);
    kc->ident ^= 1;
    python_kernel_record(py, kc, fixed);
    make_kcode(f, &km.proc, 2, kc);
    kc->r[PYFRAMES_R_NAME].len = 40; /* (the characters cut off) */
    python_kernel_record(py, kc, fixed);
    assert_int_equal(py->kst.snapshots, 3);
    free(kc);
    free(kc2);
    build(f, tid);
    py_codes_free(pp);
    py_snaps_free(pp);

    /* records cut short or claiming more frames than they hold: dropped */
    uint64_t n = py->kst.records;
    make_krec(f, &km.proc, tid, t + 10, regs, &k);
    python_kernel_record(py, &k, sizeof(k) - 1);
    python_kernel_record(py, &k, 10);
    k.r.nframes = PYFRAMES_MAX + 1;
    python_kernel_record(py, &k, sizeof(k));
    assert_int_equal(py->kst.records, n);

    /* the thread-local slot, found in the main thread's struct pthread */
    static uint64_t pthread_block[512];
    memset(pthread_block, 0, sizeof(pthread_block));
    pthread_block[0x318 / 8] = addr(f->tstate);
    pthread_block[2] = addr(pthread_block);
    put64(f->tstate, 152, addr(pthread_block)); /* thread_id: pthread_self() */
    py_tids_refresh(py, pp);
    pp->tids_at = 0;
    py_tids_refresh(py, pp);
    assert_int_equal(pp->tls_slot, 0x318);
    assert_int_equal(km.proc.tls_slot, 0x318);

    /* forgotten (exec, exit): the kernel forgets it and its threads */
    py_kernel_forget(py, pp);
    assert_int_equal(km.forgot_procs, 1);
    assert_int_equal(km.forgot_threads, 1);
    assert_int_equal(pp->kgen, 0);
    free(st);
    python_free(py);
    free(f);
}

/* The offsets an interpreter's DWARF gave, kept per build id and version:
 * read back the same; an entry of another version, cut short, with a wild
 * offset or a wild size is not used. */
static void test_offsets_cache(void **state)
{
    (void)state;
    char dir[] = "/tmp/tprof-pyoff.XXXXXX";
    assert_non_null(mkdtemp(dir));
    cache_set_dir(dir);
    const uint8_t bid[20] = {0xab, 0xcd, 1, 2, 3};
    struct py_offsets o = *py_offsets_builtin(11), r = *py_offsets_builtin(11);
    o.ts_frame += 8; /* (not the built-in table's) */
    o.co_name = 0x1234;
    assert_false(py_offsets_cache_read(bid, sizeof(bid), 11, &r));
    py_offsets_cache_write(bid, sizeof(bid), 11, &o);
    assert_true(py_offsets_cache_read(bid, sizeof(bid), 11, &r));
    assert_memory_equal(&r, &o, sizeof(o));
    r = *py_offsets_builtin(12);
    assert_false(py_offsets_cache_read(bid, sizeof(bid), 12, &r)); /* another version */
    assert_false(py_offsets_cache_read(bid, 0, 11, &r)); /* no build id */

    char path[160];
    snprintf(path, sizeof(path), "%s/pyoff-abcd010203000000000000000000000000000000-3.11", dir);
    FILE *f = fopen(path, "r+");
    assert_non_null(f);
    uint8_t buf[256];
    size_t n = fread(buf, 1, sizeof(buf), f);
    assert_true(n > 20);
    struct {
        size_t off;
        uint8_t byte;
        size_t len;
    } bad[] = {
        {0, 'x', n},       /* magic */
        {8, 12, n},        /* version */
        {12 + 2, 0x7f, n}, /* an offset of 8 MB */
        {12 + 12 + 1, 9, n}, /* ts_size (the 4th field) 2304 */
        {n - 1, 2, n},     /* u_has_ready neither 0 nor 1 */
        {0, 't', n - 1},   /* cut short */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t c[256];
        memcpy(c, buf, n);
        c[bad[i].off] = bad[i].byte;
        FILE *w = fopen(path, "w");
        assert_non_null(w);
        assert_int_equal(fwrite(c, 1, bad[i].len, w), bad[i].len);
        fclose(w);
        r = *py_offsets_builtin(11);
        assert_false(py_offsets_cache_read(bid, sizeof(bid), 11, &r));
        assert_memory_equal(&r, py_offsets_builtin(11), sizeof(r)); /* untouched */
    }
    fclose(f);
    unlink(path);
    rmdir(dir);
    cache_set_dir(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_table_311), cmocka_unit_test(test_line_table_310),
        cmocka_unit_test(test_short_file),     cmocka_unit_test(test_is_python_name),
        cmocka_unit_test(test_splice_plan),    cmocka_unit_test(test_debug_offsets),
        cmocka_unit_test(test_read_fake_311),  cmocka_unit_test(test_late_reads),
        cmocka_unit_test(test_kernel_records), cmocka_unit_test(test_offsets_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
