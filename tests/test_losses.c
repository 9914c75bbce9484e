/* Losses: values against the Keras formulas written out by hand here
 * (float64), gradients against finite differences, clipping, reductions,
 * sample weights, float32 against float64, one test per rejection. */
#include <stdlib.h>

#include "runner.h"

enum { R = 3, N = 4 };
static const double EPS = 1e-7;

static const double P[R * N] = {0.1, 0.6, 0.2, 0.1, 0.3, 0.3, 0.3, 0.1, 0.05, 0.05, 0.8, 0.1};
static const double Y1[R * N] = {0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0}; /* one-hot */
static const double YB[R * N] = {0, 1, 1, 0, 1, 0, 0, 1, 0, 0.5, 1, 0}; /* binary */
static const double YS[R] = {1, 0, 2};                                  /* sparse */
static const double LG[R * N] = {0.5, -1.2, 2.0, 0.0, -0.3, 0.8, 1.5, -2.5, 3.0, 0.1, -0.7, 0.2};

static double clipd(double p) { return p < EPS ? EPS : p > 1 - EPS ? 1 - EPS : p; }

static gru_loss_config cfg_of(gru_loss_kind k, int logits, double ls, gru_reduction red) {
    gru_loss_config c;
    gru_loss_config_init(&c, k);
    c.from_logits = logits;
    c.label_smoothing = ls;
    c.reduction = red;
    return c;
}

/* The reference row losses, from the Keras source, in double. */
static double ref_row(const gru_loss_config *c, const double *t, const double *p, size_t r) {
    double s = 0;
    switch (c->kind) {
    case GRU_LOSS_MSE:
        for (int j = 0; j < N; j++) s += (p[j] - t[j]) * (p[j] - t[j]);
        return s / N;
    case GRU_LOSS_BCE:
        for (int j = 0; j < N; j++) {
            double y = t[j] * (1 - c->label_smoothing) + 0.5 * c->label_smoothing;
            if (c->from_logits) {
                s += fmax(p[j], 0) - p[j] * y + log1p(exp(-fabs(p[j])));
            } else {
                double q = clipd(p[j]);
                s += -(y * log(q + EPS) + (1 - y) * log(1 - q + EPS));
            }
        }
        return s / N;
    case GRU_LOSS_CCE: {
        double S = 0, m = -INFINITY, se = 0;
        for (int j = 0; j < N; j++) S += p[j], m = fmax(m, p[j]);
        for (int j = 0; j < N; j++) se += exp(p[j] - m);
        for (int j = 0; j < N; j++) {
            double y = t[j] * (1 - c->label_smoothing) + c->label_smoothing / N;
            s -= y * (c->from_logits ? (p[j] - m) - log(se) : log(clipd(p[j] / S)));
        }
        return s;
    }
    case GRU_LOSS_SPARSE_CCE: {
        const int k = (int)t[0]; /* t points at the row's label */
        (void)r;
        double se = 0;
        for (int j = 0; j < N; j++) se += c->from_logits ? exp(p[j]) : clipd(p[j]);
        return log(se) - (c->from_logits ? p[k] : log(clipd(p[k])));
    }
    }
    return NAN;
}

static double ref_loss(const gru_loss_config *c, const double *yt, const double *yp,
                       const double *sw) {
    const size_t tn = c->kind == GRU_LOSS_SPARSE_CCE ? 1 : N;
    double s = 0;
    for (size_t r = 0; r < R; r++) s += ref_row(c, yt + r * tn, yp + r * N, r) * (sw ? sw[r] : 1);
    return c->reduction == GRU_REDUCTION_SUM_OVER_BATCH_SIZE ? s / R : s;
}

typedef struct lcase {
    gru_loss_kind kind;
    int logits;
    double ls;
    const double *yt;
} lcase;

static const lcase CASES[] = {
    {GRU_LOSS_MSE, 0, 0, YB},         {GRU_LOSS_BCE, 0, 0, YB},
    {GRU_LOSS_BCE, 1, 0, YB},         {GRU_LOSS_BCE, 0, 0.2, YB},
    {GRU_LOSS_BCE, 1, 0.1, YB},       {GRU_LOSS_CCE, 0, 0, Y1},
    {GRU_LOSS_CCE, 1, 0, Y1},         {GRU_LOSS_CCE, 0, 0.1, Y1},
    {GRU_LOSS_CCE, 1, 0.3, Y1},       {GRU_LOSS_SPARSE_CCE, 0, 0, YS},
    {GRU_LOSS_SPARSE_CCE, 1, 0, YS},
};

