/* Activations written once for both element types: parameters, element-wise
 * forward and gradient, softmax / log_softmax rows and the row drivers.
 * Included by activations.c (not a header of its own: no include guard),
 * with:
 *   T            element type (float or double)
 *   SUF(name)    name##_f32 or name##_f64
 *   LIT(c)       a fractional literal in T (0.2f or 0.2); whole numbers are
 *                written as ints, which convert to T exactly
 *   EPSILON      FLT_EPSILON or DBL_EPSILON
 *   EXP LOG LOG1P ERFC POW FABS   the libm functions for T
 * and, defined per type in activations.c because the two types genuinely
 * evaluate them differently, SUF(gru__sigmoid) and SUF(gru__tanh).
 *
 * Evaluation follows TF's kernels in T, operation by operation, so that T
 * rounds at the same places as TF does; constants that TF builds in a fixed
 * dtype whatever the data's (gelu's 1/sqrt(2), leaky_relu's alpha) are
 * rounded to float32 first, then converted to T. */

/* Parameters, prepared once per call in T. */
typedef struct SUF(gru__actp) {
    T alpha;       /* in T, as backend.relu / elu cast it                  */
    T alpha_leaky; /* leaky_relu's alpha attribute (a float32 attr)        */
    T max_value, threshold;
    int has_max;    /* relu: clip at max_value                             */
    int relu6_path; /* relu: max_value == 6 and threshold == 0             */
    gru__relu_mode relu_mode;
} SUF(gru__actp);

static void SUF(gru__actp_init)(const gru_activation *act, SUF(gru__actp) *p) {
    int has_max = !isnan(act->max_value) && act->max_value >= 0.0;
    p->alpha = (T)act->alpha;
    /* tf.nn.leaky_relu's alpha is a float32 attribute even for float64 data:
     * leaky_relu(-1.0 as f64) = -0.20000000298023224. */
    p->alpha_leaky = (T)(float)act->alpha;
    p->max_value = has_max ? (T)act->max_value : 0;
    p->threshold = (T)act->threshold;
    p->has_max = has_max;
    p->relu6_path = has_max && act->max_value == 6.0 && act->threshold == 0.0;
    p->relu_mode = gru__relu_mode_of(act, has_max);
}

/* ------------------------------------------------------------------------ */
/* Element-wise forward                                                      */
/* ------------------------------------------------------------------------ */

static T SUF(gru__relu)(T x) { return x > 0 ? x : 0; }
/* min(max(x, 0), 6) */
static T SUF(gru__relu6)(T x) { return x > 0 ? (x < 6 ? x : 6) : 0; }

/* softplus thresholds (TF softplus_op.h): t = log(epsilon) + 2, evaluated in
 * T; x > -t gives x, x < t gives exp(x), else log1p(exp(x)). */
static T SUF(gru__softplus)(T x) {
    const T t = LOG(EPSILON) + 2;
    if (x > -t) return x;
    T e = EXP(x);
    if (x < t) return e;
    return LOG1P(e);
}

/* backend.hard_sigmoid: x*0.2 + 0.5 (two roundings), then clip_by_value to
 * [0, 1] as minimum(., 1) followed by maximum(., 0). */
static T SUF(gru__hard_sigmoid_pre)(T x) { return x * LIT(0.2) + LIT(0.5); }
static T SUF(gru__clip01)(T t) {
    T m = t < 1 ? t : 1;
    return m > 0 ? m : 0;
}

/* Keras 3 hard_sigmoid: relu6(x + 3) / 6. */
static T SUF(gru__hs_k3)(T x) { return SUF(gru__relu6)(x + 3) / 6; }

/* backend.relu(x, alpha, max_value, threshold), step by step. */
static T SUF(gru__relu_general)(const SUF(gru__actp) *p, T x) {
    if (p->relu_mode == GRU__RELU_PLAIN) return SUF(gru__relu)(x);
    if (p->relu_mode == GRU__RELU_LEAKY) return x > 0 ? x : x * p->alpha_leaky;
    T neg = 0;
    if (p->alpha != 0) neg = p->threshold != 0 ? SUF(gru__relu)(-x + p->threshold)
                                               : SUF(gru__relu)(-x);
    T r;
    int clip = p->has_max;
    if (p->threshold != 0) {
        r = x * (x > p->threshold ? 1 : 0); /* keeps x where x > threshold */
    } else if (p->relu6_path) {
        r = SUF(gru__relu6)(x);
        clip = 0;
    } else {
        r = SUF(gru__relu)(x);
    }
    if (clip) { /* clip_by_value(r, 0, max_value) */
        r = r < p->max_value ? r : p->max_value;
        r = r > 0 ? r : 0;
    }
    if (p->alpha != 0) r -= p->alpha * neg;
    return r;
}

