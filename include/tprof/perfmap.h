/* perfmap: JIT symbols from /tmp/perf-PID.map ("START SIZE name", hex). */
#ifndef TPROF_PERFMAP_H
#define TPROF_PERFMAP_H

#include <stddef.h>
#include <stdint.h>

struct perfmap;

/* Read the map of PID from DIR (normally "/tmp"); the file is re-read when it
 * has grown since. Never NULL. */
struct perfmap *perfmap_new(uint32_t pid, const char *dir);
void perfmap_free(struct perfmap *pm);

/* Name of the JIT function covering ADDR, or NULL. The name stays valid
 * until the next lookup (a lookup may re-read the file). */
const char *perfmap_lookup(struct perfmap *pm, uint64_t addr);

/* Why the file was not used ("" when it was or does not exist). */
const char *perfmap_error(const struct perfmap *pm);

/* Names longer than this are cut (a hostile map cannot make one frame huge). */
#define PERFMAP_MAX_NAME 4096

/* Parse one line; 0 on success. Exposed for tests. */
int perfmap_parse_line(const char *line, uint64_t *start, uint64_t *size, const char **name);

#endif
