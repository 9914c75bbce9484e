/* Regularizers: name lookup, penalties worked by hand, gradients against
 * finite differences, and rejection of bad input. */
#include <float.h>
#include <stdint.h>

#include "internal.h"
#include <stdlib.h>

#include "runner.h"

#define DNAN ((double)NAN)
#define DINF ((double)INFINITY)

void tests_regularizers(void);

static gru_regularizer reg_l1l2(double l1, double l2) {
    gru_regularizer r;
    memset(&r, 0, sizeof r);
    r.kind = GRU_REG_L1L2;
    r.l1 = l1;
    r.l2 = l2;
    return r;
}

static gru_regularizer reg_orth(double factor, gru_orth_mode mode) {
    gru_regularizer r;
    memset(&r, 0, sizeof r);
    r.kind = GRU_REG_ORTHOGONAL;
    r.factor = factor;
    r.mode = mode;
    return r;
}

/* Keras stores factors as float32. */
static double f32(double x) { return (double)(float)x; }

TEST(reg_names) {
    gru_regularizer r;
    CHECK_OK(gru_regularizer_from_name("l1", &r));
    CHECK(r.kind == GRU_REG_L1L2 && r.l1 == 0.01 && r.l2 == 0.0);
    CHECK_OK(gru_regularizer_from_name("L1", &r));
    CHECK(r.kind == GRU_REG_L1L2 && r.l1 == 0.01 && r.l2 == 0.0);
    CHECK_OK(gru_regularizer_from_name("l2", &r));
    CHECK(r.kind == GRU_REG_L1L2 && r.l1 == 0.0 && r.l2 == 0.01);
    CHECK_OK(gru_regularizer_from_name("L2", &r));
    CHECK(r.kind == GRU_REG_L1L2 && r.l1 == 0.0 && r.l2 == 0.01);
    /* the string "l1_l2" uses l1_l2()'s defaults, the class L1L2 uses 0, 0 */
    CHECK_OK(gru_regularizer_from_name("l1_l2", &r));
    CHECK(r.kind == GRU_REG_L1L2 && r.l1 == 0.01 && r.l2 == 0.01);
    CHECK_OK(gru_regularizer_from_name("L1L2", &r));
    CHECK(r.kind == GRU_REG_L1L2 && r.l1 == 0.0 && r.l2 == 0.0);
    CHECK_OK(gru_regularizer_from_name("orthogonal_regularizer", &r));
    CHECK(r.kind == GRU_REG_ORTHOGONAL && r.factor == 0.01 && r.mode == GRU_ORTH_ROWS);
    CHECK_OK(gru_regularizer_from_name("OrthogonalRegularizer", &r));
    CHECK(r.kind == GRU_REG_ORTHOGONAL && r.factor == 0.01 && r.mode == GRU_ORTH_ROWS);
    r.kind = GRU_REG_L1L2;
    CHECK_OK(gru_regularizer_from_name(NULL, &r));
    CHECK(r.kind == GRU_REG_NONE);
    r.kind = GRU_REG_L1L2;
    CHECK_OK(gru_regularizer_from_name("", &r));
    CHECK(r.kind == GRU_REG_NONE);
    /* the base class Regularizer is a zero penalty */
    CHECK_OK(gru_regularizer_from_name("Regularizer", &r));
    CHECK(r.kind == GRU_REG_NONE);
    /* names are case- and spelling-exact */
    CHECK_REJECT(gru_regularizer_from_name("l1l2", &r), GRU_E_NAME, "regularizer");
    CHECK_REJECT(gru_regularizer_from_name("bogus", &r), GRU_E_NAME, "bogus");
    CHECK_REJECT(gru_regularizer_from_name("l1 ", &r), GRU_E_NAME, "regularizer");
    CHECK_REJECT(gru_regularizer_from_name("l1", NULL), GRU_E_NULL, "out");
}

