/* Dense head: forward against a hand computation, backward against finite
 * differences (several activations, float64), float32 against float64,
 * weights round trip, regularizers/constraints, one test per rejection. */
#include <stdlib.h>

#include "runner.h"

enum { F = 3, U = 4, R = 5 };

static gru_dense *make(gru_dtype dt, const char *act, int use_bias) {
    gru_dense_config c;
    if (gru_dense_config_init(&c, U, F)) return NULL;
    c.dtype = dt;
    c.use_bias = use_bias;
    if (gru_activation_from_name(act, &c.activation)) return NULL;
    c.seed = 7;
    gru_dense *d = NULL;
    if (gru_dense_create(&c, &d)) return NULL;
    double k[F * U], b[U];
    for (int i = 0; i < F * U; i++) k[i] = 0.3 * sin(1.0 + i) - 0.05 * i;
    for (int j = 0; j < U; j++) b[j] = 0.1 * (j - 1.5);
    if (gru_dense_set_weights(d, GRU_F64, k, b)) {
        gru_dense_free(d);
        return NULL;
    }
    return d;
}

static void fill_x(double *x, size_t n, double phase) {
    for (size_t i = 0; i < n; i++) x[i] = sin(0.7 * (double)i + phase) * 1.3;
}

TEST(forward_matches_hand_computation) {
    gru_dense *d = make(GRU_F64, "tanh", 1);
    CHECK(d);
    double x[R * F], y[R * U], pre[R * U], k[F * U], b[U];
    fill_x(x, R * F, 0.2);
    CHECK_OK(gru_dense_forward(d, GRU_F64, R, x, y, pre));
    CHECK_OK(gru_dense_get_weights(d, GRU_F64, k, b));
    for (int r = 0; r < R; r++)
        for (int j = 0; j < U; j++) {
            double z = 0;
            for (int i = 0; i < F; i++) z += x[r * F + i] * k[i * U + j];
            z += b[j];
            CHECK_NEAR(pre[r * U + j], z, 1e-15);
            CHECK_NEAR(y[r * U + j], tanh(z), 1e-15);
        }
    /* y may be produced without pre, and may alias pre */
    double y2[R * U];
    CHECK_OK(gru_dense_forward(d, GRU_F64, R, x, y2, NULL));
    CHECK(memcmp(y, y2, sizeof y) == 0);
    CHECK_OK(gru_dense_forward(d, GRU_F64, R, x, pre, pre));
    CHECK(memcmp(y, pre, sizeof y) == 0);
    gru_dense_free(d);
}

/* objective: sum(y * c) for fixed c; its gradients by central differences */
static double objective(gru_dense *d, const double *x, const double *c) {
    double y[R * U], pre[R * U];
    if (gru_dense_forward(d, GRU_F64, R, x, y, pre)) return NAN;
    double s = 0;
    for (int i = 0; i < R * U; i++) s += y[i] * c[i];
    return s;
}

