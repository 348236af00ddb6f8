/*
 * unwind: DWARF CFI unwinding of a stack copied at sample time, with
 * libunwind's remote API. libunwind asks for registers and memory through
 * accessors: registers come from the sample, memory from the stack copy when
 * the address is in [SP, SP+size) and otherwise from the file mapped there
 * (libunwind reads .eh_frame_hdr and .eh_frame through access_mem).
 *
 * Each process gets its own unw_addr_space with UNW_CACHE_GLOBAL (remote
 * spaces start uncached: 29 us/sample against 5 us cached), flushed when the
 * process execs.
 *
 * Code in a mapping without an unwind table (JIT code: node, CPython's perf
 * trampolines, Erlang, JVMs) has no CFI. A frame there is left by tprof
 * itself: by what its machine code does to the stack when the code is known
 * (unwind_code_fn: CPython's trampolines keep no frame pointer), else by the
 * frame-pointer chain (runtimes that write perf maps keep frame pointers).
 * The walk then starts libunwind afresh from the caller's IP, SP and RBP, so
 * DWARF takes over again as soon as the code has CFI. JIT code whose runtime
 * wrote its CFI into a jitdump (unwinding-info records) has a table like a
 * file's, served from tprof's copy (unwind_mapping.eh_data).
 */
#include <libunwind.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "tprof/bounds.h"
#include "tprof/perf.h"
#include "tprof/sigmask.h"
#include "tprof/unwind.h"
#include "tprof/xalloc.h"

/* Not in libunwind's public headers, but exported (perf declares it too). */
extern int UNW_OBJ(dwarf_search_unwind_table)(unw_addr_space_t as, unw_word_t ip,
                                              unw_dyn_info_t *di, unw_proc_info_t *pi,
                                              int need_unwind_info, void *arg);
#define dwarf_search_unwind_table UNW_OBJ(dwarf_search_unwind_table)

struct space {
    UT_hash_handle hh;
    uint32_t pid;
    unw_addr_space_t as;
};

struct unwind {
    unwind_find_fn find;
    unwind_code_fn code;
    unwind_prepare_fn prepare;
    void *ctx;
    unw_accessors_t acc;
    struct space *spaces;
};

/* Per-sample state handed to the accessors. */
struct walk {
    struct unwind *u;
    const struct unwind_sample *s;
    uint64_t sp;
    struct unwind_mapping last; /* last mapping found: accesses cluster */
    bool have_last;
    struct unwind_mapping eh; /* the mapping whose own unwind info (eh_data)
                                 libunwind reads now */
    bool have_eh;
    bool no_eh;  /* treat code with own unwind info as code without CFI */
    bool met_eh; /* the walk met code with own unwind info */
    /* After a step tprof took itself, the registers libunwind starts from:
     * the caller's IP, SP and (when known) RBP; other registers unknown. */
    bool ov;
    uint64_t ov_ip, ov_sp, ov_bp;
    bool ov_bp_ok;
    bool ov_keep; /* the other registers are still the sample's */
};

static int find_mapping(struct walk *w, uint64_t addr, struct unwind_mapping *m)
{
    if (w->have_last && addr >= w->last.start && addr < w->last.end) {
        *m = w->last;
    } else {
        if (w->u->find(w->u->ctx, w->s->pid, addr, m) < 0)
            return -1;
        w->last = *m;
        w->have_last = true;
    }
    if (m->eh_data) {
        w->met_eh = true;
        if (w->no_eh) {
            m->has_table = false;
            m->eh_data = NULL;
        }
    }
    return 0;
}

static int acc_find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi,
                              int need_unwind_info, void *arg)
{
    struct walk *w = arg;
    struct unwind_mapping m;
    if (find_mapping(w, ip, &m) < 0 || !m.has_table)
        return -UNW_ENOINFO;
    w->have_eh = m.eh_data != NULL;
    if (w->have_eh)
        w->eh = m;
    unw_dyn_info_t di;
    memset(&di, 0, sizeof(di));
    di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
    di.start_ip = m.start;
    di.end_ip = m.end;
    di.u.rti.segbase = m.hdr_vaddr + m.bias;
    di.u.rti.table_data = m.hdr_vaddr + m.bias + m.table_off;
    di.u.rti.table_len = m.fde_count * 8 / sizeof(unw_word_t);
    return dwarf_search_unwind_table(as, ip, &di, pi, need_unwind_info, arg);
}

