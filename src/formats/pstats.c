/*
 * pstats: a .prof file is marshal.dump() of one dict,
 *     (file, line, function) -> (cc, nc, tottime, cumtime, callers)
 * with callers (caller key) -> (nc, cc, tottime, cumtime) for cProfile and
 * -> a call count for the pure-Python profile module, which also keys its
 * own entry by a code object rather than a name. There are no stacks, only
 * call edges, so the tree is rebuilt as snakeviz builds it (see pstats.h);
 * the top table keeps pstats's own per-function times, which no tree can
 * reproduce exactly for a function called from several places.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "tprof/marshal.h"
#include "tprof/pstats.h"
#include "tprof/python.h"
#include "tprof/xalloc.h"

/* The reader's work bounds, each proportional to its input: the file at
 * most 256 MiB (import.c), nested at most 200 deep (marshal.c), so its
 * objects at most one per byte, and its call edges at most one per byte
 * too (callers dicts may be shared by reference: a 1 MB file once named
 * 4e8 edges, 148 s and 6 GB); the tree at most MAX_NODES nodes, and its
 * walk at most MAX_LOOKS looks at a call edge (a function with many callees
 * entered at many nodes: a 7 MB file once took 194 s). At either budget the
 * deeper time stays in its parents' self, and the import says so. */
#define MAX_NODES 1000000u
#define MAX_LOOKS ((size_t)64 << 20)
#define MIN_SHARE 1e-7 /* of the whole: smaller children stay in their parent's self */

struct func {
    UT_hash_handle hh;
    char *key; /* "file\0line\0name" */
    size_t keylen;
    uint32_t idx, frame; /* in the reader's list; in the profile's frames */
    double tt, ct;
    double fed; /* cumulative time of its calls from other recorded functions */
    double top; /* the rest: time at the top of the tree */
    const struct mobj *callers;
    size_t first, nkids; /* this function's callees in the edge array */
    uint32_t onpath;
    bool called;
};

struct edge {
    uint32_t caller, child;
    double t;
};

struct reader {
    struct func *by_key;
    VEC(struct func *) funcs;
    char *err;
    size_t errlen;
};

bool pstats_detect(const void *head, size_t n)
{
    const unsigned char *p = head;
    /* a dict with its reference flag (0xfb: what marshal.dump writes); a
     * plain '{' only with binary data and a key tuple or the end after it
     * (a folded line may start with '{') */
    if (n >= 1 && p[0] == 0xfb)
        return true;
    if (n < 2 || p[0] != '{' || !memchr(p, '\0', n))
        return false;
    unsigned t = p[1] & 0x7f;
    return t == '0' || t == ')' || t == '(';
}

static bool is_num(const struct mobj *o)
{
    return o && (o->type == M_INT || o->type == M_FLOAT);
}

static double num(const struct mobj *o)
{
    return o->type == M_FLOAT ? o->f : (double)o->i;
}

/* The text of a function key's name: a string, or a code object's
 * qualname (3.11+) or name. NULL when neither. */
static const struct mobj *func_name(const struct mobj *f, bool *is_code)
{
    *is_code = f->type == M_CODE;
    if (f->type == M_STR)
        return f;
    if (f->type == M_CODE)
        return f->code.qualname ? f->code.qualname : f->code.name;
    return NULL;
}

/* KEY as (file, line, name): the lookup key into BUF (freed by the caller). */
static char *key_text(const struct mobj *key, size_t *len, const struct mobj **file,
                      int64_t *line, const struct mobj **name, bool *is_code)
{
    if (!key || key->type != M_TUPLE || key->len != 3 || key->v[0]->type != M_STR ||
        key->v[1]->type != M_INT)
        return NULL;
    *file = key->v[0];
    *line = key->v[1]->i;
    *name = func_name(key->v[2], is_code);
    if (!*name)
        return NULL;
    /* (copied, not printed: a hostile name may hold NUL bytes) */
    char num[24];
    int nl = snprintf(num, sizeof(num), "%lld", (long long)*line);
    *len = (*file)->n + 1 + (size_t)nl + 1 + (*name)->n;
    char *k = xmalloc(*len + 1), *w = k;
    memcpy(w, (*file)->s, (*file)->n);
    w += (*file)->n;
    *w++ = '\0';
    memcpy(w, num, (size_t)nl);
    w += nl;
    *w++ = '\0';
    memcpy(w, (*name)->s, (*name)->n);
    k[*len] = '\0';
    return k;
}

