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
 * Each element-wise activation has a float and a double version; the two are
 * kept line for line alike so that they can be read side by side.
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
/* Parameters, prepared once per call in the data's dtype                    */
/* ------------------------------------------------------------------------ */

/* How backend.relu(x, alpha, max_value, threshold) evaluates. */
typedef enum gru__relu_mode {
    GRU__RELU_PLAIN,   /* alpha 0, no cap, threshold 0: tf.nn.relu           */
    GRU__RELU_LEAKY,   /* alpha != 0, no cap, threshold 0: tf.nn.leaky_relu  */
    GRU__RELU_GENERAL  /* the composite path of backend.relu                 */
} gru__relu_mode;

typedef struct gru__actp_f32 {
    float alpha;       /* in float32, as backend.relu / elu cast it          */
    float alpha_leaky; /* leaky_relu's alpha attribute (a float attr)        */
    float max_value, threshold;
    int has_max;       /* relu: clip at max_value                            */
    int relu6_path;    /* relu: max_value == 6 and threshold == 0            */
    gru__relu_mode relu_mode;
} gru__actp_f32;

typedef struct gru__actp_f64 {
    double alpha, alpha_leaky, max_value, threshold;
    int has_max, relu6_path;
    gru__relu_mode relu_mode;
} gru__actp_f64;

static gru__relu_mode gru__relu_mode_of(const gru_activation *act, int has_max) {
    if (act->alpha == 0.0 && !has_max && act->threshold == 0.0) return GRU__RELU_PLAIN;
    if (act->alpha != 0.0 && !has_max && act->threshold == 0.0) return GRU__RELU_LEAKY;
    return GRU__RELU_GENERAL;
}

static void gru__actp_init_f32(const gru_activation *act, gru__actp_f32 *p) {
    int has_max = !isnan(act->max_value) && act->max_value >= 0.0;
    p->alpha = (float)act->alpha;
    p->alpha_leaky = (float)act->alpha;
    p->max_value = has_max ? (float)act->max_value : 0.0f;
    p->threshold = (float)act->threshold;
    p->has_max = has_max;
    p->relu6_path = has_max && act->max_value == 6.0 && act->threshold == 0.0;
    p->relu_mode = gru__relu_mode_of(act, has_max);
}

static void gru__actp_init_f64(const gru_activation *act, gru__actp_f64 *p) {
    int has_max = !isnan(act->max_value) && act->max_value >= 0.0;
    p->alpha = act->alpha;
    /* tf.nn.leaky_relu's alpha is a float32 attribute even for float64 data:
     * leaky_relu(-1.0 as f64) = -0.20000000298023224. */
    p->alpha_leaky = (double)(float)act->alpha;
    p->max_value = has_max ? act->max_value : 0.0;
    p->threshold = act->threshold;
    p->has_max = has_max;
    p->relu6_path = has_max && act->max_value == 6.0 && act->threshold == 0.0;
    p->relu_mode = gru__relu_mode_of(act, has_max);
}

/* ------------------------------------------------------------------------ */
/* Constants                                                                 */
/* ------------------------------------------------------------------------ */

/* selu (TF relu_op_functor.h): scale and scale*alpha. */
#define GRU__SELU_SCALE 1.0507009873554804934193349852946
#define GRU__SELU_SCALE_ALPHA 1.7580993408473768599402175208123
/* gelu (tf.nn.gelu): 1/sqrt(2), sqrt(2/pi), 0.044715, -2/sqrt(pi) (Erfc grad). */
#define GRU__GELU_RSQRT2 0.7071067811865476
/* TF 2.21's tf.nn.gelu builds 1/sqrt(2) as a float32 constant and casts it,
 * so even float64 gelu multiplies by the float32 value 0.70710676908... */
#define GRU__GELU_RSQRT2_F64 ((double)(float)GRU__GELU_RSQRT2)
#define GRU__GELU_K 0.7978845608028654
#define GRU__GELU_C 0.044715
#define GRU__M2_RSQRTPI (-1.1283791670955126)

