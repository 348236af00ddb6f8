/*
 * folded: the collapsed-stack format every flame graph tool reads. The writer
 * walks the call tree depth first, keeping the current path in one growing
 * buffer; every node with self weight becomes one line. Lines are then sorted
 * by their stack (not by the whole line: a count digit may sort before a name
 * character), as stackcollapse-perf.pl sorts its keys.
 *
 * The reader is built for files of hundreds of megabytes: it reads in large
 * blocks, and because folded files are (nearly always) sorted, a line shares
 * most of its frames with the line before; those frames reuse the previous
 * line's tree nodes after a memcmp, and only the frames that differ are
 * hashed and looked up.
 *
 * Work bounds, each proportional to the input: a line at most
 * INPUT_MAX_LINE (16 MiB), so a stack at most 8M frames, each frame one
 * step of one walk down the tree; nothing is inflated. The writers' cost is
 * one walk of the tree too (each node's path kept, never re-walked).
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tprof/folded.h"
#include "tprof/input.h"
#include "tprof/xalloc.h"

struct line {
    char *stack;
    double count;
    double before; /* a comparison's other column */
};

static int cmp_line(const void *a, const void *b)
{
    return strcmp(((const struct line *)a)->stack, ((const struct line *)b)->stack);
}

struct strbuf {
    char *v;
    size_t n, cap;
};

/* Sort the N lines of *V by stack and merge equal stacks; the array moves
 * to *OUT (*V becomes NULL). Returns the lines left. */
static size_t merge_lines(struct line **v, size_t n, struct line **out)
{
    struct line *l = *v;
    if (n > 1)
        qsort(l, n, sizeof(*l), cmp_line);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k && strcmp(l[k - 1].stack, l[i].stack) == 0) {
            l[k - 1].count += l[i].count;
            l[k - 1].before += l[i].before;
            free(l[i].stack);
            continue;
        }
        l[k++] = l[i];
    }
    *out = l;
    *v = NULL;
    return k;
}

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
        fprintf(f, "%.0f", c);
    else
        fprintf(f, "%.15g", c);
}

/* P's stacks as lines, sorted by stack, equal lines merged: namesakes from
 * two modules (ld.so's _start and the program's) are two nodes with one
 * text, which the folded format cannot tell apart. A comparison's lines
 * have AFTER's count and BEFORE's. */
static size_t collect_lines(const struct profile *p, struct line **out)
{
    bool sides = profile_has_base(p);
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
        struct profile_weight b = {0, 0}, a = {node->self, 0};
        if (sides)
            profile_node_sides(p, n, &b, &a);
        if (a.self > 0 || b.self > 0) {
            struct line l = {xstrndup(path.v, path.n), a.self, b.self};
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
    VEC_FREE(path);
    VEC_FREE(mark);
    return merge_lines(&lines.v, lines.n, out);
}

long folded_write(const struct profile *p, FILE *out)
{
    struct line *v;
    size_t n = collect_lines(p, &v);
    bool sides = profile_has_base(p);
    for (size_t i = 0; i < n; i++) {
        fputs(v[i].stack, out);
        fputc(' ', out);
        if (sides) { /* difffolded.pl's "STACK BEFORE AFTER" */
            print_count(out, v[i].before);
            fputc(' ', out);
        }
        print_count(out, v[i].count);
        fputc('\n', out);
        free(v[i].stack);
    }
    free(v);
    return ferror(out) ? -1 : (long)n;
}

/* difffolded.pl -s: "0x" and the hex digits after it become "0x...". */
static void strip_hex(struct line *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *r = v[i].stack;
        /* "0x" and a digit (3 bytes) become 5: at most 2 bytes more per 3 */
        char *t = xmalloc(strlen(r) / 3 * 5 + 3), *w = t;
        while (*r) {
            if (r[0] == '0' && r[1] == 'x' && isxdigit((unsigned char)r[2])) {
                for (r += 2; isxdigit((unsigned char)*r); r++)
                    ;
                memcpy(w, "0x...", 5);
                w += 5;
            } else {
                *w++ = *r++;
            }
        }
        *w = '\0';
        free(v[i].stack);
        v[i].stack = t;
    }
}

