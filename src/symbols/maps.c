/*
 * maps: per-process address spaces. Each process has a sorted array of
 * non-overlapping mappings; adding one trims or splits the mappings it
 * overlaps (without splitting, ld.so's overlays hid 97% of the code), and a
 * lookup is a binary search. Threads share their process's space (keyed by
 * pid); fork copies it, exec and exit clear it.
 */
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "tprof/maps.h"
#include "tprof/xalloc.h"

struct space {
    UT_hash_handle hh;
    uint32_t pid;
    VEC(struct map) v;
    size_t last; /* index of the last hit: consecutive lookups are local */
};

struct maps {
    struct space *by_pid;
};

struct maps *maps_new(void)
{
    return xcalloc(1, sizeof(struct maps));
}

static void space_free(struct space *s)
{
    VEC_FREE(s->v);
    free(s);
}

void maps_free(struct maps *ms)
{
    if (!ms)
        return;
    struct space *s, *tmp;
    HASH_ITER(hh, ms->by_pid, s, tmp)
    {
        HASH_DEL(ms->by_pid, s);
        space_free(s);
    }
    free(ms);
}

static struct space *space_get(struct maps *ms, uint32_t pid, int create)
{
    struct space *s;
    HASH_FIND(hh, ms->by_pid, &pid, sizeof(pid), s);
    if (!s && create) {
        s = xcalloc(1, sizeof(*s));
        s->pid = pid;
        HASH_ADD(hh, ms->by_pid, pid, sizeof(pid), s);
    }
    return s;
}

/* Index of the first mapping whose end is above ADDR. */
static size_t first_ending_after(const struct space *s, uint64_t addr)
{
    size_t lo = 0, hi = s->v.n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->v.v[mid].end <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void maps_add(struct maps *ms, uint32_t pid, const struct map *m)
{
    if (m->end <= m->start)
        return;
    struct space *s = space_get(ms, pid, 1);
    size_t i = first_ending_after(s, m->start);
    /* Collect what survives of the overlapped mappings: at most a head piece
     * of the first and a tail piece of the last. */
    struct map head, tail;
    int have_head = 0, have_tail = 0;
    size_t j = i;
    while (j < s->v.n && s->v.v[j].start < m->end) {
        const struct map *o = &s->v.v[j];
        if (o->start < m->start) {
            head = *o;
            head.end = m->start;
            have_head = 1;
        }
        if (o->end > m->end) {
            tail = *o;
            tail.pgoff += m->end - o->start;
            tail.start = m->end;
            have_tail = 1;
        }
        j++;
    }
    size_t replace = j - i;
    size_t insert = 1 + (size_t)have_head + (size_t)have_tail;
    VEC_RESERVE(s->v, s->v.n - replace + insert);
    memmove(s->v.v + i + insert, s->v.v + j, (s->v.n - j) * sizeof(struct map));
    s->v.n = s->v.n - replace + insert;
    size_t k = i;
    if (have_head)
        s->v.v[k++] = head;
    s->v.v[k++] = *m;
    if (have_tail)
        s->v.v[k++] = tail;
    s->last = 0;
}

void maps_fork(struct maps *ms, uint32_t ppid, uint32_t pid)
{
    struct space *parent = space_get(ms, ppid, 0);
    struct space *child = space_get(ms, pid, 1);
    child->v.n = 0;
    child->last = 0;
    if (parent && parent->v.n) {
        VEC_RESERVE(child->v, parent->v.n);
        memcpy(child->v.v, parent->v.v, parent->v.n * sizeof(struct map));
        child->v.n = parent->v.n;
    }
}

void maps_clear(struct maps *ms, uint32_t pid)
{
    struct space *s = space_get(ms, pid, 0);
    if (s) {
        HASH_DEL(ms->by_pid, s);
        space_free(s);
    }
}

const struct map *maps_find(struct maps *ms, uint32_t pid, uint64_t addr)
{
    struct space *s = space_get(ms, pid, 0);
    if (!s || !s->v.n)
        return NULL;
    if (s->last < s->v.n && addr >= s->v.v[s->last].start && addr < s->v.v[s->last].end)
        return &s->v.v[s->last];
    size_t i = first_ending_after(s, addr);
    if (i < s->v.n && s->v.v[i].start <= addr) {
        s->last = i;
        return &s->v.v[i];
    }
    return NULL;
}

const struct map *maps_all(struct maps *ms, uint32_t pid, size_t *n)
{
    struct space *s = space_get(ms, pid, 0);
    *n = s ? s->v.n : 0;
    return s ? s->v.v : NULL;
}

unsigned maps_count(struct maps *ms, uint32_t pid)
{
    struct space *s = space_get(ms, pid, 0);
    return s ? (unsigned)s->v.n : 0;
}