TEST(reg_l1l2_values) {
    const double w[4] = {1.0, -2.0, 0.0, 0.5};
    const float wf[4] = {1.0f, -2.0f, 0.0f, 0.5f};
    const size_t shape[2] = {2, 2};
    const double sabs = 3.5, ssq = 5.25;
    double p;
    gru_regularizer r;

    CHECK_OK(gru_regularizer_from_name("l1", &r));
    CHECK_OK(gru_regularizer_penalty(&r, GRU_F64, 2, shape, w, &p));
    CHECK(p == f32(0.01) * sabs); /* the float32-rounded factor, also for f64 */
    CHECK(p != 0.01 * sabs);
    CHECK_OK(gru_regularizer_penalty(&r, GRU_F32, 2, shape, wf, &p));
    CHECK(p == f32(0.01) * sabs);

    CHECK_OK(gru_regularizer_from_name("l2", &r));
    CHECK_OK(gru_regularizer_penalty(&r, GRU_F64, 2, shape, w, &p));
    CHECK_NEAR(p, f32(0.01) * ssq, 1e-17);

    CHECK_OK(gru_regularizer_from_name("l1_l2", &r));
    CHECK_OK(gru_regularizer_penalty(&r, GRU_F64, 1, (const size_t[]){4}, w, &p));
    CHECK_NEAR(p, f32(0.01) * (sabs + ssq), 1e-17);

    r = reg_l1l2(0.3, 0.7);
    CHECK_OK(gru_regularizer_penalty(&r, GRU_F32, 1, (const size_t[]){4}, wf, &p));
    CHECK_NEAR(p, f32(0.3) * sabs + f32(0.7) * ssq, 1e-15);

    /* a scalar (ndim 0, shape NULL) */
    CHECK_OK(gru_regularizer_penalty(&r, GRU_F64, 0, NULL, &w[1], &p));
    CHECK_NEAR(p, f32(0.3) * 2.0 + f32(0.7) * 4.0, 1e-15);

    /* L1L2() = (0, 0) is exactly 0, even for non-finite weights (zero factors
     * skip their term, as `if self.l1:` does) */
    const double bad[2] = {DNAN, DINF};
    CHECK_OK(gru_regularizer_from_name("L1L2", &r));
    CHECK_OK(gru_regularizer_penalty(&r, GRU_F64, 1, (const size_t[]){2}, bad, &p));
    CHECK(p == 0.0);
    r = reg_l1l2(0.0, 0.5);
    CHECK_OK(gru_regularizer_penalty(&r, GRU_F64, 1, (const size_t[]){1}, &bad[1], &p));
    CHECK(isinf(p));

    /* negative factors are accepted as in Keras */
    r = reg_l1l2(-0.5, 0.0);
    CHECK_OK(gru_regularizer_penalty(&r, GRU_F64, 1, (const size_t[]){4}, w, &p));
    CHECK(p == -0.5 * sabs);

    /* empty tensors: 0; NULL data allowed when there are no elements */
    CHECK_OK(gru_regularizer_penalty(&r, GRU_F32, 2, (const size_t[]){0, 5}, NULL, &p));
    CHECK(p == 0.0);

    /* none */
    CHECK_OK(gru_regularizer_from_name(NULL, &r));
    CHECK_OK(gru_regularizer_penalty(&r, GRU_F64, 1, (const size_t[]){4}, w, &p));
    CHECK(p == 0.0);
}

