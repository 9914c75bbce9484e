/* Initializers: names and Keras defaults, fan rules for ranks 0..4, bounds and
 * moments of every distribution, orthogonality, identity, constants, seeds,
 * and rejection of bad input. Expected values are computed here from the
 * Keras formulas, independently of src/initializers.c. Statistical
 * tolerances are about 5 standard errors (fixed seeds: deterministic). */
#include "runner.h"

#include <float.h>
#include <stdint.h>
#include <stdlib.h>

#include "internal.h" /* gru__initializer_check */

void tests_initializers(void);

/* Standard deviation of N(0,1) truncated to [-2, 2], from its closed form
 * (not the constant in the source): var = 1 - 2*2*phi(2)/(Phi(2)-Phi(-2)). */
static double trunc2_var(void) {
    double pi = 3.14159265358979323846;
    double phi2 = exp(-2.0) / sqrt(2.0 * pi);
    double z = erf(2.0 / sqrt(2.0));
    return 1.0 - 4.0 * phi2 / z;
}

static void moments(const double *v, size_t n, double *mean, double *var) {
    double s = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) s += v[i];
    double m = s / (double)n;
    for (size_t i = 0; i < n; i++) s2 += (v[i] - m) * (v[i] - m);
    *mean = m;
    *var = s2 / (double)n;
}

static double absmax(const double *v, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(v[i]) > m) m = fabs(v[i]);
    return m;
}

static gru_initializer named(const char *name) {
    gru_initializer in;
    memset(&in, 0, sizeof in);
    gru_status s = gru_initializer_from_name(name, &in);
    if (s != GRU_OK) in.kind = (gru_init_kind)-1; /* makes the next fill fail loudly */
    return in;
}

static gru_initializer vs(double scale, gru_fan_mode mode, gru_distribution d) {
    gru_initializer in = named("variance_scaling");
    in.scale = scale;
    in.mode = mode;
    in.distribution = d;
    return in;
}

/* ------------------------------------------------------------------------ */
/* Names.                                                                    */
/* ------------------------------------------------------------------------ */
typedef struct name_case {
    const char *name;
    gru_init_kind kind;
    double scale;
    int mode, dist; /* variance scaling only */
} name_case;

