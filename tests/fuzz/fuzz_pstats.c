/* The pstats reader (and the marshal reader under it) on any bytes: the
 * tree, pstats's own table and the folded output of what was accepted. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "tprof/folded.h"
#include "tprof/pstats.h"
#include "tprof/stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    struct pstats_stats st;
    (void)pstats_detect(data, size);
    struct profile *p = pstats_read(data, size, &st, err, sizeof(err));
    if (!p)
        return 0;
    struct func_stat *v;
    size_t n = stats_functions(p, PROFILE_ROOT, STATS_BY_TOTAL, &v);
    (void)n;
    free(v);
    FILE *null = fopen("/dev/null", "w");
    folded_write(p, null);
    fclose(null);
    profile_free(p);
    return 0;
}
