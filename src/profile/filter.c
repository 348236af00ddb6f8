/*
 * filter: profile transforms. Each one is a rewrite of every stack: the
 * source tree is walked, each node with self weight yields its stack (root
 * first), the stack is rewritten (kept or dropped, frames removed, reversed)
 * and added to a new tree. Rebuilding from the original each time keeps undo
 * trivial: drop the last transform and apply the rest again.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tprof/filter.h"
#include "tprof/fold.h"
#include "tprof/xalloc.h"

struct filter {
    enum filter_kind kind;
    enum roots_level level; /* FILTER_ROOTS */
    bool exact;
    char *pattern;
    regex_t re;
    bool have_re;
    char label[160];
    bool short_names; /* FILTER_PYFUNC */
};

struct filter *filter_new(enum filter_kind kind, const char *pattern, bool exact, char *err,
                          size_t errlen)
{
    struct filter *f = xcalloc(1, sizeof(*f));
    f->kind = kind;
    f->exact = exact;
    if (kind != FILTER_INVERT && kind != FILTER_MODULES) {
        f->pattern = xstrdup(pattern ? pattern : "");
        if (!exact) {
            int rc = regcomp(&f->re, f->pattern, REG_EXTENDED | REG_NOSUB);
            if (rc != 0) {
                char msg[128];
                regerror(rc, &f->re, msg, sizeof(msg));
                snprintf(err, errlen, "bad regular expression '%s': %s", f->pattern, msg);
                free(f->pattern);
                free(f);
                return NULL;
            }
            f->have_re = true;
        }
    }
    snprintf(f->label, sizeof(f->label), "%s%s%s",
             kind == FILTER_FOCUS   ? "focus"
             : kind == FILTER_HIDE  ? "hide"
             : kind == FILTER_INVERT ? "invert"
                                    : "modules",
             f->pattern ? " " : "", f->pattern ? f->pattern : "");
    return f;
}

void filter_free(struct filter *f)
{
    if (!f)
        return;
    if (f->have_re)
        regfree(&f->re);
    free(f->pattern);
    free(f);
}

const char *filter_label(const struct filter *f)
{
    return f->label;
}

int filter_from_options(const char *focus, const char *hide, bool invert, struct filter **out,
                        char *err, size_t errlen)
{
    int n = 0;
    const struct {
        enum filter_kind kind;
        const char *pattern;
        bool on;
    } given[] = {
        {FILTER_FOCUS, focus, focus != NULL},
        {FILTER_HIDE, hide, hide != NULL},
        {FILTER_INVERT, NULL, invert},
    };
    for (size_t i = 0; i < sizeof(given) / sizeof(given[0]); i++) {
        if (!given[i].on)
            continue;
        out[n] = filter_new(given[i].kind, given[i].pattern, false, err, errlen);
        if (!out[n]) {
            while (n > 0)
                filter_free(out[--n]);
            return -1;
        }
        n++;
    }
    return n;
}

/* The module group FR belongs to, and its kind, for FILTER_MODULES; NULL
 * for a root (kept as it is). */
static const char *module_group(const struct frame *fr, enum frame_kind *kind)
{
    *kind = fr->kind;
    switch (fr->kind) {
    case FRAME_ROOT:
        return NULL;
    case FRAME_KERNEL:
        return "[kernel]";
    case FRAME_JIT:
        return "[jit]";
    case FRAME_PYTHON:
        return "Python";
    default:
        *kind = FRAME_USER;
        return *fr->module ? fr->module : "[unknown module]";
    }
}

struct filter *filter_new_view(enum filter_kind kind)
{
    struct filter *f = xcalloc(1, sizeof(*f));
    f->kind = kind;
    snprintf(f->label, sizeof(f->label), "%s",
             kind == FILTER_PYVIEW ? "Python view" : "kernel folded");
    return f;
}

bool filter_python_known(const struct profile *p)
{
    const struct frames *fr = profile_frames_const(p);
    for (size_t i = 0; i < frames_count(fr); i++)
        if (frames_get(fr, (uint32_t)i)->kind == FRAME_PYTHON)
            return true;
    return false;
}

