/* Constraints: name lookup, projections worked by hand, norm properties, the
 * radial constraint, and rejection of bad input. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "internal.h"
#include "runner.h"

#define DNAN ((double)NAN)
#define DINF ((double)INFINITY)

void tests_constraints(void);

#define EPS 1e-7 /* Keras backend.epsilon() */

static gru_constraint con(gru_constraint_kind kind, double max_value, double min_value,
                          double rate, int axis) {
    gru_constraint c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    c.max_value = max_value;
    c.min_value = min_value;
    c.rate = rate;
    c.axis = axis;
    return c;
}

static void fill(double *w, size_t n, uint64_t seed, double scale) {
    uint64_t s = seed * 0x9E3779B97F4A7C15u + 1u;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005u + 1442695040888963407u;
        w[i] = scale * (2.0 * ((double)(s >> 11) / 9007199254740992.0) - 1.0);
    }
}

/* Norm of column j of a (rows, cols) matrix. */
static double col_norm(const double *w, size_t rows, size_t cols, size_t j) {
    double s = 0.0;
    for (size_t i = 0; i < rows; i++) s += w[i * cols + j] * w[i * cols + j];
    return sqrt(s);
}

TEST(con_names) {
    gru_constraint c;
    static const char *const maxn[] = {"max_norm", "maxnorm", "MaxNorm"};
    for (int i = 0; i < 3; i++) {
        CHECK_OK(gru_constraint_from_name(maxn[i], &c));
        CHECK(c.kind == GRU_CONSTRAINT_MAX_NORM && c.max_value == 2.0 && c.axis == 0);
    }
    static const char *const nn[] = {"non_neg", "nonneg", "NonNeg"};
    for (int i = 0; i < 3; i++) {
        CHECK_OK(gru_constraint_from_name(nn[i], &c));
        CHECK(c.kind == GRU_CONSTRAINT_NON_NEG);
    }
    static const char *const un[] = {"unit_norm", "unitnorm", "UnitNorm"};
    for (int i = 0; i < 3; i++) {
        CHECK_OK(gru_constraint_from_name(un[i], &c));
        CHECK(c.kind == GRU_CONSTRAINT_UNIT_NORM && c.axis == 0);
    }
    static const char *const mm[] = {"min_max_norm", "MinMaxNorm"};
    for (int i = 0; i < 2; i++) {
        CHECK_OK(gru_constraint_from_name(mm[i], &c));
        CHECK(c.kind == GRU_CONSTRAINT_MIN_MAX_NORM && c.min_value == 0.0 &&
              c.max_value == 1.0 && c.rate == 1.0 && c.axis == 0);
    }
    CHECK_OK(gru_constraint_from_name("radial_constraint", &c));
    CHECK(c.kind == GRU_CONSTRAINT_RADIAL);
    CHECK_OK(gru_constraint_from_name("RadialConstraint", &c));
    CHECK(c.kind == GRU_CONSTRAINT_RADIAL);
    c.kind = GRU_CONSTRAINT_RADIAL;
    CHECK_OK(gru_constraint_from_name(NULL, &c));
    CHECK(c.kind == GRU_CONSTRAINT_NONE);
    c.kind = GRU_CONSTRAINT_RADIAL;
    CHECK_OK(gru_constraint_from_name("", &c));
    CHECK(c.kind == GRU_CONSTRAINT_NONE);
    CHECK_OK(gru_constraint_from_name("Constraint", &c)); /* base class: identity */
    CHECK(c.kind == GRU_CONSTRAINT_NONE);
    /* Keras has no "minmaxnorm" or "radialconstraint" alias */
    CHECK_REJECT(gru_constraint_from_name("minmaxnorm", &c), GRU_E_NAME, "constraint");
    CHECK_REJECT(gru_constraint_from_name("radialconstraint", &c), GRU_E_NAME, "constraint");
    CHECK_REJECT(gru_constraint_from_name("bogus", &c), GRU_E_NAME, "'bogus'");
    CHECK_REJECT(gru_constraint_from_name("max_norm", NULL), GRU_E_NULL, "out");
}

