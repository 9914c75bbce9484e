/* Initializers: tf-keras 2.21 names, defaults, fan rules and distributions
 * (tf_keras/initializers/initializers.py, initializers/__init__.py).
 *
 * Keras cannot be matched draw for draw (TF's stateless Philox streams are not
 * reproduced); the distributions, bounds, fan rules and the orthogonal
 * construction are. Validation is stricter than Keras in a few places (see
 * gru__initializer_check): non-finite options, a negative stddev and
 * maxval < minval are rejected, where Keras would silently produce NaNs,
 * a mirrored distribution or a reversed range. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Names.                                                                    */
/* ------------------------------------------------------------------------ */
typedef enum gru__init_preset {
    P_ZEROS, P_ONES, P_CONSTANT, P_RANDOM_NORMAL, P_RANDOM_UNIFORM, P_TRUNCATED_NORMAL,
    P_VARIANCE_SCALING, P_GLOROT_UNIFORM, P_GLOROT_NORMAL, P_HE_UNIFORM, P_HE_NORMAL,
    P_LECUN_UNIFORM, P_LECUN_NORMAL, P_ORTHOGONAL, P_IDENTITY
} gru__init_preset;

typedef struct gru__init_name {
    const char *name;
    gru__init_preset preset;
} gru__init_name;

/* Exactly the strings tf-keras 2.21 initializers.get() resolves (TF2
 * behaviour): class names, their snake_case forms, the "...V2" compatibility
 * aliases and normal/uniform/one/zero. Matching is case-sensitive, as in
 * Keras. ("Initializer"/"initializer", the abstract base, is handled apart.) */
static const gru__init_name gru__init_names[] = {
    {"Zeros", P_ZEROS}, {"ZerosV2", P_ZEROS}, {"zeros", P_ZEROS}, {"zero", P_ZEROS},
    {"Ones", P_ONES}, {"OnesV2", P_ONES}, {"ones", P_ONES}, {"one", P_ONES},
    {"Constant", P_CONSTANT}, {"ConstantV2", P_CONSTANT}, {"constant", P_CONSTANT},
    {"RandomNormal", P_RANDOM_NORMAL}, {"RandomNormalV2", P_RANDOM_NORMAL},
    {"random_normal", P_RANDOM_NORMAL}, {"normal", P_RANDOM_NORMAL},
    {"RandomUniform", P_RANDOM_UNIFORM}, {"RandomUniformV2", P_RANDOM_UNIFORM},
    {"random_uniform", P_RANDOM_UNIFORM}, {"uniform", P_RANDOM_UNIFORM},
    {"TruncatedNormal", P_TRUNCATED_NORMAL}, {"TruncatedNormalV2", P_TRUNCATED_NORMAL},
    {"truncated_normal", P_TRUNCATED_NORMAL},
    {"VarianceScaling", P_VARIANCE_SCALING}, {"VarianceScalingV2", P_VARIANCE_SCALING},
    {"variance_scaling", P_VARIANCE_SCALING},
    {"GlorotUniform", P_GLOROT_UNIFORM}, {"GlorotUniformV2", P_GLOROT_UNIFORM},
    {"glorot_uniform", P_GLOROT_UNIFORM}, {"glorot_uniformV2", P_GLOROT_UNIFORM},
    {"GlorotNormal", P_GLOROT_NORMAL}, {"GlorotNormalV2", P_GLOROT_NORMAL},
    {"glorot_normal", P_GLOROT_NORMAL}, {"glorot_normalV2", P_GLOROT_NORMAL},
    {"HeUniform", P_HE_UNIFORM}, {"HeUniformV2", P_HE_UNIFORM},
    {"he_uniform", P_HE_UNIFORM}, {"he_uniformV2", P_HE_UNIFORM},
    {"HeNormal", P_HE_NORMAL}, {"HeNormalV2", P_HE_NORMAL},
    {"he_normal", P_HE_NORMAL}, {"he_normalV2", P_HE_NORMAL},
    {"LecunUniform", P_LECUN_UNIFORM}, {"LecunUniformV2", P_LECUN_UNIFORM},
    {"lecun_uniform", P_LECUN_UNIFORM}, {"lecun_uniformV2", P_LECUN_UNIFORM},
    {"LecunNormal", P_LECUN_NORMAL}, {"LecunNormalV2", P_LECUN_NORMAL},
    {"lecun_normal", P_LECUN_NORMAL}, {"lecun_normalV2", P_LECUN_NORMAL},
    {"Orthogonal", P_ORTHOGONAL}, {"OrthogonalV2", P_ORTHOGONAL}, {"orthogonal", P_ORTHOGONAL},
    {"Identity", P_IDENTITY}, {"IdentityV2", P_IDENTITY}, {"identity", P_IDENTITY},
};

