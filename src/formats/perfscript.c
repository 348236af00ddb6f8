/*
 * perfscript: `perf script` text, collapsed as FlameGraph's
 * stackcollapse-perf.pl does (FORMATS.md; the conformance cases in
 * shared/conformance/flamegraph are its outputs):
 *
 *   COMM PID[/TID] [CPU] TIME: [PERIOD] EVENT:      a sample's header
 *   \t ADDR SYMBOL+0xOFF (DSO)                      its frames, leaf first
 *   (blank line)                                    its end
 *
 * A sample counts its period when the header gives one, else 1; only the
 * first event seen is kept (or --event's). Without call chains, perf script
 * puts the sampled frame on the header line and no blank line follows:
 * such a line is a sample of one frame. The root is the command (with
 * spaces made '_'), "comm-PID" with --pid, "comm-PID/TID" with --tid.
 *
 * Where tprof differs from the script, on purpose: a frame name is not cut
 * at a '(' inside a template's <...>, "operator()" or "(anonymous
 * namespace)", so C++ names with spaces stay whole (perfscript_tidy); a
 * symbol that starts with "(anonymous namespace)" is kept (the script takes
 * it for a process name and drops it). As inferno reads it (the script
 * leaves it out), the last sample needs no blank line after it; one that
 * another header follows with no blank line between is left out, and
 * counted. An event is named without its modifiers ("cycles:u:" and
 * "cycles:" are one event), as inferno names it.
 *
 * It streams: lines are parsed where they lie in the read buffer, and only
 * the tree of unique stacks grows.
 *
 * Work bounds, each proportional to the input: a line at most
 * INPUT_MAX_LINE (16 MiB), a frame name kept to MAX_NAME bytes, a sample's
 * frames (one a line) each added once to the tree; nothing is inflated.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tprof/folded.h"
#include "tprof/perfscript.h"
#include "tprof/xalloc.h"

#define MAX_NAME 4096 /* bytes of one frame name kept */

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_word(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* ----- frame names ----- */

/* Go's "pkg.(*T).method": the script leaves a name matching \.\(.*\)\.
 * alone; the first ".(" leaves the most room for the ")." after it. */
static bool go_method(const char *s, size_t n)
{
    const char *open = memmem(s, n, ".(", 2);
    if (!open)
        return false;
    size_t at = (size_t)(open - s) + 2;
    return memmem(s + at, n - at, ").", 2) != NULL;
}

/* Where "foo(int)" is cut: its first '(' that opens a parameter list, N
 * when there is none. */
static size_t cut_at(const char *s, size_t n)
{
    static const char anon[] = "(anonymous namespace)";
    const size_t al = sizeof(anon) - 1;
    int depth = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == 'o' && i + 8 <= n && memcmp(s + i, "operator", 8) == 0 &&
            (i == 0 || !is_word(s[i - 1])) && (i + 8 == n || !is_word(s[i + 8]))) {
            /* operator<, operator<<=, operator->, operator(), operator[] */
            i += 8;
            while (i < n && s[i] == ' ')
                i++;
            if (i + 1 < n && s[i] == '(' && s[i + 1] == ')') {
                i++;
                continue;
            }
            while (i < n && strchr("<>=!+-*/%^&|~,[]", s[i]))
                i++;
            i--;
            continue;
        }
        if (c == '<') {
            depth++;
        } else if (c == '>') {
            if (depth > 0)
                depth--;
        } else if (c == '(') {
            if (n - i >= al && memcmp(s + i, anon, al) == 0) {
                i += al - 1;
                continue;
            }
            if (depth == 0)
                return i;
        }
    }
    return n;
}

size_t perfscript_tidy(const char *raw, size_t n, char *out, size_t cap)
{
    if (cap == 0)
        return 0;
    size_t end = go_method(raw, n) ? n : cut_at(raw, n);
    size_t k = 0;
    for (size_t i = 0; i < end && k + 1 < cap; i++) {
        char c = raw[i];
        if (c == '"' || c == '\'')
            continue;
        out[k++] = c == ';' ? ':' : c;
    }
    out[k] = '\0';
    return k;
}

/* ----- lines ----- */

struct header {
    const char *comm;
    size_t comm_len;
    const char *pid, *tid; /* digits; pid NULL: "?" (one number given) */
    size_t pid_len, tid_len;
    double period;          /* 1 when none */
    const char *event;      /* NULL when the line does not end "EVENT:" */
    size_t event_len;
    const char *rest;       /* after "EVENT:": a frame without call chains */
    size_t rest_len;
};

