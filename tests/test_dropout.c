/* The four dropout-mask methods and how the call uses the masks (spec §3, §7). */
#include <stdlib.h>

#include "runner.h"

static gru_cell *make(double dropout, double rdrop, int impl, gru_dtype dt, int U, int F) {
    gru_cell_config c;
    gru_cell_config_init(&c, U, F);
    c.dropout = dropout;
    c.recurrent_dropout = rdrop;
    c.implementation = impl;
    c.dtype = dt;
    c.seed = 42;
    gru_cell *cell = NULL;
    gru_cell_create(&c, &cell);
    return cell;
}

TEST(rate_zero_returns_no_mask) {
    gru_cell *cell = make(0.0, 0.0, 1, GRU_F32, 3, 2);
    CHECK(cell);
    bool has = true;
    float m[3 * 2 * 2];
    CHECK_OK(gru_cell_get_dropout_mask(cell, GRU_F32, 2, GRU_TRAINING_TRUE, 3, m, &has));
    CHECK(!has);
    has = true;
    CHECK_OK(gru_cell_get_recurrent_dropout_mask(cell, GRU_F32, 2, GRU_TRAINING_TRUE, 3, m, &has));
    CHECK(!has);
    gru_cell_free(cell);
}

TEST(training_masks_are_zero_or_inverse_keep_with_the_right_rate) {
    enum { B = 200, F = 50 };
    gru_cell *cell = make(0.3, 0.0, 1, GRU_F32, 4, F);
    CHECK(cell);
    float *m = malloc(3 * B * F * sizeof(float));
    CHECK(m);
    bool has;
    CHECK_OK(gru_cell_get_dropout_mask(cell, GRU_F32, B, GRU_TRAINING_TRUE, 3, m, &has));
    CHECK(has);
    const float keep = 1.0f / (1.0f - 0.3f);
    size_t zeros = 0;
    for (int i = 0; i < 3 * B * F; i++) {
        CHECK(m[i] == 0.0f || m[i] == keep);
        zeros += m[i] == 0.0f;
    }
    double frac = (double)zeros / (3.0 * B * F);
    CHECK_MSG(fabs(frac - 0.3) < 0.02, "dropped fraction %g", frac);
    /* the three masks are independent draws */
    CHECK(memcmp(m, m + B * F, B * F * sizeof(float)) != 0);
    free(m);
    gru_cell_free(cell);
}

TEST(masks_are_cached_until_reset) {
    enum { B = 4, U = 6 };
    gru_cell *cell = make(0.0, 0.5, 1, GRU_F64, U, 3);
    CHECK(cell);
    double a[3 * B * U], b[3 * B * U], c1[B * U];
    bool has;
    CHECK_OK(gru_cell_get_recurrent_dropout_mask(cell, GRU_F64, B, GRU_TRAINING_TRUE, 3, a, &has));
    CHECK_OK(gru_cell_get_recurrent_dropout_mask(cell, GRU_F64, B, GRU_TRAINING_TRUE, 3, b, &has));
    CHECK(memcmp(a, b, sizeof a) == 0);
    /* count = 1 returns the first cached mask */
    CHECK_OK(gru_cell_get_recurrent_dropout_mask(cell, GRU_F64, B, GRU_TRAINING_TRUE, 1, c1, &has));
    CHECK(memcmp(a, c1, sizeof c1) == 0);
    CHECK_OK(gru_cell_reset_recurrent_dropout_mask(cell));
    CHECK_OK(gru_cell_get_recurrent_dropout_mask(cell, GRU_F64, B, GRU_TRAINING_TRUE, 3, b, &has));
    CHECK(memcmp(a, b, sizeof a) != 0);
    gru_cell_free(cell);
}

