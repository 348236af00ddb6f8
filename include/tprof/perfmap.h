/* perfmap: JIT symbols from /tmp/perf-PID.map ("START SIZE name", hex). */
#ifndef TPROF_PERFMAP_H
#define TPROF_PERFMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Whose JIT files (perf maps, jitdumps) are believed. Root's and the current
 * user's always are; OWNER is the profiled program's user ((uid_t)-1: not
 * known); ANY believes every owner (--jit-any-owner). */
struct jit_trust {
    uid_t owner;
    bool any;
};

/* Open the JIT file PATH to read it again when its size is no longer SEEN
 * (-1: never read): a descriptor, with ST its stat. -1 when it is absent,
 * not a regular file, or unchanged; -2 when it is not trusted under T (NULL:
 * root and the current user only), ERR then saying why (ST still set). */
int jit_file_open(const char *path, off_t seen, const struct jit_trust *t, struct stat *st,
                  char *err, size_t errlen);

struct perfmap;

/* Read the map of PID from DIR (normally "/tmp"); the file is re-read when it
 * has grown since. Never NULL. */
struct perfmap *perfmap_new(uint32_t pid, const char *dir, const struct jit_trust *trust);
void perfmap_free(struct perfmap *pm);

/* Name of the JIT function covering ADDR, or NULL; START and SIZE (either may
 * be NULL) get its extent. The name stays valid until the next lookup (a
 * lookup may re-read the file). */
const char *perfmap_find(struct perfmap *pm, uint64_t addr, uint64_t *start, uint64_t *size);
const char *perfmap_lookup(struct perfmap *pm, uint64_t addr);

/* Why the file was not used ("" when it was or does not exist). */
const char *perfmap_error(const struct perfmap *pm);

/* Names longer than this are cut (a hostile map cannot make one frame huge). */
#define PERFMAP_MAX_NAME 4096

/* Parse one line; 0 on success. Exposed for tests. */
int perfmap_parse_line(const char *line, uint64_t *start, uint64_t *size, const char **name);

#endif