static void acc_put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
    (void)as;
    (void)pi;
    (void)arg;
}

static int acc_get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *dilap, void *arg)
{
    (void)as;
    (void)dilap;
    (void)arg;
    return -UNW_ENOINFO;
}

static int acc_access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *valp, int write,
                          void *arg)
{
    (void)as;
    struct walk *w = arg;
    if (write)
        return -UNW_EINVAL;
    /* (addresses come from the target: 0xfff...f + 8 must not wrap into range) */
    if (addr >= w->sp && bounds_ok(addr - w->sp, sizeof(*valp), w->s->stack_size)) {
        memcpy(valp, w->s->stack + (addr - w->sp), sizeof(*valp));
        return 0;
    }
    /* libunwind reads aligned words; unwind info need not start or end on
     * one: a word that overlaps it gets its bytes, zeros around them */
    if (w->have_eh && addr + sizeof(*valp) > w->eh.eh_at && addr < w->eh.eh_at + w->eh.eh_size &&
        addr + sizeof(*valp) > addr) {
        uint8_t word[sizeof(*valp)] = {0};
        for (size_t i = 0; i < sizeof(word); i++)
            if (addr + i >= w->eh.eh_at && addr + i - w->eh.eh_at < w->eh.eh_size)
                word[i] = w->eh.eh_data[addr + i - w->eh.eh_at];
        memcpy(valp, word, sizeof(word));
        return 0;
    }
    struct unwind_mapping m;
    if (find_mapping(w, addr, &m) < 0 || addr < m.start)
        return -UNW_EINVAL;
    /* a file's unwind info from its private copy (see dso_cfi) */
    if (m.cfi && addr >= m.cfi_at && bounds_ok(addr - m.cfi_at, sizeof(*valp), m.cfi_size)) {
        memcpy(valp, m.cfi + (addr - m.cfi_at), sizeof(*valp));
        return 0;
    }
    if (!m.data)
        return -UNW_EINVAL;
    uint64_t off = addr - m.start;
    if (!bounds_ok(off, sizeof(*valp), m.data_size))
        return -UNW_EINVAL;
    memcpy(valp, m.data + off, sizeof(*valp));
    return 0;
}

/* libunwind's x86-64 register numbers -> perf's sampled register index. */
static int perf_reg_of(unw_regnum_t r)
{
    switch (r) {
    case UNW_X86_64_RAX: return PERF_REG_AX;
    case UNW_X86_64_RDX: return PERF_REG_DX;
    case UNW_X86_64_RCX: return PERF_REG_CX;
    case UNW_X86_64_RBX: return PERF_REG_BX;
    case UNW_X86_64_RSI: return PERF_REG_SI;
    case UNW_X86_64_RDI: return PERF_REG_DI;
    case UNW_X86_64_RBP: return PERF_REG_BP;
    case UNW_X86_64_RSP: return PERF_REG_SP;
    case UNW_X86_64_RIP: return PERF_REG_IP;
    default:
        if (r >= UNW_X86_64_R8 && r <= UNW_X86_64_R15)
            return PERF_REG_R8 + (r - UNW_X86_64_R8);
        return -1;
    }
}