static void gru__set_vs(gru_initializer *o, double scale, gru_fan_mode mode, gru_distribution d) {
    o->kind = GRU_INIT_VARIANCE_SCALING;
    o->scale = scale;
    o->mode = mode;
    o->distribution = d;
}

/* Note: Keras' `bias_initializer=None` (any `*_initializer=None`) is not a
 * name: initializers.get(None) returns None and Layer.add_weight then uses
 * glorot_uniform. Here NULL is GRU_E_NULL; callers that model a None
 * argument pass "glorot_uniform". */
gru_status gru_initializer_from_name(const char *name, gru_initializer *out) {
    if (!name)
        return gru__fail(GRU_E_NULL, NULL,
                         "initializer: name must be a tf-keras initializer name, got NULL "
                         "(Keras' None means glorot_uniform: pass \"glorot_uniform\")");
    if (!out) return gru__fail(GRU_E_NULL, NULL, "out: expected a gru_initializer to fill, got NULL");
    size_t n = sizeof gru__init_names / sizeof gru__init_names[0];
    size_t i = 0;
    while (i < n && strcmp(gru__init_names[i].name, name) != 0) i++;
    if (i == n) {
        if (strcmp(name, "Initializer") == 0 || strcmp(name, "initializer") == 0)
            return gru__fail(GRU_E_UNSUPPORTED, NULL,
                             "initializer: '%s' is tf-keras' abstract base class (calling it "
                             "raises NotImplementedError); expected a concrete initializer",
                             name);
        return gru__fail(GRU_E_NAME, NULL,
                         "initializer: unknown initializer name '%.80s'; expected a tf-keras "
                         "name or class name such as 'glorot_uniform', 'orthogonal', 'zeros', "
                         "'random_normal', 'VarianceScaling' (case-sensitive)",
                         name);
    }
    /* Every field gets its Keras default, so that changing only `kind`
     * afterwards still gives a valid initializer. */
    gru_initializer o;
    memset(&o, 0, sizeof o);
    o.value = 0.0;
    o.mean = 0.0;
    o.stddev = 0.05;
    o.minval = -0.05;
    o.maxval = 0.05;
    o.scale = 1.0;
    o.mode = GRU_FAN_IN;
    o.distribution = GRU_DIST_TRUNCATED_NORMAL;
    o.gain = 1.0;
    o.seed = 0;
    o.has_seed = false;
    switch (gru__init_names[i].preset) {
    case P_ZEROS: o.kind = GRU_INIT_ZEROS; break;
    case P_ONES: o.kind = GRU_INIT_ONES; break;
    case P_CONSTANT: o.kind = GRU_INIT_CONSTANT; break;
    case P_RANDOM_NORMAL: o.kind = GRU_INIT_RANDOM_NORMAL; break;
    case P_RANDOM_UNIFORM: o.kind = GRU_INIT_RANDOM_UNIFORM; break;
    case P_TRUNCATED_NORMAL: o.kind = GRU_INIT_TRUNCATED_NORMAL; break;
    case P_VARIANCE_SCALING: gru__set_vs(&o, 1.0, GRU_FAN_IN, GRU_DIST_TRUNCATED_NORMAL); break;
    case P_GLOROT_UNIFORM: gru__set_vs(&o, 1.0, GRU_FAN_AVG, GRU_DIST_UNIFORM); break;
    case P_GLOROT_NORMAL: gru__set_vs(&o, 1.0, GRU_FAN_AVG, GRU_DIST_TRUNCATED_NORMAL); break;
    case P_HE_UNIFORM: gru__set_vs(&o, 2.0, GRU_FAN_IN, GRU_DIST_UNIFORM); break;
    case P_HE_NORMAL: gru__set_vs(&o, 2.0, GRU_FAN_IN, GRU_DIST_TRUNCATED_NORMAL); break;
    case P_LECUN_UNIFORM: gru__set_vs(&o, 1.0, GRU_FAN_IN, GRU_DIST_UNIFORM); break;
    case P_LECUN_NORMAL: gru__set_vs(&o, 1.0, GRU_FAN_IN, GRU_DIST_TRUNCATED_NORMAL); break;
    case P_ORTHOGONAL: o.kind = GRU_INIT_ORTHOGONAL; break;
    case P_IDENTITY: o.kind = GRU_INIT_IDENTITY; break;
    }
    *out = o;
    return GRU_OK;
}

