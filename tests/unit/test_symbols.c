#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "tprof/elf.h"
#include "tprof/symbols.h"

__attribute__((noinline)) int symbols_probe_fn(int x)
{
    return x * 5 + 2;
}

static void test_own_process_from_proc_maps(void **state)
{
    (void)state;
    struct symbols *s = symbols_new(NULL);
    char err[256];
    uint32_t pid = (uint32_t)getpid();
    assert_int_equal(symbols_load_proc_maps(s, pid, err, sizeof(err)), 0);
    uint64_t ip = (uint64_t)(uintptr_t)symbols_probe_fn;
    const struct symref *r = symbols_user(s, pid, ip, false);
    assert_string_equal(r->name, "symbols_probe_fn");
    assert_string_equal(r->module, "test_symbols");
    assert_int_equal(r->kind, SYM_USER);
    assert_int_equal(r->cookie, UINT32_MAX);
    /* A return address just past the function's start is still inside. */
    assert_ptr_equal(symbols_user(s, pid, ip + 1, true), r);
    /* The same answer is the same object (cached). */
    assert_ptr_equal(symbols_user(s, pid, ip, false), r);
    /* (not qsort: AddressSanitizer interposes its own) */
    const struct symref *q = symbols_user(s, pid, (uint64_t)(uintptr_t)getpid, false);
    assert_string_equal(q->module, "libc.so.6");
    assert_string_equal(symbols_user(s, pid, 0x10, false)->name, "[unknown]");
    assert_int_equal(symbols_load_proc_maps(s, 999999999, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/proc/999999999/maps"));
    symbols_free(s);
}

/* A re-read of /proc/PID/maps replaces what was known: a mapping gone since
 * is forgotten (dlopen unmaps ld.so.cache and may put the library there). */
static void test_proc_maps_reread_replaces(void **state)
{
    (void)state;
    struct symbols *s = symbols_new(NULL);
    char err[256];
    uint32_t pid = (uint32_t)getpid();
    FILE *f = fopen("/proc/self/exe", "re");
    assert_non_null(f);
    void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fileno(f), 0);
    assert_true(p != MAP_FAILED);
    uint64_t at = (uint64_t)(uintptr_t)p;
    assert_int_equal(symbols_load_proc_maps(s, pid, err, sizeof(err)), 0);
    const struct map *m = symbols_find_map(s, pid, at);
    assert_non_null(m);
    assert_int_equal(m->prot, PROT_READ);
    /* no code runs there: a frame in it is not named after the file */
    assert_string_equal(symbols_user(s, pid, at + 16, false)->name, "[unknown]");
    munmap(p, 4096);
    fclose(f);
    assert_int_equal(symbols_load_proc_maps(s, pid, err, sizeof(err)), 0);
    assert_null(symbols_find_map(s, pid, at));
    /* the rest is read again */
    m = symbols_find_map(s, pid, (uint64_t)(uintptr_t)symbols_probe_fn);
    assert_non_null(m);
    assert_true(m->prot & PROT_EXEC);
    symbols_free(s);
}

/* A library whose path holds a newline: /proc/PID/maps writes it as \012,
 * and the ptrace backend named it [module] where perf named it. */
static void test_proc_maps_newline_in_path(void **state)
{
    (void)state;
    char dir[] = "/tmp/tprof-unit.XXXXXX", path[300];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/lib\nnl.so", dir);
    FILE *in = fopen("/proc/self/exe", "re"), *out = fopen(path, "we");
    assert_non_null(in);
    assert_non_null(out);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    fclose(out);
    FILE *f = fopen(path, "re");
    void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fileno(f), 0);
    assert_true(p != MAP_FAILED);
    struct symbols *s = symbols_new(NULL);
    char err[256];
    uint32_t pid = (uint32_t)getpid();
    assert_int_equal(symbols_load_proc_maps(s, pid, err, sizeof(err)), 0);
    const struct map *m = symbols_find_map(s, pid, (uint64_t)(uintptr_t)p);
    assert_non_null(m);
    assert_non_null(m->dso);
    assert_string_equal(dso_path(m->dso), path);
    symbols_free(s);
    munmap(p, 4096);
    fclose(f);
    unlink(path);
    rmdir(dir);
}

static void test_unwind_find_serves_file_bytes(void **state)
{
    (void)state;
    struct symbols *s = symbols_new(NULL);
    char err[256];
    uint32_t pid = (uint32_t)getpid();
    assert_int_equal(symbols_load_proc_maps(s, pid, err, sizeof(err)), 0);
    struct unwind_mapping m;
    uint64_t ip = (uint64_t)(uintptr_t)symbols_probe_fn;
    /* the first time, no table: its unwind info is copied between walks */
    assert_int_equal(symbols_unwind_find(s, pid, ip, &m), 0);
    assert_false(m.has_table);
    assert_true(symbols_unwind_prepare(s));
    assert_false(symbols_unwind_prepare(s));
    assert_int_equal(symbols_unwind_find(s, pid, ip, &m), 0);
    assert_true(m.has_table);
    /* the table is served from a private copy, never the mapping */
    assert_non_null(m.cfi);
    assert_true(m.cfi_at <= m.hdr_vaddr + m.bias &&
                m.hdr_vaddr + m.bias + m.table_off + 8 * m.fde_count <= m.cfi_at + m.cfi_size);
    assert_non_null(m.data);
    /* The bytes served are the code that runs. */
    assert_memory_equal(m.data + (ip - m.start), (const void *)symbols_probe_fn, 8);
    assert_int_equal(symbols_unwind_find(s, pid, 0x10, &m), -1);
    symbols_free(s);
}

