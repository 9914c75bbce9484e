/* The backward pass against central finite differences of the forward pass
 * (float64), for the cell and through time for the layer, over reset_after,
 * implementation, masks (leading, interior, fully masked), go_backwards,
 * return_sequences, zero_output_for_mask, recorded dropout masks and several
 * activations. */
#include <stdlib.h>

#include "runner.h"

enum { F = 3, U = 4, B = 3, T = 5 };

static void fill(double *p, size_t n, unsigned seed, double scale) {
    gru_rng r;
    gru_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) p[i] = scale * (2.0 * gru_rng_uniform(&r) - 1.0);
}

typedef struct lcase {
    int reset_after, impl, go_back, ret_seq, zero_out, masked, dropout;
    const char *act, *ract;
} lcase;

/* L = sum(cout * output) + sum(cst * final state), forward in float64. */
static double loss_of(gru_layer *l, const lcase *c, const double *x, const double *h0,
                      const uint8_t *mask, const double *dm, const double *rm, const double *cout,
                      const double *cst, void *ws, size_t nws) {
    double out[B * T * U], st[B * U];
    gru_seq in = {B, T, x, c->masked ? mask : NULL, NULL};
    gru_layer_io io = {h0, dm, rm, st};
    if (gru_layer_forward(l, GRU_F64, &in, &io, GRU_TRAINING_TRUE, out, ws, nws)) return NAN;
    size_t no = c->ret_seq ? B * T * U : B * U;
    double L = 0;
    for (size_t i = 0; i < no; i++) L += cout[i] * out[i];
    for (size_t i = 0; i < B * U; i++) L += cst[i] * st[i];
    return L;
}

static void check_layer_case(tr_ctx *t_, const lcase *c) {
    gru_layer_config cfg;
    gru_layer_config_init(&cfg, U, F);
    cfg.cell.dtype = GRU_F64;
    cfg.cell.reset_after = c->reset_after;
    cfg.cell.implementation = c->impl;
    cfg.cell.dropout = c->dropout ? 0.3 : 0.0;
    cfg.cell.recurrent_dropout = c->dropout && c->impl == 1 ? 0.25 : 0.0;
    gru_activation_from_name(c->act, &cfg.cell.activation);
    gru_activation_from_name(c->ract, &cfg.cell.recurrent_activation);
    cfg.go_backwards = c->go_back;
    cfg.return_sequences = c->ret_seq;
    cfg.zero_output_for_mask = c->zero_out;
    cfg.return_state = true;
    gru_layer *l;
    CHECK_OK(gru_layer_create(&cfg, &l));
    gru_cell *cell = gru_layer_cell(l);
    double k[F * 3 * U], r[U * 3 * U], bias[6 * U];
    fill(k, F * 3 * U, 1, 0.6);
    fill(r, U * 3 * U, 2, 0.6);
    fill(bias, 6 * U, 3, 0.3);
    CHECK_OK(gru_cell_set_weights(cell, GRU_F64, k, r, bias));
    double x[B * T * F], h0[B * U], cout[B * T * U], cst[B * U], dm[3 * B * F], rm[3 * B * U];
    fill(x, B * T * F, 4, 1.0);
    fill(h0, B * U, 5, 0.5);
    fill(cout, B * T * U, 6, 1.0);
    fill(cst, B * U, 7, 1.0);
    for (int i = 0; i < 3 * B * F; i++) dm[i] = (i % 4 == 1) ? 0.0 : 1.0 / 0.7;
    for (int i = 0; i < 3 * B * U; i++) rm[i] = (i % 5 == 2) ? 0.0 : 1.0 / 0.75;
    /* sample 0 leading gap, sample 1 interior gap, sample 2 fully masked */
    const uint8_t mask[B * T] = {0, 0, 1, 1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0};

    size_t nws, ntape, nbw;
    CHECK_OK(gru_layer_workspace_size(l, B, T, &nws));
    CHECK_OK(gru_layer_tape_size(l, B, T, &ntape));
    CHECK_OK(gru_layer_backward_workspace_size(l, B, T, &nbw));
    void *ws = aligned_alloc(64, (nws + 63) / 64 * 64), *tape = aligned_alloc(64, (ntape + 63) / 64 * 64),
         *bw = aligned_alloc(64, (nbw + 63) / 64 * 64);
    CHECK(ws && tape && bw);

    double out[B * T * U], st[B * U], dx[B * T * F], dh0[B * U];
    double gk[F * 3 * U], gr[U * 3 * U], gb[6 * U];
    gru_cell_grads g = {gk, gr, gb};
    CHECK_OK(gru_cell_grads_zero(cell, &g));
    gru_seq in = {B, T, x, c->masked ? mask : NULL, NULL};
    gru_layer_io io = {h0, dm, rm, st};
    CHECK_OK(gru_layer_forward_train(l, GRU_F64, &in, &io, GRU_TRAINING_TRUE, out, tape, ntape));
    CHECK_OK(gru_layer_backward(l, GRU_F64, &in, tape, cout, cst, dx, dh0, &g, bw, nbw));

    const double eps = 1e-6;
    double worst = 0;
#define FD_CHECK(arr, n, grad, setw)                                                             \
    for (size_t i = 0; i < (n); i++) {                                                           \
        double save = arr[i];                                                                    \
        arr[i] = save + eps;                                                                     \
        setw;                                                                                    \
        double lp = loss_of(l, c, x, h0, mask, dm, rm, cout, cst, ws, nws);                     \
        arr[i] = save - eps;                                                                     \
        setw;                                                                                    \
        double lm = loss_of(l, c, x, h0, mask, dm, rm, cout, cst, ws, nws);                     \
        arr[i] = save;                                                                           \
        setw;                                                                                    \
        double fd = (lp - lm) / (2 * eps), e = fabs(fd - (grad)[i]) / fmax(1.0, fabs(fd));       \
        if (e > worst) worst = e;                                                                \
        CHECK_MSG(e < 1e-6, "%s[%zu]: backward %.10g, finite difference %.10g", #arr, i,         \
                  (grad)[i], fd);                                                                \
    }
    FD_CHECK(x, (size_t)(B * T * F), dx, (void)0)
    FD_CHECK(h0, (size_t)(B * U), dh0, (void)0)
    FD_CHECK(k, (size_t)(F * 3 * U), gk, gru_cell_set_weights(cell, GRU_F64, k, r, bias))
    FD_CHECK(r, (size_t)(U * 3 * U), gr, gru_cell_set_weights(cell, GRU_F64, k, r, bias))
    FD_CHECK(bias, (size_t)((c->reset_after ? 6 : 3) * U), gb,
             gru_cell_set_weights(cell, GRU_F64, k, r, bias))
#undef FD_CHECK
    free(ws), free(tape), free(bw);
    gru_layer_free(l);
}

