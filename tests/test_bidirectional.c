/* Bidirectional(GRU): equal to the forward layer and the time-reversed
 * output of a separate go_backwards layer with the same weights, merged as
 * Keras merges (concat, sum, mul, ave, None); the float64 case also against
 * a hand-written GRU (tests/ref_gru.h). States, masks and lengths, custom
 * backward layers, time-major layout, stateful reset, rejections. */
#include <stdlib.h>

#include "ref_gru.h"
#include "runner.h"

enum { F = 3, U = 4, B = 4, T = 5 };

/* trailing gap, leading gap, interior gaps, fully masked */
static const uint8_t g_mask[B * T] = {1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0};

static gru_bidirectional *make_bi(const gru_bidirectional_config *c, const ref_w *wf,
                                  const ref_w *wb) {
    gru_bidirectional *bi = NULL;
    if (gru_bidirectional_create(c, &bi)) return NULL;
    if (ref_w_set(gru_bidirectional_layer(bi, 0), wf) ||
        ref_w_set(gru_bidirectional_layer(bi, 1), wb)) {
        gru_bidirectional_free(bi);
        return NULL;
    }
    return bi;
}

static gru_layer *make_layer(const gru_layer_config *c, const ref_w *w) {
    gru_layer *l = NULL;
    if (gru_layer_create(c, &l)) return NULL;
    if (ref_w_set(l, w)) {
        gru_layer_free(l);
        return NULL;
    }
    return l;
}

static gru_status run_layer(gru_layer *l, gru_dtype dt, const gru_seq *in, const gru_layer_io *io,
                            void *out) {
    size_t n;
    gru_status s = gru_layer_workspace_size(l, in->batch, in->steps, &n);
    if (s) return s;
    void *ws = ref_ws(n);
    if (!ws) return GRU_E_NOMEM;
    s = gru_layer_forward(l, dt, in, io, GRU_TRAINING_FALSE, out, ws, n);
    free(ws);
    return s;
}

static gru_status run_bi(gru_bidirectional *bi, gru_dtype dt, const gru_seq *in,
                         const gru_layer_io io[2], void *out, void *out_b) {
    size_t n;
    gru_status s = gru_bidirectional_workspace_size(bi, in->batch, in->steps, &n);
    if (s) return s;
    void *ws = ref_ws(n);
    if (!ws) return GRU_E_NOMEM;
    s = gru_bidirectional_forward(bi, dt, in, io, GRU_TRAINING_FALSE, out, out_b, ws, n);
    free(ws);
    return s;
}

/* Row (t, b) of a (B,T,W) batch-major array, or of (B,W) when !seq. */
static size_t row(int seq, int b, int t) { return seq ? (size_t)(b * T + t) : (size_t)b; }

static void fill_f(float *p, size_t n, unsigned seed) {
    gru_rng g;
    gru_rng_seed(&g, seed);
    for (size_t i = 0; i < n; i++) p[i] = (float)(2.0 * gru_rng_uniform(&g) - 1.0);
}

/* ---- float64 against the hand-written GRU ------------------------------------ */

TEST(bidirectional_concat_matches_hand_reference_f64) {
    ref_w wf, wb;
    CHECK(ref_w_make(&wf, F, U, 10) && ref_w_make(&wb, F, U, 20));
    double x[B * T * F], out[B * T * 2 * U], yf[B * T * U], yb[B * T * U], st[B * U];
    ref_fill(x, B * T * F, 3, 1.0);
    for (int k = 0; k < 4; k++) {
        const int seq = k & 1, masked = (k >> 1) & 1;
        gru_bidirectional_config c;
        CHECK_OK(gru_bidirectional_config_init(&c, U, F));
        c.layer.cell.dtype = GRU_F64;
        c.layer.return_sequences = seq;
        c.layer.zero_output_for_mask = !seq; /* overridden: = return_sequences */
        gru_bidirectional *bi = make_bi(&c, &wf, &wb);
        CHECK_MSG(bi, "create: %s", gru_last_error());
        CHECK(gru_bidirectional_output_width(bi) == 2 * U);
        gru_seq in = {B, T, x, masked ? g_mask : NULL, NULL};
        CHECK_OK(run_bi(bi, GRU_F64, &in, NULL, out, NULL));
        ref_layer(&wf, 0, seq, seq, B, T, x, in.mask, NULL, yf, st);
        ref_layer(&wb, 1, seq, seq, B, T, x, in.mask, NULL, yb, st);
        for (int b = 0; b < B; b++)
            for (int t = 0; t < (seq ? T : 1); t++)
                for (int j = 0; j < U; j++) {
                    const double *o = out + row(seq, b, t) * 2 * U;
                    CHECK_NEAR(o[j], yf[row(seq, b, t) * U + j], 1e-12);
                    CHECK_NEAR(o[U + j], yb[row(seq, b, seq ? T - 1 - t : 0) * U + j], 1e-12);
                }
        gru_bidirectional_free(bi);
    }
    ref_w_free(&wf);
    ref_w_free(&wb);
}

