/* tf_keras.layers.Dense: config, create/free, weights, forward, backward,
 * regularizer penalties and constraints. The arithmetic is in dense_impl.h,
 * included once per element type. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "kernels/kernels.h"

#define GRU__DENSE_MAGIC 0x67727564656e7331ull /* "grudens1" */

struct gru_dense {
    uint64_t magic;
    gru_dense_config cfg;
    size_t F, U, elem;
    void *kernel;   /* (F, U) */
    void *bias;     /* (U) or NULL */
    double *acc;    /* U doubles: vecmat accumulators */
    double *gacc;   /* F*U + U doubles: gradient sums over rows */
    void *row;      /* U elements: one row of d(pre-activation) */
    const gru_kernels *kern;
    char msg[GRU_ERRMSG_MAX];
};

#define T float
#define SUF(n) n##_f32
#define DT GRU_F32
#define VECMAT d->kern->vecmat_f32
#define ACT_ROW gru__act_row_f32
#include "dense_impl.h"
#undef T
#undef SUF
#undef DT
#undef VECMAT
#undef ACT_ROW

#define T double
#define SUF(n) n##_f64
#define DT GRU_F64
#define VECMAT d->kern->vecmat_f64
#define ACT_ROW gru__act_row_f64
#include "dense_impl.h"
#undef T
#undef SUF
#undef DT
#undef VECMAT
#undef ACT_ROW

static const char *dt_name(gru_dtype dt) {
    return dt == GRU_F32 ? "GRU_F32" : dt == GRU_F64 ? "GRU_F64" : "invalid";
}

gru_status gru_dense_config_init(gru_dense_config *cfg, int64_t units, int64_t input_dim) {
    if (!cfg) return gru__fail(GRU_E_NULL, NULL, "gru_dense_config_init: argument 'cfg' is NULL");
    memset(cfg, 0, sizeof *cfg);
    cfg->units = units;
    cfg->input_dim = input_dim;
    cfg->dtype = GRU_F32;
    gru_activation_from_name("linear", &cfg->activation);
    cfg->use_bias = true;
    gru_initializer_from_name("glorot_uniform", &cfg->kernel_initializer);
    gru_initializer_from_name("zeros", &cfg->bias_initializer);
    if (units <= 0)
        return gru__fail(GRU_E_ARG, NULL,
                         "gru_dense_config_init: argument 'units' must be a positive integer, "
                         "got %lld", (long long)units);
    if (input_dim <= 0)
        return gru__fail(GRU_E_ARG, NULL,
                         "gru_dense_config_init: argument 'input_dim' must be a positive "
                         "integer, got %lld", (long long)input_dim);
    return GRU_OK;
}

static gru_status check_cfg(const gru_dense_config *c, const char *fn) {
    if (c->units <= 0)
        return gru__fail(GRU_E_ARG, NULL, "%s: cfg.units must be a positive integer, got %lld",
                         fn, (long long)c->units);
    if (c->input_dim <= 0)
        return gru__fail(GRU_E_ARG, NULL,
                         "%s: cfg.input_dim must be a positive integer, got %lld", fn,
                         (long long)c->input_dim);
    if (!gru__dtype_ok(c->dtype))
        return gru__fail(GRU_E_DTYPE, NULL, "%s: cfg.dtype must be GRU_F32 or GRU_F64, got %d",
                         fn, (int)c->dtype);
    if ((uint64_t)c->units > (1u << 24) || (uint64_t)c->input_dim > (1u << 24))
        return gru__fail(GRU_E_OVERFLOW, NULL,
                         "%s: cfg.units and cfg.input_dim must be <= 2^24, got %lld and %lld",
                         fn, (long long)c->units, (long long)c->input_dim);
    char m[GRU_ERRMSG_MAX];
    gru_status s;
    if ((s = gru__activation_check(&c->activation, "cfg.activation", m))) return s;
    if ((s = gru__initializer_check(&c->kernel_initializer, "cfg.kernel_initializer", m)))
        return s;
    if ((s = gru__initializer_check(&c->bias_initializer, "cfg.bias_initializer", m))) return s;
    if ((s = gru__regularizer_check(&c->kernel_regularizer, "cfg.kernel_regularizer", m)))
        return s;
    if ((s = gru__regularizer_check(&c->bias_regularizer, "cfg.bias_regularizer", m))) return s;
    if ((s = gru__constraint_check(&c->kernel_constraint, "cfg.kernel_constraint", m))) return s;
    if ((s = gru__constraint_check(&c->bias_constraint, "cfg.bias_constraint", m))) return s;
    if ((c->allocator.alloc == NULL) != (c->allocator.free == NULL))
        return gru__fail(GRU_E_ARG, NULL,
                         "%s: cfg.allocator must set both alloc and free, or neither", fn);
    const gru_init_kind bk = c->bias_initializer.kind;
    if (c->use_bias && (bk == GRU_INIT_IDENTITY || bk == GRU_INIT_ORTHOGONAL))
        return gru__fail(GRU_E_SHAPE, NULL,
                         "%s: cfg.bias_initializer %s needs a weight of rank 2, but Dense's bias "
                         "has shape (units,) (rank 1)", fn,
                         bk == GRU_INIT_IDENTITY ? "identity" : "orthogonal");
    return GRU_OK;
}

