#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tprof/profile.h"

static uint32_t F(struct profile *p, const char *name)
{
    return frames_intern(profile_frames(p), name, strlen(name), FRAME_USER, "");
}

/* The child of PARENT with frame FRAME, or PROFILE_NONE. */
static uint32_t child(const struct profile *p, uint32_t parent, uint32_t frame)
{
    for (uint32_t c = profile_node(p, parent)->first_child; c != PROFILE_NONE;
         c = profile_node(p, c)->next_sibling)
        if (profile_node(p, c)->frame == frame)
            return c;
    return PROFILE_NONE;
}

static void test_self_and_total(void **state)
{
    (void)state;
    struct profile *p = profile_new();
    uint32_t m = F(p, "main"), a = F(p, "a"), b = F(p, "b");
    profile_add_stack(p, (uint32_t[]){m, a}, 2, 3);
    profile_add_stack(p, (uint32_t[]){m, b}, 2, 1);
    profile_add_stack(p, (uint32_t[]){m}, 1, 2);
    profile_add_stack(p, (uint32_t[]){m, a, b}, 3, 0.5);

    assert_true(profile_total(p) == 6.5);
    uint32_t nm = child(p, PROFILE_ROOT, m);
    uint32_t na = child(p, nm, a);
    uint32_t nb = child(p, nm, b);
    uint32_t nab = child(p, na, b);
    assert_true(profile_node(p, nm)->total == 6.5);
    assert_true(profile_node(p, nm)->self == 2);
    assert_true(profile_node(p, na)->total == 3.5);
    assert_true(profile_node(p, na)->self == 3);
    assert_true(profile_node(p, nb)->total == 1);
    assert_true(profile_node(p, nab)->self == 0.5);
    assert_int_equal(profile_node(p, nab)->parent, na);
    assert_int_equal(profile_node_count(p), 5); /* root, main, a, b, a;b */
    assert_int_equal(profile_stacks_added(p), 4);
    profile_free(p);
}

static void test_hit_child_moves_to_front(void **state)
{
    (void)state;
    struct profile *p = profile_new();
    uint32_t x = F(p, "x"), y = F(p, "y");
    profile_add_stack(p, &x, 1, 1);
    profile_add_stack(p, &y, 1, 1); /* y is now first */
    assert_int_equal(profile_node(p, profile_node(p, PROFILE_ROOT)->first_child)->frame, y);
    profile_add_stack(p, &x, 1, 1);
    assert_int_equal(profile_node(p, profile_node(p, PROFILE_ROOT)->first_child)->frame, x);
    assert_int_equal(profile_node_count(p), 3);
    profile_free(p);
}

static void test_empty_stack_stays_on_root(void **state)
{
    (void)state;
    struct profile *p = profile_new();
    profile_add_stack(p, NULL, 0, 4);
    assert_true(profile_node(p, PROFILE_ROOT)->self == 4);
    assert_true(profile_total(p) == 4);
    assert_int_equal(profile_node(p, PROFILE_ROOT)->first_child, PROFILE_NONE);
    profile_free(p);
}

/* Merging: frames matched by name, kind and module; selfs add up, totals
 * follow; the source is left as it was. */
static void test_merge(void **state)
{
    (void)state;
    struct profile *a = profile_new(), *b = profile_new();
    uint32_t am = frames_intern(profile_frames(a), "main", 4, FRAME_USER, "prog");
    uint32_t ax = frames_intern(profile_frames(a), "x", 1, FRAME_USER, "prog");
    profile_add_stack(a, (uint32_t[]){am, ax}, 2, 3);
    /* b interns in another order, and has a namesake from another module */
    uint32_t by = frames_intern(profile_frames(b), "y", 1, FRAME_KERNEL, "");
    uint32_t bx = frames_intern(profile_frames(b), "x", 1, FRAME_USER, "prog");
    uint32_t bm = frames_intern(profile_frames(b), "main", 4, FRAME_USER, "prog");
    uint32_t bx2 = frames_intern(profile_frames(b), "x", 1, FRAME_USER, "libx.so");
    profile_add_stack(b, (uint32_t[]){bm, bx}, 2, 2);
    profile_add_stack(b, (uint32_t[]){bm, by}, 2, 5);
    profile_add_stack(b, (uint32_t[]){bm, bx2}, 2, 1);
    profile_add_stack(b, (uint32_t[]){bm}, 1, 4);
    profile_merge(a, b);
    assert_true(profile_total(a) == 15);
    assert_true(profile_total(b) == 12);
    uint32_t m = profile_node(a, PROFILE_ROOT)->first_child;
    assert_int_equal(profile_node(a, m)->frame, am);
    assert_true(profile_node(a, m)->self == 4 && profile_node(a, m)->total == 15);
    size_t kids = 0;
    for (uint32_t c = profile_node(a, m)->first_child; c != PROFILE_NONE;
         c = profile_node(a, c)->next_sibling) {
        const struct frame *f = frames_get(profile_frames_const(a), profile_node(a, c)->frame);
        double want = strcmp(f->name, "y") == 0 ? 5 : strcmp(f->module, "libx.so") == 0 ? 1 : 5;
        assert_true(profile_node(a, c)->total == want);
        if (strcmp(f->name, "y") == 0)
            assert_int_equal(f->kind, FRAME_KERNEL);
        kids++;
    }
    assert_int_equal(kids, 3);
    assert_int_equal(frames_count(profile_frames_const(a)), 4);
    profile_free(a);
    profile_free(b);
}

/* Every node's depth at once agrees with each node's own walk up, on a
 * tree with branches and a 2000-deep chain (the SVG writer's one pass). */
static void test_depths(void **state)
{
    (void)state;
    struct profile *p = profile_new();
    uint32_t m = F(p, "main"), a = F(p, "a"), b = F(p, "b");
    uint32_t n = profile_child(p, PROFILE_ROOT, m);
    profile_child(p, n, a);
    uint32_t deep = profile_child(p, n, b);
    for (int i = 0; i < 2000; i++)
        deep = profile_child(p, deep, i % 2 ? a : b);
    profile_add_at(p, deep, 1);
    profile_child(p, profile_child(p, PROFILE_ROOT, a), b);
    unsigned *d = profile_depths(p);
    size_t nn = profile_node_count(p);
    for (size_t i = 0; i < nn; i++)
        assert_int_equal(d[i], profile_depth(p, (uint32_t)i));
    assert_int_equal(d[deep], 2002);
    assert_int_equal(d[PROFILE_ROOT], 0);
    free(d);
    profile_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_self_and_total),
        cmocka_unit_test(test_hit_child_moves_to_front),
        cmocka_unit_test(test_empty_stack_stays_on_root),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_depths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