TEST(bidirectional_return_state_gives_both_states) {
    ref_w wf, wb;
    CHECK(ref_w_make(&wf, F, U, 30) && ref_w_make(&wb, F, U, 40));
    gru_bidirectional_config c;
    CHECK_OK(gru_bidirectional_config_init(&c, U, F));
    c.layer.cell.dtype = GRU_F64;
    c.layer.return_state = true;
    c.merge_mode = GRU_MERGE_SUM;
    gru_bidirectional *bi = make_bi(&c, &wf, &wb);
    CHECK_MSG(bi, "create: %s", gru_last_error());
    double x[B * T * F], h0f[B * U], h0b[B * U], out[B * U], sf[B * U], sb[B * U];
    double yf[B * U], yb[B * U], rf[B * U], rb[B * U];
    ref_fill(x, B * T * F, 5, 1.0);
    ref_fill(h0f, B * U, 6, 1.0);
    ref_fill(h0b, B * U, 7, 1.0);
    gru_seq in = {B, T, x, g_mask, NULL};
    gru_layer_io io[2] = {{h0f, NULL, NULL, sf}, {h0b, NULL, NULL, sb}};
    CHECK_OK(run_bi(bi, GRU_F64, &in, io, out, NULL));
    ref_layer(&wf, 0, 0, 0, B, T, x, g_mask, h0f, yf, rf);
    ref_layer(&wb, 1, 0, 0, B, T, x, g_mask, h0b, yb, rb);
    for (int i = 0; i < B * U; i++) {
        CHECK_NEAR(sf[i], rf[i], 1e-12);
        CHECK_NEAR(sb[i], rb[i], 1e-12);
        CHECK_NEAR(out[i], yf[i] + yb[i], 1e-12);
    }
    /* return_state needs both state_out pointers */
    io[1].state_out = NULL;
    CHECK_REJECT(run_bi(bi, GRU_F64, &in, io, out, NULL), GRU_E_NULL, "io[1].state_out");
    CHECK_REJECT(run_bi(bi, GRU_F64, &in, NULL, out, NULL), GRU_E_NULL, "io[0].state_out");
    gru_bidirectional_free(bi);
    ref_w_free(&wf);
    ref_w_free(&wb);
}

TEST(bidirectional_stateful_carries_both_states_and_resets) {
    ref_w wf, wb;
    CHECK(ref_w_make(&wf, F, U, 50) && ref_w_make(&wb, F, U, 60));
    gru_bidirectional_config c;
    CHECK_OK(gru_bidirectional_config_init(&c, U, F));
    c.layer.cell.dtype = GRU_F64;
    c.layer.stateful = true;
    c.layer.batch_size = B;
    c.layer.return_sequences = true;
    gru_bidirectional *bi = make_bi(&c, &wf, &wb);
    CHECK_MSG(bi, "create: %s", gru_last_error());
    double x1[B * T * F], x2[B * T * F], o1[B * T * 2 * U], o2[B * T * 2 * U], o3[B * T * 2 * U];
    double yf[B * T * U], yb[B * T * U], sf[B * U], sb[B * U];
    ref_fill(x1, B * T * F, 8, 1.0);
    ref_fill(x2, B * T * F, 9, 1.0);
    gru_seq in1 = {B, T, x1, NULL, NULL}, in2 = {B, T, x2, NULL, NULL};
    CHECK_OK(run_bi(bi, GRU_F64, &in1, NULL, o1, NULL));
    CHECK_OK(run_bi(bi, GRU_F64, &in2, NULL, o2, NULL));
    /* each direction continues from its own final state of the first call */
    ref_layer(&wf, 0, 1, 1, B, T, x1, NULL, NULL, yf, sf);
    ref_layer(&wb, 1, 1, 1, B, T, x1, NULL, NULL, yb, sb);
    ref_layer(&wf, 0, 1, 1, B, T, x2, NULL, sf, yf, sf);
    ref_layer(&wb, 1, 1, 1, B, T, x2, NULL, sb, yb, sb);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            for (int j = 0; j < U; j++) {
                CHECK_NEAR(o2[(b * T + t) * 2 * U + j], yf[(b * T + t) * U + j], 1e-12);
                CHECK_NEAR(o2[(b * T + t) * 2 * U + U + j], yb[(b * T + T - 1 - t) * U + j], 1e-12);
            }
    double st[B * U];
    CHECK_OK(gru_layer_get_states(gru_bidirectional_layer(bi, 1), GRU_F64, st));
    for (int i = 0; i < B * U; i++) CHECK_NEAR(st[i], sb[i], 1e-12);
    CHECK_OK(gru_bidirectional_reset_states(bi));
    CHECK_OK(run_bi(bi, GRU_F64, &in1, NULL, o3, NULL));
    CHECK(memcmp(o1, o3, sizeof o1) == 0);
    /* a stateful wrapper wants its batch size */
    gru_seq small = {B - 1, T, x1, NULL, NULL};
    CHECK_REJECT(run_bi(bi, GRU_F64, &small, NULL, o3, NULL), GRU_E_SHAPE, "batch");
    gru_bidirectional_free(bi);
    ref_w_free(&wf);
    ref_w_free(&wb);
}