TEST(init_names_and_defaults) {
    /* The strings tf-keras 2.21 initializers.get accepts (checked in Python). */
    const name_case cases[] = {
        {"zeros", GRU_INIT_ZEROS, 0, 0, 0}, {"Zeros", GRU_INIT_ZEROS, 0, 0, 0},
        {"ZerosV2", GRU_INIT_ZEROS, 0, 0, 0}, {"zero", GRU_INIT_ZEROS, 0, 0, 0},
        {"ones", GRU_INIT_ONES, 0, 0, 0}, {"Ones", GRU_INIT_ONES, 0, 0, 0},
        {"OnesV2", GRU_INIT_ONES, 0, 0, 0}, {"one", GRU_INIT_ONES, 0, 0, 0},
        {"constant", GRU_INIT_CONSTANT, 0, 0, 0}, {"Constant", GRU_INIT_CONSTANT, 0, 0, 0},
        {"ConstantV2", GRU_INIT_CONSTANT, 0, 0, 0},
        {"random_normal", GRU_INIT_RANDOM_NORMAL, 0, 0, 0},
        {"RandomNormal", GRU_INIT_RANDOM_NORMAL, 0, 0, 0},
        {"RandomNormalV2", GRU_INIT_RANDOM_NORMAL, 0, 0, 0},
        {"normal", GRU_INIT_RANDOM_NORMAL, 0, 0, 0},
        {"random_uniform", GRU_INIT_RANDOM_UNIFORM, 0, 0, 0},
        {"RandomUniform", GRU_INIT_RANDOM_UNIFORM, 0, 0, 0},
        {"RandomUniformV2", GRU_INIT_RANDOM_UNIFORM, 0, 0, 0},
        {"uniform", GRU_INIT_RANDOM_UNIFORM, 0, 0, 0},
        {"truncated_normal", GRU_INIT_TRUNCATED_NORMAL, 0, 0, 0},
        {"TruncatedNormal", GRU_INIT_TRUNCATED_NORMAL, 0, 0, 0},
        {"TruncatedNormalV2", GRU_INIT_TRUNCATED_NORMAL, 0, 0, 0},
        {"orthogonal", GRU_INIT_ORTHOGONAL, 0, 0, 0}, {"Orthogonal", GRU_INIT_ORTHOGONAL, 0, 0, 0},
        {"OrthogonalV2", GRU_INIT_ORTHOGONAL, 0, 0, 0},
        {"identity", GRU_INIT_IDENTITY, 0, 0, 0}, {"Identity", GRU_INIT_IDENTITY, 0, 0, 0},
        {"IdentityV2", GRU_INIT_IDENTITY, 0, 0, 0},
#define VSC(n, sc, m, d) {n, GRU_INIT_VARIANCE_SCALING, sc, m, d}
        VSC("variance_scaling", 1, GRU_FAN_IN, GRU_DIST_TRUNCATED_NORMAL),
        VSC("VarianceScaling", 1, GRU_FAN_IN, GRU_DIST_TRUNCATED_NORMAL),
        VSC("VarianceScalingV2", 1, GRU_FAN_IN, GRU_DIST_TRUNCATED_NORMAL),
        VSC("glorot_uniform", 1, GRU_FAN_AVG, GRU_DIST_UNIFORM),
        VSC("GlorotUniform", 1, GRU_FAN_AVG, GRU_DIST_UNIFORM),
        VSC("GlorotUniformV2", 1, GRU_FAN_AVG, GRU_DIST_UNIFORM),
        VSC("glorot_uniformV2", 1, GRU_FAN_AVG, GRU_DIST_UNIFORM),
        VSC("glorot_normal", 1, GRU_FAN_AVG, GRU_DIST_TRUNCATED_NORMAL),
        VSC("GlorotNormal", 1, GRU_FAN_AVG, GRU_DIST_TRUNCATED_NORMAL),
        VSC("GlorotNormalV2", 1, GRU_FAN_AVG, GRU_DIST_TRUNCATED_NORMAL),
        VSC("glorot_normalV2", 1, GRU_FAN_AVG, GRU_DIST_TRUNCATED_NORMAL),
        VSC("he_uniform", 2, GRU_FAN_IN, GRU_DIST_UNIFORM),
        VSC("HeUniform", 2, GRU_FAN_IN, GRU_DIST_UNIFORM),
        VSC("HeUniformV2", 2, GRU_FAN_IN, GRU_DIST_UNIFORM),
        VSC("he_uniformV2", 2, GRU_FAN_IN, GRU_DIST_UNIFORM),
        VSC("he_normal", 2, GRU_FAN_IN, GRU_DIST_TRUNCATED_NORMAL),
        VSC("HeNormal", 2, GRU_FAN_IN, GRU_DIST_TRUNCATED_NORMAL),
        VSC("HeNormalV2", 2, GRU_FAN_IN, GRU_DIST_TRUNCATED_NORMAL),
        VSC("he_normalV2", 2, GRU_FAN_IN, GRU_DIST_TRUNCATED_NORMAL),
        VSC("lecun_uniform", 1, GRU_FAN_IN, GRU_DIST_UNIFORM),
        VSC("LecunUniform", 1, GRU_FAN_IN, GRU_DIST_UNIFORM),
        VSC("LecunUniformV2", 1, GRU_FAN_IN, GRU_DIST_UNIFORM),
        VSC("lecun_uniformV2", 1, GRU_FAN_IN, GRU_DIST_UNIFORM),
        VSC("lecun_normal", 1, GRU_FAN_IN, GRU_DIST_TRUNCATED_NORMAL),
        VSC("LecunNormal", 1, GRU_FAN_IN, GRU_DIST_TRUNCATED_NORMAL),
        VSC("LecunNormalV2", 1, GRU_FAN_IN, GRU_DIST_TRUNCATED_NORMAL),
        VSC("lecun_normalV2", 1, GRU_FAN_IN, GRU_DIST_TRUNCATED_NORMAL),
#undef VSC
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const name_case *c = &cases[i];
        gru_initializer in;
        memset(&in, 0xAB, sizeof in);
        CHECK_OK(gru_initializer_from_name(c->name, &in));
        CHECK_MSG(in.kind == c->kind, "%s: kind %d, want %d", c->name, (int)in.kind, (int)c->kind);
        CHECK_MSG(!in.has_seed, "%s: has_seed set", c->name);
        /* Keras defaults of every option, whatever the kind */
        CHECK(in.value == 0.0 && in.mean == 0.0 && in.stddev == 0.05);
        CHECK(in.minval == -0.05 && in.maxval == 0.05 && in.gain == 1.0);
        if (c->kind == GRU_INIT_VARIANCE_SCALING) {
            CHECK_MSG(in.scale == c->scale && (int)in.mode == c->mode &&
                          (int)in.distribution == c->dist,
                      "%s: scale %g mode %d dist %d", c->name, in.scale, (int)in.mode,
                      (int)in.distribution);
        }
        CHECK_OK(gru__initializer_check(&in, "kernel_initializer", NULL));
    }
}

TEST(init_from_name_rejects) {
    gru_initializer in;
    CHECK_REJECT(gru_initializer_from_name(NULL, &in), GRU_E_NULL, "initializer");
    CHECK_REJECT(gru_initializer_from_name("zeros", NULL), GRU_E_NULL, "out");
    CHECK_REJECT(gru_initializer_from_name("", &in), GRU_E_NAME, "initializer");
    CHECK_REJECT(gru_initializer_from_name("glorot", &in), GRU_E_NAME, "'glorot'");
    CHECK_REJECT(gru_initializer_from_name("GLOROT_UNIFORM", &in), GRU_E_NAME, "GLOROT_UNIFORM");
    CHECK_REJECT(gru_initializer_from_name("Zero", &in), GRU_E_NAME, "Zero");
    CHECK_REJECT(gru_initializer_from_name("untruncated_normal", &in), GRU_E_NAME, "initializer");
    CHECK_REJECT(gru_initializer_from_name("Initializer", &in), GRU_E_UNSUPPORTED, "Initializer");
    char longname[600];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    CHECK_REJECT(gru_initializer_from_name(longname, &in), GRU_E_NAME, "initializer");
}