bool filter_pyview_applies(const struct profile *p)
{
    size_t n;
    double base;
    return !profile_flat(p, &n, &base) && filter_python_known(p);
}

size_t filter_view_defaults(const struct profile *p, bool all_frames, bool fold_kernel,
                            struct filter **out)
{
    size_t n = 0;
    if (!all_frames && filter_pyview_applies(p))
        out[n++] = filter_new_view(FILTER_PYVIEW);
    if (fold_kernel)
        out[n++] = filter_new_view(FILTER_KFOLD);
    return n;
}

const struct profile *filter_view_of(const struct profile *p, bool all_frames, bool fold_kernel,
                                     struct profile **made)
{
    struct filter *f[2];
    size_t n = filter_view_defaults(p, all_frames, fold_kernel, f);
    *made = NULL;
    if (!n)
        return p;
    *made = filter_apply(p, f, n);
    for (size_t i = 0; i < n; i++)
        filter_free(f[i]);
    return *made;
}

void filter_view_replace(struct profile **p, bool all_frames, bool fold_kernel)
{
    struct profile *made;
    filter_view_of(*p, all_frames, fold_kernel, &made);
    if (made) {
        profile_free(*p);
        *p = made;
    }
}

struct filter *filter_new_pyfunc(bool short_names)
{
    struct filter *f = xcalloc(1, sizeof(*f));
    f->kind = FILTER_PYFUNC;
    f->short_names = short_names;
    snprintf(f->label, sizeof(f->label), "%s",
             short_names ? "Python by name and file" : "Python by function");
    return f;
}

bool filter_pyfunc_name(const char *name, bool short_names, char *out, size_t len)
{
    /* "QUALNAME (FILE:LINE)": a qualified name holds no blank, a path may:
     * the first " (", and ":DIGITS)" at the end */
    size_t n = strlen(name);
    if (n < 6 || name[n - 1] != ')')
        return false;
    size_t d = n - 1;
    while (d > 0 && name[d - 1] >= '0' && name[d - 1] <= '9')
        d--;
    if (d == n - 1 || d == 0 || name[d - 1] != ':')
        return false;
    const char *open = strstr(name, " (");
    if (!open || open == name || open >= name + d)
        return false;
    const char *q = name;
    if (short_names) /* (not inside a "<...>": "<lambda>", "<genexpr>") */
        for (const char *p = name; p < open; p++)
            if (*p == '.' && p + 1 < open)
                q = p + 1;
    int w = snprintf(out, len, "%.*s%.*s)", (int)(open - q), q, (int)(d - 1 - (size_t)(open - name)),
                     open);
    return w > 0 && (size_t)w < len;
}

struct filter *filter_new_roots(enum roots_level level)
{
    struct filter *f = xcalloc(1, sizeof(*f));
    f->kind = FILTER_ROOTS;
    f->level = level;
    snprintf(f->label, sizeof(f->label), "%s",
             level == ROOTS_MERGED    ? "by program"
             : level == ROOTS_PROCESS ? "per process"
                                      : "per thread");
    return f;
}

/* The digits ending S[0..*END), moved back over: true when there are some. */
static bool digits_before(const char *s, size_t *end)
{
    size_t e = *end;
    while (*end > 0 && s[*end - 1] >= '0' && s[*end - 1] <= '9')
        (*end)--;
    return *end < e && e - *end <= 10;
}

/* Where NAME's "-PID" ("-PID/TID" with THREAD) suffix starts, or 0. */
static size_t root_suffix(const char *name, bool thread)
{
    size_t e = strlen(name);
    if (thread && !(digits_before(name, &e) && e > 0 && name[--e] == '/'))
        return 0;
    if (!(digits_before(name, &e) && e > 1 && name[e - 1] == '-'))
        return 0;
    return e - 1;
}

bool filter_root_name(const char *name, enum roots_level level, char *out, size_t len)
{
    size_t cut = 0;
    if (level == ROOTS_MERGED)
        cut = root_suffix(name, true) ? root_suffix(name, true) : root_suffix(name, false);
    else if (level == ROOTS_PROCESS && root_suffix(name, true)) {
        cut = strlen(name);
        size_t e = cut;
        digits_before(name, &e); /* (the TID and its slash) */
        cut = e - 1;
    }
    if (!cut)
        return false;
    snprintf(out, len, "%.*s", (int)cut, name);
    return true;
}

