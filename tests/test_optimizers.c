/* Optimizers (gru_optimizer_*): 2-3 steps of each algorithm against the
 * update rules written out here (tf-keras 2.21's update_step, in double for
 * float64 variables, with the hyperparameters TF rounds through float32
 * rounded the same way), clipping semantics, weight decay, constraints,
 * state handling, and one test per rejection. Keras itself is compared in
 * tests/test_golden_optimizer.c. */
#include <math.h>
#include <stdlib.h>

#include "runner.h"

#ifdef GRU_TEST_WRAP_MALLOC
long tests_alloc_count(void);
#endif

static double f32r(double x) { return (double)(float)x; } /* through float32 */

/* A one-variable f64 optimizer over n elements, or NULL. */
static gru_optimizer *make1(const gru_optimizer_config *cfg, gru_dtype dt, size_t n) {
    gru_optimizer *o = NULL;
    if (gru_optimizer_create(cfg, dt, 1, &n, &o) != GRU_OK) return NULL;
    return o;
}

static gru_status step1(gru_optimizer *o, gru_dtype dt, void *w, const void *g) {
    void *vars[1] = {w};
    const void *grads[1] = {g};
    return gru_optimizer_apply(o, dt, 1, vars, grads);
}

TEST(test_optim_defaults) {
    gru_optimizer_config c;
    CHECK_OK(gru_optimizer_config_init(&c, GRU_OPT_SGD));
    CHECK(c.learning_rate == 0.01 && c.momentum == 0 && !c.nesterov);
    CHECK(c.clipnorm == 0 && c.clipvalue == 0 && c.global_clipnorm == 0 && c.weight_decay == 0);
    CHECK(c.lr_dtype == GRU_F32);
    CHECK_OK(gru_optimizer_config_init(&c, GRU_OPT_ADAM));
    CHECK(c.learning_rate == 0.001 && c.beta_1 == 0.9 && c.beta_2 == 0.999 && c.epsilon == 1e-7);
    CHECK(!c.amsgrad && !c.adaptive_epsilon);
    CHECK_OK(gru_optimizer_config_init(&c, GRU_OPT_RMSPROP));
    CHECK(c.learning_rate == 0.001 && c.rho == 0.9 && c.momentum == 0 && c.epsilon == 1e-7);
    CHECK(!c.centered);
    CHECK_OK(gru_optimizer_config_init(&c, GRU_OPT_ADAGRAD));
    CHECK(c.learning_rate == 0.001 && c.initial_accumulator_value == 0.1 && c.epsilon == 1e-7);
}

/* SGD, momentum 0: w -= g*lr; lr 0.1 reaches float64 through float32. */
TEST(test_optim_sgd_plain) {
    gru_optimizer_config c;
    CHECK_OK(gru_optimizer_config_init(&c, GRU_OPT_SGD));
    c.learning_rate = 0.1;
    gru_optimizer *o = make1(&c, GRU_F64, 2);
    CHECK(o);
    double w[2] = {1.0, -2.0}, g[2] = {0.5, -0.25}, e[2] = {1.0, -2.0};
    const double lr = f32r(0.1);
    for (int s = 0; s < 3; s++) {
        CHECK_OK(step1(o, GRU_F64, w, g));
        for (int j = 0; j < 2; j++) e[j] = e[j] + (-g[j] * lr + 0.0);
    }
    CHECK(w[0] == e[0] && w[1] == e[1]);
    CHECK(gru_optimizer_iterations(o) == 3);
    gru_optimizer_free(o);
    /* floatx float64: the learning rate is not rounded */
    c.lr_dtype = GRU_F64;
    o = make1(&c, GRU_F64, 2);
    CHECK(o);
    double w2[2] = {1.0, -2.0};
    CHECK_OK(step1(o, GRU_F64, w2, g));
    CHECK(w2[0] == 1.0 - 0.5 * 0.1 && w2[1] == -2.0 + 0.25 * 0.1);
    gru_optimizer_free(o);
}

/* SGD momentum + nesterov: m = -g*lr + m*mu; w += -g*lr + m*mu. mu goes
 * through float32 (tf.cast). */