static void test_jit_and_kernel(void **state)
{
    (void)state;
    char dir[] = "/tmp/tprof-unit.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/perf-77.map", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "10000 100 LazyCompile:*hot app.js:3\n");
    fclose(f);
    snprintf(path, sizeof(path), "%s/kallsyms", dir);
    f = fopen(path, "w");
    fprintf(f, "ffffffff81000000 T vfs_read\nffffffff81001000 T vfs_write\n");
    fclose(f);
    struct symbols_opts o = {.perfmap_dir = dir, .kallsyms_path = path};
    struct symbols *s = symbols_new(&o);
    symbols_mmap(s, 77, 0x10000, 0x1000, 0, PROT_READ | PROT_EXEC, "//anon", NULL, 0);
    const struct symref *r = symbols_user(s, 77, 0x10010, false);
    assert_string_equal(r->name, "LazyCompile:*hot app.js:3");
    assert_int_equal(r->kind, SYM_JIT);
    assert_string_equal(symbols_user(s, 77, 0x10200, false)->name, "[unknown]");
    const struct symref *k = symbols_kernel(s, 0xffffffff81000010);
    assert_string_equal(k->name, "vfs_read");
    assert_int_equal(k->kind, SYM_KERNEL);
    assert_string_equal(symbols_kernel(s, 0x10)->name, "[kernel]");
    /* exec forgets the old address space */
    symbols_exec(s, 77);
    assert_string_equal(symbols_user(s, 77, 0x10010, false)->name, "[unknown]");
    symbols_free(s);
    unlink(path);
    snprintf(path, sizeof(path), "%s/perf-77.map", dir);
    unlink(path);
    rmdir(dir);
}

/* Little-endian integers into a jitdump being written. */
static void w32(FILE *f, uint32_t v)
{
    fwrite(&v, 4, 1, f);
}

static void w64(FILE *f, uint64_t v)
{
    fwrite(&v, 8, 1, f);
}

static void jit_load(FILE *f, uint64_t addr, uint64_t size, const char *name)
{
    size_t nl = strlen(name) + 1;
    w32(f, 0);
    w32(f, (uint32_t)(16 + 40 + nl + size));
    w64(f, 0);
    w32(f, 88);
    w32(f, 88);
    w64(f, addr);
    w64(f, addr);
    w64(f, size);
    w64(f, 0);
    fwrite(name, 1, nl, f);
    for (uint64_t i = 0; i < size; i++)
        fputc(0xcc, f);
}

/* A runtime that buffers its jitdump (node --perf-prof, python -X perf_jit):
 * code not named yet is "[jit 0xADDR]", one symref per address, renamed when
 * the dump has it (at the process's exit at the latest). */
static void test_jitdump_named_late(void **state)
{
    (void)state;
    char dir[] = "/tmp/tprof-unit.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/jit-88.dump", dir);
    FILE *f = fopen(path, "w");
    w32(f, 0x4A695444);
    w32(f, 1);
    w32(f, 40);
    w32(f, 62);
    w32(f, 0);
    w32(f, 88);
    w64(f, 0);
    w64(f, 0);
    jit_load(f, 0x20000, 0x40, "JS:*early a.js:1");
    fclose(f);
    struct symbols_opts o = {.perfmap_dir = dir, .kallsyms_path = "/nonexistent"};
    struct symbols *s = symbols_new(&o);
    symbols_mmap(s, 88, 0x20000, 0x10000, 0, PROT_READ | PROT_EXEC, "//anon", NULL, 0);
    /* the runtime maps its dump into itself: that is how it is found */
    symbols_mmap(s, 88, 0x90000, 0x1000, 0, PROT_READ | PROT_EXEC, path, NULL, 0);
    assert_string_equal(symbols_user(s, 88, 0x20010, false)->name, "JS:*early a.js:1");
    struct symref *late = symbols_user(s, 88, 0x21004, false);
    assert_string_equal(late->name, "[jit 0x21004]");
    assert_int_equal(late->kind, SYM_JIT);
    assert_ptr_equal(symbols_user(s, 88, 0x21004, false), late);
    assert_null(symbols_take_renamed(s));
    symbols_resolve_pending(s);
    assert_null(symbols_take_renamed(s)); /* not written yet */
    f = fopen(path, "a");
    jit_load(f, 0x21000, 0x40, "JS:*late a.js:9");
    fclose(f);
    symbols_exit(s, 88); /* the exit names what the dump now has */
    assert_ptr_equal(symbols_take_renamed(s), late);
    assert_string_equal(late->name, "JS:*late a.js:9");
    assert_null(symbols_take_renamed(s));
    symbols_free(s);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_own_process_from_proc_maps),
        cmocka_unit_test(test_proc_maps_reread_replaces),
        cmocka_unit_test(test_proc_maps_newline_in_path),
        cmocka_unit_test(test_unwind_find_serves_file_bytes),
        cmocka_unit_test(test_jit_and_kernel),
        cmocka_unit_test(test_jitdump_named_late),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
