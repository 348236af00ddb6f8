/* jitdump: code-load, code-move and unwinding-info records, as runtimes write them, read
 * from a buffer and from a file that grows; malformed records stop it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tprof/jitdump.h"
#include "tprof/jittab.h"

struct buf {
    uint8_t b[8192];
    size_t n;
};

static void put(struct buf *b, const void *p, size_t n)
{
    assert_true(b->n + n <= sizeof(b->b));
    memcpy(b->b + b->n, p, n);
    b->n += n;
}

static void put32(struct buf *b, uint32_t v)
{
    put(b, &v, 4);
}

static void put64(struct buf *b, uint64_t v)
{
    put(b, &v, 8);
}

static void header(struct buf *b)
{
    put32(b, 0x4A695444); /* magic */
    put32(b, 1);          /* version */
    put32(b, 40);         /* header size */
    put32(b, 62);         /* EM_X86_64 */
    put32(b, 0);
    put32(b, 4242); /* pid */
    put64(b, 0);    /* timestamp */
    put64(b, 0);    /* flags */
}

/* A code-load record: the fixed part, NAME, then CODE_SIZE bytes of code. */
static void load(struct buf *b, uint64_t addr, uint64_t code_size, const char *name)
{
    size_t nl = strlen(name) + 1;
    put32(b, 0);
    put32(b, (uint32_t)(16 + 40 + nl + code_size));
    put64(b, 0);
    put32(b, 4242);
    put32(b, 4242);
    put64(b, addr); /* vma */
    put64(b, addr); /* code_addr */
    put64(b, code_size);
    put64(b, 1); /* code_index */
    put(b, name, nl);
    for (uint64_t i = 0; i < code_size; i++)
        put(b, "\xcc", 1);
}

static void move(struct buf *b, uint64_t from, uint64_t to, uint64_t size)
{
    put32(b, 1);
    put32(b, 16 + 48);
    put64(b, 0);
    put32(b, 4242);
    put32(b, 4242);
    put64(b, to);
    put64(b, from);
    put64(b, to);
    put64(b, size);
    put64(b, 1);
}

static void other(struct buf *b, uint32_t id, uint32_t body)
{
    put32(b, id);
    put32(b, 16 + body);
    put64(b, 0);
    for (uint32_t i = 0; i < body; i++)
        put(b, "\0", 1);
}

/* An unwinding-info record: EH bytes standing for an .eh_frame (their
 * values are their offsets), then an .eh_frame_hdr whose table has COUNT
 * entries, the first naming the code FROM bytes before the hdr. */
static void unwinding(struct buf *b, uint32_t eh, int32_t from, uint32_t count)
{
    uint32_t hdr = 12 + 8 * count, usize = eh + hdr;
    uint32_t total = (16 + 24 + usize + 7) / 8 * 8;
    put32(b, 4);
    put32(b, total);
    put64(b, 0);
    put64(b, usize);
    put64(b, hdr);
    put64(b, 0);
    for (uint32_t i = 0; i < eh; i++)
        put(b, &(uint8_t){(uint8_t)i}, 1);
    put(b, (const uint8_t[]){1, 0x1b, 0x03, 0x3b}, 4); /* as every writer has them */
    put32(b, (uint32_t)-(int32_t)(eh + 4)); /* eh_frame_ptr, pcrel */
    put32(b, count);
    for (uint32_t i = 0; i < count; i++) {
        put32(b, (uint32_t)(from + 16 * (int32_t)i));
        put32(b, (uint32_t)-(int32_t)eh);
    }
    for (uint32_t i = 16 + 24 + usize; i < total; i++)
        put(b, "\0", 1);
}

/* Unwinding info describes the next code load; where its bytes stand is
 * found from its table; a move keeps it with the code. What it cannot place
 * or read leaves the code named, without CFI. */