TEST(test_optim_sgd_nesterov) {
    gru_optimizer_config c;
    CHECK_OK(gru_optimizer_config_init(&c, GRU_OPT_SGD));
    c.learning_rate = 0.5;
    c.momentum = 0.9;
    for (int nest = 0; nest < 2; nest++) {
        c.nesterov = nest;
        gru_optimizer *o = make1(&c, GRU_F64, 1);
        CHECK(o);
        const double gs[3] = {1.0, -0.5, 0.25}, mu = f32r(0.9), lr = 0.5;
        double w = 2.0, ew = 2.0, m = 0;
        for (int s = 0; s < 3; s++) {
            CHECK_OK(step1(o, GRU_F64, &w, &gs[s]));
            m = -gs[s] * lr + m * mu;
            ew = nest ? ew + (-gs[s] * lr + m * mu) : ew + m;
        }
        CHECK_NEAR(w, ew, 0);
        double got_m;
        CHECK_OK(gru_optimizer_get_slot(o, "m", 0, GRU_F64, &got_m));
        CHECK_NEAR(got_m, m, 0);
        gru_optimizer_free(o);
    }
}

/* Adam (and amsgrad): alpha = lr*sqrt(1-b2^t)/(1-b1^t) with b^t from the
 * float32-rounded betas; m += (g-m)*(1-b1) with (1-b1) in double. */
TEST(test_optim_adam) {
    gru_optimizer_config c;
    CHECK_OK(gru_optimizer_config_init(&c, GRU_OPT_ADAM));
    c.learning_rate = 0.25;
    for (int ams = 0; ams < 2; ams++) {
        c.amsgrad = ams;
        gru_optimizer *o = make1(&c, GRU_F64, 1);
        CHECK(o);
        const double gs[3] = {1.0, 0.1, -2.0};
        double w = 0.5, ew = 0.5, m = 0, v = 0, vh = 0;
        for (int s = 0; s < 3; s++) {
            CHECK_OK(step1(o, GRU_F64, &w, &gs[s]));
            const double t = s + 1;
            const double b1p = pow(f32r(0.9), t), b2p = pow(f32r(0.999), t);
            const double alpha = 0.25 * sqrt(1 - b2p) / (1 - b1p);
            m = m + (gs[s] - m) * (1 - 0.9);
            v = v + (gs[s] * gs[s] - v) * (1 - 0.999);
            double vv = v;
            if (ams) {
                vh = fmax(vh, v);
                vv = vh;
            }
            ew = ew - (m * alpha) / (sqrt(vv) + 1e-7);
        }
        CHECK_NEAR(w, ew, 1e-15);
        if (ams) {
            double got;
            CHECK_OK(gru_optimizer_get_slot(o, "vhat", 0, GRU_F64, &got));
            CHECK_NEAR(got, vh, 0);
        } else {
            CHECK_REJECT(gru_optimizer_get_slot(o, "vhat", 0, GRU_F64, &w), GRU_E_NAME, "vhat");
        }
        gru_optimizer_free(o);
    }
}

/* Adam in float32: every operation rounds to float. */
TEST(test_optim_adam_f32) {
    gru_optimizer_config c;
    CHECK_OK(gru_optimizer_config_init(&c, GRU_OPT_ADAM));
    c.learning_rate = 0.01;
    gru_optimizer *o = make1(&c, GRU_F32, 1);
    CHECK(o);
    const float gs[2] = {0.3f, -0.7f};
    float w = 1.0f, ew = 1.0f, m = 0, v = 0;
    for (int s = 0; s < 2; s++) {
        CHECK_OK(step1(o, GRU_F32, &w, &gs[s]));
        const float t = (float)(s + 1);
        const float b1p = powf(0.9f, t), b2p = powf(0.999f, t);
        const float alpha = 0.01f * sqrtf(1.0f - b2p) / (1.0f - b1p);
        m = m + (gs[s] - m) * (float)(1 - 0.9);
        v = v + (gs[s] * gs[s] - v) * (float)(1 - 0.999);
        ew = ew - (m * alpha) / (sqrtf(v) + 1e-7f);
    }
    CHECK(w == ew);
    gru_optimizer_free(o);
}