/* ------------------------------------------------------------------------ */
/* Fan rules.                                                                */
/* ------------------------------------------------------------------------ */
/* For each shape of rank 0..4 and each mode: uniform draws stay inside the
 * Keras limit sqrt(3*scale/n) and come close to it (max over >= 2000 draws). */
TEST(init_fan_rules_ranks_0_to_4) {
    struct {
        size_t ndim;
        size_t shape[4];
        double fan_in, fan_out; /* Keras _compute_fans, worked by hand */
    } cases[] = {
        {0, {0}, 1, 1},
        {1, {7}, 7, 7},
        {2, {5, 9}, 5, 9},
        {3, {3, 4, 6}, 12, 18},    /* receptive 3 */
        {4, {2, 3, 4, 5}, 24, 30}, /* receptive 6 */
        {2, {1, 1}, 1, 1},
    };
    const gru_fan_mode modes[3] = {GRU_FAN_IN, GRU_FAN_OUT, GRU_FAN_AVG};
    double buf[120];
    gru_rng rng;
    gru_rng_seed(&rng, 5);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t count = 1;
        for (size_t d = 0; d < cases[c].ndim; d++) count *= cases[c].shape[d];
        for (int m = 0; m < 3; m++) {
            double n = m == 0 ? cases[c].fan_in
                       : m == 1 ? cases[c].fan_out
                                : (cases[c].fan_in + cases[c].fan_out) / 2.0;
            if (n < 1) n = 1;
            double scale = 1.7;
            double limit = sqrt(3.0 * scale / n);
            gru_initializer in = vs(scale, modes[m], GRU_DIST_UNIFORM);
            double mx = 0;
            size_t drawn = 0;
            while (drawn < 2000) {
                CHECK_OK(gru_initializer_fill(&in, &rng, GRU_F64, cases[c].ndim,
                                              cases[c].ndim ? cases[c].shape : NULL, buf));
                double a = absmax(buf, count);
                CHECK_MSG(a <= limit, "case %zu mode %d: |v| %.17g > limit %.17g", c, m, a,
                          limit);
                if (a > mx) mx = a;
                drawn += count;
            }
            CHECK_MSG(mx > 0.99 * limit, "case %zu mode %d: max %.17g, limit %.17g", c, m, mx,
                      limit);
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Distributions.                                                            */
/* ------------------------------------------------------------------------ */
#define ROWS 200
#define COLS 300

TEST(init_variance_scaling_moments) {
    static double v[ROWS * COLS];
    const size_t shape[2] = {ROWS, COLS};
    const size_t N = ROWS * COLS;
    const gru_fan_mode modes[3] = {GRU_FAN_IN, GRU_FAN_OUT, GRU_FAN_AVG};
    const double ns[3] = {ROWS, COLS, (ROWS + COLS) / 2.0};
    const gru_distribution dists[3] = {GRU_DIST_TRUNCATED_NORMAL, GRU_DIST_UNTRUNCATED_NORMAL,
                                       GRU_DIST_UNIFORM};
    const double tsd = sqrt(trunc2_var());
    gru_rng rng;
    gru_rng_seed(&rng, 11);
    for (int m = 0; m < 3; m++) {
        for (int d = 0; d < 3; d++) {
            double scale = 2.5;
            double target_var = scale / ns[m]; /* all three give variance scale/n */
            gru_initializer in = vs(scale, modes[m], dists[d]);
            CHECK_OK(gru_initializer_fill(&in, &rng, GRU_F64, 2, shape, v));
            double mean, var;
            moments(v, N, &mean, &var);
            CHECK_MSG(fabs(mean) < 5.0 * sqrt(target_var / (double)N), "m%d d%d: mean %g", m, d,
                      mean);
            /* relative sd of a sample variance: sqrt(2/N) normal, sqrt(0.8/N)
             * uniform; 5 sigma of the larger */
            CHECK_MSG(fabs(var / target_var - 1.0) < 5.0 * sqrt(2.0 / (double)N),
                      "m%d d%d: var %.6g, want %.6g", m, d, var, target_var);
            double a = absmax(v, N);
            if (dists[d] == GRU_DIST_TRUNCATED_NORMAL) {
                /* untruncated sd = sqrt(s)/tsd, cut at 2 of those */
                double bound = 2.0 * sqrt(target_var) / tsd;
                CHECK_MSG(a <= bound * (1 + 1e-12), "truncated: %g > %g", a, bound);
                CHECK(a > 0.99 * bound);
            } else if (dists[d] == GRU_DIST_UNTRUNCATED_NORMAL) {
                size_t beyond = 0; /* P(|Z| > 2) = 4.55% */
                for (size_t i = 0; i < N; i++) beyond += fabs(v[i]) > 2.0 * sqrt(target_var);
                double p = erfc(sqrt(2.0));
                CHECK_NEAR((double)beyond / (double)N, p, 5.0 * sqrt(p * (1 - p) / (double)N));
            } else {
                double limit = sqrt(3.0 * target_var);
                CHECK(a <= limit && a > 0.999 * limit);
            }
        }
    }
}

TEST(init_glorot_he_lecun_limits) {
    /* GRU kernel (F, 3U) with F = 40, U = 50: the spec's table */
    static double v[40 * 150];
    const size_t shape[2] = {40, 150};
    gru_rng rng;
    gru_rng_seed(&rng, 3);
    struct {
        const char *name;
        double limit; /* uniform: limit; normal: truncation bound 2*stddev */
    } cases[] = {
        {"glorot_uniform", sqrt(6.0 / (40 + 150))},
        {"he_uniform", sqrt(6.0 / 40)},
        {"lecun_uniform", sqrt(3.0 / 40)},
        {"glorot_normal", 2.0 * sqrt(2.0 / (40 + 150)) / sqrt(trunc2_var())},
        {"he_normal", 2.0 * sqrt(2.0 / 40) / sqrt(trunc2_var())},
        {"lecun_normal", 2.0 * sqrt(1.0 / 40) / sqrt(trunc2_var())},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        gru_initializer in = named(cases[c].name);
        CHECK_OK(gru_initializer_fill(&in, &rng, GRU_F64, 2, shape, v));
        double a = absmax(v, 40 * 150);
        CHECK_MSG(a <= cases[c].limit * (1 + 1e-12) && a > 0.98 * cases[c].limit,
                  "%s: max %g, limit %g", cases[c].name, a, cases[c].limit);
    }
}

TEST(init_random_normal_moments) {
    static double v[ROWS * COLS];
    const size_t shape[2] = {ROWS, COLS};
    const size_t N = ROWS * COLS;
    gru_rng rng;
    gru_rng_seed(&rng, 12);
    gru_initializer in = named("random_normal");
    in.mean = 0.3;
    in.stddev = 2.0;
    CHECK_OK(gru_initializer_fill(&in, &rng, GRU_F64, 2, shape, v));
    double mean, var;
    moments(v, N, &mean, &var);
    CHECK_NEAR(mean, 0.3, 5.0 * 2.0 / sqrt((double)N));
    CHECK_NEAR(var / 4.0, 1.0, 5.0 * sqrt(2.0 / (double)N));
    /* not truncated: some values beyond 2 sigma */
    size_t beyond = 0;
    for (size_t i = 0; i < N; i++) beyond += fabs(v[i] - 0.3) > 4.0;
    CHECK(beyond > N / 30);
    /* default: stddev 0.05 */
    in = named("normal");
    CHECK_OK(gru_initializer_fill(&in, &rng, GRU_F64, 2, shape, v));
    moments(v, N, &mean, &var);
    CHECK_NEAR(sqrt(var), 0.05, 0.05 * 5.0 * sqrt(0.5 / (double)N));
    CHECK_NEAR(mean, 0.0, 5.0 * 0.05 / sqrt((double)N));
}

TEST(init_truncated_normal_moments_and_bounds) {
    static double v[ROWS * COLS];
    const size_t shape[2] = {ROWS, COLS};
    const size_t N = ROWS * COLS;
    gru_rng rng;
    gru_rng_seed(&rng, 13);
    gru_initializer in = named("truncated_normal");
    in.mean = -1.0;
    in.stddev = 0.5;
    CHECK_OK(gru_initializer_fill(&in, &rng, GRU_F64, 2, shape, v));
    double mean, var, tv = trunc2_var();
    moments(v, N, &mean, &var);
    for (size_t i = 0; i < N; i++)
        CHECK_MSG(v[i] >= -2.0 && v[i] <= 0.0, "v[%zu] = %g outside mean +- 2 stddev", i, v[i]);
    CHECK_NEAR(mean, -1.0, 5.0 * 0.5 * sqrt(tv / (double)N));
    /* no 0.8796 correction: variance is stddev^2 * var(trunc N(0,1)) */
    CHECK_NEAR(var / (0.25 * tv), 1.0, 5.0 * sqrt(2.0 / (double)N));
    /* default stddev 0.05: bound 0.1 */
    in = named("TruncatedNormal");
    CHECK_OK(gru_initializer_fill(&in, &rng, GRU_F64, 2, shape, v));
    double a = absmax(v, N);
    CHECK(a <= 0.1 && a > 0.099);
    /* stddev 0: every value is the mean (and no endless redraw) */
    in.stddev = 0.0;
    in.mean = 0.25;
    CHECK_OK(gru_initializer_fill(&in, &rng, GRU_F64, 2, shape, v));
    for (size_t i = 0; i < N; i++) CHECK(v[i] == 0.25);
}

TEST(init_random_uniform_bounds_and_moments) {
    static double v[ROWS * COLS];
    static float f[ROWS * COLS];
    const size_t shape[2] = {ROWS, COLS};
    const size_t N = ROWS * COLS;
    gru_rng rng;
    gru_rng_seed(&rng, 14);
    gru_initializer in = named("uniform");
    CHECK_OK(gru_initializer_fill(&in, &rng, GRU_F64, 2, shape, v));
    double mean, var;
    for (size_t i = 0; i < N; i++) CHECK(v[i] >= -0.05 && v[i] < 0.05);
    moments(v, N, &mean, &var);
    CHECK_NEAR(mean, 0.0, 5.0 * sqrt(0.01 / 12.0 / (double)N));
    CHECK_NEAR(var / (0.01 / 12.0), 1.0, 5.0 * sqrt(0.8 / (double)N));
    in.minval = 2.0;
    in.maxval = 5.0;
    CHECK_OK(gru_initializer_fill(&in, &rng, GRU_F32, 2, shape, f));
    for (size_t i = 0; i < N; i++) {
        CHECK(f[i] >= 2.0f && f[i] <= 5.0f);
        v[i] = (double)f[i];
    }
    moments(v, N, &mean, &var);
    CHECK_NEAR(mean, 3.5, 5.0 * sqrt(9.0 / 12.0 / (double)N));
    CHECK_NEAR(var / 0.75, 1.0, 5.0 * sqrt(0.8 / (double)N));
    /* minval == maxval: a constant */
    in.minval = in.maxval = 1.5;
    CHECK_OK(gru_initializer_fill(&in, &rng, GRU_F64, 2, shape, v));
    for (size_t i = 0; i < N; i++) CHECK(v[i] == 1.5);
}

TEST(init_f32_matches_bounds) {
    static float f[ROWS * COLS];
    const size_t shape[2] = {ROWS, COLS};
    gru_rng rng;
    gru_rng_seed(&rng, 15);
    gru_initializer in = named("glorot_uniform");
    CHECK_OK(gru_initializer_fill(&in, &rng, GRU_F32, 2, shape, f));
    float limit = (float)sqrt(6.0 / (ROWS + COLS));
    float mx = 0;
    for (size_t i = 0; i < ROWS * COLS; i++) {
        CHECK(isfinite(f[i]) && fabsf(f[i]) <= limit);
        if (fabsf(f[i]) > mx) mx = fabsf(f[i]);
    }
    CHECK(mx > 0.999f * limit);
}

/* ------------------------------------------------------------------------ */
/* Orthogonal, identity, constants.                                          */
/* ------------------------------------------------------------------------ */

/* max |W W^T - g^2 I| over the rows (by_rows) or |W^T W - g^2 I| over the
 * columns of a rows x cols matrix. */
static double orth_err(const double *w, size_t rows, size_t cols, int by_rows, double g) {
    double err = 0;
    size_t k = by_rows ? rows : cols, len = by_rows ? cols : rows;
    for (size_t a = 0; a < k; a++)
        for (size_t b = 0; b < k; b++) {
            double s = 0;
            for (size_t i = 0; i < len; i++) {
                double x = by_rows ? w[a * cols + i] : w[i * cols + a];
                double y = by_rows ? w[b * cols + i] : w[i * cols + b];
                s += x * y;
            }
            double e = fabs(s - (a == b ? g * g : 0.0));
            if (e > err) err = e;
        }
    return err;
}

TEST(init_orthogonal_rows_cols) {
    struct {
        size_t ndim;
        size_t shape[3];
        size_t rows, cols;
    } cases[] = {
        {2, {8, 24}, 8, 24},    /* GRU recurrent (U, 3U): orthonormal rows */
        {2, {30, 7}, 30, 7},    /* tall: orthonormal columns */
        {2, {16, 16}, 16, 16},  /* square: both */
        {2, {1, 5}, 1, 5},
        {2, {5, 1}, 5, 1},
        {3, {2, 3, 10}, 6, 10}, /* rows = prod(shape[:-1]) */
        {3, {4, 5, 3}, 20, 3},
    };
    static double w[600];
    static float wf[600];
    static double wd[600];
    gru_rng rng;
    gru_rng_seed(&rng, 21);
    const double gains[3] = {1.0, 2.5, -0.5};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t r = cases[c].rows, k = cases[c].cols, n = r * k;
        for (int gi = 0; gi < 3; gi++) {
            gru_initializer in = named("orthogonal");
            in.gain = gains[gi];
            double g = fabs(gains[gi]);
            CHECK_OK(gru_initializer_fill(&in, &rng, GRU_F64, cases[c].ndim, cases[c].shape, w));
            if (r <= k) CHECK_MSG(orth_err(w, r, k, 1, g) < 1e-10, "case %zu rows", c);
            if (r >= k) CHECK_MSG(orth_err(w, r, k, 0, g) < 1e-10, "case %zu cols", c);
            CHECK_OK(gru_initializer_fill(&in, &rng, GRU_F32, cases[c].ndim, cases[c].shape, wf));
            for (size_t i = 0; i < n; i++) wd[i] = (double)wf[i];
            if (r <= k) CHECK_MSG(orth_err(wd, r, k, 1, g) < 1e-5 * (1 + g * g), "f32 %zu", c);
            if (r >= k) CHECK_MSG(orth_err(wd, r, k, 0, g) < 1e-5 * (1 + g * g), "f32 %zu", c);
        }
    }
}

/* With the sign(diag R) correction Q is Haar distributed: its entries are
 * symmetric about 0 (a raw Householder Q would have a fixed sign pattern),
 * and each entry of an m x n Q has mean square 1/m. */
TEST(init_orthogonal_sign_symmetry) {
    const size_t shape[2] = {6, 3};
    double w[18];
    gru_rng rng;
    gru_rng_seed(&rng, 22);
    gru_initializer in = named("orthogonal");
    enum { T = 2000 };
    int pos[18] = {0};
    double sq[18] = {0};
    for (int t = 0; t < T; t++) {
        CHECK_OK(gru_initializer_fill(&in, &rng, GRU_F64, 2, shape, w));
        for (int i = 0; i < 18; i++) {
            pos[i] += w[i] > 0;
            sq[i] += w[i] * w[i];
        }
    }
    for (int i = 0; i < 18; i++) {
        CHECK_MSG(abs(pos[i] - T / 2) < 5 * 23, "entry %d positive %d of %d", i, pos[i], T);
        CHECK_NEAR(sq[i] / T, 1.0 / 6.0, 0.02);
    }
}

TEST(init_orthogonal_rank_and_empty) {
    double w[4];
    const size_t s1[1] = {4};
    gru_rng rng;
    gru_rng_seed(&rng, 1);
    gru_initializer in = named("orthogonal");
    CHECK_REJECT(gru_initializer_fill(&in, &rng, GRU_F64, 1, s1, w), GRU_E_SHAPE, "rank");
    CHECK_REJECT(gru_initializer_fill(&in, &rng, GRU_F64, 0, NULL, w), GRU_E_SHAPE, "shape");
    const size_t s0[2] = {3, 0}, s0b[2] = {0, 3};
    CHECK_OK(gru_initializer_fill(&in, &rng, GRU_F64, 2, s0, w));
    CHECK_OK(gru_initializer_fill(&in, &rng, GRU_F64, 2, s0b, w));
}

TEST(init_identity_rectangular) {
    const size_t sw[2] = {3, 5}, st[2] = {5, 3};
    double w[15];
    float f[15];
    gru_rng rng;
    gru_rng_seed(&rng, 1);
    gru_initializer in = named("identity");
    CHECK_OK(gru_initializer_fill(&in, &rng, GRU_F64, 2, sw, w));
    for (size_t i = 0; i < 3; i++)
        for (size_t j = 0; j < 5; j++) CHECK(w[i * 5 + j] == (i == j ? 1.0 : 0.0));
    in.gain = 2.5;
    CHECK_OK(gru_initializer_fill(&in, &rng, GRU_F32, 2, st, f));
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < 3; j++) CHECK(f[i * 3 + j] == (i == j ? 2.5f : 0.0f));
    const size_t s3[3] = {2, 2, 2}, s1[1] = {4};
    CHECK_REJECT(gru_initializer_fill(&in, &rng, GRU_F64, 3, s3, w), GRU_E_SHAPE, "rank");
    CHECK_REJECT(gru_initializer_fill(&in, &rng, GRU_F64, 1, s1, w), GRU_E_SHAPE, "rank");
}

