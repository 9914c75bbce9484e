/* Regularizers: tf-keras 2.21 regularizers.get names, penalties and their
 * gradients (what tf.GradientTape gives for the penalty).
 *
 * Keras semantics reproduced here:
 * - Factors are stored cast to floatx (float32) by Keras, so the penalty uses
 *   (float)factor for float32 *and* float64 weights.
 * - L1L2: 0 + (l1 * sum|w| if l1 != 0) + (2*l2 * l2_loss(w) if l2 != 0),
 *   l2_loss = sum(w^2)/2. A zero factor skips its term (so 0 * inf never
 *   appears). Gradient: l1*sign(w) (sign(0) = 0) + 2*l2*w.
 * - OrthogonalRegularizer: rank 2 only. Rows (or columns) are
 *   l2-normalized as tf.math.l2_normalize does (x * rsqrt(max(sum x^2,
 *   1e-12)), the 1e-12 taken in the weight's dtype), P = N N^T, and
 *   penalty = factor * 0.5 * sum_{i != k} |P_ik| / (n (n - 1) / 2); n <= 1
 *   divides by zero (0/0 = NaN, as TF returns).
 * All sums are accumulated in double; nothing here allocates. */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- names ---------------------------------------------------------------- */

gru_status gru_regularizer_from_name(const char *name, gru_regularizer *out) {
    if (!out)
        return gru__fail(GRU_E_NULL, NULL,
                         "gru_regularizer_from_name: argument `out` must not be NULL");
    gru_regularizer r;
    memset(&r, 0, sizeof r);
    r.kind = GRU_REG_NONE;
    r.mode = GRU_ORTH_ROWS;
    if (name == NULL || name[0] == '\0' || strcmp(name, "Regularizer") == 0) {
        /* None, and the base class (penalty 0.0). */
    } else if (strcmp(name, "l1") == 0 || strcmp(name, "L1") == 0) {
        r.kind = GRU_REG_L1L2;
        r.l1 = 0.01;
    } else if (strcmp(name, "l2") == 0 || strcmp(name, "L2") == 0) {
        r.kind = GRU_REG_L1L2;
        r.l2 = 0.01;
    } else if (strcmp(name, "l1_l2") == 0) {
        /* the string "l1_l2" is special-cased to l1_l2() defaults */
        r.kind = GRU_REG_L1L2;
        r.l1 = 0.01;
        r.l2 = 0.01;
    } else if (strcmp(name, "L1L2") == 0) {
        /* the class L1L2() defaults to 0, 0 */
        r.kind = GRU_REG_L1L2;
    } else if (strcmp(name, "orthogonal_regularizer") == 0 ||
               strcmp(name, "OrthogonalRegularizer") == 0) {
        r.kind = GRU_REG_ORTHOGONAL;
        r.factor = 0.01;
        r.mode = GRU_ORTH_ROWS;
    } else {
        return gru__fail(GRU_E_NAME, NULL,
                         "gru_regularizer_from_name: argument `regularizer` (name) must be one of "
                         "l1, l2, l1_l2, L1, L2, L1L2, orthogonal_regularizer, "
                         "OrthogonalRegularizer, got '%.60s'",
                         name);
    }
    *out = r;
    return GRU_OK;
}

/* ---- validation ----------------------------------------------------------- */

static gru_status check_penalty_number(double x, const char *argname, const char *field,
                                       char *msg) {
    if (isnan(x) || isinf(x))
        return gru__fail(GRU_E_ARG, msg,
                         "%s.%s: Value %g is not a valid regularization penalty number, "
                         "an infinite number or NaN are not valid values",
                         argname, field, x);
    return GRU_OK;
}