/* ---- float32 against separately made layers (bitwise) ------------------------ */

/* Forward and backward outputs of standalone layers with the wrapper's
 * configuration (Keras forces zero_output_for_mask = return_sequences). */
static int standalone(const gru_layer_config *fc, const gru_layer_config *bc, const ref_w *wf,
                      const ref_w *wb, const gru_seq *in, const gru_layer_io io[2], float *yf,
                      float *yb) {
    gru_layer_config a = *fc, b = *bc;
    a.zero_output_for_mask = a.return_sequences;
    b.zero_output_for_mask = b.return_sequences;
    gru_layer *lf = make_layer(&a, wf), *lb = make_layer(&b, wb);
    int ok = lf && lb && !run_layer(lf, GRU_F32, in, io ? &io[0] : NULL, yf) &&
             !run_layer(lb, GRU_F32, in, io ? &io[1] : NULL, yb);
    gru_layer_free(lf);
    gru_layer_free(lb);
    return ok;
}

static gru_layer_config flipped(const gru_layer_config *c) {
    gru_layer_config b = *c;
    b.go_backwards = !c->go_backwards;
    return b;
}

TEST(bidirectional_concat_equals_forward_and_reversed_backward_layer) {
    ref_w wf, wb;
    CHECK(ref_w_make(&wf, F, U, 70) && ref_w_make(&wb, F, U, 80));
    float x[B * T * F], out[B * T * 2 * U], yf[B * T * U], yb[B * T * U];
    fill_f(x, B * T * F, 11);
    for (int seq = 0; seq < 2; seq++) {
        gru_bidirectional_config c;
        CHECK_OK(gru_bidirectional_config_init(&c, U, F));
        c.layer.return_sequences = seq;
        gru_bidirectional *bi = make_bi(&c, &wf, &wb);
        CHECK(bi);
        gru_seq in = {B, T, x, g_mask, NULL};
        CHECK_OK(run_bi(bi, GRU_F32, &in, NULL, out, NULL));
        gru_layer_config bc = flipped(&c.layer);
        CHECK(standalone(&c.layer, &bc, &wf, &wb, &in, NULL, yf, yb));
        for (int b = 0; b < B; b++)
            for (int t = 0; t < (seq ? T : 1); t++) {
                const float *o = out + row(seq, b, t) * 2 * U;
                CHECK(memcmp(o, yf + row(seq, b, t) * U, U * sizeof(float)) == 0);
                CHECK(memcmp(o + U, yb + row(seq, b, seq ? T - 1 - t : 0) * U,
                             U * sizeof(float)) == 0);
            }
        if (seq) /* masked steps output zeros in both directions */
            for (int j = 0; j < 2 * U; j++) CHECK(out[row(1, 0, 3) * 2 * U + j] == 0.0f);
        gru_bidirectional_free(bi);
    }
    ref_w_free(&wf);
    ref_w_free(&wb);
}

TEST(bidirectional_sum_mul_ave_merge_elementwise) {
    ref_w wf, wb;
    CHECK(ref_w_make(&wf, F, U, 90) && ref_w_make(&wb, F, U, 100));
    float x[B * T * F], out[B * T * U], yf[B * T * U], yb[B * T * U];
    fill_f(x, B * T * F, 12);
    const gru_merge_mode modes[3] = {GRU_MERGE_SUM, GRU_MERGE_MUL, GRU_MERGE_AVE};
    for (int k = 0; k < 6; k++) {
        const int seq = k & 1;
        const gru_merge_mode m = modes[k >> 1];
        gru_bidirectional_config c;
        CHECK_OK(gru_bidirectional_config_init(&c, U, F));
        c.layer.return_sequences = seq;
        c.merge_mode = m;
        gru_bidirectional *bi = make_bi(&c, &wf, &wb);
        CHECK(bi);
        CHECK(gru_bidirectional_output_width(bi) == U);
        gru_seq in = {B, T, x, g_mask, NULL};
        CHECK_OK(run_bi(bi, GRU_F32, &in, NULL, out, NULL));
        gru_layer_config bc = flipped(&c.layer);
        CHECK(standalone(&c.layer, &bc, &wf, &wb, &in, NULL, yf, yb));
        for (int b = 0; b < B; b++)
            for (int t = 0; t < (seq ? T : 1); t++)
                for (int j = 0; j < U; j++) {
                    const float f = yf[row(seq, b, t) * U + j];
                    const float g = yb[row(seq, b, seq ? T - 1 - t : 0) * U + j];
                    const float want = m == GRU_MERGE_SUM ? f + g : m == GRU_MERGE_MUL ? f * g
                                                                                       : (f + g) / 2.0f;
                    CHECK_MSG(out[row(seq, b, t) * U + j] == want, "mode %d seq %d b %d t %d j %d",
                              (int)m, seq, b, t, j);
                }
        gru_bidirectional_free(bi);
    }
    ref_w_free(&wf);
    ref_w_free(&wb);
}

