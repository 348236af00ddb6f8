/* utf8: strict UTF-8 decoding, for writers whose output must be valid
 * UTF-8 (JSON, XML) whatever bytes a symbol table held. */
#ifndef TPROF_UTF8_H
#define TPROF_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The length of the UTF-8 sequence at P (N >= 1 bytes left) and its code
 * point in *CP; 0 when P does not start a valid one: a stray or cut
 * sequence, an overlong form, a surrogate, a code point past U+10FFFF. */
size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *cp);

/* CP must not reach a terminal or a written profile: C0 and C1 controls
 * and DEL (U+009B is CSI: a name could move the cursor or change
 * colours), and the bidirectional controls that make text display as
 * something else (U+202E reverses the text after it). */
bool utf8_is_control(uint32_t cp);

#endif
