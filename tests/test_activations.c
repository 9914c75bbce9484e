/* Activations: name lookup, values from the mathematical definitions,
 * gradients (finite differences away from kinks, TF's values at kinks),
 * softmax rows, aliasing, custom callbacks and argument validation.
 * Values at kinks are those TF 2.21's gradient registry gives (probed with
 * tf.GradientTape); they are facts about TF, not about this library. */
#include <float.h>
#include <stdint.h>

#include "internal.h"
#include "runner.h"

void tests_activations(void);

/* ---- helpers ------------------------------------------------------------ */

static gru_activation act_named(const char *name) {
    gru_activation a;
    memset(&a, 0, sizeof a);
    (void)gru_activation_from_name(name, &a);
    return a;
}

/* f(x) for one double through the public API. */
static double ap64(const gru_activation *a, double x) {
    double y = (double)NAN;
    (void)gru_activation_apply(a, GRU_F64, 1, 1, &x, &y);
    return y;
}
static float ap32(const gru_activation *a, float x) {
    float y = NAN;
    (void)gru_activation_apply(a, GRU_F32, 1, 1, &x, &y);
    return y;
}
/* f'(x) (dy = 1) for one double through the public API. */
static double gr64(const gru_activation *a, double x) {
    double y = ap64(a, x), dy = 1.0, dx = (double)NAN;
    (void)gru_activation_grad(a, GRU_F64, 1, 1, &x, &y, &dy, &dx);
    return dx;
}
static float gr32(const gru_activation *a, float x) {
    float y = ap32(a, x), dy = 1.0f, dx = NAN;
    (void)gru_activation_grad(a, GRU_F32, 1, 1, &x, &y, &dy, &dx);
    return dx;
}

static double sigm(double x) { return 1.0 / (1.0 + exp(-x)); }

/* Every element-wise kind with a Keras name (custom and softmax apart). */
static const char *const k_elementwise[] = {
    "linear", "tanh", "sigmoid", "hard_sigmoid", "hard_sigmoid_k3", "relu", "relu6",
    "leaky_relu", "elu", "selu", "softplus", "softsign", "exponential", "swish", "gelu",
    "gelu_tanh", "mish", "hard_silu",
};
#define N_ELEMENTWISE (sizeof k_elementwise / sizeof k_elementwise[0])

/* ---- names -------------------------------------------------------------- */

TEST(act_names_all) {
    static const struct {
        const char *name;
        gru_activation_kind kind;
    } cases[] = {
        {"linear", GRU_ACT_LINEAR},       {"tanh", GRU_ACT_TANH},
        {"sigmoid", GRU_ACT_SIGMOID},     {"hard_sigmoid", GRU_ACT_HARD_SIGMOID},
        {"relu", GRU_ACT_RELU},           {"relu6", GRU_ACT_RELU6},
        {"leaky_relu", GRU_ACT_LEAKY_RELU}, {"elu", GRU_ACT_ELU},
        {"selu", GRU_ACT_SELU},           {"softplus", GRU_ACT_SOFTPLUS},
        {"softsign", GRU_ACT_SOFTSIGN},   {"exponential", GRU_ACT_EXPONENTIAL},
        {"swish", GRU_ACT_SWISH},         {"silu", GRU_ACT_SWISH},
        {"gelu", GRU_ACT_GELU},           {"mish", GRU_ACT_MISH},
        {"softmax", GRU_ACT_SOFTMAX},     {"log_softmax", GRU_ACT_LOG_SOFTMAX},
        {"hard_sigmoid_k3", GRU_ACT_HARD_SIGMOID_K3}, {"hard_silu", GRU_ACT_HARD_SILU},
        {"hard_swish", GRU_ACT_HARD_SILU}, {"gelu_tanh", GRU_ACT_GELU_TANH},
        {"ELU", GRU_ACT_ELU},             {"LeakyReLU", GRU_ACT_LEAKY_RELU},
        {"ReLU", GRU_ACT_RELU},           {"Softmax", GRU_ACT_SOFTMAX},
        {"ThresholdedReLU", GRU_ACT_RELU},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gru_activation a;
        CHECK_OK(gru_activation_from_name(cases[i].name, &a));
        CHECK_MSG(a.kind == cases[i].kind, "%s -> kind %d", cases[i].name, (int)a.kind);
        CHECK_OK(gru__activation_check(&a, "activation", NULL));
    }
}