/* The length of event name E (N bytes) without its modifiers: perf prints
 * "cycles:u" on some lines and "cycles" on others, and inferno reads both
 * as "cycles". Only a last ":" part made of modifier letters goes, so that
 * a tracepoint ("sched:sched_switch") keeps its name. */
static size_t event_name_len(const char *e, size_t n)
{
    const char *colon = memrchr(e, ':', n);
    if (!colon || colon == e || colon + 1 == e + n)
        return n;
    for (const char *c = colon + 1; c < e + n; c++)
        if (!strchr("ukhIGHpPSDWebxR", *c))
            return n;
    return (size_t)(colon - e);
}

/* At P (ending at E; T: E without its trailing blanks): ":" \s* (\d+)?
 * \s+ (\S+) ":" then \s* to the end (*REST NULL) or \s+ and more (*REST
 * at it). Each call looks at one token past P: over a line's colons, the
 * work stays linear. A period past 2^53 is not one (h->period 0). */
static bool match_event(const char *p, const char *e, const char *t, struct header *h,
                        bool to_end)
{
    const char *q = p + 1, *q1 = q;
    while (q1 < e && is_ws(*q1))
        q1++;
    const char *starts[2];
    double periods[2];
    int ns = 0;
    /* (a) digits right after the blanks, then blanks */
    const char *d = q1;
    while (d < e && is_digit(*d))
        d++;
    if (d > q1 && d < e && is_ws(*d)) {
        const char *s = d;
        while (s < e && is_ws(*s))
            s++;
        double v = 0;
        for (const char *x = q1; x < d; x++)
            v = v * 10 + (*x - '0');
        starts[ns] = s;
        periods[ns++] = v;
    }
    /* (b) no period: at least one blank */
    if (q1 > q) {
        starts[ns] = q1;
        periods[ns++] = 0;
    }
    for (int k = 0; k < ns; k++) {
        const char *s = starts[k];
        if (s >= e || is_ws(*s))
            continue;
        if (to_end) {
            /* (\S+):\s*$ */
            if (t - s < 2 || t[-1] != ':')
                continue;
            const char *x = s;
            while (x < t - 1 && !is_ws(*x))
                x++;
            if (x != t - 1)
                continue;
            h->event = s;
            h->event_len = (size_t)(t - 1 - s);
            h->rest = NULL;
        } else {
            /* (\S+):\s+ then the frame: the event is the non-blank run,
             * which must end in ':' */
            const char *x = s;
            while (x < e && !is_ws(*x))
                x++;
            if (x - s < 2 || x[-1] != ':' || x >= e)
                continue;
            const char *r = x;
            while (r < e && is_ws(*r))
                r++;
            if (r >= e)
                continue;
            h->event = s;
            h->event_len = (size_t)(x - 1 - s);
            h->rest = r;
            h->rest_len = (size_t)(e - r);
        }
        h->event_len = event_name_len(h->event, h->event_len);
        h->period = periods[k] > FOLDED_MAX_COUNT ? 0 : periods[k] > 0 ? periods[k] : 1;
        return true;
    }
    return false;
}

/* The header as the script's ^(\S.+?)\s+(\d+)[/]*(\d+)*\s+ reads it, and its event. */
static bool parse_header(const char *s, size_t n, struct header *h)
{
    if (n < 2 || is_ws(s[0]))
        return false;
    const char *e = s + n;
    memset(h, 0, sizeof(*h));
    size_t i;
    for (i = 2; i < n; i++) {
        if (!is_ws(s[i]))
            continue;
        size_t j = i;
        while (j < n && is_ws(s[j]))
            j++;
        /* a comm ending further in this run of blanks fares the same */
        size_t run_end = j;
        size_t d0 = j;
        while (j < n && is_digit(s[j]))
            j++;
        if (j == d0) {
            i = run_end - 1;
            continue;
        }
        size_t d1 = j;
        while (j < n && s[j] == '/')
            j++;
        size_t t0 = j;
        while (j < n && is_digit(s[j]))
            j++;
        size_t t1 = j;
        if (j >= n || !is_ws(s[j])) {
            i = run_end - 1;
            continue;
        }
        h->comm = s;
        h->comm_len = i;
        /* (a "0" TID is no TID, as in Perl) */
        bool tid = t1 > t0 && !(t1 - t0 == 1 && s[t0] == '0');
        if (tid) {
            h->pid = s + d0;
            h->pid_len = d1 - d0;
            h->tid = s + t0;
            h->tid_len = t1 - t0;
        } else {
            h->tid = s + d0;
            h->tid_len = d1 - d0;
        }
        break;
    }
    if (!h->comm)
        return false;
    h->period = 1;
    const char *t = e;
    while (t > s && is_ws(t[-1]))
        t--;
    for (const char *p = s; p < e; p++)
        if (*p == ':' && match_event(p, e, t, h, true))
            return true;
    for (const char *p = s; p < e; p++)
        if (*p == ':' && match_event(p, e, t, h, false))
            return true;
    return true; /* a header without an event */
}