static void test_unwinding_info(void **state)
{
    (void)state;
    struct buf b = {.n = 0};
    header(&b);
    /* code [0x1000, 0x1014), .eh_frame at 0x1020 (the size rounded up, as
     * CPython writes it), hdr at 0x1050: the code is 0x50 before it */
    unwinding(&b, 48, -0x50, 1);
    load(&b, 0x1000, 20, "with-cfi");
    load(&b, 0x2000, 20, "next-none"); /* (a record is for one load only) */
    size_t odd = b.n;
    unwinding(&b, 48, -0x50, 1);
    b.b[odd + 16 + 24 + 48 + 1] = 0x9b; /* an hdr encoding tprof does not read */
    load(&b, 0x3000, 20, "odd-hdr");
    unwinding(&b, 48, -0x40, 1); /* the .eh_frame over the code */
    load(&b, 0x4000, 20, "overlap");
    unwinding(&b, 48, -(48 + 20 + 5000), 1); /* far past it */
    load(&b, 0x5000, 20, "far");
    unwinding(&b, 0, -0x50, 1); /* only an hdr (node, for code without CFI) */
    load(&b, 0x6000, 20, "hdr-only");
    unwinding(&b, 40, -(40 + 20), 3); /* right after it (genelf), 3 FDEs */
    load(&b, 0x7000, 20, "genelf");
    move(&b, 0x1000, 0x9000, 20);
    struct jitdump *jd = jitdump_new("/nonexistent/jit-1.dump", NULL);
    assert_int_equal(jitdump_parse(jd, b.b, b.n), 14);
    assert_string_equal(jitdump_error(jd), "");
    uint64_t start, size;
    const struct jit_unwind *uw = jitdump_unwind(jd, 0x1008, &start, &size);
    assert_non_null(uw);
    assert_int_equal(start, 0x1000);
    assert_int_equal(size, 20);
    assert_int_equal(uw->at, 0x1020);
    assert_int_equal(uw->size, 48 + 20);
    assert_int_equal(uw->hdr_off, 48);
    assert_int_equal(uw->fde_count, 1);
    assert_int_equal(uw->data[47], 47);
    assert_int_equal(uw->data[48], 1);
    assert_null(jitdump_unwind(jd, 0x1014, &start, &size)); /* past the code */
    uw = jitdump_unwind(jd, 0x9013, &start, &size);
    assert_non_null(uw);
    assert_int_equal(start, 0x9000);
    assert_int_equal(uw->at, 0x9020);
    uw = jitdump_unwind(jd, 0x7000, &start, &size);
    assert_non_null(uw);
    assert_int_equal(uw->at, 0x7014);
    assert_int_equal(uw->fde_count, 3);
    static const uint64_t none[] = {0x2000, 0x3000, 0x4000, 0x5000, 0x6000};
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        assert_null(jitdump_unwind(jd, none[i], &start, &size));
        assert_non_null(jitdump_find(jd, none[i], NULL, NULL)); /* still named */
    }
    jitdump_free(jd);

    /* sizes that do not fit the record stop the reading */
    struct buf c = {.n = 0};
    header(&c);
    load(&c, 0x1000, 20, "kept");
    size_t at = c.n;
    unwinding(&c, 48, -0x50, 1);
    memcpy(c.b + at + 16, &(uint64_t){1000}, 8); /* unwinding_size */
    jd = jitdump_new("/nonexistent/jit-1.dump", NULL);
    assert_int_equal(jitdump_parse(jd, c.b, c.n), 1);
    assert_non_null(strstr(jitdump_error(jd), "bad unwinding-info record"));
    assert_string_equal(jitdump_find(jd, 0x1000, NULL, NULL), "kept");
    jitdump_free(jd);
    memcpy(c.b + at + 16, &(uint64_t){68}, 8);
    memcpy(c.b + at + 24, &(uint64_t){69}, 8); /* an hdr larger than the whole */
    jd = jitdump_new("/nonexistent/jit-1.dump", NULL);
    assert_int_equal(jitdump_parse(jd, c.b, c.n), 1);
    assert_non_null(strstr(jitdump_error(jd), "bad unwinding-info record"));
    jitdump_free(jd);
    /* a record too short for its fixed part */
    struct buf d = {.n = 0};
    header(&d);
    other(&d, 4, 16);
    jd = jitdump_new("/nonexistent/jit-1.dump", NULL);
    assert_int_equal(jitdump_parse(jd, d.b, d.n), 0);
    assert_non_null(strstr(jitdump_error(jd), "short unwinding-info record"));
    jitdump_free(jd);
}

static void test_records(void **state)
{
    (void)state;
    struct buf b = {.n = 0};
    header(&b);
    other(&b, 4, 24); /* unwinding info: skipped */
    load(&b, 0x1000, 0x20, "JS:*fib a.js:1");
    load(&b, 0x2000, 0x10, "py::hot:b.py");
    other(&b, 2, 40); /* debug info: skipped */
    move(&b, 0x1000, 0x5000, 0x20);
    struct jitdump *jd = jitdump_new("/nonexistent/jit-1.dump", NULL);
    assert_int_equal(jitdump_parse(jd, b.b, b.n), 5);
    uint64_t start, size;
    assert_string_equal(jitdump_find(jd, 0x2008, &start, &size), "py::hot:b.py");
    assert_int_equal(start, 0x2000);
    assert_int_equal(size, 0x10);
    assert_null(jitdump_find(jd, 0x2010, NULL, NULL)); /* past its size */
    assert_string_equal(jitdump_find(jd, 0x501f, &start, NULL), "JS:*fib a.js:1");
    assert_int_equal(start, 0x5000);
    /* code loaded again at a used address: the later one names it */
    struct buf more = {.n = 0};
    load(&more, 0x2000, 0x10, "py::other:b.py");
    size_t whole = more.n;
    load(&more, 0x3000, 0x10, "late");
    /* the file so far: the parser goes on from where it stopped, and a
     * record still being written waits */
    struct buf all = b;
    put(&all, more.b, more.n);
    assert_int_equal(jitdump_parse(jd, all.b, b.n + whole + 20), 1);
    assert_string_equal(jitdump_error(jd), "");
    assert_string_equal(jitdump_find(jd, 0x2000, NULL, NULL), "py::other:b.py");
    assert_null(jitdump_find(jd, 0x3000, NULL, NULL));
    assert_int_equal(jitdump_parse(jd, all.b, all.n), 1);
    assert_string_equal(jitdump_find(jd, 0x3000, NULL, NULL), "late");
    jitdump_free(jd);
}

