/* /proc/PID/maps text with any contents: parsed into an address space, then
 * addresses from the input resolved and handed to the unwinder's lookup.
 * (Names in the input may be real paths: they are opened as the recorder
 * would, never blocking.) */
#include <string.h>

#include "fuzz.h"
#include "tprof/symbols.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fmemopen((void *)data, size, "r");
    if (!f)
        return 0;
    struct symbols_opts o = {.perfmap_dir = "/nonexistent", .kallsyms_path = "/nonexistent"};
    struct symbols *s = symbols_new(&o);
    symbols_read_maps(s, 1, f);
    fclose(f);
    for (size_t i = 0; i + 8 <= size && i < 512; i += 8) {
        uint64_t addr;
        memcpy(&addr, data + i, 8);
        struct unwind_mapping m;
        symbols_unwind_find(s, 1, addr, &m);
        struct symref *r = symbols_user(s, 1, addr, i & 8);
        (void)strlen(r->name);
    }
    symbols_fork(s, 1, 2);
    symbols_exec(s, 1);
    symbols_free(s);
    return 0;
}
