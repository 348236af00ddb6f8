/* cache: tprof's files under $XDG_CACHE_HOME/tprof (default
 * ~/.cache/tprof), what is costly to compute from what does not change
 * (a debug file's inflated DWARF, the kernel's symbols for this boot).
 * Nothing read from it is trusted: each reader checks what it reads. */
#ifndef TPROF_CACHE_H
#define TPROF_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Off (--no-cache): no path is given, nothing is read or written. */
void cache_set_enabled(bool on);
/* Whether it is on (not --no-cache). */
bool cache_enabled(void);
/* The directory, instead of the environment's (tests). */
void cache_set_dir(const char *dir);
/* The path of the entry NAME (malloc'd), or NULL: no cache (off, no home). */
char *cache_path(const char *name);
/* A new file to write the entry NAME to: its fd, *TMP its path (malloc'd).
 * The directory is made (0700) if need be, and must be the user's: root
 * under sudo writing into another's would leave files they cannot
 * remove. -1 with ERR. */
int cache_create(const char *name, char **tmp, char *err, size_t errlen);
/* The file written whole (FD is closed): synced and renamed into place,
 * so that a reader sees a whole entry or none; OK false, or any step
 * failing (a full disk), removes it. -1 with ERR (when OK). TMP is freed. */
int cache_commit(const char *name, int fd, char *tmp, bool ok, char *err, size_t errlen);
/* A build id's first 20 bytes in hex into OUT (entries are named by it). */
void cache_hex(const uint8_t *bid, size_t n, char out[41]);
/* This boot's id (/proc/sys/kernel/random/boot_id: hex digits and dashes)
 * into ID; false when there is none. */
bool cache_boot_id(char *id, size_t len);
/* Remove the entries whose names start with PREFIX, but KEEP: those of
 * boots gone. */
void cache_remove_others(const char *prefix, const char *keep);

#endif