gru_status gru_dense_create(const gru_dense_config *cfg, gru_dense **out) {
    static const char fn[] = "gru_dense_create";
    if (!out) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'out' is NULL", fn);
    *out = NULL;
    if (!cfg) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'cfg' is NULL", fn);
    gru_status s = check_cfg(cfg, fn);
    if (s) return s;
    const size_t F = (size_t)cfg->input_dim, U = (size_t)cfg->units;
    const size_t elem = gru_dtype_size(cfg->dtype);
    const size_t o_kernel = gru__align64(sizeof(gru_dense));
    const size_t o_bias = o_kernel + gru__align64(F * U * elem);
    const size_t o_acc = o_bias + gru__align64(U * elem);
    const size_t o_gacc = o_acc + gru__align64(U * sizeof(double));
    const size_t o_row = o_gacc + gru__align64((F * U + U) * sizeof(double));
    const size_t total = o_row + gru__align64(U * elem);
    char *mem = cfg->allocator.alloc ? cfg->allocator.alloc(total, cfg->allocator.user)
                                     : malloc(total);
    if (!mem) return gru__fail(GRU_E_NOMEM, NULL, "%s: allocating %zu bytes failed", fn, total);
    memset(mem, 0, total);
    gru_dense *d = (gru_dense *)mem;
    d->cfg = *cfg;
    d->F = F;
    d->U = U;
    d->elem = elem;
    d->kernel = mem + o_kernel;
    d->bias = cfg->use_bias ? mem + o_bias : NULL;
    d->acc = (double *)(void *)(mem + o_acc);
    d->gacc = (double *)(void *)(mem + o_gacc);
    d->row = mem + o_row;
    d->kern = gru__kernels_select(NULL);
    d->magic = GRU__DENSE_MAGIC;
    /* Keras builds kernel then bias from one seeded stream. */
    gru_rng rng;
    gru_rng_seed(&rng, cfg->seed);
    size_t ks[2] = {F, U};
    s = gru_initializer_fill(&cfg->kernel_initializer, &rng, cfg->dtype, 2, ks, d->kernel);
    if (s) {
        gru__fail_prefixed(s, NULL, "gru_dense_create: cfg.kernel_initializer");
    } else if (d->bias) {
        s = gru_initializer_fill(&cfg->bias_initializer, &rng, cfg->dtype, 1, ks + 1, d->bias);
        if (s) gru__fail_prefixed(s, NULL, "gru_dense_create: cfg.bias_initializer");
    }
    if (s) {
        d->magic = 0;
        if (cfg->allocator.free) cfg->allocator.free(mem, cfg->allocator.user);
        else free(mem);
        return s;
    }
    *out = d;
    return GRU_OK;
}

void gru_dense_free(gru_dense *d) {
    if (!d || d->magic != GRU__DENSE_MAGIC) return;
    gru_allocator a = d->cfg.allocator;
    d->magic = 0;
    if (a.free) a.free(d, a.user);
    else free(d);
}

static gru_status check_d(const gru_dense *d, const char *fn) {
    if (!d) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'd' is NULL", fn);
    if (d->magic != GRU__DENSE_MAGIC)
        return gru__fail(GRU_E_STATE, NULL,
                         "%s: argument 'd' is not a Dense layer made by gru_dense_create (or "
                         "it was freed)", fn);
    return GRU_OK;
}

static gru_status check_dtype(gru_dense *d, gru_dtype dtype, const char *fn) {
    if (dtype != d->cfg.dtype)
        return gru__fail(GRU_E_DTYPE, d->msg, "%s: argument 'dtype' must be the layer's dtype %s, "
                         "got %s (%d)", fn, dt_name(d->cfg.dtype), dt_name(dtype), (int)dtype);
    return GRU_OK;
}

const char *gru_dense_last_error(const gru_dense *d) {
    if (!d || d->magic != GRU__DENSE_MAGIC) return "argument 'd' is not a Dense layer";
    return d->msg;
}

gru_status gru_dense_get_config(const gru_dense *d, gru_dense_config *cfg) {
    gru_status s = check_d(d, "gru_dense_get_config");
    if (s) return s;
    if (!cfg) return gru__fail(GRU_E_NULL, NULL, "gru_dense_get_config: argument 'cfg' is NULL");
    *cfg = d->cfg;
    return GRU_OK;
}

