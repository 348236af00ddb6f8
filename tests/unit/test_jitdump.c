/* jitdump: code-load and code-move records, as runtimes write them, read
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
        cmocka_unit_test(test_growing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
