/* Unwind this test's own stack: capture the registers with getcontext and
 * copy the stack, as perf would at a sample, then walk it with the remote
 * unwinder and check the frames name the functions that are really there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

#include <cmocka.h>

#include "tprof/perf.h"
#include "tprof/symbols.h"
#include "tprof/unwind.h"

#define STACK_COPY 65536

struct snapshot {
    uint64_t regs[20];
    uint8_t *stack;
    size_t size;
};

static uint64_t stack_end(uint64_t sp)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    uint64_t s, e, end = sp;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "%lx-%lx", &s, &e) == 2 && sp >= s && sp < e)
            end = e;
    fclose(f);
    return end;
}

__attribute__((noinline)) static void capture(struct snapshot *snap)
{
    ucontext_t uc;
    getcontext(&uc);
    const greg_t *g = uc.uc_mcontext.gregs;
    /* perf's order: AX BX CX DX SI DI BP SP IP FLAGS CS SS R8..R15 */
    const int order[20] = {REG_RAX, REG_RBX, REG_RCX, REG_RDX, REG_RSI, REG_RDI, REG_RBP,
                           REG_RSP, REG_RIP, REG_EFL, REG_CSGSFS, REG_CSGSFS, REG_R8, REG_R9,
                           REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};
    for (int i = 0; i < 20; i++)
        snap->regs[i] = (uint64_t)g[order[i]];
    uint64_t sp = (uint64_t)g[REG_RSP];
    uint64_t end = stack_end(sp);
    snap->size = end - sp < STACK_COPY ? end - sp : STACK_COPY;
    snap->stack = malloc(snap->size);
    /* Read it as another process would (memcpy would trip ASan's redzones). */
    struct iovec local = {snap->stack, snap->size}, remote = {(void *)sp, snap->size};
    if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != (ssize_t)snap->size)
        snap->size = 0;
}

__attribute__((noinline)) void unwind_level2(struct snapshot *snap)
{
    capture(snap);
    __asm__ volatile("" ::: "memory"); /* not a tail call */
}

__attribute__((noinline)) void unwind_level1(struct snapshot *snap)
{
    unwind_level2(snap);
    __asm__ volatile("" ::: "memory");
}

static void test_unwind_own_stack(void **state)
{
    (void)state;
    struct snapshot snap;
    unwind_level1(&snap);

    struct symbols *sym = symbols_new(NULL);
    char err[256];
    uint32_t pid = (uint32_t)getpid();
    assert_int_equal(symbols_load_proc_maps(sym, pid, err, sizeof(err)), 0);
    struct unwind *u = unwind_new(symbols_unwind_find, sym);
    struct unwind_sample s = {pid, snap.regs, snap.stack, snap.size};
    struct unwind_frame frames[128];
    enum unwind_end end;
    size_t n = unwind_sample(u, &s, frames, 128, &end);

    const char *names[128];
    for (size_t i = 0; i < n; i++)
        names[i] = symbols_user(sym, pid, frames[i].ip, !frames[i].exact)->name;
    assert_true(n >= 5);
    assert_string_equal(names[0], "capture");
    assert_true(frames[0].exact);
    assert_string_equal(names[1], "unwind_level2");
    assert_string_equal(names[2], "unwind_level1");
    assert_string_equal(names[3], "test_unwind_own_stack");
    int saw_main = 0;
    for (size_t i = 0; i < n; i++)
        saw_main |= strcmp(names[i], "main") == 0;
    assert_true(saw_main);
    assert_string_equal(names[n - 1], "_start");
    assert_int_equal(end, UNWIND_ROOT);

    /* The cached second walk gives the same answer. */
    enum unwind_end end2;
    struct unwind_frame again[128];
    assert_int_equal(unwind_sample(u, &s, again, 128, &end2), n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(again[i].ip, frames[i].ip);
        assert_int_equal(again[i].exact, frames[i].exact);
    }

    /* A stack copy too short to hold the callers: the walk stops early and
     * says so. */
    struct unwind_sample shortcopy = {pid, snap.regs, snap.stack, 64};
    n = unwind_sample(u, &shortcopy, frames, 128, &end);
    assert_true(n >= 1 && n < 5);
    assert_int_equal(end, UNWIND_TRUNCATED);

    /* At most MAX frames, the innermost, and the end says more were left;
     * a MAX that fits the whole stack ends at the root. */
    size_t all = unwind_sample(u, &s, frames, 128, &end);
    n = unwind_sample(u, &s, frames, 2, &end);
    assert_int_equal(n, 2);
    assert_int_equal(end, UNWIND_DEPTH);
    assert_int_equal(frames[0].ip, again[0].ip);
    assert_int_equal(frames[1].ip, again[1].ip);
    n = unwind_sample(u, &s, frames, all, &end);
    assert_int_equal(n, all);
    assert_int_equal(end, UNWIND_ROOT);

    unwind_flush(u, pid);
    unwind_free(u);
    symbols_free(sym);
    free(snap.stack);
}

static void test_no_registers(void **state)
{
    (void)state;
    struct unwind *u = unwind_new(symbols_unwind_find, NULL);
    struct unwind_sample s = {1, NULL, NULL, 0};
    struct unwind_frame frames[4];
    enum unwind_end end;
    assert_int_equal(unwind_sample(u, &s, frames, 4, &end), 0);
    assert_int_equal(end, UNWIND_TRUNCATED);
    unwind_free(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unwind_own_stack),
        cmocka_unit_test(test_no_registers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