static void convert(gru_dtype to, void *dst, gru_dtype from, const void *src, size_t n) {
    for (size_t i = 0; i < n; i++) gru__st(to, dst, i, gru__ld(from, src, i));
}

gru_status gru_dense_get_weights(const gru_dense *d, gru_dtype dtype, void *kernel, void *bias) {
    static const char fn[] = "gru_dense_get_weights";
    gru_status s = check_d(d, fn);
    if (s) return s;
    char *msg = ((gru_dense *)d)->msg;
    if (!gru__dtype_ok(dtype))
        return gru__fail(GRU_E_DTYPE, msg, "%s: argument 'dtype' must be GRU_F32 or GRU_F64, got %d",
                         fn, (int)dtype);
    if (!kernel) return gru__fail(GRU_E_NULL, msg, "%s: argument 'kernel' (F, U) is NULL", fn);
    if (d->bias && !bias)
        return gru__fail(GRU_E_NULL, msg, "%s: argument 'bias' (U) is NULL but use_bias is true", fn);
    convert(dtype, kernel, d->cfg.dtype, d->kernel, d->F * d->U);
    if (d->bias) convert(dtype, bias, d->cfg.dtype, d->bias, d->U);
    return GRU_OK;
}

gru_status gru_dense_set_weights(gru_dense *d, gru_dtype dtype, const void *kernel,
                                 const void *bias) {
    static const char fn[] = "gru_dense_set_weights";
    gru_status s = check_d(d, fn);
    if (s) return s;
    if (!gru__dtype_ok(dtype))
        return gru__fail(GRU_E_DTYPE, d->msg, "%s: argument 'dtype' must be GRU_F32 or GRU_F64, "
                         "got %d", fn, (int)dtype);
    if (!kernel) return gru__fail(GRU_E_NULL, d->msg, "%s: argument 'kernel' (F, U) is NULL", fn);
    if (d->bias && !bias)
        return gru__fail(GRU_E_NULL, d->msg,
                         "%s: argument 'bias' (U) is NULL but use_bias is true", fn);
    convert(d->cfg.dtype, d->kernel, dtype, kernel, d->F * d->U);
    if (d->bias) convert(d->cfg.dtype, d->bias, dtype, bias, d->U);
    return GRU_OK;
}

gru_status gru_dense_params(gru_dense *d, void **kernel, void **bias) {
    gru_status s = check_d(d, "gru_dense_params");
    if (s) return s;
    if (kernel) *kernel = d->kernel;
    if (bias) *bias = d->bias;
    return GRU_OK;
}

static gru_status check_grads(gru_dense *d, const gru_dense_grads *g, const char *fn) {
    if (g && !g->kernel)
        return gru__fail(GRU_E_NULL, d->msg, "%s: argument 'grads->kernel' (F, U) is NULL", fn);
    if (g && d->bias && !g->bias)
        return gru__fail(GRU_E_NULL, d->msg,
                         "%s: argument 'grads->bias' (U) is NULL but use_bias is true", fn);
    return GRU_OK;
}

gru_status gru_dense_grads_zero(const gru_dense *d, const gru_dense_grads *grads) {
    static const char fn[] = "gru_dense_grads_zero";
    gru_status s = check_d(d, fn);
    if (s) return s;
    if (!grads) return gru__fail(GRU_E_NULL, ((gru_dense *)d)->msg, "%s: argument 'grads' is NULL", fn);
    if ((s = check_grads((gru_dense *)d, grads, fn))) return s;
    memset(grads->kernel, 0, d->F * d->U * d->elem);
    if (d->bias) memset(grads->bias, 0, d->U * d->elem);
    return GRU_OK;
}

static gru_status check_rows(gru_dense *d, size_t rows, const char *fn) {
    if (rows == 0)
        return gru__fail(GRU_E_SHAPE, d->msg, "%s: argument 'rows' must be > 0, got 0", fn);
    if (rows > SIZE_MAX / 8 / (d->F + d->U))
        return gru__fail(GRU_E_OVERFLOW, d->msg, "%s: argument 'rows' (%zu) times the row size "
                         "overflows size_t", fn, rows);
    return GRU_OK;
}

gru_status gru_dense_forward(gru_dense *d, gru_dtype dtype, size_t rows, const void *x, void *y,
                             void *pre) {
    static const char fn[] = "gru_dense_forward";
    gru_status s = check_d(d, fn);
    if (s) return s;
    if ((s = check_dtype(d, dtype, fn)) || (s = check_rows(d, rows, fn))) return s;
    if (!x) return gru__fail(GRU_E_NULL, d->msg, "%s: argument 'x' (rows, F) is NULL", fn);
    if (!y) return gru__fail(GRU_E_NULL, d->msg, "%s: argument 'y' (rows, U) is NULL", fn);
    if (dtype == GRU_F32) dense_fwd_f32(d, rows, x, y, pre, d->acc);
    else dense_fwd_f64(d, rows, x, y, pre, d->acc);
    return GRU_OK;
}