/* softplus thresholds (TF softplus_op.h): t = log(epsilon) + 2, evaluated in
 * the dtype; x > -t gives x, x < t gives exp(x), else log1p(exp(x)). */
static float gru__softplus_t_f32(void) { return logf(FLT_EPSILON) + 2.0f; }
static double gru__softplus_t_f64(void) { return log(DBL_EPSILON) + 2.0; }

/* ------------------------------------------------------------------------ */
/* Element-wise forward, float32                                             */
/* ------------------------------------------------------------------------ */

/* Logistic as Eigen's scalar_logistic_op evaluates it: e / (1 + e) with
 * e = exp(x), which rounds like TF near 1 (1/(1+exp(-x)) does not). The
 * float version clamps x at 16.6355324, the first point where the result is
 * exactly 1; measured against TF's float32 kernel this form is the closest
 * of the simple ones (within about 5e-7 relative). */
static float gru__sigmoid_f32(float x) {
    float e = expf(x < 16.6355324f ? x : 16.6355324f);
    return e / (1.0f + e);
}
/* tanh rounded once from double (TF's Eigen float tanh is a rational
 * approximation within about 3e-7 relative of this; it returns exactly +-1
 * beyond |x| ~ 7.9 where the correctly rounded value is just below 1). */
static float gru__tanh_f32(float x) { return (float)tanh((double)x); }
static float gru__relu_f32(float x) { return x > 0.0f ? x : 0.0f; }
/* min(max(x, 0), 6) */
static float gru__relu6_f32(float x) { return x > 0.0f ? (x < 6.0f ? x : 6.0f) : 0.0f; }

static float gru__softplus_f32(float x) {
    const float t = gru__softplus_t_f32();
    if (x > -t) return x;
    float e = expf(x);
    if (x < t) return e;
    return log1pf(e);
}

/* backend.hard_sigmoid: x*0.2 + 0.5 (two roundings), then clip_by_value to
 * [0, 1] as minimum(., 1) followed by maximum(., 0). */
static float gru__hard_sigmoid_pre_f32(float x) { return x * 0.2f + 0.5f; }
static float gru__clip01_f32(float t) {
    float m = t < 1.0f ? t : 1.0f;
    return m > 0.0f ? m : 0.0f;
}

/* Keras 3 hard_sigmoid: relu6(x + 3) / 6. */
static float gru__hs_k3_f32(float x) { return gru__relu6_f32(x + 3.0f) / 6.0f; }

/* backend.relu(x, alpha, max_value, threshold), step by step. */
static float gru__relu_general_f32(const gru__actp_f32 *p, float x) {
    if (p->relu_mode == GRU__RELU_PLAIN) return gru__relu_f32(x);
    if (p->relu_mode == GRU__RELU_LEAKY) return x > 0.0f ? x : x * p->alpha_leaky;
    float neg = 0.0f;
    if (p->alpha != 0.0f) neg = p->threshold != 0.0f ? gru__relu_f32(-x + p->threshold)
                                                     : gru__relu_f32(-x);
    float r;
    int clip = p->has_max;
    if (p->threshold != 0.0f) {
        r = x * (x > p->threshold ? 1.0f : 0.0f); /* keeps x where x > threshold */
    } else if (p->relu6_path) {
        r = gru__relu6_f32(x);
        clip = 0;
    } else {
        r = gru__relu_f32(x);
    }
    if (clip) { /* clip_by_value(r, 0, max_value) */
        r = r < p->max_value ? r : p->max_value;
        r = r > 0.0f ? r : 0.0f;
    }
    if (p->alpha != 0.0f) r -= p->alpha * neg;
    return r;
}

/* elu kernel: x < 0 ? exp(x) - 1 : x (exp - 1, not expm1). */
static float gru__elu_base_f32(float x) { return x < 0.0f ? expf(x) - 1.0f : x; }

/* backend.elu: alpha == 1 -> tf.nn.elu; else where(x > 0, res, alpha*res). */
static float gru__elu_f32(const gru__actp_f32 *p, float x) {
    float e = gru__elu_base_f32(x);
    if (p->alpha == 1.0f || x > 0.0f) return e;
    return p->alpha * e;
}