static int acc_access_reg(unw_addr_space_t as, unw_regnum_t regnum, unw_word_t *valp, int write,
                          void *arg)
{
    (void)as;
    struct walk *w = arg;
    if (w->ov && !write) {
        if (regnum == UNW_X86_64_RIP)
            *valp = w->ov_ip;
        else if (regnum == UNW_X86_64_RSP)
            *valp = w->ov_sp;
        else if (regnum == UNW_X86_64_RBP && w->ov_bp_ok)
            *valp = w->ov_bp;
        else if (!w->ov_keep)
            return -UNW_EBADREG;
        else
            goto sampled;
        return 0;
    }
sampled:;
    int pr = perf_reg_of(regnum);
    if (write || pr < 0 || !(PERF_REGS_MASK & (1ULL << pr)))
        return -UNW_EBADREG;
    /* Sampled registers are packed: index = set mask bits below this one. */
    int idx = __builtin_popcountll(PERF_REGS_MASK & ((1ULL << pr) - 1));
    *valp = w->s->regs[idx];
    return 0;
}

static int acc_access_fpreg(unw_addr_space_t as, unw_regnum_t num, unw_fpreg_t *val, int write,
                            void *arg)
{
    (void)as;
    (void)num;
    (void)val;
    (void)write;
    (void)arg;
    return -UNW_EBADREG;
}

static int acc_resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
    (void)as;
    (void)c;
    (void)arg;
    return -UNW_EINVAL;
}

static int acc_get_proc_name(unw_addr_space_t as, unw_word_t addr, char *buf, size_t len,
                             unw_word_t *offp, void *arg)
{
    (void)as;
    (void)addr;
    (void)buf;
    (void)len;
    (void)offp;
    (void)arg;
    return -UNW_ENOINFO;
}

struct unwind *unwind_new(unwind_find_fn find, void *ctx)
{
    struct unwind *u = xcalloc(1, sizeof(*u));
    u->find = find;
    u->ctx = ctx;
    u->acc.find_proc_info = acc_find_proc_info;
    u->acc.put_unwind_info = acc_put_unwind_info;
    u->acc.get_dyn_info_list_addr = acc_get_dyn_info_list_addr;
    u->acc.access_mem = acc_access_mem;
    u->acc.access_reg = acc_access_reg;
    u->acc.access_fpreg = acc_access_fpreg;
    u->acc.resume = acc_resume;
    u->acc.get_proc_name = acc_get_proc_name;
    return u;
}

void unwind_set_prepare(struct unwind *u, unwind_prepare_fn prepare)
{
    u->prepare = prepare;
}

void unwind_set_code(struct unwind *u, unwind_code_fn code)
{
    u->code = code;
}

void unwind_flush(struct unwind *u, uint32_t pid)
{
    struct space *sp;
    HASH_FIND(hh, u->spaces, &pid, sizeof(pid), sp);
    if (sp) {
        HASH_DEL(u->spaces, sp);
        unw_destroy_addr_space(sp->as);
        free(sp);
    }
}

void unwind_free(struct unwind *u)
{
    if (!u)
        return;
    struct space *sp, *tmp;
    HASH_ITER(hh, u->spaces, sp, tmp)
    {
        HASH_DEL(u->spaces, sp);
        unw_destroy_addr_space(sp->as);
        free(sp);
    }
    free(u);
}

static unw_addr_space_t space_for(struct unwind *u, uint32_t pid)
{
    struct space *sp;
    HASH_FIND(hh, u->spaces, &pid, sizeof(pid), sp);
    if (sp)
        return sp->as;
    unw_addr_space_t as = unw_create_addr_space(&u->acc, 0);
    if (!as)
        return NULL;
    unw_set_caching_policy(as, UNW_CACHE_GLOBAL);
    sp = xcalloc(1, sizeof(*sp));
    sp->pid = pid;
    sp->as = as;
    HASH_ADD(hh, u->spaces, pid, sizeof(pid), sp);
    return as;
}

