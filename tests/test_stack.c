/* Stacks: equal to running the entries by hand one after the other (layers
 * made separately with the same weights, and the hand-written GRU of
 * tests/ref_gru.h), with a Bidirectional entry, the mask reaching every
 * entry, the ping-pong buffers of three and more entries, rejections. */
#include <stdlib.h>

#include "ref_gru.h"
#include "runner.h"

enum { F = 3, B = 3, T = 6 };

static const uint8_t g_mask[B * T] = {1, 1, 1, 1, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1};

static gru_status run_stack(gru_stack *st, gru_dtype dt, const gru_seq *in, void *out) {
    size_t n;
    gru_status s = gru_stack_workspace_size(st, in->batch, in->steps, &n);
    if (s) return s;
    void *ws = ref_ws(n);
    if (!ws) return GRU_E_NOMEM;
    s = gru_stack_forward(st, dt, in, GRU_TRAINING_FALSE, out, ws, n);
    free(ws);
    return s;
}

static gru_status run_layer(gru_layer *l, gru_dtype dt, const gru_seq *in, void *out) {
    size_t n;
    gru_status s = gru_layer_workspace_size(l, in->batch, in->steps, &n);
    if (s) return s;
    void *ws = ref_ws(n);
    if (!ws) return GRU_E_NOMEM;
    s = gru_layer_forward(l, dt, in, NULL, GRU_TRAINING_FALSE, out, ws, n);
    free(ws);
    return s;
}

static gru_status run_bi(gru_bidirectional *bi, gru_dtype dt, const gru_seq *in, void *out) {
    size_t n;
    gru_status s = gru_bidirectional_workspace_size(bi, in->batch, in->steps, &n);
    if (s) return s;
    void *ws = ref_ws(n);
    if (!ws) return GRU_E_NOMEM;
    s = gru_bidirectional_forward(bi, dt, in, NULL, GRU_TRAINING_FALSE, out, NULL, ws, n);
    free(ws);
    return s;
}

static gru_stack_entry layer_entry(int64_t units, int64_t input_dim, int ret_seq, gru_dtype dt) {
    gru_stack_entry e;
    memset(&e, 0, sizeof e);
    gru_layer_config_init(&e.layer, units, input_dim);
    e.layer.return_sequences = ret_seq;
    e.layer.cell.dtype = dt;
    return e;
}

static gru_stack_entry bi_entry(int64_t units, int64_t input_dim, int ret_seq, gru_dtype dt,
                                gru_merge_mode m) {
    gru_stack_entry e;
    memset(&e, 0, sizeof e);
    e.bidirectional = true;
    gru_bidirectional_config_init(&e.bi, units, input_dim);
    e.bi.layer.return_sequences = ret_seq;
    e.bi.layer.cell.dtype = dt;
    e.bi.merge_mode = m;
    return e;
}