TEST(bidirectional_merge_none_returns_both_outputs) {
    ref_w wf, wb;
    CHECK(ref_w_make(&wf, F, U, 110) && ref_w_make(&wb, F, 6, 120));
    float x[B * T * F], of[B * T * U], ob[B * T * 6], yf[B * T * U], yb[B * T * 6];
    fill_f(x, B * T * F, 13);
    for (int seq = 0; seq < 2; seq++) {
        gru_bidirectional_config c;
        CHECK_OK(gru_bidirectional_config_init(&c, U, F));
        c.layer.return_sequences = seq;
        c.merge_mode = GRU_MERGE_NONE;
        c.has_backward_layer = true; /* units may differ without a merge */
        c.backward_layer = flipped(&c.layer);
        c.backward_layer.cell.units = 6;
        gru_bidirectional *bi = make_bi(&c, &wf, &wb);
        CHECK_MSG(bi, "create: %s", gru_last_error());
        CHECK(gru_bidirectional_output_width(bi) == U);
        gru_seq in = {B, T, x, g_mask, NULL};
        CHECK_OK(run_bi(bi, GRU_F32, &in, NULL, of, ob));
        CHECK(standalone(&c.layer, &c.backward_layer, &wf, &wb, &in, NULL, yf, yb));
        CHECK(memcmp(of, yf, (size_t)(seq ? B * T : B) * U * sizeof(float)) == 0);
        for (int b = 0; b < B; b++)
            for (int t = 0; t < (seq ? T : 1); t++)
                CHECK(memcmp(ob + row(seq, b, t) * 6, yb + row(seq, b, seq ? T - 1 - t : 0) * 6,
                             6 * sizeof(float)) == 0);
        gru_bidirectional_free(bi);
    }
    ref_w_free(&wf);
    ref_w_free(&wb);
}

TEST(bidirectional_custom_backward_layer_concat_width) {
    enum { UB = 6 };
    ref_w wf, wb;
    CHECK(ref_w_make(&wf, F, U, 130) && ref_w_make(&wb, F, UB, 140));
    gru_bidirectional_config c;
    CHECK_OK(gru_bidirectional_config_init(&c, U, F));
    c.layer.return_sequences = true;
    c.has_backward_layer = true;
    CHECK_OK(gru_layer_config_init(&c.backward_layer, UB, F));
    c.backward_layer.go_backwards = true;
    c.backward_layer.return_sequences = true;
    c.backward_layer.cell.reset_after = true;
    CHECK_OK(gru_activation_from_name("relu", &c.backward_layer.cell.activation));
    gru_bidirectional *bi = make_bi(&c, &wf, &wb);
    CHECK_MSG(bi, "create: %s", gru_last_error());
    CHECK(gru_bidirectional_output_width(bi) == U + UB);
    gru_layer_config got;
    CHECK_OK(gru_layer_get_config(gru_bidirectional_layer(bi, 1), &got));
    CHECK(got.cell.units == UB && got.cell.reset_after && got.go_backwards);
    CHECK(got.cell.activation.kind == GRU_ACT_RELU && got.zero_output_for_mask);
    float x[B * T * F], out[B * T * (U + UB)], yf[B * T * U], yb[B * T * UB];
    fill_f(x, B * T * F, 14);
    gru_seq in = {B, T, x, g_mask, NULL};
    CHECK_OK(run_bi(bi, GRU_F32, &in, NULL, out, NULL));
    CHECK(standalone(&c.layer, &c.backward_layer, &wf, &wb, &in, NULL, yf, yb));
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            const float *o = out + (b * T + t) * (U + UB);
            CHECK(memcmp(o, yf + (b * T + t) * U, U * sizeof(float)) == 0);
            CHECK(memcmp(o + U, yb + (b * T + T - 1 - t) * UB, UB * sizeof(float)) == 0);
        }
    /* Keras: a forward layer that goes backwards and a backward layer that
     * does not is allowed; the second output is still reversed. */
    c.layer.go_backwards = true;
    c.backward_layer.go_backwards = false;
    gru_bidirectional *bi2 = make_bi(&c, &wf, &wb);
    CHECK_MSG(bi2, "create: %s", gru_last_error());
    CHECK_OK(run_bi(bi2, GRU_F32, &in, NULL, out, NULL));
    CHECK(standalone(&c.layer, &c.backward_layer, &wf, &wb, &in, NULL, yf, yb));
    for (int t = 0; t < T; t++)
        CHECK(memcmp(out + (2 * T + t) * (U + UB) + U, yb + (2 * T + T - 1 - t) * UB,
                     UB * sizeof(float)) == 0);
    gru_bidirectional_free(bi2);
    gru_bidirectional_free(bi);
    ref_w_free(&wf);
    ref_w_free(&wb);
}

