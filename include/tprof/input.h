/* input: a profile file or standard input read as a stream of lines, with
 * its first bytes available before any is taken (to tell its format by
 * content: standard input cannot be read twice). */
#ifndef TPROF_INPUT_H
#define TPROF_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest line taken (one stack of a folded file, one perf script line). */
#define INPUT_MAX_LINE ((size_t)16 << 20)
#define INPUT_MAX_LINE_TEXT "16 MiB"
/* Bytes input_peek makes available at most. */
#define INPUT_PEEK ((size_t)64 << 10)

struct input;

/* Open PATH ("-": standard input; a FIFO with no writer reads as empty, a
 * directory is refused). NULL with ERR. */
struct input *input_open(const char *path, char *err, size_t errlen);
void input_close(struct input *in);
/* "standard input" or the path, for messages. */
const char *input_name(const struct input *in);
/* The size of a regular file, 0 for anything else (a pipe, a device). */
uint64_t input_file_size(const struct input *in);
/* Open the regular file PATH for the lines that start in [START, END) only:
 * input_lines skips the line START falls inside (unless START begins one)
 * and stops before the first line starting at END or later. Ranges that
 * tile a file take each line once. */
struct input *input_open_range(const char *path, uint64_t start, uint64_t end, char *err,
                               size_t errlen);

/* The first bytes of the input (up to INPUT_PEEK, fewer at its end), read
 * without being taken: input_lines starts from the first byte still. *LEN
 * gets their count. NULL with ERR on a read error. */
const char *input_peek(struct input *in, size_t *len, char *err, size_t errlen);

/* The whole input (for formats read as one object: pstats), at most MAX
 * bytes; *LEN gets its size. NULL with ERR when it is larger or unreadable.
 * The bytes stay valid until input_close. */
const char *input_all(struct input *in, size_t max, size_t *len, char *err, size_t errlen);

enum input_status {
    INPUT_OK = 0,
    INPUT_READ_ERROR, /* ERR says why */
    INPUT_BINARY,     /* a NUL byte: at *at */
    INPUT_LONG_LINE,  /* a line past INPUT_MAX_LINE: line number *at */
};

/* Call FN for every line (without its '\n'; a last line without one too),
 * in order, until the end of the input. Text only: at a NUL byte it stops
 * with INPUT_BINARY (*AT its offset); at a line longer than INPUT_MAX_LINE,
 * with INPUT_LONG_LINE (*AT its line number, from 1). */
enum input_status input_lines(struct input *in, void (*fn)(void *arg, const char *line, size_t len),
                              void *arg, uint64_t *at, char *err, size_t errlen);

#endif