TEST(stack_two_layers_equal_running_them_by_hand) {
    ref_w w1, w2;
    CHECK(ref_w_make(&w1, F, 4, 10) && ref_w_make(&w2, 4, 5, 20));
    for (int k = 0; k < 4; k++) {
        const int seq2 = k & 1, masked = (k >> 1) & 1;
        gru_stack_entry e[2] = {layer_entry(4, F, 1, GRU_F32), layer_entry(5, 4, seq2, GRU_F32)};
        gru_stack *st;
        CHECK_OK(gru_stack_create(e, 2, &st));
        CHECK(gru_stack_count(st) == 2 && gru_stack_output_width(st) == 5);
        CHECK(gru_stack_bidirectional(st, 0) == NULL && gru_stack_layer(st, 2) == NULL);
        CHECK_OK(ref_w_set(gru_stack_layer(st, 0), &w1));
        CHECK_OK(ref_w_set(gru_stack_layer(st, 1), &w2));
        gru_layer *l1, *l2;
        CHECK_OK(gru_layer_create(&e[0].layer, &l1));
        CHECK_OK(gru_layer_create(&e[1].layer, &l2));
        CHECK_OK(ref_w_set(l1, &w1));
        CHECK_OK(ref_w_set(l2, &w2));
        float x[B * T * F], y1[B * T * 4], y2[B * T * 5], out[B * T * 5];
        for (int i = 0; i < B * T * F; i++) x[i] = (float)sin(0.31 * i + k);
        const uint8_t *m = masked ? g_mask : NULL;
        gru_seq in = {B, T, x, m, NULL}, in2 = {B, T, y1, m, NULL};
        CHECK_OK(run_stack(st, GRU_F32, &in, out));
        CHECK_OK(run_layer(l1, GRU_F32, &in, y1));
        CHECK_OK(run_layer(l2, GRU_F32, &in2, y2));
        CHECK_MSG(memcmp(out, y2, (size_t)(seq2 ? B * T : B) * 5 * sizeof(float)) == 0,
                  "seq2 %d masked %d", seq2, masked);
        gru_layer_free(l1);
        gru_layer_free(l2);
        gru_stack_free(st);
    }
    ref_w_free(&w1);
    ref_w_free(&w2);
}

TEST(stack_three_layers_match_hand_reference_f64) {
    /* three entries use both ping-pong buffers; time-major layout */
    ref_w w[3];
    CHECK(ref_w_make(&w[0], F, 4, 30) && ref_w_make(&w[1], 4, 2, 40) && ref_w_make(&w[2], 2, 3, 50));
    gru_stack_entry e[3] = {layer_entry(4, F, 1, GRU_F64), layer_entry(2, 4, 1, GRU_F64),
                            layer_entry(3, 2, 1, GRU_F64)};
    e[1].layer.go_backwards = true;
    for (int i = 0; i < 3; i++) e[i].layer.time_major = true;
    gru_stack *st;
    CHECK_OK(gru_stack_create(e, 3, &st));
    for (int i = 0; i < 3; i++) CHECK_OK(ref_w_set(gru_stack_layer(st, (size_t)i), &w[i]));
    double x[B * T * F], xt[T * B * F], out[T * B * 3], a[B * T * 4], b2[B * T * 2], c[B * T * 3];
    double s[B * 4];
    uint8_t mt[T * B];
    ref_fill(x, B * T * F, 7, 1.0);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            memcpy(xt + (t * B + b) * F, x + (b * T + t) * F, F * sizeof(double));
            mt[t * B + b] = g_mask[b * T + t];
        }
    gru_seq in = {B, T, xt, mt, NULL};
    CHECK_OK(run_stack(st, GRU_F64, &in, out));
    /* By hand, batch-major. The go_backwards entry returns its sequence in
     * processing order (reversed), and the next entry reads it as is; the
     * mask still indexes input time, as Keras passes it along unchanged. */
    ref_layer(&w[0], 0, 1, 0, B, T, x, g_mask, NULL, a, s);
    ref_layer(&w[1], 1, 1, 0, B, T, a, g_mask, NULL, b2, s);
    ref_layer(&w[2], 0, 1, 0, B, T, b2, g_mask, NULL, c, s);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            for (int j = 0; j < 3; j++)
                CHECK_NEAR(out[(t * B + b) * 3 + j], c[(b * T + t) * 3 + j], 1e-12);
    gru_stack_free(st);
    for (int i = 0; i < 3; i++) ref_w_free(&w[i]);
}