TEST(act_names_defaults) {
    gru_activation a;
    CHECK_OK(gru_activation_from_name("relu", &a));
    CHECK(a.alpha == 0.0 && isnan(a.max_value) && a.threshold == 0.0);
    CHECK(a.fn == NULL && a.deriv == NULL && a.user == NULL);
    CHECK_OK(gru_activation_from_name("leaky_relu", &a));
    CHECK(a.alpha == 0.2);
    CHECK_OK(gru_activation_from_name("elu", &a));
    CHECK(a.alpha == 1.0);
    CHECK_OK(gru_activation_from_name("LeakyReLU", &a)); /* the layer's default */
    CHECK(a.alpha == 0.3);
    CHECK_OK(gru_activation_from_name("ThresholdedReLU", &a)); /* theta = 1 */
    CHECK(a.alpha == 0.0 && a.threshold == 1.0 && isnan(a.max_value));
    CHECK_OK(gru_activation_from_name(NULL, &a));
    CHECK(a.kind == GRU_ACT_LINEAR);
    a.kind = GRU_ACT_TANH;
    CHECK_OK(gru_activation_from_name("", &a));
    CHECK(a.kind == GRU_ACT_LINEAR);
}

TEST(act_names_roundtrip) {
    for (int k = 0; k < (int)GRU_ACT_COUNT_; k++) {
        gru_activation a;
        memset(&a, 0, sizeof a);
        a.kind = (gru_activation_kind)k;
        const char *n = gru_activation_name(&a);
        CHECK(n != NULL && *n);
        if (k == (int)GRU_ACT_CUSTOM) {
            CHECK(strcmp(n, "custom") == 0);
            CHECK_REJECT(gru_activation_from_name(n, &a), GRU_E_NAME, "\"custom\"");
            continue;
        }
        gru_activation b;
        CHECK_OK(gru_activation_from_name(n, &b));
        CHECK_MSG((int)b.kind == k, "name %s -> kind %d, want %d", n, (int)b.kind, k);
    }
    gru_activation bad;
    memset(&bad, 0, sizeof bad);
    bad.kind = GRU_ACT_COUNT_;
    CHECK(strcmp(gru_activation_name(&bad), "unknown") == 0);
    CHECK(strcmp(gru_activation_name(NULL), "unknown") == 0);
}

TEST(act_names_unknown) {
    gru_activation a;
    CHECK_REJECT(gru_activation_from_name("tanhh", &a), GRU_E_NAME, "\"tanhh\"");
    CHECK(strstr(gru_last_error(), "activation") != NULL);
    CHECK(strstr(gru_last_error(), "expected") != NULL);
    /* Keras names are case-sensitive: "Tanh" is not "tanh". */
    CHECK_REJECT(gru_activation_from_name("Tanh", &a), GRU_E_NAME, "\"Tanh\"");
    /* Module functions that are not activations. */
    CHECK_REJECT(gru_activation_from_name("get", &a), GRU_E_NAME, "\"get\"");
    CHECK_REJECT(gru_activation_from_name("serialize", &a), GRU_E_NAME, "activation");
    /* Keras 3 only names we do not provide. */
    CHECK_REJECT(gru_activation_from_name("celu", &a), GRU_E_NAME, "\"celu\"");
    /* PReLU has weights. */
    CHECK_REJECT(gru_activation_from_name("PReLU", &a), GRU_E_UNSUPPORTED, "PReLU");
    CHECK_REJECT(gru_activation_from_name("tanh", NULL), GRU_E_NULL, "out");
}

/* ---- values from the definitions --------------------------------------- */

