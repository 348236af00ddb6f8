/* symbols: addresses of sampled processes to function names. Owns the
 * address spaces (maps), the ELF files (dsos), JIT maps and kernel symbols. */
#ifndef TPROF_SYMBOLS_H
#define TPROF_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tprof/maps.h"
#include "tprof/unwind.h"

enum sym_kind { SYM_USER, SYM_KERNEL, SYM_JIT, SYM_INLINE };

/* A resolved function. Stable for the life of the symbols object; COOKIE is
 * free for the caller (tprof keeps the interned frame id there). */
struct symref {
    const char *name;   /* demangled, no parameter list */
    const char *module; /* basename of the file, "[kernel.kallsyms]", "[jit]", "" */
    enum sym_kind kind;
    uint32_t cookie;    /* starts as UINT32_MAX */
    bool entry;         /* a process or thread entry point (_start, clone3,
                           start_thread, the ELF's e_entry): a stack whose
                           outermost frame it is was unwound completely */
    bool nosym;         /* in a readable file with no symbol for it (a
                           stripped library): named MODULE+0xOFF */
};

struct symbols_opts {
    const char *perfmap_dir;   /* "/tmp" */
    const char *kallsyms_path; /* "/proc/kallsyms" */
    bool jit_any_owner;        /* believe perf maps and jitdumps of any owner */
    bool inlined;              /* symbols_user_frames: the inlined functions too */
    bool lines;                /* symbols_user_frames: "NAME (FILE:LINE)" */
};

struct symbols;

struct symbols *symbols_new(const struct symbols_opts *opts);
void symbols_free(struct symbols *s);

/* Side-band: an mmap of PID (from MMAP2 or /proc/PID/maps). */
void symbols_mmap(struct symbols *s, uint32_t pid, uint64_t addr, uint64_t len, uint64_t pgoff,
                  uint32_t prot, const char *filename, const uint8_t *build_id,
                  size_t build_id_size);
void symbols_fork(struct symbols *s, uint32_t ppid, uint32_t pid);
void symbols_exec(struct symbols *s, uint32_t pid);
void symbols_exit(struct symbols *s, uint32_t pid);

/* Read /proc/PID/maps (a process that was running before tprof saw its
 * MMAP2 records, or one sampled with ptrace): it replaces PID's mappings.
 * -1 with ERR when it cannot be read (the mappings are kept). */
int symbols_load_proc_maps(struct symbols *s, uint32_t pid, char *err, size_t errlen);
/* The same from F, text in /proc/PID/maps form (lines that are not are
 * skipped). */
void symbols_read_maps(struct symbols *s, uint32_t pid, FILE *f);

/* The mapping of PID containing ADDR, or NULL. */
const struct map *symbols_find_map(struct symbols *s, uint32_t pid, uint64_t addr);
/* The same when that mapping is executable, else NULL: code runs only from
 * executable mappings, so an address in another one is a wrong unwind or
 * in a mapping that has gone since the maps were read. */
const struct map *symbols_find_code(struct symbols *s, uint32_t pid, uint64_t addr);

/* An unwind_find_fn (CTX is the struct symbols): the bytes and unwind table
 * behind ADDR in PID, so the unwinder can read files it never opened. */
int symbols_unwind_find(void *ctx, uint32_t pid, uint64_t addr, struct unwind_mapping *out);
/* An unwind_prepare_fn: a walk met files whose unwind info was not copied
 * yet (they then had no table): copy it now, between walks; true when the
 * walk is worth taking again. */
bool symbols_unwind_prepare(void *ctx);
/* unwind_code_fn: the machine code of a JIT function the unwinder cannot
 * leave by CFI or frame pointer (CPython's perf trampolines). */
int symbols_unwind_code(void *ctx, uint32_t pid, uint64_t ip, bool ret_addr, uint64_t *start,
                        const uint8_t **code, size_t *len);

/* Resolve a user address of PID. CALLER: IP is a return address, so the call
 * instruction is at IP-1 (false for the sampled leaf and signal frames). */
struct symref *symbols_user(struct symbols *s, uint32_t pid, uint64_t ip, bool caller);
/* The frames of a user address for the call tree, outermost first: its
 * function (as symbols_user), then, with the inlined option, each function
 * inlined there down to the one executing (SYM_INLINE), from DWARF; with the
 * lines option each named "NAME (FILE:LINE)" by its source line (for the
 * outer ones, the line of the inlined call). At most MAX (>= 1); a chain too
 * long keeps the function and the innermost. OUT[0]'s entry is the
 * function's (as symbols_user's). Cached per address. */
size_t symbols_user_frames(struct symbols *s, uint32_t pid, uint64_t ip, bool caller,
                           struct symref **out, size_t max);
/* The build id of the file at PATH into OUT: its size, 0 when none. */
size_t symbols_build_id(struct symbols *s, const char *path, uint8_t out[20]);
/* The DWARF of the file at PATH (NULL: none), as dso_dwarf. */
struct Dwarf;
struct Dwarf *symbols_dwarf(struct symbols *s, const char *path);
/* Every mapping of PID (see maps_all). */
const struct map *symbols_maps(struct symbols *s, uint32_t pid, size_t *n);
/* Resolve a kernel address (/proc/kallsyms is read at the first, once,
 * unless symbols_kernel_soon started reading it). */
struct symref *symbols_kernel(struct symbols *s, uint64_t ip);
/* Start reading /proc/kallsyms in a thread of its own: the first kernel
 * frame, or symbols_kernel_wait, waits for it. */
void symbols_kernel_soon(struct symbols *s);
void symbols_kernel_wait(struct symbols *s);
/* Open the DWARF of the file at PATH now (for inlined functions and
 * lines, when they are asked for): a debug file's sections are inflated,
 * 40-100 ms for libc's or python3.11's unless cached. */
void symbols_preload_dwarf(struct symbols *s, const char *path);

/* A one-line note worth showing once (an untrusted perf map...) into BUF;
 * false when there is none. */
bool symbols_take_warning(struct symbols *s, char *buf, size_t len);

/* Debug files fetched from debuginfod (DEBUGINFOD_URLS) write a progress
 * line to FD as they come (-1: none). */
void symbols_set_progress_fd(struct symbols *s, int fd);

/* JIT code a process's jitdump had not named yet resolves to "[jit 0xADDR]";
 * symbols_resolve_pending (and the process's exit or exec, when runtimes
 * write their buffered dumps out) names what it can. Each symref so renamed
 * is then handed out once by symbols_take_renamed (NULL: none left): its
 * name has changed, and its frame must be renamed too. */
void symbols_resolve_pending(struct symbols *s);
/* How many lookups met JIT code (anonymous executable memory) that no perf
 * map or jitdump names: a count that grows, for the summary's hint. */
uint64_t symbols_jit_unnamed(const struct symbols *s);
struct symref *symbols_take_renamed(struct symbols *s);

#endif