static float gru__act_elem_f32(const gru_activation *act, const gru__actp_f32 *p, float x) {
    switch (act->kind) {
    case GRU_ACT_LINEAR: return x;
    case GRU_ACT_TANH: return gru__tanh_f32(x);
    case GRU_ACT_SIGMOID: return gru__sigmoid_f32(x);
    case GRU_ACT_HARD_SIGMOID: return gru__clip01_f32(gru__hard_sigmoid_pre_f32(x));
    case GRU_ACT_HARD_SIGMOID_K3: return gru__hs_k3_f32(x);
    case GRU_ACT_RELU: return gru__relu_general_f32(p, x);
    case GRU_ACT_RELU6: return gru__relu6_f32(x);
    case GRU_ACT_LEAKY_RELU: return x > 0.0f ? x : x * p->alpha_leaky;
    case GRU_ACT_ELU: return gru__elu_f32(p, x);
    case GRU_ACT_SELU:
        return x < 0.0f ? (float)GRU__SELU_SCALE_ALPHA * (expf(x) - 1.0f)
                        : (float)GRU__SELU_SCALE * x;
    case GRU_ACT_SOFTPLUS: return gru__softplus_f32(x);
    case GRU_ACT_SOFTSIGN: return x / (fabsf(x) + 1.0f);
    case GRU_ACT_EXPONENTIAL: return expf(x);
    case GRU_ACT_SWISH: return x * gru__sigmoid_f32(x);
    case GRU_ACT_GELU: /* (0.5*x) * erfc(-x * 1/sqrt(2)) */
        return (0.5f * x) * erfcf(-x * (float)GRU__GELU_RSQRT2);
    case GRU_ACT_GELU_TANH: { /* (0.5*x) * (1 + tanh(k * (x + c*x^3))) */
        float w = x + (float)GRU__GELU_C * powf(x, 3.0f);
        return (0.5f * x) * (1.0f + gru__tanh_f32((float)GRU__GELU_K * w));
    }
    case GRU_ACT_MISH: return x * gru__tanh_f32(gru__softplus_f32(x));
    case GRU_ACT_HARD_SILU: return x * gru__hs_k3_f32(x);
    case GRU_ACT_CUSTOM: return (float)act->fn((double)x, act->user);
    case GRU_ACT_SOFTMAX:
    case GRU_ACT_LOG_SOFTMAX:
    case GRU_ACT_COUNT_:
        break;
    }
    return x;
}

/* ------------------------------------------------------------------------ */
/* Element-wise forward, float64                                             */
/* ------------------------------------------------------------------------ */

static double gru__sigmoid_f64(double x) {
    double e = exp(x);
    return isinf(e) ? 1.0 : e / (1.0 + e);
}
static double gru__relu_f64(double x) { return x > 0.0 ? x : 0.0; }
static double gru__relu6_f64(double x) { return x > 0.0 ? (x < 6.0 ? x : 6.0) : 0.0; }

static double gru__softplus_f64(double x) {
    const double t = gru__softplus_t_f64();
    if (x > -t) return x;
    double e = exp(x);
    if (x < t) return e;
    return log1p(e);
}

static double gru__hard_sigmoid_pre_f64(double x) { return x * 0.2 + 0.5; }
static double gru__clip01_f64(double t) {
    double m = t < 1.0 ? t : 1.0;
    return m > 0.0 ? m : 0.0;
}
static double gru__hs_k3_f64(double x) { return gru__relu6_f64(x + 3.0) / 6.0; }

