/*
 * marshal: Python's marshal format, read as CPython's marshal.c reads it
 * (version 4). Each type code may carry FLAG_REF (0x80): the object is then
 * appended to the reference table, containers before their items, so that
 * a later 'r' can name it by index. Code objects differ by version: 3.8 to
 * 3.10 write six int32 fields before the bytecode (nlocals among them),
 * 3.11 to 3.13 five (and a qualname); a file says nothing of its version,
 * so a code object is read in the layout that worked last, else the other,
 * each checked field by field (a bytecode is bytes, a name text ...), with
 * the reference table and offset put back between tries.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tprof/marshal.h"
#include "tprof/xalloc.h"

#define FLAG_REF 0x80
#define MAX_DEPTH 200 /* nesting: CPython allows 2000, a pstats file needs < 10 */

struct marshal {
    const unsigned char *p;
    size_t len, pos;
    int depth;
    int layout; /* of code objects: 0 unknown, 311 (3.11+), 38 (3.8-3.10) */
    int trying; /* the layout tried for the code object being read, or 0 */
    VEC(struct mobj *) refs;
    VEC(void *) owned; /* every allocation, freed together */
    char *err;
    size_t errlen;
    bool failed;
};

static bool fail(struct marshal *m, const char *what)
{
    if (!m->failed)
        snprintf(m->err, m->errlen, "%s at offset %zu", what, m->pos);
    m->failed = true;
    return false;
}

static void *own(struct marshal *m, size_t size)
{
    void *p = xcalloc(1, size ? size : 1);
    VEC_PUSH(m->owned, p);
    return p;
}

static bool take(struct marshal *m, size_t n, const unsigned char **out)
{
    if (n > m->len - m->pos)
        return fail(m, "truncated marshal data");
    *out = m->p + m->pos;
    m->pos += n;
    return true;
}

static bool r_byte(struct marshal *m, unsigned *v)
{
    const unsigned char *b;
    if (!take(m, 1, &b))
        return false;
    *v = b[0];
    return true;
}

static bool r_i32(struct marshal *m, int32_t *v)
{
    const unsigned char *b;
    if (!take(m, 4, &b))
        return false;
    uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    memcpy(v, &u, sizeof(*v));
    return true;
}

/* A count of items or bytes: not negative, and not more than the bytes
 * left divided by the least each takes (no allocation sized by a lie). */
static bool r_count(struct marshal *m, size_t least, size_t *n)
{
    int32_t v;
    if (!r_i32(m, &v))
        return false;
    if (v < 0)
        return fail(m, "negative length in marshal data");
    if ((size_t)v > (m->len - m->pos) / least)
        return fail(m, "length past the end of the marshal data");
    *n = (size_t)v;
    return true;
}

static const struct mobj *r_object(struct marshal *m);

static struct mobj *new_obj(struct marshal *m, enum mtype t, bool ref)
{
    struct mobj *o = own(m, sizeof(*o));
    o->type = t;
    if (ref)
        VEC_PUSH(m->refs, o);
    return o;
}

static bool r_items(struct marshal *m, struct mobj *o, size_t n)
{
    o->v = own(m, n * sizeof(*o->v));
    o->len = n;
    for (size_t i = 0; i < n; i++)
        if (!(o->v[i] = (struct mobj *)r_object(m)))
            return false;
    return true;
}

static bool r_text(struct marshal *m, struct mobj *o, size_t n)
{
    const unsigned char *b;
    if (!take(m, n, &b))
        return false;
    o->s = (const char *)b;
    o->n = n;
    return true;
}

/* An object of TYPE (or, with TYPE2 not 0, of that one) or fail. */
static const struct mobj *r_typed(struct marshal *m, enum mtype type, enum mtype type2)
{
    const struct mobj *o = r_object(m);
    if (o && o->type != type && (!type2 || o->type != type2)) {
        fail(m, "unexpected field in a code object");
        return NULL;
    }
    return o;
}