TEST(act_values_f64) {
    const double tol = 1e-14;
    const double xs[] = {-3.7, -1.3, -0.4, 0.35, 1.1, 2.2, 4.9};
    const double scale = 1.0507009873554804934193349852946;
    const double alpha_selu = 1.6732632423543772848170429916717;
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        double x = xs[i];
        double sp = log1p(exp(x));
        double hs3 = fmin(fmax(x + 3.0, 0.0), 6.0) / 6.0;
        CHECK_NEAR(ap64(&(gru_activation){GRU_ACT_LINEAR, 0, 0, 0, 0, 0, 0}, x), x, 0);
        gru_activation a;
        a = act_named("tanh");        CHECK_NEAR(ap64(&a, x), tanh(x), tol);
        a = act_named("sigmoid");     CHECK_NEAR(ap64(&a, x), sigm(x), tol);
        a = act_named("hard_sigmoid");
        CHECK_NEAR(ap64(&a, x), fmin(fmax(0.2 * x + 0.5, 0.0), 1.0), tol);
        a = act_named("hard_sigmoid_k3"); CHECK_NEAR(ap64(&a, x), hs3, tol);
        a = act_named("relu");        CHECK_NEAR(ap64(&a, x), fmax(x, 0.0), 0);
        a = act_named("relu6");       CHECK_NEAR(ap64(&a, x), fmin(fmax(x, 0.0), 6.0), 0);
        a = act_named("leaky_relu");
        CHECK_NEAR(ap64(&a, x), x > 0 ? x : (double)0.2f * x, tol);
        a = act_named("elu");         CHECK_NEAR(ap64(&a, x), x > 0 ? x : exp(x) - 1.0, tol);
        a = act_named("selu");
        CHECK_NEAR(ap64(&a, x), x > 0 ? scale * x : scale * alpha_selu * (exp(x) - 1.0), tol);
        a = act_named("softplus");    CHECK_NEAR(ap64(&a, x), sp, tol);
        a = act_named("softsign");    CHECK_NEAR(ap64(&a, x), x / (1.0 + fabs(x)), tol);
        a = act_named("exponential"); CHECK_NEAR(ap64(&a, x), exp(x), tol * exp(x));
        a = act_named("swish");       CHECK_NEAR(ap64(&a, x), x * sigm(x), tol);
        a = act_named("gelu");
        /* TF multiplies by 1/sqrt(2) rounded to float32, even in float64 */
        CHECK_NEAR(ap64(&a, x), 0.5 * x * (1.0 + erf(x * (double)(float)(1.0 / sqrt(2.0)))), tol);
        a = act_named("gelu_tanh");
        CHECK_NEAR(ap64(&a, x),
                   0.5 * x * (1.0 + tanh(sqrt(2.0 / 3.14159265358979323846) *
                                         (x + 0.044715 * x * x * x))),
                   tol);
        a = act_named("mish");        CHECK_NEAR(ap64(&a, x), x * tanh(sp), tol);
        a = act_named("hard_silu");   CHECK_NEAR(ap64(&a, x), x * hs3, tol);
    }
}

TEST(act_values_f32) {
    const float xs[] = {-3.7f, -1.3f, -0.4f, 0.35f, 1.1f, 2.2f, 4.9f};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        double x = (double)xs[i];
        double sp = log1p(exp(x));
        double tol = 2e-6 * fmax(1.0, fabs(x));
        gru_activation a;
        a = act_named("tanh");     CHECK_NEAR(ap32(&a, xs[i]), tanh(x), tol);
        a = act_named("sigmoid");  CHECK_NEAR(ap32(&a, xs[i]), sigm(x), tol);
        a = act_named("softplus"); CHECK_NEAR(ap32(&a, xs[i]), sp, tol);
        a = act_named("elu");      CHECK_NEAR(ap32(&a, xs[i]), x > 0 ? x : exp(x) - 1.0, tol);
        a = act_named("swish");    CHECK_NEAR(ap32(&a, xs[i]), x * sigm(x), tol);
        a = act_named("gelu");
        CHECK_NEAR(ap32(&a, xs[i]), 0.5 * x * (1.0 + erf(x / sqrt(2.0))), tol);
        a = act_named("mish");     CHECK_NEAR(ap32(&a, xs[i]), x * tanh(sp), tol);
        a = act_named("exponential"); CHECK_NEAR(ap32(&a, xs[i]), exp(x), tol * exp(x));
    }
    /* hard_sigmoid in float32: x*0.2f + 0.5f, two roundings. */
    gru_activation hs = act_named("hard_sigmoid");
    CHECK(ap32(&hs, 1.0f) == 1.0f * 0.2f + 0.5f);
    CHECK(ap32(&hs, 3.0f) == 1.0f && ap32(&hs, -3.0f) == 0.0f);
    gru_activation lr = act_named("leaky_relu");
    CHECK(ap32(&lr, -1.0f) == -0.2f);
}

/* The thresholds of TF's softplus kernel: t = log(eps) + 2 in the dtype;
 * x > -t returns x, x < t returns exp(x). */
TEST(act_softplus_thresholds) {
    gru_activation a = act_named("softplus");
    double t32 = log((double)FLT_EPSILON) + 2.0; /* about -13.94 */
    double t64 = log(DBL_EPSILON) + 2.0;         /* about -34.04 */
    CHECK(t32 < -13.9 && t32 > -14.0 && t64 < -34.0 && t64 > -34.1);
    CHECK(ap32(&a, 14.0f) == 14.0f);
    CHECK(ap32(&a, -14.0f) == expf(-14.0f));
    CHECK_NEAR(ap32(&a, 13.9f), log1p(exp(13.9)), 2e-6 * 13.9);
    CHECK(ap64(&a, 34.1) == 34.1);
    CHECK(ap64(&a, -34.1) == exp(-34.1));
    CHECK_NEAR(ap64(&a, 34.0), log1p(exp(34.0)), 1e-13);
    CHECK(ap64(&a, 800.0) == 800.0); /* no overflow */
}