TEST(stack_with_a_bidirectional_entry) {
    ref_w wf, wb, w2;
    CHECK(ref_w_make(&wf, F, 3, 60) && ref_w_make(&wb, F, 3, 70) && ref_w_make(&w2, 6, 4, 80));
    gru_stack_entry e[2] = {bi_entry(3, F, 1, GRU_F32, GRU_MERGE_CONCAT),
                            layer_entry(4, 6, 0, GRU_F32)};
    gru_stack *st;
    CHECK_OK(gru_stack_create(e, 2, &st));
    CHECK(gru_stack_layer(st, 0) == NULL && gru_stack_bidirectional(st, 1) == NULL);
    gru_bidirectional *sbi = gru_stack_bidirectional(st, 0);
    CHECK(sbi && gru_bidirectional_output_width(sbi) == 6);
    CHECK_OK(ref_w_set(gru_bidirectional_layer(sbi, 0), &wf));
    CHECK_OK(ref_w_set(gru_bidirectional_layer(sbi, 1), &wb));
    CHECK_OK(ref_w_set(gru_stack_layer(st, 1), &w2));
    gru_bidirectional *bi;
    gru_layer *l2;
    CHECK_OK(gru_bidirectional_create(&e[0].bi, &bi));
    CHECK_OK(ref_w_set(gru_bidirectional_layer(bi, 0), &wf));
    CHECK_OK(ref_w_set(gru_bidirectional_layer(bi, 1), &wb));
    CHECK_OK(gru_layer_create(&e[1].layer, &l2));
    CHECK_OK(ref_w_set(l2, &w2));
    float x[B * T * F], y1[B * T * 6], y2[B * 4], out[B * 4];
    for (int i = 0; i < B * T * F; i++) x[i] = (float)cos(0.23 * i);
    gru_seq in = {B, T, x, g_mask, NULL}, in2 = {B, T, y1, g_mask, NULL};
    CHECK_OK(run_stack(st, GRU_F32, &in, out));
    CHECK_OK(run_bi(bi, GRU_F32, &in, y1));
    CHECK_OK(run_layer(l2, GRU_F32, &in2, y2));
    CHECK(memcmp(out, y2, sizeof out) == 0);
    /* lengths reach every entry as the equivalent mask does */
    const int64_t len[B] = {4, 6, 2};
    uint8_t m[B * T];
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) m[b * T + t] = (uint8_t)(t < len[b]);
    gru_seq il = {B, T, x, NULL, len}, im = {B, T, x, m, NULL};
    float ol[B * 4], om[B * 4];
    CHECK_OK(run_stack(st, GRU_F32, &il, ol));
    CHECK_OK(run_stack(st, GRU_F32, &im, om));
    CHECK(memcmp(ol, om, sizeof ol) == 0);
    gru_layer_free(l2);
    gru_bidirectional_free(bi);
    gru_stack_free(st);
    ref_w_free(&wf);
    ref_w_free(&wb);
    ref_w_free(&w2);
}

TEST(stack_bidirectional_last_and_single_entry) {
    ref_w w1, wf, wb;
    CHECK(ref_w_make(&w1, F, 2, 90) && ref_w_make(&wf, 2, 3, 100) && ref_w_make(&wb, 2, 3, 110));
    gru_stack_entry e[2] = {layer_entry(2, F, 1, GRU_F64),
                            bi_entry(3, 2, 1, GRU_F64, GRU_MERGE_AVE)};
    gru_stack *st;
    CHECK_OK(gru_stack_create(e, 2, &st));
    CHECK(gru_stack_output_width(st) == 3);
    CHECK_OK(ref_w_set(gru_stack_layer(st, 0), &w1));
    gru_bidirectional *sbi = gru_stack_bidirectional(st, 1);
    CHECK_OK(ref_w_set(gru_bidirectional_layer(sbi, 0), &wf));
    CHECK_OK(ref_w_set(gru_bidirectional_layer(sbi, 1), &wb));
    double x[B * T * F], out[B * T * 3], a[B * T * 2], yf[B * T * 3], yb[B * T * 3], s[B * 3];
    ref_fill(x, B * T * F, 9, 1.0);
    gru_seq in = {B, T, x, g_mask, NULL};
    CHECK_OK(run_stack(st, GRU_F64, &in, out));
    ref_layer(&w1, 0, 1, 0, B, T, x, g_mask, NULL, a, s);
    ref_layer(&wf, 0, 1, 1, B, T, a, g_mask, NULL, yf, s);
    ref_layer(&wb, 1, 1, 1, B, T, a, g_mask, NULL, yb, s);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            for (int j = 0; j < 3; j++)
                CHECK_NEAR(out[(b * T + t) * 3 + j],
                           (yf[(b * T + t) * 3 + j] + yb[(b * T + T - 1 - t) * 3 + j]) / 2, 1e-12);
    gru_stack_free(st);
    /* one entry: the stack is that layer */
    CHECK_OK(gru_stack_create(e, 1, &st));
    CHECK_OK(ref_w_set(gru_stack_layer(st, 0), &w1));
    CHECK_OK(run_stack(st, GRU_F64, &in, out));
    for (int i = 0; i < B * T * 2; i++) CHECK_NEAR(out[i], a[i], 1e-12);
    gru_stack_free(st);
    gru_stack_free(NULL); /* no-op */
    ref_w_free(&w1);
    ref_w_free(&wf);
    ref_w_free(&wb);
}

