/* A jitdump file with any contents: read whole, then again as if it had
 * grown in two steps (the first half, then all), and looked up (names and
 * unwinding info) at addresses taken from the input. */
#include <string.h>

#include "fuzz.h"
#include "tprof/jitdump.h"

static void lookups(struct jitdump *jd, const uint8_t *data, size_t size)
{
    for (size_t i = 0; i + 8 <= size && i < 512; i += 8) {
        uint64_t addr, start, len;
        memcpy(&addr, data + i, 8);
        const char *n = jitdump_find(jd, addr, &start, &len);
        if (n && (strlen(n) > PERFMAP_MAX_NAME || addr < start || addr - start >= len))
            abort();
        /* unwinding info: its table within its bytes, its bytes placed
         * after the code without wrapping */
        const struct jit_unwind *uw = jitdump_unwind(jd, addr, &start, &len);
        if (uw && (uw->hdr_off + 12 + (uint64_t)uw->fde_count * 8 > uw->size ||
                   uw->data[uw->hdr_off] != 1 || uw->at < start + len ||
                   uw->at + uw->size < uw->at))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jitdump *jd = jitdump_new("/nonexistent/jit-1.dump", NULL);
    jitdump_parse(jd, data, size);
    lookups(jd, data, size);
    jitdump_free(jd);

    jd = jitdump_new("/nonexistent/jit-1.dump", NULL);
    jitdump_parse(jd, data, size / 2);
    jitdump_parse(jd, data, size);
    lookups(jd, data, size);
    (void)strlen(jitdump_error(jd));
    jitdump_free(jd);
    return 0;
}
