/* Constraints: tf-keras 2.21 constraints.get names and the in-place
 * projections of MaxNorm, NonNeg, UnitNorm, MinMaxNorm and RadialConstraint.
 *
 * norms = sqrt(sum over `axis` of w^2) (keepdims), epsilon = 1e-7:
 *   MaxNorm     w * (clip(norms, 0, max) / (eps + norms))
 *   MinMaxNorm  w * ((rate clip(norms, min, max) + (1 - rate) norms) / (eps + norms))
 *   UnitNorm    w / (eps + norms)
 *   NonNeg      w * (w >= 0)      (-x -> -0.0, NaN and -inf -> NaN)
 * clip is Keras' backend.clip: if max < min then max := min (compared in
 * double, before the cast), then minimum(max) and maximum(min); NaN stays NaN.
 * For float32 weights the sum of squares is accumulated in double, rounded to
 * float once, and every later step (sqrt, clip, eps + norms, the quotient, the
 * product) is done in float as TF does; float64 weights use double
 * throughout. Nothing here allocates. */
#include "internal.h"

#include <math.h>
#include <string.h>

#define GRU__EPSILON 1e-7 /* tf_keras.backend.epsilon() */

/* ---- names ---------------------------------------------------------------- */

gru_status gru_constraint_from_name(const char *name, gru_constraint *out) {
    if (!out)
        return gru__fail(GRU_E_NULL, NULL,
                         "gru_constraint_from_name: argument `out` must not be NULL");
    gru_constraint c;
    memset(&c, 0, sizeof c);
    c.kind = GRU_CONSTRAINT_NONE;
    if (name == NULL || name[0] == '\0' || strcmp(name, "Constraint") == 0) {
        /* None, and the base class (identity). */
    } else if (strcmp(name, "max_norm") == 0 || strcmp(name, "maxnorm") == 0 ||
               strcmp(name, "MaxNorm") == 0) {
        c.kind = GRU_CONSTRAINT_MAX_NORM;
        c.max_value = 2.0;
        c.axis = 0;
    } else if (strcmp(name, "non_neg") == 0 || strcmp(name, "nonneg") == 0 ||
               strcmp(name, "NonNeg") == 0) {
        c.kind = GRU_CONSTRAINT_NON_NEG;
    } else if (strcmp(name, "unit_norm") == 0 || strcmp(name, "unitnorm") == 0 ||
               strcmp(name, "UnitNorm") == 0) {
        c.kind = GRU_CONSTRAINT_UNIT_NORM;
        c.axis = 0;
    } else if (strcmp(name, "min_max_norm") == 0 || strcmp(name, "MinMaxNorm") == 0) {
        c.kind = GRU_CONSTRAINT_MIN_MAX_NORM;
        c.min_value = 0.0;
        c.max_value = 1.0;
        c.rate = 1.0;
        c.axis = 0;
    } else if (strcmp(name, "radial_constraint") == 0 || strcmp(name, "RadialConstraint") == 0) {
        c.kind = GRU_CONSTRAINT_RADIAL;
    } else {
        return gru__fail(GRU_E_NAME, NULL,
                         "gru_constraint_from_name: argument `constraint` (name) must be a "
                         "tf-keras constraint name (max_norm, non_neg, unit_norm, min_max_norm, "
                         "radial_constraint or an alias), got '%.60s' (Unknown constraint)",
                         name);
    }
    *out = c;
    return GRU_OK;
}

/* ---- validation ----------------------------------------------------------- */

static gru_status check_number(double x, const char *argname, const char *field, char *msg) {
    if (isnan(x))
        return gru__fail(GRU_E_ARG, msg, "%s.%s must be a number, got NaN", argname, field);
    return GRU_OK;
}

gru_status gru__constraint_check(const gru_constraint *c, const char *argname, char *msg) {
    if (!argname) argname = "constraint";
    if (!c) return gru__fail(GRU_E_NULL, msg, "%s must not be NULL", argname);
    gru_status s;
    switch (c->kind) {
    case GRU_CONSTRAINT_NONE:
    case GRU_CONSTRAINT_NON_NEG:
    case GRU_CONSTRAINT_UNIT_NORM:
    case GRU_CONSTRAINT_RADIAL:
        return GRU_OK;
    case GRU_CONSTRAINT_MAX_NORM:
        return check_number(c->max_value, argname, "max_value", msg);
    case GRU_CONSTRAINT_MIN_MAX_NORM:
        if ((s = check_number(c->min_value, argname, "min_value", msg))) return s;
        if ((s = check_number(c->max_value, argname, "max_value", msg))) return s;
        return check_number(c->rate, argname, "rate", msg);
    }
    return gru__fail(GRU_E_ARG, msg,
                     "%s.kind must be a gru_constraint_kind (0..%d), got %d", argname,
                     (int)GRU_CONSTRAINT_RADIAL, (int)c->kind);
}