void gru__dense_forward_rows(const gru_dense *d, gru_dtype dtype, size_t rows, const void *x,
                             void *y, double *acc) {
    if (dtype == GRU_F32) dense_fwd_f32(d, rows, x, y, NULL, acc);
    else dense_fwd_f64(d, rows, x, y, NULL, acc);
}

gru_status gru_dense_backward(gru_dense *d, gru_dtype dtype, size_t rows, const void *x,
                              const void *pre, const void *y, const void *dy, void *dx,
                              const gru_dense_grads *grads) {
    static const char fn[] = "gru_dense_backward";
    gru_status s = check_d(d, fn);
    if (s) return s;
    if ((s = check_dtype(d, dtype, fn)) || (s = check_rows(d, rows, fn))) return s;
    if (!x) return gru__fail(GRU_E_NULL, d->msg, "%s: argument 'x' (rows, F) is NULL", fn);
    if (!dy) return gru__fail(GRU_E_NULL, d->msg, "%s: argument 'dy' (rows, U) is NULL", fn);
    if (d->cfg.activation.kind != GRU_ACT_LINEAR && (!pre || !y))
        return gru__fail(GRU_E_NULL, d->msg, "%s: arguments 'pre' and 'y' (rows, U) of the "
                         "forward call are needed for activation %s, got NULL", fn,
                         gru_activation_name(&d->cfg.activation));
    if ((s = check_grads(d, grads, fn))) return s;
    void *gk = grads ? grads->kernel : NULL, *gb = grads ? grads->bias : NULL;
    if (!d->bias) gb = NULL;
    if (dtype == GRU_F32) s = dense_bwd_f32(d, rows, x, pre, y, dy, dx, gk, gb);
    else s = dense_bwd_f64(d, rows, x, pre, y, dy, dx, gk, gb);
    if (s) return gru__fail_prefixed(s, d->msg, fn);
    return GRU_OK;
}

gru_status gru_dense_losses(const gru_dense *d, double out[2], double *total) {
    gru_status s = check_d(d, "gru_dense_losses");
    if (s) return s;
    size_t ks[2] = {d->F, d->U};
    double p[2] = {0.0, 0.0};
    s = gru_regularizer_penalty(&d->cfg.kernel_regularizer, d->cfg.dtype, 2, ks, d->kernel, &p[0]);
    if (!s && d->bias)
        s = gru_regularizer_penalty(&d->cfg.bias_regularizer, d->cfg.dtype, 1, ks + 1, d->bias,
                                    &p[1]);
    if (s) return gru__fail_prefixed(s, ((gru_dense *)d)->msg, "gru_dense_losses");
    if (out) out[0] = p[0], out[1] = p[1];
    if (total) *total = p[0] + p[1];
    return GRU_OK;
}

gru_status gru_dense_regularizer_grads(const gru_dense *d, const gru_dense_grads *grads) {
    static const char fn[] = "gru_dense_regularizer_grads";
    gru_status s = check_d(d, fn);
    if (s) return s;
    if (!grads) return gru__fail(GRU_E_NULL, ((gru_dense *)d)->msg, "%s: argument 'grads' is NULL", fn);
    if ((s = check_grads((gru_dense *)d, grads, fn))) return s;
    size_t ks[2] = {d->F, d->U};
    s = gru_regularizer_grad(&d->cfg.kernel_regularizer, d->cfg.dtype, 2, ks, d->kernel,
                             grads->kernel);
    if (!s && d->bias)
        s = gru_regularizer_grad(&d->cfg.bias_regularizer, d->cfg.dtype, 1, ks + 1, d->bias,
                                 grads->bias);
    if (s) return gru__fail_prefixed(s, ((gru_dense *)d)->msg, fn);
    return GRU_OK;
}

gru_status gru_dense_apply_constraints(gru_dense *d) {
    gru_status s = check_d(d, "gru_dense_apply_constraints");
    if (s) return s;
    size_t ks[2] = {d->F, d->U};
    s = gru_constraint_apply(&d->cfg.kernel_constraint, d->cfg.dtype, 2, ks, d->kernel);
    if (!s && d->bias)
        s = gru_constraint_apply(&d->cfg.bias_constraint, d->cfg.dtype, 1, ks + 1, d->bias);
    if (s) return gru__fail_prefixed(s, d->msg, "gru_dense_apply_constraints");
    return GRU_OK;
}
