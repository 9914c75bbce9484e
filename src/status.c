/* Status table, messages and the per-thread last-error buffer. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

#if defined(GRU_NO_TLS)
#define GRU__TLS /* single-threaded targets: one buffer */
#else
#define GRU__TLS _Thread_local
#endif

static GRU__TLS char gru__thread_msg[GRU_ERRMSG_MAX];

const char *gru_version(void) { return "0.1.0"; }

const char *gru_status_str(gru_status s) {
    switch (s) {
#define GRU__STATUS_STR(name, code, text) \
    case GRU_##name:                      \
        return text;
        GRU_STATUS_MAP(GRU__STATUS_STR)
#undef GRU__STATUS_STR
    }
    return "unknown status";
}

const char *gru_status_name(gru_status s) {
    switch (s) {
#define GRU__STATUS_NAME(name, code, text) \
    case GRU_##name:                       \
        return "GRU_" #name;
        GRU_STATUS_MAP(GRU__STATUS_NAME)
#undef GRU__STATUS_NAME
    }
    return "GRU_UNKNOWN";
}

const char *gru_last_error(void) { return gru__thread_msg; }

gru_status gru__fail(gru_status s, char *handle_msg, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(gru__thread_msg, sizeof gru__thread_msg, fmt, ap);
    va_end(ap);
    if (handle_msg) memcpy(handle_msg, gru__thread_msg, GRU_ERRMSG_MAX);
    return s;
}

gru_status gru__fail_prefixed(gru_status s, char *handle_msg, const char *prefix) {
    char inner[GRU_ERRMSG_MAX];
    memcpy(inner, gru__thread_msg, sizeof inner);
    return gru__fail(s, handle_msg, "%s: %s", prefix, inner);
}

gru_status gru__size_args(char *msg, const size_t *bytes, int64_t batch, int64_t steps,
                          const char *fn) {
    if (!bytes) return gru__fail(GRU_E_NULL, msg, "%s: argument 'bytes' is NULL", fn);
    if (batch <= 0 || steps <= 0)
        return gru__fail(GRU_E_ARG, msg, "%s: 'batch' and 'steps' must be > 0, got %lld and %lld",
                         fn, (long long)batch, (long long)steps);
    return GRU_OK;
}

gru_status gru__overflow(char *msg, int64_t batch, int64_t steps, const char *fn) {
    return gru__fail(GRU_E_OVERFLOW, msg, "%s: batch %lld x steps %lld overflows size_t", fn,
                     (long long)batch, (long long)steps);
}

gru_status gru__seq_sizes_check(char *msg, const gru_seq *in, const char *fn) {
    if (in->batch <= 0 || in->steps <= 0)
        return gru__fail(GRU_E_SHAPE, msg, "%s: in->batch and in->steps must be > 0, got %lld and %lld",
                         fn, (long long)in->batch, (long long)in->steps);
    return GRU_OK;
}

gru_status gru__aligned64_check(char *msg, const void *buf, const char *name, const char *fn) {
    if (((uintptr_t)buf % 64) != 0)
        return gru__fail(GRU_E_ARG, msg, "%s: argument '%s' must be aligned to 64 bytes", fn, name);
    return GRU_OK;
}

gru_status gru__bytes_check(char *msg, const char *name, size_t have, size_t need,
                            const char *size_fn, const char *fn) {
    if (have < need)
        return gru__fail(GRU_E_SHAPE, msg, "%s: %s has %zu bytes, needs %zu (%s)", fn, name, have,
                         need, size_fn);
    return GRU_OK;
}

gru_status gru__backward_args(char *msg, const gru_seq *in, const void *tape,
                              const void *d_output, const char *fn) {
    if (!in) return gru__fail(GRU_E_NULL, msg, "%s: argument 'in' is NULL", fn);
    if (!in->x) return gru__fail(GRU_E_NULL, msg, "%s: argument 'in->x' is NULL", fn);
    if (!tape) return gru__fail(GRU_E_NULL, msg, "%s: argument 'tape' is NULL", fn);
    if (!d_output) return gru__fail(GRU_E_NULL, msg, "%s: argument 'd_output' is NULL", fn);
    return GRU_OK;
}

gru_status gru__tape_check(char *msg, uint64_t magic, uint64_t want_magic, int64_t batch,
                           int64_t steps, const gru_seq *in, const char *forward_fn,
                           const char *fn) {
    if (magic != want_magic)
        return gru__fail(GRU_E_STATE, msg, "%s: argument 'tape' holds no recorded forward call "
                                           "(run %s first)", fn, forward_fn);
    if (batch != in->batch || steps != in->steps)
        return gru__fail(GRU_E_SHAPE, msg, "%s: the tape recorded batch %lld x steps %lld, 'in' has "
                                           "%lld x %lld", fn, (long long)batch, (long long)steps,
                         (long long)in->batch, (long long)in->steps);
    if (in->mask && in->lengths)
        return gru__fail(GRU_E_ARG, msg, "%s: give in->mask or in->lengths, not both", fn);
    return GRU_OK;
}

size_t gru_dtype_size(gru_dtype dtype) {
    switch (dtype) {
    case GRU_F32: return sizeof(float);
    case GRU_F64: return sizeof(double);
    }
    return 0;
}

size_t gru__shape_count(size_t ndim, const size_t *shape, int *ok) {
    size_t n = 1;
    *ok = 1;
    for (size_t i = 0; i < ndim; i++) {
        if (!gru__mul_size(n, shape[i], &n)) {
            *ok = 0;
            return 0;
        }
    }
    return n;
}

gru_status gru__tensor_args(const char *fn, gru_dtype dtype, size_t ndim, const size_t *shape,
                            const void *w, size_t *count) {
    if (!gru__dtype_ok(dtype))
        return gru__fail(GRU_E_DTYPE, NULL,
                         "%s: argument `dtype` must be GRU_F32 (1) or GRU_F64 (2), got %d", fn,
                         (int)dtype);
    if (ndim > 0 && !shape)
        return gru__fail(GRU_E_NULL, NULL,
                         "%s: argument `shape` must not be NULL when ndim > 0, got NULL with "
                         "ndim = %zu",
                         fn, ndim);
    int ok;
    const size_t n = gru__shape_count(ndim, shape, &ok);
    if (!ok)
        return gru__fail(GRU_E_OVERFLOW, NULL,
                         "%s: argument `shape` element count must fit in size_t, got an "
                         "overflowing product of %zu dims",
                         fn, ndim);
    if (n > SIZE_MAX / sizeof(double))
        return gru__fail(GRU_E_OVERFLOW, NULL,
                         "%s: argument `shape` byte size must fit in size_t, got %zu elements", fn,
                         n);
    if (n > 0 && !w)
        return gru__fail(GRU_E_NULL, NULL,
                         "%s: argument `w` must not be NULL for %zu elements, got NULL", fn, n);
    *count = n;
    return GRU_OK;
}