TEST(values_match_the_keras_formulas) {
    const double sw[R] = {0.5, 2.0, 1.0};
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        const lcase *k = &CASES[i];
        const double *yp = k->logits ? LG : P;
        for (int red = 0; red < 3; red++) {
            for (int w = 0; w < 2; w++) {
                gru_loss_config c = cfg_of(k->kind, k->logits, k->ls, (gru_reduction)red);
                double loss, per[R];
                CHECK_OK(gru_loss(&c, GRU_F64, R, N, k->yt, yp, w ? sw : NULL, &loss, per, NULL));
                const double want = ref_loss(&c, k->yt, yp, w ? sw : NULL);
                CHECK_MSG(fabs(loss - want) <= 1e-13 * fmax(1, fabs(want)),
                          "case %zu red %d w %d: %.17g vs %.17g", i, red, w, loss, want);
                double sum = 0;
                for (int r = 0; r < R; r++) sum += per[r];
                CHECK_NEAR(red == 0 ? sum / R : sum, loss, 1e-13);
            }
        }
    }
}

TEST(keras_docstring_examples) {
    /* tf.keras.losses.categorical_crossentropy docstring: [0.0513, 2.303] */
    const double yt[6] = {0, 1, 0, 0, 0, 1}, yp[6] = {0.05, 0.95, 0, 0.1, 0.8, 0.1};
    gru_loss_config c = cfg_of(GRU_LOSS_CCE, 0, 0, GRU_REDUCTION_NONE);
    double per[2], loss;
    CHECK_OK(gru_loss(&c, GRU_F64, 2, 3, yt, yp, NULL, &loss, per, NULL));
    CHECK_NEAR(per[0], 0.0513, 5e-5);
    CHECK_NEAR(per[1], 2.303, 5e-4);
    /* sparse version of the same */
    const double ys[2] = {1, 2};
    c = cfg_of(GRU_LOSS_SPARSE_CCE, 0, 0, GRU_REDUCTION_NONE);
    CHECK_OK(gru_loss(&c, GRU_F64, 2, 3, ys, yp, NULL, &loss, per, NULL));
    CHECK_NEAR(per[0], 0.0513, 5e-5);
    CHECK_NEAR(per[1], 2.303, 5e-4);
    /* binary_crossentropy docstring: [0.916, 0.714] */
    const double bt[4] = {0, 1, 0, 0}, bp[4] = {0.6, 0.4, 0.4, 0.6};
    c = cfg_of(GRU_LOSS_BCE, 0, 0, GRU_REDUCTION_NONE);
    CHECK_OK(gru_loss(&c, GRU_F64, 2, 2, bt, bp, NULL, &loss, per, NULL));
    CHECK_NEAR(per[0], 0.916, 5e-4);
    CHECK_NEAR(per[1], 0.714, 5e-4);
}

TEST(gradients_match_finite_differences) {
    const double sw[R] = {0.5, 2.0, 1.0};
    const double h = 1e-7;
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        const lcase *k = &CASES[i];
        for (int red = 0; red < 3; red++) {
            gru_loss_config c = cfg_of(k->kind, k->logits, k->ls, (gru_reduction)red);
            double yp[R * N], d[R * N], l0;
            memcpy(yp, k->logits ? LG : P, sizeof yp);
            CHECK_OK(gru_loss(&c, GRU_F64, R, N, k->yt, yp, sw, &l0, NULL, d));
            for (int e = 0; e < R * N; e++) {
                const double v = yp[e];
                double lp, lm;
                yp[e] = v + h;
                CHECK_OK(gru_loss(&c, GRU_F64, R, N, k->yt, yp, sw, &lp, NULL, NULL));
                yp[e] = v - h;
                CHECK_OK(gru_loss(&c, GRU_F64, R, N, k->yt, yp, sw, &lm, NULL, NULL));
                yp[e] = v;
                const double fd = (lp - lm) / (2 * h);
                CHECK_MSG(fabs(fd - d[e]) < 1e-6 * fmax(1, fabs(fd)),
                          "case %zu red %d elem %d: fd %.10g analytic %.10g", i, red, e, fd, d[e]);
            }
        }
    }
}

