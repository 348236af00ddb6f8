/* jitdump: JIT symbols from a jit-PID.dump file, the format perf inject
 * reads (node --perf-prof, python3.13 -X perf_jit, Erlang +JPperf true, JVM
 * agents): code-load, code-move and unwinding-info records. */
#ifndef TPROF_JITDUMP_H
#define TPROF_JITDUMP_H

#include <stddef.h>
#include <stdint.h>

#include "tprof/jittab.h"
#include "tprof/perfmap.h"

struct jitdump;

/* The dump at PATH (the runtime maps it into itself; that mapping is how it
 * is found). Read as it grows: a lookup that misses reads the records added
 * since. Never NULL. */
struct jitdump *jitdump_new(const char *path, const struct jit_trust *trust);
void jitdump_free(struct jitdump *jd);

const char *jitdump_path(const struct jitdump *jd);

/* Name of the code covering ADDR, or NULL; START and SIZE (either may be
 * NULL) get its extent. Valid until the next lookup. */
const char *jitdump_find(struct jitdump *jd, uint64_t addr, uint64_t *start, uint64_t *size);
/* The two halves of jitdump_find, for many lookups after one read: read
 * what was added since, and look up what has been read. */
void jitdump_refresh(struct jitdump *jd);
const char *jitdump_lookup(struct jitdump *jd, uint64_t addr, uint64_t *start, uint64_t *size);

/* The unwind information (eh_frame) of the code covering ADDR, or NULL when
 * its runtime wrote none; START and SIZE get the code's extent. Reads on, as
 * jitdump_find, when nothing covers ADDR. Valid while JD lives. */
const struct jit_unwind *jitdump_unwind(struct jitdump *jd, uint64_t addr, uint64_t *start,
                                        uint64_t *size);

/* Why the file was not used, or stopped being read ("" when fine). */
const char *jitdump_error(const struct jitdump *jd);

/* Records of these many bytes and more are refused (a hostile dump cannot
 * make tprof allocate without bound). */
#define JITDUMP_MAX_RECORD (64u << 20)

/* Read the records in BUF[0..LEN) as one dump file's bytes; for tests and the
 * fuzzer. Returns the records read. */
size_t jitdump_parse(struct jitdump *jd, const uint8_t *buf, size_t len);

#endif
