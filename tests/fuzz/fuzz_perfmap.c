/* A perf map file (/tmp/perf-PID.map) with any contents: parsed, then looked
 * up at addresses taken from the input. */
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "tprof/perfmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char dir[64];
    if (!dir[0]) {
        snprintf(dir, sizeof(dir), "/tmp/tprof-fuzz-perfmap.%d", (int)getpid());
        mkdir(dir, 0700);
    }
    char path[128];
    snprintf(path, sizeof(path), "%s/perf-1.map", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fwrite(data, 1, size, f);
    fclose(f);
    struct perfmap *pm = perfmap_new(1, dir, NULL);
    for (size_t i = 0; i + 8 <= size && i < 256; i += 8) {
        uint64_t addr;
        memcpy(&addr, data + i, 8);
        const char *n = perfmap_lookup(pm, addr);
        if (n)
            (void)strlen(n);
    }
    /* the line parser alone, on the first line */
    char line[512];
    size_t n = size < sizeof(line) - 1 ? size : sizeof(line) - 1;
    memcpy(line, data, n);
    line[n] = '\0';
    uint64_t s, z;
    const char *name;
    if (perfmap_parse_line(line, &s, &z, &name) == 0)
        (void)strlen(name);
    perfmap_free(pm);
    unlink(path);
    return 0;
}
