/* say: tprof's one-line messages on standard error ("tprof: ...\n"), with
 * every control character that could act on the terminal shown as '?':
 * paths and names come from outside (a profile's file name may hold OSC,
 * CSI or a right-to-left override). */
#ifndef TPROF_SAY_H
#define TPROF_SAY_H

#include <stddef.h>

void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* S with each control (utf8_is_control, and a lone byte 0x80-0x9f) made
 * '?', in place; its new length. */
size_t say_clean(char *s);

#endif