enum roots_level filter_roots_level(const struct profile *p)
{
    enum roots_level lv = ROOTS_MERGED;
    for (uint32_t c = profile_node(p, PROFILE_ROOT)->first_child; c != PROFILE_NONE;
         c = profile_node(p, c)->next_sibling) {
        const struct frame *f = frames_get(profile_frames_const(p), profile_node(p, c)->frame);
        if (root_suffix(f->name, true))
            return ROOTS_THREAD;
        if (root_suffix(f->name, false))
            lv = ROOTS_PROCESS;
    }
    return lv;
}

bool filter_modules_known(const struct profile *p)
{
    const struct frames *fr = profile_frames_const(p);
    for (size_t i = 0; i < frames_count(fr); i++) {
        const struct frame *f = frames_get(fr, (uint32_t)i);
        if (f->kind == FRAME_USER || f->kind == FRAME_INLINE) {
            if (*f->module)
                return true;
        }
    }
    return false;
}

bool filter_matches(const struct filter *f, const char *name)
{
    if (f->exact)
        return strcmp(name, f->pattern) == 0;
    return f->have_re && regexec(&f->re, name, 0, NULL, 0) == 0;
}

/* Frames a transform makes that the source has no id for (FILTER_MODULES'
 * module frames): ids from the source's frame count up. */
struct extra {
    VEC(char *) names;
    VEC(uint8_t) kinds;
    VEC(uint8_t) is_module; /* a module's frame: its module is its name */
};

static uint32_t extra_id(struct extra *x, size_t nframes, const char *name, enum frame_kind kind,
                         bool is_module)
{
    for (size_t i = 0; i < x->names.n; i++) /* (a few dozen modules or processes) */
        if (x->kinds.v[i] == kind && x->is_module.v[i] == is_module &&
            strcmp(x->names.v[i], name) == 0)
            return (uint32_t)(nframes + i);
    char *copy = xstrdup(name);
    uint8_t k = (uint8_t)kind, m = is_module;
    VEC_PUSH(x->names, copy);
    VEC_PUSH(x->kinds, k);
    VEC_PUSH(x->is_module, m);
    return (uint32_t)(nframes + x->names.n - 1);
}

static const char *id_name(const struct frames *fr, const struct extra *x, uint32_t id)
{
    size_t n = frames_count(fr);
    return id < n ? frames_get(fr, id)->name : x->names.v[id - n];
}

/* Per frame id (the source's, then the extras): does filter F match it?
 * (regexec once per frame, not once per stack entry) */
static bool *match_table(const struct profile *src, const struct extra *x, const struct filter *f)
{
    const struct frames *fr = profile_frames_const(src);
    size_t n = frames_count(fr) + x->names.n;
    bool *m = xcalloc(n + 1, sizeof(bool));
    for (size_t i = 0; i < n; i++)
        m[i] = filter_matches(f, id_name(fr, x, (uint32_t)i));
    return m;
}

static void reverse(uint32_t *v, size_t n)
{
    for (size_t a = 0, b = n ? n - 1 : 0; a < b; a++, b--) {
        uint32_t t = v[a];
        v[a] = v[b];
        v[b] = t;
    }
}

/* One rewritten stack: FLAT[off, off+len) root first, and its weight (and
 * the other side's, for a comparison). */
struct rec {
    size_t off;
    uint32_t len;
    double weight, base;
};

static const uint32_t *sort_flat;

static int cmp_rec(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    uint32_t n = x->len < y->len ? x->len : y->len;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t p = sort_flat[x->off + i], q = sort_flat[y->off + i];
        if (p != q)
            return p < q ? -1 : 1;
    }
    return x->len < y->len ? -1 : x->len > y->len;
}

/* Extra frames by name, each made once: a frames table finds them (a
 * profile has thousands of Python functions or kernel functions, too many
 * for extra_id's search). */