gru_status gru__regularizer_check(const gru_regularizer *reg, const char *argname, char *msg) {
    if (!argname) argname = "regularizer";
    if (!reg) return gru__fail(GRU_E_NULL, msg, "%s must not be NULL", argname);
    gru_status s;
    if (reg->kind != GRU_REG_NONE && reg->floatx != 0 && reg->floatx != GRU_F32 &&
        reg->floatx != GRU_F64)
        return gru__fail(GRU_E_DTYPE, msg,
                         "%s.floatx must be 0, GRU_F32 or GRU_F64, got %d", argname,
                         (int)reg->floatx);
    switch (reg->kind) {
    case GRU_REG_NONE:
        return GRU_OK;
    case GRU_REG_L1L2:
        if ((s = check_penalty_number(reg->l1, argname, "l1", msg))) return s;
        return check_penalty_number(reg->l2, argname, "l2", msg);
    case GRU_REG_ORTHOGONAL:
        if ((s = check_penalty_number(reg->factor, argname, "factor", msg))) return s;
        if (reg->mode != GRU_ORTH_ROWS && reg->mode != GRU_ORTH_COLUMNS)
            return gru__fail(GRU_E_ARG, msg,
                             "%s.mode: Invalid value for argument `mode`. Expected one of "
                             "GRU_ORTH_ROWS (0), GRU_ORTH_COLUMNS (1). Received: mode=%d",
                             argname, (int)reg->mode);
        return GRU_OK;
    }
    return gru__fail(GRU_E_ARG, msg,
                     "%s.kind must be GRU_REG_NONE, GRU_REG_L1L2 or GRU_REG_ORTHOGONAL, got %d",
                     argname, (int)reg->kind);
}

/* Common argument checks of penalty/grad; *count receives the element count. */
static gru_status check_args(const char *fn, const gru_regularizer *reg, gru_dtype dtype,
                             size_t ndim, const size_t *shape, const void *w, const void *out,
                             const char *outname, int out_always, size_t *count) {
    if (!reg) return gru__fail(GRU_E_NULL, NULL, "%s: argument `reg` must not be NULL", fn);
    char argname[64];
    snprintf(argname, sizeof argname, "%s: reg", fn);
    gru_status s = gru__regularizer_check(reg, argname, NULL);
    if (s) return s;
    size_t n;
    s = gru__tensor_args(fn, dtype, ndim, shape, w, &n);
    if (s) return s;
    if (!out && (out_always || n > 0))
        return gru__fail(GRU_E_NULL, NULL, "%s: argument `%s` must not be NULL", fn, outname);
    if (reg->kind == GRU_REG_ORTHOGONAL && ndim != 2)
        return gru__fail(GRU_E_SHAPE, NULL,
                         "%s: argument `shape`: Inputs to OrthogonalRegularizer must have rank 2, "
                         "got rank %zu",
                         fn, ndim);
    *count = n;
    return GRU_OK;
}

/* ---- L1L2 ----------------------------------------------------------------- */

/* Keras casts a factor to floatx when it builds the regularizer: float32
 * unless the model was built with floatx float64 (reg->floatx). */
static double factor_of(const gru_regularizer *reg, double v) {
    return reg->floatx == GRU_F64 ? v : (double)(float)v;
}

static double l1l2_penalty(const gru_regularizer *reg, gru_dtype dt, size_t n, const void *w) {
    const double l1f = factor_of(reg, reg->l1), l2f = factor_of(reg, reg->l2);
    double p = 0.0;
    if (l1f != 0.0) {
        double s = 0.0;
        for (size_t i = 0; i < n; i++) s += fabs(gru__ld(dt, w, i));
        p += l1f * s;
    }
    if (l2f != 0.0) {
        double s = 0.0;
        for (size_t i = 0; i < n; i++) {
            double v = gru__ld(dt, w, i);
            s += v * v * 0.5; /* tf.nn.l2_loss */
        }
        p += 2.0 * l2f * s;
    }
    return p;
}

static double sign0(double v) { return v > 0.0 ? 1.0 : v < 0.0 ? -1.0 : v; /* 0, -0, NaN */ }

static void l1l2_grad(const gru_regularizer *reg, gru_dtype dt, size_t n, const void *w,
                      void *grad) {
    const double l1f = factor_of(reg, reg->l1), l2f = factor_of(reg, reg->l2);
    const double a = l1f, b = 2.0 * l2f;
    for (size_t i = 0; i < n; i++) {
        double v = gru__ld(dt, w, i), g = 0.0;
        if (l1f != 0.0) g += a * sign0(v);
        if (l2f != 0.0) g += b * v;
        if (l1f != 0.0 || l2f != 0.0) gru__st(dt, grad, i, gru__ld(dt, grad, i) + g);
    }
}

/* ---- OrthogonalRegularizer ------------------------------------------------ */

/* The n vectors being normalized (rows, or columns in columns mode), each of
 * m elements: element j of vector i is at i*vs + j*es. */