static struct func *find(struct reader *r, const struct mobj *key)
{
    const struct mobj *file, *name;
    int64_t line;
    bool code;
    size_t len;
    char *k = key_text(key, &len, &file, &line, &name, &code);
    if (!k)
        return NULL;
    struct func *f;
    HASH_FIND(hh, r->by_key, k, len, f);
    free(k);
    return f;
}

static bool bad(struct reader *r, size_t i, const char *what)
{
    snprintf(r->err, r->errlen, "entry %zu is not a pstats entry: %s", i + 1, what);
    return false;
}

/* Entry I of the dict: KEY -> VAL. */
static bool add_entry(struct reader *r, struct profile *p, size_t i, const struct mobj *key,
                      const struct mobj *val, struct pstats_stats *st)
{
    const struct mobj *file, *name;
    int64_t line;
    bool code;
    size_t len;
    char *k = key_text(key, &len, &file, &line, &name, &code);
    if (!k)
        return bad(r, i, "its key is not (file, line, function)");
    if (!val || val->type != M_TUPLE || val->len != 5 || !is_num(val->v[0]) ||
        !is_num(val->v[1]) || !is_num(val->v[2]) || !is_num(val->v[3]) ||
        val->v[4]->type != M_DICT) {
        free(k);
        return bad(r, i, "its value is not (calls, calls, tottime, cumtime, callers)");
    }
    struct func *f;
    HASH_FIND(hh, r->by_key, k, len, f);
    if (f) { /* a key twice: the later wins, as a Python dict keeps it */
        free(k);
    } else {
        f = xcalloc(1, sizeof(*f));
        f->key = k;
        f->keylen = len;
        HASH_ADD_KEYPTR(hh, r->by_key, f->key, f->keylen, f);
        f->idx = (uint32_t)r->funcs.n;
        VEC_PUSH(r->funcs, f);
        /* builtins: file "~" (cProfile) or "" (the profile module), line
         * 0, named as pstats names them */
        char *fname;
        bool builtin = line == 0 && (file->n == 0 || (file->n == 1 && file->s[0] == '~'));
        if (builtin) {
            fname = xasprintf("%.*s", (int)name->n, name->s);
        } else {
            char *path = xasprintf("%.*s", (int)file->n, file->s);
            fname = xasprintf("%.*s (%s:%lld)", (int)name->n, name->s,
                              python_short_file(path, NULL), (long long)line);
            free(path);
        }
        f->frame = frames_intern(profile_frames(p), fname, strlen(fname),
                                 builtin ? FRAME_USER : FRAME_PYTHON, "");
        free(fname);
        st->code_keys += code;
    }
    f->tt = num(val->v[2]);
    f->ct = num(val->v[3]);
    if (!isfinite(f->tt) || !isfinite(f->ct))
        return bad(r, i, "its times are not finite numbers");
    f->callers = val->v[4];
    return true;
}

static int cmp_edge(const void *a, const void *b)
{
    const struct edge *x = a, *y = b;
    return x->caller < y->caller ? -1 : x->caller > y->caller;
}

struct walk {
    uint32_t func, node;
    size_t next; /* the next of its edges to look at */
    double scale;
};

static bool keep(const struct func *c, const struct edge *e, double scale, double min)
{
    return c->onpath == 0 && e->t * scale > 0 && e->t * scale >= min;
}