struct unique {
    struct frames *seen;
    VEC(uint32_t) ids; /* seen's id -> extra id */
};

static uint32_t unique_id(struct unique *u, struct extra *x, size_t nframes, const char *name,
                          enum frame_kind kind)
{
    if (!u->seen)
        u->seen = frames_new();
    size_t had = frames_count(u->seen);
    uint32_t id = frames_intern(u->seen, name, strlen(name), kind, "");
    if (frames_count(u->seen) > had) {
        char *copy = xstrdup(frames_get(u->seen, id)->name);
        uint8_t k = (uint8_t)kind, m = 0;
        VEC_PUSH(x->names, copy);
        VEC_PUSH(x->kinds, k);
        VEC_PUSH(x->is_module, m);
        uint32_t e = (uint32_t)(nframes + x->names.n - 1);
        VEC_PUSH(u->ids, e);
    }
    return u->ids.v[id];
}

static void unique_free(struct unique *u)
{
    if (u->seen)
        frames_free(u->seen);
    VEC_FREE(u->ids);
}

/* FILTER_PYFUNC: per source frame (of NFRAMES in SFR), the id of its
 * function's frame, an extra id in X, or its own when it is no Python
 * frame. */
static uint32_t *pyfunc_map(const struct frames *sfr, size_t nframes, struct extra *x,
                            bool short_names)
{
    uint32_t *map = xmalloc((nframes + 1) * sizeof(uint32_t));
    struct unique u = {0};
    for (size_t i = 0; i < nframes; i++) {
        const struct frame *f = frames_get(sfr, (uint32_t)i);
        char name[1024];
        map[i] = (uint32_t)i;
        if (f->kind == FRAME_PYTHON && filter_pyfunc_name(f->name, short_names, name, sizeof(name)))
            map[i] = unique_id(&u, x, nframes, name, FRAME_PYTHON);
    }
    unique_free(&u);
    return map;
}

/* What the Python view and the kernel fold know of each source frame. */
enum { CL_OTHER, CL_PYTHON, CL_MACHINERY, CL_THREAD, CL_KERNEL, CL_PYMAIN };

static uint8_t *classify(const struct frames *sfr, size_t nframes)
{
    uint8_t *cl = xmalloc(nframes + 1);
    for (size_t i = 0; i < nframes; i++) {
        const struct frame *f = frames_get(sfr, (uint32_t)i);
        cl[i] = f->kind == FRAME_PYTHON  ? CL_PYTHON
                : f->kind == FRAME_KERNEL ? CL_KERNEL
                : fold_py_machinery(f->name) ? CL_MACHINERY
                : fold_thread_start(f->name) ? CL_THREAD
                : fold_py_main(f->name)      ? CL_PYMAIN
                                             : CL_OTHER;
    }
    return cl;
}

/* FILTER_PYVIEW on stack V (root first, N frames; ids below NFRAMES are
 * classified by CL): from the root to the outermost Python frame, one
 * start-up frame (STARTUP[0] of the main thread, STARTUP[1] of another);
 * below it, no call machinery. A stack of the interpreter outside Python
 * code (start-up, shutdown) has the frames to its main (Py_RunMain) made
 * the start-up frame too, and no call machinery below. Returns the new
 * length. */
static size_t pyview(uint32_t *v, size_t n, size_t nframes, const uint8_t *cl,
                     const uint32_t startup[2])
{
    size_t from = 0; /* the first frame kept after the start-up: the outermost
                        Python frame, else the one below the innermost main */
    while (from < n && !(v[from] < nframes && cl[v[from]] == CL_PYTHON))
        from++;
    bool thread = false;
    if (from == n) {
        from = 0;
        for (size_t j = 1; j < n; j++)
            if (v[j] < nframes && cl[v[j]] == CL_PYMAIN)
                from = j + 1;
        if (!from)
            return n;
    } else {
        for (size_t j = 1; j < from; j++)
            thread |= v[j] < nframes && cl[v[j]] == CL_THREAD;
    }
    size_t w = 0;
    if (from >= 1)
        v[w++] = v[0]; /* the root */
    if (from >= 2)
        v[w++] = startup[thread];
    for (size_t j = from; j < n; j++)
        if (!(v[j] < nframes && cl[v[j]] == CL_MACHINERY))
            v[w++] = v[j];
    return w;
}

