/* say: one-line messages, cleaned (see say.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tprof/say.h"
#include "tprof/utf8.h"
#include "tprof/xalloc.h"

size_t say_clean(char *s)
{
    size_t len = strlen(s), w = 0;
    for (size_t r = 0; r < len;) {
        unsigned char ch = (unsigned char)s[r];
        uint32_t cp = ch;
        size_t k = ch < 0x80 ? 1 : utf8_decode((const unsigned char *)s + r, len - r, &cp);
        if (k == 0) { /* not UTF-8: the byte, unless an 8-bit terminal's C1 */
            s[w++] = ch <= 0x9f ? '?' : (char)ch;
            r++;
        } else if (utf8_is_control(cp)) {
            s[w++] = '?';
            r += k;
        } else {
            memmove(s + w, s + r, k);
            w += k;
            r += k;
        }
    }
    s[w] = '\0';
    return w;
}

void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    char *buf = xmalloc((size_t)n + 9);
    memcpy(buf, "tprof: ", 7);
    va_start(ap, fmt);
    vsnprintf(buf + 7, (size_t)n + 1, fmt, ap);
    va_end(ap);
    size_t len = 7 + say_clean(buf + 7);
    buf[len++] = '\n';
    fwrite(buf, 1, len, stderr); /* (one write: lines from two processes do not mix) */
    free(buf);
}