static void test_malformed(void **state)
{
    (void)state;
    /* a record size under its own header */
    struct buf b = {.n = 0};
    header(&b);
    load(&b, 0x1000, 0x10, "kept");
    put32(&b, 0);
    put32(&b, 8);
    put64(&b, 0);
    load(&b, 0x2000, 0x10, "after");
    struct jitdump *jd = jitdump_new("/nonexistent/jit-1.dump", NULL);
    assert_int_equal(jitdump_parse(jd, b.b, b.n), 1);
    assert_non_null(strstr(jitdump_error(jd), "bad record size"));
    assert_string_equal(jitdump_find(jd, 0x1000, NULL, NULL), "kept");
    assert_null(jitdump_find(jd, 0x2000, NULL, NULL));
    jitdump_free(jd);

    /* code larger than its record */
    struct buf c = {.n = 0};
    header(&c);
    load(&c, 0x1000, 0x10, "liar");
    memcpy(c.b + 40 + 16 + 24, &(uint64_t){0x100000}, 8);
    jd = jitdump_new("/nonexistent/jit-1.dump", NULL);
    assert_int_equal(jitdump_parse(jd, c.b, c.n), 0);
    assert_non_null(strstr(jitdump_error(jd), "bad code-load record"));
    jitdump_free(jd);

    /* a name with no end */
    struct buf d = {.n = 0};
    header(&d);
    put32(&d, 0);
    put32(&d, 16 + 40 + 4);
    put64(&d, 0);
    for (int i = 0; i < 5; i++) /* pid and tid, vma, code_addr, code_size, code_index */
        put64(&d, 0x1000);
    put(&d, "abcd", 4);
    jd = jitdump_new("/nonexistent/jit-1.dump", NULL);
    assert_int_equal(jitdump_parse(jd, d.b, d.n), 0);
    assert_non_null(strstr(jitdump_error(jd), "not terminated"));
    jitdump_free(jd);

    /* not a jitdump; the other byte order */
    jd = jitdump_new("/nonexistent/jit-1.dump", NULL);
    static const uint8_t text[64] = "START SIZE name\n";
    assert_int_equal(jitdump_parse(jd, text, sizeof(text)), 0);
    assert_non_null(strstr(jitdump_error(jd), "not a jitdump file"));
    jitdump_free(jd);
    struct buf e = {.n = 0};
    header(&e);
    uint32_t swapped = __builtin_bswap32(0x4A695444);
    memcpy(e.b, &swapped, 4);
    jd = jitdump_new("/nonexistent/jit-1.dump", NULL);
    assert_int_equal(jitdump_parse(jd, e.b, e.n), 0);
    assert_non_null(strstr(jitdump_error(jd), "other byte order"));
    jitdump_free(jd);
}

/* The file grows while the program runs: a miss reads what was added. */
static void test_growing_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/tprof-unit.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/jit-77.dump", dir);
    struct buf b = {.n = 0};
    header(&b);
    load(&b, 0x1000, 0x10, "first");
    FILE *f = fopen(path, "w");
    fwrite(b.b, 1, b.n, f);
    fclose(f);
    struct jitdump *jd = jitdump_new(path, NULL);
    assert_string_equal(jitdump_path(jd), path);
    assert_string_equal(jitdump_find(jd, 0x1004, NULL, NULL), "first");
    assert_null(jitdump_find(jd, 0x2004, NULL, NULL));
    struct buf more = {.n = 0};
    load(&more, 0x2000, 0x10, "second");
    f = fopen(path, "a");
    fwrite(more.b, 1, more.n, f);
    fclose(f);
    /* (a miss reads on at most every JIT_REREAD_NS) */
    usleep(JIT_REREAD_NS / 1000 + 1000);
    assert_string_equal(jitdump_find(jd, 0x2004, NULL, NULL), "second");
    jitdump_free(jd);

    /* another user's file is refused, and says how to override */
    if (geteuid() == 0) {
        assert_int_equal(chown(path, 12345, 12345), 0);
        jd = jitdump_new(path, NULL);
        assert_null(jitdump_find(jd, 0x1004, NULL, NULL));
        assert_non_null(strstr(jitdump_error(jd), "--jit-any-owner"));
        jitdump_free(jd);
        /* the program's own user's is not */
        struct jit_trust own = {12345, false};
        jd = jitdump_new(path, &own);
        assert_string_equal(jitdump_find(jd, 0x1004, NULL, NULL), "first");
        jitdump_free(jd);
        struct jit_trust any = {(uid_t)-1, true};
        jd = jitdump_new(path, &any);
        assert_string_equal(jitdump_find(jd, 0x1004, NULL, NULL), "first");
        jitdump_free(jd);
    }
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_unwinding_info),
        cmocka_unit_test(test_growing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