/* RMSprop centered with momentum: rho and momentum convert directly. */
TEST(test_optim_rmsprop) {
    gru_optimizer_config c;
    CHECK_OK(gru_optimizer_config_init(&c, GRU_OPT_RMSPROP));
    c.learning_rate = 0.125;
    c.rho = 0.8;
    for (int variant = 0; variant < 3; variant++) {
        c.centered = variant >= 1;
        c.momentum = variant == 2 ? 0.5 : 0.0;
        gru_optimizer *o = make1(&c, GRU_F64, 1);
        CHECK(o);
        const double gs[3] = {1.0, -0.5, 2.0};
        double w = 1.0, ew = 1.0, vel = 0, ag = 0, mo = 0;
        for (int s = 0; s < 3; s++) {
            CHECK_OK(step1(o, GRU_F64, &w, &gs[s]));
            vel = 0.8 * vel + (1 - 0.8) * (gs[s] * gs[s]);
            double den;
            if (c.centered) {
                ag = 0.8 * ag + (1 - 0.8) * gs[s];
                den = vel - ag * ag + 1e-7;
            } else {
                den = vel + 1e-7;
            }
            const double inc = 0.125 * gs[s] * (1 / sqrt(den));
            if (c.momentum > 0) {
                mo = 0.5 * mo + inc;
                ew = ew + -mo;
            } else {
                ew = ew + -inc;
            }
        }
        CHECK_NEAR(w, ew, 0);
        double got;
        CHECK_OK(gru_optimizer_get_slot(o, "velocity", 0, GRU_F64, &got));
        CHECK_NEAR(got, vel, 0);
        if (c.centered) {
            CHECK_OK(gru_optimizer_get_slot(o, "average_gradient", 0, GRU_F64, &got));
            CHECK_NEAR(got, ag, 0);
        }
        gru_optimizer_free(o);
    }
}

/* Adagrad: acc starts at initial_accumulator_value; w -= lr*g/sqrt(acc+eps). */
TEST(test_optim_adagrad) {
    gru_optimizer_config c;
    CHECK_OK(gru_optimizer_config_init(&c, GRU_OPT_ADAGRAD));
    c.learning_rate = 0.5;
    gru_optimizer *o = make1(&c, GRU_F64, 1);
    CHECK(o);
    double acc0;
    CHECK_OK(gru_optimizer_get_slot(o, "accumulator", 0, GRU_F64, &acc0));
    CHECK(acc0 == 0.1);
    const double gs[3] = {1.0, -3.0, 0.5};
    double w = 0, ew = 0, acc = 0.1;
    for (int s = 0; s < 3; s++) {
        CHECK_OK(step1(o, GRU_F64, &w, &gs[s]));
        acc = acc + gs[s] * gs[s];
        ew = ew - 0.5 * gs[s] / sqrt(acc + 1e-7);
    }
    CHECK_NEAR(w, ew, 0);
    /* reset: accumulators back to the initial value, iterations 0 */
    CHECK_OK(gru_optimizer_reset(o));
    CHECK(gru_optimizer_iterations(o) == 0);
    CHECK_OK(gru_optimizer_get_slot(o, "accumulator", 0, GRU_F64, &acc0));
    CHECK(acc0 == 0.1);
    gru_optimizer_free(o);
}

/* clipnorm: g*c/max(||g||, c) per variable; the caller's grads untouched. */
TEST(test_optim_clipnorm) {
    gru_optimizer_config c;
    CHECK_OK(gru_optimizer_config_init(&c, GRU_OPT_SGD));
    c.learning_rate = 1.0;
    c.clipnorm = 1.0;
    size_t sizes[2] = {2, 1};
    gru_optimizer *o;
    CHECK_OK(gru_optimizer_create(&c, GRU_F64, 2, sizes, &o));
    double w0[2] = {0, 0}, w1[1] = {0}, g0[2] = {3, 4}, g1[1] = {0.5};
    void *vars[2] = {w0, w1};
    const void *grads[2] = {g0, g1};
    CHECK_OK(gru_optimizer_apply(o, GRU_F64, 2, vars, grads));
    CHECK_NEAR(w0[0], -0.6, 1e-16);
    CHECK_NEAR(w0[1], -0.8, 1e-16);
    CHECK(w1[0] == -(0.5 * 1.0) / 1.0); /* below the norm: (g*c)/c */
    CHECK(g0[0] == 3 && g0[1] == 4 && g1[0] == 0.5);
    gru_optimizer_free(o);
    /* clipvalue is ignored when a norm clip is set (Keras' precedence) */
    c.clipvalue = 0.1;
    CHECK_OK(gru_optimizer_create(&c, GRU_F64, 2, sizes, &o));
    w0[0] = w0[1] = w1[0] = 0;
    CHECK_OK(gru_optimizer_apply(o, GRU_F64, 2, vars, grads));
    CHECK_NEAR(w0[0], -0.6, 1e-16);
    CHECK(w1[0] == -0.5);
    gru_optimizer_free(o);
}

