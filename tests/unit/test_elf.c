#include <dlfcn.h>
#include <link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tprof/elf.h"

/* A function of known size followed by 32 bytes no symbol covers. */
__asm__(".text\n"
        ".globl sized_fn\n.type sized_fn,@function\n"
        "sized_fn:\n ret\n nop\n nop\n nop\n.size sized_fn, 4\n"
        ".skip 32, 0x90\n"
        ".globl after_gap\n.type after_gap,@function\n"
        "after_gap:\n ret\n.size after_gap, 1\n");
void sized_fn(void);
void after_gap(void);

/* Hand-written entry code: an untyped label (no .type, no .size, no CFI),
 * like ld.so's _start, then a function. */
__asm__(".text\n"
        ".globl entry_label\n"
        "entry_label:\n nop\n nop\n ret\n"
        ".skip 16, 0x90\n"
        ".globl after_label\n.type after_label,@function\n"
        "after_label:\n ret\n.size after_label, 1\n");
void entry_label(void);
void after_label(void);

/* An untyped label that ends its own section, then a section that starts
 * with bytes no symbol covers: the label covers nothing past its section. */
__asm__(".section tprof_sec,\"ax\",@progbits\n"
        ".globl sec_label\n"
        "sec_label:\n nop\n ret\n"
        ".section tprof_sec2,\"ax\",@progbits\n"
        ".skip 16, 0x90\n"
        ".text\n");
void sec_label(void);
extern char __start_tprof_sec2[];

__attribute__((noinline)) int elf_probe_fn(int x)
{
    return x * 3 + 1;
}

static char exe[4096];
static uintptr_t exe_base;

static int first_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    exe_base = info->dlpi_addr; /* the main program comes first */
    return 1;
}

static uint64_t vaddr_of(const void *fn)
{
    return (uint64_t)(uintptr_t)fn - exe_base;
}

static int setup(void **state)
{
    (void)state;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    exe[n > 0 ? n : 0] = '\0';
    dl_iterate_phdr(first_object, NULL);
    return 0;
}

static void test_symbols_of_own_executable(void **state)
{
    (void)state;
    struct dso_cache *c = dso_cache_new();
    struct dso *d = dso_cache_get(c, exe, NULL, 0);
    assert_true(dso_ok(d));
    assert_string_equal(dso_basename(d), "test_elf");
    uint64_t start, v = vaddr_of((void *)elf_probe_fn);
    assert_string_equal(dso_symbol(d, v, &start), "elf_probe_fn");
    assert_int_equal(start, v);
    assert_string_equal(dso_symbol(d, v + 2, NULL), "elf_probe_fn");
    assert_true(dso_symbol_count(d) > 10);
    assert_string_equal(dso_symbol_source(d), exe);
    /* Same path, same dso. */
    assert_ptr_equal(dso_cache_get(c, exe, NULL, 0), d);
    dso_cache_free(c);
}

static void test_address_past_symbol_size_is_not_that_symbol(void **state)
{
    (void)state;
    struct dso_cache *c = dso_cache_new();
    struct dso *d = dso_cache_get(c, exe, NULL, 0);
    uint64_t v = vaddr_of((void *)sized_fn);
    assert_string_equal(dso_symbol(d, v + 3, NULL), "sized_fn");
    assert_null(dso_symbol(d, v + 4, NULL));
    assert_null(dso_symbol(d, v + 35, NULL));
    assert_string_equal(dso_symbol(d, vaddr_of((void *)after_gap), NULL), "after_gap");
    dso_cache_free(c);
}

static void test_untyped_label_in_code(void **state)
{
    (void)state;
    struct dso_cache *c = dso_cache_new();
    struct dso *d = dso_cache_get(c, exe, NULL, 0);
    uint64_t start, v = vaddr_of((void *)entry_label);
    /* no CFI covers it: named up to the next symbol, as perf does */
    assert_string_equal(dso_symbol(d, v + 1, &start), "entry_label");
    assert_int_equal(start, v);
    assert_string_equal(dso_symbol(d, v + 18, NULL), "entry_label");
    assert_string_equal(dso_symbol(d, vaddr_of((void *)after_label), NULL), "after_label");
    /* nor past the end of its section (the linker put tprof_sec2 next) */
    uint64_t l = vaddr_of((void *)sec_label), e = vaddr_of(__start_tprof_sec2);
    assert_string_equal(dso_symbol(d, l + 1, NULL), "sec_label");
    assert_true(e > l && e - l < 64);
    assert_null(dso_symbol(d, e + 4, NULL));
    /* a sized function's gap stays unnamed */
    assert_null(dso_symbol(d, vaddr_of((void *)sized_fn) + 4, NULL));
    dso_cache_free(c);
}

static void test_unwind_tables(void **state)
{
    (void)state;
    struct dso_cache *c = dso_cache_new();
    struct dso *d = dso_cache_get(c, exe, NULL, 0);
    uint64_t hdr, off, count;
    assert_int_equal(dso_eh_frame_hdr(d, &hdr, &off, &count), 0);
    assert_true(count > 10);
    assert_int_equal(off, 12);
    uint64_t s, e, v = vaddr_of((void *)elf_probe_fn);
    assert_int_equal(dso_fde_range(d, v + 1, &s, &e), 0);
    assert_int_equal(s, v);
    assert_true(e > v + 4);
    assert_int_equal(dso_fde_range(d, e - 1, &s, &e), 0);
    assert_int_equal(s, v);
    assert_int_equal(dso_fde_range(d, vaddr_of((void *)sized_fn), &s, &e), -1); /* no CFI */
    uint64_t va;
    assert_int_equal(dso_offset_to_vaddr(d, 0, &va), 0);
    assert_int_equal(va, 0); /* PIE: first segment at 0 */
    dso_cache_free(c);
}