/* ------------------------------------------------------------------------ */
/* Validation.                                                               */
/* ------------------------------------------------------------------------ */
static gru_status gru__need_finite(double v, const char *argname, const char *field, char *msg) {
    if (isfinite(v)) return GRU_OK;
    return gru__fail(GRU_E_ARG, msg, "%s.%s: expected a finite value, got %g", argname, field, v);
}

gru_status gru__initializer_check(const gru_initializer *init, const char *argname, char *msg) {
    if (!argname) argname = "initializer";
    if (!init) return gru__fail(GRU_E_NULL, msg, "%s: expected a gru_initializer, got NULL", argname);
    gru_status s;
    int kind = (int)init->kind;
    if (kind < 0 || kind >= (int)GRU_INIT_COUNT_)
        return gru__fail(GRU_E_ARG, msg, "%s.kind: expected a gru_init_kind in [0, %d), got %d",
                         argname, (int)GRU_INIT_COUNT_, kind);
    switch (init->kind) {
    case GRU_INIT_ZEROS:
    case GRU_INIT_ONES:
        break;
    case GRU_INIT_CONSTANT:
        if ((s = gru__need_finite(init->value, argname, "value", msg)) != GRU_OK) return s;
        break;
    case GRU_INIT_RANDOM_NORMAL:
    case GRU_INIT_TRUNCATED_NORMAL:
        if ((s = gru__need_finite(init->mean, argname, "mean", msg)) != GRU_OK) return s;
        if ((s = gru__need_finite(init->stddev, argname, "stddev", msg)) != GRU_OK) return s;
        if (init->stddev < 0.0)
            return gru__fail(GRU_E_ARG, msg, "%s.stddev: expected a value >= 0, got %g", argname,
                             init->stddev);
        break;
    case GRU_INIT_RANDOM_UNIFORM:
        if ((s = gru__need_finite(init->minval, argname, "minval", msg)) != GRU_OK) return s;
        if ((s = gru__need_finite(init->maxval, argname, "maxval", msg)) != GRU_OK) return s;
        if (init->maxval < init->minval)
            return gru__fail(GRU_E_ARG, msg,
                             "%s.maxval: expected maxval >= minval (%g), got %g", argname,
                             init->minval, init->maxval);
        break;
    case GRU_INIT_VARIANCE_SCALING: {
        if (!(isfinite(init->scale) && init->scale > 0.0))
            return gru__fail(GRU_E_ARG, msg, "%s.scale: expected a finite value > 0, got %g",
                             argname, init->scale);
        int mode = (int)init->mode;
        if (mode < (int)GRU_FAN_IN || mode > (int)GRU_FAN_AVG)
            return gru__fail(GRU_E_ARG, msg,
                             "%s.mode: expected GRU_FAN_IN (0), GRU_FAN_OUT (1) or GRU_FAN_AVG "
                             "(2), got %d",
                             argname, mode);
        int dist = (int)init->distribution;
        if (dist < (int)GRU_DIST_TRUNCATED_NORMAL || dist > (int)GRU_DIST_UNIFORM)
            return gru__fail(GRU_E_ARG, msg,
                             "%s.distribution: expected GRU_DIST_TRUNCATED_NORMAL (0), "
                             "GRU_DIST_UNTRUNCATED_NORMAL (1) or GRU_DIST_UNIFORM (2), got %d",
                             argname, dist);
        break;
    }
    case GRU_INIT_ORTHOGONAL:
    case GRU_INIT_IDENTITY:
        if ((s = gru__need_finite(init->gain, argname, "gain", msg)) != GRU_OK) return s;
        break;
    case GRU_INIT_COUNT_:
        break;
    }
    return GRU_OK;
}