TEST(bidirectional_passes_mask_and_lengths_to_both_layers) {
    ref_w wf, wb;
    CHECK(ref_w_make(&wf, F, U, 150) && ref_w_make(&wb, F, U, 160));
    gru_bidirectional_config c;
    CHECK_OK(gru_bidirectional_config_init(&c, U, F));
    c.layer.return_sequences = true;
    gru_bidirectional *bi = make_bi(&c, &wf, &wb);
    CHECK(bi);
    float x[B * T * F], o1[B * T * 2 * U], o2[B * T * 2 * U], o3[B * T * 2 * U];
    fill_f(x, B * T * F, 15);
    const int64_t len[B] = {3, 5, 0, 1};
    uint8_t m[B * T];
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) m[b * T + t] = (uint8_t)(t < len[b]);
    gru_seq a = {B, T, x, m, NULL}, l = {B, T, x, NULL, len}, none = {B, T, x, NULL, NULL};
    CHECK_OK(run_bi(bi, GRU_F32, &a, NULL, o1, NULL));
    CHECK_OK(run_bi(bi, GRU_F32, &l, NULL, o2, NULL));
    CHECK_OK(run_bi(bi, GRU_F32, &none, NULL, o3, NULL));
    CHECK(memcmp(o1, o2, sizeof o1) == 0);
    CHECK(memcmp(o1, o3, sizeof o1) != 0);
    /* sample 0, time 4 is padding: both halves are zero. The backward half
     * at time 0 is its last processed valid step, equal to the unmasked run
     * only where the padding is not crossed. */
    for (int j = 0; j < 2 * U; j++) CHECK(o1[(0 * T + 4) * 2 * U + j] == 0.0f);
    for (int j = 0; j < 2 * U; j++) CHECK(o1[(2 * T + 1) * 2 * U + j] == 0.0f);
    CHECK(memcmp(o1 + (1 * T) * 2 * U, o3 + (1 * T) * 2 * U, T * 2 * U * sizeof(float)) == 0);
    gru_bidirectional_free(bi);
    ref_w_free(&wf);
    ref_w_free(&wb);
}

TEST(bidirectional_time_major_layout) {
    ref_w wf, wb;
    CHECK(ref_w_make(&wf, F, U, 170) && ref_w_make(&wb, F, U, 180));
    float x[B * T * F], xt[T * B * F], ob[B * T * 2 * U], ot[T * B * 2 * U];
    uint8_t mt[T * B];
    fill_f(x, B * T * F, 16);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            memcpy(xt + (t * B + b) * F, x + (b * T + t) * F, F * sizeof(float));
            mt[t * B + b] = g_mask[b * T + t];
        }
    for (int k = 0; k < 2; k++) {
        gru_bidirectional_config c;
        CHECK_OK(gru_bidirectional_config_init(&c, U, F));
        c.layer.return_sequences = true;
        c.merge_mode = k ? GRU_MERGE_AVE : GRU_MERGE_CONCAT;
        const int W = k ? U : 2 * U;
        gru_bidirectional *bm = make_bi(&c, &wf, &wb);
        c.layer.time_major = true;
        gru_bidirectional *tm = make_bi(&c, &wf, &wb);
        CHECK(bm && tm);
        gru_seq ib = {B, T, x, g_mask, NULL}, it = {B, T, xt, mt, NULL};
        CHECK_OK(run_bi(bm, GRU_F32, &ib, NULL, ob, NULL));
        CHECK_OK(run_bi(tm, GRU_F32, &it, NULL, ot, NULL));
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++)
                CHECK_MSG(memcmp(ot + (t * B + b) * W, ob + (b * T + t) * W,
                                 (size_t)W * sizeof(float)) == 0, "k %d b %d t %d", k, b, t);
        gru_bidirectional_free(bm);
        gru_bidirectional_free(tm);
    }
    ref_w_free(&wf);
    ref_w_free(&wb);
}

/* ---- the default backward layer, allocation ----------------------------------- */

TEST(bidirectional_default_backward_layer_is_a_flipped_copy) {
    gru_bidirectional_config c;
    CHECK_OK(gru_bidirectional_config_init(&c, U, F));
    CHECK(c.merge_mode == GRU_MERGE_CONCAT && !c.has_backward_layer);
    c.layer.return_sequences = true;
    c.layer.cell.seed = 5;
    gru_bidirectional *bi;
    CHECK_OK(gru_bidirectional_create(&c, &bi));
    gru_layer_config f, b;
    CHECK_OK(gru_layer_get_config(gru_bidirectional_layer(bi, 0), &f));
    CHECK_OK(gru_layer_get_config(gru_bidirectional_layer(bi, 1), &b));
    CHECK(!f.go_backwards && b.go_backwards);
    CHECK(f.zero_output_for_mask && b.zero_output_for_mask);
    CHECK(b.cell.units == U && b.cell.input_dim == F && b.return_sequences);
    CHECK(gru_bidirectional_layer(bi, 2) == NULL);
    CHECK(gru_bidirectional_layer(bi, -1) == NULL);
    /* unseeded initializers: the copy draws its own weights, as in Keras */
    float kf[F * 3 * U], kb[F * 3 * U];
    float rf[U * 3 * U], rb[U * 3 * U], bf[3 * U], bb[3 * U];
    CHECK_OK(gru_cell_get_weights(gru_layer_cell(gru_bidirectional_layer(bi, 0)), GRU_F32, kf, rf, bf));
    CHECK_OK(gru_cell_get_weights(gru_layer_cell(gru_bidirectional_layer(bi, 1)), GRU_F32, kb, rb, bb));
    CHECK(memcmp(kf, kb, sizeof kf) != 0);
    gru_bidirectional_free(bi);
    /* seeded initializers: the same weights in both directions */
    c.layer.cell.kernel_initializer.has_seed = true;
    c.layer.cell.kernel_initializer.seed = 42;
    CHECK_OK(gru_bidirectional_create(&c, &bi));
    CHECK_OK(gru_cell_get_weights(gru_layer_cell(gru_bidirectional_layer(bi, 0)), GRU_F32, kf, rf, bf));
    CHECK_OK(gru_cell_get_weights(gru_layer_cell(gru_bidirectional_layer(bi, 1)), GRU_F32, kb, rb, bb));
    CHECK(memcmp(kf, kb, sizeof kf) == 0);
    gru_bidirectional_free(bi);
    gru_bidirectional_free(NULL); /* no-op */
}