static double gru__relu_general_f64(const gru__actp_f64 *p, double x) {
    if (p->relu_mode == GRU__RELU_PLAIN) return gru__relu_f64(x);
    if (p->relu_mode == GRU__RELU_LEAKY) return x > 0.0 ? x : x * p->alpha_leaky;
    double neg = 0.0;
    if (p->alpha != 0.0) neg = p->threshold != 0.0 ? gru__relu_f64(-x + p->threshold)
                                                   : gru__relu_f64(-x);
    double r;
    int clip = p->has_max;
    if (p->threshold != 0.0) {
        r = x * (x > p->threshold ? 1.0 : 0.0);
    } else if (p->relu6_path) {
        r = gru__relu6_f64(x);
        clip = 0;
    } else {
        r = gru__relu_f64(x);
    }
    if (clip) {
        r = r < p->max_value ? r : p->max_value;
        r = r > 0.0 ? r : 0.0;
    }
    if (p->alpha != 0.0) r -= p->alpha * neg;
    return r;
}

static double gru__elu_base_f64(double x) { return x < 0.0 ? exp(x) - 1.0 : x; }
static double gru__elu_f64(const gru__actp_f64 *p, double x) {
    double e = gru__elu_base_f64(x);
    if (p->alpha == 1.0 || x > 0.0) return e;
    return p->alpha * e;
}

static double gru__act_elem_f64(const gru_activation *act, const gru__actp_f64 *p, double x) {
    switch (act->kind) {
    case GRU_ACT_LINEAR: return x;
    case GRU_ACT_TANH: return tanh(x);
    case GRU_ACT_SIGMOID: return gru__sigmoid_f64(x);
    case GRU_ACT_HARD_SIGMOID: return gru__clip01_f64(gru__hard_sigmoid_pre_f64(x));
    case GRU_ACT_HARD_SIGMOID_K3: return gru__hs_k3_f64(x);
    case GRU_ACT_RELU: return gru__relu_general_f64(p, x);
    case GRU_ACT_RELU6: return gru__relu6_f64(x);
    case GRU_ACT_LEAKY_RELU: return x > 0.0 ? x : x * p->alpha_leaky;
    case GRU_ACT_ELU: return gru__elu_f64(p, x);
    case GRU_ACT_SELU:
        return x < 0.0 ? GRU__SELU_SCALE_ALPHA * (exp(x) - 1.0) : GRU__SELU_SCALE * x;
    case GRU_ACT_SOFTPLUS: return gru__softplus_f64(x);
    case GRU_ACT_SOFTSIGN: return x / (fabs(x) + 1.0);
    case GRU_ACT_EXPONENTIAL: return exp(x);
    case GRU_ACT_SWISH: return x * gru__sigmoid_f64(x);
    case GRU_ACT_GELU: return (0.5 * x) * erfc(-x * GRU__GELU_RSQRT2_F64);
    case GRU_ACT_GELU_TANH: {
        double w = x + GRU__GELU_C * pow(x, 3.0);
        return (0.5 * x) * (1.0 + tanh(GRU__GELU_K * w));
    }
    case GRU_ACT_MISH: return x * tanh(gru__softplus_f64(x));
    case GRU_ACT_HARD_SILU: return x * gru__hs_k3_f64(x);
    case GRU_ACT_CUSTOM: return act->fn(x, act->user);
    case GRU_ACT_SOFTMAX:
    case GRU_ACT_LOG_SOFTMAX:
    case GRU_ACT_COUNT_:
        break;
    }
    return x;
}

/* ------------------------------------------------------------------------ */
/* Row-wise softmax / log_softmax (TF's SoftmaxEigenImpl)                    */
/* ------------------------------------------------------------------------ */

/* softmax: e = exp(x - max); y = e * (1 / sum(e)).
 * log_softmax: y = (x - max) - log(sum(exp(x - max))).
 * The float32 sums are accumulated in double and rounded once. Safe for
 * y == x: each x[i] is read before y[i] is written, and not read after. */
static void gru__softmax_row_f32(int log_form, size_t n, const float *x, float *y) {
    if (n == 0) return;
    float mx = x[0];
    for (size_t i = 1; i < n; i++) mx = x[i] > mx ? x[i] : mx;
    double sum = 0.0;
    if (log_form) {
        for (size_t i = 0; i < n; i++) sum += (double)expf(x[i] - mx);
        float lse = logf((float)sum);
        for (size_t i = 0; i < n; i++) y[i] = (x[i] - mx) - lse;
    } else {
        for (size_t i = 0; i < n; i++) {
            y[i] = expf(x[i] - mx);
            sum += (double)y[i];
        }
        float inv = 1.0f / (float)sum;
        for (size_t i = 0; i < n; i++) y[i] *= inv;
    }
}