static void check_grads(tr_ctx *t_, const char *act, int use_bias) {
    gru_dense *d = make(GRU_F64, act, use_bias);
    CHECK_MSG(d, "create %s", act);
    double x[R * F], c[R * U], y[R * U], pre[R * U], dx[R * F];
    double gk[F * U], gb[U], k[F * U], b[U];
    fill_x(x, R * F, 0.4);
    for (int i = 0; i < R * U; i++) c[i] = cos(0.3 * i) + 0.2;
    CHECK_OK(gru_dense_forward(d, GRU_F64, R, x, y, pre));
    gru_dense_grads g = {gk, use_bias ? gb : NULL};
    CHECK_OK(gru_dense_grads_zero(d, &g));
    CHECK_OK(gru_dense_backward(d, GRU_F64, R, x, pre, y, c, dx, &g));
    const double h = 1e-6, tol = 1e-7;
    for (int i = 0; i < R * F; i++) {
        double xp[R * F];
        memcpy(xp, x, sizeof xp);
        xp[i] = x[i] + h;
        double fp = objective(d, xp, c);
        xp[i] = x[i] - h;
        double fm = objective(d, xp, c);
        CHECK_MSG(fabs((fp - fm) / (2 * h) - dx[i]) < tol, "%s dx[%d]: fd %.12g vs %.12g", act, i,
                  (fp - fm) / (2 * h), dx[i]);
    }
    CHECK_OK(gru_dense_get_weights(d, GRU_F64, k, b));
    for (int i = 0; i < F * U + (use_bias ? U : 0); i++) {
        double *w = i < F * U ? &k[i] : &b[i - F * U];
        const double w0 = *w, an = i < F * U ? gk[i] : gb[i - F * U];
        *w = w0 + h;
        CHECK_OK(gru_dense_set_weights(d, GRU_F64, k, b));
        double fp = objective(d, x, c);
        *w = w0 - h;
        CHECK_OK(gru_dense_set_weights(d, GRU_F64, k, b));
        double fm = objective(d, x, c);
        *w = w0;
        CHECK_MSG(fabs((fp - fm) / (2 * h) - an) < tol, "%s dw[%d]: fd %.12g vs %.12g", act, i,
                  (fp - fm) / (2 * h), an);
    }
    CHECK_OK(gru_dense_set_weights(d, GRU_F64, k, b));
    /* backward adds: a second call doubles the gradients */
    double gk1[F * U];
    memcpy(gk1, gk, sizeof gk1);
    CHECK_OK(gru_dense_backward(d, GRU_F64, R, x, pre, y, c, NULL, &g));
    for (int i = 0; i < F * U; i++) CHECK_NEAR(gk[i], 2 * gk1[i], 1e-14 * (1 + fabs(gk1[i])));
    gru_dense_free(d);
}

TEST(backward_matches_finite_differences) {
    const char *acts[] = {"linear", "tanh", "sigmoid", "softmax", "relu", "elu"};
    for (size_t a = 0; a < sizeof acts / sizeof *acts; a++) {
        check_grads(t_, acts[a], 1);
        if (t_->failed) return;
    }
    check_grads(t_, "tanh", 0);
}

TEST(float32_follows_float64) {
    gru_dense *d64 = make(GRU_F64, "sigmoid", 1), *d32 = make(GRU_F32, "sigmoid", 1);
    CHECK(d64 && d32);
    double x[R * F], y[R * U], pre[R * U], dy[R * U], dx[R * F], gk[F * U], gb[U];
    float xf[R * F], yf[R * U], pf[R * U], dyf[R * U], dxf[R * F], gkf[F * U], gbf[U];
    fill_x(x, R * F, 0.9);
    for (int i = 0; i < R * F; i++) x[i] = xf[i] = (float)x[i];
    for (int i = 0; i < R * U; i++) dy[i] = dyf[i] = (float)(0.5 - 0.1 * i);
    CHECK_OK(gru_dense_forward(d64, GRU_F64, R, x, y, pre));
    CHECK_OK(gru_dense_forward(d32, GRU_F32, R, xf, yf, pf));
    for (int i = 0; i < R * U; i++) CHECK_NEAR(yf[i], y[i], 1e-6);
    gru_dense_grads g = {gk, gb}, gf = {gkf, gbf};
    CHECK_OK(gru_dense_grads_zero(d64, &g));
    CHECK_OK(gru_dense_grads_zero(d32, &gf));
    CHECK_OK(gru_dense_backward(d64, GRU_F64, R, x, pre, y, dy, dx, &g));
    CHECK_OK(gru_dense_backward(d32, GRU_F32, R, xf, pf, yf, dyf, dxf, &gf));
    for (int i = 0; i < R * F; i++) CHECK_NEAR(dxf[i], dx[i], 1e-6);
    for (int i = 0; i < F * U; i++) CHECK_NEAR(gkf[i], gk[i], 1e-6);
    for (int i = 0; i < U; i++) CHECK_NEAR(gbf[i], gb[i], 1e-6);
    gru_dense_free(d64);
    gru_dense_free(d32);
}

