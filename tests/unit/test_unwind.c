/* Unwind this test's own stack: capture the registers with getcontext and
 * copy the stack, as perf would at a sample, then walk it with the remote
 * unwinder and check the frames name the functions that are really there. */
#include <setjmp.h>
#include <signal.h>
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
#include "tprof/sigmask.h"
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
    unwind_set_prepare(u, symbols_unwind_prepare);
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

    /* The cached second walk gives the same answer, and libunwind's
     * signal-mask pairs around its cache were skipped (sigmask.c), the
     * mask left as it was. */
    enum unwind_end end2;
    struct unwind_frame again[128];
    sigset_t one, cur;
    sigemptyset(&one);
    sigaddset(&one, SIGUSR1);
    assert_int_equal(pthread_sigmask(SIG_BLOCK, &one, NULL), 0);
    unsigned long skipped = sigmask_skipped();
    assert_int_equal(unwind_sample(u, &s, again, 128, &end2), n);
    assert_true(sigmask_skipped() >= skipped + 2 * (n - 1));
    assert_int_equal(pthread_sigmask(SIG_BLOCK, NULL, &cur), 0);
    assert_true(sigismember(&cur, SIGUSR1));
    assert_false(sigismember(&cur, SIGUSR2));
    assert_int_equal(pthread_sigmask(SIG_UNBLOCK, &one, NULL), 0);
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

/* CPython 3.12's perf trampoline, as its template is in libpython. */
static const uint8_t TRAMPOLINE[] = {0x48, 0x83, 0xec, 0x08, /* sub $8,%rsp */
                                     0xff, 0xd1,             /* call *%rcx */
                                     0x48, 0x83, 0xc4, 0x08, /* add $8,%rsp */
                                     0xc3};                  /* ret */

static void test_emulate(void **state)
{
    (void)state;
    uint64_t d;
    int64_t saved;
    /* after the call (a return address): the sub is done */
    assert_int_equal(unwind_emulate(TRAMPOLINE, sizeof(TRAMPOLINE), 6, &d, &saved), 0);
    assert_int_equal(d, 8);
    assert_int_equal(saved, -1);
    /* at entry, and at the ret after the add */
    assert_int_equal(unwind_emulate(TRAMPOLINE, sizeof(TRAMPOLINE), 0, &d, &saved), 0);
    assert_int_equal(d, 0);
    assert_int_equal(unwind_emulate(TRAMPOLINE, sizeof(TRAMPOLINE), 10, &d, &saved), 0);
    assert_int_equal(d, 0);
    /* inside an instruction, or past the end: unknown */
    assert_int_equal(unwind_emulate(TRAMPOLINE, sizeof(TRAMPOLINE), 2, &d, &saved), -1);
    assert_int_equal(unwind_emulate(TRAMPOLINE, sizeof(TRAMPOLINE), 40, &d, &saved), -1);
    /* 3.13 with CET: endbr64; push %rbp; mov %rsp,%rbp; call *%rcx; pop; ret */
    static const uint8_t fp[] = {0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x48, 0x89,
                                 0xe5, 0xff, 0xd1, 0x5d, 0xc3};
    assert_int_equal(unwind_emulate(fp, sizeof(fp), 10, &d, &saved), 0);
    assert_int_equal(d, 8);
    assert_int_equal(saved, 8); /* the caller's rbp just under the return address */
    /* an instruction it does not know */
    static const uint8_t other[] = {0x90, 0xc3};
    assert_int_equal(unwind_emulate(other, sizeof(other), 1, &d, &saved), -1);
    /* a pop with nothing pushed */
    static const uint8_t bad[] = {0x5d, 0xc3};
    assert_int_equal(unwind_emulate(bad, sizeof(bad), 1, &d, &saved), -1);
}

/* A synthetic process: JIT code at 0x7000000 (no CFI), a trampoline copy at
 * 0x7100000, both anonymous. */
#define JIT_LO 0x7000000ULL
#define TRAMP_AT 0x7100000ULL

static int fake_find(void *ctx, uint32_t pid, uint64_t addr, struct unwind_mapping *out)
{
    (void)ctx;
    (void)pid;
    if (addr < JIT_LO || addr >= TRAMP_AT + 0x1000)
        return -1;
    memset(out, 0, sizeof(*out));
    out->start = JIT_LO;
    out->end = TRAMP_AT + 0x1000;
    return 0;
}

