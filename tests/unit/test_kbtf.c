/* kbtf: the kernel program's few kernel types, made from the running
 * kernel's BTF at its offsets, and an entry of the cache used only when it
 * is exactly those. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <cmocka.h>

#include "tprof/cache.h"
#include "tprof/kbtf.h"

#define VMLINUX "/sys/kernel/btf/vmlinux"

/* Member NAME of struct SNAME in B: its byte offset, -1 when none. */
static long offset_of(const struct btf *b, const char *sname, const char *name)
{
    int id = btf__find_by_name_kind(b, sname, BTF_KIND_STRUCT);
    const struct btf_type *t = id > 0 ? btf__type_by_id(b, (__u32)id) : NULL;
    if (!t)
        return -1;
    const struct btf_member *m = btf_members(t);
    for (__u16 i = 0; i < btf_vlen(t); i++, m++)
        if (strcmp(btf__name_by_offset(b, m->name_off), name) == 0)
            return (long)btf_member_bit_offset(t, i) / 8;
    return -1;
}

static void test_make(void **state)
{
    (void)state;
    if (access(VMLINUX, R_OK) != 0)
        skip();
    struct btf *vm = btf__load_vmlinux_btf();
    assert_non_null(vm);
    struct btf *b = kbtf_make(vm);
    assert_non_null(b);
    assert_true(kbtf_good(b));
    /* the kernel's own offsets, each */
    const char *fields[][2] = {{"task_struct", "thread"},
                               {"task_struct", "real_parent"},
                               {"task_struct", "tgid"},
                               {"thread_struct", "fsbase"}};
    for (size_t i = 0; i < 4; i++) {
        long want = offset_of(vm, fields[i][0], fields[i][1]);
        assert_true(want >= 0);
        assert_int_equal(offset_of(b, fields[i][0], fields[i][1]), want);
    }
    /* what is written is what is read back */
    __u32 size = 0;
    const void *raw = btf__raw_data(b, &size);
    assert_non_null(raw);
    struct btf *back = btf__new(raw, size);
    assert_non_null(back);
    assert_true(kbtf_good(back));
    btf__free(back);
    btf__free(b);
    btf__free(vm);
}

/* A BTF shaped as kbtf_make's: thread_struct (16 bytes) with fsbase at
 * FSBASE, task_struct (64) with tgid of type TGID_TYPE; the pointer type
 * last, if WITH_PTR. */
static struct btf *shaped(__u32 fsbase, int tgid_type, bool with_ptr)
{
    struct btf *b = btf__new_empty();
    btf__add_int(b, "int", 4, BTF_INT_SIGNED);
    btf__add_int(b, "long unsigned int", 8, 0);
    btf__add_struct(b, "thread_struct", 16);
    btf__add_field(b, "fsbase", 2, fsbase * 8, 0);
    btf__add_struct(b, "task_struct", 64);
    btf__add_field(b, "thread", 3, 0, 0);
    btf__add_field(b, "real_parent", 5, 16 * 8, 0);
    btf__add_field(b, "tgid", tgid_type, 24 * 8, 0);
    if (with_ptr)
        btf__add_ptr(b, 4);
    return b;
}

/* Anything but exactly those five types is refused. */
static void test_refused(void **state)
{
    (void)state;
    struct btf *b = btf__new_empty();
    assert_false(kbtf_good(b)); /* nothing */
    btf__free(b);
    b = shaped(8, 1, true);
    assert_true(kbtf_good(b)); /* (the shape itself is good) */
    btf__free(b);
    struct {
        __u32 fsbase;
        int tgid_type;
        bool with_ptr;
        const char *what;
    } bad[] = {
        {8, 1, false, "no pointer type"},
        {12, 1, true, "fsbase past its struct's end"},
        {8, 2, true, "tgid of the wrong type"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        b = shaped(bad[i].fsbase, bad[i].tgid_type, bad[i].with_ptr);
        if (kbtf_good(b))
            fail_msg("%s: taken as good", bad[i].what);
        btf__free(b);
    }
    /* not BTF at all */
    static const char junk[] = "not a btf, not at all";
    assert_null(btf__new(junk, sizeof(junk)));
}

/* The entry: made when missing, remade when not good, none without a
 * cache. */
static void test_entry(void **state)
{
    (void)state;
    char id[40];
    if (access(VMLINUX, R_OK) != 0 || !cache_boot_id(id, sizeof(id)))
        skip();
    char dir[] = "/tmp/tprof-kbtf.XXXXXX";
    assert_non_null(mkdtemp(dir));
    cache_set_dir(dir);
    char *p = kbtf_path();
    assert_non_null(p);
    char want[128];
    snprintf(want, sizeof(want), "%s/kbtf-%s", dir, id);
    assert_string_equal(p, want);
    FILE *f = fopen(p, "w"); /* a corrupt entry */
    assert_non_null(f);
    fputs("garbage", f);
    fclose(f);
    free(kbtf_path());
    struct btf *b = btf__parse_raw(p);
    assert_non_null(b); /* remade */
    assert_true(kbtf_good(b));
    btf__free(b);
    unlink(p);
    free(p);
    rmdir(dir);
    cache_set_enabled(false);
    assert_null(kbtf_path());
    cache_set_enabled(true);
    cache_set_dir(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_make),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_entry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
