/* The pprof reader on any bytes (a raw message, or gzip), then every
 * writer on what was accepted. */
#include <stdio.h>

#include "fuzz.h"
#include "tprof/export.h"
#include "tprof/folded.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256], note[256];
    (void)pprof_detect(data, size);
    struct profile *p = pprof_read(data, size, size && data[0] & 1 ? "samples" : NULL, note,
                                   sizeof(note), err, sizeof(err));
    if (!p)
        return 0;
    FILE *null = fopen("/dev/null", "w");
    folded_write(p, null);
    pprof_write(p, null);
    fclose(null);
    profile_free(p);
    return 0;
}