TEST(reg_orthogonal_values) {
    /* rows: [1,0] -> [1,0]; [1,1] -> [1,1]/sqrt2; [0,0] -> 0 (epsilon).
     * Off-diagonal |P| sum = 2 * (1/sqrt2); pairs = 3. */
    const double w[6] = {1, 0, 1, 1, 0, 0};
    const float wf[6] = {1, 0, 1, 1, 0, 0};
    const size_t shape[2] = {3, 2};
    double p;
    gru_regularizer r = reg_orth(0.5, GRU_ORTH_ROWS);
    const double want_rows = 0.5 * 0.5 * (2.0 / sqrt(2.0)) / 3.0;
    CHECK_OK(gru_regularizer_penalty(&r, GRU_F64, 2, shape, w, &p));
    CHECK_NEAR(p, want_rows, 1e-15);
    CHECK_OK(gru_regularizer_penalty(&r, GRU_F32, 2, shape, wf, &p));
    CHECK_NEAR(p, want_rows, 1e-15);

    /* columns: (1,1,0)/sqrt2 and (0,1,0): P = 1/sqrt2, 1 pair */
    r.mode = GRU_ORTH_COLUMNS;
    CHECK_OK(gru_regularizer_penalty(&r, GRU_F64, 2, shape, w, &p));
    CHECK_NEAR(p, 0.5 * 0.5 * (2.0 / sqrt(2.0)) / 1.0, 1e-15);

    /* default factor 0.01 is used as float32 */
    CHECK_OK(gru_regularizer_from_name("orthogonal_regularizer", &r));
    CHECK_OK(gru_regularizer_penalty(&r, GRU_F64, 2, shape, w, &p));
    CHECK_NEAR(p, f32(0.01) * 0.5 * (2.0 / sqrt(2.0)) / 3.0, 1e-17);

    /* orthogonal rows give 0 */
    const double eye[9] = {2, 0, 0, 0, 3, 0, 0, 0, 0.5};
    CHECK_OK(gru_regularizer_penalty(&r, GRU_F64, 2, (const size_t[]){3, 3}, eye, &p));
    CHECK(p == 0.0);

    /* one row: 0 / 0 pairs = NaN, as TF returns */
    r = reg_orth(0.5, GRU_ORTH_ROWS);
    CHECK_OK(gru_regularizer_penalty(&r, GRU_F64, 2, (const size_t[]){1, 2}, w, &p));
    CHECK(isnan(p));
    /* three rows of no columns: 0 / 3 = 0 */
    CHECK_OK(gru_regularizer_penalty(&r, GRU_F64, 2, (const size_t[]){3, 0}, NULL, &p));
    CHECK(p == 0.0);

    /* rank other than 2 is rejected as Keras does */
    CHECK_REJECT(gru_regularizer_penalty(&r, GRU_F64, 1, (const size_t[]){6}, w, &p),
                 GRU_E_SHAPE, "rank 2");
    CHECK_REJECT(gru_regularizer_penalty(&r, GRU_F64, 3, (const size_t[]){3, 2, 1}, w, &p),
                 GRU_E_SHAPE, "rank 2");
}

/* Central differences of the penalty over every element of w (f64). */
static double fd_check(const gru_regularizer *r, size_t ndim, const size_t *shape, double *w,
                       size_t n, const double *grad, double h) {
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double save = w[i], pp, pm;
        w[i] = save + h;
        if (gru_regularizer_penalty(r, GRU_F64, ndim, shape, w, &pp)) return DINF;
        w[i] = save - h;
        if (gru_regularizer_penalty(r, GRU_F64, ndim, shape, w, &pm)) return DINF;
        w[i] = save;
        double fd = (pp - pm) / (2.0 * h);
        double e = fabs(fd - grad[i]) / (fabs(grad[i]) + 1e-3);
        if (e > worst) worst = e;
    }
    return worst;
}

/* deterministic pseudo-random values in (-1, 1) */
static void fill(double *w, size_t n, uint64_t seed) {
    uint64_t s = seed * 0x9E3779B97F4A7C15u + 1u;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005u + 1442695040888963407u;
        w[i] = 2.0 * ((double)(s >> 11) / 9007199254740992.0) - 1.0;
    }
}

