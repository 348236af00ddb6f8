/* jittab: the JIT functions a perf map or jitdump has named, by address. */
#ifndef TPROF_JITTAB_H
#define TPROF_JITTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tprof/xalloc.h"

/* A JIT function's unwind information, from its jitdump (JIT_CODE_UNWINDING_
 * INFO): .eh_frame then .eh_frame_hdr, as the runtime wrote them, with the
 * process address they describe the code from. */
struct jit_unwind {
    uint8_t *data;
    size_t size;        /* eh_frame, then the eh_frame_hdr at HDR_OFF */
    size_t hdr_off;
    uint64_t at;        /* process address of DATA[0]: the relative addresses
                           in it name the code there */
    uint32_t fde_count; /* entries in the hdr's search table (at HDR_OFF+12) */
};

struct jit_entry {
    uint64_t start, end;
    size_t seq; /* order of adding: of two entries at one start, the later wins */
    char *name;
    struct jit_unwind *unwind; /* NULL: none (owned) */
};

struct jittab {
    VEC(struct jit_entry) v;
    size_t seq;
    size_t sorted; /* entries [0, sorted) are in order; those added since
                      are sorted alone and merged in at the next lookup */
};

/* A JIT symbol file (perf map, jitdump) that misses is read on at most
 * this often per process: a file that grows a line per millisecond while
 * samples land in code it does not cover kept tprof at 97% of a CPU. */
#define JIT_REREAD_NS 10000000ull

/* Add [START, START+SIZE) named by the LEN bytes of NAME (copied), with its
 * unwind information UW (taken, may be NULL). */
void jittab_add(struct jittab *t, uint64_t start, uint64_t size, const char *name, size_t len,
                struct jit_unwind *uw);
void jit_unwind_free(struct jit_unwind *uw);
/* Forget every entry (a perf map read again from its start). */
void jittab_clear(struct jittab *t);
void jittab_free(struct jittab *t);

/* The entry covering ADDR, the latest added where code was reused, or NULL.
 * Valid until the next add. */
const struct jit_entry *jittab_find(struct jittab *t, uint64_t addr);

/* E's name, and its extent into START and SIZE (either may be NULL); NULL
 * when E is. */
const char *jittab_answer(const struct jit_entry *e, uint64_t *start, uint64_t *size);

#endif