long folded_write_diff(const struct profile *before, const struct profile *after,
                       const struct folded_diff_opts *o, FILE *out)
{
    struct line *b, *a;
    size_t nb = collect_lines(before, &b), na = collect_lines(after, &a);
    if (o->strip_hex) {
        strip_hex(b, nb);
        strip_hex(a, na);
        struct line *t;
        nb = merge_lines(&b, nb, &t);
        b = t;
        na = merge_lines(&a, na, &t);
        a = t;
    }
    double tb = 0, ta = 0;
    for (size_t i = 0; i < nb; i++)
        tb += b[i].count;
    for (size_t i = 0; i < na; i++)
        ta += a[i].count;
    bool scale = o->normalize && tb > 0 && tb != ta;
    long lines = 0;
    for (size_t i = 0, j = 0; i < nb || j < na; lines++) {
        int c = i == nb ? 1 : j == na ? -1 : strcmp(b[i].stack, a[j].stack);
        const char *stack = c <= 0 ? b[i].stack : a[j].stack;
        double cb = c <= 0 ? b[i].count : 0, ca = c >= 0 ? a[j].count : 0;
        if (scale)
            cb = trunc(cb * ta / tb);
        fputs(stack, out);
        fputc(' ', out);
        print_count(out, cb);
        fputc(' ', out);
        print_count(out, ca);
        fputc('\n', out);
        if (c <= 0)
            free(b[i++].stack);
        if (c >= 0)
            free(a[j++].stack);
    }
    free(b);
    free(a);
    return ferror(out) ? -1 : lines;
}

int folded_parse_line(const char *line, size_t len, size_t *stack_len, double *count)
{
    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
        len--;
    if (len == 0)
        return 1;
    size_t sep = len;
    while (sep > 0 && line[sep - 1] != ' ' && line[sep - 1] != '\t')
        sep--;
    if (sep == 0)
        return -1; /* no separator: a stack without a count */
    /* The count: digits with an optional fraction ("12", "1.5", "3."). */
    const char *c = line + sep, *end = line + len;
    double v = 0, scale = 0;
    bool digits = false;
    for (; c < end; c++) {
        if (*c >= '0' && *c <= '9') {
            digits = true;
            if (scale == 0) {
                v = v * 10 + (*c - '0');
            } else {
                v += (*c - '0') * scale;
                scale /= 10;
            }
        } else if (*c == '.' && scale == 0) {
            scale = 0.1;
        } else {
            return -1;
        }
    }
    /* (a count of 1e309 digits is infinite: "inf samples", "-nan%") */
    if (!digits || !(v <= FOLDED_MAX_COUNT))
        return -1;
    size_t st = sep - 1;
    while (st > 0 && (line[st - 1] == ' ' || line[st - 1] == '\t'))
        st--;
    if (st == 0)
        return -1; /* a count without a stack */
    *stack_len = st;
    *count = v;
    return 0;
}

bool folded_skipped_note(const struct folded_stats *st, const char *name, char *buf, size_t len)
{
    buf[0] = '\0';
    if (!st->malformed && !st->blank)
        return false;
    snprintf(buf, len, "%s: ignored %" PRIu64 " malformed and %" PRIu64 " blank lines", name,
             st->malformed, st->blank);
    return true;
}

struct u32vec {
    uint32_t *v;
    size_t n, cap;
};

struct reader {
    struct profile *p;
    struct frames *fr;
    struct folded_stats *st;
    /* The previous line: its stack bytes, the start of each frame in them
     * (plus one entry past the end) and the tree node of each frame. */
    struct strbuf prev;
    struct u32vec prev_off, prev_node;
    struct u32vec cur_off, cur_node;
};

/* "QUALNAME (FILE:LINE)" with FILE a .py file or a "<...>" pseudo-file:
 * a Python frame (tprof's, py-spy's and austin's folded names). */
bool folded_is_python_name(const char *s, size_t n)
{
    size_t i = n;
    if (i < 6 || s[i - 1] != ')')
        return false;
    i--;
    size_t digits = 0;
    while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9') {
        i--;
        digits++;
    }
    if (!digits || i == 0 || s[i - 1] != ':')
        return false;
    size_t file_end = --i;
    while (i >= 2 && !(s[i - 1] == '(' && s[i - 2] == ' '))
        i--;
    if (i < 3) /* a name before " (" */
        return false;
    const char *file = s + i;
    size_t fl = file_end - i;
    return (fl > 3 && memcmp(file + fl - 3, ".py", 3) == 0) ||
           (fl > 4 && memcmp(file + fl - 4, ".pyw", 4) == 0) ||
           (fl >= 2 && file[0] == '<' && file[fl - 1] == '>');
}

