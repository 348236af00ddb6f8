/* unwind: DWARF unwinding of a sampled user stack with libunwind's remote API. */
#ifndef TPROF_UNWIND_H
#define TPROF_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the unwinder needs to know about the mapping containing an address:
 * the bytes behind it and where the file's unwind table is. The caller owns
 * the address spaces; the unwinder only asks (so it never depends on how
 * mappings are tracked). */
struct unwind_mapping {
    uint64_t start, end;  /* [start, end) in the process */
    const uint8_t *data;  /* bytes backing START.., NULL when none (anonymous) */
    uint64_t data_size;   /* valid bytes of DATA */
    uint64_t bias;        /* process address = ELF vaddr + bias */
    bool has_table;       /* .eh_frame_hdr search table present */
    uint64_t hdr_vaddr;   /* its ELF vaddr */
    uint64_t table_off;   /* offset of the table within it */
    uint64_t fde_count;   /* entries in the table */
    /* Unwind info kept outside the process (a JIT function's, from its
     * jitdump): EH_SIZE bytes that stand at process address EH_AT, holding
     * the table (HDR_VADDR + BIAS is then a process address in them) and
     * the FDEs it points at. NULL for a file's, read through DATA. */
    const uint8_t *eh_data;
    uint64_t eh_at, eh_size;
    /* A file's unwind info as a private copy (dso_cfi): CFI_SIZE bytes
     * standing at process address CFI_AT, read instead of DATA there. */
    const uint8_t *cfi;
    uint64_t cfi_at, cfi_size;
};

typedef int (*unwind_find_fn)(void *ctx, uint32_t pid, uint64_t addr, struct unwind_mapping *out);

struct unwind_frame {
    uint64_t ip;
    bool exact; /* IP is the exact instruction (leaf, signal frame, or the
                   frame a signal interrupted), not a return address */
};

struct unwind_sample {
    uint32_t pid;
    const uint64_t *regs;  /* perf's sampled user registers (PERF_REGS_MASK) */
    const uint8_t *stack;  /* copy of the user stack from SP upwards */
    size_t stack_size;
};

enum unwind_end {
    UNWIND_ROOT,      /* the CFI says this is the outermost frame (_start, clone) */
    UNWIND_TRUNCATED, /* ran out of stack copy or unwind info */
    UNWIND_DEPTH,     /* MAX frames taken and there are more (the innermost
                         are kept) */
};

struct unwind;

/* The machine code of the function at IP, for code without CFI that keeps
 * no frame pointer either (CPython's perf trampolines): START is where the
 * function begins in the process, CODE its LEN bytes. RET_ADDR: IP is a
 * return address (the instruction after a call), not where the thread was
 * interrupted. 0 when known. */
typedef int (*unwind_code_fn)(void *ctx, uint32_t pid, uint64_t ip, bool ret_addr,
                              uint64_t *start, const uint8_t **code, size_t *len);

/* Prepare, between walks, what the finder could not serve during one (a
 * file's unwind info, copied out of its mapping: see dso_cfi); true when
 * something was, and the walk is to be taken again. */
typedef bool (*unwind_prepare_fn)(void *ctx);

struct unwind *unwind_new(unwind_find_fn find, void *ctx);
/* Also ask CODE (with the same context) about code without CFI. */
void unwind_set_code(struct unwind *u, unwind_code_fn code);
void unwind_set_prepare(struct unwind *u, unwind_prepare_fn prepare);
void unwind_free(struct unwind *u);

/* Drop what is cached for PID (after exec or exit). */
void unwind_flush(struct unwind *u, uint32_t pid);

/* Unwind S into OUT (leaf first, at most MAX frames); returns the number of
 * frames and how the walk ended through END. */
size_t unwind_sample(struct unwind *u, const struct unwind_sample *s, struct unwind_frame *out,
                     size_t max, enum unwind_end *end);

/* What CODE[0..LEN) has done to the stack before offset AT, for the few
 * instructions trampolines use (endbr64, push/pop %rbp, mov %rsp,%rbp,
 * add/sub $imm8,%rsp, call *%reg): DELTA bytes pushed since entry (the
 * return address is at SP+DELTA), SAVED_BP how far below the entry SP the
 * caller's RBP was pushed, or -1. 0 on success; exposed for tests. */
int unwind_emulate(const uint8_t *code, size_t len, uint64_t at, uint64_t *delta,
                   int64_t *saved_bp);

#endif