TEST(stack_stateful_entries_carry_state) {
    ref_w w1, w2;
    CHECK(ref_w_make(&w1, F, 4, 120) && ref_w_make(&w2, 4, 2, 130));
    gru_stack_entry e[2] = {layer_entry(4, F, 1, GRU_F64), layer_entry(2, 4, 0, GRU_F64)};
    for (int i = 0; i < 2; i++) {
        e[i].layer.stateful = true;
        e[i].layer.batch_size = B;
    }
    gru_stack *st;
    CHECK_OK(gru_stack_create(e, 2, &st));
    CHECK_OK(ref_w_set(gru_stack_layer(st, 0), &w1));
    CHECK_OK(ref_w_set(gru_stack_layer(st, 1), &w2));
    double x1[B * T * F], x2[B * T * F], out[B * 2], a[B * T * 4], c[B * 2], s1[B * 4], s2[B * 2];
    ref_fill(x1, B * T * F, 11, 1.0);
    ref_fill(x2, B * T * F, 12, 1.0);
    gru_seq in1 = {B, T, x1, NULL, NULL}, in2 = {B, T, x2, NULL, NULL};
    CHECK_OK(run_stack(st, GRU_F64, &in1, out));
    CHECK_OK(run_stack(st, GRU_F64, &in2, out));
    ref_layer(&w1, 0, 1, 0, B, T, x1, NULL, NULL, a, s1);
    ref_layer(&w2, 0, 0, 0, B, T, a, NULL, NULL, c, s2);
    ref_layer(&w1, 0, 1, 0, B, T, x2, NULL, s1, a, s1);
    ref_layer(&w2, 0, 0, 0, B, T, a, NULL, s2, c, s2);
    for (int i = 0; i < B * 2; i++) CHECK_NEAR(out[i], c[i], 1e-12);
    /* the batch is checked for every entry before any runs */
    gru_seq small = {B - 1, T, x1, NULL, NULL};
    CHECK_REJECT(run_stack(st, GRU_F64, &small, out), GRU_E_SHAPE, "entries[0]");
    gru_stack_free(st);
    ref_w_free(&w1);
    ref_w_free(&w2);
}

/* ---- rejections ------------------------------------------------------------- */

TEST(stack_rejects_missing_return_sequences) {
    gru_stack_entry e[3] = {layer_entry(4, F, 1, GRU_F32), layer_entry(4, 4, 0, GRU_F32),
                            layer_entry(2, 4, 0, GRU_F32)};
    gru_stack *st = (gru_stack *)e;
    CHECK_REJECT(gru_stack_create(e, 3, &st), GRU_E_ARG, "entries[1].layer.return_sequences");
    CHECK(st == NULL);
    gru_stack_entry f[2] = {bi_entry(4, F, 0, GRU_F32, GRU_MERGE_SUM), layer_entry(4, 4, 0, GRU_F32)};
    CHECK_REJECT(gru_stack_create(f, 2, &st), GRU_E_ARG, "entries[0].bi.layer.return_sequences");
}