/* elu kernel: x < 0 ? exp(x) - 1 : x (exp - 1, not expm1). */
static T SUF(gru__elu_base)(T x) { return x < 0 ? EXP(x) - 1 : x; }

/* backend.elu: alpha == 1 -> tf.nn.elu; else where(x > 0, res, alpha*res). */
static T SUF(gru__elu)(const SUF(gru__actp) *p, T x) {
    T e = SUF(gru__elu_base)(x);
    if (p->alpha == 1 || x > 0) return e;
    return p->alpha * e;
}

static T SUF(gru__act_elem)(const gru_activation *act, const SUF(gru__actp) *p, T x) {
    switch (act->kind) {
    case GRU_ACT_LINEAR: return x;
    case GRU_ACT_TANH: return SUF(gru__tanh)(x);
    case GRU_ACT_SIGMOID: return SUF(gru__sigmoid)(x);
    case GRU_ACT_HARD_SIGMOID: return SUF(gru__clip01)(SUF(gru__hard_sigmoid_pre)(x));
    case GRU_ACT_HARD_SIGMOID_K3: return SUF(gru__hs_k3)(x);
    case GRU_ACT_RELU: return SUF(gru__relu_general)(p, x);
    case GRU_ACT_RELU6: return SUF(gru__relu6)(x);
    case GRU_ACT_LEAKY_RELU: return x > 0 ? x : x * p->alpha_leaky;
    case GRU_ACT_ELU: return SUF(gru__elu)(p, x);
    case GRU_ACT_SELU:
        return x < 0 ? (T)GRU__SELU_SCALE_ALPHA * (EXP(x) - 1) : (T)GRU__SELU_SCALE * x;
    case GRU_ACT_SOFTPLUS: return SUF(gru__softplus)(x);
    case GRU_ACT_SOFTSIGN: return x / (FABS(x) + 1);
    case GRU_ACT_EXPONENTIAL: return EXP(x);
    case GRU_ACT_SWISH: return x * SUF(gru__sigmoid)(x);
    case GRU_ACT_GELU: /* (0.5*x) * erfc(-x * 1/sqrt(2)) */
        return (LIT(0.5) * x) * ERFC(-x * (T)GRU__GELU_RSQRT2);
    case GRU_ACT_GELU_TANH: { /* (0.5*x) * (1 + tanh(k * (x + c*x^3))) */
        T w = x + (T)GRU__GELU_C * POW(x, 3);
        return (LIT(0.5) * x) * (1 + SUF(gru__tanh)((T)GRU__GELU_K * w));
    }
    case GRU_ACT_MISH: return x * SUF(gru__tanh)(SUF(gru__softplus)(x));
    case GRU_ACT_HARD_SILU: return x * SUF(gru__hs_k3)(x);
    case GRU_ACT_CUSTOM: return (T)act->fn((double)x, act->user); /* in double */
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
 * The sums are accumulated in double (for float32: rounded once at the end).
 * Safe for y == x: each x[i] is read before y[i] is written, and not read
 * after. */
static void SUF(gru__softmax_row)(int log_form, size_t n, const T *x, T *y) {
    if (n == 0) return;
    T mx = x[0];
    for (size_t i = 1; i < n; i++) mx = x[i] > mx ? x[i] : mx;
    double sum = 0.0;
    if (log_form) {
        for (size_t i = 0; i < n; i++) sum += (double)EXP(x[i] - mx);
        T lse = LOG((T)sum);
        for (size_t i = 0; i < n; i++) y[i] = (x[i] - mx) - lse;
    } else {
        for (size_t i = 0; i < n; i++) {
            y[i] = EXP(x[i] - mx);
            sum += (double)y[i];
        }
        T inv = 1 / (T)sum;
        for (size_t i = 0; i < n; i++) y[i] *= inv;
    }
}

/* Fast path for the step kernels (no checks). */
void SUF(gru__act_row)(const gru_activation *act, size_t n, const T *x, T *y) {
    if (act->kind == GRU_ACT_SOFTMAX || act->kind == GRU_ACT_LOG_SOFTMAX) {
        SUF(gru__softmax_row)(act->kind == GRU_ACT_LOG_SOFTMAX, n, x, y);
        return;
    }
    if (act->kind == GRU_ACT_LINEAR) {
        if (y != x) memmove(y, x, n * sizeof *y);
        return;
    }
    SUF(gru__actp) p;
    SUF(gru__actp_init)(act, &p);
    for (size_t i = 0; i < n; i++) y[i] = SUF(gru__act_elem)(act, &p, x[i]);
}

/* ------------------------------------------------------------------------ */
/* Element-wise gradients (dx from x, y = f(x), dy)                          */
/* ------------------------------------------------------------------------ */

/* Gradient of backend.relu as TF's registry composes it:
 * - relu: ReluGrad passes where x > 0; relu6: where 0 < x < 6;
 * - leaky_relu: x > 0 ? dy : dy*alpha (so alpha at 0);
 * - x * cast(x > threshold): the mask (no gradient through the cast);
 * - clip_by_value = maximum(minimum(r, max), 0): Minimum passes where
 *   r <= max, Maximum where min(r, max) >= 0 (so at r == max it passes);
 * - -alpha * relu(-x + threshold): alpha where x < threshold. */
static T SUF(gru__relu_grad)(const SUF(gru__actp) *p, T x, T dy) {
    if (p->relu_mode == GRU__RELU_PLAIN) return x > 0 ? dy : 0;
    if (p->relu_mode == GRU__RELU_LEAKY) return x > 0 ? dy : dy * p->alpha_leaky;
    T r;
    int pass, clip = p->has_max;
    if (p->threshold != 0) {
        pass = x > p->threshold;
        r = x * (pass ? 1 : 0);
    } else if (p->relu6_path) {
        pass = x > 0 && x < 6;
        r = SUF(gru__relu6)(x);
        clip = 0;
    } else {
        pass = x > 0;
        r = SUF(gru__relu)(x);
    }
    if (clip) {
        T m = r < p->max_value ? r : p->max_value;
        pass = pass && r <= p->max_value && m >= 0;
    }
    T dx = pass ? dy : 0;
    if (p->alpha != 0) {
        T u = p->threshold != 0 ? -x + p->threshold : -x;
        if (u > 0) dx += dy * p->alpha;
    }
    return dx;
}

static T SUF(gru__act_grad_elem)(const gru_activation *act, const SUF(gru__actp) *p, T x, T y,
                                 T dy) {
    switch (act->kind) {
    case GRU_ACT_LINEAR: return dy;
    case GRU_ACT_TANH: return dy * (1 - y * y);    /* TanhGrad */
    case GRU_ACT_SIGMOID: return dy * y * (1 - y); /* SigmoidGrad */
    case GRU_ACT_HARD_SIGMOID: {
        /* dy*0.2 where clip_by_value passes: 0 <= 0.2x+0.5 <= 1, edges included */
        T t = SUF(gru__hard_sigmoid_pre)(x);
        return (t <= 1 && t >= 0) ? dy * LIT(0.2) : 0;
    }
    case GRU_ACT_HARD_SIGMOID_K3: {
        T u = x + 3; /* Relu6Grad: 0 < u < 6, then RealDiv by 6 */
        return (u > 0 && u < 6) ? dy / 6 : 0;
    }
    case GRU_ACT_RELU: return SUF(gru__relu_grad)(p, x, dy);
    case GRU_ACT_RELU6: return (x > 0 && x < 6) ? dy : 0;
    case GRU_ACT_LEAKY_RELU: return x > 0 ? dy : dy * p->alpha_leaky;
    case GRU_ACT_ELU: {
        /* EluGrad(g, e) = e < 0 ? (e + 1) * g : g, with e = elu kernel output and
         * g = dy scaled by alpha on the where-branch x <= 0. */
        T e = SUF(gru__elu_base)(x);
        T g = x > 0 ? dy : dy * p->alpha;
        return e < 0 ? (e + 1) * g : g;
    }
    case GRU_ACT_SELU: /* SeluGrad, from the output */
        return y < 0 ? dy * (y + (T)GRU__SELU_SCALE_ALPHA) : dy * (T)GRU__SELU_SCALE;
    case GRU_ACT_SOFTPLUS: return dy / (EXP(-x) + 1); /* SoftplusGrad */
    case GRU_ACT_SOFTSIGN: {
        T d = FABS(x) + 1; /* SoftsignGrad: dy / (|x| + 1)^2 */
        return dy / (d * d);
    }
    case GRU_ACT_EXPONENTIAL: return dy * y;
    case GRU_ACT_SWISH: { /* tf.nn.silu's custom gradient: s * (1 + x * (1 - s)) */
        T s = SUF(gru__sigmoid)(x);
        return dy * (s * (1 + x * (1 - s)));
    }
    case GRU_ACT_GELU: {
        /* d/dx [(x/2) erfc(-x/sqrt2)] = erfc(-x/sqrt2)/2 + x exp(-x^2/2)/sqrt(2 pi) */
        T u = -x * (T)GRU__GELU_RSQRT2;
        T b = ERFC(u);
        T gu = ((LIT(0.5) * x) * dy) * (T)GRU__M2_RSQRTPI * EXP(-(u * u));
        return (dy * b) * LIT(0.5) - gu * (T)GRU__GELU_RSQRT2;
    }
    case GRU_ACT_GELU_TANH: {
        /* y = (x/2)(1 + t), t = tanh(k w), w = x + c x^3:
         * y' = (1 + t)/2 + (x/2)(1 - t^2) k (1 + 3 c x^2) */
        T w = x + (T)GRU__GELU_C * POW(x, 3);
        T t = SUF(gru__tanh)((T)GRU__GELU_K * w);
        T gw = (((LIT(0.5) * x) * dy) * (1 - t * t)) * (T)GRU__GELU_K;
        return (dy * (1 + t)) * LIT(0.5) + gw + gw * (T)GRU__GELU_C * 3 * (x * x);
    }
    case GRU_ACT_MISH: {
        /* y = x tanh(sp(x)): y' = t + x (1 - t^2) sigmoid(x), sp' = 1/(exp(-x)+1) */
        T t = SUF(gru__tanh)(SUF(gru__softplus)(x));
        return dy * t + ((x * dy) * (1 - t * t)) / (EXP(-x) + 1);
    }
    case GRU_ACT_HARD_SILU: {
        /* y = x hs(x): y' = hs(x) + x hs'(x), hs' = 1/6 on 0 < x+3 < 6 */
        T u = x + 3;
        T g = dy * SUF(gru__hs_k3)(x);
        if (u > 0 && u < 6) g += (x * dy) / 6;
        return g;
    }
    case GRU_ACT_CUSTOM: return dy * (T)act->deriv((double)x, act->user);
    case GRU_ACT_SOFTMAX:
    case GRU_ACT_LOG_SOFTMAX:
    case GRU_ACT_COUNT_:
        break;
    }
    return dy;
}

/* Softmax VJP (TF _SoftmaxGrad): dx = (dy - sum(dy*y)) * y.
 * log_softmax VJP (TF _LogSoftmaxGrad): dx = dy - sum(dy) * exp(y).
 * The sum is accumulated in double (each float32 product rounded to float32
 * first, the sum rounded once at the end). It is taken before any dx is
 * written, so dx may alias dy or y. */
static void SUF(gru__softmax_grad_row)(int log_form, size_t n, const T *y, const T *dy, T *dx) {
    double acc = 0.0;
    for (size_t i = 0; i < n; i++) acc += log_form ? (double)dy[i] : (double)(dy[i] * y[i]);
    T s = (T)acc;
    for (size_t i = 0; i < n; i++) dx[i] = log_form ? dy[i] - s * EXP(y[i]) : (dy[i] - s) * y[i];
}

static void SUF(gru__grad_row)(const gru_activation *act, const SUF(gru__actp) *p, size_t n,
                               const T *x, const T *y, const T *dy, T *dx) {
    if (act->kind == GRU_ACT_SOFTMAX || act->kind == GRU_ACT_LOG_SOFTMAX) {
        SUF(gru__softmax_grad_row)(act->kind == GRU_ACT_LOG_SOFTMAX, n, y, dy, dx);
        return;
    }
    for (size_t i = 0; i < n; i++) dx[i] = SUF(gru__act_grad_elem)(act, p, x[i], y[i], dy[i]);
}
