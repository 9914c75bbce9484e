/* .npy and CSV for the gru command (arrays.h). */
#include "arrays.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void cli_array_free(cli_array *a) {
    free(a->data);
    memset(a, 0, sizeof *a);
}

static int efail(char *err, size_t errlen, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* Read a whole file (at most 2^33 bytes). */
static unsigned char *slurp(const char *path, size_t *len, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        efail(err, errlen, "cannot open: %s", strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    unsigned char *b = malloc(cap);
    while (b) {
        if (n == cap) {
            if (cap > ((size_t)1 << 33)) {
                efail(err, errlen, "the file is larger than 8 GiB");
                free(b);
                b = NULL;
                break;
            }
            unsigned char *nb = realloc(b, cap * 2);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
        const size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    if (b && ferror(f)) {
        efail(err, errlen, "read error");
        free(b);
        b = NULL;
    } else if (!b && !err[0]) {
        efail(err, errlen, "out of memory");
    }
    fclose(f);
    *len = n;
    return b;
}

/* ---- .npy ------------------------------------------------------------------------------- */

/* The value text after 'key': in the header dict, or NULL. */
static const char *dict_value(const char *h, size_t n, const char *key) {
    const size_t kl = strlen(key);
    for (size_t i = 0; i + kl + 2 <= n; i++) {
        if ((h[i] == '\'' || h[i] == '"') && strncmp(h + i + 1, key, kl) == 0 &&
            h[i + 1 + kl] == h[i]) {
            size_t j = i + 2 + kl;
            while (j < n && (h[j] == ' ' || h[j] == ':')) j++;
            return j < n ? h + j : NULL;
        }
    }
    return NULL;
}

int cli_npy_parse(const unsigned char *buf, size_t len, cli_array *a, char *err, size_t errlen) {
    memset(a, 0, sizeof *a);
    if (len < 10 || memcmp(buf, "\x93NUMPY", 6) != 0)
        return efail(err, errlen, "not a .npy file (no \\x93NUMPY magic)");
    const unsigned major = buf[6];
    size_t hl, off;
    if (major == 1) {
        hl = (size_t)buf[8] | (size_t)buf[9] << 8;
        off = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12) return efail(err, errlen, "truncated .npy header");
        hl = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
        off = 12;
    } else {
        return efail(err, errlen, ".npy version %u is not supported (1, 2, 3 are)", major);
    }
    if (hl > len - off) return efail(err, errlen, "truncated .npy header (%zu bytes said)", hl);
    if (hl > 65536) return efail(err, errlen, ".npy header of %zu bytes is too long", hl);
    char h[65537];
    memcpy(h, buf + off, hl);
    h[hl] = '\0';
    off += hl;
    const char *d = dict_value(h, hl, "descr"), *fo = dict_value(h, hl, "fortran_order"),
               *sh = dict_value(h, hl, "shape");
    if (!d || !fo || !sh)
        return efail(err, errlen, ".npy header lacks 'descr', 'fortran_order' or 'shape'");
    if (strncmp(fo, "False", 5) != 0)
        return efail(err, errlen, "Fortran-order .npy arrays are not supported (save C order)");
    int kind; /* 0 f4, 1 f8, 2 i4, 3 i8 */
    static const char *const descrs[4] = {"<f4", "<f8", "<i4", "<i8"};
    static const size_t sizes[4] = {4, 8, 4, 8};
    for (kind = 0; kind < 4; kind++)
        if ((d[0] == '\'' || d[0] == '"') && strncmp(d + 1, descrs[kind], 3) == 0 &&
            d[4] == d[0])
            break;
    if (kind == 4) {
        char shown[16];
        snprintf(shown, sizeof shown, "%.10s", d);
        return efail(err, errlen, ".npy dtype %s is not supported (<f4, <f8, <i4, <i8 are)",
                     shown);
    }
    if (*sh != '(') return efail(err, errlen, ".npy 'shape' is not a tuple");
    const char *p = sh + 1;
    size_t count = 1;
    for (;;) {
        while (*p == ' ') p++;
        if (*p == ')') break;
        if (!isdigit((unsigned char)*p)) return efail(err, errlen, ".npy 'shape' is malformed");
        if (a->ndim == CLI_MAX_DIMS)
            return efail(err, errlen, ".npy array has more than %d dims", CLI_MAX_DIMS);
        char *e;
        errno = 0;
        const unsigned long long v = strtoull(p, &e, 10);
        if (errno || v > CLI_MAX_ELEMS) return efail(err, errlen, ".npy dim is too large");
        a->dims[a->ndim++] = (size_t)v;
        if (v && count > CLI_MAX_ELEMS / v) return efail(err, errlen, ".npy array is too large");
        count *= (size_t)v;
        p = e;
        while (*p == ' ') p++;
        if (*p == ',') p++;
        else if (*p != ')') return efail(err, errlen, ".npy 'shape' is malformed");
    }
    const size_t es = sizes[kind];
    if (count > (len - off) / es || count * es != len - off)
        return efail(err, errlen, ".npy data has %zu bytes, shape and dtype need %zu", len - off,
                     count * es);
    a->count = count;
    a->data = malloc((count ? count : 1) * sizeof(double));
    if (!a->data) return efail(err, errlen, "out of memory");
    const unsigned char *q = buf + off;
    for (size_t i = 0; i < count; i++, q += es) {
        uint64_t u = 0;
        for (size_t b = es; b-- > 0;) u = (u << 8) | q[b];
        double v;
        if (kind == 0) {
            const uint32_t u32 = (uint32_t)u;
            float f;
            memcpy(&f, &u32, 4);
            v = (double)f;
        } else if (kind == 1) {
            memcpy(&v, &u, 8);
        } else if (kind == 2) {
            const uint32_t u32 = (uint32_t)u;
            int32_t s;
            memcpy(&s, &u32, 4);
            v = s;
        } else {
            int64_t s;
            memcpy(&s, &u, 8);
            v = (double)s;
        }
        a->data[i] = v;
    }
    return 0;
}

int cli_npy_read(const char *path, cli_array *a, char *err, size_t errlen) {
    size_t len;
    err[0] = '\0';
    unsigned char *b = slurp(path, &len, err, errlen);
    if (!b) return -1;
    const int r = cli_npy_parse(b, len, a, err, errlen);
    free(b);
    return r;
}

int cli_npy_write(FILE *f, size_t ndim, const size_t *dims, const void *data, int f32) {
    char h[512];
    int n = snprintf(h, sizeof h, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                     f32 ? "<f4" : "<f8");
    size_t count = 1;
    for (size_t j = 0; j < ndim; j++) {
        n += snprintf(h + n, sizeof h - (size_t)n, "%zu%s", dims[j],
                      ndim == 1 ? "," : (j + 1 < ndim ? ", " : ""));
        count *= dims[j];
    }
    n += snprintf(h + n, sizeof h - (size_t)n, "), }");
    /* pad with spaces so that magic + len + header + '\n' is a multiple of 64 */
    size_t total = 10 + (size_t)n + 1;
    while (total % 64) h[n++] = ' ', total++;
    h[n++] = '\n';
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(n & 0xff),
                             (unsigned char)(n >> 8)};
    if (fwrite(pre, 1, 10, f) != 10 || fwrite(h, 1, (size_t)n, f) != (size_t)n) return -1;
    const size_t es = f32 ? 4 : 8;
    for (size_t i = 0; i < count; i++) {
        uint64_t u = 0;
        if (f32) {
            uint32_t u32;
            memcpy(&u32, (const float *)data + i, 4);
            u = u32;
        } else {
            memcpy(&u, (const double *)data + i, 8);
        }
        unsigned char b[8];
        for (size_t k = 0; k < es; k++) b[k] = (unsigned char)(u >> (8 * k));
        if (fwrite(b, 1, es, f) != es) return -1;
    }
    return 0;
}

/* ---- CSV -------------------------------------------------------------------------------- */

/* Parse the numbers of one line into vals (growing). Returns the count, or
 * -1 if a cell is not a number (*bad_col set). */
static long parse_row(char *line, double **vals, size_t *cap, size_t base, size_t *bad_col) {
    size_t n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t') p++;
        char *e;
        errno = 0;
        const double v = strtod(p, &e);
        if (e == p) {
            *bad_col = n + 1;
            return -1;
        }
        while (*e == ' ' || *e == '\t' || *e == '\r' || *e == '\n') e++;
        if (*e != ',' && *e != '\0') {
            *bad_col = n + 1;
            return -1;
        }
        if (base + n + 1 > *cap) {
            const size_t nc = *cap ? *cap * 2 : 1024;
            double *nv = realloc(*vals, nc * sizeof(double));
            if (!nv) {
                *bad_col = 0;
                return -1;
            }
            *vals = nv;
            *cap = nc;
        }
        (*vals)[base + n++] = v;
        if (*e == '\0') break;
        p = e + 1;
    }
    return (long)n;
}

int cli_csv_read(const char *path, cli_array *a, char *err, size_t errlen) {
    memset(a, 0, sizeof *a);
    err[0] = '\0';
    size_t len;
    unsigned char *b = slurp(path, &len, err, errlen);
    if (!b) return -1;
    if (memchr(b, '\0', len)) {
        free(b);
        return efail(err, errlen, "not a text file (it contains NUL bytes)");
    }
    char *text = realloc(b, len + 1);
    if (!text) {
        free(b);
        return efail(err, errlen, "out of memory");
    }
    text[len] = '\0';
    double *vals = NULL;
    size_t cap = 0, rows = 0, cols = 0, lineno = 0, total = 0;
    int seen_row = 0, rc = 0;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        lineno++;
        char *p = line;
        while (*p == ' ' || *p == '\t' || *p == '\r') p++;
        if (*p && *p != '#') {
            size_t bad = 0;
            const long n = parse_row(p, &vals, &cap, total, &bad);
            if (n < 0 && bad == 0) {
                rc = efail(err, errlen, "out of memory");
                break;
            }
            if (n < 0 && !seen_row) {
                /* a header row */
            } else if (n < 0) {
                rc = efail(err, errlen, "line %zu, column %zu: not a number", lineno, bad);
                break;
            } else if (rows > 0 && (size_t)n != cols) {
                rc = efail(err, errlen, "line %zu has %ld columns, the first row has %zu", lineno,
                           n, cols);
                break;
            } else {
                cols = (size_t)n;
                rows++;
                total += (size_t)n;
            }
            seen_row = 1;
        }
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    if (!rc && rows == 0) rc = efail(err, errlen, "no numeric rows");
    if (rc) {
        free(vals);
        return rc;
    }
    a->ndim = 2;
    a->dims[0] = rows;
    a->dims[1] = cols;
    a->count = total;
    a->data = vals;
    return 0;
}

int cli_csv_write(FILE *f, size_t ndim, const size_t *dims, const void *data, int f32) {
    size_t count = 1;
    for (size_t j = 0; j < ndim; j++) count *= dims[j];
    const size_t cols = ndim ? dims[ndim - 1] : 1;
    for (size_t i = 0; i < count; i++) {
        const double v = f32 ? (double)((const float *)data)[i] : ((const double *)data)[i];
        if (fprintf(f, f32 ? "%.9g%s" : "%.17g%s", v, (cols == 0 || (i + 1) % cols) ? "," : "\n") <
            0)
            return -1;
    }
    return 0;
}