TEST(con_max_norm) {
    /* columns: (3,4) norm 5 -> 2/(5+eps); (0.3,0.4) norm 0.5 -> 0.5/(0.5+eps);
     * (0,0) stays 0 */
    double w[6] = {3, 0.3, 0, 4, 0.4, 0};
    const size_t shape[2] = {2, 3};
    gru_constraint c;
    CHECK_OK(gru_constraint_from_name("max_norm", &c));
    CHECK_OK(gru_constraint_apply(&c, GRU_F64, 2, shape, w));
    const double s0 = 2.0 / (EPS + 5.0), s1 = 0.5 / (EPS + 0.5);
    CHECK(w[0] == 3 * s0 && w[3] == 4 * s0);
    CHECK(w[1] == 0.3 * s1 && w[4] == 0.4 * s1); /* scaled by norm/(norm+eps) */
    CHECK(w[2] == 0.0 && w[5] == 0.0);

    /* float32: the same with float arithmetic */
    float wf[6] = {3, 0.3f, 0, 4, 0.4f, 0};
    CHECK_OK(gru_constraint_apply(&c, GRU_F32, 2, shape, wf));
    const float f0 = 2.0f / ((float)EPS + 5.0f);
    CHECK(wf[0] == 3.0f * f0 && wf[3] == 4.0f * f0);

    /* a negative max_value clips to 0 (backend.clip: max := min) */
    double z[2] = {3, 4};
    c.max_value = -1.0;
    CHECK_OK(gru_constraint_apply(&c, GRU_F64, 1, (const size_t[]){2}, z));
    CHECK(z[0] == 0.0 && z[1] == 0.0);

    /* property on a random (5, 4) matrix, axis 0 and axis -1 (= 1) */
    double r[20];
    fill(r, 20, 3, 4.0);
    c = con(GRU_CONSTRAINT_MAX_NORM, 1.5, 0, 0, 0);
    CHECK_OK(gru_constraint_apply(&c, GRU_F64, 2, (const size_t[]){5, 4}, r));
    for (size_t j = 0; j < 4; j++) CHECK(col_norm(r, 5, 4, j) <= 1.5);
    fill(r, 20, 4, 4.0);
    c.axis = -1;
    CHECK_OK(gru_constraint_apply(&c, GRU_F64, 2, (const size_t[]){5, 4}, r));
    for (size_t i = 0; i < 5; i++) {
        double s = 0.0;
        for (size_t j = 0; j < 4; j++) s += r[i * 4 + j] * r[i * 4 + j];
        CHECK(sqrt(s) <= 1.5);
    }

    /* non-finite: an inf in a column gives NaN there and 0 elsewhere */
    double q[2] = {DINF, 1.0};
    c = con(GRU_CONSTRAINT_MAX_NORM, 2.0, 0, 0, 0);
    CHECK_OK(gru_constraint_apply(&c, GRU_F64, 2, (const size_t[]){2, 1}, q));
    CHECK(isnan(q[0]) && q[1] == 0.0);
}

TEST(con_unit_norm) {
    /* (2, 3, 4) with axis 1: every (i, :, k) has norm ~1 (slightly under, eps) */
    double w[24];
    float wf[24];
    fill(w, 24, 5, 3.0);
    for (int i = 0; i < 24; i++) wf[i] = (float)w[i];
    const size_t shape[3] = {2, 3, 4};
    gru_constraint c;
    CHECK_OK(gru_constraint_from_name("unit_norm", &c));
    c.axis = 1;
    CHECK_OK(gru_constraint_apply(&c, GRU_F64, 3, shape, w));
    CHECK_OK(gru_constraint_apply(&c, GRU_F32, 3, shape, wf));
    for (size_t i = 0; i < 2; i++)
        for (size_t k = 0; k < 4; k++) {
            double s = 0.0, sf = 0.0;
            for (size_t j = 0; j < 3; j++) {
                s += w[(i * 3 + j) * 4 + k] * w[(i * 3 + j) * 4 + k];
                sf += (double)wf[(i * 3 + j) * 4 + k] * (double)wf[(i * 3 + j) * 4 + k];
            }
            CHECK_NEAR(sqrt(s), 1.0, 1e-6);
            CHECK(sqrt(s) < 1.0);
            CHECK_NEAR(sqrt(sf), 1.0, 1e-6);
        }
    /* by hand: (3, 4) -> (3, 4) / (5 + eps); zero column stays zero */
    double h[4] = {3, 0, 4, 0};
    c.axis = 0;
    CHECK_OK(gru_constraint_apply(&c, GRU_F64, 2, (const size_t[]){2, 2}, h));
    CHECK(h[0] == 3.0 / (5.0 + EPS) && h[2] == 4.0 / (5.0 + EPS) && h[1] == 0.0 && h[3] == 0.0);
    /* empty tensors are fine, with NULL data */
    CHECK_OK(gru_constraint_apply(&c, GRU_F64, 2, (const size_t[]){0, 3}, NULL));
}