static void gru__softmax_row_f64(int log_form, size_t n, const double *x, double *y) {
    if (n == 0) return;
    double mx = x[0];
    for (size_t i = 1; i < n; i++) mx = x[i] > mx ? x[i] : mx;
    double sum = 0.0;
    if (log_form) {
        for (size_t i = 0; i < n; i++) sum += exp(x[i] - mx);
        double lse = log(sum);
        for (size_t i = 0; i < n; i++) y[i] = (x[i] - mx) - lse;
    } else {
        for (size_t i = 0; i < n; i++) {
            y[i] = exp(x[i] - mx);
            sum += y[i];
        }
        double inv = 1.0 / sum;
        for (size_t i = 0; i < n; i++) y[i] *= inv;
    }
}

/* ------------------------------------------------------------------------ */
/* Fast paths for the step kernels (no checks)                               */
/* ------------------------------------------------------------------------ */

void gru__act_row_f32(const gru_activation *act, size_t n, const float *x, float *y) {
    if (act->kind == GRU_ACT_SOFTMAX || act->kind == GRU_ACT_LOG_SOFTMAX) {
        gru__softmax_row_f32(act->kind == GRU_ACT_LOG_SOFTMAX, n, x, y);
        return;
    }
    if (act->kind == GRU_ACT_LINEAR) {
        if (y != x) memmove(y, x, n * sizeof *y);
        return;
    }
    gru__actp_f32 p;
    gru__actp_init_f32(act, &p);
    for (size_t i = 0; i < n; i++) y[i] = gru__act_elem_f32(act, &p, x[i]);
}

void gru__act_row_f64(const gru_activation *act, size_t n, const double *x, double *y) {
    if (act->kind == GRU_ACT_SOFTMAX || act->kind == GRU_ACT_LOG_SOFTMAX) {
        gru__softmax_row_f64(act->kind == GRU_ACT_LOG_SOFTMAX, n, x, y);
        return;
    }
    if (act->kind == GRU_ACT_LINEAR) {
        if (y != x) memmove(y, x, n * sizeof *y);
        return;
    }
    gru__actp_f64 p;
    gru__actp_init_f64(act, &p);
    for (size_t i = 0; i < n; i++) y[i] = gru__act_elem_f64(act, &p, x[i]);
}

/* ------------------------------------------------------------------------ */
/* Element-wise gradients (dx from x, y = f(x), dy), float32                 */
/* ------------------------------------------------------------------------ */

/* Gradient of backend.relu as TF's registry composes it:
 * - relu: ReluGrad passes where x > 0; relu6: where 0 < x < 6;
 * - leaky_relu: x > 0 ? dy : dy*alpha (so alpha at 0);
 * - x * cast(x > threshold): the mask (no gradient through the cast);
 * - clip_by_value = maximum(minimum(r, max), 0): Minimum passes where
 *   r <= max, Maximum where min(r, max) >= 0 (so at r == max it passes);
 * - -alpha * relu(-x + threshold): alpha where x < threshold. */
static float gru__relu_grad_f32(const gru__actp_f32 *p, float x, float dy) {
    if (p->relu_mode == GRU__RELU_PLAIN) return x > 0.0f ? dy : 0.0f;
    if (p->relu_mode == GRU__RELU_LEAKY) return x > 0.0f ? dy : dy * p->alpha_leaky;
    float r;
    int pass, clip = p->has_max;
    if (p->threshold != 0.0f) {
        pass = x > p->threshold;
        r = x * (pass ? 1.0f : 0.0f);
    } else if (p->relu6_path) {
        pass = x > 0.0f && x < 6.0f;
        r = gru__relu6_f32(x);
        clip = 0;
    } else {
        pass = x > 0.0f;
        r = gru__relu_f32(x);
    }
    if (clip) {
        float m = r < p->max_value ? r : p->max_value;
        pass = pass && r <= p->max_value && m >= 0.0f;
    }
    float dx = pass ? dy : 0.0f;
    if (p->alpha != 0.0f) {
        float u = p->threshold != 0.0f ? -x + p->threshold : -x;
        if (u > 0.0f) dx += dy * p->alpha;
    }
    return dx;
}