/* FILTER_KFOLD, per source kernel frame: the extra id of what a stack's
 * kernel frames become when it is their entry (ENTRY), and when it is a
 * system call's handler ("sys_sendto": CALL, else UINT32_MAX). Made before
 * the stacks are rewritten: every extra id exists before they are mapped. */
static void kernel_labels(const struct frames *sfr, size_t nframes, const uint8_t *cl,
                          struct extra *x, uint32_t **entry, uint32_t **call)
{
    *entry = xmalloc((nframes + 1) * sizeof(uint32_t));
    *call = xmalloc((nframes + 1) * sizeof(uint32_t));
    struct unique u = {0};
    for (size_t i = 0; i < nframes; i++) {
        (*entry)[i] = (*call)[i] = UINT32_MAX;
        if (cl[i] != CL_KERNEL)
            continue;
        const char *name = frames_get(sfr, (uint32_t)i)->name;
        char sc[128], label[160];
        fold_kernel_label(name, NULL, label, sizeof(label));
        (*entry)[i] = unique_id(&u, x, nframes, label, FRAME_KERNEL);
        if (fold_syscall_name(name, sc, sizeof(sc))) {
            fold_kernel_label(name, sc, label, sizeof(label));
            (*call)[i] = unique_id(&u, x, nframes, label, FRAME_KERNEL);
        }
    }
    unique_free(&u);
}

/* FILTER_KFOLD on stack V: its kernel frames (the leaf end) become one,
 * the system call's (a handler among them) or the entry's. Returns the
 * new length. */
static size_t kfold(uint32_t *v, size_t n, size_t nframes, const uint8_t *cl,
                    const uint32_t *entry, const uint32_t *call)
{
    size_t k = 0;
    while (k < n && !(v[k] < nframes && cl[v[k]] == CL_KERNEL))
        k++;
    if (k == n)
        return n;
    uint32_t label = entry[v[k]];
    for (size_t j = k; j < n; j++)
        if (v[j] < nframes && call[v[j]] != UINT32_MAX) {
            label = call[v[j]];
            break;
        }
    v[k] = label;
    return k + 1;
}

/* The first of FILTERS[0..N) of KIND, or NULL. */
static const struct filter *first_of(struct filter *const *filters, size_t n,
                                     enum filter_kind kind)
{
    for (size_t k = 0; k < n; k++)
        if (filters[k]->kind == kind)
            return filters[k];
    return NULL;
}

struct profile *filter_apply(const struct profile *src, struct filter *const *filters, size_t n)
{
    return filter_apply_sides(src, filters, n, false);
}

