/*
 * linebuf: a ring of the last N lines of a stream. Long lines are cut, not
 * split; what falls off the ring is counted, so the pane can say how much is
 * not shown (the whole output is kept elsewhere, in a file).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tprof/linebuf.h"
#include "tprof/xalloc.h"

struct linebuf {
    char **lines; /* ring of max_lines slots, each max_len + 1 bytes */
    size_t max_lines, max_len;
    size_t first, n; /* oldest slot, lines in use */
    size_t dropped;
    bool open;       /* the newest line has no '\n' yet */
    size_t open_len; /* its length (no strlen per appended byte) */
};

struct linebuf *linebuf_new(size_t max_lines, size_t max_len)
{
    struct linebuf *b = xcalloc(1, sizeof(*b));
    b->max_lines = max_lines ? max_lines : 1;
    b->max_len = max_len ? max_len : 1;
    b->lines = xcalloc(b->max_lines, sizeof(char *));
    return b;
}

void linebuf_free(struct linebuf *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->max_lines; i++)
        free(b->lines[i]);
    free(b->lines);
    free(b);
}

static char *newest(struct linebuf *b)
{
    return b->lines[(b->first + b->n - 1) % b->max_lines];
}

static void start_line(struct linebuf *b, const char *prefix)
{
    if (b->n == b->max_lines) { /* drop the oldest */
        b->first = (b->first + 1) % b->max_lines;
        b->n--;
        b->dropped++;
    }
    size_t slot = (b->first + b->n) % b->max_lines;
    if (!b->lines[slot])
        b->lines[slot] = xmalloc(b->max_len + 1);
    size_t pl = strlen(prefix);
    if (pl > b->max_len)
        pl = b->max_len;
    memcpy(b->lines[slot], prefix, pl);
    b->lines[slot][pl] = '\0';
    b->n++;
    b->open = true;
    b->open_len = pl;
}

void linebuf_append(struct linebuf *b, const char *data, size_t len, const char *prefix)
{
    for (size_t i = 0; i < len; i++) {
        if (!b->open)
            start_line(b, prefix);
        if (data[i] == '\n') {
            b->open = false;
            continue;
        }
        if (b->open_len < b->max_len) {
            char *l = newest(b);
            l[b->open_len++] = data[i] == '\t' ? ' ' : data[i];
            l[b->open_len] = '\0';
        }
    }
}

size_t linebuf_count(const struct linebuf *b)
{
    return b->n;
}

const char *linebuf_line(const struct linebuf *b, size_t i)
{
    return i < b->n ? b->lines[(b->first + i) % b->max_lines] : "";
}

size_t linebuf_dropped(const struct linebuf *b)
{
    return b->dropped;
}
