/* Building marshal data byte by byte, for test_marshal.c and test_pstats.c
 * (include after cmocka.h). */
#ifndef TPROF_TEST_MARSHAL_BYTES_H
#define TPROF_TEST_MARSHAL_BYTES_H

#include <stddef.h>
#include <stdint.h>

struct buf {
    unsigned char b[16384];
    size_t n;
};

static inline void u8(struct buf *b, unsigned v)
{
    assert_true(b->n < sizeof(b->b));
    b->b[b->n++] = (unsigned char)v;
}

/* a little-endian int32, as marshal writes lengths and 'i' values */
static inline void i32(struct buf *b, int32_t v)
{
    uint32_t u = (uint32_t)v;
    for (int i = 0; i < 4; i++)
        u8(b, (u >> (8 * i)) & 0xff);
}

#endif