/* global_clipnorm: g * c*min(1/N, 1/c) with N over all variables. */
TEST(test_optim_global_clipnorm) {
    gru_optimizer_config c;
    CHECK_OK(gru_optimizer_config_init(&c, GRU_OPT_SGD));
    c.learning_rate = 1.0;
    c.global_clipnorm = 2.5;
    size_t sizes[2] = {1, 1};
    gru_optimizer *o;
    CHECK_OK(gru_optimizer_create(&c, GRU_F32, 2, sizes, &o));
    float w0 = 0, w1 = 0, g0 = 3, g1 = -4;
    void *vars[2] = {&w0, &w1};
    const void *grads[2] = {&g0, &g1};
    CHECK_OK(gru_optimizer_apply(o, GRU_F32, 2, vars, grads));
    const float norm = sqrtf((9.0f * 0.5f + 16.0f * 0.5f) * 2.0f);
    const float scale = 2.5f * fminf(1.0f / norm, 1.0f / 2.5f);
    CHECK(w0 == -(3.0f * scale) && w1 == 4.0f * scale);
    CHECK_NEAR(w0, -1.5, 1e-6);
    CHECK(g0 == 3 && g1 == -4);
    /* below the threshold: scale = c * (1/c) */
    g0 = 0.3f;
    g1 = 0.4f;
    w0 = w1 = 0;
    CHECK_OK(gru_optimizer_apply(o, GRU_F32, 2, vars, grads));
    CHECK(w0 == -(0.3f * (2.5f * (1.0f / 2.5f))));
    gru_optimizer_free(o);
}

/* clipvalue: min(max(g, -c), c) element-wise. */
TEST(test_optim_clipvalue) {
    gru_optimizer_config c;
    CHECK_OK(gru_optimizer_config_init(&c, GRU_OPT_SGD));
    c.learning_rate = 1.0;
    c.clipvalue = 0.5;
    gru_optimizer *o = make1(&c, GRU_F64, 3);
    CHECK(o);
    double w[3] = {0, 0, 0}, g[3] = {2, -3, 0.1};
    CHECK_OK(step1(o, GRU_F64, w, g));
    CHECK(w[0] == -0.5 && w[1] == 0.5 && w[2] == -0.1);
    CHECK(g[0] == 2 && g[1] == -3);
    gru_optimizer_free(o);
}

/* Decoupled weight decay before the update: w -= w*wd*lr (wd, lr through
 * float32 for float64 variables). */
TEST(test_optim_weight_decay) {
    gru_optimizer_config c;
    CHECK_OK(gru_optimizer_config_init(&c, GRU_OPT_SGD));
    c.learning_rate = 0.1;
    c.weight_decay = 0.01;
    gru_optimizer *o = make1(&c, GRU_F64, 1);
    CHECK(o);
    double w = 3.0, g = 1.0, ew = 3.0;
    const double lr = f32r(0.1), wd = f32r(0.01);
    for (int s = 0; s < 2; s++) {
        CHECK_OK(step1(o, GRU_F64, &w, &g));
        ew = ew - ew * wd * lr;
        ew = ew + (-g * lr + 0.0);
    }
    CHECK_NEAR(w, ew, 0);
    gru_optimizer_free(o);
}

/* Constraints run after the update. */
TEST(test_optim_constraint) {
    gru_optimizer_config c;
    CHECK_OK(gru_optimizer_config_init(&c, GRU_OPT_SGD));
    c.learning_rate = 1.0;
    gru_optimizer *o = make1(&c, GRU_F64, 2);
    CHECK(o);
    gru_constraint nn;
    CHECK_OK(gru_constraint_from_name("non_neg", &nn));
    const size_t shape[1] = {2};
    CHECK_OK(gru_optimizer_set_constraint(o, 0, &nn, 1, shape));
    double w[2] = {0.5, 0.5}, g[2] = {1.0, -1.0};
    CHECK_OK(step1(o, GRU_F64, w, g));
    CHECK(w[0] == 0.0 && w[1] == 1.5);
    gru_constraint none;
    CHECK_OK(gru_constraint_from_name(NULL, &none));
    CHECK_OK(gru_optimizer_set_constraint(o, 0, &none, 0, NULL));
    CHECK_OK(step1(o, GRU_F64, w, g));
    CHECK(w[0] == -1.0);
    gru_optimizer_free(o);
}