TEST(con_min_max_norm) {
    /* min 1, max 3, rate 0.5: column norm 5 -> 0.5*3 + 0.5*5 = 4;
     * column norm 0.5 -> 0.5*1 + 0.5*0.5 = 0.75; norm 2 -> 2 */
    double w[6] = {3, 0.3, 1.2, 4, 0.4, 1.6};
    gru_constraint c = con(GRU_CONSTRAINT_MIN_MAX_NORM, 3.0, 1.0, 0.5, 0);
    CHECK_OK(gru_constraint_apply(&c, GRU_F64, 2, (const size_t[]){2, 3}, w));
    CHECK_NEAR(col_norm(w, 2, 3, 0), 4.0 * 5.0 / (5.0 + EPS), 1e-14);
    CHECK_NEAR(col_norm(w, 2, 3, 1), 0.75 * 0.5 / (0.5 + EPS), 1e-14);
    CHECK_NEAR(col_norm(w, 2, 3, 2), 2.0 * 2.0 / (2.0 + EPS), 1e-14);
    CHECK_NEAR(w[0], 3.0 * (4.0 / (5.0 + EPS)), 1e-15);

    /* min > max: max := min, so every norm becomes min (rate 1) */
    double v[4] = {3, 0.03, 4, 0.04};
    c = con(GRU_CONSTRAINT_MIN_MAX_NORM, 1.0, 2.0, 1.0, 0);
    CHECK_OK(gru_constraint_apply(&c, GRU_F64, 2, (const size_t[]){2, 2}, v));
    CHECK_NEAR(col_norm(v, 2, 2, 0), 2.0, 1e-6);
    CHECK_NEAR(col_norm(v, 2, 2, 1), 2.0, 1e-4);

    /* defaults (0, 1, rate 1) on f32: norms <= 1 */
    float f[12];
    double d[12];
    fill(d, 12, 9, 2.0);
    for (int i = 0; i < 12; i++) f[i] = (float)d[i];
    CHECK_OK(gru_constraint_from_name("min_max_norm", &c));
    CHECK_OK(gru_constraint_apply(&c, GRU_F32, 2, (const size_t[]){3, 4}, f));
    CHECK_OK(gru_constraint_apply(&c, GRU_F64, 2, (const size_t[]){3, 4}, d));
    for (int i = 0; i < 12; i++) CHECK_NEAR(f[i], d[i], 1e-6);
    for (size_t j = 0; j < 4; j++) CHECK(col_norm(d, 3, 4, j) <= 1.0);
}

TEST(con_non_neg) {
    double w[7] = {-1.0, -0.0, 0.0, 2.0, DNAN, -DINF, DINF};
    float f[7] = {-1.0f, -0.0f, 0.0f, 2.0f, NAN, -INFINITY, INFINITY};
    gru_constraint c;
    CHECK_OK(gru_constraint_from_name("non_neg", &c));
    CHECK_OK(gru_constraint_apply(&c, GRU_F64, 1, (const size_t[]){7}, w));
    CHECK_OK(gru_constraint_apply(&c, GRU_F32, 1, (const size_t[]){7}, f));
    /* w * (w >= 0): negatives -> -0.0, NaN stays NaN, -inf * 0 = NaN */
    CHECK(w[0] == 0.0 && signbit(w[0]));
    CHECK(w[1] == 0.0 && signbit(w[1]));
    CHECK(w[2] == 0.0 && !signbit(w[2]));
    CHECK(w[3] == 2.0);
    CHECK(isnan(w[4]) && isnan(w[5]));
    CHECK(isinf(w[6]) && w[6] > 0);
    CHECK(f[0] == 0.0f && signbit(f[0]) && f[3] == 2.0f && isnan(f[4]) && isnan(f[5]));
    /* rank 0 */
    double s = -3.0;
    CHECK_OK(gru_constraint_apply(&c, GRU_F64, 0, NULL, &s));
    CHECK(s == 0.0 && signbit(s));
}

