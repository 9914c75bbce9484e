/* The cell: Keras defaults, config processing, weights, the call's maths on
 * the hand-worked example of spec §3.8, invariances, memory. */
#include <stdlib.h>

#include "runner.h"

TEST(config_defaults_are_keras_v1) {
    gru_cell_config c;
    CHECK_OK(gru_cell_config_init(&c, 7, 3));
    CHECK(c.units == 7 && c.input_dim == 3 && c.dtype == GRU_F32);
    CHECK(c.activation.kind == GRU_ACT_TANH);
    CHECK(c.recurrent_activation.kind == GRU_ACT_HARD_SIGMOID);
    CHECK(c.use_bias);
    CHECK(c.kernel_initializer.kind == GRU_INIT_VARIANCE_SCALING);
    CHECK(c.kernel_initializer.mode == GRU_FAN_AVG);
    CHECK(c.kernel_initializer.distribution == GRU_DIST_UNIFORM);
    CHECK(c.recurrent_initializer.kind == GRU_INIT_ORTHOGONAL);
    CHECK(c.bias_initializer.kind == GRU_INIT_ZEROS);
    CHECK(c.kernel_regularizer.kind == GRU_REG_NONE && c.bias_constraint.kind == GRU_CONSTRAINT_NONE);
    CHECK(c.dropout == 0.0 && c.recurrent_dropout == 0.0);
    CHECK(!c.reset_after && c.implementation == 1);
}

TEST(dropout_is_clipped_and_recurrent_dropout_forces_mode_1) {
    gru_cell_config c;
    gru_cell_config_init(&c, 2, 2);
    c.dropout = 1.7;
    c.recurrent_dropout = -0.5;
    c.implementation = 2;
    gru_cell *cell;
    CHECK_OK(gru_cell_create(&c, &cell));
    gru_cell_config e;
    CHECK_OK(gru_cell_get_config(cell, &e));
    CHECK(e.dropout == 1.0 && e.recurrent_dropout == 0.0);
    CHECK(e.implementation == 2); /* recurrent_dropout clipped to 0: no forcing */
    gru_cell_free(cell);
    c.dropout = 0.0;
    c.recurrent_dropout = 0.25;
    CHECK_OK(gru_cell_create(&c, &cell));
    CHECK_OK(gru_cell_get_config(cell, &e));
    CHECK(e.implementation == 1 && e.recurrent_dropout == 0.25);
    gru_cell_free(cell);
    c.recurrent_dropout = 0.0;
    c.implementation = 0; /* not validated by Keras: any value != 1 is mode 2 */
    CHECK_OK(gru_cell_create(&c, &cell));
    CHECK_OK(gru_cell_get_config(cell, &e));
    CHECK(e.implementation == 0);
    gru_cell_free(cell);
}

TEST(weight_sizes_follow_keras_shapes) {
    gru_cell_config c;
    gru_cell_config_init(&c, 5, 4);
    size_t k, r, b;
    gru_cell *cell;
    CHECK_OK(gru_cell_create(&c, &cell));
    CHECK_OK(gru_cell_weight_sizes(cell, &k, &r, &b));
    CHECK(k == 4 * 15 && r == 5 * 15 && b == 15); /* 150 parameters, as Keras */
    gru_cell_free(cell);
    c.reset_after = true;
    CHECK_OK(gru_cell_create(&c, &cell));
    CHECK_OK(gru_cell_weight_sizes(cell, &k, &r, &b));
    CHECK(k + r + b == 165);
    gru_cell_free(cell);
    c.use_bias = false;
    CHECK_OK(gru_cell_create(&c, &cell));
    CHECK_OK(gru_cell_weight_sizes(cell, &k, &r, &b));
    CHECK(b == 0);
    gru_cell_free(cell);
}

TEST(weights_roundtrip_and_convert) {
    gru_cell_config c;
    gru_cell_config_init(&c, 3, 2);
    c.dtype = GRU_F64;
    c.reset_after = true;
    gru_cell *cell;
    CHECK_OK(gru_cell_create(&c, &cell));
    double k[18], r[27], b[18], k2[18], r2[27], b2[18];
    for (int i = 0; i < 27; i++) {
        if (i < 18) k[i] = 0.1 * i - 0.7, b[i] = 0.01 * i;
        r[i] = 0.03 * i - 0.4;
    }
    CHECK_OK(gru_cell_set_weights(cell, GRU_F64, k, r, b));
    CHECK_OK(gru_cell_get_weights(cell, GRU_F64, k2, r2, b2));
    CHECK(memcmp(k, k2, sizeof k) == 0 && memcmp(r, r2, sizeof r) == 0 && memcmp(b, b2, sizeof b) == 0);
    float kf[18], rf[27], bf[18];
    CHECK_OK(gru_cell_get_weights(cell, GRU_F32, kf, rf, bf));
    for (int i = 0; i < 18; i++) CHECK(kf[i] == (float)k[i] && bf[i] == (float)b[i]);
    gru_cell_free(cell);
}