/* ------------------------------------------------------------------------ */
/* Sampling helpers.                                                         */
/* ------------------------------------------------------------------------ */

/* Standard normal truncated to [-2, 2] by redrawing (TF's truncated_normal:
 * values more than 2 standard deviations from the mean are redrawn). */
static double gru__trunc_std_normal(gru_rng *r) {
    double z;
    do z = gru_rng_normal(r);
    while (fabs(z) > 2.0);
    return z;
}

/* Keras' _compute_fans, in double (exact for any realistic shape). */
static void gru__fans(size_t ndim, const size_t *shape, double *fan_in, double *fan_out) {
    if (ndim == 0) {
        *fan_in = *fan_out = 1.0;
    } else if (ndim == 1) {
        *fan_in = *fan_out = (double)shape[0];
    } else if (ndim == 2) {
        *fan_in = (double)shape[0];
        *fan_out = (double)shape[1];
    } else {
        double receptive = 1.0;
        for (size_t i = 0; i + 2 < ndim; i++) receptive *= (double)shape[i];
        *fan_in = (double)shape[ndim - 2] * receptive;
        *fan_out = (double)shape[ndim - 1] * receptive;
    }
}

/* Orthogonal (spec 5.3): A ~ N(0,1) of (m, n) = (max(rows, cols),
 * min(rows, cols)), thin Householder QR in double, Q *= sign(diag R) with
 * sign(0) = 0, transposed when rows < cols, times gain. */