static void test_unusable_files(void **state)
{
    (void)state;
    struct dso_cache *c = dso_cache_new();
    struct dso *d = dso_cache_get(c, "/nonexistent/lib.so", NULL, 0);
    assert_false(dso_ok(d));
    assert_non_null(strstr(dso_error(d), "No such file"));
    assert_null(dso_symbol(d, 0x1000, NULL));
    d = dso_cache_get(c, "/etc/hostname", NULL, 0);
    assert_false(dso_ok(d));
    /* A file replaced since it was mapped: the build-id says so. */
    uint8_t wrong[20] = {1, 2, 3};
    d = dso_cache_get(c, exe, wrong, 20);
    assert_false(dso_ok(d));
    assert_non_null(strstr(dso_error(d), "build-id"));
    dso_cache_free(c);
}

/* A file truncated while tprof has it mapped (cp of a new build over a
 * library): the read past its new end does not kill tprof (SIGBUS); the
 * dso is unusable from then on, said once. */
static void test_file_truncated_under_us(void **state)
{
    (void)state;
    char path[] = "/tmp/tprof-unit-elf.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *in = fopen("/proc/self/exe", "re");
    assert_non_null(in);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        assert_int_equal(write(fd, buf, n), (ssize_t)n);
    fclose(in);
    struct dso_cache *c = dso_cache_new();
    struct dso *d = dso_cache_get(c, path, NULL, 0);
    assert_true(dso_ok(d)); /* mapped, headers read; symbols not yet */
    assert_int_equal(ftruncate(fd, 0), 0);
    close(fd);
    uint64_t start;
    assert_null(dso_symbol(d, vaddr_of((void *)elf_probe_fn), &start));
    assert_false(dso_ok(d));
    assert_non_null(strstr(dso_error(d), "changed on disk while tprof read it"));
    assert_true(dso_take_changed_note(d));
    assert_false(dso_take_changed_note(d));
    dso_cache_free(c);
    unlink(path);
}

static void test_vdso(void **state)
{
    (void)state;
    struct dso_cache *c = dso_cache_new();
    struct dso *d = dso_cache_get(c, "[vdso]", NULL, 0);
    assert_true(dso_ok(d));
    assert_true(dso_symbol_count(d) > 0);
    dso_cache_free(c);
}

/* libc: getpid (weak) wins over __getpid (global) and __GI___getpid (local).
 * (Not qsort: AddressSanitizer interposes its own.) */
static void test_libc_aliases(void **state)
{
    (void)state;
    Dl_info info;
    void *fn = dlsym(RTLD_DEFAULT, "getpid");
    assert_non_null(fn);
    assert_true(dladdr(fn, &info) != 0);
    struct dso_cache *c = dso_cache_new();
    struct dso *d = dso_cache_get(c, info.dli_fname, NULL, 0);
    uint64_t v = (uint64_t)((uintptr_t)fn - (uintptr_t)info.dli_fbase);
    assert_string_equal(dso_symbol(d, v, NULL), "getpid");
    if (strstr(dso_symbol_source(d), "/usr/lib/debug"))
        assert_true(dso_symbol_count(d) > 3000); /* .dynsym has 2834; the debug .symtab more */
    dso_cache_free(c);
}

/* Each PLT stub is NAME@plt, as perf names it: the stub's jmp says which
 * GOT slot, the relocation of that slot which function. This program calls
 * cmocka through its PLT; PLT0 has no name. */
static void test_plt_stubs(void **state)
{
    (void)state;
    struct dso_cache *c = dso_cache_new();
    struct dso *d = dso_cache_get(c, exe, NULL, 0);
    uint64_t va, size;
    assert_int_equal(dso_find_section(d, ".plt", &va, &size), 0);
    assert_true(size >= 32);
    assert_null(dso_symbol(d, va, NULL));
    bool cmocka = false;
    size_t named = 0;
    for (uint64_t a = va + 16; a < va + size; a += 16) {
        uint64_t start;
        const char *n = dso_symbol(d, a + 4, &start);
        assert_non_null(n);
        assert_int_equal(start, a);
        size_t len = strlen(n);
        assert_true(len > 4 && strcmp(n + len - 4, "@plt") == 0);
        cmocka |= strcmp(n, "_cmocka_run_group_tests@plt") == 0;
        named++;
    }
    assert_true(cmocka);
    assert_int_equal(named, size / 16 - 1);
    dso_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_symbols_of_own_executable),
        cmocka_unit_test(test_address_past_symbol_size_is_not_that_symbol),
        cmocka_unit_test(test_untyped_label_in_code),
        cmocka_unit_test(test_unwind_tables),
        cmocka_unit_test(test_unusable_files),
        cmocka_unit_test(test_file_truncated_under_us),
        cmocka_unit_test(test_vdso),
        cmocka_unit_test(test_libc_aliases),
        cmocka_unit_test(test_plt_stubs),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