static int fake_code(void *ctx, uint32_t pid, uint64_t ip, bool ret_addr, uint64_t *start,
                     const uint8_t **code, size_t *len)
{
    (void)ctx;
    (void)pid;
    (void)ret_addr;
    if (ip < TRAMP_AT || ip >= TRAMP_AT + sizeof(TRAMPOLINE))
        return -1;
    *start = TRAMP_AT;
    *code = TRAMPOLINE;
    *len = sizeof(TRAMPOLINE);
    return 0;
}

static int reg_index(int r)
{
    return __builtin_popcountll(PERF_REGS_MASK & ((1ULL << r) - 1));
}

/* Code without CFI is left by its known code (the trampoline keeps no frame
 * pointer), then by the frame-pointer chain, and the walk goes on from each
 * caller; a frame pointer below the stack pointer ends it. */
static void test_jit_frames(void **state)
{
    (void)state;
    uint64_t stack[16] = {0};
    uint64_t sp = 0x7ffff000; /* where the copy starts in the "process" */
    /* the trampoline's call returned into it: its caller's return
     * address is 8 bytes up (the sub) */
    stack[1] = JIT_LO + 0x40;         /* -> JIT function A */
    uint64_t a_bp = sp + 4 * 8;       /* A's frame: saved rbp, return address */
    stack[4] = 0;                     /* the outer rbp: the chain ends */
    stack[5] = JIT_LO + 0x80;         /* -> JIT function B */
    uint64_t regs[24] = {0};
    regs[reg_index(PERF_REG_IP)] = TRAMP_AT + 6;
    regs[reg_index(PERF_REG_SP)] = sp;
    regs[reg_index(PERF_REG_BP)] = a_bp;
    struct unwind *u = unwind_new(fake_find, NULL);
    unwind_set_code(u, fake_code);
    struct unwind_sample s = {1, regs, (const uint8_t *)stack, sizeof(stack)};
    struct unwind_frame f[8];
    enum unwind_end end;
    size_t n = unwind_sample(u, &s, f, 8, &end);
    assert_int_equal(n, 3);
    assert_int_equal(f[0].ip, TRAMP_AT + 6);
    assert_true(f[0].exact);
    assert_int_equal(f[1].ip, JIT_LO + 0x40);
    assert_false(f[1].exact);
    assert_int_equal(f[2].ip, JIT_LO + 0x80);
    assert_int_equal(end, UNWIND_TRUNCATED);
    /* at most MAX frames */
    assert_int_equal(unwind_sample(u, &s, f, 2, &end), 2);
    assert_int_equal(end, UNWIND_DEPTH);
    /* without the code, the trampoline is left by its (wrong) frame pointer:
     * A's frame, so A is skipped */
    unwind_set_code(u, NULL);
    n = unwind_sample(u, &s, f, 8, &end);
    assert_int_equal(n, 2);
    assert_int_equal(f[1].ip, JIT_LO + 0x80);
    unwind_free(u);
}

/* A JIT function at CFI_AT with its own CFI (as a jitdump's unwinding info
 * gives it): .eh_frame (a CIE, one FDE with INS) at CFI_AT+32, its hdr
 * after it, in EH. */
#define CFI_AT 0x7200000ULL
static uint8_t EH[128];
static size_t EH_SIZE, EH_HDR;

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static void build_eh(uint32_t code_size, const uint8_t *ins, size_t nins)
{
    static const uint8_t cie[24] = {0x14, 0, 0, 0, 0, 0, 0, 0, 1, 'z', 'R', 0, 1, 0x78, 16, 1,
                                    0x1b, 0x0c, 7, 8, 0x90, 1, 0, 0};
    uint64_t eh_at = CFI_AT + 32;
    memset(EH, 0, sizeof(EH));
    memcpy(EH, cie, sizeof(cie));
    size_t fde = 24, len = (4 + 4 + 4 + 1 + nins + 3) / 4 * 4;
    put32(EH + fde, (uint32_t)len);
    put32(EH + fde + 4, (uint32_t)(fde + 4));                           /* back to the CIE */
    put32(EH + fde + 8, (uint32_t)(CFI_AT - (eh_at + fde + 8)));        /* pc_begin, pcrel */
    put32(EH + fde + 12, code_size);                                    /* pc_range */
    memcpy(EH + fde + 17, ins, nins);                                   /* (after aug len 0) */
    EH_HDR = fde + 4 + len;
    uint8_t *h = EH + EH_HDR;
    h[0] = 1, h[1] = 0x1b, h[2] = 0x03, h[3] = 0x3b;
    put32(h + 4, (uint32_t)-(int32_t)(EH_HDR + 4));
    put32(h + 8, 1);
    put32(h + 12, (uint32_t)(CFI_AT - (eh_at + EH_HDR)));
    put32(h + 16, (uint32_t)-(int32_t)(EH_HDR - fde));
    EH_SIZE = EH_HDR + 20;
}

