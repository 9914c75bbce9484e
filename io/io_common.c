/* Shared helpers of the io/ readers. */
#include "io_common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

gru_status gru__io_read_file(const char *fn, const char *path, size_t max_bytes,
                             unsigned char **data, size_t *size) {
    *data = NULL;
    *size = 0;
    if (!path) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'path' is NULL", fn);
    FILE *f = fopen(path, "rb");
    if (!f)
        return gru__fail(GRU_E_IO, NULL, "%s: cannot open '%s': %s", fn, path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return gru__fail(GRU_E_NOMEM, NULL, "%s: out of memory reading '%s'", fn, path);
    }
    for (;;) {
        if (n == cap) {
            if (cap >= max_bytes) {
                free(buf);
                fclose(f);
                return gru__fail(GRU_E_FORMAT, NULL, "%s: '%s' is larger than %zu bytes", fn,
                                 path, max_bytes);
            }
            size_t nc = cap * 2 > max_bytes ? max_bytes : cap * 2;
            unsigned char *nb = realloc(buf, nc);
            if (!nb) {
                free(buf);
                fclose(f);
                return gru__fail(GRU_E_NOMEM, NULL, "%s: out of memory reading '%s'", fn, path);
            }
            buf = nb;
            cap = nc;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return gru__fail(GRU_E_IO, NULL, "%s: error reading '%s'", fn, path);
    }
    *data = buf;
    *size = n;
    return GRU_OK;
}

double gru__io_le_float(const unsigned char *p, size_t es, size_t i) {
    if (es == 4) {
        uint32_t u = gru__io_le32(p + 4 * i);
        float f;
        memcpy(&f, &u, 4);
        return (double)f;
    }
    uint64_t u = gru__io_le64(p + 8 * i);
    double d;
    memcpy(&d, &u, 8);
    return d;
}
