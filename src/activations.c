/* Activations: name lookup, forward, and vector-Jacobian products.
 *
 * The oracle is tf-keras 2.21 on TF's CPU kernels:
 * - forward formulas follow the TF kernels (and tf-keras' backend code for
 *   the composite ones: relu, hard_sigmoid, elu with alpha != 1, gelu, mish),
 *   evaluated in the dtype of the data (float32 stays float32, except where
 *   evaluating in double and rounding once is closer to TF, noted below);
 * - derivatives are the ones TF's gradient registry produces, including the
 *   values at kinks (relu'(0) = 0, hard_sigmoid' = 0.2 on the closed interval
 *   where 0 <= 0.2x+0.5 <= 1, relu6'(0) = relu6'(6) = 0, leaky_relu'(0) = alpha,
 *   elu'(0) = alpha, selu'(0) = scale, ...).
 *
 * The algorithms are written once, in activations_impl.h, which this file
 * includes for float and for double; name lookup, validation, the per-type
 * logistic and tanh, and the public entry points live here.
 */
#include "internal.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* a*b+c must round twice, as TF's separate Mul and Add ops do. GCC does not
 * contract in ISO C mode; clang would without this. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

/* ------------------------------------------------------------------------ */
/* Names                                                                     */
/* ------------------------------------------------------------------------ */

/* Canonical names, indexed by gru_activation_kind. */
static const char *const gru__act_names[GRU_ACT_COUNT_] = {
    [GRU_ACT_LINEAR] = "linear",
    [GRU_ACT_TANH] = "tanh",
    [GRU_ACT_SIGMOID] = "sigmoid",
    [GRU_ACT_HARD_SIGMOID] = "hard_sigmoid",
    [GRU_ACT_HARD_SIGMOID_K3] = "hard_sigmoid_k3",
    [GRU_ACT_RELU] = "relu",
    [GRU_ACT_RELU6] = "relu6",
    [GRU_ACT_LEAKY_RELU] = "leaky_relu",
    [GRU_ACT_ELU] = "elu",
    [GRU_ACT_SELU] = "selu",
    [GRU_ACT_SOFTPLUS] = "softplus",
    [GRU_ACT_SOFTSIGN] = "softsign",
    [GRU_ACT_EXPONENTIAL] = "exponential",
    [GRU_ACT_SWISH] = "swish",
    [GRU_ACT_GELU] = "gelu",
    [GRU_ACT_GELU_TANH] = "gelu_tanh",
    [GRU_ACT_MISH] = "mish",
    [GRU_ACT_SOFTMAX] = "softmax",
    [GRU_ACT_LOG_SOFTMAX] = "log_softmax",
    [GRU_ACT_HARD_SILU] = "hard_silu",
    [GRU_ACT_CUSTOM] = "custom",
};

/* Names accepted by gru_activation_from_name beyond the canonical ones.
 * tf-keras' activations.get resolves every callable in its module and in
 * tf_keras.layers.activation, so the aliases "silu", and the layer classes
 * (instantiated with their defaults) are names too. */
typedef struct gru__act_alias {
    const char *name;
    gru_activation_kind kind;
    int set_alpha;    /* 0: the kind's default alpha */
    double alpha;
    double threshold; /* relu threshold */
} gru__act_alias;

static const gru__act_alias gru__act_aliases[] = {
    {"silu", GRU_ACT_SWISH, 0, 0.0, 0.0},           /* tf.nn.silu (= swish) */
    {"hard_swish", GRU_ACT_HARD_SILU, 0, 0.0, 0.0}, /* Keras 3 alias */
    /* Layer classes: LeakyReLU() has alpha 0.3 (the function has 0.2),
     * ThresholdedReLU(theta=1) is x * (x > 1), i.e. relu(threshold=1). */
    {"ELU", GRU_ACT_ELU, 1, 1.0, 0.0},
    {"LeakyReLU", GRU_ACT_LEAKY_RELU, 1, 0.3, 0.0},
    {"ReLU", GRU_ACT_RELU, 1, 0.0, 0.0},
    {"Softmax", GRU_ACT_SOFTMAX, 0, 0.0, 0.0},
    {"ThresholdedReLU", GRU_ACT_RELU, 1, 0.0, 1.0},
};