static gru_status gru__orthogonal(const gru_initializer *init, gru_rng *r, gru_dtype dtype,
                                  size_t ndim, const size_t *shape, void *data) {
    size_t cols = shape[ndim - 1];
    size_t rows = 1;
    for (size_t i = 0; i + 1 < ndim; i++) rows *= shape[i]; /* <= count: no overflow */
    size_t m = rows > cols ? rows : cols;
    size_t n = rows > cols ? cols : rows;
    size_t mn = m * n, total, bytes;
    if (!gru__mul_size(mn, 2, &total) || !gru__add_size(total, 2 * n, &total) ||
        !gru__mul_size(total, sizeof(double), &bytes))
        return gru__fail(GRU_E_OVERFLOW, NULL,
                         "shape: orthogonal scratch of %zu x %zu doubles overflows size_t", m, n);
    double *a = (double *)malloc(bytes);
    if (!a)
        return gru__fail(GRU_E_NOMEM, NULL,
                         "init: orthogonal needs %zu bytes of scratch for a %zu x %zu QR, "
                         "malloc failed",
                         bytes, m, n);
    double *q = a + mn;      /* Q, column-major m x n             */
    double *rdiag = q + mn;  /* diagonal of R                     */
    double *beta = rdiag + n;/* Householder factors (0: identity) */

    /* A, column-major (a[j*m + i] = A[i][j]), drawn in row-major order. */
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) a[j * m + i] = gru_rng_normal(r);

    /* Householder QR: H_k = I - beta_k v_k v_k^T, v_k stored in a[k*m + k..m). */
    for (size_t k = 0; k < n; k++) {
        double *v = a + k * m;
        double ss = 0.0;
        for (size_t i = k; i < m; i++) ss += v[i] * v[i];
        double norm = sqrt(ss);
        if (norm == 0.0) {
            rdiag[k] = 0.0;
            beta[k] = 0.0;
            continue;
        }
        double x0 = v[k];
        double alpha = x0 >= 0.0 ? -norm : norm; /* no cancellation in x0 - alpha */
        rdiag[k] = alpha;
        v[k] = x0 - alpha;
        beta[k] = 1.0 / (norm * (norm + fabs(x0))); /* 2 / (v^T v) */
        for (size_t j = k + 1; j < n; j++) {
            double *c = a + j * m;
            double d = 0.0;
            for (size_t i = k; i < m; i++) d += v[i] * c[i];
            d *= beta[k];
            for (size_t i = k; i < m; i++) c[i] -= d * v[i];
        }
    }

    /* Thin Q = H_0 H_1 ... H_{n-1} [I_n; 0], accumulated backwards. */
    memset(q, 0, mn * sizeof(double));
    for (size_t j = 0; j < n; j++) q[j * m + j] = 1.0;
    for (size_t kk = n; kk-- > 0;) {
        if (beta[kk] == 0.0) continue;
        const double *v = a + kk * m;
        for (size_t j = kk; j < n; j++) {
            double *c = q + j * m;
            double d = 0.0;
            for (size_t i = kk; i < m; i++) d += v[i] * c[i];
            d *= beta[kk];
            for (size_t i = kk; i < m; i++) c[i] -= d * v[i];
        }
    }

    /* Column scale sign(R[j][j]) * gain, then write (transposed if wide). */
    for (size_t j = 0; j < n; j++) {
        double sg = rdiag[j] > 0.0 ? 1.0 : (rdiag[j] < 0.0 ? -1.0 : 0.0);
        double f = sg * init->gain;
        for (size_t i = 0; i < m; i++) q[j * m + i] *= f;
    }
    if (rows >= cols) { /* out[i][j] = Q[i][j] */
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < cols; j++) gru__st(dtype, data, i * cols + j, q[j * m + i]);
    } else { /* out[i][j] = Q[j][i]: column i of Q is row i of the output */
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < cols; j++) gru__st(dtype, data, i * cols + j, q[i * m + j]);
    }
    free(a);
    return GRU_OK;
}