/* The fields of a code object after the 'c' in LAYOUT, into O. */
static bool r_code_fields(struct marshal *m, struct mobj *o, int layout)
{
    int32_t v;
    for (int i = 0; i < (layout == 311 ? 5 : 6); i++)
        if (!r_i32(m, &v))
            return false;
    if (!r_typed(m, M_BYTES, 0) || !r_typed(m, M_TUPLE, 0) || !r_typed(m, M_TUPLE, 0))
        return false; /* code, consts, names */
    if (layout == 311) {
        if (!r_typed(m, M_TUPLE, 0) || !r_typed(m, M_BYTES, 0))
            return false; /* localsplusnames, localspluskinds */
    } else {
        for (int i = 0; i < 3; i++) /* varnames, freevars, cellvars */
            if (!r_typed(m, M_TUPLE, 0))
                return false;
    }
    if (!(o->code.filename = r_typed(m, M_STR, 0)) || !(o->code.name = r_typed(m, M_STR, 0)))
        return false;
    if (layout == 311 && !(o->code.qualname = r_typed(m, M_STR, 0)))
        return false;
    if (!r_i32(m, &o->code.firstlineno))
        return false;
    if (!r_typed(m, M_BYTES, 0)) /* lnotab / linetable */
        return false;
    if (layout == 311 && !r_typed(m, M_BYTES, 0)) /* exceptiontable */
        return false;
    return true;
}

/* A code object. Those nested in it (functions in its constants) are read
 * in the layout being tried for it: one file, one Python version, and no
 * retry inside a retry (a hostile nesting would cost 2^depth). */
static bool r_code(struct marshal *m, struct mobj *o)
{
    if (m->trying)
        return r_code_fields(m, o, m->trying);
    int first = m->layout ? m->layout : 311;
    size_t pos = m->pos, nrefs = m->refs.n;
    m->trying = first;
    bool ok = r_code_fields(m, o, first);
    m->trying = 0;
    if (ok) {
        m->layout = first;
        return true;
    }
    /* the other layout, from the same place */
    char saved[256];
    snprintf(saved, sizeof(saved), "%s", m->err);
    m->pos = pos;
    m->refs.n = nrefs;
    m->failed = false;
    o->code.qualname = NULL;
    int other = first == 311 ? 38 : 311;
    m->trying = other;
    ok = r_code_fields(m, o, other);
    m->trying = 0;
    if (ok) {
        m->layout = other;
        return true;
    }
    snprintf(m->err, m->errlen, "%s (a code object of neither Python 3.8-3.10 nor 3.11-3.13)",
             saved);
    return false;
}

static bool r_long(struct marshal *m, struct mobj *o)
{
    int32_t n;
    if (!r_i32(m, &n))
        return false;
    if (n == INT32_MIN)
        return fail(m, "bad long in marshal data");
    size_t digits = (size_t)(n < 0 ? -n : n);
    if (digits > (m->len - m->pos) / 2)
        return fail(m, "length past the end of the marshal data");
    uint64_t v = 0;
    bool big = false;
    for (size_t i = 0; i < digits; i++) {
        const unsigned char *b;
        if (!take(m, 2, &b))
            return false;
        unsigned d = b[0] | (unsigned)b[1] << 8;
        if (d >= 1u << 15)
            return fail(m, "digit out of range in a marshal long");
        if (i == digits - 1 && d == 0)
            return fail(m, "unnormalized marshal long");
        if (i >= 5 || (i == 4 && d >= 1u << 3))
            big = big || d != 0;
        else
            v |= (uint64_t)d << (15 * i);
    }
    o->big = big || v > INT64_MAX;
    int64_t s = o->big ? INT64_MAX : (int64_t)v;
    o->i = n < 0 ? -s : s;
    return true;
}