TEST(init_zeros_ones_constant) {
    const size_t shape[3] = {2, 3, 4};
    double w[24];
    float f[24];
    gru_rng rng;
    gru_rng_seed(&rng, 1);
    gru_initializer in = named("zeros");
    for (int i = 0; i < 24; i++) w[i] = 9.0;
    CHECK_OK(gru_initializer_fill(&in, &rng, GRU_F64, 3, shape, w));
    for (int i = 0; i < 24; i++) CHECK(w[i] == 0.0);
    in = named("ones");
    CHECK_OK(gru_initializer_fill(&in, &rng, GRU_F32, 3, shape, f));
    for (int i = 0; i < 24; i++) CHECK(f[i] == 1.0f);
    in = named("constant");
    CHECK_OK(gru_initializer_fill(&in, &rng, GRU_F64, 3, shape, w));
    for (int i = 0; i < 24; i++) CHECK(w[i] == 0.0); /* Keras default value=0 */
    in.value = -0.7;
    CHECK_OK(gru_initializer_fill(&in, &rng, GRU_F32, 3, shape, f));
    for (int i = 0; i < 24; i++) CHECK(f[i] == -0.7f);
    /* rank 0: one element, shape may be NULL */
    double scalar = 0;
    CHECK_OK(gru_initializer_fill(&in, &rng, GRU_F64, 0, NULL, &scalar));
    CHECK(scalar == -0.7);
    /* zero-size shape: nothing written */
    const size_t sz[2] = {0, 4};
    w[0] = 9.0;
    CHECK_OK(gru_initializer_fill(&in, &rng, GRU_F64, 2, sz, w));
    CHECK(w[0] == 9.0);
}