TEST(defaults_initialisation_and_params) {
    gru_dense_config c;
    CHECK_OK(gru_dense_config_init(&c, 6, 10));
    CHECK(c.activation.kind == GRU_ACT_LINEAR && c.use_bias && c.dtype == GRU_F32);
    CHECK(c.kernel_initializer.kind == GRU_INIT_VARIANCE_SCALING);
    gru_dense *d;
    CHECK_OK(gru_dense_create(&c, &d));
    float k[60], b[6];
    CHECK_OK(gru_dense_get_weights(d, GRU_F32, k, b));
    const double lim = sqrt(6.0 / 16.0); /* glorot_uniform: sqrt(6/(fan_in+fan_out)) */
    int nonzero = 0;
    for (int i = 0; i < 60; i++) {
        CHECK(fabs(k[i]) <= lim);
        nonzero += k[i] != 0;
    }
    CHECK(nonzero > 50);
    for (int j = 0; j < 6; j++) CHECK(b[j] == 0.0f);
    void *pk, *pb;
    CHECK_OK(gru_dense_params(d, &pk, &pb));
    ((float *)pk)[0] = 42.0f;
    CHECK_OK(gru_dense_get_weights(d, GRU_F32, k, b));
    CHECK(k[0] == 42.0f);
    gru_dense_config back;
    CHECK_OK(gru_dense_get_config(d, &back));
    CHECK(back.units == 6 && back.input_dim == 10);
    gru_dense_free(d);
    gru_dense_free(NULL);
}

TEST(regularizers_and_constraints) {
    gru_dense_config c;
    CHECK_OK(gru_dense_config_init(&c, 2, 2));
    c.dtype = GRU_F64;
    CHECK_OK(gru_regularizer_from_name("l2", &c.kernel_regularizer)); /* l2 = 0.01 */
    CHECK_OK(gru_constraint_from_name("non_neg", &c.bias_constraint));
    gru_dense *d;
    CHECK_OK(gru_dense_create(&c, &d));
    const double k[4] = {1, -2, 3, 0.5}, b[2] = {-1, 2};
    CHECK_OK(gru_dense_set_weights(d, GRU_F64, k, b));
    double p[2], total;
    CHECK_OK(gru_dense_losses(d, p, &total));
    CHECK_NEAR(p[0], 0.01 * (1 + 4 + 9 + 0.25), 1e-7); /* l2 is a float32 in Keras */
    CHECK_NEAR(total, p[0], 0);
    double gk[4] = {0}, gb[2] = {0};
    gru_dense_grads g = {gk, gb};
    CHECK_OK(gru_dense_regularizer_grads(d, &g));
    for (int i = 0; i < 4; i++) CHECK_NEAR(gk[i], 0.02 * k[i], 1e-7);
    CHECK_OK(gru_dense_apply_constraints(d));
    double k2[4], b2[2];
    CHECK_OK(gru_dense_get_weights(d, GRU_F64, k2, b2));
    CHECK(b2[0] == 0.0 && b2[1] == 2.0 && k2[1] == -2.0);
    gru_dense_free(d);
}

typedef struct counting { int allocs, frees; } counting;
static void *c_alloc(size_t n, void *u) { ((counting *)u)->allocs++; return malloc(n); }
static void c_free(void *p, void *u) { ((counting *)u)->frees++; free(p); }

TEST(create_uses_the_configured_allocator) {
    counting cnt = {0, 0};
    gru_dense_config c;
    CHECK_OK(gru_dense_config_init(&c, 3, 2));
    c.kernel_initializer.kind = GRU_INIT_ZEROS;
    c.allocator.alloc = c_alloc;
    c.allocator.free = c_free;
    c.allocator.user = &cnt;
    gru_dense *d;
    CHECK_OK(gru_dense_create(&c, &d));
    CHECK(cnt.allocs == 1 && cnt.frees == 0);
    gru_dense_free(d);
    CHECK(cnt.frees == 1);
}

/* ---- rejections ------------------------------------------------------------ */