/* Keras' default options for a kind. */
static void gru__act_defaults(gru_activation_kind kind, gru_activation *out) {
    memset(out, 0, sizeof *out);
    out->kind = kind;
    out->alpha = 0.0;
    out->max_value = (double)NAN; /* relu: no cap */
    out->threshold = 0.0;
    out->fn = NULL;
    out->deriv = NULL;
    out->user = NULL;
    if (kind == GRU_ACT_LEAKY_RELU) out->alpha = 0.2;
    if (kind == GRU_ACT_ELU) out->alpha = 1.0;
}

gru_status gru_activation_from_name(const char *name, gru_activation *out) {
    if (!out) return gru__fail(GRU_E_NULL, NULL, "gru_activation_from_name: out is NULL");
    if (!name || !*name) {
        gru__act_defaults(GRU_ACT_LINEAR, out);
        return GRU_OK;
    }
    for (int k = 0; k < (int)GRU_ACT_COUNT_; k++) {
        if (k == (int)GRU_ACT_CUSTOM) continue; /* not a Keras name */
        if (strcmp(name, gru__act_names[k]) == 0) {
            gru__act_defaults((gru_activation_kind)k, out);
            return GRU_OK;
        }
    }
    for (size_t i = 0; i < sizeof gru__act_aliases / sizeof gru__act_aliases[0]; i++) {
        const gru__act_alias *a = &gru__act_aliases[i];
        if (strcmp(name, a->name) == 0) {
            gru__act_defaults(a->kind, out);
            if (a->set_alpha) out->alpha = a->alpha;
            out->threshold = a->threshold;
            return GRU_OK;
        }
    }
    if (strcmp(name, "PReLU") == 0)
        return gru__fail(GRU_E_UNSUPPORTED, NULL,
                         "activation: \"PReLU\" is a layer with trainable weights; expected a "
                         "weightless activation such as \"relu\" or \"leaky_relu\"");
    return gru__fail(GRU_E_NAME, NULL,
                     "activation: unknown name \"%.48s\"; expected a tf-keras activation name "
                     "such as \"tanh\", \"sigmoid\", \"hard_sigmoid\", \"relu\", \"elu\", "
                     "\"softmax\", \"linear\" (NULL or \"\" = linear)",
                     name);
}

const char *gru_activation_name(const gru_activation *act) {
    if (!act || (int)act->kind < 0 || (int)act->kind >= (int)GRU_ACT_COUNT_) return "unknown";
    return gru__act_names[act->kind];
}

/* ------------------------------------------------------------------------ */
/* Validation                                                                */
/* ------------------------------------------------------------------------ */

gru_status gru__activation_check(const gru_activation *act, const char *argname, char *msg) {
    if (!argname) argname = "activation";
    if (!act) return gru__fail(GRU_E_NULL, msg, "%s is NULL", argname);
    int k = (int)act->kind;
    if (k < 0 || k >= (int)GRU_ACT_COUNT_)
        return gru__fail(GRU_E_ARG, msg, "%s.kind is %d; expected 0..%d (a gru_activation_kind)",
                         argname, k, (int)GRU_ACT_COUNT_ - 1);
    switch (act->kind) {
    case GRU_ACT_CUSTOM:
        if (!act->fn)
            return gru__fail(GRU_E_NULL, msg,
                             "%s.fn is NULL; expected a function for GRU_ACT_CUSTOM", argname);
        break;
    case GRU_ACT_RELU:
        if (!isfinite(act->threshold))
            return gru__fail(GRU_E_ARG, msg, "%s.threshold is %g; expected a finite number",
                             argname, act->threshold);
        if (!isfinite(act->alpha))
            return gru__fail(GRU_E_ARG, msg, "%s.alpha is %g; expected a finite number", argname,
                             act->alpha);
        break;
    case GRU_ACT_LEAKY_RELU:
    case GRU_ACT_ELU:
        if (!isfinite(act->alpha))
            return gru__fail(GRU_E_ARG, msg, "%s.alpha is %g; expected a finite number", argname,
                             act->alpha);
        break;
    default:
        break;
    }
    return GRU_OK;
}