/* ---- norm-based constraints ----------------------------------------------- */

/* clip as backend.clip + tf.clip_by_value: min(x, hi) then max(., lo). */
static double clipd(double x, double lo, double hi) {
    double t = x > hi ? hi : x;
    return t < lo ? lo : t;
}
static float clipf(float x, float lo, float hi) {
    float t = x > hi ? hi : x;
    return t < lo ? lo : t;
}

/* Scale of one vector of norm2 sum of squares `ss`: the factor that w is
 * multiplied by (MaxNorm, MinMaxNorm), or the divisor (UnitNorm). */
static double scale_d(const gru_constraint *c, double ss, double lo, double hi) {
    const double nrm = sqrt(ss);
    switch (c->kind) {
    case GRU_CONSTRAINT_MAX_NORM:
        return clipd(nrm, lo, hi) / (GRU__EPSILON + nrm);
    case GRU_CONSTRAINT_MIN_MAX_NORM: {
        double desired = c->rate * clipd(nrm, lo, hi) + (1.0 - c->rate) * nrm;
        return desired / (GRU__EPSILON + nrm);
    }
    default: /* UNIT_NORM: divisor */
        return GRU__EPSILON + nrm;
    }
}
static float scale_f(const gru_constraint *c, double ss, float lo, float hi) {
    const float nrm = sqrtf((float)ss);
    const float eps = (float)GRU__EPSILON;
    switch (c->kind) {
    case GRU_CONSTRAINT_MAX_NORM:
        return clipf(nrm, lo, hi) / (eps + nrm);
    case GRU_CONSTRAINT_MIN_MAX_NORM: {
        /* rate * t and (1 - rate) * norms: Python floats cast to float32 */
        const float rate = (float)c->rate, omr = (float)(1.0 - c->rate);
        float desired = rate * clipf(nrm, lo, hi) + omr * nrm;
        return desired / (eps + nrm);
    }
    default:
        return eps + nrm;
    }
}

static void norm_constraint(const gru_constraint *c, gru_dtype dt, size_t outer, size_t len,
                            size_t inner, void *w) {
    double lo = 0.0, hi = c->max_value;
    if (c->kind == GRU_CONSTRAINT_MIN_MAX_NORM) lo = c->min_value;
    if (hi < lo) hi = lo; /* backend.clip */
    const int divide = c->kind == GRU_CONSTRAINT_UNIT_NORM;
    for (size_t o = 0; o < outer; o++) {
        for (size_t in = 0; in < inner; in++) {
            const size_t base = o * len * inner + in;
            double ss = 0.0;
            for (size_t j = 0; j < len; j++) {
                double x = gru__ld(dt, w, base + j * inner);
                ss += x * x;
            }
            if (dt == GRU_F32) {
                float *p = (float *)w;
                float f = scale_f(c, ss, (float)lo, (float)hi);
                for (size_t j = 0; j < len; j++) {
                    float *q = p + base + j * inner;
                    *q = divide ? *q / f : *q * f;
                }
            } else {
                double *p = (double *)w;
                double f = scale_d(c, ss, lo, hi);
                for (size_t j = 0; j < len; j++) {
                    double *q = p + base + j * inner;
                    *q = divide ? *q / f : *q * f;
                }
            }
        }
    }
}

static void non_neg(gru_dtype dt, size_t n, void *w) {
    if (dt == GRU_F32) {
        float *p = (float *)w;
        for (size_t i = 0; i < n; i++) p[i] = p[i] * (p[i] >= 0.0f ? 1.0f : 0.0f);
    } else {
        double *p = (double *)w;
        for (size_t i = 0; i < n; i++) p[i] = p[i] * (p[i] >= 0.0 ? 1.0 : 0.0);
    }
}

/* ---- RadialConstraint ----------------------------------------------------- */

/* tf-keras RadialConstraint._kernel_constraint on each (H, H) slice (one per
 * channel * kernel pair), with s = H / 2 (floor):
 *   odd H:  the centre cell gets k[s-1][s-1]; the ring at Chebyshev distance
 *           d >= 1 from the centre gets k[s+d-1][s+d-1].
 *   even H: the central 2x2 block gets k[s-1][s-1]; the ring d >= 1 around it
 *           gets k[s+d][s+d].
 * (The docstring's 4x4 example has the two values the other way round; the
 * code is what is reproduced here.) In place: rings are written from the
 * outermost inwards, each reading its source before it is overwritten. */
