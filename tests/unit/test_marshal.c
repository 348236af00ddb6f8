/* marshal: Python's marshal format, hand-built byte by byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "marshal_bytes.h"

#include "tprof/marshal.h"

static void z(struct buf *b, const char *s) /* short ASCII */
{
    u8(b, 'z');
    u8(b, (unsigned)strlen(s));
    for (const char *p = s; *p; p++)
        u8(b, (unsigned char)*p);
}

static void bytes(struct buf *b, size_t n)
{
    u8(b, 's');
    i32(b, (int32_t)n);
    for (size_t i = 0; i < n; i++)
        u8(b, 0x64);
}

static const struct mobj *read_ok(struct buf *b, struct marshal **m)
{
    char err[256] = "";
    const struct mobj *top;
    *m = marshal_read(b->b, b->n, &top, err, sizeof(err));
    if (!*m)
        fail_msg("marshal_read: %s", err);
    return top;
}

static const char *read_err(struct buf *b)
{
    static char err[256];
    const struct mobj *top;
    struct marshal *m = marshal_read(b->b, b->n, &top, err, sizeof(err));
    assert_null(m);
    assert_null(top);
    return err;
}

static void test_scalars_and_containers(void **state)
{
    (void)state;
    struct buf b = {0};
    u8(&b, ')'); /* small tuple of 6 */
    u8(&b, 6);
    u8(&b, 'i');
    i32(&b, -7);
    u8(&b, 'g'); /* 1.5 */
    const unsigned char d[8] = {0, 0, 0, 0, 0, 0, 0xf8, 0x3f};
    for (int i = 0; i < 8; i++)
        u8(&b, d[i]);
    u8(&b, 'l'); /* 2^30 + 1 = digits 1, 0, 1 (15 bits each) */
    i32(&b, 3);
    u8(&b, 1), u8(&b, 0), u8(&b, 0), u8(&b, 0), u8(&b, 1), u8(&b, 0);
    u8(&b, 'u');
    i32(&b, 3);
    u8(&b, 'a'), u8(&b, 'b'), u8(&b, 'c');
    u8(&b, 'N');
    u8(&b, '{'); /* {1: True} */
    u8(&b, 'i');
    i32(&b, 1);
    u8(&b, 'T');
    u8(&b, '0');
    struct marshal *m;
    const struct mobj *t = read_ok(&b, &m);
    assert_int_equal(t->type, M_TUPLE);
    assert_int_equal(t->len, 6);
    assert_int_equal(t->v[0]->i, -7);
    assert_true(t->v[1]->f == 1.5);
    assert_int_equal(t->v[2]->i, (1 << 30) + 1);
    assert_false(t->v[2]->big);
    assert_int_equal(t->v[3]->n, 3);
    assert_memory_equal(t->v[3]->s, "abc", 3);
    assert_int_equal(t->v[4]->type, M_NONE);
    assert_int_equal(t->v[5]->type, M_DICT);
    assert_int_equal(t->v[5]->len, 1);
    assert_int_equal(t->v[5]->v[1]->type, M_BOOL);
    marshal_free(m);
}

static void test_big_long_saturates(void **state)
{
    (void)state;
    struct buf b = {0};
    u8(&b, 'l');
    i32(&b, -6); /* 90 bits, negative */
    for (int i = 0; i < 6; i++)
        u8(&b, 0xff), u8(&b, 0x7f);
    struct marshal *m;
    const struct mobj *o = read_ok(&b, &m);
    assert_true(o->big);
    assert_true(o->i == -INT64_MAX);
    marshal_free(m);
}

/* FLAG_REF: the tuple is reference 0 before its items; a string reference 1;
 * 'r' 1 names the string again, 'r' 0 the tuple itself (a cycle). */
static void test_references(void **state)
{
    (void)state;
    struct buf b = {0};
    u8(&b, ')' | 0x80);
    u8(&b, 3);
    u8(&b, 'z' | 0x80);
    u8(&b, 2);
    u8(&b, 'h'), u8(&b, 'i');
    u8(&b, 'r');
    i32(&b, 1);
    u8(&b, 'r');
    i32(&b, 0);
    struct marshal *m;
    const struct mobj *t = read_ok(&b, &m);
    assert_ptr_equal(t->v[0], t->v[1]);
    assert_ptr_equal(t->v[2], t);
    marshal_free(m);

    struct buf bad = {0};
    u8(&bad, 'r');
    i32(&bad, 0);
    assert_non_null(strstr(read_err(&bad), "invalid reference"));
}

/* A code object as 3.11-3.13 write it (5 ints, qualname) and as 3.8-3.10
 * do (6 ints, no qualname), with FLAG_REF set: both read, in either order. */