struct frameline {
    const char *pc, *func, *mod;
    size_t pc_len, func_len, mod_len;
};

/* ^\s*(\w+)\s*(.+) \((.*)\): the address, the symbol up to the last " ("
 * that a ')' follows, and the module up to the last ')'. A blank symbol
 * ("ADDR  (DSO)", old perf's unknown symbol; the script names it " ") is
 * given as empty: it is named as [unknown] is. */
static bool parse_frame(const char *s, size_t n, struct frameline *f)
{
    size_t i = 0;
    while (i < n && is_ws(s[i]))
        i++;
    size_t a = i;
    while (i < n && is_word(s[i]))
        i++;
    if (i == a)
        return false;
    f->pc = s + a;
    f->pc_len = i - a;
    size_t close = n;
    while (close > i && s[close - 1] != ')')
        close--;
    if (close == i)
        return false;
    close--; /* at the last ')' */
    for (size_t p = close; p >= i + 2; p--) {
        if (s[p - 1] == '(' && s[p - 2] == ' ') {
            size_t b = i;
            while (b < p - 2 && is_ws(s[b]))
                b++;
            f->func = s + b;
            f->func_len = p - 2 - b;
            f->mod = s + p;
            f->mod_len = close - p;
            return true;
        }
    }
    return false;
}

/* ----- the reader ----- */

struct reader {
    const struct perfscript_opts *o;
    struct perfscript_stats *st;
    struct profile *p;
    struct frames *fr;
    bool in_sample;  /* a header kept, its frames coming */
    bool java;       /* its root starts with "java" */
    double period;
    uint32_t root;   /* its root frame */
    VEC(uint32_t) stack; /* its frames, leaf first */
    VEC(uint32_t) group;
    char *name;      /* MAX_NAME */
    char *event;     /* the event kept, NULL until the first */
    size_t event_len;
};

static void end_sample(struct reader *r)
{
    if (!r->in_sample)
        return;
    uint32_t node = profile_child(r->p, PROFILE_ROOT, r->root);
    for (size_t i = r->stack.n; i-- > 0;)
        node = profile_child(r->p, node, r->stack.v[i]);
    profile_add_at(r->p, node, r->period);
    r->st->samples++;
    if (r->period != 1)
        r->st->by_period = true;
    r->in_sample = false;
    r->stack.n = 0;
}

static bool ends_with(const char *s, size_t n, const char *suf)
{
    size_t l = strlen(suf);
    return n >= l && memcmp(s + n - l, suf, l) == 0;
}

static bool contains(const char *s, size_t n, const char *what)
{
    return memmem(s, n, what, strlen(what)) != NULL;
}

/* /tmp/perf-PID.map */
static bool jit_module(const char *m, size_t n)
{
    const char *p = memmem(m, n, "/tmp/perf-", 10);
    while (p) {
        const char *e = m + n, *d = p + 10, *d0 = d;
        while (d < e && is_digit(*d))
            d++;
        if (d > d0 && e - d >= 4 && memcmp(d, ".map", 4) == 0)
            return true;
        p = memmem(p + 1, (size_t)(e - p - 1), "/tmp/perf-", 10);
    }
    return false;
}