/* ---- gradients ---------------------------------------------------------- */

/* Central differences in double, at points away from every kink. */
TEST(act_grad_finite_diff) {
    const double xs[] = {-3.7, -1.3, -0.4, 0.35, 1.1, 2.2, 4.9};
    const double h = 1e-6;
    for (size_t k = 0; k < N_ELEMENTWISE; k++) {
        gru_activation a = act_named(k_elementwise[k]);
        for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
            double x = xs[i];
            double fd = (ap64(&a, x + h) - ap64(&a, x - h)) / (2 * h);
            double g = gr64(&a, x);
            CHECK_MSG(fabs(g - fd) <= 1e-6 * fmax(1.0, fabs(fd)), "%s'(%g) = %.12g, fd %.12g",
                      k_elementwise[k], x, g, fd);
            /* float32 agrees with double */
            double g32 = (double)gr32(&a, (float)x);
            double fd32 = (ap64(&a, (double)(float)x + h) - ap64(&a, (double)(float)x - h)) / (2 * h);
            CHECK_MSG(fabs(g32 - fd32) <= 2e-5 * fmax(1.0, fabs(fd32)), "f32 %s'(%g) = %.9g, fd %.9g",
                      k_elementwise[k], x, g32, fd32);
        }
    }
    /* relu with every option, elu with alpha != 1 */
    gru_activation r = act_named("relu");
    r.alpha = 0.1;
    r.max_value = 5.0;
    r.threshold = 1.0;
    gru_activation e = act_named("elu");
    e.alpha = 2.0;
    const gru_activation *more[] = {&r, &e};
    for (size_t m = 0; m < 2; m++)
        for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
            double x = xs[i];
            double fd = (ap64(more[m], x + h) - ap64(more[m], x - h)) / (2 * h);
            CHECK_NEAR(gr64(more[m], x), fd, 1e-6 * fmax(1.0, fabs(fd)));
        }
}

/* Gradient VJP with a non-unit dy scales linearly. */
TEST(act_grad_scales_with_dy) {
    gru_activation a = act_named("tanh");
    double x[3] = {-0.5, 0.1, 2.0}, y[3], dy[3] = {2.0, -3.0, 0.5}, dx[3];
    CHECK_OK(gru_activation_apply(&a, GRU_F64, 1, 3, x, y));
    CHECK_OK(gru_activation_grad(&a, GRU_F64, 1, 3, x, y, dy, dx));
    for (int i = 0; i < 3; i++) CHECK_NEAR(dx[i], dy[i] * (1.0 - tanh(x[i]) * tanh(x[i])), 1e-14);
}

/* Kinks: the values TF's gradient registry gives. */
TEST(act_grad_kinks_tf) {
    gru_activation a;
    /* hard_sigmoid: clip_by_value's gradient passes at the edges (0.2 at
     * exactly +-2.5), 0 outside. */
    a = act_named("hard_sigmoid");
    CHECK(gr64(&a, 2.5) == 0.2 && gr64(&a, -2.5) == 0.2 && gr64(&a, 0.0) == 0.2);
    CHECK(gr64(&a, 2.6) == 0.0 && gr64(&a, -2.6) == 0.0);
    CHECK(gr32(&a, 2.5f) == 0.2f && gr32(&a, -2.5f) == 0.2f && gr32(&a, 3.0f) == 0.0f);
    CHECK(ap64(&a, 2.5) == 1.0 && ap64(&a, -2.5) == 0.0);
    /* Keras 3 hard_sigmoid: relu6's gradient is 0 at both edges. */
    a = act_named("hard_sigmoid_k3");
    CHECK(gr64(&a, 3.0) == 0.0 && gr64(&a, -3.0) == 0.0);
    CHECK_NEAR(gr64(&a, 0.0), 1.0 / 6.0, 1e-16);
    /* relu'(0) = 0; relu6'(0) = relu6'(6) = 0 */
    a = act_named("relu");
    CHECK(gr64(&a, 0.0) == 0.0 && gr32(&a, 0.0f) == 0.0f && gr64(&a, 1e-300) == 1.0);
    a = act_named("relu6");
    CHECK(gr64(&a, 0.0) == 0.0 && gr64(&a, 6.0) == 0.0 && gr64(&a, 5.999) == 1.0);
    /* leaky_relu'(0) = alpha; alpha is a float32 attribute even for f64 */
    a = act_named("leaky_relu");
    CHECK(gr32(&a, 0.0f) == 0.2f);
    CHECK(gr64(&a, 0.0) == (double)0.2f);
    CHECK(ap64(&a, -1.0) == -(double)0.2f);
    /* elu'(0) = 1 (EluGrad with y = 0); with alpha 2: 2 (where's x <= 0 branch) */
    a = act_named("elu");
    CHECK(gr64(&a, 0.0) == 1.0 && gr32(&a, 0.0f) == 1.0f);
    a.alpha = 2.0;
    CHECK(gr64(&a, 0.0) == 2.0 && ap64(&a, 0.0) == 0.0);
    /* selu'(0) = scale (SeluGrad takes the y >= 0 branch) */
    a = act_named("selu");
    CHECK(gr64(&a, 0.0) == 1.0507009873554804934193349852946);
}

