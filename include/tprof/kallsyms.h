/* kallsyms: kernel function names from /proc/kallsyms. */
#ifndef TPROF_KALLSYMS_H
#define TPROF_KALLSYMS_H

#include <stdbool.h>
#include <stdint.h>

struct kallsyms;

/* Read PATH (normally "/proc/kallsyms"). Never NULL; with no readable
 * addresses (kptr_restrict) every lookup returns NULL. */
struct kallsyms *kallsyms_new(const char *path);
/* As kallsyms_new, but /proc/kallsyms from tprof's cache when this boot's
 * entry is there and good (the kernel's own symbols alone: see
 * kallsyms_partial), else read and the entry written. */
struct kallsyms *kallsyms_load(const char *path);
/* Whether K, from the cache, holds the kernel's own symbols only and ADDR
 * is past them (a module's, a BPF program's): the file must be read. */
bool kallsyms_partial(const struct kallsyms *k, uint64_t addr);
void kallsyms_free(struct kallsyms *k);
/* Read PATH in a thread of its own, from now; kallsyms_join waits for it
 * and gives the table (its CPU counted as set-up: see setupclock.c). */
struct kallsyms_job;
struct kallsyms_job *kallsyms_start(const char *path);
struct kallsyms *kallsyms_join(struct kallsyms_job *j);
/* A cache entry at PATH (see kallsyms.c) written for DIGEST, or NULL when
 * it is not one, or not good. Exposed for the fuzz target. */
struct kallsyms *kallsyms_cache_read(const char *path, uint64_t digest);
/* The kernel function containing ADDR, or NULL. */
const char *kallsyms_lookup(const struct kallsyms *k, uint64_t addr);

#endif
