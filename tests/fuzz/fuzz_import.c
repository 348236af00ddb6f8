/* The import layer on any bytes: format detection, the perf script reader
 * with each flag set (the first input byte picks them), the folded,
 * pstats and speedscope readers,
 * and writing back what was accepted in each output format (and as a
 * two-column diff against itself). */
#include <string.h>

#include "fuzz.h"
#include "tprof/export.h"
#include "tprof/folded.h"
#include "tprof/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64], err[256], note[300];
    struct import_opts o = {0};
    if (size > 0) {
        uint8_t b = data[0];
        o.perf = (struct perfscript_opts){.pid = b & 1, .tid = b & 2, .kernel = b & 4,
                                          .jit = b & 8, .addrs = b & 16,
                                          .event = (b & 32) ? "cycles" : NULL};
    }
    int fd = fuzz_file(data, size, path);
    enum import_format fmt;
    struct profile *p = profile_import(path, &o, &fmt, note, sizeof(note), err, sizeof(err));
    close(fd);
    if (!p)
        return 0;
    FILE *null = fopen("/dev/null", "w");
    folded_write(p, null);
    speedscope_write(p, "fuzz", null);
    svg_write(p, "fuzz", null);
    /* as a two-column diff against itself, addresses stripped */
    struct folded_diff_opts d = {.normalize = true, .strip_hex = true};
    folded_write_diff(p, p, &d, null);
    fclose(null);
    char out[64];
    perfscript_tidy((const char *)data, size, out, sizeof(out));
    profile_free(p);
    return 0;
}