struct profile *filter_apply_sides(const struct profile *src, struct filter *const *filters,
                                   size_t n, bool swap)
{
    const struct frames *sfr = profile_frames_const(src);
    struct profile *dst = profile_new();
    profile_set_unit(dst, profile_unit(src));
    bool sides = profile_has_base(src);
    if (sides) {
        double ball, aall;
        profile_compare_all(src, &ball, &aall);
        profile_enable_base(dst);
        profile_set_compare(dst, profile_swapped(src) != swap, profile_absolute(src));
        profile_set_compare_all(dst, ball, aall);
    }
    swap = swap && sides;
    struct frames *dfr = profile_frames(dst);
    size_t nframes = frames_count(sfr);

    /* FILTER_MODULES: per source frame, the id of its module's frame (an
     * extra id), or its own for a root. */
    struct extra extra = {0};
    uint32_t *modmap = NULL;
    if (first_of(filters, n, FILTER_MODULES)) {
        modmap = xmalloc((nframes + 1) * sizeof(uint32_t));
        for (size_t i = 0; i < nframes; i++) {
            enum frame_kind kind;
            const char *g = module_group(frames_get(sfr, (uint32_t)i), &kind);
            modmap[i] = g ? extra_id(&extra, nframes, g, kind, true) : (uint32_t)i;
        }
    }
    /* FILTER_ROOTS: per source frame, the id of the root it merges into */
    uint32_t *rootmap = NULL;
    const struct filter *rf = first_of(filters, n, FILTER_ROOTS);
    if (rf) {
        rootmap = xmalloc((nframes + 1) * sizeof(uint32_t));
        for (size_t i = 0; i < nframes; i++) {
            const struct frame *f = frames_get(sfr, (uint32_t)i);
            char name[512];
            rootmap[i] = (uint32_t)i;
            if ((f->kind != FRAME_ROOT && f->kind != FRAME_USER) ||
                !filter_root_name(f->name, rf->level, name, sizeof(name)))
                continue;
            /* (a root of that name already there is that one: a live
             * comparison's baseline has its roots by program) */
            uint32_t had = frames_find(sfr, name, FRAME_ROOT, "");
            if (had == UINT32_MAX)
                had = frames_find(sfr, name, FRAME_USER, "");
            rootmap[i] = had != UINT32_MAX ? had : extra_id(&extra, nframes, name, f->kind, false);
        }
    }
    const struct filter *pf = first_of(filters, n, FILTER_PYFUNC);
    uint32_t *pymap = pf ? pyfunc_map(sfr, nframes, &extra, pf->short_names) : NULL;
    /* FILTER_PYVIEW, FILTER_KFOLD: the frames' classes, the start-up
     * frames, the kernel fold's names as they are met */
    bool pyv = first_of(filters, n, FILTER_PYVIEW), kf = first_of(filters, n, FILTER_KFOLD);
    uint8_t *cl = pyv || kf ? classify(sfr, nframes) : NULL;
    uint32_t startup[2] = {0, 0}, *kentry = NULL, *kcall = NULL;
    if (pyv) {
        startup[0] = extra_id(&extra, nframes, FOLD_PY_STARTUP, FRAME_USER, false);
        startup[1] = extra_id(&extra, nframes, FOLD_PY_THREAD, FRAME_USER, false);
    }
    if (kf)
        kernel_labels(sfr, nframes, cl, &extra, &kentry, &kcall);
    size_t nids = nframes + extra.names.n;
    /* Frame id -> destination frame id, interned on first use. */
    uint32_t *remap = xmalloc((nids + 1) * sizeof(uint32_t));
    for (size_t i = 0; i < nids; i++)
        remap[i] = PROFILE_NONE;
    bool **match = xcalloc(n + 1, sizeof(bool *));
    for (size_t k = 0; k < n; k++)
        if (filters[k]->kind == FILTER_FOCUS || filters[k]->kind == FILTER_HIDE)
            match[k] = match_table(src, &extra, filters[k]);

    /* 1. Rewrite every stack into one flat array. */
    VEC(uint32_t) flat = {0};
    VEC(struct rec) recs = {0};
    VEC(uint32_t) stack = {0};
    size_t nodes = profile_node_count(src);
    for (uint32_t i = 0; i < nodes; i++) {
        const struct profile_node *node = profile_node(src, i);
        double other = sides ? profile_base(src, i)->self : 0;
        if (node->self <= 0 && other <= 0)
            continue;
        stack.n = 0;
        for (uint32_t c = i; c != PROFILE_ROOT; c = profile_node(src, c)->parent)
            VEC_PUSH(stack, profile_node(src, c)->frame);
        reverse(stack.v, stack.n); /* leaf first -> root first */
        bool keep = true;
        for (size_t k = 0; k < n && keep; k++) {
            const struct filter *f = filters[k];
            if (f->kind == FILTER_FOCUS) {
                keep = false;
                for (size_t j = 0; j < stack.n && !keep; j++)
                    keep = match[k][stack.v[j]];
            } else if (f->kind == FILTER_HIDE) {
                size_t w = 0;
                for (size_t j = 0; j < stack.n; j++)
                    if (!match[k][stack.v[j]])
                        stack.v[w++] = stack.v[j];
                stack.n = w;
            } else if (f->kind == FILTER_ROOTS) {
                /* (the stack's first frame: roots come first) */
                if (stack.n && stack.v[0] < nframes)
                    stack.v[0] = rootmap[stack.v[0]];
            } else if (f->kind == FILTER_MODULES) {
                size_t w = 0;
                for (size_t j = 0; j < stack.n; j++) {
                    /* (a frame already a module's, from an earlier one; the
                     * outermost frame with no module is the process, as a
                     * pprof file's is) */
                    uint32_t m = stack.v[j] >= nframes ? stack.v[j]
                                 : j == 0 && !*frames_get(sfr, stack.v[j])->module
                                     ? stack.v[j]
                                     : modmap[stack.v[j]];
                    if (w == 0 || stack.v[w - 1] != m)
                        stack.v[w++] = m;
                }
                stack.n = w;
            } else if (f->kind == FILTER_PYFUNC) {
                for (size_t j = 0; j < stack.n; j++)
                    if (stack.v[j] < nframes)
                        stack.v[j] = pymap[stack.v[j]];
            } else if (f->kind == FILTER_PYVIEW) {
                stack.n = pyview(stack.v, stack.n, nframes, cl, startup);
            } else if (f->kind == FILTER_KFOLD) {
                stack.n = kfold(stack.v, stack.n, nframes, cl, kentry, kcall);
            } else {
                reverse(stack.v, stack.n);
            }
        }
        if (!keep)
            continue;
        struct rec r = {flat.n, (uint32_t)stack.n, swap ? other : node->self,
                        swap ? node->self : other};
        for (size_t j = 0; j < stack.n; j++) {
            uint32_t s = stack.v[j];
            if (remap[s] == PROFILE_NONE && s >= nframes) {
                const char *name = extra.names.v[s - nframes];
                remap[s] = frames_intern(dfr, name, strlen(name),
                                         (enum frame_kind)extra.kinds.v[s - nframes],
                                         extra.is_module.v[s - nframes] ? name : "");
            } else if (remap[s] == PROFILE_NONE) {
                const struct frame *fr = frames_get(sfr, s);
                remap[s] = frames_intern(dfr, fr->name, strlen(fr->name), fr->kind, fr->module);
            }
            VEC_PUSH(flat, remap[s]);
        }
        VEC_PUSH(recs, r);
    }

    /* 2. Sorted, stacks that share a prefix are neighbours: each one reuses
     * the previous one's nodes for the common prefix, and everything after
     * it is new (no sibling search: inverting a profile makes parents with
     * thousands of children, where searching cost seconds). */
    sort_flat = flat.v;
    VEC_SORT(recs, cmp_rec);
    VEC(uint32_t) path = {0}; /* nodes of the previous stack */
    const uint32_t *prev = NULL;
    uint32_t prev_len = 0;
    for (size_t r = 0; r < recs.n; r++) {
        uint32_t len = recs.v[r].len, common = 0;
        /* (a stack that hide emptied has no frames: flat.v may be NULL) */
        const uint32_t *cur = len ? flat.v + recs.v[r].off : NULL;
        while (common < len && common < prev_len && cur[common] == prev[common])
            common++;
        VEC_RESERVE(path, (size_t)len + 1);
        uint32_t node = common ? path.v[common - 1] : PROFILE_ROOT;
        for (uint32_t d = common; d < len; d++) {
            node = profile_new_child(dst, node, cur[d]);
            path.v[d] = node;
        }
        profile_add_at(dst, node, recs.v[r].weight);
        if (sides)
            profile_add_base_at(dst, node, recs.v[r].base);
        prev = cur;
        prev_len = len;
    }
    profile_sort_children(dst);
    for (size_t k = 0; k < n; k++)
        free(match[k]);
    free(match);
    free(remap);
    free(modmap);
    free(rootmap);
    free(pymap);
    free(cl);
    free(kentry);
    free(kcall);
    for (size_t i = 0; i < extra.names.n; i++)
        free(extra.names.v[i]);
    VEC_FREE(extra.names);
    VEC_FREE(extra.kinds);
    VEC_FREE(extra.is_module);
    VEC_FREE(stack);
    VEC_FREE(flat);
    VEC_FREE(recs);
    VEC_FREE(path);
    return dst;
}
