/* Internal declarations shared by the core files. Not installed. */
#ifndef GRU_INTERNAL_H
#define GRU_INTERNAL_H

#include "gru.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define GRU_ERRMSG_MAX 256

#if defined(__GNUC__)
#define GRU__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define GRU__PRINTF(a, b)
#endif

/* Record a failure: formats the message into the calling thread's buffer and,
 * when handle_msg is not NULL, into that handle's buffer (GRU_ERRMSG_MAX bytes).
 * Returns s so that callers can write `return gru__fail(...)`. */
gru_status gru__fail(gru_status s, char *handle_msg, const char *fmt, ...) GRU__PRINTF(3, 4);

/* Re-raise the thread's last message as "<prefix>: <message>". */
gru_status gru__fail_prefixed(gru_status s, char *handle_msg, const char *prefix);

/* Overflow-checked size arithmetic: return 0 on overflow, else 1. */
static inline int gru__mul_size(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > SIZE_MAX / a) return 0;
    *out = a * b;
    return 1;
}
static inline int gru__add_size(size_t a, size_t b, size_t *out) {
    if (b > SIZE_MAX - a) return 0;
    *out = a + b;
    return 1;
}
/* Round n up to a multiple of 64 (no overflow check beyond SIZE_MAX-63). */
static inline size_t gru__align64(size_t n) { return (n + 63u) & ~(size_t)63u; }

/* gru_loss over `rows` rows that are one shard of a batch of denom_rows
 * rows: d_pred is the gradient of (these rows' loss sum / denom_rows for
 * sum_over_batch_size), element for element what the whole batch's call
 * writes; *raw_sum the rows' unreduced loss sum. No sample weights. */
gru_status gru__loss_shard(const gru_loss_config *cfg, gru_dtype dtype, size_t rows, size_t n,
                           const void *y_true, const void *y_pred, size_t denom_rows,
                           double *raw_sum, void *d_pred);

/* Element count of a shape, 0 on overflow (and sets *ok = 0). */
size_t gru__shape_count(size_t ndim, const size_t *shape, int *ok);

/* Load/store element i of a dtype buffer as double. */
static inline double gru__ld(gru_dtype dt, const void *p, size_t i) {
    return dt == GRU_F32 ? (double)((const float *)p)[i] : ((const double *)p)[i];
}
static inline void gru__st(gru_dtype dt, void *p, size_t i, double v) {
    if (dt == GRU_F32) ((float *)p)[i] = (float)v;
    else ((double *)p)[i] = v;
}

/* Common checks of a (dtype, ndim, shape, w) tensor argument for function fn:
 * a valid dtype, shape non-NULL when ndim > 0, an element count (and its
 * byte size in double) that fits in size_t, w non-NULL when there are
 * elements. *count receives the element count. */
gru_status gru__tensor_args(const char *fn, gru_dtype dtype, size_t ndim, const size_t *shape,
                            const void *w, size_t *count);

/* Argument checks shared by the layer, Bidirectional and stack calls, for
 * function fn; msg is the handle's message buffer. Each returns GRU_OK or
 * the failure it recorded. */
/* A *_size query: 'bytes' non-NULL, then batch and steps > 0 (GRU_E_ARG). */
gru_status gru__size_args(char *msg, const size_t *bytes, int64_t batch, int64_t steps,
                          const char *fn);
/* GRU_E_OVERFLOW: "batch x steps overflows size_t". */
gru_status gru__overflow(char *msg, int64_t batch, int64_t steps, const char *fn);
/* in->batch and in->steps > 0 (GRU_E_SHAPE). */
gru_status gru__seq_sizes_check(char *msg, const gru_seq *in, const char *fn);
/* Caller buffer `name` (tape, workspace): 64-byte aligned; and of at least
 * need bytes (size_fn: the query that tells the size). */
gru_status gru__aligned64_check(char *msg, const void *buf, const char *name, const char *fn);
gru_status gru__bytes_check(char *msg, const char *name, size_t have, size_t need,
                            const char *size_fn, const char *fn);
/* A backward call's first arguments: in, in->x, tape and d_output non-NULL. */
gru_status gru__backward_args(char *msg, const gru_seq *in, const void *tape,
                              const void *d_output, const char *fn);
/* A backward call's tape header (magic, batch, steps) against the one
 * forward_fn writes and against in; then in->mask and in->lengths not both. */
gru_status gru__tape_check(char *msg, uint64_t magic, uint64_t want_magic, int64_t batch,
                           int64_t steps, const gru_seq *in, const char *forward_fn,
                           const char *fn);

/* Validate a dtype value; 1 if valid. */
static inline int gru__dtype_ok(gru_dtype dt) { return dt == GRU_F32 || dt == GRU_F64; }

/* Validates an activation struct (kind in range, custom has fn). */
gru_status gru__activation_check(const gru_activation *act, const char *argname, char *msg);
/* 1 if act is a built-in element-wise activation (not softmax,
 * log_softmax or a custom callback): it may be applied to any slice of a
 * row, as the fused step does panel by panel. */
int gru__act_elementwise(const gru_activation *act);
/* Validators for the other option structs, with the argument name for messages. */
gru_status gru__initializer_check(const gru_initializer *init, const char *argname, char *msg);
gru_status gru__regularizer_check(const gru_regularizer *reg, const char *argname, char *msg);
gru_status gru__constraint_check(const gru_constraint *c, const char *argname, char *msg);

/* Row-wise activation without argument checks, on a row of n values.
 * Used by the step kernels. */
void gru__act_row_f32(const gru_activation *act, size_t n, const float *x, float *y);
void gru__act_row_f64(const gru_activation *act, size_t n, const double *x, double *y);

/* gru_dense_forward's rows (no checks, no pre-activation) with acc, U
 * doubles of the caller's scratch instead of the handle's: threads sharing
 * one Dense handle each pass their own (the model's pool). */
void gru__dense_forward_rows(const gru_dense *d, gru_dtype dtype, size_t rows, const void *x,
                             void *y, double *acc);

#endif