TEST(test_optim_state) {
    gru_optimizer_config c;
    CHECK_OK(gru_optimizer_config_init(&c, GRU_OPT_ADAM));
    gru_optimizer *o = make1(&c, GRU_F32, 2);
    CHECK(o);
    float w[2] = {1, 1}, g[2] = {1, 1}, m[2] = {0.5f, 0.25f}, got[2];
    CHECK_OK(gru_optimizer_set_slot(o, "m", 0, GRU_F32, m));
    CHECK_OK(gru_optimizer_get_slot(o, "m", 0, GRU_F32, got));
    CHECK(got[0] == 0.5f && got[1] == 0.25f);
    CHECK_OK(gru_optimizer_set_learning_rate(o, 0.5));
    gru_optimizer_config back;
    CHECK_OK(gru_optimizer_get_config(o, &back));
    CHECK(back.learning_rate == 0.5);
    CHECK_OK(step1(o, GRU_F32, w, g));
    CHECK(gru_optimizer_iterations(o) == 1);
    CHECK_OK(gru_optimizer_reset(o));
    CHECK(gru_optimizer_iterations(o) == 0);
    CHECK_OK(gru_optimizer_get_slot(o, "v", 0, GRU_F32, got));
    CHECK(got[0] == 0 && got[1] == 0);
    gru_optimizer_free(o);
    gru_optimizer_free(NULL);
}

/* gru_optimizer_apply allocates nothing (clipping uses create-time scratch). */
TEST(test_optim_no_alloc) {
#ifdef GRU_TEST_WRAP_MALLOC
    gru_optimizer_config c;
    CHECK_OK(gru_optimizer_config_init(&c, GRU_OPT_RMSPROP));
    c.centered = true;
    c.momentum = 0.5;
    c.global_clipnorm = 1.0;
    gru_optimizer *o = make1(&c, GRU_F64, 4);
    CHECK(o);
    gru_constraint mn;
    CHECK_OK(gru_constraint_from_name("max_norm", &mn));
    const size_t shape[2] = {2, 2};
    CHECK_OK(gru_optimizer_set_constraint(o, 0, &mn, 2, shape));
    double w[4] = {1, 2, 3, 4}, g[4] = {5, -6, 7, 8};
    const long before = tests_alloc_count();
    for (int s = 0; s < 3; s++) CHECK_OK(step1(o, GRU_F64, w, g));
    CHECK(tests_alloc_count() == before);
    gru_optimizer_free(o);
#else
    CHECK_MSG(0, "malloc wrapping unavailable: cannot prove gru_optimizer_apply allocates nothing");
#endif
}

/* ---- rejections ---------------------------------------------------------- */

static gru_status create_with(const gru_optimizer_config *c) {
    size_t n = 3;
    gru_optimizer *o = NULL;
    gru_status s = gru_optimizer_create(c, GRU_F64, 1, &n, &o);
    gru_optimizer_free(o);
    return s;
}

TEST(test_optim_bad_learning_rate) {
    gru_optimizer_config c;
    CHECK_OK(gru_optimizer_config_init(&c, GRU_OPT_ADAM));
    c.learning_rate = 0;
    CHECK_REJECT(create_with(&c), GRU_E_ARG, "learning_rate");
    c.learning_rate = -0.1;
    CHECK_REJECT(create_with(&c), GRU_E_ARG, "learning_rate");
    c.learning_rate = NAN;
    CHECK_REJECT(create_with(&c), GRU_E_ARG, "learning_rate");
    c.learning_rate = 0.1;
    gru_optimizer *o = make1(&c, GRU_F64, 1);
    CHECK(o);
    CHECK_REJECT(gru_optimizer_set_learning_rate(o, 0.0), GRU_E_ARG, "lr");
    CHECK(strstr(gru_optimizer_last_error(o), "lr") != NULL);
    gru_optimizer_free(o);
}