TEST(con_radial) {
    gru_constraint c;
    CHECK_OK(gru_constraint_from_name("radial_constraint", &c));

    /* 4x4, one channel, w[r][c] = 4r + c. tf-keras' code (not its docstring,
     * which shows the two values swapped) puts k[1][1] = 5 in the central 2x2
     * block and k[3][3] = 15 on the outer ring. */
    double w[16];
    for (int i = 0; i < 16; i++) w[i] = i;
    CHECK_OK(gru_constraint_apply(&c, GRU_F64, 4, (const size_t[]){4, 4, 1, 1}, w));
    static const double want4[16] = {15, 15, 15, 15, 15, 5, 5, 15, 15, 5, 5, 15, 15, 15, 15, 15};
    for (int i = 0; i < 16; i++) CHECK_MSG(w[i] == want4[i], "4x4 [%d] = %g", i, w[i]);

    /* 3x3 with 2 channels and 1 kernel (interleaved last axis): odd size puts
     * k[0][0] in the centre and k[1][1] on the ring, per channel. */
    float f[18];
    for (int i = 0; i < 18; i++) f[i] = (float)i;
    CHECK_OK(gru_constraint_apply(&c, GRU_F32, 4, (const size_t[]){3, 3, 2, 1}, f));
    for (int r = 0; r < 3; r++)
        for (int col = 0; col < 3; col++)
            for (int ch = 0; ch < 2; ch++) {
                float want = (r == 1 && col == 1) ? (float)(0 * 6 + 0 * 2 + ch)  /* k[0][0] */
                                                  : (float)(1 * 6 + 1 * 2 + ch); /* k[1][1] */
                CHECK(f[(r * 3 + col) * 2 + ch] == want);
            }

    /* 5x5: centre k[1][1] = 6, ring 1 k[2][2] = 12, ring 2 k[3][3] = 18 */
    double q[25];
    for (int i = 0; i < 25; i++) q[i] = i;
    CHECK_OK(gru_constraint_apply(&c, GRU_F64, 4, (const size_t[]){5, 5, 1, 1}, q));
    for (int r = 0; r < 5; r++)
        for (int col = 0; col < 5; col++) {
            int d = abs(r - 2) > abs(col - 2) ? abs(r - 2) : abs(col - 2);
            double want = d == 0 ? 6 : d == 1 ? 12 : 18;
            CHECK(q[r * 5 + col] == want);
        }

    /* 2x2: everything becomes k[0][0] */
    double t[8] = {1, 2, 3, 4, 5, 6, 7, 8}; /* (2, 2, 1, 2): two kernels */
    CHECK_OK(gru_constraint_apply(&c, GRU_F64, 4, (const size_t[]){2, 2, 1, 2}, t));
    for (int i = 0; i < 8; i++) CHECK(t[i] == (i % 2 ? 2.0 : 1.0));

    /* where Keras raises */
    CHECK_REJECT(gru_constraint_apply(&c, GRU_F64, 2, (const size_t[]){4, 4}, w), GRU_E_SHAPE,
                 "rank 4");
    CHECK_REJECT(gru_constraint_apply(&c, GRU_F64, 4, (const size_t[]){3, 4, 1, 1}, w),
                 GRU_E_SHAPE, "shape");
    CHECK_REJECT(gru_constraint_apply(&c, GRU_F64, 4, (const size_t[]){1, 1, 1, 1}, w),
                 GRU_E_SHAPE, "shape");
}

