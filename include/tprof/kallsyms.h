/* kallsyms: kernel function names from /proc/kallsyms. */
#ifndef TPROF_KALLSYMS_H
#define TPROF_KALLSYMS_H

#include <stdint.h>

struct kallsyms;

/* Read PATH (normally "/proc/kallsyms"). Never NULL; with no readable
 * addresses (kptr_restrict) every lookup returns NULL. */
struct kallsyms *kallsyms_new(const char *path);
void kallsyms_free(struct kallsyms *k);
/* The kernel function containing ADDR, or NULL. */
const char *kallsyms_lookup(const struct kallsyms *k, uint64_t addr);

#endif
