/* One ring-buffer record with any contents and any sample_type / register
 * mask, as the perf sampler parses it; every pointer the parser hands out
 * is then read to its stated length. */
#include <linux/perf_event.h>
#include <string.h>

#include "fuzz.h"
#include "tprof/perf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 16)
        return 0;
    uint64_t sample_type, regs_mask;
    memcpy(&sample_type, data, 8);
    memcpy(&regs_mask, data + 8, 8);
    size -= 16;
    /* records sit 8-byte aligned in the ring and the pending queue */
    uint64_t *rec = malloc(size + 8);
    memcpy(rec, data + 16, size);
    if (size >= sizeof(struct perf_event_header)) /* mostly a consistent size */
        if (!(sample_type & (1ULL << 63)))
            ((struct perf_event_header *)rec)->size = (uint16_t)size;
    struct perf_ev ev;
    uint64_t sink = 0;
    if (perf_parse_record(rec, size, sample_type, regs_mask, &ev) == 0) {
        if (ev.type == PERF_EV_SAMPLE) {
            const struct perf_sample *s = &ev.u.sample;
            for (uint64_t i = 0; i < s->nr_user_ips; i++)
                sink += s->user_ips[i];
            for (uint64_t i = 0; i < s->nr_kernel_ips; i++)
                sink += s->kernel_ips[i];
            if (s->regs)
                for (int i = 0; i < __builtin_popcountll(regs_mask); i++)
                    sink += s->regs[i];
            for (size_t i = 0; s->stack && i < s->stack_size; i++)
                sink += s->stack[i];
        } else if (ev.type == PERF_EV_MMAP) {
            sink += strlen(ev.u.mmap.filename);
            for (size_t i = 0; ev.u.mmap.build_id && i < ev.u.mmap.build_id_size; i++)
                sink += ev.u.mmap.build_id[i];
        } else if (ev.type == PERF_EV_COMM) {
            sink += strlen(ev.u.comm.comm);
        }
    }
    free(rec);
    /* (the sum keeps the reads from being optimised away) */
    return sink == 42 ? 0 : 0;
}