/* backend.relu(alpha, max_value, threshold): values and gradients at the
 * kinks as TF computes them. */
TEST(act_relu_general_tf) {
    gru_activation a = act_named("relu");
    /* max_value 5: clip_by_value passes at x == 5 */
    a.max_value = 5.0;
    CHECK(ap64(&a, 7.0) == 5.0 && gr64(&a, 5.0) == 1.0 && gr64(&a, 6.0) == 0.0);
    CHECK(gr64(&a, 0.0) == 0.0);
    /* max_value 6 takes tf.nn.relu6: 0 at x == 6 */
    a.max_value = 6.0;
    CHECK(gr64(&a, 6.0) == 0.0 && ap64(&a, 7.0) == 6.0);
    /* alpha without cap or threshold is tf.nn.leaky_relu: alpha at 0, and
     * alpha rounded to float32 */
    a = act_named("relu");
    a.alpha = 0.1;
    CHECK(gr64(&a, 0.0) == (double)0.1f && ap64(&a, -1.0) == -(double)0.1f);
    /* alpha with a cap is the composite path: 0 at 0, alpha exact in f64 */
    a.max_value = 5.0;
    CHECK(gr64(&a, 0.0) == 0.0 && gr64(&a, -1.0) == 0.1 && ap64(&a, -1.0) == -0.1);
    CHECK(gr64(&a, 5.0) == 1.0 && gr64(&a, 7.0) == 0.0);
    /* threshold 1: x kept only where x > 1; gradient 0 at x == 1 */
    a = act_named("relu");
    a.threshold = 1.0;
    CHECK(ap64(&a, 1.0) == 0.0 && gr64(&a, 1.0) == 0.0 && ap64(&a, 2.0) == 2.0);
    CHECK(ap64(&a, 0.5) == 0.0 && gr64(&a, 2.0) == 1.0);
    /* threshold 1, alpha 0.1, cap 5 */
    a.alpha = 0.1;
    a.max_value = 5.0;
    CHECK_NEAR(ap64(&a, -1.0), -0.2, 1e-16);
    CHECK(gr64(&a, -1.0) == 0.1 && gr64(&a, 1.0) == 0.0 && gr64(&a, 5.0) == 1.0);
    /* negative threshold: alpha*(x - threshold) below it, 0 at it */
    a = act_named("relu");
    a.threshold = -1.0;
    a.alpha = 0.1;
    CHECK_NEAR(ap64(&a, -2.0), -0.1, 1e-16);
    CHECK(gr64(&a, -1.0) == 0.0 && gr64(&a, 0.0) == 1.0 && ap64(&a, 0.0) == 0.0);
    /* ThresholdedReLU(theta=1) by name */
    a = act_named("ThresholdedReLU");
    CHECK(ap32(&a, 1.0f) == 0.0f && ap32(&a, 2.0f) == 2.0f && gr32(&a, 2.0f) == 1.0f);
    /* max_value 0 clips everything to 0 */
    a = act_named("relu");
    a.max_value = 0.0;
    CHECK(ap64(&a, 3.0) == 0.0 && gr64(&a, 3.0) == 0.0 && gr64(&a, 0.0) == 0.0);
}

/* ---- softmax ------------------------------------------------------------ */