typedef struct counting {
    int allocs, frees;
} counting;
static void *c_alloc(size_t n, void *user) {
    ((counting *)user)->allocs++;
    return aligned_alloc(64, (n + 63) / 64 * 64);
}
static void c_free(void *p, void *user) {
    ((counting *)user)->frees++;
    free(p);
}

TEST(bidirectional_create_uses_the_allocator_once) {
    counting cnt = {0, 0};
    gru_bidirectional_config c;
    CHECK_OK(gru_bidirectional_config_init(&c, U, F));
    c.layer.cell.allocator.alloc = c_alloc;
    c.layer.cell.allocator.free = c_free;
    c.layer.cell.allocator.user = &cnt;
    gru_bidirectional *bi;
    CHECK_OK(gru_bidirectional_create(&c, &bi));
    CHECK(cnt.allocs == 1 && cnt.frees == 0);
    /* the layers live inside the wrapper's block: freeing them is a no-op */
    gru_layer_free(gru_bidirectional_layer(bi, 0));
    CHECK(gru_layer_cell(gru_bidirectional_layer(bi, 0)) != NULL);
    gru_bidirectional_free(bi);
    CHECK(cnt.allocs == 1 && cnt.frees == 1);
}

/* ---- rejections ------------------------------------------------------------- */

static void base_cfg(gru_bidirectional_config *c) {
    gru_bidirectional_config_init(c, U, F);
    c->layer.return_sequences = true;
    c->has_backward_layer = true;
    c->backward_layer = c->layer;
    c->backward_layer.go_backwards = true;
}

TEST(bidirectional_rejects_same_go_backwards) {
    gru_bidirectional_config c;
    base_cfg(&c);
    c.backward_layer.go_backwards = false;
    gru_bidirectional *bi = (gru_bidirectional *)&c;
    CHECK_REJECT(gru_bidirectional_create(&c, &bi), GRU_E_ARG, "go_backwards");
    CHECK(bi == NULL);
}

TEST(bidirectional_rejects_mismatched_return_sequences) {
    gru_bidirectional_config c;
    base_cfg(&c);
    c.backward_layer.return_sequences = false;
    gru_bidirectional *bi;
    CHECK_REJECT(gru_bidirectional_create(&c, &bi), GRU_E_ARG, "return_sequences");
}

TEST(bidirectional_rejects_mismatched_stateful) {
    gru_bidirectional_config c;
    base_cfg(&c);
    c.backward_layer.stateful = true;
    c.backward_layer.batch_size = 2;
    gru_bidirectional *bi;
    CHECK_REJECT(gru_bidirectional_create(&c, &bi), GRU_E_ARG, "stateful");
}

TEST(bidirectional_rejects_mismatched_return_state) {
    gru_bidirectional_config c;
    base_cfg(&c);
    c.layer.return_state = true;
    gru_bidirectional *bi;
    CHECK_REJECT(gru_bidirectional_create(&c, &bi), GRU_E_ARG, "return_state");
}

TEST(bidirectional_rejects_mismatched_time_major) {
    gru_bidirectional_config c;
    base_cfg(&c);
    c.backward_layer.time_major = true;
    gru_bidirectional *bi;
    CHECK_REJECT(gru_bidirectional_create(&c, &bi), GRU_E_ARG, "time_major");
}

TEST(bidirectional_rejects_bad_merge_mode) {
    gru_bidirectional_config c;
    base_cfg(&c);
    c.merge_mode = (gru_merge_mode)7;
    gru_bidirectional *bi;
    CHECK_REJECT(gru_bidirectional_create(&c, &bi), GRU_E_ARG, "merge_mode");
    c.merge_mode = (gru_merge_mode)-1;
    CHECK_REJECT(gru_bidirectional_create(&c, &bi), GRU_E_ARG, "got -1");
}