/* Spec §3.8: F = 2, U = 2, B = 1, h0 = 0, worked by hand in float64 from the
 * formulas (not by libgru, not by TF). */
static const double W38[12] = {0.10, -0.20, 0.30, 0.40, -0.50, 0.60,
                               -0.70, 0.80, 0.90, -1.00, 0.11, 0.12};
static const double R38[12] = {0.20, 0.10, -0.30, 0.50, 0.70, -0.40,
                               0.05, -0.15, 0.25, -0.35, 0.45, 0.55};
static const double BX38[6] = {0.01, 0.02, 0.03, -0.04, 0.05, -0.06};
static const double BH38[6] = {0.10, -0.10, 0.20, -0.20, 0.30, -0.30};
static const double X38[4] = {1.0, 2.0, -0.5, 0.25};

static int run_example(int reset_after, int impl, gru_dtype dt, double out[4]) {
    gru_cell_config c;
    gru_cell_config_init(&c, 2, 2);
    c.dtype = dt;
    c.reset_after = reset_after;
    c.implementation = impl;
    if (reset_after) gru_activation_from_name("sigmoid", &c.recurrent_activation);
    gru_cell *cell;
    if (gru_cell_create(&c, &cell)) return 0;
    double b[12];
    memcpy(b, BX38, sizeof BX38);
    memcpy(b + 6, BH38, sizeof BH38);
    if (dt == GRU_F64) {
        if (gru_cell_set_weights(cell, GRU_F64, W38, R38, b)) return 0;
        double h[2] = {0, 0};
        for (int s = 0; s < 2; s++) {
            if (gru_cell_call(cell, GRU_F64, 1, X38 + 2 * s, h, GRU_TRAINING_FALSE, h)) return 0;
            out[2 * s] = h[0], out[2 * s + 1] = h[1];
        }
    } else {
        if (gru_cell_set_weights(cell, GRU_F64, W38, R38, b)) return 0; /* converts */
        float h[2] = {0, 0}, x[4];
        for (int i = 0; i < 4; i++) x[i] = (float)X38[i];
        for (int s = 0; s < 2; s++) {
            if (gru_cell_call(cell, GRU_F32, 1, x + 2 * s, h, GRU_TRAINING_NONE, h)) return 0;
            out[2 * s] = (double)h[0], out[2 * s + 1] = (double)h[1];
        }
    }
    gru_cell_free(cell);
    return 1;
}

TEST(worked_example_reset_before_hard_sigmoid) {
    const double want[4] = {-0.1713294910, 0.1409846485, 0.0757172527, -0.0360541757};
    for (int impl = 1; impl <= 2; impl++) {
        double got[4];
        CHECK(run_example(0, impl, GRU_F64, got));
        for (int i = 0; i < 4; i++) CHECK_NEAR(got[i], want[i], 1e-9);
        CHECK(run_example(0, impl, GRU_F32, got));
        for (int i = 0; i < 4; i++) CHECK_NEAR(got[i], want[i], 1e-6);
    }
}

TEST(worked_example_reset_after_sigmoid) {
    const double want[4] = {0.0332552267, 0.1324931410, 0.2787933378, -0.1010977887};
    for (int impl = 1; impl <= 2; impl++) {
        double got[4];
        CHECK(run_example(1, impl, GRU_F64, got));
        for (int i = 0; i < 4; i++) CHECK_NEAR(got[i], want[i], 1e-9);
        CHECK(run_example(1, impl, GRU_F32, got));
        for (int i = 0; i < 4; i++) CHECK_NEAR(got[i], want[i], 1e-6);
    }
}

static void fill_pattern(float *p, size_t n, unsigned seed) {
    gru_rng r;
    gru_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) p[i] = (float)(2.0 * gru_rng_uniform(&r) - 1.0);
}