struct profile *pstats_read(const void *buf, size_t len, struct pstats_stats *st, char *err,
                            size_t errlen)
{
    memset(st, 0, sizeof(*st));
    const struct mobj *top;
    struct marshal *m = marshal_read(buf, len, &top, err, errlen);
    if (!m)
        return NULL;
    if (top->type != M_DICT) {
        snprintf(err, errlen, "the marshalled object is not a dict of functions");
        marshal_free(m);
        return NULL;
    }
    struct reader r = {.err = err, .errlen = errlen};
    struct profile *p = profile_new();
    profile_set_unit(p, PROFILE_SECONDS);
    VEC(struct edge) edges = {0};
    struct walk *stack = NULL;
    bool ok = true;
    for (size_t i = 0; ok && i < top->len; i++)
        ok = add_entry(&r, p, i, top->v[2 * i], top->v[2 * i + 1], st);
    size_t nf = r.funcs.n, ncallers = 0;
    for (size_t i = 0; ok && i < nf; i++) {
        /* a file's callers dicts are its own bytes, unless one is shared
         * by reference ('r'): 1 MB then named 4e8 edges */
        ncallers += r.funcs.v[i]->callers->len;
        if (ncallers > len) {
            snprintf(err, errlen,
                     "more callers than the file has bytes (callers dicts shared by "
                     "reference, which cProfile never writes)");
            ok = false;
        }
    }
    for (size_t i = 0; ok && i < nf; i++) {
        struct func *f = r.funcs.v[i];
        st->total_tt += f->tt;
        /* a caller that gives only a count (the profile module) gets the
         * function's time in proportion to its calls */
        double counted = 0;
        for (size_t j = 0; j < f->callers->len; j++) {
            const struct mobj *cv = f->callers->v[2 * j + 1];
            if (cv->type == M_INT)
                counted += (double)cv->i;
        }
        for (size_t j = 0; j < f->callers->len; j++) {
            const struct mobj *ck = f->callers->v[2 * j], *cv = f->callers->v[2 * j + 1];
            double t;
            if (cv->type == M_INT) {
                t = counted > 0 && cv->i > 0 ? f->ct * (double)cv->i / counted : 0;
                st->count_callers++;
            } else if (cv->type == M_TUPLE && cv->len == 4 && is_num(cv->v[3])) {
                t = num(cv->v[3]);
            } else {
                ok = bad(&r, i, "a caller's figures are not (calls, calls, tottime, cumtime)");
                break;
            }
            struct func *c = find(&r, ck);
            if (!c) {
                st->lost_callers++;
                continue;
            }
            f->called = true;
            if (!(t > 0) || !isfinite(t)) /* (NaN too) */
                continue;
            if (c != f)
                f->fed += t;
            VEC_PUSH(edges, ((struct edge){c->idx, (uint32_t)i, t}));
        }
    }
    if (!ok)
        goto out;
    st->functions = nf;

    /* each function's callees, together */
    VEC_SORT(edges, cmp_edge);
    for (size_t k = 0; k < edges.n; k++) {
        struct func *c = r.funcs.v[edges.v[k].caller];
        if (c->nkids++ == 0)
            c->first = k;
    }

    /* roots: the time of each function that its recorded callers do not
     * account for: all of it for a function nobody calls (the roots
     * snakeviz draws), part of it for one also called from the top (3.12+
     * runs the script through exec(), which imports call too). None (a
     * cycle): the largest function. */
    double all = 0, largest = 0;
    size_t nroots = 0, big = nf;
    for (size_t i = 0; i < nf; i++) {
        struct func *f = r.funcs.v[i];
        f->top = f->ct - f->fed;
        if (!(f->top > 0) || (f->called && f->top <= f->ct * 1e-6))
            f->top = 0; /* (rounding) */
        all += f->top;
        nroots += f->top > 0;
        if (f->ct > largest) {
            largest = f->ct;
            big = i;
        }
    }
    if (nroots == 0 && big < nf)
        all = r.funcs.v[big]->top = largest;
    double min = all * MIN_SHARE;
    stack = xcalloc(nf + 1, sizeof(*stack));
    size_t nodes = 1, looks = 0;
    for (size_t root = 0; root < nf; root++) {
        struct func *rf = r.funcs.v[root];
        if (!(rf->top > 0))
            continue;
        uint32_t node = profile_new_child(p, PROFILE_ROOT, rf->frame);
        double t = rf->top; /* of the function being entered */
        nodes++;
        /* iterative depth-first walk; stack[d] is the function at depth d
         * (a function is on a path once: the depth is at most nf - 1) */
        stack[0] = (struct walk){(uint32_t)root, node, 0, 1};
        size_t depth = 0;
        for (bool enter = true;;) {
            struct walk *w = &stack[depth];
            struct func *f = r.funcs.v[w->func];
            if (enter) { /* scale its children to fit in T; the rest is self */
                f->onpath++;
                double sum = 0, used = 0;
                size_t kept = 0;
                if (f->nkids > MAX_LOOKS - looks) { /* the walk's budget */
                    st->looks_cut = MAX_LOOKS;
                    w->next = f->nkids;
                    profile_set_self(p, w->node, t);
                    enter = false;
                    continue;
                }
                looks += f->nkids;
                for (size_t k = f->first; k < f->first + f->nkids; k++)
                    if (keep(r.funcs.v[edges.v[k].child], &edges.v[k], 1, 0))
                        sum += edges.v[k].t;
                w->scale = sum > t ? t / sum : 1;
                for (size_t k = f->first; k < f->first + f->nkids; k++)
                    if (keep(r.funcs.v[edges.v[k].child], &edges.v[k], w->scale, min)) {
                        used += edges.v[k].t * w->scale;
                        kept++;
                    }
                if (nodes + kept > MAX_NODES) { /* the budget: the rest is self */
                    st->nodes_cut = MAX_NODES;
                    w->next = f->nkids;
                    used = 0;
                } else {
                    nodes += kept;
                    w->next = 0;
                }
                profile_set_self(p, w->node, t > used ? t - used : 0);
            }
            /* the next child to enter, if any */
            bool down = false;
            while (w->next < f->nkids) {
                const struct edge *e = &edges.v[f->first + w->next++];
                struct func *c = r.funcs.v[e->child];
                if (!keep(c, e, w->scale, min))
                    continue;
                uint32_t cn = profile_new_child(p, w->node, c->frame);
                t = e->t * w->scale;
                stack[++depth] = (struct walk){e->child, cn, 0, 1};
                down = true;
                break;
            }
            if (down) {
                enter = true;
                continue;
            }
            f->onpath--;
            if (depth == 0)
                break;
            depth--;
            enter = false;
        }
    }
    profile_sum_totals(p);

    /* the top table: pstats's own figures */
    size_t nframes = frames_count(profile_frames(p));
    struct profile_flat *flat = xcalloc(nframes + 1, sizeof(*flat));
    for (size_t i = 0; i < nframes; i++)
        flat[i].frame = (uint32_t)i;
    for (size_t i = 0; i < nf; i++) {
        flat[r.funcs.v[i]->frame].self += r.funcs.v[i]->tt;
        flat[r.funcs.v[i]->frame].total += r.funcs.v[i]->ct;
    }
    profile_set_flat(p, flat, nframes, st->total_tt);

out:
    free(stack);
    VEC_FREE(edges);
    struct func *f, *tmp;
    HASH_ITER(hh, r.by_key, f, tmp)
    {
        HASH_DEL(r.by_key, f);
        free(f->key);
        free(f);
    }
    VEC_FREE(r.funcs);
    marshal_free(m);
    if (!ok) {
        profile_free(p);
        return NULL;
    }
    return p;
}