/* ------------------------------------------------------------------------ */
/* Seeds and determinism.                                                    */
/* ------------------------------------------------------------------------ */
TEST(init_seed_determinism) {
    const size_t shape[2] = {10, 30};
    double a[300], b[300];
    const char *names[] = {"glorot_uniform", "he_normal", "orthogonal", "random_normal",
                           "random_uniform", "truncated_normal", "lecun_normal"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        gru_initializer in = named(names[k]);
        gru_rng r1, r2;
        /* unseeded: same rng state -> same values; the rng advances */
        gru_rng_seed(&r1, 100);
        gru_rng_seed(&r2, 100);
        CHECK_OK(gru_initializer_fill(&in, &r1, GRU_F64, 2, shape, a));
        CHECK_OK(gru_initializer_fill(&in, &r2, GRU_F64, 2, shape, b));
        CHECK(memcmp(a, b, sizeof a) == 0);
        CHECK_OK(gru_initializer_fill(&in, &r1, GRU_F64, 2, shape, b));
        CHECK_MSG(memcmp(a, b, sizeof a) != 0, "%s: rng did not advance", names[k]);
        /* different rng seeds differ */
        gru_rng_seed(&r2, 101);
        CHECK_OK(gru_initializer_fill(&in, &r2, GRU_F64, 2, shape, b));
        CHECK(memcmp(a, b, sizeof a) != 0);
        /* has_seed: the initializer's own seed wins, whatever rng is, and
         * the passed rng is not consumed */
        in.has_seed = true;
        in.seed = 777;
        gru_rng_seed(&r1, 1);
        gru_rng_seed(&r2, 2);
        gru_rng before = r1;
        CHECK_OK(gru_initializer_fill(&in, &r1, GRU_F64, 2, shape, a));
        CHECK_OK(gru_initializer_fill(&in, &r2, GRU_F64, 2, shape, b));
        CHECK_MSG(memcmp(a, b, sizeof a) == 0, "%s: seeded output depends on rng", names[k]);
        CHECK(memcmp(&before, &r1, sizeof before) == 0);
        CHECK_OK(gru_initializer_fill(&in, &r1, GRU_F64, 2, shape, b));
        CHECK(memcmp(a, b, sizeof a) == 0); /* repeated call: same values, as Keras */
        in.seed = 778;
        CHECK_OK(gru_initializer_fill(&in, &r1, GRU_F64, 2, shape, b));
        CHECK_MSG(memcmp(a, b, sizeof a) != 0, "%s: seeds 777 and 778 agree", names[k]);
    }
}

