/* linebuf: the last lines of a byte stream (a program's output, for the
 * live viewer's log pane). */
#ifndef TPROF_LINEBUF_H
#define TPROF_LINEBUF_H

#include <stddef.h>

struct linebuf;

/* Keep at most MAX_LINES lines of at most MAX_LEN bytes each. */
struct linebuf *linebuf_new(size_t max_lines, size_t max_len);
void linebuf_free(struct linebuf *b);
/* Append bytes; lines end at '\n'. PREFIX starts every new line ("" or "! "). */
void linebuf_append(struct linebuf *b, const char *data, size_t len, const char *prefix);
size_t linebuf_count(const struct linebuf *b);
/* Line I (0 is the oldest kept); the unfinished last line counts too. */
const char *linebuf_line(const struct linebuf *b, size_t i);
/* Lines dropped because the buffer was full. */
size_t linebuf_dropped(const struct linebuf *b);

#endif