/* ------------------------------------------------------------------------ */
/* Parameters and constants                                                  */
/* ------------------------------------------------------------------------ */

/* How backend.relu(x, alpha, max_value, threshold) evaluates. */
typedef enum gru__relu_mode {
    GRU__RELU_PLAIN,   /* alpha 0, no cap, threshold 0: tf.nn.relu           */
    GRU__RELU_LEAKY,   /* alpha != 0, no cap, threshold 0: tf.nn.leaky_relu  */
    GRU__RELU_GENERAL  /* the composite path of backend.relu                 */
} gru__relu_mode;

static gru__relu_mode gru__relu_mode_of(const gru_activation *act, int has_max) {
    if (act->alpha == 0.0 && !has_max && act->threshold == 0.0) return GRU__RELU_PLAIN;
    if (act->alpha != 0.0 && !has_max && act->threshold == 0.0) return GRU__RELU_LEAKY;
    return GRU__RELU_GENERAL;
}

/* selu (TF relu_op_functor.h): scale and scale*alpha. */
#define GRU__SELU_SCALE 1.0507009873554804934193349852946
#define GRU__SELU_SCALE_ALPHA 1.7580993408473768599402175208123
/* gelu (tf.nn.gelu): 1/sqrt(2), sqrt(2/pi), 0.044715, -2/sqrt(pi) (Erfc grad).
 * TF 2.21's tf.nn.gelu builds 1/sqrt(2) as a float32 constant and casts it,
 * so even float64 gelu multiplies by the float32 value 0.70710676908... */
#define GRU__GELU_RSQRT2 ((float)0.7071067811865476)
#define GRU__GELU_K 0.7978845608028654
#define GRU__GELU_C 0.044715
#define GRU__M2_RSQRTPI (-1.1283791670955126)

/* ------------------------------------------------------------------------ */
/* Logistic and tanh: the two places where float32 and float64 differ in     */
/* method, not only in precision                                             */
/* ------------------------------------------------------------------------ */

/* Logistic as Eigen's scalar_logistic_op evaluates it: e / (1 + e) with
 * e = exp(x), which rounds like TF near 1 (1/(1+exp(-x)) does not). The
 * float version clamps x at 16.6355324, the first point where the result is
 * exactly 1; measured against TF's float32 kernel this form is the closest
 * of the simple ones (within about 5e-7 relative). The double version
 * returns 1 where exp overflows. */
static float gru__sigmoid_f32(float x) {
    float e = expf(x < 16.6355324f ? x : 16.6355324f);
    return e / (1.0f + e);
}
static double gru__sigmoid_f64(double x) {
    double e = exp(x);
    return isinf(e) ? 1.0 : e / (1.0 + e);
}

/* float tanh rounded once from double (TF's Eigen float tanh is a rational
 * approximation within about 3e-7 relative of this; it returns exactly +-1
 * beyond |x| ~ 7.9 where the correctly rounded value is just below 1). */
static float gru__tanh_f32(float x) { return (float)tanh((double)x); }
static double gru__tanh_f64(double x) { return tanh(x); }

/* ------------------------------------------------------------------------ */
/* The algorithms, once per element type (see activations_impl.h)            */
/* ------------------------------------------------------------------------ */

#define T float
#define SUF(n) n##_f32
#define LIT(c) c##f
#define EPSILON FLT_EPSILON
#define EXP expf
#define LOG logf
#define LOG1P log1pf
#define ERFC erfcf
#define POW powf
#define FABS fabsf
#include "activations_impl.h"
#undef T
#undef SUF
#undef LIT
#undef EPSILON
#undef EXP
#undef LOG
#undef LOG1P
#undef ERFC
#undef POW
#undef FABS