TEST(bidirectional_rejects_unequal_units_for_sum) {
    gru_bidirectional_config c;
    base_cfg(&c);
    c.backward_layer.cell.units = U + 1;
    c.merge_mode = GRU_MERGE_MUL;
    gru_bidirectional *bi;
    CHECK_REJECT(gru_bidirectional_create(&c, &bi), GRU_E_SHAPE, "units");
    c.merge_mode = GRU_MERGE_CONCAT; /* fine for concat */
    CHECK_OK(gru_bidirectional_create(&c, &bi));
    CHECK(gru_bidirectional_output_width(bi) == 2 * U + 1);
    gru_bidirectional_free(bi);
}

TEST(bidirectional_rejects_input_dim_mismatch) {
    gru_bidirectional_config c;
    base_cfg(&c);
    c.backward_layer.cell.input_dim = F + 1;
    gru_bidirectional *bi;
    CHECK_REJECT(gru_bidirectional_create(&c, &bi), GRU_E_SHAPE, "input_dim");
}

TEST(bidirectional_rejects_dtype_mismatch) {
    gru_bidirectional_config c;
    base_cfg(&c);
    c.backward_layer.cell.dtype = GRU_F64;
    gru_bidirectional *bi;
    CHECK_REJECT(gru_bidirectional_create(&c, &bi), GRU_E_DTYPE, "dtype");
    c.backward_layer.cell.dtype = GRU_F32;
    CHECK_OK(gru_bidirectional_create(&c, &bi));
    double x[B * T * F] = {0}, out[B * T * 2 * U];
    gru_seq in = {B, T, x, NULL, NULL};
    CHECK_REJECT(run_bi(bi, GRU_F64, &in, NULL, out, NULL), GRU_E_DTYPE, "dtype");
    CHECK(strstr(gru_bidirectional_last_error(bi), "dtype") != NULL);
    gru_bidirectional_free(bi);
}

TEST(bidirectional_rejects_invalid_layer_config) {
    gru_bidirectional_config c;
    base_cfg(&c);
    c.backward_layer.cell.units = 0;
    gru_bidirectional *bi;
    CHECK_REJECT(gru_bidirectional_create(&c, &bi), GRU_E_ARG, "cfg.backward_layer");
    CHECK_STATUS(gru_bidirectional_config_init(&c, 0, F), GRU_E_ARG);
}

TEST(bidirectional_rejects_output_backward_with_concat) {
    gru_bidirectional_config c;
    base_cfg(&c);
    gru_bidirectional *bi;
    CHECK_OK(gru_bidirectional_create(&c, &bi));
    float x[B * T * F] = {0}, out[B * T * 2 * U], ob[B * T * U];
    gru_seq in = {B, T, x, NULL, NULL};
    CHECK_REJECT(run_bi(bi, GRU_F32, &in, NULL, out, ob), GRU_E_ARG, "output_backward");
    gru_bidirectional_free(bi);
}

TEST(bidirectional_rejects_missing_output_backward_with_none) {
    gru_bidirectional_config c;
    base_cfg(&c);
    c.merge_mode = GRU_MERGE_NONE;
    gru_bidirectional *bi;
    CHECK_OK(gru_bidirectional_create(&c, &bi));
    float x[B * T * F] = {0}, out[B * T * U];
    gru_seq in = {B, T, x, NULL, NULL};
    CHECK_REJECT(run_bi(bi, GRU_F32, &in, NULL, out, NULL), GRU_E_NULL, "output_backward");
    gru_bidirectional_free(bi);
}

TEST(bidirectional_rejects_null_arguments) {
    gru_bidirectional_config c;
    base_cfg(&c);
    gru_bidirectional *bi;
    CHECK_REJECT(gru_bidirectional_config_init(NULL, U, F), GRU_E_NULL, "cfg");
    CHECK_REJECT(gru_bidirectional_create(NULL, &bi), GRU_E_NULL, "cfg");
    CHECK_REJECT(gru_bidirectional_create(&c, NULL), GRU_E_NULL, "out");
    CHECK_OK(gru_bidirectional_create(&c, &bi));
    float x[B * T * F] = {0}, out[B * T * 2 * U];
    size_t n;
    CHECK_OK(gru_bidirectional_workspace_size(bi, B, T, &n));
    void *ws = ref_ws(n);
    CHECK(ws);
    gru_seq in = {B, T, x, NULL, NULL}, nox = {B, T, NULL, NULL, NULL};
    const gru_training tr = GRU_TRAINING_FALSE;
    CHECK_REJECT(gru_bidirectional_forward(NULL, GRU_F32, &in, NULL, tr, out, NULL, ws, n),
                 GRU_E_NULL, "'bi'");
    CHECK_REJECT(gru_bidirectional_forward(bi, GRU_F32, NULL, NULL, tr, out, NULL, ws, n),
                 GRU_E_NULL, "'in'");
    CHECK_REJECT(gru_bidirectional_forward(bi, GRU_F32, &nox, NULL, tr, out, NULL, ws, n),
                 GRU_E_NULL, "in->x");
    CHECK_REJECT(gru_bidirectional_forward(bi, GRU_F32, &in, NULL, tr, NULL, NULL, ws, n),
                 GRU_E_NULL, "'output'");
    CHECK_REJECT(gru_bidirectional_forward(bi, GRU_F32, &in, NULL, tr, out, NULL, NULL, n),
                 GRU_E_NULL, "'workspace'");
    CHECK_REJECT(gru_bidirectional_workspace_size(bi, B, T, NULL), GRU_E_NULL, "bytes");
    CHECK_REJECT(gru_bidirectional_workspace_size(NULL, B, T, &n), GRU_E_NULL, "'bi'");
    CHECK_REJECT(gru_bidirectional_workspace_size(bi, 0, T, &n), GRU_E_ARG, "batch");
    CHECK_REJECT(gru_bidirectional_reset_states(NULL), GRU_E_NULL, "'bi'");
    CHECK(gru_bidirectional_layer(NULL, 0) == NULL);
    CHECK(gru_bidirectional_output_width(NULL) == -1);
    CHECK(strcmp(gru_bidirectional_last_error(NULL), "") != 0);
    /* not a wrapper at all */
    uint64_t junk[64] = {0};
    CHECK_REJECT(gru_bidirectional_reset_states((gru_bidirectional *)junk), GRU_E_STATE,
                 "not an initialised");
    free(ws);
    gru_bidirectional_free(bi);
}

