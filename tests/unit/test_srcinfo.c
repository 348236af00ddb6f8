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
#include "tprof/srcinfo.h"
#include "tprof/symbols.h"

/* Known inlining in this very file (built -O2 -g): inner() is inlined into
 * outer_fn(); the return address of its call to probe() is in inner's
 * inlined code. The lines are recorded where the calls are made. */
static volatile uintptr_t ret_addr;
static volatile int line_probe, line_inner, sink;

__attribute__((noinline, noclone)) static void probe(void)
{
    ret_addr = (uintptr_t)__builtin_return_address(0);
    __asm__ volatile("" ::: "memory");
}

static inline __attribute__((always_inline)) void inner(void)
{
    line_probe = __LINE__, probe();
    sink++; /* (no tail call) */
}

__attribute__((noinline, noclone)) static void outer_fn(void)
{
    line_inner = __LINE__, inner();
    sink++;
}

/* The ELF vaddr of ADDR in this process's executable. */
static uint64_t self_vaddr(struct dso *d, uintptr_t addr)
{
    FILE *f = fopen("/proc/self/maps", "re");
    assert_non_null(f);
    unsigned long lo, hi, off;
    char line[512];
    uint64_t v = 0;
    bool found = false;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "%lx-%lx %*s %lx", &lo, &hi, &off) == 3 && addr >= lo && addr < hi) {
            assert_int_equal(dso_offset_to_vaddr(d, addr - lo + off, &v), 0);
            found = true;
        }
    fclose(f);
    assert_true(found);
    return v;
}

static char *self_path(void)
{
    static char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    assert_true(n > 0);
    exe[n] = '\0';
    return exe;
}

static void test_chain_and_lines(void **state)
{
    (void)state;
    outer_fn();
    struct dso_cache *c = dso_cache_new();
    struct dso *d = dso_cache_get(c, self_path(), NULL, 0);
    assert_non_null(dso_dwarf(d));
    struct srcinfo *si = srcinfo_new();
    uint64_t v = self_vaddr(d, ret_addr - 1);
    struct src_frame f[SRCINFO_MAX];
    size_t n = srcinfo_frames(si, d, v, f, SRCINFO_MAX);
    assert_int_equal(n, 2);
    assert_string_equal(f[0].name, "outer_fn");
    assert_string_equal(f[0].file, "test_srcinfo.c");
    assert_int_equal(f[0].line, line_inner); /* the inlined call */
    assert_string_equal(f[1].name, "inner");
    assert_string_equal(f[1].file, "test_srcinfo.c");
    assert_int_equal(f[1].line, line_probe); /* the line executing */
    srcinfo_clear(f, n);
    /* asked again (the unit's index is built once): the same */
    n = srcinfo_frames(si, d, v, f, SRCINFO_MAX);
    assert_int_equal(n, 2);
    srcinfo_clear(f, n);
    /* room for one: the function, with the line of its call */
    n = srcinfo_frames(si, d, v, f, 1);
    assert_int_equal(n, 1);
    assert_string_equal(f[0].name, "outer_fn");
    assert_int_equal(f[0].line, line_inner);
    srcinfo_clear(f, n);
    /* code inlined nowhere: its function alone */
    n = srcinfo_frames(si, d, self_vaddr(d, (uintptr_t)probe), f, SRCINFO_MAX);
    assert_int_equal(n, 1);
    assert_string_equal(f[0].name, "probe");
    srcinfo_clear(f, n);
    /* outside every unit */
    assert_int_equal(srcinfo_frames(si, d, 0x10, f, SRCINFO_MAX), 0);
    srcinfo_free(si);
    dso_cache_free(c);
}

/* A file with no DWARF (or no ELF): nothing, no crash. */
static void test_no_dwarf(void **state)
{
    (void)state;
    char path[] = "/tmp/tprof-unit-srcinfo.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    char junk[4096];
    memset(junk, 0x7f, sizeof(junk));
    assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
    close(fd);
    struct dso_cache *c = dso_cache_new();
    struct dso *d = dso_cache_get(c, path, NULL, 0);
    assert_null(dso_dwarf(d));
    struct srcinfo *si = srcinfo_new();
    struct src_frame f[SRCINFO_MAX];
    assert_int_equal(srcinfo_frames(si, d, 0x1000, f, SRCINFO_MAX), 0);
    srcinfo_free(si);
    dso_cache_free(c);
    unlink(path);
}

/* Through symbols: the frames of an address, by option. */
static void test_symbols_frames(void **state)
{
    (void)state;
    outer_fn();
    uint32_t pid = (uint32_t)getpid();
    char err[256];
    struct symref *out[SRCINFO_MAX];
    char want[2][128];
    snprintf(want[0], sizeof(want[0]), "outer_fn (test_srcinfo.c:%d)", line_inner);
    snprintf(want[1], sizeof(want[1]), "inner (test_srcinfo.c:%d)", line_probe);

    struct symbols_opts o = {.inlined = true, .lines = true};
    struct symbols *s = symbols_new(&o);
    assert_int_equal(symbols_load_proc_maps(s, pid, err, sizeof(err)), 0);
    size_t n = symbols_user_frames(s, pid, ret_addr, true, out, SRCINFO_MAX);
    assert_int_equal(n, 2);
    assert_string_equal(out[0]->name, want[0]);
    assert_int_equal(out[0]->kind, SYM_USER);
    assert_string_equal(out[1]->name, want[1]);
    assert_int_equal(out[1]->kind, SYM_INLINE);
    assert_string_equal(out[1]->module, "test_srcinfo");
    /* the plain symbol is still the function's */
    assert_string_equal(symbols_user(s, pid, ret_addr, true)->name, "outer_fn");
    /* room for one */
    assert_int_equal(symbols_user_frames(s, pid, ret_addr, true, out, 1), 1);
    assert_string_equal(out[0]->name, want[0]);
    symbols_free(s);

    o.lines = false; /* inlined functions, by name */
    s = symbols_new(&o);
    assert_int_equal(symbols_load_proc_maps(s, pid, err, sizeof(err)), 0);
    assert_int_equal(symbols_user_frames(s, pid, ret_addr, true, out, SRCINFO_MAX), 2);
    assert_string_equal(out[0]->name, "outer_fn");
    assert_string_equal(out[1]->name, "inner");
    symbols_free(s);

    o.inlined = false; /* --no-inline --lines: the function, at the call */
    o.lines = true;
    s = symbols_new(&o);
    assert_int_equal(symbols_load_proc_maps(s, pid, err, sizeof(err)), 0);
    assert_int_equal(symbols_user_frames(s, pid, ret_addr, true, out, SRCINFO_MAX), 1);
    assert_string_equal(out[0]->name, want[0]);
    symbols_free(s);

    s = symbols_new(NULL); /* neither */
    assert_int_equal(symbols_load_proc_maps(s, pid, err, sizeof(err)), 0);
    assert_int_equal(symbols_user_frames(s, pid, ret_addr, true, out, SRCINFO_MAX), 1);
    assert_string_equal(out[0]->name, "outer_fn");
    symbols_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_and_lines),
        cmocka_unit_test(test_no_dwarf),
        cmocka_unit_test(test_symbols_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