static size_t ring_of(size_t r, size_t c, size_t h) {
    /* Chebyshev distance from the centre, counted in rings (0 = centre). */
    size_t s = h / 2;
    size_t dr, dc;
    if (h % 2) {
        dr = r > s ? r - s : s - r;
        dc = c > s ? c - s : s - c;
    } else { /* centre block rows s-1, s */
        dr = r >= s ? r - s : s - 1 - r;
        dc = c >= s ? c - s : s - 1 - c;
    }
    return dr > dc ? dr : dc;
}

static void radial(gru_dtype dt, size_t h, size_t ck, void *w) {
    const size_t s = h / 2, rings = h % 2 ? s : s - 1; /* outermost ring index */
    const size_t rowstride = h * ck;
    for (size_t ch = 0; ch < ck; ch++) {
#define AT(r, c) ((r) * rowstride + (c) * ck + ch)
        const double centre = gru__ld(dt, w, AT(s - 1, s - 1));
        for (size_t d = rings; d >= 1; d--) {
            const size_t src = h % 2 ? s + d - 1 : s + d;
            const double v = gru__ld(dt, w, AT(src, src));
            for (size_t r = 0; r < h; r++)
                for (size_t c = 0; c < h; c++)
                    if (ring_of(r, c, h) == d) gru__st(dt, w, AT(r, c), v);
        }
        for (size_t r = 0; r < h; r++)
            for (size_t c = 0; c < h; c++)
                if (ring_of(r, c, h) == 0) gru__st(dt, w, AT(r, c), centre);
#undef AT
    }
}

/* ---- public --------------------------------------------------------------- */

gru_status gru_constraint_apply(const gru_constraint *c, gru_dtype dtype, size_t ndim,
                                const size_t *shape, void *w) {
    static const char fn[] = "gru_constraint_apply";
    if (!c) return gru__fail(GRU_E_NULL, NULL, "%s: argument `c` must not be NULL", fn);
    gru_status s = gru__constraint_check(c, "gru_constraint_apply: c", NULL);
    if (s) return s;
    size_t n;
    s = gru__tensor_args(fn, dtype, ndim, shape, w, &n);
    if (s) return s;
    switch (c->kind) {
    case GRU_CONSTRAINT_NONE:
        return GRU_OK;
    case GRU_CONSTRAINT_NON_NEG:
        non_neg(dtype, n, w);
        return GRU_OK;
    case GRU_CONSTRAINT_MAX_NORM:
    case GRU_CONSTRAINT_UNIT_NORM:
    case GRU_CONSTRAINT_MIN_MAX_NORM: {
        const long long nd = (long long)ndim;
        const long long ax = c->axis < 0 ? (long long)c->axis + nd : (long long)c->axis;
        if (ndim == 0 || ax < 0 || ax >= nd)
            return gru__fail(GRU_E_SHAPE, NULL,
                             "%s: argument `c.axis` must be in [-%zu, %zu) for a weight of "
                             "rank %zu (Invalid reduction dimension), got %d",
                             fn, ndim, ndim, ndim, c->axis);
        const size_t a = (size_t)ax;
        size_t outer = 1, inner = 1;
        for (size_t i = 0; i < a; i++) outer *= shape[i];
        for (size_t i = a + 1; i < ndim; i++) inner *= shape[i];
        if (n > 0) norm_constraint(c, dtype, outer, shape[a], inner, w);
        return GRU_OK;
    }
    case GRU_CONSTRAINT_RADIAL:
        if (ndim != 4)
            return gru__fail(GRU_E_SHAPE, NULL,
                             "%s: argument `shape`: The weight tensor must have rank 4, got "
                             "rank %zu",
                             fn, ndim);
        if (shape[0] != shape[1] || shape[0] < 2 || shape[2] == 0 || shape[3] == 0)
            return gru__fail(GRU_E_SHAPE, NULL,
                             "%s: argument `shape`: RadialConstraint needs a square kernel "
                             "(rows == cols >= 2) and channels, kernels >= 1, got "
                             "(%zu, %zu, %zu, %zu)",
                             fn, shape[0], shape[1], shape[2], shape[3]);
        radial(dtype, shape[0], shape[2] * shape[3], w);
        return GRU_OK;
    }
    return GRU_OK; /* unreachable: kind validated above */
}