int unwind_emulate(const uint8_t *code, size_t len, uint64_t at, uint64_t *delta,
                   int64_t *saved_bp)
{
    uint64_t d = 0;
    int64_t save = -1;
    size_t pc = 0;
    while (pc < at) {
        if (pc >= len)
            return -1;
        size_t left = len - pc;
        const uint8_t *c = code + pc;
        if (left >= 4 && memcmp(c, "\xf3\x0f\x1e\xfa", 4) == 0) { /* endbr64 */
            pc += 4;
        } else if (c[0] == 0x55) { /* push %rbp */
            d += 8;
            save = (int64_t)d;
            pc++;
        } else if (c[0] == 0x5d) { /* pop %rbp */
            if (d < 8)
                return -1;
            d -= 8;
            save = -1;
            pc++;
        } else if (left >= 3 && memcmp(c, "\x48\x89\xe5", 3) == 0) { /* mov %rsp,%rbp */
            pc += 3;
        } else if (left >= 4 && c[0] == 0x48 && c[1] == 0x83 && c[2] == 0xec) { /* sub $i8,%rsp */
            d += c[3];
            pc += 4;
        } else if (left >= 4 && c[0] == 0x48 && c[1] == 0x83 && c[2] == 0xc4) { /* add $i8,%rsp */
            if (d < c[3])
                return -1;
            d -= c[3];
            pc += 4;
        } else if (left >= 2 && c[0] == 0xff && (c[1] & 0xf8) == 0xd0) { /* call *%reg */
            pc += 2;
        } else {
            return -1;
        }
    }
    if (pc != at)
        return -1; /* (AT is inside an instruction) */
    *delta = d;
    *saved_bp = save;
    return 0;
}

static bool read_word(struct walk *w, uint64_t addr, uint64_t *val)
{
    unw_word_t v;
    if (acc_access_mem(NULL, addr, &v, 0, w) < 0)
        return false;
    *val = v;
    return true;
}

/* Leave the frame at IP (SP, RBP) of code with no CFI: by its known code
 * when the runtime says what it is, else by the frame pointer. Fills the
 * caller's registers into W's override; 0 on success. */
static int own_step(struct walk *w, uint64_t ip, bool ret_addr, uint64_t sp, uint64_t bp,
                    bool bp_ok)
{
    uint64_t ret, nsp, nbp = bp;
    bool nbp_ok = bp_ok;
    uint64_t start, delta;
    const uint8_t *code;
    size_t len;
    int64_t saved;
    if (w->u->code && w->u->code(w->u->ctx, w->s->pid, ip, ret_addr, &start, &code, &len) == 0 &&
        ip >= start && unwind_emulate(code, len, ip - start, &delta, &saved) == 0) {
        if (!read_word(w, sp + delta, &ret))
            return -1;
        nsp = sp + delta + 8;
        if (saved >= 0)
            nbp_ok = read_word(w, sp + delta - (uint64_t)saved, &nbp);
    } else {
        /* [rbp] is the caller's rbp, [rbp+8] the return address; a frame
         * pointer below SP or misaligned is not one. */
        if (!bp_ok || bp < sp || (bp & 7) || !read_word(w, bp + 8, &ret) ||
            !read_word(w, bp, &nbp))
            return -1;
        nsp = bp + 16;
        nbp_ok = true;
    }
    if (nsp <= sp || ret == 0)
        return -1;
    w->ov = true;
    w->ov_keep = false;
    w->ov_ip = ret;
    w->ov_sp = nsp;
    w->ov_bp = nbp;
    w->ov_bp_ok = nbp_ok;
    return 0;
}

/* Whether the unwind table of the file mapped at IP has an FDE for it:
 * code in a file can have none (V8's builtins, in the node binary). */
static bool fde_covers(struct walk *w, unw_addr_space_t as, uint64_t ip)
{
    unw_proc_info_t pi;
    memset(&pi, 0, sizeof(pi));
    return acc_find_proc_info(as, ip, &pi, 0, w) == 0;
}

/* Whether CFI covers IP, C's frame (libunwind makes up a one-byte region
 * at IP where there is none). */
static bool has_cfi(unw_cursor_t *c, uint64_t ip)
{
    unw_proc_info_t pi;
    return unw_get_proc_info(c, &pi) == 0 && !(pi.start_ip == ip && pi.end_ip == ip + 1);
}