TEST(act_softmax_rows) {
    gru_activation sm = act_named("softmax"), lsm = act_named("log_softmax");
    double x[2][4] = {{0.1, -2.0, 3.0, 0.5}, {1000.0, 999.0, -1000.0, 1000.0}};
    double y[2][4], ly[2][4];
    CHECK_OK(gru_activation_apply(&sm, GRU_F64, 2, 4, x, y));
    CHECK_OK(gru_activation_apply(&lsm, GRU_F64, 2, 4, x, ly));
    for (int r = 0; r < 2; r++) {
        double s = 0, ls = 0, z = 0;
        for (int j = 0; j < 4; j++) z += exp(x[r][j] - x[r][0]);
        for (int j = 0; j < 4; j++) {
            s += y[r][j];
            ls += exp(ly[r][j]);
            CHECK(isfinite(y[r][j]) && isfinite(ly[r][j]));
            CHECK_NEAR(y[r][j], exp(x[r][j] - x[r][0]) / z, 1e-15);
            CHECK_NEAR(ly[r][j], (x[r][j] - x[r][0]) - log(z), 1e-13);
        }
        CHECK_NEAR(s, 1.0, 1e-15);
        CHECK_NEAR(ls, 1.0, 1e-14);
    }
    float xf[3] = {88.0f, 80.0f, -5.0f}, yf[3];
    CHECK_OK(gru_activation_apply(&sm, GRU_F32, 1, 3, xf, yf));
    CHECK_NEAR((double)yf[0] + (double)yf[1] + (double)yf[2], 1.0, 2e-7);
    /* n = 1: softmax is 1, log_softmax is 0 */
    double one = 5.0, o;
    CHECK_OK(gru_activation_apply(&sm, GRU_F64, 1, 1, &one, &o));
    CHECK(o == 1.0);
    CHECK_OK(gru_activation_apply(&lsm, GRU_F64, 1, 1, &one, &o));
    CHECK(o == 0.0);
}

/* softmax / log_softmax VJP against finite differences of dy . f(x). */
TEST(act_softmax_grad_fd) {
    const char *names[2] = {"softmax", "log_softmax"};
    for (int k = 0; k < 2; k++) {
        gru_activation a = act_named(names[k]);
        double x[5] = {0.3, -1.2, 2.0, 0.7, -0.1}, y[5], dy[5] = {0.5, -1.0, 0.25, 2.0, -0.75};
        double dx[5];
        CHECK_OK(gru_activation_apply(&a, GRU_F64, 1, 5, x, y));
        CHECK_OK(gru_activation_grad(&a, GRU_F64, 1, 5, x, y, dy, dx));
        for (int i = 0; i < 5; i++) {
            double xp[5], xm[5], yp[5], ym[5], h = 1e-6, fd = 0;
            memcpy(xp, x, sizeof x);
            memcpy(xm, x, sizeof x);
            xp[i] += h;
            xm[i] -= h;
            CHECK_OK(gru_activation_apply(&a, GRU_F64, 1, 5, xp, yp));
            CHECK_OK(gru_activation_apply(&a, GRU_F64, 1, 5, xm, ym));
            for (int j = 0; j < 5; j++) fd += dy[j] * (yp[j] - ym[j]) / (2 * h);
            CHECK_MSG(fabs(dx[i] - fd) < 1e-8, "%s dx[%d] = %.12g, fd %.12g", names[k], i, dx[i],
                      fd);
        }
        /* float32 agrees */
        float xf[5], yf[5], dyf[5], dxf[5];
        for (int i = 0; i < 5; i++) xf[i] = (float)x[i], dyf[i] = (float)dy[i];
        CHECK_OK(gru_activation_apply(&a, GRU_F32, 1, 5, xf, yf));
        CHECK_OK(gru_activation_grad(&a, GRU_F32, 1, 5, xf, yf, dyf, dxf));
        for (int i = 0; i < 5; i++) CHECK_NEAR(dxf[i], dx[i], 2e-6);
    }
}

/* ---- aliasing, row helpers, custom ------------------------------------- */

TEST(act_aliasing) {
    const char *names[] = {"tanh", "softmax", "log_softmax", "linear", "gelu", "relu"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        gru_activation a = act_named(names[k]);
        double x[2][3] = {{-1.5, 0.25, 2.0}, {3.0, -0.5, 0.0}}, ref[2][3], buf[2][3];
        memcpy(buf, x, sizeof x);
        CHECK_OK(gru_activation_apply(&a, GRU_F64, 2, 3, x, ref));
        CHECK_OK(gru_activation_apply(&a, GRU_F64, 2, 3, buf, buf));
        CHECK_MSG(memcmp(buf, ref, sizeof ref) == 0, "%s in place differs", names[k]);
        float xf[3] = {-1.5f, 0.25f, 2.0f}, rf[3];
        CHECK_OK(gru_activation_apply(&a, GRU_F32, 1, 3, xf, rf));
        CHECK_OK(gru_activation_apply(&a, GRU_F32, 1, 3, xf, xf));
        CHECK(memcmp(xf, rf, sizeof rf) == 0);
        /* grad with dx == dy */
        double y[3], dy[3] = {1.0, -2.0, 0.5}, dx[3];
        CHECK_OK(gru_activation_apply(&a, GRU_F64, 1, 3, x[0], y));
        CHECK_OK(gru_activation_grad(&a, GRU_F64, 1, 3, x[0], y, dy, dx));
        CHECK_OK(gru_activation_grad(&a, GRU_F64, 1, 3, x[0], y, dy, dy));
        CHECK(memcmp(dx, dy, sizeof dx) == 0);
    }
}