uint32_t folded_intern_frame(struct frames *fr, const char *s, size_t n, const char *module)
{
    enum frame_kind kind = FRAME_USER;
    if (n > 4 && s[n - 4] == '_' && s[n - 3] == '[' && s[n - 1] == ']') {
        if (s[n - 2] == 'k') {
            kind = FRAME_KERNEL;
            n -= 4;
        } else if (s[n - 2] == 'j') {
            kind = FRAME_JIT;
            n -= 4;
        } else if (s[n - 2] == 'i') {
            kind = FRAME_INLINE;
            n -= 4;
        }
    }
    if (kind == FRAME_USER && folded_is_python_name(s, n))
        kind = FRAME_PYTHON;
    return frames_intern(fr, s, n, kind, module);
}

/* Add one stack: COUNT, and BEFORE on the other side when the file is
 * two-column (difffolded.pl's "STACK BEFORE AFTER"). */
static void add_line(struct reader *r, const char *stack, size_t len, double count,
                     double before)
{
    size_t pos = 0, depth = 0;
    uint32_t node = PROFILE_ROOT;
    bool same = true;
    r->cur_off.n = r->cur_node.n = 0;
    for (;;) {
        const char *f = stack + pos;
        const char *semi = memchr(f, ';', len - pos);
        size_t flen = semi ? (size_t)(semi - f) : len - pos;
        if (same && depth < r->prev_node.n) {
            size_t ps = r->prev_off.v[depth];
            size_t pl = r->prev_off.v[depth + 1] - 1 - ps;
            if (pl == flen && memcmp(r->prev.v + ps, f, flen) == 0)
                node = r->prev_node.v[depth];
            else
                same = false;
        } else {
            same = false;
        }
        if (!same)
            node = profile_child(r->p, node, folded_intern_frame(r->fr, f, flen, ""));
        VEC_PUSH(r->cur_off, (uint32_t)pos);
        VEC_PUSH(r->cur_node, node);
        depth++;
        if (!semi)
            break;
        pos += flen + 1;
    }
    VEC_PUSH(r->cur_off, (uint32_t)(len + 1));
    profile_add_at(r->p, node, count);
    if (before > 0)
        profile_add_base_at(r->p, node, before);

    VEC_RESERVE(r->prev, len);
    memcpy(r->prev.v, stack, len);
    r->prev.n = len;
    struct u32vec t = r->prev_off;
    r->prev_off = r->cur_off;
    r->cur_off = t;
    t = r->prev_node;
    r->prev_node = r->cur_node;
    r->cur_node = t;
}

/* (an input_lines callback: ARG is the reader) */
static void take_line(void *arg, const char *line, size_t len)
{
    struct reader *r = arg;
    size_t sl;
    double count;
    r->st->lines++;
    int rc = folded_parse_line(line, len, &sl, &count);
    if (rc == 1) {
        r->st->blank++;
        return;
    }
    if (rc < 0 || sl > UINT32_MAX / 2) {
        r->st->malformed++;
        return;
    }
    /* Two counts ("STACK BEFORE AFTER"): the first valid line says which
     * kind of file this is, as a frame name ending in " 12" is rarer than
     * a differential file. */
    size_t sl2;
    double before = 0;
    bool two = folded_parse_line(line, sl, &sl2, &before) == 0;
    if (r->st->columns == 0) {
        r->st->columns = two ? 2 : 1;
        if (two)
            profile_enable_base(r->p);
    }
    if (r->st->columns == 2) {
        if (!two) {
            r->st->malformed++;
            return;
        }
        sl = sl2;
    } else {
        before = 0;
    }
    if (count > 0 || before > 0) {
        add_line(r, line, sl, count, before);
        r->st->stacks++;
    }
}

/* ----- a large file on two cores: each half of its lines into a profile
 * of its own (interning frames is most of the time), the second merged
 * into the first. Any error: read again in one piece, for its message. */

