/* The unwinder's accessors over a synthetic sample: registers, a stack copy
 * and the bytes of one "mapped file" (with an .eh_frame_hdr table whose
 * place and size come from the input) are all taken from the input, so
 * libunwind reads CFI, frame pointers and return addresses that point
 * anywhere. Nothing may be read outside the buffers. */
#include <string.h>

#include "fuzz.h"
#include "tprof/perf.h"
#include "tprof/unwind.h"

struct world {
    uint64_t map_start, map_len;
    const uint8_t *image;
    size_t image_size;
    uint64_t hdr_vaddr, fde_count;
    bool table;
};

static int find(void *ctx, uint32_t pid, uint64_t addr, struct unwind_mapping *out)
{
    (void)pid;
    const struct world *w = ctx;
    if (addr < w->map_start || addr - w->map_start >= w->map_len)
        return -1;
    memset(out, 0, sizeof(*out));
    out->start = w->map_start;
    out->end = w->map_start + w->map_len;
    out->data = w->image;
    out->data_size = w->image_size;
    out->bias = w->map_start;
    out->has_table = w->table;
    out->hdr_vaddr = w->hdr_vaddr;
    out->table_off = 12;
    out->fde_count = w->fde_count;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum { NREGS = 20, HEAD = 8 * NREGS + 24 };
    if (size < HEAD)
        return 0;
    uint64_t regs[NREGS];
    memcpy(regs, data, sizeof(regs));
    struct world w;
    uint64_t meta[3];
    memcpy(meta, data + 8 * NREGS, sizeof(meta));
    const uint8_t *rest = data + HEAD;
    size_t nrest = size - HEAD;
    size_t split = nrest ? (size_t)(meta[0] % (nrest + 1)) : 0;
    /* the stack copy, then the image */
    uint8_t *stack = malloc(split ? split : 1);
    memcpy(stack, rest, split);
    w.image = rest + split;
    w.image_size = nrest - split;
    w.map_len = (w.image_size + 4095) & ~(uint64_t)4095;
    if (!w.map_len)
        w.map_len = 4096;
    w.map_start = 0x400000;
    w.table = meta[1] & 1;
    w.hdr_vaddr = (meta[1] >> 1) % (w.map_len + 64);
    w.fde_count = meta[2] % 4096;
    /* IP and SP near the image and the stack most of the time */
    int ip = __builtin_popcountll(PERF_REGS_MASK & ((1ULL << PERF_REG_IP) - 1));
    if (!(meta[2] & 0x10000))
        regs[ip] = w.map_start + regs[ip] % w.map_len;
    struct unwind *u = unwind_new(find, &w);
    struct unwind_sample s = {1, regs, stack, split};
    struct unwind_frame out[64];
    enum unwind_end end;
    unwind_sample(u, &s, out, 64, &end);
    unwind_free(u);
    free(stack);
    return 0;
}