TEST(backward_layer_matches_finite_differences) {
    static const char *acts[][2] = {{"tanh", "sigmoid"}, {"softmax", "tanh"}, {"elu", "sigmoid"},
                                    {"gelu", "swish"}};
    for (int k = 0; k < 64; k++) {
        lcase c = {k & 1, (k >> 1) & 1 ? 2 : 1, (k >> 2) & 1, (k >> 3) & 1, (k >> 4) & 1,
                   ((k >> 5) & 1) || k % 3 == 0, (k % 5) < 2, acts[k % 4][0], acts[k % 4][1]};
        check_layer_case(t_, &c);
        if (t_->failed) {
            char m[128];
            snprintf(m, sizeof m, " [case %d]", k);
            strncat(t_->msg, m, sizeof t_->msg - strlen(t_->msg) - 1);
            return;
        }
    }
}

TEST(backward_cell_matches_the_layer_on_one_step) {
    /* gru_cell_backward (recompute + backward) equals one layer step */
    gru_cell_config cc;
    gru_cell_config_init(&cc, U, F);
    cc.dtype = GRU_F64;
    cc.reset_after = true;
    gru_activation_from_name("sigmoid", &cc.recurrent_activation);
    gru_cell *cell;
    CHECK_OK(gru_cell_create(&cc, &cell));
    double x[B * F], h[B * U], dhn[B * U], dx[B * F], dh[B * U], gk[F * 3 * U], gr[U * 3 * U],
        gb[6 * U];
    fill(x, B * F, 8, 1.0);
    fill(h, B * U, 9, 0.5);
    fill(dhn, B * U, 10, 1.0);
    gru_cell_grads g = {gk, gr, gb};
    CHECK_OK(gru_cell_grads_zero(cell, &g));
    CHECK_OK(gru_cell_backward(cell, GRU_F64, B, x, h, GRU_TRAINING_FALSE, dhn, dx, dh, &g));
    /* finite differences on L = sum(dhn * cell(x, h)) */
    const double eps = 1e-6;
    double o[B * U];
    for (int i = 0; i < B * U; i++) {
        double save = h[i], lp = 0, lm = 0;
        h[i] = save + eps;
        CHECK_OK(gru_cell_call(cell, GRU_F64, B, x, h, GRU_TRAINING_FALSE, o));
        for (int j = 0; j < B * U; j++) lp += dhn[j] * o[j];
        h[i] = save - eps;
        CHECK_OK(gru_cell_call(cell, GRU_F64, B, x, h, GRU_TRAINING_FALSE, o));
        for (int j = 0; j < B * U; j++) lm += dhn[j] * o[j];
        h[i] = save;
        CHECK_NEAR(dh[i], (lp - lm) / (2 * eps), 1e-7);
    }
    for (int i = 0; i < B * F; i++) {
        double save = x[i], lp = 0, lm = 0;
        x[i] = save + eps;
        CHECK_OK(gru_cell_call(cell, GRU_F64, B, x, h, GRU_TRAINING_FALSE, o));
        for (int j = 0; j < B * U; j++) lp += dhn[j] * o[j];
        x[i] = save - eps;
        CHECK_OK(gru_cell_call(cell, GRU_F64, B, x, h, GRU_TRAINING_FALSE, o));
        for (int j = 0; j < B * U; j++) lm += dhn[j] * o[j];
        x[i] = save;
        CHECK_NEAR(dx[i], (lp - lm) / (2 * eps), 1e-7);
    }
    gru_cell_free(cell);
}