TEST(test_optim_bad_betas) {
    gru_optimizer_config c;
    CHECK_OK(gru_optimizer_config_init(&c, GRU_OPT_ADAM));
    c.beta_1 = 1.0;
    CHECK_REJECT(create_with(&c), GRU_E_ARG, "beta_1");
    c.beta_1 = 0.9;
    c.beta_2 = -0.1;
    CHECK_REJECT(create_with(&c), GRU_E_ARG, "beta_2");
}

TEST(test_optim_bad_epsilon) {
    gru_optimizer_config c;
    CHECK_OK(gru_optimizer_config_init(&c, GRU_OPT_ADAGRAD));
    c.epsilon = -1e-7;
    CHECK_REJECT(create_with(&c), GRU_E_ARG, "epsilon");
}

TEST(test_optim_bad_momentum) {
    gru_optimizer_config c;
    CHECK_OK(gru_optimizer_config_init(&c, GRU_OPT_SGD));
    c.momentum = -0.5;
    CHECK_REJECT(create_with(&c), GRU_E_ARG, "momentum");
    c.momentum = 1.5;
    CHECK_REJECT(create_with(&c), GRU_E_ARG, "momentum");
    CHECK_OK(gru_optimizer_config_init(&c, GRU_OPT_RMSPROP));
    c.rho = 1.0;
    CHECK_REJECT(create_with(&c), GRU_E_ARG, "rho");
}

TEST(test_optim_bad_clip) {
    gru_optimizer_config c;
    CHECK_OK(gru_optimizer_config_init(&c, GRU_OPT_SGD));
    c.clipnorm = 1;
    c.global_clipnorm = 1;
    CHECK_REJECT(create_with(&c), GRU_E_ARG, "global_clipnorm");
    c.global_clipnorm = 0;
    c.clipvalue = -1;
    CHECK_REJECT(create_with(&c), GRU_E_ARG, "clipvalue");
    c.clipvalue = 0;
    c.weight_decay = NAN;
    CHECK_REJECT(create_with(&c), GRU_E_ARG, "weight_decay");
}

TEST(test_optim_bad_kind_dtype) {
    gru_optimizer_config c;
    CHECK_REJECT(gru_optimizer_config_init(&c, (gru_optimizer_kind)9), GRU_E_ARG, "kind");
    CHECK_OK(gru_optimizer_config_init(&c, GRU_OPT_SGD));
    size_t n = 2;
    gru_optimizer *o;
    CHECK_REJECT(gru_optimizer_create(&c, (gru_dtype)7, 1, &n, &o), GRU_E_DTYPE, "dtype");
    CHECK(o == NULL);
    CHECK_REJECT(gru_optimizer_create(NULL, GRU_F32, 1, &n, &o), GRU_E_NULL, "cfg");
    CHECK_REJECT(gru_optimizer_create(&c, GRU_F32, 1, NULL, &o), GRU_E_NULL, "var_sizes");
    CHECK_REJECT(gru_optimizer_create(&c, GRU_F32, 0, &n, &o), GRU_E_ARG, "n_vars");
    CHECK_OK(gru_optimizer_create(&c, GRU_F32, 1, &n, &o));
    double w[2] = {0, 0}, g[2] = {0, 0};
    CHECK_REJECT(step1(o, GRU_F64, w, g), GRU_E_DTYPE, "dtype");
    gru_optimizer_free(o);
}

TEST(test_optim_bad_apply_args) {
    gru_optimizer_config c;
    CHECK_OK(gru_optimizer_config_init(&c, GRU_OPT_SGD));
    size_t sizes[2] = {2, 2};
    gru_optimizer *o;
    CHECK_OK(gru_optimizer_create(&c, GRU_F64, 2, sizes, &o));
    double w[2] = {1, 2}, g[2] = {1, 1};
    void *vars[2] = {w, NULL};
    const void *grads[2] = {g, g};
    CHECK_REJECT(gru_optimizer_apply(o, GRU_F64, 1, vars, grads), GRU_E_SHAPE, "n_vars");
    CHECK_REJECT(gru_optimizer_apply(o, GRU_F64, 2, vars, grads), GRU_E_NULL, "vars[1]");
    vars[1] = w;
    CHECK_REJECT(gru_optimizer_apply(o, GRU_F64, 2, NULL, grads), GRU_E_NULL, "vars");
    CHECK_REJECT(gru_optimizer_apply(o, GRU_F64, 2, vars, NULL), GRU_E_NULL, "grads");
    CHECK_REJECT(gru_optimizer_apply(NULL, GRU_F64, 2, vars, grads), GRU_E_NULL, "opt");
    CHECK(gru_optimizer_iterations(o) == 0);
    gru_optimizer_free(o);
}

