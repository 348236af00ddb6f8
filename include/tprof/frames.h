/* frames: interned frame names shared by every node of a profile. */
#ifndef TPROF_FRAMES_H
#define TPROF_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum frame_kind {
    FRAME_USER = 0, /* native code of the program or a library */
    FRAME_KERNEL,   /* folded suffix _[k] */
    FRAME_JIT,      /* folded suffix _[j] */
    FRAME_ROOT,     /* process / thread root (comm) */
    FRAME_PYTHON,   /* a Python function, "QUALNAME (FILE:LINE)" */
    FRAME_INLINE,   /* a function inlined into its caller: folded suffix _[i] */
};

struct frame {
    const char *name;   /* folded-safe: no ';', no control chars, no trailing space */
    const char *module; /* basename of the module, "" when unknown */
    enum frame_kind kind;
    bool namesake; /* another module has a function of this name and kind */
};

struct frames;

struct frames *frames_new(void);
void frames_free(struct frames *fr);

/* Intern NAME (LEN bytes) of KIND; returns its id. The name is cleaned to be
 * folded-safe: ';' becomes ':', control characters become ' ', trailing
 * whitespace is dropped and an empty name becomes "[unknown]". A name is one
 * frame per MODULE: ld.so's _start and the program's are two functions. */
uint32_t frames_intern(struct frames *fr, const char *name, size_t len, enum frame_kind kind,
                       const char *module);
/* ON: a name of a known module is the frame of that name and kind whose
 * module is unknown, when there is one, and a process root the ordinary
 * frame of its name (a live profile compared with a folded file, which
 * names neither modules nor roots). */
void frames_set_loose_modules(struct frames *fr, bool on);

/* Give frame ID, alone with its name (a placeholder such as "[jit 0x...]"),
 * the name NAME, keeping its kind and module. True when a frame of that name,
 * kind and module already existed: the profile then holds the same frame
 * twice, which profile_merge into a new profile joins. */
bool frames_rename(struct frames *fr, uint32_t id, const char *name);
/* The id of the frame already interned as NAME (a cleaned name, as
 * frames_get gives it) of KIND in MODULE, UINT32_MAX when there is none. */
uint32_t frames_find(const struct frames *fr, const char *name, enum frame_kind kind,
                     const char *module);
const struct frame *frames_get(const struct frames *fr, uint32_t id);
size_t frames_count(const struct frames *fr);

/* Suffix the folded format gives to frames of KIND ("_[k]", "_[j]", "_[i]"
 * or ""). */
const char *frames_kind_suffix(enum frame_kind kind);
/* The mark reports give KIND in their kind column ("[k]", "[j]", "[i]",
 * "[py]" or ""). */
const char *frames_kind_mark(enum frame_kind kind);

#endif
