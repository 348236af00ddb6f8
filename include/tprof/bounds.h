/* bounds: range checks that cannot overflow, for lengths and offsets that
 * come from outside (target memory, ELF files, ring-buffer records). */
#ifndef TPROF_BOUNDS_H
#define TPROF_BOUNDS_H

#include <stdbool.h>
#include <stdint.h>

/* [OFF, OFF+LEN) lies inside [0, SIZE), with no wrap-around for any input
 * (OFF + LEN itself may not fit in 64 bits). */
static inline bool bounds_ok(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

#endif