TEST(backward_float32_agrees_with_float64) {
    gru_layer_config cfg;
    gru_layer_config_init(&cfg, U, F);
    cfg.return_sequences = true;
    gru_layer *l32, *l64;
    CHECK_OK(gru_layer_create(&cfg, &l32));
    cfg.cell.dtype = GRU_F64;
    CHECK_OK(gru_layer_create(&cfg, &l64));
    double k[F * 3 * U], r[U * 3 * U], bias[3 * U], x[B * T * F], d[B * T * U];
    fill(k, F * 3 * U, 11, 0.5);
    fill(r, U * 3 * U, 12, 0.5);
    fill(bias, 3 * U, 13, 0.2);
    fill(x, B * T * F, 14, 1.0);
    fill(d, B * T * U, 15, 1.0);
    float xf[B * T * F], df[B * T * U], of[B * T * U], dxf[B * T * F], gkf[F * 3 * U], grf[U * 3 * U],
        gbf[3 * U];
    for (int i = 0; i < B * T * F; i++) xf[i] = (float)x[i], x[i] = xf[i];
    for (int i = 0; i < B * T * U; i++) df[i] = (float)d[i], d[i] = df[i];
    CHECK_OK(gru_cell_set_weights(gru_layer_cell(l32), GRU_F64, k, r, bias));
    CHECK_OK(gru_cell_set_weights(gru_layer_cell(l64), GRU_F64, k, r, bias));
    double o[B * T * U], dx[B * T * F], gk[F * 3 * U], gr[U * 3 * U], gb[3 * U];
    size_t n1, n2;
    CHECK_OK(gru_layer_tape_size(l64, B, T, &n1));
    CHECK_OK(gru_layer_backward_workspace_size(l64, B, T, &n2));
    void *tape = aligned_alloc(64, (n1 + 63) / 64 * 64), *bw = aligned_alloc(64, (n2 + 63) / 64 * 64);
    CHECK(tape && bw);
    gru_seq in64 = {B, T, x, NULL, NULL}, in32 = {B, T, xf, NULL, NULL};
    gru_cell_grads g64 = {gk, gr, gb}, g32 = {gkf, grf, gbf};
    CHECK_OK(gru_cell_grads_zero(gru_layer_cell(l64), &g64));
    CHECK_OK(gru_cell_grads_zero(gru_layer_cell(l32), &g32));
    CHECK_OK(gru_layer_forward_train(l64, GRU_F64, &in64, NULL, GRU_TRAINING_FALSE, o, tape, n1));
    CHECK_OK(gru_layer_backward(l64, GRU_F64, &in64, tape, d, NULL, dx, NULL, &g64, bw, n2));
    CHECK_OK(gru_layer_forward_train(l32, GRU_F32, &in32, NULL, GRU_TRAINING_FALSE, of, tape, n1));
    CHECK_OK(gru_layer_backward(l32, GRU_F32, &in32, tape, df, NULL, dxf, NULL, &g32, bw, n2));
    for (int i = 0; i < B * T * F; i++) CHECK_NEAR(dxf[i], dx[i], 1e-5 * fmax(1, fabs(dx[i])));
    for (int i = 0; i < U * 3 * U; i++) CHECK_NEAR(grf[i], gr[i], 1e-5 * fmax(1, fabs(gr[i])));
    free(tape), free(bw);
    gru_layer_free(l32);
    gru_layer_free(l64);
}

