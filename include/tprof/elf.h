/* elf: one ELF file (a "dso") opened through libelf, with its symbols, load
 * segments and unwind table; and a cache of them keyed by path and build-id. */
#ifndef TPROF_ELF_H
#define TPROF_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dso;
struct dso_cache;

struct dso_cache *dso_cache_new(void);
void dso_cache_free(struct dso_cache *c);
/* Write a progress line to FD while a debug file is fetched from debuginfod
 * (-1, the default: none). */
void dso_cache_set_progress_fd(struct dso_cache *c, int fd);
/* A note to show once (the DWARF cache could not be written) into BUF;
 * false when there is none. */
bool dso_cache_take_note(struct dso_cache *c, char *buf, size_t len);

/* The dso for PATH (with the build-id from the MMAP2 record, if any). Never
 * NULL: a file that cannot be read gives a dso for which dso_ok() is false.
 * "[vdso]" is served from tprof's own vDSO, which is the same kernel's. */
struct dso *dso_cache_get(struct dso_cache *c, const char *path, const uint8_t *build_id,
                          size_t build_id_size);

bool dso_ok(const struct dso *d);
const char *dso_path(const struct dso *d);
const char *dso_basename(const struct dso *d);
/* Why the dso is not usable ("" when it is). */
const char *dso_error(const struct dso *d);
/* True once, when D's file changed on disk while tprof read it (a library
 * rewritten in place): D is unusable from then on, and that is to be said. */
bool dso_take_changed_note(struct dso *d);

/* The bytes of the file, whole. */
const uint8_t *dso_image(const struct dso *d, size_t *size);

/* File offset -> the ELF virtual address it is loaded at (PT_LOAD math). */
int dso_offset_to_vaddr(const struct dso *d, uint64_t off, uint64_t *vaddr);

/* The ELF entry point (e_entry) of D; false when it has none. */
bool dso_entry(const struct dso *d, uint64_t *vaddr);

/* .eh_frame_hdr: its vaddr, the offset of its search table within it and the
 * number of table entries. -1 when the file has no usable one. */
int dso_eh_frame_hdr(const struct dso *d, uint64_t *hdr_vaddr, uint64_t *table_off,
                     uint64_t *fde_count);

/* The file's unwind info (.eh_frame_hdr through .eh_frame) as a private
 * copy, for libunwind (which reads it with signals blocked, where a
 * truncated file's SIGBUS cannot be caught). dso_cfi_ready says whether
 * D was loaded and copied; dso_cfi_prepare loads and copies (outside a
 * walk); dso_cfi gives the copy and its ELF vaddr, NULL when there is no
 * table (or the file changed). */
bool dso_cfi_ready(const struct dso *d);
void dso_cfi_prepare(struct dso *d);
const uint8_t *dso_cfi(const struct dso *d, uint64_t *vaddr, size_t *size);

/* The function symbol covering VADDR: its raw (mangled) name and start, or
 * NULL when no symbol covers it (an address past a symbol's size is not that
 * symbol). Loads the symbol table on first use: .symtab, else a debug file
 * found by build-id or .gnu_debuglink, else .dynsym. */
const char *dso_symbol(struct dso *d, uint64_t vaddr, uint64_t *start);

/* The [start, end) of the FDE (unwind info) containing VADDR: the bounds of
 * the function even when it has no symbol. -1 when none. */
int dso_fde_range(struct dso *d, uint64_t vaddr, uint64_t *start, uint64_t *end);

/* How many symbols were loaded, and from which file ("" before loading). */
size_t dso_symbol_count(struct dso *d);
/* The symbol NAME of any type (functions, data) in the file's .symtab or
 * .dynsym: its ELF vaddr and size; -1 when absent. */
int dso_find_symbol(struct dso *d, const char *name, uint64_t *vaddr, uint64_t *size);
/* LEN bytes of the file at VADDR (in a PT_LOAD), or NULL. Valid as
 * long as the dso. */
const uint8_t *dso_bytes(struct dso *d, uint64_t vaddr, size_t len);
/* The allocated section NAME: its vaddr and size; -1 when absent. */
int dso_find_section(struct dso *d, const char *name, uint64_t *vaddr, uint64_t *size);
const char *dso_symbol_source(const struct dso *d);

/* D's build id into OUT: its size, 0 when it has none (or is not usable). */
size_t dso_build_id(const struct dso *d, uint8_t out[20]);
/* The DWARF of D (libdw), from the file itself or from its debug file
 * (searched as for symbols); opened on first use, owned by D. NULL when
 * there is none. */
struct Dwarf;
struct Dwarf *dso_dwarf(struct dso *d);

#endif