/* ------------------------------------------------------------------------ */
/* Bad input.                                                                */
/* ------------------------------------------------------------------------ */
TEST(init_fill_rejects_bad_arguments) {
    const size_t shape[2] = {3, 4};
    double w[12];
    gru_rng rng;
    gru_rng_seed(&rng, 1);
    gru_initializer in = named("glorot_uniform");
    CHECK_REJECT(gru_initializer_fill(NULL, &rng, GRU_F64, 2, shape, w), GRU_E_NULL, "init");
    CHECK_REJECT(gru_initializer_fill(&in, NULL, GRU_F64, 2, shape, w), GRU_E_NULL, "rng");
    CHECK_REJECT(gru_initializer_fill(&in, &rng, GRU_F64, 2, NULL, w), GRU_E_NULL, "shape");
    CHECK_REJECT(gru_initializer_fill(&in, &rng, GRU_F64, 2, shape, NULL), GRU_E_NULL, "data");
    CHECK_REJECT(gru_initializer_fill(&in, &rng, (gru_dtype)3, 2, shape, w), GRU_E_DTYPE,
                 "dtype");
    CHECK_REJECT(gru_initializer_fill(&in, &rng, (gru_dtype)0, 2, shape, w), GRU_E_DTYPE,
                 "dtype");
    const size_t big[2] = {SIZE_MAX, 2};
    CHECK_REJECT(gru_initializer_fill(&in, &rng, GRU_F64, 2, big, w), GRU_E_OVERFLOW, "shape");
    const size_t bytes_big[2] = {SIZE_MAX / 4, 1}; /* count fits, bytes do not */
    CHECK_REJECT(gru_initializer_fill(&in, &rng, GRU_F64, 2, bytes_big, w), GRU_E_OVERFLOW,
                 "shape");
    for (int i = 0; i < 12; i++) w[i] = 4.0;
    const size_t bad_then_zero[3] = {SIZE_MAX, 2, 0}; /* zero elements: fine */
    CHECK_OK(gru_initializer_fill(&in, &rng, GRU_F64, 3, bad_then_zero, w));
    CHECK(w[0] == 4.0);
}