static void add_frame(struct reader *r, const struct frameline *f)
{
    const char *raw = f->func;
    size_t rl = f->func_len;
    /* s/\+0x[\da-f]+$// */
    size_t k = rl;
    while (k > 0 && ((raw[k - 1] >= '0' && raw[k - 1] <= '9') || (raw[k - 1] >= 'a' && raw[k - 1] <= 'f')))
        k--;
    if (k < rl && k >= 3 && raw[k - 1] == 'x' && raw[k - 2] == '0' && raw[k - 3] == '+')
        rl = k - 3;
    static const char anon[] = "(anonymous namespace)";
    if (rl > 0 && raw[0] == '(' && !(rl >= sizeof(anon) - 1 && memcmp(raw, anon, sizeof(anon) - 1) == 0))
        return; /* "(comm)": a process name, not a frame */
    bool kernel = r->o->kernel && f->mod_len > 0 &&
                  (f->mod[0] == '[' || ends_with(f->mod, f->mod_len, "vmlinux")) &&
                  !contains(f->mod, f->mod_len, "unknown");
    bool jit = r->o->jit && jit_module(f->mod, f->mod_len);
    r->group.n = 0;
    size_t pos = 0;
    for (;;) { /* "a->b": an inlined chain, the later ones _[i] */
        const char *part = raw + pos;
        const char *arrow = memmem(part, rl - pos, "->", 2);
        size_t pl = arrow ? (size_t)(arrow - part) : rl - pos;
        char *name = r->name;
        size_t nl;
        if ((pl == 9 && memcmp(part, "[unknown]", 9) == 0) || pl == 0) {
            const char *m = f->mod;
            size_t ml = f->mod_len;
            bool known = !(ml == 9 && memcmp(m, "[unknown]", 9) == 0);
            if (known) {
                const char *slash = memrchr(m, '/', ml);
                if (slash) {
                    ml -= (size_t)(slash + 1 - m);
                    m = slash + 1;
                }
            } else {
                m = "unknown";
                ml = 7;
            }
            char tmp[MAX_NAME];
            int w = r->o->addrs ? snprintf(tmp, sizeof(tmp), "[%.*s <%.*s>]", (int)ml, m,
                                           (int)f->pc_len, f->pc)
                                : snprintf(tmp, sizeof(tmp), "[%.*s]", (int)ml, m);
            size_t tl = w < 0 ? 0 : (size_t)w < sizeof(tmp) ? (size_t)w : sizeof(tmp) - 1;
            nl = perfscript_tidy(tmp, tl, name, MAX_NAME);
        } else {
            nl = perfscript_tidy(part, pl, name, MAX_NAME);
        }
        /* Java: "Lcom/foo/Bar:.m" is "com/foo/Bar:.m" */
        if (r->java && nl > 1 && name[0] == 'L' && memchr(name, '/', nl)) {
            memmove(name, name + 1, nl - 1);
            name[--nl] = '\0';
        }
        enum frame_kind kind = FRAME_USER;
        if (r->group.n > 0) {
            if (!contains(name, nl, "_[i]") && nl + 4 < MAX_NAME) {
                memcpy(name + nl, "_[i]", 5);
                nl += 4;
            }
        } else if (kernel) {
            kind = FRAME_KERNEL;
        } else if (jit && !contains(name, nl, "_[j]")) {
            kind = FRAME_JIT;
        }
        VEC_PUSH(r->group, frames_intern(r->fr, name, nl, kind, ""));
        if (!arrow)
            break;
        pos += pl + 2;
    }
    /* the line's frames go before the ones already read, in their order:
     * the stack is kept leaf first, so push them last first */
    for (size_t i = r->group.n; i-- > 0;)
        VEC_PUSH(r->stack, r->group.v[i]);
}

static void start_sample(struct reader *r, const struct header *h)
{
    char root[MAX_NAME];
    int w;
    int cl = (int)(h->comm_len < 1024 ? h->comm_len : 1024);
    if (r->o->tid)
        w = snprintf(root, sizeof(root), "%.*s-%.*s/%.*s", cl, h->comm,
                     h->pid ? (int)h->pid_len : 1, h->pid ? h->pid : "?", (int)h->tid_len,
                     h->tid);
    else if (r->o->pid)
        w = snprintf(root, sizeof(root), "%.*s-%.*s", cl, h->comm, h->pid ? (int)h->pid_len : 1,
                     h->pid ? h->pid : "?");
    else
        w = snprintf(root, sizeof(root), "%.*s", cl, h->comm);
    size_t rl = w < 0 ? 0 : (size_t)w < sizeof(root) ? (size_t)w : sizeof(root) - 1;
    for (size_t i = 0; i < rl; i++)
        if (root[i] == ' ')
            root[i] = '_';
    r->root = frames_intern(r->fr, root, rl, FRAME_ROOT, "");
    r->java = rl >= 4 && memcmp(root, "java", 4) == 0;
    r->period = h->period;
    r->stack.n = 0;
    r->in_sample = true;
}