TEST(act_row_helpers_match_apply) {
    for (size_t k = 0; k < N_ELEMENTWISE; k++) {
        gru_activation a = act_named(k_elementwise[k]);
        double x[4] = {-2.0, -0.3, 0.6, 4.0}, y1[4], y2[4];
        float xf[4] = {-2.0f, -0.3f, 0.6f, 4.0f}, yf1[4], yf2[4];
        CHECK_OK(gru_activation_apply(&a, GRU_F64, 1, 4, x, y1));
        gru__act_row_f64(&a, 4, x, y2);
        CHECK(memcmp(y1, y2, sizeof y1) == 0);
        CHECK_OK(gru_activation_apply(&a, GRU_F32, 1, 4, xf, yf1));
        gru__act_row_f32(&a, 4, xf, yf2);
        CHECK(memcmp(yf1, yf2, sizeof yf1) == 0);
    }
}

static double cube_scaled(double x, void *user) { return *(const double *)user * x * x * x; }
static double cube_scaled_d(double x, void *user) { return *(const double *)user * 3.0 * x * x; }

TEST(act_custom) {
    double k = 2.0;
    gru_activation a;
    memset(&a, 0, sizeof a);
    a.kind = GRU_ACT_CUSTOM;
    a.fn = cube_scaled;
    a.deriv = cube_scaled_d;
    a.user = &k;
    CHECK(strcmp(gru_activation_name(&a), "custom") == 0);
    double x[3] = {-1.0, 0.5, 2.0}, y[3], dy[3] = {1.0, 2.0, -1.0}, dx[3];
    CHECK_OK(gru_activation_apply(&a, GRU_F64, 1, 3, x, y));
    CHECK_OK(gru_activation_grad(&a, GRU_F64, 1, 3, x, y, dy, dx));
    for (int i = 0; i < 3; i++) {
        CHECK_NEAR(y[i], 2.0 * x[i] * x[i] * x[i], 1e-15);
        CHECK_NEAR(dx[i], dy[i] * 6.0 * x[i] * x[i], 1e-15);
    }
    float xf[2] = {1.5f, -0.25f}, yf[2];
    CHECK_OK(gru_activation_apply(&a, GRU_F32, 1, 2, xf, yf));
    CHECK(yf[0] == (float)(2.0 * 1.5 * 1.5 * 1.5) && yf[1] == (float)(2.0 * -0.25 * 0.0625));
    /* No derivative: apply works, grad is refused. */
    a.deriv = NULL;
    CHECK_OK(gru_activation_apply(&a, GRU_F64, 1, 3, x, y));
    CHECK_REJECT(gru_activation_grad(&a, GRU_F64, 1, 3, x, y, dy, dx), GRU_E_NULL, "deriv");
    /* No function: invalid. */
    a.fn = NULL;
    CHECK_REJECT(gru_activation_apply(&a, GRU_F64, 1, 3, x, y), GRU_E_NULL, "fn");
}

/* ---- validation --------------------------------------------------------- */

TEST(act_check_validation) {
    char msg[GRU_ERRMSG_MAX] = "";
    gru_activation a = act_named("relu");
    CHECK_OK(gru__activation_check(&a, "recurrent_activation", msg));
    CHECK_REJECT(gru__activation_check(NULL, "recurrent_activation", msg), GRU_E_NULL,
                 "recurrent_activation");
    CHECK(strstr(msg, "recurrent_activation") != NULL); /* handle buffer filled too */
    a.kind = (gru_activation_kind)99;
    CHECK_REJECT(gru__activation_check(&a, "activation", NULL), GRU_E_ARG, "activation.kind");
    a.kind = (gru_activation_kind)-1;
    CHECK_REJECT(gru__activation_check(&a, "activation", NULL), GRU_E_ARG, "-1");
    a = act_named("relu");
    a.alpha = (double)NAN;
    CHECK_REJECT(gru__activation_check(&a, "activation", NULL), GRU_E_ARG, "activation.alpha");
    a = act_named("relu");
    a.threshold = (double)INFINITY;
    CHECK_REJECT(gru__activation_check(&a, "activation", NULL), GRU_E_ARG, "threshold");
    a = act_named("elu");
    a.alpha = (double)NAN;
    CHECK_REJECT(gru__activation_check(&a, "activation", NULL), GRU_E_ARG, "alpha");
    a = act_named("leaky_relu");
    a.alpha = (double)-INFINITY;
    CHECK_REJECT(gru__activation_check(&a, "activation", NULL), GRU_E_ARG, "alpha");
    a = act_named("tanh");
    a.alpha = (double)NAN; /* unused by tanh */
    CHECK_OK(gru__activation_check(&a, "activation", NULL));
}