static bool with_eh = true;

static int cfi_find(void *ctx, uint32_t pid, uint64_t addr, struct unwind_mapping *out)
{
    if (addr < CFI_AT || addr >= CFI_AT + 0x20)
        return fake_find(ctx, pid, addr, out);
    memset(out, 0, sizeof(*out));
    out->start = CFI_AT;
    out->end = CFI_AT + 0x20;
    if (with_eh) {
        out->has_table = true;
        out->hdr_vaddr = CFI_AT + 32 + EH_HDR;
        out->table_off = 12;
        out->fde_count = 1;
        out->eh_data = EH;
        out->eh_at = CFI_AT + 32;
        out->eh_size = EH_SIZE;
    }
    return 0;
}

/* JIT code with its own CFI is left by it, where neither its frame pointer
 * (it keeps none) nor its code (push %rbx) would do; where that CFI needs
 * what the sample has no copy of, the frame-pointer walk is taken when it
 * goes further. */
static void test_jit_own_cfi(void **state)
{
    (void)state;
    /* push %rbx; sub $0x10,%rsp; a loop (at 10); add; pop %rbx; ret (19) */
    static const uint8_t ins[] = {0x41, 0x0e, 16, 0x83, 2, 0x44, 0x0e, 32,
                                  0x4d, 0x0e, 16, 0x41, 0x0e, 8};
    build_eh(20, ins, sizeof(ins));
    uint64_t stack[16] = {0};
    uint64_t sp = 0x7ffff000;
    stack[3] = JIT_LO + 0x40;   /* CFA = sp+32: the return address at sp+24 */
    uint64_t a_bp = sp + 6 * 8; /* A's frame */
    stack[6] = sp + 10 * 8;     /* -> B's frame */
    stack[7] = JIT_LO + 0x80;
    stack[10] = 0;
    stack[11] = JIT_LO + 0xc0;
    uint64_t regs[24] = {0};
    regs[reg_index(PERF_REG_IP)] = CFI_AT + 10;
    regs[reg_index(PERF_REG_SP)] = sp;
    regs[reg_index(PERF_REG_BP)] = a_bp;
    struct unwind *u = unwind_new(cfi_find, NULL);
    struct unwind_sample s = {1, regs, (const uint8_t *)stack, sizeof(stack)};
    struct unwind_frame f[8];
    enum unwind_end end;
    with_eh = true;
    size_t n = unwind_sample(u, &s, f, 8, &end);
    assert_int_equal(n, 4);
    assert_int_equal(f[1].ip, JIT_LO + 0x40);
    assert_int_equal(f[2].ip, JIT_LO + 0x80);
    assert_int_equal(f[3].ip, JIT_LO + 0xc0);
    /* without it: the frame pointer, which is A's, skips A */
    with_eh = false;
    unwind_flush(u, 1);
    n = unwind_sample(u, &s, f, 8, &end);
    assert_int_equal(n, 3);
    assert_int_equal(f[1].ip, JIT_LO + 0x80);

    /* V8's CFI after its epilogue's pop %rbp still has %rbp saved at
     * CFA-16, below the stack pointer: A (no CFI) cannot be left without
     * it, so the frame-pointer walk (B, C) is kept */
    static const uint8_t v8[] = {0x41, 0x0e, 16, 0x86, 2, /* push %rbp: rbp at CFA-16 */
                                 0x43, 0x0d, 6,           /* mov %rsp,%rbp: CFA = rbp+16 */
                                 0x46, 0x0c, 7, 8};       /* pop %rbp at 9: CFA = rsp+8 */
    build_eh(11, v8, sizeof(v8));
    memset(stack, 0, sizeof(stack));
    stack[0] = JIT_LO + 0x40; /* at the ret: the return address at sp */
    stack[6] = sp + 10 * 8;   /* A's frame -> B's */
    stack[7] = JIT_LO + 0x80;
    stack[10] = 0;
    stack[11] = JIT_LO + 0xc0;
    regs[reg_index(PERF_REG_IP)] = CFI_AT + 10;
    with_eh = true;
    unwind_flush(u, 1);
    n = unwind_sample(u, &s, f, 8, &end);
    assert_int_equal(n, 3);
    assert_int_equal(f[1].ip, JIT_LO + 0x80);
    assert_int_equal(f[2].ip, JIT_LO + 0xc0);
    unwind_free(u);
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
        cmocka_unit_test(test_emulate),
        cmocka_unit_test(test_jit_frames),
        cmocka_unit_test(test_jit_own_cfi),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
