/* maps: the address space of every sampled process, built from MMAP2 records
 * (or /proc/PID/maps), so an address can be traced to a file offset. */
#ifndef TPROF_MAPS_H
#define TPROF_MAPS_H

#include <stdint.h>

struct dso;

enum map_kind { MAPPING_FILE, MAPPING_ANON, MAPPING_VDSO };

struct map {
    uint64_t start, end; /* [start, end) */
    uint64_t pgoff;
    uint32_t prot; /* PROT_* bits */
    enum map_kind kind;
    struct dso *dso; /* MAPPING_FILE and MAPPING_VDSO; not owned */
};

struct maps;

struct maps *maps_new(void);
void maps_free(struct maps *ms);

/* Map M into PID, replacing whatever it overlaps (ld.so maps a whole file,
 * then overlays pieces with MAP_FIXED: the older mapping is split). */
void maps_add(struct maps *ms, uint32_t pid, const struct map *m);
/* A new process PID, forked from PPID: a copy of its address space. */
void maps_fork(struct maps *ms, uint32_t ppid, uint32_t pid);
/* PID exec'd or exited: forget its address space. */
void maps_clear(struct maps *ms, uint32_t pid);
/* The mapping of PID containing ADDR, or NULL. */
const struct map *maps_find(struct maps *ms, uint32_t pid, uint64_t addr);
/* Every mapping of PID, in address order (*N of them), valid until the
 * next change to PID's address space. */
const struct map *maps_all(struct maps *ms, uint32_t pid, size_t *n);
/* Number of mappings of PID (tests). */
unsigned maps_count(struct maps *ms, uint32_t pid);

#endif