TEST(batch_split_invariance_is_bitwise) {
    enum { B = 5, F = 7, U = 6 };
    for (int ra = 0; ra <= 1; ra++) {
        gru_cell_config c;
        gru_cell_config_init(&c, U, F);
        c.reset_after = ra;
        gru_activation_from_name("softmax", &c.activation); /* row-wise */
        c.seed = 11;
        gru_cell *cell;
        CHECK_OK(gru_cell_create(&c, &cell));
        float x[B * F], h[B * U], all[B * U], one[U];
        fill_pattern(x, B * F, 1);
        fill_pattern(h, B * U, 2);
        CHECK_OK(gru_cell_call(cell, GRU_F32, B, x, h, GRU_TRAINING_FALSE, all));
        for (int b = 0; b < B; b++) {
            CHECK_OK(gru_cell_call(cell, GRU_F32, 1, x + b * F, h + b * U, GRU_TRAINING_FALSE, one));
            CHECK(memcmp(one, all + b * U, sizeof one) == 0);
        }
        gru_cell_free(cell);
    }
}

TEST(implementations_agree_without_dropout) {
    enum { B = 3, F = 4, U = 5 };
    float x[B * F], h[B * U], o1[B * U], o2[B * U];
    fill_pattern(x, B * F, 3);
    fill_pattern(h, B * U, 4);
    for (int ra = 0; ra <= 1; ra++) {
        gru_cell_config c;
        gru_cell_config_init(&c, U, F);
        c.reset_after = ra;
        c.seed = 5;
        gru_cell *c1, *c2;
        CHECK_OK(gru_cell_create(&c, &c1));
        c.implementation = 2;
        CHECK_OK(gru_cell_create(&c, &c2));
        CHECK_OK(gru_cell_call(c1, GRU_F32, B, x, h, GRU_TRAINING_FALSE, o1));
        CHECK_OK(gru_cell_call(c2, GRU_F32, B, x, h, GRU_TRAINING_FALSE, o2));
        for (int i = 0; i < B * U; i++) CHECK_NEAR(o1[i], o2[i], 1e-7);
        gru_cell_free(c1);
        gru_cell_free(c2);
    }
}

TEST(use_bias_false_equals_zero_bias) {
    enum { B = 2, F = 3, U = 4 };
    float x[B * F], h[B * U], o1[B * U], o2[B * U], k[F * 3 * U], r[U * 3 * U], b[3 * U] = {0};
    fill_pattern(x, B * F, 5);
    fill_pattern(h, B * U, 6);
    fill_pattern(k, F * 3 * U, 7);
    fill_pattern(r, U * 3 * U, 8);
    gru_cell_config c;
    gru_cell_config_init(&c, U, F);
    gru_cell *c1, *c2;
    CHECK_OK(gru_cell_create(&c, &c1));
    c.use_bias = false;
    CHECK_OK(gru_cell_create(&c, &c2));
    CHECK_OK(gru_cell_set_weights(c1, GRU_F32, k, r, b));
    CHECK_OK(gru_cell_set_weights(c2, GRU_F32, k, r, NULL));
    CHECK_OK(gru_cell_call(c1, GRU_F32, B, x, h, GRU_TRAINING_FALSE, o1));
    CHECK_OK(gru_cell_call(c2, GRU_F32, B, x, h, GRU_TRAINING_FALSE, o2));
    CHECK(memcmp(o1, o2, sizeof o1) == 0);
    gru_cell_free(c1);
    gru_cell_free(c2);
}

TEST(init_in_caller_memory_equals_create) {
    gru_cell_config c;
    gru_cell_config_init(&c, 8, 3);
    c.seed = 99;
    c.dropout = 0.2;
    size_t size;
    CHECK_OK(gru_cell_size(&c, &size));
    void *mem = aligned_alloc(64, (size + 63) / 64 * 64);
    CHECK(mem != NULL);
    gru_cell *a, *b;
    CHECK_OK(gru_cell_init(mem, size, &c, &a));
    CHECK_OK(gru_cell_create(&c, &b));
    float ka[3 * 24], kb[3 * 24], ra[8 * 24], rb[8 * 24], ba[24], bb[24];
    CHECK_OK(gru_cell_get_weights(a, GRU_F32, ka, ra, ba));
    CHECK_OK(gru_cell_get_weights(b, GRU_F32, kb, rb, bb));
    CHECK(memcmp(ka, kb, sizeof ka) == 0 && memcmp(ra, rb, sizeof ra) == 0);
    gru_cell_free(a); /* not owned: a no-op */
    CHECK(gru_cell_units(a) == 8);
    gru_cell_free(b);
    free(mem);
}

TEST(initial_state_is_zeros) {
    gru_cell_config c;
    gru_cell_config_init(&c, 4, 2);
    gru_cell *cell;
    CHECK_OK(gru_cell_create(&c, &cell));
    double s[12];
    for (int i = 0; i < 12; i++) s[i] = 5;
    CHECK_OK(gru_cell_get_initial_state(cell, GRU_F64, 3, s));
    for (int i = 0; i < 12; i++) CHECK(s[i] == 0.0);
    gru_cell_free(cell);
}