TEST(init_fill_rejects_bad_options) {
    const size_t shape[2] = {3, 4};
    double w[12];
    gru_rng rng;
    gru_rng_seed(&rng, 1);
    gru_initializer in;

#define REJECT_OPT(base, field, val, needle)                                              \
    do {                                                                                  \
        in = named(base);                                                                 \
        in.field = val;                                                                   \
        CHECK_REJECT(gru_initializer_fill(&in, &rng, GRU_F64, 2, shape, w), GRU_E_ARG,    \
                     needle);                                                             \
    } while (0)
    REJECT_OPT("zeros", kind, (gru_init_kind)99, "init.kind");
    REJECT_OPT("zeros", kind, (gru_init_kind)-1, "init.kind");
    REJECT_OPT("variance_scaling", scale, 0.0, "init.scale");
    REJECT_OPT("he_normal", scale, -2.0, "init.scale");
    REJECT_OPT("glorot_uniform", scale, (double)NAN, "init.scale");
    REJECT_OPT("glorot_uniform", scale, (double)INFINITY, "init.scale");
    REJECT_OPT("glorot_uniform", mode, (gru_fan_mode)3, "init.mode");
    REJECT_OPT("glorot_uniform", mode, (gru_fan_mode)-1, "init.mode");
    REJECT_OPT("glorot_uniform", distribution, (gru_distribution)3, "init.distribution");
    REJECT_OPT("random_normal", stddev, -0.1, "init.stddev");
    REJECT_OPT("random_normal", stddev, (double)NAN, "init.stddev");
    REJECT_OPT("truncated_normal", mean, (double)NAN, "init.mean");
    REJECT_OPT("truncated_normal", stddev, -1.0, "init.stddev");
    REJECT_OPT("random_uniform", minval, (double)NAN, "init.minval");
    REJECT_OPT("random_uniform", maxval, (double)INFINITY, "init.maxval");
    REJECT_OPT("random_uniform", maxval, -0.1, "init.maxval");
    REJECT_OPT("constant", value, (double)NAN, "init.value");
    REJECT_OPT("orthogonal", gain, (double)NAN, "init.gain");
    REJECT_OPT("identity", gain, -(double)INFINITY, "init.gain");
#undef REJECT_OPT
    /* options of other kinds are not looked at */
    in = named("zeros");
    in.scale = -1.0;
    in.stddev = (double)NAN;
    in.mode = (gru_fan_mode)42;
    CHECK_OK(gru_initializer_fill(&in, &rng, GRU_F64, 2, shape, w));
    /* the message names the field, the expectation and the received value */
    in = named("glorot_uniform");
    in.scale = -3.0;
    CHECK_REJECT(gru_initializer_fill(&in, &rng, GRU_F64, 2, shape, w), GRU_E_ARG, "> 0");
    CHECK_REJECT(gru_initializer_fill(&in, &rng, GRU_F64, 2, shape, w), GRU_E_ARG, "-3");
}