TEST(clipping_and_its_gradient) {
    /* BCE at p = 0 and 1: clipped to eps and 1-eps; gradient 0 outside */
    const double yt[4] = {1, 0, 1, 0}, yp[4] = {0.0, 1.0, 1e-7, 0.5};
    gru_loss_config c = cfg_of(GRU_LOSS_BCE, 0, 0, GRU_REDUCTION_SUM);
    double loss, d[4];
    CHECK_OK(gru_loss(&c, GRU_F64, 1, 4, yt, yp, NULL, &loss, NULL, d));
    const double want = (-log(2e-7) - log(1 - (1 - EPS) + EPS) - log(2e-7) - log(0.5 + EPS)) / 4;
    CHECK_NEAR(loss, want, 1e-12);
    CHECK(d[0] == 0.0 && d[1] == 0.0);
    CHECK(d[2] != 0.0); /* p == eps: the clip passes the gradient (closed interval) */
    CHECK_NEAR(d[2], -1.0 / (2e-7) / 4, 1e-3);
    /* CCE with a zero probability stays finite */
    const double ct[3] = {0, 0, 1}, cp[3] = {0.5, 0.5, 0.0};
    c = cfg_of(GRU_LOSS_CCE, 0, 0, GRU_REDUCTION_SUM);
    CHECK_OK(gru_loss(&c, GRU_F64, 1, 3, ct, cp, NULL, &loss, NULL, NULL));
    CHECK_NEAR(loss, -log(EPS), 1e-9);
}

TEST(float32_follows_float64) {
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        const lcase *k = &CASES[i];
        const double *yp = k->logits ? LG : P;
        const size_t tn = k->kind == GRU_LOSS_SPARSE_CCE ? R : R * N;
        float ytf[R * N], ypf[R * N], df[R * N];
        double yp64[R * N], yt64[R * N], d[R * N], l64;
        float l32f;
        double l32;
        for (size_t e = 0; e < tn; e++) ytf[e] = (float)k->yt[e], yt64[e] = ytf[e];
        for (int e = 0; e < R * N; e++) ypf[e] = (float)yp[e], yp64[e] = ypf[e];
        gru_loss_config c = cfg_of(k->kind, k->logits, k->ls, GRU_REDUCTION_SUM_OVER_BATCH_SIZE);
        CHECK_OK(gru_loss(&c, GRU_F32, R, N, ytf, ypf, NULL, &l32, NULL, df));
        CHECK_OK(gru_loss(&c, GRU_F64, R, N, yt64, yp64, NULL, &l64, NULL, d));
        l32f = (float)l32;
        CHECK_MSG((double)l32f == l32, "f32 loss is not a float32 value");
        CHECK_MSG(fabs(l32 - l64) <= 2e-6 * fmax(1, fabs(l64)), "case %zu: %.9g vs %.17g", i,
                  l32, l64);
        for (int e = 0; e < R * N; e++)
            CHECK_MSG(fabs((double)df[e] - d[e]) <= 2e-6 * fmax(1, fabs(d[e])), "case %zu grad %d", i, e);
    }
}

TEST(default_config) {
    gru_loss_config c;
    CHECK_OK(gru_loss_config_init(&c, GRU_LOSS_BCE));
    CHECK(c.kind == GRU_LOSS_BCE && !c.from_logits && c.label_smoothing == 0 &&
          c.reduction == GRU_REDUCTION_SUM_OVER_BATCH_SIZE);
}

/* ---- rejections ------------------------------------------------------------ */

TEST(reject_bad_config) {
    gru_loss_config c;
    double l;
    CHECK_REJECT(gru_loss_config_init(&c, (gru_loss_kind)7), GRU_E_ARG, "kind");
    CHECK_REJECT(gru_loss_config_init(NULL, GRU_LOSS_MSE), GRU_E_NULL, "cfg");
    CHECK_REJECT(gru_loss(NULL, GRU_F64, R, N, YB, P, NULL, &l, NULL, NULL), GRU_E_NULL, "cfg");
    c = cfg_of(GRU_LOSS_MSE, 0, 0, GRU_REDUCTION_SUM);
    c.kind = (gru_loss_kind)-1;
    CHECK_REJECT(gru_loss(&c, GRU_F64, R, N, YB, P, NULL, &l, NULL, NULL), GRU_E_ARG, "cfg.kind");
    c = cfg_of(GRU_LOSS_MSE, 0, 0, (gru_reduction)5);
    CHECK_REJECT(gru_loss(&c, GRU_F64, R, N, YB, P, NULL, &l, NULL, NULL), GRU_E_ARG,
                 "cfg.reduction");
    c = cfg_of(GRU_LOSS_MSE, 1, 0, GRU_REDUCTION_SUM);
    CHECK_REJECT(gru_loss(&c, GRU_F64, R, N, YB, P, NULL, &l, NULL, NULL), GRU_E_ARG,
                 "cfg.from_logits");
    c = cfg_of(GRU_LOSS_BCE, 0, 1.5, GRU_REDUCTION_SUM);
    CHECK_REJECT(gru_loss(&c, GRU_F64, R, N, YB, P, NULL, &l, NULL, NULL), GRU_E_ARG,
                 "cfg.label_smoothing");
    c = cfg_of(GRU_LOSS_BCE, 0, NAN, GRU_REDUCTION_SUM);
    CHECK_REJECT(gru_loss(&c, GRU_F64, R, N, YB, P, NULL, &l, NULL, NULL), GRU_E_ARG,
                 "cfg.label_smoothing");
    c = cfg_of(GRU_LOSS_SPARSE_CCE, 0, 0.1, GRU_REDUCTION_SUM);
    CHECK_REJECT(gru_loss(&c, GRU_F64, R, N, YS, P, NULL, &l, NULL, NULL), GRU_E_ARG,
                 "label_smoothing must be 0");
}

