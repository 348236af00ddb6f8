/* /proc/kallsyms text and tprof's cache entry of it, with any contents:
 * each read, then looked up at addresses taken from the input. The entry's
 * digest is taken from its own header, so that inputs get past that check
 * to the sizes, offsets and order behind it. */
#include <string.h>

#include "fuzz.h"
#include "tprof/kallsyms.h"

static void look_up(const struct kallsyms *k, const uint8_t *data, size_t size)
{
    for (size_t i = 0; i + 8 <= size && i < 512; i += 8) {
        uint64_t addr;
        memcpy(&addr, data + i, 8);
        const char *n = kallsyms_lookup(k, addr);
        if (n)
            (void)strlen(n);
        (void)kallsyms_partial(k, addr);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_file(data, size, path);
    struct kallsyms *k = kallsyms_new(path);
    look_up(k, data, size);
    kallsyms_free(k);
    uint64_t digest = 0;
    if (size >= 16)
        memcpy(&digest, data + 8, 8);
    k = kallsyms_cache_read(path, digest);
    if (k) {
        look_up(k, data, size);
        kallsyms_free(k);
    }
    close(fd);
    return 0;
}