TEST(backward_rejects_bad_input) {
    gru_layer_config cfg;
    gru_layer_config_init(&cfg, U, F);
    gru_layer *l;
    CHECK_OK(gru_layer_create(&cfg, &l));
    size_t n1, n2;
    CHECK_OK(gru_layer_tape_size(l, B, T, &n1));
    CHECK_OK(gru_layer_backward_workspace_size(l, B, T, &n2));
    void *tape = aligned_alloc(64, (n1 + 63) / 64 * 64), *bw = aligned_alloc(64, (n2 + 63) / 64 * 64);
    CHECK(tape && bw);
    memset(tape, 0, n1);
    float x[B * T * F] = {0}, d[B * U] = {0}, o[B * U], gk[F * 3 * U], gr[U * 3 * U], gb[3 * U];
    gru_seq in = {B, T, x, NULL, NULL};
    gru_cell_grads g = {gk, gr, gb}, nob = {gk, gr, NULL};
    CHECK_REJECT(gru_layer_backward(l, GRU_F32, &in, tape, d, NULL, NULL, NULL, &g, bw, n2), GRU_E_STATE,
                 "no recorded forward");
    CHECK_REJECT(gru_layer_forward_train(l, GRU_F32, &in, NULL, GRU_TRAINING_TRUE, o, tape, n1 - 1),
                 GRU_E_SHAPE, "tape");
    CHECK_OK(gru_layer_forward_train(l, GRU_F32, &in, NULL, GRU_TRAINING_TRUE, o, tape, n1));
    CHECK_REJECT(gru_layer_backward(l, GRU_F32, &in, tape, d, NULL, NULL, NULL, &nob, bw, n2), GRU_E_NULL,
                 "grads->bias");
    CHECK_REJECT(gru_layer_backward(l, GRU_F32, &in, tape, d, NULL, NULL, NULL, &g, bw, n2 - 1), GRU_E_SHAPE,
                 "workspace");
    CHECK_REJECT(gru_layer_backward(l, GRU_F64, &in, tape, d, NULL, NULL, NULL, &g, bw, n2), GRU_E_DTYPE,
                 "dtype");
    CHECK_REJECT(gru_layer_backward(l, GRU_F32, &in, tape, NULL, NULL, NULL, NULL, &g, bw, n2), GRU_E_NULL,
                 "d_output");
    gru_seq other = {B, T - 1, x, NULL, NULL};
    CHECK_REJECT(gru_layer_backward(l, GRU_F32, &other, tape, d, NULL, NULL, NULL, &g, bw, n2), GRU_E_SHAPE,
                 "tape recorded");
    CHECK_REJECT(gru_layer_tape_size(l, 0, T, &n1), GRU_E_ARG, "batch");
    CHECK_REJECT(gru_cell_grads_zero(gru_layer_cell(l), NULL), GRU_E_NULL, "grads");
    CHECK_REJECT(gru_cell_backward(gru_layer_cell(l), GRU_F32, B, x, NULL, GRU_TRAINING_FALSE, d, NULL,
                                   NULL, &g), GRU_E_NULL, "'h'");
    free(tape), free(bw);
    gru_layer_free(l);
    /* a custom activation without a derivative cannot be trained */
    gru_layer_config_init(&cfg, U, F);
    cfg.cell.activation.kind = GRU_ACT_CUSTOM;
    cfg.cell.activation.fn = NULL;
}

void tests_backward(void);
void tests_backward(void) {
    TR_RUN(backward_layer_matches_finite_differences);
    TR_RUN(backward_cell_matches_the_layer_on_one_step);
    TR_RUN(backward_float32_agrees_with_float64);
    TR_RUN(backward_rejects_bad_input);
}