TEST(act_apply_bad_inputs) {
    gru_activation a = act_named("tanh");
    double x[4] = {0}, y[4];
    CHECK_REJECT(gru_activation_apply(NULL, GRU_F64, 1, 4, x, y), GRU_E_NULL, "act");
    CHECK_REJECT(gru_activation_apply(&a, GRU_F64, 1, 4, NULL, y), GRU_E_NULL, "x");
    CHECK_REJECT(gru_activation_apply(&a, GRU_F64, 1, 4, x, NULL), GRU_E_NULL, "y");
    CHECK_REJECT(gru_activation_apply(&a, (gru_dtype)3, 1, 4, x, y), GRU_E_DTYPE, "dtype");
    CHECK_REJECT(gru_activation_apply(&a, GRU_F64, SIZE_MAX, 2, x, y), GRU_E_OVERFLOW, "rows");
    CHECK_REJECT(gru_activation_apply(&a, GRU_F64, SIZE_MAX / 4, 1, x, y), GRU_E_OVERFLOW,
                 "overflow");
    a.kind = GRU_ACT_COUNT_;
    CHECK_REJECT(gru_activation_apply(&a, GRU_F64, 1, 4, x, y), GRU_E_ARG, "kind");
    /* zero elements are fine */
    a = act_named("softmax");
    CHECK_OK(gru_activation_apply(&a, GRU_F32, 0, 4, x, y));
    CHECK_OK(gru_activation_apply(&a, GRU_F32, 3, 0, x, y));
}

TEST(act_grad_bad_inputs) {
    gru_activation a = act_named("sigmoid");
    double x[2] = {0}, y[2] = {0}, dy[2] = {0}, dx[2];
    CHECK_REJECT(gru_activation_grad(NULL, GRU_F64, 1, 2, x, y, dy, dx), GRU_E_NULL, "act");
    CHECK_REJECT(gru_activation_grad(&a, GRU_F64, 1, 2, NULL, y, dy, dx), GRU_E_NULL, "x is");
    CHECK_REJECT(gru_activation_grad(&a, GRU_F64, 1, 2, x, NULL, dy, dx), GRU_E_NULL, "y is");
    CHECK_REJECT(gru_activation_grad(&a, GRU_F64, 1, 2, x, y, NULL, dx), GRU_E_NULL, "dy");
    CHECK_REJECT(gru_activation_grad(&a, GRU_F64, 1, 2, x, y, dy, NULL), GRU_E_NULL, "dx");
    CHECK_REJECT(gru_activation_grad(&a, (gru_dtype)0, 1, 2, x, y, dy, dx), GRU_E_DTYPE,
                 "dtype");
    CHECK_REJECT(gru_activation_grad(&a, GRU_F32, SIZE_MAX / 2, 3, x, y, dy, dx),
                 GRU_E_OVERFLOW, "overflow");
    a = act_named("elu");
    a.alpha = (double)NAN;
    CHECK_REJECT(gru_activation_grad(&a, GRU_F64, 1, 2, x, y, dy, dx), GRU_E_ARG, "alpha");
}

void tests_activations(void) {
    TR_RUN(act_names_all);
    TR_RUN(act_names_defaults);
    TR_RUN(act_names_roundtrip);
    TR_RUN(act_names_unknown);
    TR_RUN(act_values_f64);
    TR_RUN(act_values_f32);
    TR_RUN(act_softplus_thresholds);
    TR_RUN(act_grad_finite_diff);
    TR_RUN(act_grad_scales_with_dy);
    TR_RUN(act_grad_kinks_tf);
    TR_RUN(act_relu_general_tf);
    TR_RUN(act_softmax_rows);
    TR_RUN(act_softmax_grad_fd);
    TR_RUN(act_aliasing);
    TR_RUN(act_row_helpers_match_apply);
    TR_RUN(act_custom);
    TR_RUN(act_check_validation);
    TR_RUN(act_apply_bad_inputs);
    TR_RUN(act_grad_bad_inputs);
}