TEST(con_bad_inputs) {
    double w[4] = {1, 2, 3, 4};
    const size_t shape[2] = {2, 2};
    gru_constraint c = con(GRU_CONSTRAINT_MAX_NORM, 2.0, 0, 0, 0);
    CHECK_REJECT(gru_constraint_apply(NULL, GRU_F64, 2, shape, w), GRU_E_NULL, "`c`");
    CHECK_REJECT(gru_constraint_apply(&c, GRU_F64, 2, NULL, w), GRU_E_NULL, "shape");
    CHECK_REJECT(gru_constraint_apply(&c, GRU_F64, 2, shape, NULL), GRU_E_NULL, "`w`");
    CHECK_REJECT(gru_constraint_apply(&c, (gru_dtype)3, 2, shape, w), GRU_E_DTYPE, "dtype");
    const size_t huge[3] = {SIZE_MAX / 2, 2, 2};
    CHECK_REJECT(gru_constraint_apply(&c, GRU_F64, 3, huge, w), GRU_E_OVERFLOW, "shape");
    /* axis out of range, as TF's "Invalid reduction dimension" */
    c.axis = 2;
    CHECK_REJECT(gru_constraint_apply(&c, GRU_F64, 2, shape, w), GRU_E_SHAPE, "axis");
    c.axis = -3;
    CHECK_REJECT(gru_constraint_apply(&c, GRU_F64, 2, shape, w), GRU_E_SHAPE, "axis");
    c.axis = 0;
    CHECK_REJECT(gru_constraint_apply(&c, GRU_F64, 0, NULL, w), GRU_E_SHAPE, "axis");
    c.axis = -2;
    CHECK_OK(gru_constraint_apply(&c, GRU_F64, 2, shape, w));
    /* bad values */
    c = con(GRU_CONSTRAINT_MAX_NORM, DNAN, 0, 0, 0);
    CHECK_REJECT(gru_constraint_apply(&c, GRU_F64, 2, shape, w), GRU_E_ARG, "c.max_value");
    c = con(GRU_CONSTRAINT_MIN_MAX_NORM, 1, 0, DNAN, 0);
    CHECK_REJECT(gru_constraint_apply(&c, GRU_F64, 2, shape, w), GRU_E_ARG, "c.rate");
    c = con(GRU_CONSTRAINT_MIN_MAX_NORM, 1, DNAN, 1, 0);
    CHECK_REJECT(gru_constraint_apply(&c, GRU_F64, 2, shape, w), GRU_E_ARG, "c.min_value");
    c = con((gru_constraint_kind)42, 1, 0, 1, 0);
    CHECK_REJECT(gru_constraint_apply(&c, GRU_F64, 2, shape, w), GRU_E_ARG, "c.kind");
    /* the validator the cell uses names the cell's argument */
    char msg[GRU_ERRMSG_MAX] = "";
    c = con(GRU_CONSTRAINT_MAX_NORM, DNAN, 0, 0, 0);
    CHECK_STATUS(gru__constraint_check(&c, "cfg.kernel_constraint", msg), GRU_E_ARG);
    CHECK(strstr(msg, "cfg.kernel_constraint.max_value") != NULL);
    /* unused fields of other kinds are not looked at; inf is a valid bound */
    c = con(GRU_CONSTRAINT_NON_NEG, DNAN, DNAN, DNAN, 99);
    CHECK_OK(gru__constraint_check(&c, "cfg.bias_constraint", NULL));
    c = con(GRU_CONSTRAINT_MAX_NORM, DINF, DNAN, DNAN, 0);
    CHECK_OK(gru__constraint_check(&c, "cfg.bias_constraint", NULL));
    /* none leaves w alone, and accepts any shape */
    gru_constraint none;
    CHECK_OK(gru_constraint_from_name(NULL, &none));
    double keep[4] = {-1, 2, -3, 4};
    CHECK_OK(gru_constraint_apply(&none, GRU_F64, 2, shape, keep));
    CHECK(keep[0] == -1 && keep[2] == -3);
}

void tests_constraints(void) {
    TR_RUN(con_names);
    TR_RUN(con_max_norm);
    TR_RUN(con_unit_norm);
    TR_RUN(con_min_max_norm);
    TR_RUN(con_non_neg);
    TR_RUN(con_radial);
    TR_RUN(con_bad_inputs);
}
