/* Shared helpers of the io/ readers (not installed). io/ sees gru.h and the
 * core's error recorder (gru__fail), nothing else of the core. */
#ifndef GRU_IO_COMMON_H
#define GRU_IO_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "gru.h"
#include "internal.h" /* gru__fail: the thread-local message */

/* Read a whole file into a malloc'd buffer (*data, *size; free with free).
 * fn names the calling function in messages. Caps the size at max_bytes. */
gru_status gru__io_read_file(const char *fn, const char *path, size_t max_bytes,
                             unsigned char **data, size_t *size);

/* Little-endian loads. */
static inline uint64_t gru__io_le64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}
static inline uint32_t gru__io_le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
/* Element i of little-endian F32 (es 4) or F64 (es 8) bytes, as double. */
double gru__io_le_float(const unsigned char *p, size_t es, size_t i);

#endif