static const struct mobj *r_object(struct marshal *m)
{
    if (m->failed)
        return NULL;
    if (m->depth >= MAX_DEPTH) {
        fail(m, "marshal data nested too deep");
        return NULL;
    }
    unsigned code;
    if (!r_byte(m, &code))
        return NULL;
    bool ref = (code & FLAG_REF) != 0;
    unsigned type = code & ~(unsigned)FLAG_REF;
    struct mobj *o = NULL;
    size_t n;
    int32_t i32;
    const unsigned char *b;
    m->depth++;
    switch (type) {
    case '0': /* NULL: only where a dict ends */
        fail(m, "unexpected NULL in marshal data");
        break;
    case 'N':
    case 'S':
    case '.':
        o = new_obj(m, M_NONE, false);
        break;
    case 'F':
    case 'T':
        o = new_obj(m, M_BOOL, false);
        o->i = type == 'T';
        break;
    case 'i':
        o = new_obj(m, M_INT, ref);
        if (r_i32(m, &i32))
            o->i = i32;
        break;
    case 'l':
        o = new_obj(m, M_INT, ref);
        r_long(m, o);
        break;
    case 'g':
        o = new_obj(m, M_FLOAT, ref);
        if (take(m, 8, &b)) {
            uint64_t u = 0;
            for (int k = 7; k >= 0; k--)
                u = u << 8 | b[k];
            memcpy(&o->f, &u, sizeof(o->f));
        }
        break;
    case 'f': { /* float as text: 1-byte length */
        unsigned len;
        o = new_obj(m, M_FLOAT, ref);
        if (r_byte(m, &len) && take(m, len, &b)) {
            char t[257];
            memcpy(t, b, len);
            t[len] = '\0';
            char *end;
            o->f = strtod(t, &end);
            if (end == t)
                fail(m, "bad float in marshal data");
        }
        break;
    }
    case 'y': /* complex: two binary doubles */
        o = new_obj(m, M_COMPLEX, ref);
        take(m, 16, &b);
        break;
    case 'x': { /* complex as text: two 1-byte-length strings */
        unsigned len;
        o = new_obj(m, M_COMPLEX, ref);
        for (int k = 0; k < 2 && r_byte(m, &len); k++)
            take(m, len, &b);
        break;
    }
    case 's':
        o = new_obj(m, M_BYTES, ref);
        if (r_count(m, 1, &n))
            r_text(m, o, n);
        break;
    case 'u':
    case 't':
    case 'a':
    case 'A':
        o = new_obj(m, M_STR, ref);
        if (r_count(m, 1, &n))
            r_text(m, o, n);
        break;
    case 'z':
    case 'Z': {
        unsigned len;
        o = new_obj(m, M_STR, ref);
        if (r_byte(m, &len))
            r_text(m, o, len);
        break;
    }
    case ')': {
        unsigned len;
        o = new_obj(m, M_TUPLE, ref);
        if (r_byte(m, &len) && len > m->len - m->pos)
            fail(m, "length past the end of the marshal data");
        else if (!m->failed)
            r_items(m, o, len);
        break;
    }
    case '(':
    case '[':
    case '<':
    case '>':
        o = new_obj(m, type == '(' ? M_TUPLE : type == '[' ? M_LIST : M_SET, ref);
        if (r_count(m, 1, &n))
            r_items(m, o, n);
        break;
    case '{': {
        o = new_obj(m, M_DICT, ref);
        VEC(struct mobj *) kv = {0};
        for (;;) {
            if (m->pos < m->len && (m->p[m->pos] & ~FLAG_REF) == '0') {
                m->pos++;
                break;
            }
            const struct mobj *k = r_object(m);
            if (!k)
                break;
            if (m->pos < m->len && (m->p[m->pos] & ~FLAG_REF) == '0') {
                m->pos++; /* a key without a value ends it too, as in CPython */
                break;
            }
            const struct mobj *v = r_object(m);
            if (!v)
                break;
            VEC_PUSH(kv, (struct mobj *)k);
            VEC_PUSH(kv, (struct mobj *)v);
        }
        o->len = kv.n / 2;
        o->v = own(m, kv.n * sizeof(*o->v));
        if (kv.n)
            memcpy(o->v, kv.v, kv.n * sizeof(*o->v));
        free(kv.v);
        break;
    }
    case 'c':
        o = new_obj(m, M_CODE, ref);
        r_code(m, o);
        break;
    case 'r':
        if (r_i32(m, &i32)) {
            if (i32 < 0 || (size_t)i32 >= m->refs.n)
                fail(m, "invalid reference in marshal data");
            else
                o = m->refs.v[i32];
        }
        break;
    default: {
        char what[64];
        snprintf(what, sizeof(what), "unknown marshal type code 0x%02x", code);
        m->pos--;
        fail(m, what);
        break;
    }
    }
    m->depth--;
    return m->failed ? NULL : o;
}

struct marshal *marshal_read(const void *buf, size_t len, const struct mobj **top, char *err,
                             size_t errlen)
{
    struct marshal *m = xcalloc(1, sizeof(*m));
    m->p = buf;
    m->len = len;
    m->err = err;
    m->errlen = errlen;
    *top = r_object(m);
    if (*top && m->pos != m->len)
        fail(m, "data after the marshalled object");
    if (m->failed) {
        marshal_free(m);
        *top = NULL;
        return NULL;
    }
    return m;
}

void marshal_free(struct marshal *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->owned.n; i++)
        free(m->owned.v[i]);
    free(m->owned.v);
    free(m->refs.v);
    free(m);
}