#define PARALLEL_MIN ((uint64_t)16 << 20)

struct half {
    const char *path;
    uint64_t start, end;
    struct folded_stats st;
    struct profile *p;
    bool ok;
};

static void *read_half(void *arg)
{
    struct half *h = arg;
    char err[256];
    h->p = NULL;
    h->ok = false;
    struct input *in = input_open_range(h->path, h->start, h->end, err, sizeof(err));
    if (!in)
        return NULL;
    struct reader r = {.p = profile_new(), .st = &h->st};
    r.fr = profile_frames(r.p);
    uint64_t at;
    h->ok = input_lines(in, take_line, &r, &at, err, sizeof(err)) == INPUT_OK;
    input_close(in);
    VEC_FREE(r.prev);
    VEC_FREE(r.prev_off);
    VEC_FREE(r.prev_node);
    VEC_FREE(r.cur_off);
    VEC_FREE(r.cur_node);
    h->p = r.p;
    return NULL;
}

static struct profile *read_halves(const char *path, uint64_t size, struct folded_stats *st)
{
    struct half h[2] = {{path, 0, size / 2, {0}, NULL, false},
                        {path, size / 2, size, {0}, NULL, false}};
    pthread_t t;
    bool threaded = pthread_create(&t, NULL, read_half, &h[1]) == 0;
    read_half(&h[0]);
    if (threaded)
        pthread_join(t, NULL);
    struct profile *p = NULL;
    /* (each half judged its kind by its own first line: if they differ,
     * the file is read again in one piece) */
    if (threaded && h[0].ok && h[1].ok && h[0].st.columns == h[1].st.columns) {
        profile_merge(h[0].p, h[1].p);
        p = h[0].p;
        h[0].p = NULL;
        st->lines = h[0].st.lines + h[1].st.lines;
        st->stacks = h[0].st.stacks + h[1].st.stacks;
        st->blank = h[0].st.blank + h[1].st.blank;
        st->malformed = h[0].st.malformed + h[1].st.malformed;
        st->columns = h[0].st.columns;
    }
    profile_free(h[0].p);
    profile_free(h[1].p);
    return p;
}

struct profile *folded_read_input(struct input *in, struct folded_stats *st, char *err,
                                  size_t errlen)
{
    struct folded_stats dummy;
    if (!st)
        st = &dummy;
    memset(st, 0, sizeof(*st));
    uint64_t size = input_file_size(in);
    if (size >= PARALLEL_MIN && sysconf(_SC_NPROCESSORS_ONLN) > 1) {
        struct profile *p = read_halves(input_name(in), size, st);
        if (p && st->stacks > 0)
            return p;
        profile_free(p);
        memset(st, 0, sizeof(*st));
    }
    const char *name = input_name(in);
    struct reader r = {.p = profile_new(), .st = st};
    r.fr = profile_frames(r.p);
    uint64_t at = 0;
    enum input_status rc = input_lines(in, take_line, &r, &at, err, errlen);
    VEC_FREE(r.prev);
    VEC_FREE(r.prev_off);
    VEC_FREE(r.prev_node);
    VEC_FREE(r.cur_off);
    VEC_FREE(r.cur_node);
    if (rc != INPUT_OK) {
        if (rc == INPUT_BINARY)
            snprintf(err, errlen,
                     "'%s' is not a folded profile: binary data (a NUL byte at offset %" PRIu64
                     ")", name, at);
        else if (rc == INPUT_LONG_LINE)
            snprintf(err, errlen,
                     "'%s' is not a folded profile: line %" PRIu64
                     " is longer than " FOLDED_MAX_LINE_TEXT, name, at);
        profile_free(r.p);
        return NULL;
    }
    if (st->stacks == 0) {
        snprintf(err, errlen,
                 "no stacks in '%s' (%" PRIu64 " lines, none of the form 'frame;frame COUNT')",
                 name, st->lines);
        profile_free(r.p);
        return NULL;
    }
    return r.p;
}

struct profile *folded_read(const char *path, struct folded_stats *st, char *err,
                            size_t errlen)
{
    struct input *in = input_open(path, err, errlen);
    if (!in)
        return NULL;
    struct profile *p = folded_read_input(in, st, err, errlen);
    input_close(in);
    return p;
}