static float gru__act_grad_elem_f32(const gru_activation *act, const gru__actp_f32 *p, float x,
                                    float y, float dy) {
    switch (act->kind) {
    case GRU_ACT_LINEAR: return dy;
    case GRU_ACT_TANH: return dy * (1.0f - y * y);             /* TanhGrad */
    case GRU_ACT_SIGMOID: return dy * y * (1.0f - y);          /* SigmoidGrad */
    case GRU_ACT_HARD_SIGMOID: {
        /* dy*0.2 where clip_by_value passes: 0 <= 0.2x+0.5 <= 1, edges included */
        float t = gru__hard_sigmoid_pre_f32(x);
        return (t <= 1.0f && t >= 0.0f) ? dy * 0.2f : 0.0f;
    }
    case GRU_ACT_HARD_SIGMOID_K3: {
        float u = x + 3.0f; /* Relu6Grad: 0 < u < 6, then RealDiv by 6 */
        return (u > 0.0f && u < 6.0f) ? dy / 6.0f : 0.0f;
    }
    case GRU_ACT_RELU: return gru__relu_grad_f32(p, x, dy);
    case GRU_ACT_RELU6: return (x > 0.0f && x < 6.0f) ? dy : 0.0f;
    case GRU_ACT_LEAKY_RELU: return x > 0.0f ? dy : dy * p->alpha_leaky;
    case GRU_ACT_ELU: {
        /* EluGrad(g, e) = e < 0 ? (e + 1) * g : g, with e = elu kernel output and
         * g = dy scaled by alpha on the where-branch x <= 0. */
        float e = gru__elu_base_f32(x);
        float g = x > 0.0f ? dy : dy * p->alpha;
        return e < 0.0f ? (e + 1.0f) * g : g;
    }
    case GRU_ACT_SELU: /* SeluGrad, from the output */
        return y < 0.0f ? dy * (y + (float)GRU__SELU_SCALE_ALPHA) : dy * (float)GRU__SELU_SCALE;
    case GRU_ACT_SOFTPLUS: return dy / (expf(-x) + 1.0f); /* SoftplusGrad */
    case GRU_ACT_SOFTSIGN: {
        float d = fabsf(x) + 1.0f; /* SoftsignGrad: dy / (|x| + 1)^2 */
        return dy / (d * d);
    }
    case GRU_ACT_EXPONENTIAL: return dy * y;
    case GRU_ACT_SWISH: { /* tf.nn.silu's custom gradient: s * (1 + x * (1 - s)) */
        float s = gru__sigmoid_f32(x);
        return dy * (s * (1.0f + x * (1.0f - s)));
    }
    case GRU_ACT_GELU: {
        /* d/dx [(x/2) erfc(-x/sqrt2)] = erfc(-x/sqrt2)/2 + x exp(-x^2/2)/sqrt(2 pi) */
        float u = -x * (float)GRU__GELU_RSQRT2;
        float b = erfcf(u);
        float gu = ((0.5f * x) * dy) * (float)GRU__M2_RSQRTPI * expf(-(u * u));
        return (dy * b) * 0.5f - gu * (float)GRU__GELU_RSQRT2;
    }
    case GRU_ACT_GELU_TANH: {
        /* y = (x/2)(1 + t), t = tanh(k w), w = x + c x^3:
         * y' = (1 + t)/2 + (x/2)(1 - t^2) k (1 + 3 c x^2) */
        float w = x + (float)GRU__GELU_C * powf(x, 3.0f);
        float t = gru__tanh_f32((float)GRU__GELU_K * w);
        float gw = (((0.5f * x) * dy) * (1.0f - t * t)) * (float)GRU__GELU_K;
        return (dy * (1.0f + t)) * 0.5f + gw + gw * (float)GRU__GELU_C * 3.0f * (x * x);
    }
    case GRU_ACT_MISH: {
        /* y = x tanh(sp(x)): y' = t + x (1 - t^2) sigmoid(x), sp' = 1/(exp(-x)+1) */
        float t = gru__tanh_f32(gru__softplus_f32(x));
        return dy * t + ((x * dy) * (1.0f - t * t)) / (expf(-x) + 1.0f);
    }
    case GRU_ACT_HARD_SILU: {
        /* y = x hs(x): y' = hs(x) + x hs'(x), hs' = 1/6 on 0 < x+3 < 6 */
        float u = x + 3.0f;
        float g = dy * gru__hs_k3_f32(x);
        if (u > 0.0f && u < 6.0f) g += (x * dy) / 6.0f;
        return g;
    }
    case GRU_ACT_CUSTOM: return dy * (float)act->deriv((double)x, act->user);
    case GRU_ACT_SOFTMAX:
    case GRU_ACT_LOG_SOFTMAX:
    case GRU_ACT_COUNT_:
        break;
    }
    return dy;
}