/* ------------------------------------------------------------------------ */
/* Fill.                                                                     */
/* ------------------------------------------------------------------------ */
gru_status gru_initializer_fill(const gru_initializer *init, gru_rng *rng, gru_dtype dtype,
                                size_t ndim, const size_t *shape, void *data) {
    gru_status s = gru__initializer_check(init, "init", NULL);
    if (s != GRU_OK) return s;
    if (!rng) return gru__fail(GRU_E_NULL, NULL, "rng: expected a gru_rng, got NULL");
    if (!gru__dtype_ok(dtype))
        return gru__fail(GRU_E_DTYPE, NULL, "dtype: expected GRU_F32 (1) or GRU_F64 (2), got %d",
                         (int)dtype);
    if (ndim > 0 && !shape)
        return gru__fail(GRU_E_NULL, NULL, "shape: expected %zu dimensions, got NULL", ndim);
    if (!data) return gru__fail(GRU_E_NULL, NULL, "data: expected an output buffer, got NULL");

    /* Element count: a zero dimension makes it 0 whatever the others are. */
    size_t count = 1;
    int has_zero = 0;
    for (size_t i = 0; i < ndim; i++)
        if (shape[i] == 0) has_zero = 1;
    if (has_zero) {
        count = 0;
    } else {
        int ok;
        size_t bytes;
        count = gru__shape_count(ndim, shape, &ok);
        if (!ok || !gru__mul_size(count, gru_dtype_size(dtype), &bytes))
            return gru__fail(GRU_E_OVERFLOW, NULL,
                             "shape: the byte size of a %zu-dimensional shape overflows size_t",
                             ndim);
    }

    if (init->kind == GRU_INIT_ORTHOGONAL && ndim < 2)
        return gru__fail(GRU_E_SHAPE, NULL,
                         "shape: orthogonal expects a shape of rank >= 2, got rank %zu", ndim);
    if (init->kind == GRU_INIT_IDENTITY && ndim != 2)
        return gru__fail(GRU_E_SHAPE, NULL,
                         "shape: identity expects a shape of rank 2, got rank %zu", ndim);
    if (count == 0) return GRU_OK;

    /* A seeded initializer draws from its own generator: same seed, same
     * values, whatever rng is (Keras: a seeded initializer returns the same
     * values on every call). */
    gru_rng own;
    gru_rng *r = rng;
    if (init->has_seed) {
        gru_rng_seed(&own, init->seed);
        r = &own;
    }

    switch (init->kind) {
    case GRU_INIT_ZEROS:
        for (size_t i = 0; i < count; i++) gru__st(dtype, data, i, 0.0);
        break;
    case GRU_INIT_ONES:
        for (size_t i = 0; i < count; i++) gru__st(dtype, data, i, 1.0);
        break;
    case GRU_INIT_CONSTANT:
        for (size_t i = 0; i < count; i++) gru__st(dtype, data, i, init->value);
        break;
    case GRU_INIT_RANDOM_NORMAL:
        for (size_t i = 0; i < count; i++)
            gru__st(dtype, data, i, init->mean + init->stddev * gru_rng_normal(r));
        break;
    case GRU_INIT_TRUNCATED_NORMAL:
        /* No 0.8796 correction here (unlike VarianceScaling). */
        for (size_t i = 0; i < count; i++)
            gru__st(dtype, data, i, init->mean + init->stddev * gru__trunc_std_normal(r));
        break;
    case GRU_INIT_RANDOM_UNIFORM: {
        double w = init->maxval - init->minval;
        for (size_t i = 0; i < count; i++)
            gru__st(dtype, data, i, init->minval + w * gru_rng_uniform(r));
        break;
    }
    case GRU_INIT_VARIANCE_SCALING: {
        double fan_in, fan_out, nn;
        gru__fans(ndim, shape, &fan_in, &fan_out);
        if (init->mode == GRU_FAN_IN) nn = fan_in;
        else if (init->mode == GRU_FAN_OUT) nn = fan_out;
        else nn = (fan_in + fan_out) / 2.0;
        double sc = init->scale / (nn > 1.0 ? nn : 1.0);
        if (init->distribution == GRU_DIST_TRUNCATED_NORMAL) {
            /* 0.8796... = stddev of N(0,1) truncated to [-2, 2]. */
            double sd = sqrt(sc) / 0.87962566103423978;
            for (size_t i = 0; i < count; i++) gru__st(dtype, data, i, sd * gru__trunc_std_normal(r));
        } else if (init->distribution == GRU_DIST_UNTRUNCATED_NORMAL) {
            double sd = sqrt(sc);
            for (size_t i = 0; i < count; i++) gru__st(dtype, data, i, sd * gru_rng_normal(r));
        } else {
            double limit = sqrt(3.0 * sc);
            for (size_t i = 0; i < count; i++)
                gru__st(dtype, data, i, -limit + 2.0 * limit * gru_rng_uniform(r));
        }
        break;
    }
    case GRU_INIT_ORTHOGONAL:
        return gru__orthogonal(init, r, dtype, ndim, shape, data);
    case GRU_INIT_IDENTITY: {
        size_t rows = shape[0], cols = shape[1];
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < cols; j++) /* gain * eye: -0.0 off-diagonal for gain < 0 */
                gru__st(dtype, data, i * cols + j, init->gain * (i == j ? 1.0 : 0.0));
        break;
    }
    case GRU_INIT_COUNT_:
        break;
    }
    return GRU_OK;
}
