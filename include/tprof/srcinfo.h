/* srcinfo: what DWARF says of a code address: the functions inlined there
 * and the source lines. */
#ifndef TPROF_SRCINFO_H
#define TPROF_SRCINFO_H

#include <stddef.h>
#include <stdint.h>

struct dso;

/* Longest chain kept: the function and up to 15 inlined into it. */
#define SRCINFO_MAX 16

struct src_frame {
    char *name;    /* demangled, no parameter list; NULL: DWARF names none */
    char *file;    /* basename of the source file; NULL: unknown */
    unsigned line; /* 0: unknown */
};

/* The index of the compilation units asked about, for the life of the
 * dsos they belong to (free it first). */
struct srcinfo;
struct srcinfo *srcinfo_new(void);
void srcinfo_free(struct srcinfo *si);

/* The functions at VADDR of D, outermost first: the function whose code it
 * is, then each function inlined into it down to the one executing. Each
 * has its source line: the innermost the line of VADDR, the others the line
 * of the call their inlined callee stands for. At most MAX (a longer chain
 * loses its middle: the function and the innermost ones stay); 0 when D's
 * DWARF does not cover VADDR. Free with srcinfo_clear. */
size_t srcinfo_frames(struct srcinfo *si, struct dso *d, uint64_t vaddr, struct src_frame *out,
                      size_t max);
void srcinfo_clear(struct src_frame *f, size_t n);

#endif