#define T double
#define SUF(n) n##_f64
#define LIT(c) c
#define EPSILON DBL_EPSILON
#define EXP exp
#define LOG log
#define LOG1P log1p
#define ERFC erfc
#define POW pow
#define FABS fabs
#include "activations_impl.h"
#undef T
#undef SUF
#undef LIT
#undef EPSILON
#undef EXP
#undef LOG
#undef LOG1P
#undef ERFC
#undef POW
#undef FABS

/* ------------------------------------------------------------------------ */
/* Public entry points                                                       */
/* ------------------------------------------------------------------------ */

/* Common argument checks: activation, dtype, element count and byte size. */
static gru_status gru__act_args(const char *fn, const gru_activation *act, gru_dtype dtype,
                                size_t rows, size_t n) {
    gru_status s = gru__activation_check(act, "act", NULL);
    if (s != GRU_OK) return s;
    if (!gru__dtype_ok(dtype))
        return gru__fail(GRU_E_DTYPE, NULL, "%s: dtype is %d; expected GRU_F32 (1) or GRU_F64 (2)",
                         fn, (int)dtype);
    size_t count, bytes;
    if (!gru__mul_size(rows, n, &count) || !gru__mul_size(count, gru_dtype_size(dtype), &bytes))
        return gru__fail(GRU_E_OVERFLOW, NULL,
                         "%s: rows * n * element size overflows size_t (rows = %zu, n = %zu)",
                         fn, rows, n);
    return GRU_OK;
}

gru_status gru_activation_apply(const gru_activation *act, gru_dtype dtype, size_t rows,
                                size_t n, const void *x, void *y) {
    static const char fn[] = "gru_activation_apply";
    gru_status s = gru__act_args(fn, act, dtype, rows, n);
    if (s != GRU_OK) return s;
    if (!x) return gru__fail(GRU_E_NULL, NULL, "%s: x is NULL", fn);
    if (!y) return gru__fail(GRU_E_NULL, NULL, "%s: y is NULL", fn);
    for (size_t r = 0; r < rows; r++) {
        if (dtype == GRU_F32)
            gru__act_row_f32(act, n, (const float *)x + r * n, (float *)y + r * n);
        else
            gru__act_row_f64(act, n, (const double *)x + r * n, (double *)y + r * n);
    }
    return GRU_OK;
}

gru_status gru_activation_grad(const gru_activation *act, gru_dtype dtype, size_t rows,
                               size_t n, const void *x, const void *y, const void *dy,
                               void *dx) {
    static const char fn[] = "gru_activation_grad";
    gru_status s = gru__act_args(fn, act, dtype, rows, n);
    if (s != GRU_OK) return s;
    if (act->kind == GRU_ACT_CUSTOM && !act->deriv)
        return gru__fail(GRU_E_NULL, NULL,
                         "%s: act->deriv is NULL; expected a derivative for a custom "
                         "activation's gradient",
                         fn);
    if (!x) return gru__fail(GRU_E_NULL, NULL, "%s: x is NULL", fn);
    if (!y) return gru__fail(GRU_E_NULL, NULL, "%s: y is NULL", fn);
    if (!dy) return gru__fail(GRU_E_NULL, NULL, "%s: dy is NULL", fn);
    if (!dx) return gru__fail(GRU_E_NULL, NULL, "%s: dx is NULL", fn);
    if (dtype == GRU_F32) {
        gru__actp_f32 p;
        gru__actp_init_f32(act, &p);
        for (size_t r = 0; r < rows; r++)
            gru__grad_row_f32(act, &p, n, (const float *)x + r * n, (const float *)y + r * n,
                              (const float *)dy + r * n, (float *)dx + r * n);
    } else {
        gru__actp_f64 p;
        gru__actp_init_f64(act, &p);
        for (size_t r = 0; r < rows; r++)
            gru__grad_row_f64(act, &p, n, (const double *)x + r * n, (const double *)y + r * n,
                              (const double *)dy + r * n, (double *)dx + r * n);
    }
    return GRU_OK;
}

int gru__act_elementwise(const gru_activation *act) {
    return act->kind != GRU_ACT_SOFTMAX && act->kind != GRU_ACT_LOG_SOFTMAX &&
           act->kind != GRU_ACT_CUSTOM;
}