/* Whether S was taken just after a syscall instruction (which stores the
 * next instruction's address in %rcx), or a few instructions on: glibc's
 * clone3() tests the result and branches (test, jl, jz) before its child's
 * CFI starts, and a new thread stopped there had [unknown] callers. */
static bool after_syscall(const struct unwind_sample *s, int ip_idx)
{
    int cx_idx = __builtin_popcountll(PERF_REGS_MASK & ((1ULL << PERF_REG_CX) - 1));
    uint64_t cx = s->regs[cx_idx], ip = s->regs[ip_idx];
    return cx <= ip && ip - cx <= 16;
}

/* The leaf frame of S stopped just after a syscall instruction in code with
 * no CFI there: glibc's clone() and clone3() end their FDE before the
 * syscall (the child's unwind info would be wrong), so a parent sampled in
 * its clone had no caller, and a child at its first instruction got the
 * frame-pointer chain's guesses ([unknown] frames). The parent's code has
 * pushed nothing: the return address is at SP, every other register is its
 * caller's. 0 with W's override set to the caller. */
static int syscall_leaf_step(struct walk *w, const struct unwind_sample *s, int sp_idx)
{
    int bp_idx = __builtin_popcountll(PERF_REGS_MASK & ((1ULL << PERF_REG_BP) - 1));
    uint64_t sp = s->regs[sp_idx], ret;
    struct unwind_mapping m;
    if (!read_word(w, sp, &ret) || ret == 0 || find_mapping(w, ret - 1, &m) < 0)
        return -1;
    w->ov = true;
    w->ov_keep = true;
    w->ov_ip = ret;
    w->ov_sp = sp + 8;
    w->ov_bp = s->regs[bp_idx];
    w->ov_bp_ok = true;
    return 0;
}

/* W's override (own_step, syscall_leaf_step) is the caller's frame: into
 * OUT[*N], and libunwind starts again from it. false when the walk ends
 * there (*END: UNWIND_DEPTH at MAX frames). */
static bool push_override(struct walk *w, unw_cursor_t *c, unw_addr_space_t as,
                          struct unwind_frame *out, size_t *n, size_t max, enum unwind_end *end)
{
    if (*n == max) {
        *end = UNWIND_DEPTH;
        return false;
    }
    out[*n].ip = w->ov_ip;
    out[*n].exact = false;
    (*n)++;
    return unw_init_remote(c, as, w) == 0;
}