TEST(bidirectional_rejects_small_workspace) {
    gru_bidirectional_config c;
    base_cfg(&c);
    gru_bidirectional *bi;
    CHECK_OK(gru_bidirectional_create(&c, &bi));
    float x[B * T * F] = {0}, out[B * T * 2 * U];
    size_t n, nl;
    CHECK_OK(gru_bidirectional_workspace_size(bi, B, T, &n));
    CHECK_OK(gru_layer_workspace_size(gru_bidirectional_layer(bi, 0), B, T, &nl));
    CHECK(n > nl); /* the layers' region plus the two directional outputs */
    void *ws = ref_ws(n);
    CHECK(ws);
    gru_seq in = {B, T, x, NULL, NULL};
    CHECK_REJECT(gru_bidirectional_forward(bi, GRU_F32, &in, NULL, GRU_TRAINING_FALSE, out, NULL,
                                           ws, n - 1),
                 GRU_E_SHAPE, "workspace");
    CHECK_REJECT(gru_bidirectional_forward(bi, GRU_F32, &in, NULL, GRU_TRAINING_FALSE, out, NULL,
                                           (char *)ws + 8, n),
                 GRU_E_ARG, "aligned");
    CHECK_OK(gru_bidirectional_forward(bi, GRU_F32, &in, NULL, GRU_TRAINING_FALSE, out, NULL, ws, n));
    free(ws);
    gru_bidirectional_free(bi);
}

TEST(bidirectional_reset_states_requires_stateful) {
    gru_bidirectional_config c;
    base_cfg(&c);
    gru_bidirectional *bi;
    CHECK_OK(gru_bidirectional_create(&c, &bi));
    CHECK_REJECT(gru_bidirectional_reset_states(bi), GRU_E_STATE, "stateful");
    gru_bidirectional_free(bi);
}

void tests_bidirectional(void) {
    TR_RUN(bidirectional_concat_matches_hand_reference_f64);
    TR_RUN(bidirectional_return_state_gives_both_states);
    TR_RUN(bidirectional_stateful_carries_both_states_and_resets);
    TR_RUN(bidirectional_concat_equals_forward_and_reversed_backward_layer);
    TR_RUN(bidirectional_sum_mul_ave_merge_elementwise);
    TR_RUN(bidirectional_merge_none_returns_both_outputs);
    TR_RUN(bidirectional_custom_backward_layer_concat_width);
    TR_RUN(bidirectional_passes_mask_and_lengths_to_both_layers);
    TR_RUN(bidirectional_time_major_layout);
    TR_RUN(bidirectional_default_backward_layer_is_a_flipped_copy);
    TR_RUN(bidirectional_create_uses_the_allocator_once);
    TR_RUN(bidirectional_rejects_same_go_backwards);
    TR_RUN(bidirectional_rejects_mismatched_return_sequences);
    TR_RUN(bidirectional_rejects_mismatched_stateful);
    TR_RUN(bidirectional_rejects_mismatched_return_state);
    TR_RUN(bidirectional_rejects_mismatched_time_major);
    TR_RUN(bidirectional_rejects_bad_merge_mode);
    TR_RUN(bidirectional_rejects_unequal_units_for_sum);
    TR_RUN(bidirectional_rejects_input_dim_mismatch);
    TR_RUN(bidirectional_rejects_dtype_mismatch);
    TR_RUN(bidirectional_rejects_invalid_layer_config);
    TR_RUN(bidirectional_rejects_output_backward_with_concat);
    TR_RUN(bidirectional_rejects_missing_output_backward_with_none);
    TR_RUN(bidirectional_rejects_null_arguments);
    TR_RUN(bidirectional_rejects_small_workspace);
    TR_RUN(bidirectional_reset_states_requires_stateful);
}