TEST(reject_bad_config) {
    gru_dense_config c;
    CHECK_REJECT(gru_dense_config_init(&c, 0, 3), GRU_E_ARG, "units");
    CHECK_REJECT(gru_dense_config_init(&c, 3, -1), GRU_E_ARG, "input_dim");
    CHECK_REJECT(gru_dense_config_init(NULL, 3, 3), GRU_E_NULL, "cfg");
    gru_dense *d;
    CHECK_OK(gru_dense_config_init(&c, 3, 3));
    c.dtype = (gru_dtype)9;
    CHECK_REJECT(gru_dense_create(&c, &d), GRU_E_DTYPE, "cfg.dtype");
    CHECK(d == NULL);
    CHECK_OK(gru_dense_config_init(&c, 3, 3));
    c.units = 0;
    CHECK_REJECT(gru_dense_create(&c, &d), GRU_E_ARG, "cfg.units");
    CHECK_OK(gru_dense_config_init(&c, 3, 3));
    c.activation.kind = GRU_ACT_COUNT_;
    CHECK_REJECT(gru_dense_create(&c, &d), GRU_E_ARG, "cfg.activation");
    CHECK_OK(gru_dense_config_init(&c, 3, 3));
    c.bias_initializer.kind = GRU_INIT_IDENTITY;
    CHECK_REJECT(gru_dense_create(&c, &d), GRU_E_SHAPE, "bias_initializer");
    CHECK_OK(gru_dense_config_init(&c, 3, 3));
    c.allocator.alloc = c_alloc;
    CHECK_REJECT(gru_dense_create(&c, &d), GRU_E_ARG, "allocator");
    CHECK_REJECT(gru_dense_create(NULL, &d), GRU_E_NULL, "cfg");
    CHECK_REJECT(gru_dense_create(&c, NULL), GRU_E_NULL, "out");
}

TEST(reject_bad_calls) {
    gru_dense *d = make(GRU_F32, "tanh", 1);
    CHECK(d);
    float x[R * F] = {0}, y[R * U], pre[R * U], dy[R * U] = {0}, gk[F * U], gb[U];
    CHECK_REJECT(gru_dense_forward(d, GRU_F64, R, x, y, pre), GRU_E_DTYPE, "dtype");
    CHECK_REJECT(gru_dense_forward(d, GRU_F32, 0, x, y, pre), GRU_E_SHAPE, "rows");
    CHECK_REJECT(gru_dense_forward(d, GRU_F32, R, NULL, y, pre), GRU_E_NULL, "'x'");
    CHECK_REJECT(gru_dense_forward(d, GRU_F32, R, x, NULL, pre), GRU_E_NULL, "'y'");
    CHECK_REJECT(gru_dense_forward(NULL, GRU_F32, R, x, y, pre), GRU_E_NULL, "'d'");
    CHECK(strstr(gru_dense_last_error(d), "") != NULL);
    CHECK_OK(gru_dense_forward(d, GRU_F32, R, x, y, pre));
    gru_dense_grads g = {gk, gb}, nob = {gk, NULL}, nok = {NULL, gb};
    CHECK_REJECT(gru_dense_backward(d, GRU_F32, R, x, NULL, y, dy, NULL, &g), GRU_E_NULL, "pre");
    CHECK_REJECT(gru_dense_backward(d, GRU_F32, R, x, pre, y, NULL, NULL, &g), GRU_E_NULL, "dy");
    CHECK_REJECT(gru_dense_backward(d, GRU_F32, R, x, pre, y, dy, NULL, &nob), GRU_E_NULL,
                 "grads->bias");
    CHECK_REJECT(gru_dense_backward(d, GRU_F32, R, x, pre, y, dy, NULL, &nok), GRU_E_NULL,
                 "grads->kernel");
    CHECK_REJECT(gru_dense_grads_zero(d, NULL), GRU_E_NULL, "grads");
    CHECK_REJECT(gru_dense_set_weights(d, GRU_F32, x, NULL), GRU_E_NULL, "bias");
    CHECK_REJECT(gru_dense_get_weights(d, (gru_dtype)0, gk, gb), GRU_E_DTYPE, "dtype");
    CHECK_REJECT(gru_dense_get_config(d, NULL), GRU_E_NULL, "cfg");
    gru_dense_free(d);
    /* a stale handle: fake memory with the wrong magic */
    uint64_t junk[64] = {0};
    CHECK_REJECT(gru_dense_forward((gru_dense *)(void *)junk, GRU_F32, R, x, y, pre), GRU_E_STATE,
                 "not a Dense layer");
}

void tests_dense(void) {
    TR_RUN(forward_matches_hand_computation);
    TR_RUN(backward_matches_finite_differences);
    TR_RUN(float32_follows_float64);
    TR_RUN(defaults_initialisation_and_params);
    TR_RUN(regularizers_and_constraints);
    TR_RUN(create_uses_the_configured_allocator);
    TR_RUN(reject_bad_config);
    TR_RUN(reject_bad_calls);
}