TEST(reg_l1l2_grad) {
    double w[12], g[12];
    const size_t shape[2] = {3, 4};
    fill(w, 12, 7);
    for (size_t i = 0; i < 12; i++) {
        if (fabs(w[i]) < 0.05) w[i] = 0.3; /* keep |.| differentiable for the FD */
        g[i] = 1.0;                         /* grad is accumulated into */
    }
    gru_regularizer r = reg_l1l2(0.3, 0.7);
    CHECK_OK(gru_regularizer_grad(&r, GRU_F64, 2, shape, w, g));
    for (size_t i = 0; i < 12; i++) {
        CHECK_NEAR(g[i] - 1.0, f32(0.3) * (w[i] > 0 ? 1.0 : -1.0) + 2.0 * f32(0.7) * w[i],
                   1e-15);
        g[i] -= 1.0;
    }
    CHECK(fd_check(&r, 2, shape, w, 12, g, 1e-6) < 1e-7);

    /* d|w|/dw at 0 (and -0) is 0, as TF's gradient of abs */
    const double z[2] = {0.0, -0.0};
    double gz[2] = {0, 0};
    r = reg_l1l2(0.5, 0.0);
    CHECK_OK(gru_regularizer_grad(&r, GRU_F64, 1, (const size_t[]){2}, z, gz));
    CHECK(gz[0] == 0.0 && gz[1] == 0.0);

    /* f32 agrees with f64 */
    float wf[12], gf[12];
    for (size_t i = 0; i < 12; i++) {
        wf[i] = (float)w[i];
        gf[i] = 0.0f;
        g[i] = 0.0;
        w[i] = (double)wf[i];
    }
    r = reg_l1l2(0.3, 0.7);
    CHECK_OK(gru_regularizer_grad(&r, GRU_F32, 2, shape, wf, gf));
    CHECK_OK(gru_regularizer_grad(&r, GRU_F64, 2, shape, w, g));
    for (size_t i = 0; i < 12; i++) CHECK_NEAR(gf[i], g[i], 1e-6 * (fabs(g[i]) + 1e-3));

    /* none adds nothing */
    gru_regularizer none;
    CHECK_OK(gru_regularizer_from_name(NULL, &none));
    CHECK_OK(gru_regularizer_grad(&none, GRU_F64, 2, shape, w, g));
    CHECK_OK(gru_regularizer_grad(&r, GRU_F64, 2, (const size_t[]){0, 4}, NULL, NULL));
}

/* Shapes past the gradient's scratch blocks (more vectors than one block,
 * longer vectors than one chunk): spot-check entries by finite differences. */
TEST(reg_orthogonal_grad_large_blocks) {
    enum { R = 70, C = 600, N = R * C };
    double *w = malloc(N * sizeof *w), *g = calloc(N, sizeof *g);
    CHECK(w && g);
    fill(w, N, 99);
    const size_t shape[2] = {R, C};
    for (int mode = 0; mode < 2; mode++) {
        memset(g, 0, N * sizeof *g);
        gru_regularizer r = reg_orth(0.3, (gru_orth_mode)mode);
        CHECK_OK(gru_regularizer_grad(&r, GRU_F64, 2, shape, w, g));
        const size_t idx[6] = {0, 599, 600, 17 * 600 + 511, 17 * 600 + 513, N - 1};
        for (int t = 0; t < 6; t++) {
            size_t i = idx[t];
            double save = w[i], pp, pm, h = 1e-5;
            w[i] = save + h;
            CHECK_OK(gru_regularizer_penalty(&r, GRU_F64, 2, shape, w, &pp));
            w[i] = save - h;
            CHECK_OK(gru_regularizer_penalty(&r, GRU_F64, 2, shape, w, &pm));
            w[i] = save;
            double fd = (pp - pm) / (2 * h);
            CHECK_MSG(fabs(fd - g[i]) <= 1e-6 * (fabs(g[i]) + 1e-3), "mode %d entry %zu: %g vs %g",
                      mode, i, g[i], fd);
        }
    }
    free(w);
    free(g);
}

