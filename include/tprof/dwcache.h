/* dwcache: decompressed copies of debug files' DWARF, by build id, in
 * tprof's cache (cache.h). */
#ifndef TPROF_DWCACHE_H
#define TPROF_DWCACHE_H

#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The entry's path for build id BID (malloc'd), or NULL: no cache (off,
 * no home directory). */
char *dwcache_path(const uint8_t *bid, size_t n);
/* Whether E has a compressed DWARF section: what the cache is for. */
bool dwcache_compressed(Elf *e);
/* Whether E, read from the cache, can be used: an ELF file whose build
 * id is BID with DWARF and nothing compressed. Everything else in the
 * entry is checked as any debug file is, by libelf and libdw. */
bool dwcache_valid(Elf *e, const uint8_t *bid, size_t n);
/* Write the entry for build id BID from SRC, whose DWARF sections libdw
 * has decompressed in place (as cache_commit: whole or not at all). -1
 * with ERR on any failure (a full disk, a directory not the user's). */
int dwcache_store(const uint8_t *bid, size_t n, Elf *src, char *err, size_t errlen);

#endif