TEST(init_check_names_argument) {
    char msg[GRU_ERRMSG_MAX];
    msg[0] = '\0';
    gru_initializer in = named("orthogonal");
    CHECK_OK(gru__initializer_check(&in, "recurrent_kernel_initializer", msg));
    in.gain = (double)NAN;
    CHECK_STATUS(gru__initializer_check(&in, "recurrent_kernel_initializer", msg), GRU_E_ARG);
    CHECK(strstr(msg, "recurrent_kernel_initializer.gain") != NULL);
    CHECK(strcmp(msg, gru_last_error()) == 0);
    CHECK_REJECT(gru__initializer_check(NULL, "bias_initializer", NULL), GRU_E_NULL,
                 "bias_initializer");
}

void tests_initializers(void) {
    TR_RUN(init_names_and_defaults);
    TR_RUN(init_from_name_rejects);
    TR_RUN(init_fan_rules_ranks_0_to_4);
    TR_RUN(init_variance_scaling_moments);
    TR_RUN(init_glorot_he_lecun_limits);
    TR_RUN(init_random_normal_moments);
    TR_RUN(init_truncated_normal_moments_and_bounds);
    TR_RUN(init_random_uniform_bounds_and_moments);
    TR_RUN(init_f32_matches_bounds);
    TR_RUN(init_orthogonal_rows_cols);
    TR_RUN(init_orthogonal_sign_symmetry);
    TR_RUN(init_orthogonal_rank_and_empty);
    TR_RUN(init_identity_rectangular);
    TR_RUN(init_zeros_ones_constant);
    TR_RUN(init_seed_determinism);
    TR_RUN(init_fill_rejects_bad_arguments);
    TR_RUN(init_fill_rejects_bad_options);
    TR_RUN(init_check_names_argument);
}