TEST(reject_bad_shapes_and_buffers) {
    gru_loss_config c = cfg_of(GRU_LOSS_MSE, 0, 0, GRU_REDUCTION_SUM_OVER_BATCH_SIZE);
    double l;
    CHECK_REJECT(gru_loss(&c, GRU_F64, 0, N, YB, P, NULL, &l, NULL, NULL), GRU_E_SHAPE, "rows");
    CHECK_REJECT(gru_loss(&c, GRU_F64, R, 0, YB, P, NULL, &l, NULL, NULL), GRU_E_SHAPE, "'n'");
    CHECK_REJECT(gru_loss(&c, GRU_F64, SIZE_MAX / 2, 4, YB, P, NULL, &l, NULL, NULL),
                 GRU_E_OVERFLOW, "overflows");
    CHECK_REJECT(gru_loss(&c, (gru_dtype)3, R, N, YB, P, NULL, &l, NULL, NULL), GRU_E_DTYPE,
                 "dtype");
    CHECK_REJECT(gru_loss(&c, GRU_F64, R, N, NULL, P, NULL, &l, NULL, NULL), GRU_E_NULL, "y_true");
    CHECK_REJECT(gru_loss(&c, GRU_F64, R, N, YB, NULL, NULL, &l, NULL, NULL), GRU_E_NULL, "y_pred");
}

TEST(reject_bad_sparse_labels) {
    gru_loss_config c = cfg_of(GRU_LOSS_SPARSE_CCE, 0, 0, GRU_REDUCTION_SUM_OVER_BATCH_SIZE);
    double l;
    const double out_of_range[R] = {0, 4, 1}, fractional[R] = {0, 1.5, 1}, neg[R] = {-1, 0, 0};
    CHECK_REJECT(gru_loss(&c, GRU_F64, R, N, out_of_range, P, NULL, &l, NULL, NULL), GRU_E_ARG,
                 "row 1");
    CHECK_REJECT(gru_loss(&c, GRU_F64, R, N, fractional, P, NULL, &l, NULL, NULL), GRU_E_ARG,
                 "class index");
    CHECK_REJECT(gru_loss(&c, GRU_F64, R, N, neg, P, NULL, &l, NULL, NULL), GRU_E_ARG, "row 0");
}

TEST(reject_non_finite_loss) {
    gru_loss_config c = cfg_of(GRU_LOSS_MSE, 0, 0, GRU_REDUCTION_SUM_OVER_BATCH_SIZE);
    double yp[R * N], l;
    memcpy(yp, P, sizeof yp);
    yp[5] = NAN;
    CHECK_REJECT(gru_loss(&c, GRU_F64, R, N, YB, yp, NULL, &l, NULL, NULL), GRU_E_NUMERIC, "NaN");
    CHECK(isnan(l));
    yp[5] = INFINITY;
    CHECK_REJECT(gru_loss(&c, GRU_F64, R, N, YB, yp, NULL, &l, NULL, NULL), GRU_E_NUMERIC,
                 "infinite");
}

void tests_losses(void) {
    TR_RUN(values_match_the_keras_formulas);
    TR_RUN(keras_docstring_examples);
    TR_RUN(gradients_match_finite_differences);
    TR_RUN(clipping_and_its_gradient);
    TR_RUN(float32_follows_float64);
    TR_RUN(default_config);
    TR_RUN(reject_bad_config);
    TR_RUN(reject_bad_shapes_and_buffers);
    TR_RUN(reject_bad_sparse_labels);
    TR_RUN(reject_non_finite_loss);
}