/* ------------------------------------------------------------------------ */
/* Element-wise gradients, float64                                           */
/* ------------------------------------------------------------------------ */

static double gru__relu_grad_f64(const gru__actp_f64 *p, double x, double dy) {
    if (p->relu_mode == GRU__RELU_PLAIN) return x > 0.0 ? dy : 0.0;
    if (p->relu_mode == GRU__RELU_LEAKY) return x > 0.0 ? dy : dy * p->alpha_leaky;
    double r;
    int pass, clip = p->has_max;
    if (p->threshold != 0.0) {
        pass = x > p->threshold;
        r = x * (pass ? 1.0 : 0.0);
    } else if (p->relu6_path) {
        pass = x > 0.0 && x < 6.0;
        r = gru__relu6_f64(x);
        clip = 0;
    } else {
        pass = x > 0.0;
        r = gru__relu_f64(x);
    }
    if (clip) {
        double m = r < p->max_value ? r : p->max_value;
        pass = pass && r <= p->max_value && m >= 0.0;
    }
    double dx = pass ? dy : 0.0;
    if (p->alpha != 0.0) {
        double u = p->threshold != 0.0 ? -x + p->threshold : -x;
        if (u > 0.0) dx += dy * p->alpha;
    }
    return dx;
}

static double gru__act_grad_elem_f64(const gru_activation *act, const gru__actp_f64 *p,
                                     double x, double y, double dy) {
    switch (act->kind) {
    case GRU_ACT_LINEAR: return dy;
    case GRU_ACT_TANH: return dy * (1.0 - y * y);
    case GRU_ACT_SIGMOID: return dy * y * (1.0 - y);
    case GRU_ACT_HARD_SIGMOID: {
        double t = gru__hard_sigmoid_pre_f64(x);
        return (t <= 1.0 && t >= 0.0) ? dy * 0.2 : 0.0;
    }
    case GRU_ACT_HARD_SIGMOID_K3: {
        double u = x + 3.0;
        return (u > 0.0 && u < 6.0) ? dy / 6.0 : 0.0;
    }
    case GRU_ACT_RELU: return gru__relu_grad_f64(p, x, dy);
    case GRU_ACT_RELU6: return (x > 0.0 && x < 6.0) ? dy : 0.0;
    case GRU_ACT_LEAKY_RELU: return x > 0.0 ? dy : dy * p->alpha_leaky;
    case GRU_ACT_ELU: {
        double e = gru__elu_base_f64(x);
        double g = x > 0.0 ? dy : dy * p->alpha;
        return e < 0.0 ? (e + 1.0) * g : g;
    }
    case GRU_ACT_SELU:
        return y < 0.0 ? dy * (y + GRU__SELU_SCALE_ALPHA) : dy * GRU__SELU_SCALE;
    case GRU_ACT_SOFTPLUS: return dy / (exp(-x) + 1.0);
    case GRU_ACT_SOFTSIGN: {
        double d = fabs(x) + 1.0;
        return dy / (d * d);
    }
    case GRU_ACT_EXPONENTIAL: return dy * y;
    case GRU_ACT_SWISH: {
        double s = gru__sigmoid_f64(x);
        return dy * (s * (1.0 + x * (1.0 - s)));
    }
    case GRU_ACT_GELU: {
        double u = -x * GRU__GELU_RSQRT2_F64;
        double b = erfc(u);
        double gu = ((0.5 * x) * dy) * GRU__M2_RSQRTPI * exp(-(u * u));
        return (dy * b) * 0.5 - gu * GRU__GELU_RSQRT2_F64;
    }
    case GRU_ACT_GELU_TANH: {
        double w = x + GRU__GELU_C * pow(x, 3.0);
        double t = tanh(GRU__GELU_K * w);
        double gw = (((0.5 * x) * dy) * (1.0 - t * t)) * GRU__GELU_K;
        return (dy * (1.0 + t)) * 0.5 + gw + gw * GRU__GELU_C * 3.0 * (x * x);
    }
    case GRU_ACT_MISH: {
        double t = tanh(gru__softplus_f64(x));
        return dy * t + ((x * dy) * (1.0 - t * t)) / (exp(-x) + 1.0);
    }
    case GRU_ACT_HARD_SILU: {
        double u = x + 3.0;
        double g = dy * gru__hs_k3_f64(x);
        if (u > 0.0 && u < 6.0) g += (x * dy) / 6.0;
        return g;
    }
    case GRU_ACT_CUSTOM: return dy * act->deriv(x, act->user);
    case GRU_ACT_SOFTMAX:
    case GRU_ACT_LOG_SOFTMAX:
    case GRU_ACT_COUNT_:
        break;
    }
    return dy;
}

