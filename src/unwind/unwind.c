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
 */
#include <libunwind.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "tprof/bounds.h"
#include "tprof/perf.h"
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
};

static int find_mapping(struct walk *w, uint64_t addr, struct unwind_mapping *m)
{
    if (w->have_last && addr >= w->last.start && addr < w->last.end) {
        *m = w->last;
        return 0;
    }
    if (w->u->find(w->u->ctx, w->s->pid, addr, m) < 0)
        return -1;
    w->last = *m;
    w->have_last = true;
    return 0;
}

static int acc_find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi,
                              int need_unwind_info, void *arg)
{
    struct walk *w = arg;
    struct unwind_mapping m;
    if (find_mapping(w, ip, &m) < 0 || !m.has_table)
        return -UNW_ENOINFO;
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
    struct unwind_mapping m;
    if (find_mapping(w, addr, &m) < 0 || !m.data || addr < m.start)
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

size_t unwind_sample(struct unwind *u, const struct unwind_sample *s, struct unwind_frame *out,
                     size_t max, enum unwind_end *end)
{
    *end = UNWIND_TRUNCATED;
    if (!s->regs || max == 0)
        return 0;
    int ip_idx = __builtin_popcountll(PERF_REGS_MASK & ((1ULL << PERF_REG_IP) - 1));
    int sp_idx = __builtin_popcountll(PERF_REGS_MASK & ((1ULL << PERF_REG_SP) - 1));
    size_t n = 0;
    out[n].ip = s->regs[ip_idx];
    out[n].exact = true;
    n++;
    unw_addr_space_t as = space_for(u, s->pid);
    if (!as || !s->stack)
        return n;
    struct walk w = {.u = u, .s = s, .sp = s->regs[sp_idx]};
    unw_cursor_t c;
    if (unw_init_remote(&c, as, &w) < 0)
        return n;
    bool prev_signal = unw_is_signal_frame(&c) > 0;
    for (;;) {
        int r = unw_step(&c);
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
    return n;
}
