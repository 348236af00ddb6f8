/*
 * input: the byte stream under every profile reader. One buffer serves both
 * the peek (the format is told by content, and standard input cannot be
 * read twice) and the line loop, which reads in 1 MiB blocks and hands out
 * lines in place, growing the buffer only for a line longer than it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tprof/input.h"
#include "tprof/xalloc.h"

struct input {
    int fd;
    bool is_stdin, eof;
    char *name;
    char *buf;
    size_t cap, have; /* bytes in buf, not yet taken */
    uint64_t base;    /* the file offset of buf[0] */
    bool limited;     /* a range: lines starting at or past LIMIT are not taken */
    uint64_t limit;
    uint64_t size;    /* of a regular file, else 0 */
};

struct input *input_open(const char *path, char *err, size_t errlen)
{
    bool is_stdin = strcmp(path, "-") == 0;
    /* (never blocks in open: a FIFO with no writer reads as empty) */
    int fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    struct stat sb;
    if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        snprintf(err, errlen, "cannot read '%s': Is a directory", path);
        if (!is_stdin)
            close(fd);
        return NULL;
    }
    if (!is_stdin) {
        int fl = fcntl(fd, F_GETFL);
        if (fl >= 0)
            fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    }
    struct input *in = xcalloc(1, sizeof(*in));
    if (!is_stdin && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode))
        in->size = (uint64_t)sb.st_size;
    in->fd = fd;
    in->is_stdin = is_stdin;
    in->name = xstrdup(is_stdin ? "standard input" : path);
    in->cap = (size_t)1 << 20;
    in->buf = xmalloc(in->cap);
    return in;
}

void input_close(struct input *in)
{
    if (!in)
        return;
    if (!in->is_stdin)
        close(in->fd);
    free(in->buf);
    free(in->name);
    free(in);
}

const char *input_name(const struct input *in)
{
    return in->name;
}

uint64_t input_file_size(const struct input *in)
{
    return in->size;
}

/* Read once more into the free end of the buffer: the bytes read, 0 at the
 * end, -1 with errno. */
static ssize_t fill(struct input *in)
{
    if (in->eof)
        return 0;
    for (;;) {
        ssize_t n = read(in->fd, in->buf + in->have, in->cap - in->have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            in->eof = true;
        if (n > 0)
            in->have += (size_t)n;
        return n;
    }
}

const char *input_peek(struct input *in, size_t *len, char *err, size_t errlen)
{
    while (in->have < INPUT_PEEK && !in->eof) {
        if (fill(in) < 0) {
            snprintf(err, errlen, "cannot read '%s': %s", in->name, strerror(errno));
            return NULL;
        }
    }
    *len = in->have < INPUT_PEEK ? in->have : INPUT_PEEK;
    return in->buf;
}

struct input *input_open_range(const char *path, uint64_t start, uint64_t end, char *err,
                               size_t errlen)
{
    struct input *in = input_open(path, err, errlen);
    if (!in)
        return NULL;
    in->limited = true;
    in->limit = end;
    if (start == 0)
        return in;
    /* the line the byte before START ends belongs to the range before */
    if (lseek(in->fd, (off_t)(start - 1), SEEK_SET) < 0) {
        snprintf(err, errlen, "cannot read '%s': %s", in->name, strerror(errno));
        input_close(in);
        return NULL;
    }
    in->base = start - 1;
    for (;;) {
        ssize_t n = fill(in);
        if (n < 0) {
            snprintf(err, errlen, "cannot read '%s': %s", in->name, strerror(errno));
            input_close(in);
            return NULL;
        }
        char *nl = memchr(in->buf, '\n', in->have);
        size_t drop = nl ? (size_t)(nl - in->buf) + 1 : in->have;
        memmove(in->buf, in->buf + drop, in->have - drop);
        in->have -= drop;
        in->base += drop;
        if (nl || n == 0)
            return in;
    }
}

const char *input_all(struct input *in, size_t max, size_t *len, char *err, size_t errlen)
{
    for (;;) {
        if (in->have == in->cap) {
            if (in->cap >= max) {
                snprintf(err, errlen, "'%s' is larger than %zu MiB, more than tprof reads of "
                         "this format", in->name, max >> 20);
                return NULL;
            }
            in->cap = in->cap * 2 < max ? in->cap * 2 : max;
            in->buf = xrealloc(in->buf, in->cap);
        }
        ssize_t n = fill(in);
        if (n < 0) {
            snprintf(err, errlen, "cannot read '%s': %s", in->name, strerror(errno));
            return NULL;
        }
        if (n == 0)
            break;
    }
    *len = in->have;
    return in->buf;
}

enum input_status input_lines(struct input *in, void (*fn)(void *arg, const char *line, size_t len),
                              void *arg, uint64_t *at, char *err, size_t errlen)
{
    uint64_t offset = 0, lineno = 0; /* of buf[0] in the input; lines taken */
    size_t checked = 0;              /* bytes of buf already searched for NUL */
    for (;;) {
        /* Text only: an executable, /dev/zero or a compressed file has NUL
         * bytes, and its digit-ended strings are not samples. */
        const char *nul = memchr(in->buf + checked, '\0', in->have - checked);
        if (nul) {
            *at = offset + (uint64_t)(nul - in->buf);
            return INPUT_BINARY;
        }
        checked = in->have;
        size_t start = 0;
        for (;;) {
            char *nl = memchr(in->buf + start, '\n', in->have - start);
            if (!nl)
                break;
            if (in->limited && in->base + offset + start >= in->limit) {
                in->have = 0; /* the rest is another range's */
                return INPUT_OK;
            }
            lineno++;
            fn(arg, in->buf + start, (size_t)(nl - (in->buf + start)));
            start = (size_t)(nl - in->buf) + 1;
        }
        memmove(in->buf, in->buf + start, in->have - start);
        in->have -= start;
        checked -= start;
        offset += start;
        if (in->eof)
            break;
        if (in->have == in->cap) { /* a line longer than the buffer */
            if (in->cap >= INPUT_MAX_LINE) {
                *at = lineno + 1;
                return INPUT_LONG_LINE;
            }
            in->cap *= 2;
            in->buf = xrealloc(in->buf, in->cap);
        }
        if (fill(in) < 0) {
            snprintf(err, errlen, "cannot read '%s': %s", in->name, strerror(errno));
            return INPUT_READ_ERROR;
        }
    }
    if (in->have > 0 && !(in->limited && in->base + offset >= in->limit)) {
        /* last line without a newline */
        fn(arg, in->buf, in->have);
        in->have = 0;
    }
    return INPUT_OK;
}