TEST(reg_orthogonal_grad) {
    enum { R = 4, C = 5, N = R * C };
    double w[N], g[N];
    const size_t shape[2] = {R, C};
    for (int mode = 0; mode < 2; mode++) {
        fill(w, N, 11u + (uint64_t)mode);
        for (size_t i = 0; i < N; i++) g[i] = 0.5;
        gru_regularizer r = reg_orth(0.37, (gru_orth_mode)mode);
        CHECK_OK(gru_regularizer_grad(&r, GRU_F64, 2, shape, w, g));
        for (size_t i = 0; i < N; i++) g[i] -= 0.5;
        double e = fd_check(&r, 2, shape, w, N, g, 1e-6);
        CHECK_MSG(e < 1e-6, "mode %d: finite-difference mismatch %g", mode, e);

        /* f32 agrees with f64 on the same values */
        float wf[N], gf[N];
        for (size_t i = 0; i < N; i++) {
            wf[i] = (float)w[i];
            w[i] = (double)wf[i];
            gf[i] = 0.0f;
            g[i] = 0.0;
        }
        CHECK_OK(gru_regularizer_grad(&r, GRU_F32, 2, shape, wf, gf));
        CHECK_OK(gru_regularizer_grad(&r, GRU_F64, 2, shape, w, g));
        for (size_t i = 0; i < N; i++) CHECK_NEAR(gf[i], g[i], 1e-6);
    }

    /* Mutually orthogonal rows: every P_ik = 0, |.| has gradient 0 there. */
    const double eye[4] = {2, 0, 0, 3};
    double ge[4] = {0, 0, 0, 0};
    gru_regularizer r = reg_orth(0.5, GRU_ORTH_ROWS);
    CHECK_OK(gru_regularizer_grad(&r, GRU_F64, 2, (const size_t[]){2, 2}, eye, ge));
    for (int i = 0; i < 4; i++) CHECK(ge[i] == 0.0);

    /* A row whose squared norm is below 1e-12 is scaled by rsqrt(1e-12)
     * without a norm gradient: rows [1e-7, 0] and [1, 1], factor 0.5, one
     * pair: L = 0.5 * 0.5 * 2 * |P| with P = (1e-7 * 1e6) / sqrt2 = 0.1/sqrt2.
     * dL/dw_0 = 0.5 * 1e6 * [1, 1]/sqrt2; for row 1 (unit after
     * normalization) dL/dw_1 = 0.5 * (n0 - P n1) / sqrt2 with n0 = [0.1, 0]. */
    const double t[4] = {1e-7, 0, 1, 1};
    double gt[4] = {0, 0, 0, 0};
    CHECK_OK(gru_regularizer_grad(&r, GRU_F64, 2, (const size_t[]){2, 2}, t, gt));
    const double s2 = sqrt(2.0), P = 0.1 / s2;
    CHECK_NEAR(gt[0], 0.5 * 1e6 / s2, 1e-6);
    CHECK_NEAR(gt[1], 0.5 * 1e6 / s2, 1e-6);
    CHECK_NEAR(gt[2], 0.5 * (0.1 - P / s2) / s2, 1e-12);
    CHECK_NEAR(gt[3], 0.5 * (0.0 - P / s2) / s2, 1e-12);
    double p;
    CHECK_OK(gru_regularizer_penalty(&r, GRU_F64, 2, (const size_t[]){2, 2}, t, &p));
    CHECK_NEAR(p, 0.5 * P, 1e-12);
}