typedef struct orth_view {
    gru_dtype dt;
    const void *w;
    size_t n, m, vs, es;
    double eps; /* l2_normalize's epsilon in the weight's dtype */
} orth_view;

static orth_view orth_make(const gru_regularizer *reg, gru_dtype dt, const size_t *shape,
                           const void *w) {
    orth_view v;
    v.dt = dt;
    v.w = w;
    if (reg->mode == GRU_ORTH_ROWS) {
        v.n = shape[0];
        v.m = shape[1];
        v.vs = shape[1];
        v.es = 1;
    } else {
        v.n = shape[1];
        v.m = shape[0];
        v.vs = 1;
        v.es = shape[1];
    }
    v.eps = dt == GRU_F32 ? (double)1e-12f : 1e-12;
    return v;
}

static double orth_at(const orth_view *v, size_t i, size_t j) {
    return gru__ld(v->dt, v->w, i * v->vs + j * v->es);
}

/* Sum of squares of vector i. */
static double orth_ss(const orth_view *v, size_t i) {
    double s = 0.0;
    for (size_t j = 0; j < v->m; j++) {
        double x = orth_at(v, i, j);
        s += x * x;
    }
    return s;
}

/* rsqrt(maximum(ss, eps)); NaN propagates as in TF's Maximum. */
static double orth_rinv(const orth_view *v, double ss) {
    double d = ss < v->eps ? v->eps : ss;
    return 1.0 / sqrt(d);
}

/* P_ik = <x_i * r_i, x_k * r_k>. */
static double orth_dot(const orth_view *v, size_t i, double ri, size_t k, double rk) {
    double s = 0.0;
    for (size_t j = 0; j < v->m; j++) s += (orth_at(v, i, j) * ri) * (orth_at(v, k, j) * rk);
    return s;
}

/* factor * 0.5 / num_pairs, num_pairs = n (n - 1) / 2 (0 for n <= 1). */
static double orth_coef(const gru_regularizer *reg, size_t n) {
    double nd = (double)n;
    double pairs = nd * (nd - 1.0) / 2.0;
    return factor_of(reg, reg->factor) * 0.5 / pairs;
}

#define ORTH_BLK 64

static double orth_penalty(const gru_regularizer *reg, gru_dtype dt, const size_t *shape,
                           const void *w) {
    orth_view v = orth_make(reg, dt, shape, w);
    double ri[ORTH_BLK], rk[ORTH_BLK];
    double sum = 0.0; /* sum over i < k of |P_ik|; the i != k sum is twice it */
    for (size_t i0 = 0; i0 < v.n; i0 += ORTH_BLK) {
        size_t ni = v.n - i0 < ORTH_BLK ? v.n - i0 : ORTH_BLK;
        for (size_t a = 0; a < ni; a++) ri[a] = orth_rinv(&v, orth_ss(&v, i0 + a));
        for (size_t k0 = i0; k0 < v.n; k0 += ORTH_BLK) {
            size_t nk = v.n - k0 < ORTH_BLK ? v.n - k0 : ORTH_BLK;
            for (size_t b = 0; b < nk; b++) rk[b] = orth_rinv(&v, orth_ss(&v, k0 + b));
            for (size_t a = 0; a < ni; a++)
                for (size_t b = 0; b < nk; b++)
                    if (k0 + b > i0 + a) sum += fabs(orth_dot(&v, i0 + a, ri[a], k0 + b, rk[b]));
        }
    }
    double nd = (double)v.n;
    double pairs = nd * (nd - 1.0) / 2.0;
    return factor_of(reg, reg->factor) * 0.5 * (2.0 * sum) / pairs;
}

/* Scratch for the gradient: ORTH_SCRATCH doubles on the stack hold the
 * accumulated dL/dN for a block of vectors over a chunk of their elements. */
#define ORTH_SCRATCH 512
#define ORTH_IB 64 /* at most this many vectors per block */

/* dL/dN_i = 2c sum_{k != i} sign(P_ik) N_k, alpha_i = sum_{k != i} |P_ik|;
 * dL/dx_i = r_i (dN_i - N_i <N_i, dN_i>) = r_i (dN_i - 2c alpha_i N_i) where
 * sum(x_i^2) >= eps (TF's Maximum sends the gradient to x when x >= y), and
 * r_i dN_i where the epsilon is used. */
