/* An ELF file with any contents, loaded as a mapped library would be:
 * headers, build-id, PT_LOADs, .eh_frame_hdr, symbols (and the debug files
 * it names), then lookups of addresses taken from the input. */
#include <string.h>

#include "fuzz.h"
#include "tprof/elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_file(data, size, path);
    struct dso_cache *c = dso_cache_new();
    struct dso *d = dso_cache_get(c, path, NULL, 0);
    if (dso_ok(d)) {
        size_t isz;
        dso_image(d, &isz);
        uint64_t hv, to, fc, v, st, en;
        dso_eh_frame_hdr(d, &hv, &to, &fc);
        dso_symbol_count(d);
        for (size_t i = 0; i + 8 <= size && i < 1024; i += 8) {
            uint64_t addr;
            memcpy(&addr, data + i, 8);
            if (dso_offset_to_vaddr(d, addr, &v) == 0)
                dso_symbol(d, v, &st);
            dso_symbol(d, addr, &st);
            dso_fde_range(d, addr, &st, &en);
            dso_fde_range(d, addr & 0xffff, &st, &en);
        }
    }
    dso_cache_free(c);
    close(fd);
    return 0;
}