TEST(stack_rejects_width_mismatch) {
    gru_stack_entry e[2] = {layer_entry(4, F, 1, GRU_F32), layer_entry(2, 5, 0, GRU_F32)};
    gru_stack *st;
    CHECK_REJECT(gru_stack_create(e, 2, &st), GRU_E_SHAPE, "entries[1].layer.cell.input_dim");
    /* a concat wrapper is 2U wide */
    gru_stack_entry f[2] = {bi_entry(4, F, 1, GRU_F32, GRU_MERGE_CONCAT),
                            layer_entry(2, 4, 0, GRU_F32)};
    CHECK_REJECT(gru_stack_create(f, 2, &st), GRU_E_SHAPE, "expected 8, got 4");
    f[1].layer.cell.input_dim = 8;
    CHECK_OK(gru_stack_create(f, 2, &st));
    gru_stack_free(st);
}

TEST(stack_rejects_dtype_mismatch) {
    gru_stack_entry e[2] = {layer_entry(4, F, 1, GRU_F32), layer_entry(2, 4, 0, GRU_F64)};
    gru_stack *st;
    CHECK_REJECT(gru_stack_create(e, 2, &st), GRU_E_DTYPE, "entries[1].layer.cell.dtype");
    e[1].layer.cell.dtype = GRU_F32;
    CHECK_OK(gru_stack_create(e, 2, &st));
    double x[B * T * F] = {0}, out[B * 2];
    gru_seq in = {B, T, x, NULL, NULL};
    CHECK_REJECT(run_stack(st, GRU_F64, &in, out), GRU_E_DTYPE, "dtype");
    CHECK(strstr(gru_stack_last_error(st), "dtype") != NULL);
    gru_stack_free(st);
}

TEST(stack_rejects_time_major_mismatch) {
    gru_stack_entry e[2] = {layer_entry(4, F, 1, GRU_F32), layer_entry(2, 4, 0, GRU_F32)};
    e[1].layer.time_major = true;
    gru_stack *st;
    CHECK_REJECT(gru_stack_create(e, 2, &st), GRU_E_ARG, "time_major");
}

TEST(stack_rejects_merge_none_and_return_state) {
    gru_stack_entry e[2] = {bi_entry(4, F, 1, GRU_F32, GRU_MERGE_NONE), layer_entry(2, 4, 0, GRU_F32)};
    gru_stack *st;
    CHECK_REJECT(gru_stack_create(e, 2, &st), GRU_E_ARG, "GRU_MERGE_NONE");
    e[0].bi.merge_mode = GRU_MERGE_SUM;
    e[1].layer.return_state = true;
    CHECK_REJECT(gru_stack_create(e, 2, &st), GRU_E_ARG, "entries[1].layer.return_state");
}

TEST(stack_rejects_invalid_entry_config) {
    gru_stack_entry e[2] = {layer_entry(4, F, 1, GRU_F32), bi_entry(2, 4, 0, GRU_F32, GRU_MERGE_CONCAT)};
    e[1].bi.backward_layer.cell.units = 3;
    e[1].bi.has_backward_layer = true; /* backward template has return_sequences false: fine */
    e[1].bi.backward_layer.go_backwards = false; /* same as forward: rejected */
    gru_stack *st;
    CHECK_REJECT(gru_stack_create(e, 2, &st), GRU_E_ARG, "entries[1]");
    CHECK(strstr(gru_last_error(), "go_backwards") != NULL);
}