TEST(reg_bad_inputs) {
    const double w[4] = {1, 2, 3, 4};
    double g[4] = {0}, p;
    const size_t shape[2] = {2, 2};
    gru_regularizer r = reg_l1l2(0.1, 0.1);

    CHECK_REJECT(gru_regularizer_penalty(NULL, GRU_F64, 2, shape, w, &p), GRU_E_NULL, "reg");
    CHECK_REJECT(gru_regularizer_penalty(&r, GRU_F64, 2, shape, w, NULL), GRU_E_NULL, "penalty");
    CHECK_REJECT(gru_regularizer_penalty(&r, GRU_F64, 2, NULL, w, &p), GRU_E_NULL, "shape");
    CHECK_REJECT(gru_regularizer_penalty(&r, GRU_F64, 2, shape, NULL, &p), GRU_E_NULL, "`w`");
    CHECK_REJECT(gru_regularizer_penalty(&r, (gru_dtype)7, 2, shape, w, &p), GRU_E_DTYPE,
                 "dtype");
    const size_t huge[2] = {SIZE_MAX / 2, 3};
    CHECK_REJECT(gru_regularizer_penalty(&r, GRU_F64, 2, huge, w, &p), GRU_E_OVERFLOW, "shape");

    CHECK_REJECT(gru_regularizer_grad(NULL, GRU_F64, 2, shape, w, g), GRU_E_NULL, "reg");
    CHECK_REJECT(gru_regularizer_grad(&r, GRU_F64, 2, shape, w, NULL), GRU_E_NULL, "grad");
    CHECK_REJECT(gru_regularizer_grad(&r, GRU_F32, 2, NULL, w, g), GRU_E_NULL, "shape");
    CHECK_REJECT(gru_regularizer_grad(&r, (gru_dtype)0, 2, shape, w, g), GRU_E_DTYPE, "dtype");
    CHECK_REJECT(gru_regularizer_grad(&r, GRU_F64, 2, huge, w, g), GRU_E_OVERFLOW, "shape");
    gru_regularizer o = reg_orth(0.1, GRU_ORTH_ROWS);
    CHECK_REJECT(gru_regularizer_grad(&o, GRU_F64, 1, (const size_t[]){4}, w, g), GRU_E_SHAPE,
                 "rank 2");

    /* bad values: kind, non-finite factors, mode */
    gru_regularizer b = r;
    b.kind = (gru_reg_kind)9;
    CHECK_REJECT(gru_regularizer_penalty(&b, GRU_F64, 2, shape, w, &p), GRU_E_ARG, "reg.kind");
    b = reg_l1l2(DNAN, 0.0);
    CHECK_REJECT(gru_regularizer_penalty(&b, GRU_F64, 2, shape, w, &p), GRU_E_ARG, "reg.l1");
    CHECK(strstr(gru_last_error(), "not a valid regularization penalty number") != NULL);
    b = reg_l1l2(0.0, -DINF);
    CHECK_REJECT(gru_regularizer_grad(&b, GRU_F64, 2, shape, w, g), GRU_E_ARG, "reg.l2");
    b = reg_orth(DINF, GRU_ORTH_ROWS);
    CHECK_REJECT(gru_regularizer_penalty(&b, GRU_F64, 2, shape, w, &p), GRU_E_ARG, "reg.factor");
    b = reg_orth(0.1, (gru_orth_mode)2);
    CHECK_REJECT(gru_regularizer_penalty(&b, GRU_F64, 2, shape, w, &p), GRU_E_ARG, "reg.mode");

    /* the validator the cell uses names the cell's argument */
    char msg[GRU_ERRMSG_MAX] = "";
    b = reg_l1l2(0.1, DNAN);
    CHECK_STATUS(gru__regularizer_check(&b, "cfg.kernel_regularizer", msg), GRU_E_ARG);
    CHECK(strstr(msg, "cfg.kernel_regularizer.l2") != NULL);
    CHECK(strstr(gru_last_error(), "cfg.kernel_regularizer.l2") != NULL);
    CHECK_OK(gru__regularizer_check(&r, "cfg.kernel_regularizer", msg));
    /* fields of other kinds are not looked at */
    b = reg_orth(0.1, GRU_ORTH_COLUMNS);
    b.l1 = DNAN;
    CHECK_OK(gru__regularizer_check(&b, "cfg.bias_regularizer", NULL));
    b.kind = GRU_REG_NONE;
    b.factor = DNAN;
    CHECK_OK(gru__regularizer_check(&b, "cfg.bias_regularizer", NULL));
    /* negative factors are valid (Keras accepts them) */
    b = reg_l1l2(-1.0, -2.0);
    CHECK_OK(gru__regularizer_check(&b, "cfg.bias_regularizer", NULL));
}

void tests_regularizers(void) {
    TR_RUN(reg_names);
    TR_RUN(reg_l1l2_values);
    TR_RUN(reg_orthogonal_values);
    TR_RUN(reg_l1l2_grad);
    TR_RUN(reg_orthogonal_grad);
    TR_RUN(reg_orthogonal_grad_large_blocks);
    TR_RUN(reg_bad_inputs);
}