/* Softmax VJP (TF _SoftmaxGrad): dx = (dy - sum(dy*y)) * y.
 * log_softmax VJP (TF _LogSoftmaxGrad): dx = dy - sum(dy) * exp(y).
 * The sums are taken before any dx is written, so dx may alias dy or y. */
static void gru__softmax_grad_row_f32(int log_form, size_t n, const float *y, const float *dy,
                                      float *dx) {
    double acc = 0.0;
    for (size_t i = 0; i < n; i++) acc += log_form ? (double)dy[i] : (double)(dy[i] * y[i]);
    float s = (float)acc;
    for (size_t i = 0; i < n; i++)
        dx[i] = log_form ? dy[i] - s * expf(y[i]) : (dy[i] - s) * y[i];
}

static void gru__softmax_grad_row_f64(int log_form, size_t n, const double *y,
                                      const double *dy, double *dx) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += log_form ? dy[i] : dy[i] * y[i];
    for (size_t i = 0; i < n; i++) dx[i] = log_form ? dy[i] - s * exp(y[i]) : (dy[i] - s) * y[i];
}

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

static void gru__grad_row_f32(const gru_activation *act, const gru__actp_f32 *p, size_t n,
                              const float *x, const float *y, const float *dy, float *dx) {
    if (act->kind == GRU_ACT_SOFTMAX || act->kind == GRU_ACT_LOG_SOFTMAX) {
        gru__softmax_grad_row_f32(act->kind == GRU_ACT_LOG_SOFTMAX, n, y, dy, dx);
        return;
    }
    for (size_t i = 0; i < n; i++) dx[i] = gru__act_grad_elem_f32(act, p, x[i], y[i], dy[i]);
}

static void gru__grad_row_f64(const gru_activation *act, const gru__actp_f64 *p, size_t n,
                              const double *x, const double *y, const double *dy, double *dx) {
    if (act->kind == GRU_ACT_SOFTMAX || act->kind == GRU_ACT_LOG_SOFTMAX) {
        gru__softmax_grad_row_f64(act->kind == GRU_ACT_LOG_SOFTMAX, n, y, dy, dx);
        return;
    }
    for (size_t i = 0; i < n; i++) dx[i] = gru__act_grad_elem_f64(act, p, x[i], y[i], dy[i]);
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