/* A NaN gradient names its variable and changes nothing. */
TEST(test_optim_nan_grad) {
    gru_optimizer_config c;
    CHECK_OK(gru_optimizer_config_init(&c, GRU_OPT_ADAM));
    size_t sizes[2] = {2, 3};
    gru_optimizer *o;
    CHECK_OK(gru_optimizer_create(&c, GRU_F32, 2, sizes, &o));
    float w0[2] = {1, 2}, w1[3] = {3, 4, 5}, g0[2] = {1, 1}, g1[3] = {1, NAN, 1};
    void *vars[2] = {w0, w1};
    const void *grads[2] = {g0, g1};
    CHECK_REJECT(gru_optimizer_apply(o, GRU_F32, 2, vars, grads), GRU_E_NUMERIC, "grads[1][1]");
    CHECK(strstr(gru_last_error(), "variable 1") != NULL);
    CHECK(w0[0] == 1 && w1[0] == 3 && gru_optimizer_iterations(o) == 0);
    g1[1] = INFINITY;
    CHECK_REJECT(gru_optimizer_apply(o, GRU_F32, 2, vars, grads), GRU_E_NUMERIC, "grads[1][1]");
    gru_optimizer_free(o);
}

TEST(test_optim_bad_constraint_slot) {
    gru_optimizer_config c;
    CHECK_OK(gru_optimizer_config_init(&c, GRU_OPT_SGD));
    gru_optimizer *o = make1(&c, GRU_F64, 6);
    CHECK(o);
    gru_constraint mn;
    CHECK_OK(gru_constraint_from_name("max_norm", &mn));
    const size_t bad_shape[2] = {2, 2}, shape[2] = {2, 3};
    CHECK_REJECT(gru_optimizer_set_constraint(o, 1, &mn, 2, shape), GRU_E_ARG, "var");
    CHECK_REJECT(gru_optimizer_set_constraint(o, 0, &mn, 2, bad_shape), GRU_E_SHAPE, "shape");
    mn.axis = 2;
    CHECK_REJECT(gru_optimizer_set_constraint(o, 0, &mn, 2, shape), GRU_E_SHAPE, "axis");
    double buf[6];
    CHECK_REJECT(gru_optimizer_get_slot(o, "velocity", 0, GRU_F64, buf), GRU_E_NAME, "velocity");
    CHECK_REJECT(gru_optimizer_get_slot(o, "m", 1, GRU_F64, buf), GRU_E_ARG, "var");
    gru_optimizer_free(o);
}

void tests_optimizers(void) {
    TR_RUN(test_optim_defaults);
    TR_RUN(test_optim_sgd_plain);
    TR_RUN(test_optim_sgd_nesterov);
    TR_RUN(test_optim_adam);
    TR_RUN(test_optim_adam_f32);
    TR_RUN(test_optim_rmsprop);
    TR_RUN(test_optim_adagrad);
    TR_RUN(test_optim_clipnorm);
    TR_RUN(test_optim_global_clipnorm);
    TR_RUN(test_optim_clipvalue);
    TR_RUN(test_optim_weight_decay);
    TR_RUN(test_optim_constraint);
    TR_RUN(test_optim_state);
    TR_RUN(test_optim_no_alloc);
    TR_RUN(test_optim_bad_learning_rate);
    TR_RUN(test_optim_bad_betas);
    TR_RUN(test_optim_bad_epsilon);
    TR_RUN(test_optim_bad_momentum);
    TR_RUN(test_optim_bad_clip);
    TR_RUN(test_optim_bad_kind_dtype);
    TR_RUN(test_optim_bad_apply_args);
    TR_RUN(test_optim_nan_grad);
    TR_RUN(test_optim_bad_constraint_slot);
}
