/*
 * perfmap: the perf map files JIT runtimes write (node --perf-basic-prof,
 * python -X perf): one "START SIZE name" line per compiled function. The
 * file grows while the program runs, so a lookup that misses reads on from
 * the last whole line read before (at most every JIT_REREAD_NS; from the
 * start again when the file was replaced or shrank). A file is trusted when it is
 * owned by root, by the current user, or by the profiled program's own user
 * (it is the program's own file); another owner's file is refused, as perf
 * does, unless --jit-any-owner says otherwise.
 */
#include <errno.h>
#include <limits.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tprof/clock.h"
#include "tprof/fileutil.h"
#include "tprof/jittab.h"
#include "tprof/perfmap.h"
#include "tprof/xalloc.h"

#define LINE_MAX_KEPT (PERFMAP_MAX_NAME + 64)

struct perfmap {
    char *path;
    struct jit_trust trust;
    off_t read_size; /* the file's size when last looked at */
    off_t read_off;  /* bytes read */
    dev_t dev;
    ino_t ino;
    /* the line being read (the file may end mid-line: its start waits
     * here for the rest, never read twice); a line's first LINE_MAX_KEPT
     * bytes are kept, the rest of it skipped (a runaway name is cut: it
     * labels a frame, nothing more) */
    char line[LINE_MAX_KEPT + 1];
    size_t line_n;
    uint64_t read_at; /* when last read (now_ns) */
    struct jittab tab;
    char error[PATH_MAX + 128];
};

int perfmap_parse_line(const char *line, uint64_t *start, uint64_t *size, const char **name)
{
    char *end;
    errno = 0;
    unsigned long long s = strtoull(line, &end, 16);
    if (end == line || *end != ' ' || errno)
        return -1;
    const char *p = end + 1;
    unsigned long long z = strtoull(p, &end, 16);
    if (end == p || *end != ' ' || errno || z == 0 || z > UINT64_MAX - s)
        return -1;
    *start = s;
    *size = z;
    *name = end + 1;
    return 0;
}

int jit_file_open(const char *path, off_t seen, const struct jit_trust *t, struct stat *st,
                  char *err, size_t errlen)
{
    if (stat(path, st) < 0 || st->st_size == seen)
        return -1;
    /* (opened without blocking and checked on the descriptor: the program
     * may put a FIFO or a link to a device there) */
    int fd = fileutil_open_regular(path, st);
    if (fd < 0)
        return -1;
    if (st->st_uid == 0 || st->st_uid == geteuid() || (t && t->any) ||
        (t && t->owner != (uid_t)-1 && st->st_uid == t->owner))
        return fd;
    close(fd);
    snprintf(err, errlen,
             "ignoring %s: owned by uid %u, not the program's user, you or root "
             "(--jit-any-owner trusts it)",
             path, (unsigned)st->st_uid);
    return -2;
}

/* The line in PM->line, ended: into the table. */
static void take_line(struct perfmap *pm)
{
    size_t len = pm->line_n;
    pm->line_n = 0;
    while (len > 0 && pm->line[len - 1] == '\r')
        len--;
    pm->line[len] = '\0';
    uint64_t s, z;
    const char *name;
    if (perfmap_parse_line(pm->line, &s, &z, &name) == 0)
        jittab_add(&pm->tab, s, z, name, strnlen(name, PERFMAP_MAX_NAME), NULL);
}

static void load(struct perfmap *pm)
{
    struct stat st;
    pm->read_at = now_ns();
    int fd = jit_file_open(pm->path, pm->read_size, &pm->trust, &st, pm->error,
                           sizeof(pm->error));
    if (fd == -2)
        pm->read_size = st.st_size;
    if (fd < 0)
        return;
    /* another file, or one cut shorter: read from its start */
    if (st.st_dev != pm->dev || st.st_ino != pm->ino || st.st_size < pm->read_off) {
        jittab_clear(&pm->tab);
        pm->read_off = 0;
        pm->line_n = 0;
        pm->dev = st.st_dev;
        pm->ino = st.st_ino;
    }
    /* what was added since, once: work in proportion to what is new */
    char buf[65536];
    ssize_t r;
    while ((r = pread(fd, buf, sizeof(buf), pm->read_off)) > 0) {
        for (ssize_t i = 0; i < r; i++) {
            if (buf[i] == '\n')
                take_line(pm);
            else if (pm->line_n < LINE_MAX_KEPT)
                pm->line[pm->line_n++] = buf[i];
        }
        pm->read_off += r;
    }
    close(fd);
    /* Later entries for the same start win (code can be recompiled). */
    pm->read_size = st.st_size;
}

struct perfmap *perfmap_new(uint32_t pid, const char *dir, const struct jit_trust *trust)
{
    struct perfmap *pm = xcalloc(1, sizeof(*pm));
    pm->path = xasprintf("%s/perf-%" PRIu32 ".map", dir, pid);
    pm->trust = trust ? *trust : (struct jit_trust){(uid_t)-1, false};
    pm->read_size = -1;
    load(pm);
    return pm;
}

void perfmap_free(struct perfmap *pm)
{
    if (!pm)
        return;
    jittab_free(&pm->tab);
    free(pm->path);
    free(pm);
}

const char *perfmap_find(struct perfmap *pm, uint64_t addr, uint64_t *start, uint64_t *size)
{
    const struct jit_entry *e = jittab_find(&pm->tab, addr);
    if (!e && now_ns() - pm->read_at >= JIT_REREAD_NS) {
        load(pm);
        e = jittab_find(&pm->tab, addr);
    }
    return jittab_answer(e, start, size);
}

const char *perfmap_lookup(struct perfmap *pm, uint64_t addr)
{
    return perfmap_find(pm, addr, NULL, NULL);
}

const char *perfmap_error(const struct perfmap *pm)
{
    return pm->error;
}