static void take_line(void *arg, const char *s, size_t n)
{
    struct reader *r = arg;
    r->st->lines++;
    if (n > 0 && s[n - 1] == '\r')
        n--;
    if (n > 0 && s[0] == '#')
        return;
    size_t b = 0;
    while (b < n && is_ws(s[b]))
        b++;
    if (n == 0) { /* the script: only an empty line ends a sample */
        end_sample(r);
        return;
    }
    struct header h;
    /* (without call chains perf script pads the command to 16 columns) */
    bool header = !is_ws(s[0]) ? parse_header(s, n, &h)
                               : parse_header(s + b, n - b, &h) && h.rest;
    if (header) {
        if (r->in_sample) /* no blank line before: the last sample was cut */
            r->st->unfinished++;
        r->in_sample = false;
        r->stack.n = 0;
        if (h.event) {
            if (!r->event) {
                size_t el = h.event_len < sizeof(r->st->event) - 1 ? h.event_len
                                                                   : sizeof(r->st->event) - 1;
                if (r->o->event) {
                    r->event = xstrdup(r->o->event);
                    r->event_len = event_name_len(r->event, strlen(r->event));
                } else { /* (the whole name: st->event may be cut short) */
                    memcpy(r->st->event, h.event, el);
                    r->st->event[el] = '\0';
                    r->event = xmalloc(h.event_len + 1);
                    memcpy(r->event, h.event, h.event_len);
                    r->event[h.event_len] = '\0';
                    r->event_len = h.event_len;
                }
            }
            if (h.event_len != r->event_len || memcmp(h.event, r->event, h.event_len) != 0) {
                r->st->other_events++;
                return;
            }
        }
        if (h.period == 0) { /* past 2^53: not a count */
            r->st->unrecognized++;
            return;
        }
        start_sample(r, &h);
        struct frameline f;
        if (h.rest && parse_frame(h.rest, h.rest_len, &f)) {
            /* no call chains: the sampled frame on the header's line */
            add_frame(r, &f);
            end_sample(r);
        }
        return;
    }
    struct frameline f;
    if (parse_frame(s, n, &f)) {
        if (r->in_sample)
            add_frame(r, &f);
        return;
    }
    if (b < n)
        r->st->unrecognized++;
}

bool perfscript_detect(const char *p, size_t n)
{
    const char *e = p + n;
    while (p < e) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(e - p);
        if (!nl && len > 4096)
            return false;
        size_t l = len;
        while (l > 0 && is_ws(p[l - 1]))
            l--;
        size_t b = 0;
        while (b < l && is_ws(p[b]))
            b++;
        if (l > 0 && p[0] != '#') {
            struct header h;
            /* a folded line ends in its count; a header in "EVENT:" or a frame's "(DSO)" */
            return (p[l - 1] == ':' || p[l - 1] == ')') && parse_header(p + b, l - b, &h) &&
                   (b == 0 || h.rest);
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    return false;
}

struct profile *perfscript_read(struct input *in, const struct perfscript_opts *o,
                                struct perfscript_stats *st, char *err, size_t errlen)
{
    struct perfscript_stats dummy;
    if (!st)
        st = &dummy;
    memset(st, 0, sizeof(*st));
    if (o->event)
        snprintf(st->event, sizeof(st->event), "%s", o->event);
    struct reader r = {.o = o, .st = st, .p = profile_new()};
    r.fr = profile_frames(r.p);
    r.name = xmalloc(MAX_NAME);
    uint64_t at = 0;
    enum input_status rc = input_lines(in, take_line, &r, &at, err, errlen);
    /* The last sample needs no blank line after it (inferno takes it;
     * the script leaves it out): a file of one sample is one sample. */
    if (r.in_sample && r.stack.n > 0)
        end_sample(&r);
    else if (r.in_sample)
        st->unfinished++;
    VEC_FREE(r.stack);
    VEC_FREE(r.group);
    free(r.name);
    free(r.event);
    const char *name = input_name(in);
    if (rc == INPUT_BINARY)
        snprintf(err, errlen,
                 "'%s' is not perf script text: binary data (a NUL byte at offset %" PRIu64 ")",
                 name, at);
    else if (rc == INPUT_LONG_LINE)
        snprintf(err, errlen,
                 "'%s' is not perf script text: line %" PRIu64 " is longer than " INPUT_MAX_LINE_TEXT,
                 name, at);
    else if (st->samples == 0)
        snprintf(err, errlen, "no samples%s%s in '%s' (%" PRIu64 " lines of perf script text)",
                 st->event[0] ? " of event " : "", st->event, name, st->lines);
    if (rc != INPUT_OK || st->samples == 0) {
        profile_free(r.p);
        return NULL;
    }
    if (st->by_period) /* (the header says events, not samples) */
        profile_set_unit(r.p, PROFILE_EVENTS);
    return r.p;
}