TEST(stack_rejects_zero_entries_and_null) {
    gru_stack_entry e[1] = {layer_entry(4, F, 0, GRU_F32)};
    gru_stack *st;
    CHECK_REJECT(gru_stack_create(e, 0, &st), GRU_E_ARG, "'n'");
    CHECK_REJECT(gru_stack_create(NULL, 1, &st), GRU_E_NULL, "'entries'");
    CHECK_REJECT(gru_stack_create(e, 1, NULL), GRU_E_NULL, "'out'");
    CHECK(gru_stack_count(NULL) == 0 && gru_stack_output_width(NULL) == -1);
    CHECK(gru_stack_layer(NULL, 0) == NULL && gru_stack_bidirectional(NULL, 0) == NULL);
    CHECK(strcmp(gru_stack_last_error(NULL), "") != 0);
    CHECK_OK(gru_stack_create(e, 1, &st));
    float x[B * T * F] = {0}, out[B * 4];
    size_t n;
    CHECK_OK(gru_stack_workspace_size(st, B, T, &n));
    void *ws = ref_ws(n);
    CHECK(ws);
    gru_seq in = {B, T, x, NULL, NULL}, nox = {B, T, NULL, NULL, NULL};
    const gru_training tr = GRU_TRAINING_FALSE;
    CHECK_REJECT(gru_stack_forward(NULL, GRU_F32, &in, tr, out, ws, n), GRU_E_NULL, "'stack'");
    CHECK_REJECT(gru_stack_forward(st, GRU_F32, NULL, tr, out, ws, n), GRU_E_NULL, "'in'");
    CHECK_REJECT(gru_stack_forward(st, GRU_F32, &nox, tr, out, ws, n), GRU_E_NULL, "in->x");
    CHECK_REJECT(gru_stack_forward(st, GRU_F32, &in, tr, NULL, ws, n), GRU_E_NULL, "'output'");
    CHECK_REJECT(gru_stack_forward(st, GRU_F32, &in, tr, out, NULL, n), GRU_E_NULL, "'workspace'");
    CHECK_REJECT(gru_stack_forward(st, GRU_F32, &in, tr, out, ws, n - 1), GRU_E_SHAPE, "workspace");
    CHECK_REJECT(gru_stack_workspace_size(st, B, T, NULL), GRU_E_NULL, "'bytes'");
    CHECK_REJECT(gru_stack_workspace_size(st, B, 0, &n), GRU_E_ARG, "steps");
    CHECK(gru_stack_layer(st, 1) == NULL);
    CHECK(strstr(gru_stack_last_error(st), "'i'") != NULL);
    /* an entry's own failure is reported with its index */
    in.steps = 0;
    CHECK_REJECT(gru_stack_forward(st, GRU_F32, &in, tr, out, ws, n), GRU_E_SHAPE, "steps");
    const int64_t bad[B] = {1, 9, 1};
    gru_seq il = {B, T, x, NULL, bad};
    CHECK_OK(gru_stack_workspace_size(st, B, T, &n));
    CHECK_REJECT(gru_stack_forward(st, GRU_F32, &il, tr, out, ws, n), GRU_E_ARG, "entries[0]");
    free(ws);
    gru_stack_free(st);
}

void tests_stack(void) {
    TR_RUN(stack_two_layers_equal_running_them_by_hand);
    TR_RUN(stack_three_layers_match_hand_reference_f64);
    TR_RUN(stack_with_a_bidirectional_entry);
    TR_RUN(stack_bidirectional_last_and_single_entry);
    TR_RUN(stack_stateful_entries_carry_state);
    TR_RUN(stack_rejects_missing_return_sequences);
    TR_RUN(stack_rejects_width_mismatch);
    TR_RUN(stack_rejects_dtype_mismatch);
    TR_RUN(stack_rejects_time_major_mismatch);
    TR_RUN(stack_rejects_merge_none_and_return_state);
    TR_RUN(stack_rejects_invalid_entry_config);
    TR_RUN(stack_rejects_zero_entries_and_null);
}