static void orth_grad(const gru_regularizer *reg, gru_dtype dt, const size_t *shape,
                      const void *w, void *grad) {
    orth_view v = orth_make(reg, dt, shape, w);
    if (v.n == 0 || v.m == 0) return;
    const double c2 = 2.0 * orth_coef(reg, v.n);
    double acc[ORTH_SCRATCH];
    double ri[ORTH_IB], alpha[ORTH_IB];
    int big[ORTH_IB];
    double rk[ORTH_BLK];
    const size_t cw = v.m < ORTH_SCRATCH ? v.m : ORTH_SCRATCH; /* chunk width */
    const size_t ib = ORTH_SCRATCH / cw < ORTH_IB ? ORTH_SCRATCH / cw : ORTH_IB;
    for (size_t j0 = 0; j0 < v.m; j0 += cw) {
        const size_t nj = v.m - j0 < cw ? v.m - j0 : cw;
        for (size_t i0 = 0; i0 < v.n; i0 += ib) {
            const size_t ni = v.n - i0 < ib ? v.n - i0 : ib;
            for (size_t a = 0; a < ni; a++) {
                double ss = orth_ss(&v, i0 + a);
                ri[a] = orth_rinv(&v, ss);
                big[a] = !(ss < v.eps);
                alpha[a] = 0.0;
                for (size_t j = 0; j < nj; j++) acc[a * cw + j] = 0.0;
            }
            for (size_t k0 = 0; k0 < v.n; k0 += ORTH_BLK) {
                const size_t nk = v.n - k0 < ORTH_BLK ? v.n - k0 : ORTH_BLK;
                for (size_t b = 0; b < nk; b++) rk[b] = orth_rinv(&v, orth_ss(&v, k0 + b));
                for (size_t a = 0; a < ni; a++) {
                    const size_t i = i0 + a;
                    for (size_t b = 0; b < nk; b++) {
                        const size_t k = k0 + b;
                        if (k == i) continue;
                        double p = orth_dot(&v, i, ri[a], k, rk[b]);
                        alpha[a] += fabs(p);
                        double sg = sign0(p);
                        if (sg == 0.0) continue; /* TF: d|x|/dx at 0 is 0 */
                        double *ac = acc + a * cw;
                        for (size_t j = 0; j < nj; j++) ac[j] += sg * (orth_at(&v, k, j0 + j) * rk[b]);
                    }
                }
            }
            for (size_t a = 0; a < ni; a++) {
                const size_t i = i0 + a;
                const double *ac = acc + a * cw;
                for (size_t j = 0; j < nj; j++) {
                    double g = c2 * ac[j];
                    if (big[a]) g -= c2 * alpha[a] * (orth_at(&v, i, j0 + j) * ri[a]);
                    g *= ri[a];
                    size_t idx = i * v.vs + (j0 + j) * v.es;
                    gru__st(dt, grad, idx, gru__ld(dt, grad, idx) + g);
                }
            }
        }
    }
}

/* ---- public --------------------------------------------------------------- */

gru_status gru_regularizer_penalty(const gru_regularizer *reg, gru_dtype dtype, size_t ndim,
                                   const size_t *shape, const void *w, double *penalty) {
    size_t n = 0;
    gru_status s = check_args("gru_regularizer_penalty", reg, dtype, ndim, shape, w, penalty,
                              "penalty", 1, &n);
    if (s) return s;
    switch (reg->kind) {
    case GRU_REG_NONE: *penalty = 0.0; break;
    case GRU_REG_L1L2: *penalty = l1l2_penalty(reg, dtype, n, w); break;
    case GRU_REG_ORTHOGONAL: *penalty = orth_penalty(reg, dtype, shape, w); break;
    }
    return GRU_OK;
}

gru_status gru_regularizer_grad(const gru_regularizer *reg, gru_dtype dtype, size_t ndim,
                                const size_t *shape, const void *w, void *grad) {
    size_t n = 0;
    gru_status s =
        check_args("gru_regularizer_grad", reg, dtype, ndim, shape, w, grad, "grad", 0, &n);
    if (s) return s;
    switch (reg->kind) {
    case GRU_REG_NONE: break;
    case GRU_REG_L1L2: l1l2_grad(reg, dtype, n, w, grad); break;
    case GRU_REG_ORTHOGONAL: orth_grad(reg, dtype, shape, w, grad); break;
    }
    return GRU_OK;
}
