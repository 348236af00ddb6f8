/* marshal: a reader of Python's marshal format (version 4, as Python 3.8 to
 * 3.13 write it), for pstats files. Every object is read, code objects
 * included (the pure-Python profile module keys one entry by one); nothing
 * is executed. The input is hostile: every length is checked against what
 * is left, nesting is bounded, and a back reference may point only to an
 * object already begun (so a container may refer to itself: walk objects
 * only as deep as an expected shape, never recursively). */
#ifndef TPROF_MARSHAL_H
#define TPROF_MARSHAL_H

#include <stddef.h>
#include <stdint.h>

enum mtype {
    M_NONE,  /* None, and the other singletons (Ellipsis, StopIteration) */
    M_BOOL,  /* .i 0 or 1 */
    M_INT,   /* .i; a long beyond int64 saturates and sets .big */
    M_FLOAT, /* .f */
    M_STR,   /* .s, .n bytes: UTF-8 or ASCII text, not NUL-terminated */
    M_BYTES, /* .s, .n bytes */
    M_TUPLE, /* .v, .len objects */
    M_LIST,  /* .v, .len */
    M_SET,   /* .v, .len (set and frozenset) */
    M_DICT,  /* .v, .len pairs: 2 .len objects, key then value */
    M_CODE,  /* .code */
    M_COMPLEX,
};

struct mobj {
    enum mtype type;
    int big;
    union {
        int64_t i;
        double f;
        struct {
            const char *s;
            size_t n;
        };
        struct {
            struct mobj **v;
            size_t len;
        };
        struct {
            const struct mobj *filename, *name, *qualname; /* qualname NULL before 3.11 */
            int32_t firstlineno;
        } code;
    };
};

struct marshal;

/* Read the one object that BUF (LEN bytes, kept by the caller for the
 * reader's life) holds. NULL with ERR (naming the offset) when it is not
 * marshal data; trailing bytes after it are an error too. */
struct marshal *marshal_read(const void *buf, size_t len, const struct mobj **top, char *err,
                             size_t errlen);
void marshal_free(struct marshal *m);

#endif