/* One walk of S; NO_EH: without JIT code's own unwind info. */
static size_t walk(struct unwind *u, const struct unwind_sample *s, struct unwind_frame *out,
                   size_t max, enum unwind_end *end, bool no_eh, bool *met_eh)
{
    *end = UNWIND_TRUNCATED;
    int ip_idx = __builtin_popcountll(PERF_REGS_MASK & ((1ULL << PERF_REG_IP) - 1));
    int sp_idx = __builtin_popcountll(PERF_REGS_MASK & ((1ULL << PERF_REG_SP) - 1));
    size_t n = 0;
    out[n].ip = s->regs[ip_idx];
    out[n].exact = true;
    n++;
    unw_addr_space_t as = space_for(u, s->pid);
    if (!as || !s->stack)
        return n;
    struct walk w = {.u = u, .s = s, .sp = s->regs[sp_idx], .no_eh = no_eh};
    unw_cursor_t c;
    if (unw_init_remote(&c, as, &w) < 0)
        return n;
    bool prev_signal = unw_is_signal_frame(&c) > 0;
    for (;;) {
        unw_word_t cip = 0, csp = 0, cbp = 0;
        struct unwind_mapping m;
        /* (a return address may be one past its function's end) */
        uint64_t look = 0, at = 0;
        if (unw_get_reg(&c, UNW_REG_IP, &cip) == 0 && unw_get_reg(&c, UNW_REG_SP, &csp) == 0) {
            at = look = out[n - 1].exact || cip == 0 ? cip : cip - 1;
            if (find_mapping(&w, look, &m) < 0 || m.has_table)
                look = 0;
        }
        bool bp_ok = unw_get_reg(&c, UNW_X86_64_RBP, &cbp) == 0;
        if (look) {
            if (own_step(&w, cip, !out[n - 1].exact, csp, bp_ok ? cbp : 0, bp_ok) < 0 ||
                !push_override(&w, &c, as, out, &n, max, end))
                break;
            prev_signal = false;
            continue;
        }
        if (n == 1 && after_syscall(s, ip_idx) && !has_cfi(&c, s->regs[ip_idx])) {
            /* (libunwind's own guess there is the frame-pointer chain) */
            int ax_idx = __builtin_popcountll(PERF_REGS_MASK & ((1ULL << PERF_REG_AX) - 1));
            if (s->regs[ax_idx] == 0) { /* clone's child, at its first instruction */
                *end = UNWIND_ROOT;
                break;
            }
            if (syscall_leaf_step(&w, s, sp_idx) < 0 ||
                !push_override(&w, &c, as, out, &n, max, end))
                break;
            prev_signal = false;
            continue;
        }
        int r = unw_step(&c);
        /* Code in a file with no CFI there (V8's builtins in the node
         * binary: 54% of a JSON and crypto program's stacks ended in one)
         * is left by the frame pointer, as JIT code is; then DWARF again.
         * (Looked at only when the step failed: a walk's normal end, 0,
         * costs no second lookup.) */
        if (r < 0 && at && !fde_covers(&w, as, at) &&
            own_step(&w, cip, !out[n - 1].exact, csp, bp_ok ? cbp : 0, bp_ok) == 0) {
            if (!push_override(&w, &c, as, out, &n, max, end))
                break;
            prev_signal = false;
            continue;
        }
        if (r == 0) {
            *end = UNWIND_ROOT;
            break;
        }
        if (r < 0)
            break;
        unw_word_t ip;
        if (unw_get_reg(&c, UNW_REG_IP, &ip) < 0 || ip == 0)
            break;
        if (n == max) { /* (one step past the last frame kept: there is more) */
            *end = UNWIND_DEPTH;
            break;
        }
        bool sig = unw_is_signal_frame(&c) > 0;
        out[n].ip = ip;
        out[n].exact = sig || prev_signal;
        prev_signal = sig;
        n++;
    }
    *met_eh = w.met_eh;
    return n;
}

size_t unwind_sample(struct unwind *u, const struct unwind_sample *s, struct unwind_frame *out,
                     size_t max, enum unwind_end *end)
{
    *end = UNWIND_TRUNCATED;
    if (!s->regs || max == 0)
        return 0;
    bool met_eh = false;
    sigmask_quiet(true);
    size_t n = walk(u, s, out, max, end, false, &met_eh);
    sigmask_quiet(false);
    /* Files whose unwind info the walk could not read yet (the finder
     * prepares it between walks, see dso_cfi): each walk stops at the
     * first such file, and is taken again once it is prepared. */
    for (int k = 0; k < 32 && u->prepare && u->prepare(u->ctx); k++) {
        sigmask_quiet(true);
        n = walk(u, s, out, max, end, false, &met_eh);
        sigmask_quiet(false);
    }
    if (*end != UNWIND_TRUNCATED || !met_eh)
        return n;
    /* A runtime's CFI can be right only in its own process: V8's leaves
     * %rbp saved below the stack pointer after its epilogue's pop, where the
     * sample has no copy. Where the walk through JIT code's own unwind info
     * stopped short, the frame-pointer way is tried too, and the better
     * walk kept. */
    struct unwind_frame *alt = xmalloc(max * sizeof(*alt));
    enum unwind_end alt_end;
    sigmask_quiet(true);
    size_t alt_n = walk(u, s, alt, max, &alt_end, true, &met_eh);
    sigmask_quiet(false);
    if (alt_end != UNWIND_TRUNCATED || alt_n > n) {
        memcpy(out, alt, alt_n * sizeof(*alt));
        n = alt_n;
        *end = alt_end;
    }
    free(alt);
    return n;
}