TEST(mask_made_while_not_training_is_reused_as_keras_does) {
    /* Keras' cache key ignores `training`: an all-ones mask cached by an
     * inference call stays until reset (tf-keras P6). */
    enum { B = 2, F = 3 };
    gru_cell *cell = make(0.5, 0.0, 1, GRU_F32, 2, F);
    CHECK(cell);
    float m[3 * B * F];
    bool has;
    CHECK_OK(gru_cell_get_dropout_mask(cell, GRU_F32, B, GRU_TRAINING_NONE, 3, m, &has));
    for (int i = 0; i < 3 * B * F; i++) CHECK(m[i] == 1.0f);
    CHECK_OK(gru_cell_get_dropout_mask(cell, GRU_F32, B, GRU_TRAINING_TRUE, 3, m, &has));
    for (int i = 0; i < 3 * B * F; i++) CHECK(m[i] == 1.0f);
    /* a cached mask of another batch size is an error, not a silent broadcast */
    float m5[3 * 5 * F];
    CHECK_REJECT(gru_cell_get_dropout_mask(cell, GRU_F32, 5, GRU_TRAINING_TRUE, 3, m5, &has),
                 GRU_E_SHAPE, "batch 2");
    gru_cell_free(cell);
}

TEST(inference_with_dropout_equals_no_dropout) {
    enum { B = 3, F = 4, U = 5 };
    gru_cell *d = make(0.4, 0.3, 1, GRU_F64, U, F), *n = make(0.0, 0.0, 1, GRU_F64, U, F);
    CHECK(d && n);
    double x[B * F], h[B * U], o1[B * U], o2[B * U];
    for (int i = 0; i < B * F; i++) x[i] = sin(i + 1.0);
    for (int i = 0; i < B * U; i++) h[i] = cos(i + 1.0) * 0.5;
    CHECK_OK(gru_cell_call(d, GRU_F64, B, x, h, GRU_TRAINING_FALSE, o1));
    CHECK_OK(gru_cell_call(n, GRU_F64, B, x, h, GRU_TRAINING_NONE, o2));
    CHECK(memcmp(o1, o2, sizeof o1) == 0); /* same seed -> same weights */
    gru_cell_free(d);
    gru_cell_free(n);
}

TEST(rate_one_in_training_is_an_error_and_inactive_otherwise) {
    gru_cell *cell = make(1.0, 0.0, 1, GRU_F32, 2, 2);
    CHECK(cell);
    float x[2] = {1, 2}, h[2] = {0, 0}, o[2];
    CHECK_REJECT(gru_cell_call(cell, GRU_F32, 1, x, h, GRU_TRAINING_TRUE, o), GRU_E_ARG, "rate");
    CHECK_OK(gru_cell_call(cell, GRU_F32, 1, x, h, GRU_TRAINING_FALSE, o));
    gru_cell_free(cell);
}

TEST(zero_input_masks_act_as_zero_input) {
    enum { B = 2, F = 3, U = 4 };
    for (int impl = 1; impl <= 2; impl++) {
        gru_cell *d = make(0.5, 0.0, impl, GRU_F64, U, F), *n = make(0.0, 0.0, impl, GRU_F64, U, F);
        CHECK(d && n);
        double masks[3 * B * F] = {0}, x[B * F], zero[B * F] = {0}, h[B * U], o1[B * U], o2[B * U];
        for (int i = 0; i < B * F; i++) x[i] = 1.0 + i;
        for (int i = 0; i < B * U; i++) h[i] = 0.1 * i;
        CHECK_OK(gru_cell_set_dropout_mask(d, GRU_F64, B, masks));
        CHECK_OK(gru_cell_call(d, GRU_F64, B, x, h, GRU_TRAINING_TRUE, o1));
        CHECK_OK(gru_cell_call(n, GRU_F64, B, zero, h, GRU_TRAINING_TRUE, o2));
        CHECK(memcmp(o1, o2, sizeof o1) == 0);
        gru_cell_free(d);
        gru_cell_free(n);
    }
}

