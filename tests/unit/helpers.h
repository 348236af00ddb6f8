/* Helpers shared by the unit tests. */
#ifndef TPROF_TEST_HELPERS_H
#define TPROF_TEST_HELPERS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tprof/canvas.h"
#include "tprof/folded.h"

/* A profile from folded TEXT, through the real reader (sorted children). */
static inline struct profile *profile_from(const char *text)
{
    char path[] = "/tmp/tprof-unit-folded.XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        abort();
    close(fd);
    char err[256];
    struct profile *p = folded_read(path, NULL, err, sizeof(err));
    unlink(path);
    if (!p) {
        fprintf(stderr, "profile_from: %s\n", err);
        abort();
    }
    profile_sort_children(p);
    return p;
}

/* P as folded text (allocated). */
static inline char *folded_text(const struct profile *p)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    folded_write(p, f);
    fclose(f);
    return buf;
}

/* Row Y of C as text (static buffer). */
static inline const char *row(const struct canvas *c, int y)
{
    static char buf[4096];
    canvas_row_text(c, y, buf, sizeof(buf));
    return buf;
}

#endif