static void code311(struct buf *b, const char *qual)
{
    u8(b, 'c' | 0x80);
    for (int i = 0; i < 5; i++)
        i32(b, i == 4 ? 0x43 : 0);
    bytes(b, 4);
    u8(b, ')'), u8(b, 0);
    u8(b, ')'), u8(b, 0);
    u8(b, ')'), u8(b, 0);
    bytes(b, 0);
    z(b, "prof.py");
    z(b, "f");
    z(b, qual);
    i32(b, 12);
    bytes(b, 2);
    bytes(b, 0);
}

static void code38(struct buf *b)
{
    u8(b, 'c' | 0x80);
    for (int i = 0; i < 6; i++)
        i32(b, i == 5 ? 0x43 : 0); /* flags: 0x43 'C', no type code */
    bytes(b, 4);
    for (int i = 0; i < 5; i++)
        u8(b, ')'), u8(b, 0);
    z(b, "old.py");
    z(b, "g");
    i32(b, 7);
    bytes(b, 2);
}

static void test_code_objects_of_both_layouts(void **state)
{
    (void)state;
    struct buf b = {0};
    u8(&b, ')');
    u8(&b, 2);
    code311(&b, "C.f");
    code38(&b);
    struct marshal *m;
    const struct mobj *t = read_ok(&b, &m);
    const struct mobj *c = t->v[0];
    assert_int_equal(c->type, M_CODE);
    assert_memory_equal(c->code.qualname->s, "C.f", 3);
    assert_memory_equal(c->code.filename->s, "prof.py", 7);
    assert_int_equal(c->code.firstlineno, 12);
    c = t->v[1];
    assert_int_equal(c->type, M_CODE);
    assert_null(c->code.qualname);
    assert_memory_equal(c->code.name->s, "g", 1);
    assert_int_equal(c->code.firstlineno, 7);
    marshal_free(m);

    struct buf b2 = {0}; /* the old layout first */
    code38(&b2);
    t = read_ok(&b2, &m);
    assert_int_equal(t->code.firstlineno, 7);
    marshal_free(m);
}

/* Code objects nested deep inside code objects that fit no layout: read
 * in bounded time (no retry inside a retry), refused. */
static void test_nested_bad_code_is_refused_quickly(void **state)
{
    (void)state;
    struct buf b = {0};
    for (int d = 0; d < 150; d++) {
        u8(&b, 'c');
        for (int i = 0; i < 5; i++)
            i32(&b, 0);
        bytes(&b, 1);
        u8(&b, ')'); /* consts: a tuple holding the next code object */
        u8(&b, 1);
    }
    u8(&b, 'N');
    assert_non_null(strstr(read_err(&b), "code object"));
}

static void test_hostile_input(void **state)
{
    (void)state;
    struct buf b = {0};
    u8(&b, '('); /* a tuple claiming 2^31-1 items in 5 bytes */
    i32(&b, 0x7fffffff);
    assert_non_null(strstr(read_err(&b), "past the end"));
    b.n = 0;
    u8(&b, 's');
    i32(&b, -1);
    assert_non_null(strstr(read_err(&b), "negative"));
    b.n = 0;
    u8(&b, 'u');
    i32(&b, 10);
    u8(&b, 'x');
    assert_non_null(strstr(read_err(&b), "past the end"));
    b.n = 0;
    for (int i = 0; i < 1000; i++) /* nested lists */
        u8(&b, ')'), u8(&b, 1);
    u8(&b, 'N');
    assert_non_null(strstr(read_err(&b), "nested too deep"));
    b.n = 0;
    u8(&b, 'Q');
    assert_non_null(strstr(read_err(&b), "unknown marshal type code 0x51 at offset 0"));
    b.n = 0;
    u8(&b, 'N');
    u8(&b, 'N');
    assert_non_null(strstr(read_err(&b), "data after"));
    b.n = 0;
    u8(&b, 'l'); /* unnormalized: top digit 0 */
    i32(&b, 1);
    u8(&b, 0), u8(&b, 0);
    assert_non_null(strstr(read_err(&b), "unnormalized"));
    b.n = 0;
    u8(&b, 'l'); /* a digit of 16 bits */
    i32(&b, 1);
    u8(&b, 0), u8(&b, 0x80);
    assert_non_null(strstr(read_err(&b), "digit out of range"));
    b.n = 0;
    u8(&b, 'i');
    u8(&b, 1);
    assert_non_null(strstr(read_err(&b), "truncated"));
    b.n = 0;
    assert_non_null(strstr(read_err(&b), "truncated"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars_and_containers),
        cmocka_unit_test(test_big_long_saturates),
        cmocka_unit_test(test_references),
        cmocka_unit_test(test_code_objects_of_both_layouts),
        cmocka_unit_test(test_nested_bad_code_is_refused_quickly),
        cmocka_unit_test(test_hostile_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
