/* The folded reader on any bytes, then what the viewer and report do with
 * what it accepted: write it back, rank functions, invert, draw an icicle. */
#include <string.h>

#include "fuzz.h"
#include "tprof/canvas.h"
#include "tprof/filter.h"
#include "tprof/folded.h"
#include "tprof/icicle.h"
#include "tprof/stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64], err[256];
    int fd = fuzz_file(data, size, path);
    struct folded_stats st;
    struct profile *p = folded_read(path, &st, err, sizeof(err));
    close(fd);
    if (!p)
        return 0;
    profile_sort_children(p);
    FILE *null = fopen("/dev/null", "w");
    folded_write(p, null);
    fclose(null);
    struct func_stat *rows;
    size_t n = stats_functions(p, PROFILE_ROOT, STATS_BY_NAME, &rows);
    if (n) {
        struct stats_callers sc;
        stats_callers(p, rows[n - 1].frame, &sc);
        stats_callers_free(&sc);
    }
    free(rows);
    struct filter *f = filter_new(FILTER_INVERT, NULL, false, err, sizeof(err));
    struct profile *q = filter_apply(p, &f, 1);
    filter_free(f);
    struct canvas *c = canvas_new(40, 12, true);
    struct icicle_opts o = {.zoom = PROFILE_ROOT, .selected = PROFILE_ROOT, .color = true};
    icicle_render(q, &o, c, 0, 0, 40, 12, NULL);
    canvas_free(c);
    profile_free(q);
    profile_free(p);
    return 0;
}