TEST(mode_2_uses_only_mask_0) {
    enum { B = 2, F = 3, U = 4 };
    gru_cell *a = make(0.5, 0.0, 2, GRU_F64, U, F), *b = make(0.5, 0.0, 2, GRU_F64, U, F);
    CHECK(a && b);
    double ma[3 * B * F], mb[3 * B * F], x[B * F], h[B * U], o1[B * U], o2[B * U];
    for (int i = 0; i < B * F; i++) {
        ma[i] = mb[i] = (i % 2) ? 2.0 : 0.0;           /* mask 0 the same     */
        ma[B * F + i] = ma[2 * B * F + i] = 2.0;        /* masks 1, 2 differ  */
        mb[B * F + i] = mb[2 * B * F + i] = 0.0;
        x[i] = 0.3 * i - 0.5;
    }
    for (int i = 0; i < B * U; i++) h[i] = 0.05 * i;
    CHECK_OK(gru_cell_set_dropout_mask(a, GRU_F64, B, ma));
    CHECK_OK(gru_cell_set_dropout_mask(b, GRU_F64, B, mb));
    CHECK_OK(gru_cell_call(a, GRU_F64, B, x, h, GRU_TRAINING_TRUE, o1));
    CHECK_OK(gru_cell_call(b, GRU_F64, B, x, h, GRU_TRAINING_TRUE, o2));
    CHECK(memcmp(o1, o2, sizeof o1) == 0);
    /* ...while mode 1 does use masks 1 and 2 */
    gru_cell *c = make(0.5, 0.0, 1, GRU_F64, U, F), *d = make(0.5, 0.0, 1, GRU_F64, U, F);
    CHECK(c && d);
    CHECK_OK(gru_cell_set_dropout_mask(c, GRU_F64, B, ma));
    CHECK_OK(gru_cell_set_dropout_mask(d, GRU_F64, B, mb));
    CHECK_OK(gru_cell_call(c, GRU_F64, B, x, h, GRU_TRAINING_TRUE, o1));
    CHECK_OK(gru_cell_call(d, GRU_F64, B, x, h, GRU_TRAINING_TRUE, o2));
    CHECK(memcmp(o1, o2, sizeof o1) != 0);
    gru_cell_free(a), gru_cell_free(b), gru_cell_free(c), gru_cell_free(d);
}

TEST(recurrent_masks_do_not_touch_the_final_mix) {
    /* With all recurrent masks zero, h only enters through z*h: compare with
     * a cell whose state input is zero for the gates, by linearity in h. */
    enum { F = 2, U = 3 };
    gru_cell *a = make(0.0, 0.5, 1, GRU_F64, U, F);
    CHECK(a);
    double m[3 * U] = {0}, x[F] = {0.5, -1}, h[U] = {0.9, -0.4, 0.2}, h0[U] = {0, 0, 0}, o[U], o0[U];
    CHECK_OK(gru_cell_set_recurrent_dropout_mask(a, GRU_F64, 1, m));
    CHECK_OK(gru_cell_call(a, GRU_F64, 1, x, h, GRU_TRAINING_TRUE, o));
    CHECK_OK(gru_cell_call(a, GRU_F64, 1, x, h0, GRU_TRAINING_TRUE, o0));
    /* gates equal in both calls, so o - o0 = z*h with z = hard_sigmoid(x·W_z)
     * (bias zeros): computed here from the cell's kernel. */
    double k[F * 3 * U], r[U * 3 * U], b[3 * U];
    CHECK_OK(gru_cell_get_weights(a, GRU_F64, k, r, b));
    for (int j = 0; j < U; j++) {
        double pre = x[0] * k[j] + x[1] * k[3 * U + j] + b[j];
        double z = fmin(1.0, fmax(0.0, 0.2 * pre + 0.5));
        CHECK_NEAR(o[j] - o0[j], z * h[j], 1e-12);
    }
    gru_cell_free(a);
}

void tests_dropout(void);
void tests_dropout(void) {
    TR_RUN(rate_zero_returns_no_mask);
    TR_RUN(training_masks_are_zero_or_inverse_keep_with_the_right_rate);
    TR_RUN(masks_are_cached_until_reset);
    TR_RUN(mask_made_while_not_training_is_reused_as_keras_does);
    TR_RUN(inference_with_dropout_equals_no_dropout);
    TR_RUN(rate_one_in_training_is_an_error_and_inactive_otherwise);
    TR_RUN(zero_input_masks_act_as_zero_input);
    TR_RUN(mode_2_uses_only_mask_0);
    TR_RUN(recurrent_masks_do_not_touch_the_final_mix);
}