TEST(reset_weights_is_seeded) {
    gru_cell_config c;
    gru_cell_config_init(&c, 4, 3);
    c.seed = 1;
    gru_cell *cell;
    CHECK_OK(gru_cell_create(&c, &cell));
    float k1[36], k2[36], k3[36], r[48], b[12];
    CHECK_OK(gru_cell_get_weights(cell, GRU_F32, k1, r, b));
    CHECK_OK(gru_cell_reset_weights(cell, 2));
    CHECK_OK(gru_cell_get_weights(cell, GRU_F32, k2, r, b));
    CHECK_OK(gru_cell_reset_weights(cell, 1));
    CHECK_OK(gru_cell_get_weights(cell, GRU_F32, k3, r, b));
    CHECK(memcmp(k1, k3, sizeof k1) == 0 && memcmp(k1, k2, sizeof k1) != 0);
    /* glorot_uniform limit sqrt(6 / (F + 3U)) = sqrt(6/15) */
    for (int i = 0; i < 36; i++) CHECK(fabs((double)k1[i]) <= sqrt(6.0 / 15.0));
    gru_cell_free(cell);
}

TEST(losses_and_constraints_use_the_configured_objects) {
    gru_cell_config c;
    gru_cell_config_init(&c, 2, 1);
    c.dtype = GRU_F64;
    gru_regularizer_from_name("l2", &c.kernel_regularizer);
    gru_regularizer_from_name("l1", &c.bias_regularizer);
    gru_constraint_from_name("non_neg", &c.kernel_constraint);
    gru_cell *cell;
    CHECK_OK(gru_cell_create(&c, &cell));
    double k[6] = {1, -2, 3, -4, 0.5, 0}, r[12] = {0}, b[6] = {-1, 1, 2, 0, 0, 0};
    CHECK_OK(gru_cell_set_weights(cell, GRU_F64, k, r, b));
    double l[3], total;
    CHECK_OK(gru_cell_losses(cell, l, &total));
    /* l2 default 0.01 stored as float32; l1 likewise */
    CHECK_NEAR(l[0], (double)0.01f * (1 + 4 + 9 + 16 + 0.25), 1e-12);
    CHECK(l[1] == 0.0);
    CHECK_NEAR(l[2], (double)0.01f * 4, 1e-12);
    CHECK_NEAR(total, l[0] + l[2], 1e-15);
    CHECK_OK(gru_cell_apply_constraints(cell));
    double k2[6];
    CHECK_OK(gru_cell_get_weights(cell, GRU_F64, k2, r, b));
    for (int i = 0; i < 6; i++) CHECK(k2[i] == (k[i] >= 0 ? k[i] : 0.0));
    gru_cell_free(cell);
}

TEST(kernel_variant_is_reported) {
    gru_cell_config c;
    gru_cell_config_init(&c, 2, 2);
    gru_cell *cell;
    CHECK_OK(gru_cell_create(&c, &cell));
    int listed = 0;
    for (size_t i = 0; gru_kernel_variant(i); i++)
        listed |= strcmp(gru_cell_kernel_name(cell), gru_kernel_variant(i)) == 0;
    CHECK(listed);
    gru_cell_free(cell);
    c.kernel = "scalar";
    CHECK_OK(gru_cell_create(&c, &cell));
    CHECK(strcmp(gru_cell_kernel_name(cell), "scalar") == 0);
    gru_cell_free(cell);
    c.kernel = "no-such-isa";
    CHECK_STATUS(gru_cell_create(&c, &cell), GRU_E_ARG);
}

void tests_cell(void);
void tests_cell(void) {
    TR_RUN(config_defaults_are_keras_v1);
    TR_RUN(dropout_is_clipped_and_recurrent_dropout_forces_mode_1);
    TR_RUN(weight_sizes_follow_keras_shapes);
    TR_RUN(weights_roundtrip_and_convert);
    TR_RUN(worked_example_reset_before_hard_sigmoid);
    TR_RUN(worked_example_reset_after_sigmoid);
    TR_RUN(batch_split_invariance_is_bitwise);
    TR_RUN(implementations_agree_without_dropout);
    TR_RUN(use_bias_false_equals_zero_bias);
    TR_RUN(init_in_caller_memory_equals_create);
    TR_RUN(initial_state_is_zeros);
    TR_RUN(reset_weights_is_seeded);
    TR_RUN(losses_and_constraints_use_the_configured_objects);
    TR_RUN(kernel_variant_is_reported);
}
