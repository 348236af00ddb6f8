/*
 * folded: the collapsed-stack format every flame graph tool reads. The writer
 * walks the call tree depth first, keeping the current path in one growing
 * buffer; every node with self weight becomes one line. Lines are then sorted
 * by their stack (not by the whole line: a count digit may sort before a name
 * character), as stackcollapse-perf.pl sorts its keys.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tprof/atomicfile.h"
#include "tprof/folded.h"
#include "tprof/xalloc.h"

struct line {
    char *stack;
    double count;
};

static int cmp_line(const void *a, const void *b)
{
    return strcmp(((const struct line *)a)->stack, ((const struct line *)b)->stack);
}

struct strbuf {
    char *v;
    size_t n, cap;
};

static void append_frame(struct strbuf *path, const struct frame *f, int first)
{
    size_t nl = strlen(f->name);
    const char *suf = frames_kind_suffix(f->kind);
    size_t sl = strlen(suf);
    VEC_RESERVE(*path, path->n + nl + sl + 2);
    if (!first)
        path->v[path->n++] = ';';
    memcpy(path->v + path->n, f->name, nl);
    path->n += nl;
    memcpy(path->v + path->n, suf, sl);
    path->n += sl;
}

static void print_count(FILE *f, double c)
{
    if (c == floor(c) && c < 1e18)
        fprintf(f, "%.0f\n", c);
    else
        fprintf(f, "%.15g\n", c);
}

long folded_write(const struct profile *p, FILE *out)
{
    const struct frames *fr = profile_frames_const(p);
    VEC(struct line) lines = {0};
    struct strbuf path = {0};
    VEC(size_t) mark = {0}; /* path length before each depth's frame */

    /* Iterative DFS over first_child / next_sibling. */
    uint32_t n = profile_node(p, PROFILE_ROOT)->first_child;
    size_t depth = 0;
    while (n != PROFILE_NONE) {
        const struct profile_node *node = profile_node(p, n);
        VEC_RESERVE(mark, depth + 1);
        mark.v[depth] = path.n;
        append_frame(&path, frames_get(fr, node->frame), depth == 0);
        if (node->self > 0) {
            struct line l = {xstrndup(path.v, path.n), node->self};
            VEC_PUSH(lines, l);
        }
        if (node->first_child != PROFILE_NONE) {
            n = node->first_child;
            depth++;
            continue;
        }
        /* Climb until a node has a next sibling. */
        while (n != PROFILE_NONE) {
            node = profile_node(p, n);
            path.n = mark.v[depth];
            if (node->next_sibling != PROFILE_NONE) {
                n = node->next_sibling;
                break;
            }
            n = node->parent == PROFILE_ROOT ? PROFILE_NONE : node->parent;
            if (n == PROFILE_NONE)
                break;
            depth--;
        }
    }

    qsort(lines.v, lines.n, sizeof(struct line), cmp_line);
    for (size_t i = 0; i < lines.n; i++) {
        fputs(lines.v[i].stack, out);
        fputc(' ', out);
        print_count(out, lines.v[i].count);
        free(lines.v[i].stack);
    }
    long count = (long)lines.n;
    VEC_FREE(lines);
    VEC_FREE(path);
    VEC_FREE(mark);
    return ferror(out) ? -1 : count;
}

long folded_write_file(const struct profile *p, const char *path, char *err, size_t errlen)
{
    struct atomicfile *af = atomicfile_open(path, err, errlen);
    if (!af)
        return -1;
    long n = folded_write(p, atomicfile_stream(af));
    if (n < 0) {
        snprintf(err, errlen, "cannot write '%s': write error", path);
        atomicfile_abort(af);
        return -1;
    }
    if (atomicfile_commit(af, err, errlen) < 0)
        return -1;
    return n;
}
