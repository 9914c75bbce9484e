/* The layer: equal to the cell run step by step with Keras' masking rule
 * (written out here independently of src/layer_impl.h), batch-split
 * invariance, stateful chunks, time-major layout, lengths, rejections. */
#include <stdlib.h>

#include "runner.h"

enum { F = 3, U = 4 };

static void fill(double *p, size_t n, unsigned seed) {
    gru_rng r;
    gru_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) p[i] = 2.0 * gru_rng_uniform(&r) - 1.0;
}

static gru_layer *make_layer(const gru_layer_config *base, unsigned seed) {
    gru_layer *l = NULL;
    if (gru_layer_create(base, &l)) return NULL;
    double k[F * 3 * U], r[U * 3 * U], b[6 * U];
    fill(k, F * 3 * U, seed);
    fill(r, U * 3 * U, seed + 1);
    fill(b, 6 * U, seed + 2);
    if (gru_cell_set_weights(gru_layer_cell(l), GRU_F64, k, r, base->cell.use_bias ? b : NULL)) {
        gru_layer_free(l);
        return NULL;
    }
    return l;
}

static void *ws_for(gru_layer *l, int64_t B, int64_t T, size_t *n) {
    if (gru_layer_workspace_size(l, B, T, n)) return NULL;
    return aligned_alloc(64, (*n + 63) / 64 * 64);
}

/* Reference: Keras' backend.rnn loop over gru_cell_call, batch-major f64. */
static int reference(gru_layer *l, const gru_layer_config *c, int64_t B, int64_t T, const double *x,
                     const uint8_t *mask, const double *h0, double *out, double *state) {
    gru_cell *cell = gru_layer_cell(l);
    double *prev = calloc((size_t)(B * U), sizeof(double)), *cand = malloc(sizeof(double) * U);
    double xt[F];
    if (!prev || !cand) return 0;
    for (int64_t i = 0; i < B * U; i++) state[i] = h0 ? h0[i] : 0.0;
    for (int64_t p = 0; p < T; p++) {
        int64_t t = c->go_backwards ? T - 1 - p : p;
        for (int64_t b = 0; b < B; b++) {
            memcpy(xt, x + (b * T + t) * F, sizeof xt);
            if (gru_cell_call(cell, GRU_F64, 1, xt, state + b * U, GRU_TRAINING_FALSE, cand)) return 0;
            int valid = !mask || mask[b * T + t];
            double *o = c->return_sequences ? out + (b * T + p) * U : out + b * U;
            for (int j = 0; j < U; j++) {
                if (valid) state[b * U + j] = cand[j];
                double v = valid ? cand[j] : (c->zero_output_for_mask ? 0.0 : prev[b * U + j]);
                prev[b * U + j] = v;
                o[j] = v;
            }
        }
    }
    free(prev);
    free(cand);
    return 1;
}

static void run_case(tr_ctx *t_, int go_back, int ret_seq, int zero_out, int with_mask, int with_h0) {
    enum { B = 4, T = 6 };
    gru_layer_config c;
    gru_layer_config_init(&c, U, F);
    c.cell.dtype = GRU_F64;
    c.cell.reset_after = go_back;
    c.go_backwards = go_back;
    c.return_sequences = ret_seq;
    c.return_state = true;
    c.zero_output_for_mask = zero_out;
    gru_layer *l = make_layer(&c, 7);
    CHECK_MSG(l != NULL, "create: %s", gru_last_error());
    double x[B * T * F], h0[B * U], out[B * T * U], ref[B * T * U], st[B * U], rst[B * U];
    fill(x, B * T * F, 3);
    fill(h0, B * U, 4);
    /* leading gap, trailing gap, interior gap, fully masked */
    const uint8_t mask[B * T] = {0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0,
                                 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0};
    gru_seq in = {B, T, x, with_mask ? mask : NULL, NULL};
    gru_layer_io io = {with_h0 ? h0 : NULL, NULL, NULL, st};
    size_t n;
    void *ws = ws_for(l, B, T, &n);
    CHECK(ws);
    CHECK_OK(gru_layer_forward(l, GRU_F64, &in, &io, GRU_TRAINING_FALSE, out, ws, n));
    CHECK(reference(l, &c, B, T, x, with_mask ? mask : NULL, with_h0 ? h0 : NULL, ref, rst));
    const size_t nout = ret_seq ? B * T * U : B * U;
    for (size_t i = 0; i < nout; i++)
        CHECK_MSG(out[i] == ref[i], "output %zu: %.17g vs %.17g", i, out[i], ref[i]);
    for (size_t i = 0; i < B * U; i++) CHECK(st[i] == rst[i]);
    free(ws);
    gru_layer_free(l);
}

TEST(layer_equals_the_cell_loop_with_keras_masking) {
    for (int k = 0; k < 32; k++)
    {
        run_case(t_, k & 1, (k >> 1) & 1, (k >> 2) & 1, (k >> 3) & 1, (k >> 4) & 1);
        if (t_->failed) return;
    }
}

TEST(layer_batch_split_invariance_is_bitwise) {
    enum { B = 5, T = 7 };
    gru_layer_config c;
    gru_layer_config_init(&c, U, F);
    c.return_sequences = true;
    c.cell.dropout = 0.3;
    c.cell.recurrent_dropout = 0.2;
    gru_layer *l = make_layer(&c, 11);
    CHECK(l);
    float x[B * T * F], out[B * T * U], one[T * U], dm[3 * B * F], rm[3 * B * U];
    float dm1[3 * F], rm1[3 * U];
    for (int i = 0; i < B * T * F; i++) x[i] = (float)sin(0.37 * i);
    for (int i = 0; i < 3 * B * F; i++) dm[i] = (i % 3) ? 1.0f / 0.7f : 0.0f;
    for (int i = 0; i < 3 * B * U; i++) rm[i] = (i % 4) ? 1.0f / 0.8f : 0.0f;
    uint8_t mask[B * T];
    for (int i = 0; i < B * T; i++) mask[i] = (uint8_t)((i * 7) % 5 != 0);
    gru_seq in = {B, T, x, mask, NULL};
    gru_layer_io io = {NULL, dm, rm, NULL};
    size_t n;
    void *ws = ws_for(l, B, T, &n);
    CHECK(ws);
    CHECK_OK(gru_layer_forward(l, GRU_F32, &in, &io, GRU_TRAINING_TRUE, out, ws, n));
    for (int b = 0; b < B; b++) {
        for (int g = 0; g < 3; g++) {
            memcpy(dm1 + g * F, dm + (g * B + b) * F, F * sizeof(float));
            memcpy(rm1 + g * U, rm + (g * B + b) * U, U * sizeof(float));
        }
        gru_seq one_in = {1, T, x + b * T * F, mask + b * T, NULL};
        gru_layer_io one_io = {NULL, dm1, rm1, NULL};
        CHECK_OK(gru_layer_forward(l, GRU_F32, &one_in, &one_io, GRU_TRAINING_TRUE, one, ws, n));
        CHECK_MSG(memcmp(one, out + b * T * U, sizeof one) == 0, "sample %d differs", b);
    }
    free(ws);
    gru_layer_free(l);
}

TEST(layer_stateful_chunks_equal_one_long_call) {
    enum { B = 2, T = 9 };
    gru_layer_config c;
    gru_layer_config_init(&c, U, F);
    c.cell.dtype = GRU_F64;
    c.return_sequences = true;
    c.stateful = true;
    c.batch_size = B;
    gru_layer *a = make_layer(&c, 21), *b = make_layer(&c, 21);
    CHECK(a && b);
    double x[B * T * F], whole[B * T * U], part[B * 4 * U], xc[B * 4 * F];
    fill(x, B * T * F, 5);
    size_t n;
    void *ws = ws_for(a, B, T, &n);
    CHECK(ws);
    gru_seq in = {B, T, x, NULL, NULL};
    CHECK_OK(gru_layer_forward(a, GRU_F64, &in, NULL, GRU_TRAINING_FALSE, whole, ws, n));
    const int len[3] = {4, 2, 3};
    for (int k = 0, t0 = 0; k < 3; t0 += len[k], k++) {
        for (int s = 0; s < B; s++)
            memcpy(xc + s * len[k] * F, x + (s * T + t0) * F, sizeof(double) * (size_t)(len[k] * F));
        gru_seq cin = {B, len[k], xc, NULL, NULL};
        CHECK_OK(gru_layer_forward(b, GRU_F64, &cin, NULL, GRU_TRAINING_FALSE, part, ws, n));
        for (int s = 0; s < B; s++)
            CHECK(memcmp(part + s * len[k] * U, whole + (s * T + t0) * U,
                         sizeof(double) * (size_t)(len[k] * U)) == 0);
    }
    /* states agree; reset gives zeros; another batch size is rejected */
    double sa[B * U], sb[B * U];
    CHECK_OK(gru_layer_get_states(a, GRU_F64, sa));
    CHECK_OK(gru_layer_get_states(b, GRU_F64, sb));
    CHECK(memcmp(sa, sb, sizeof sa) == 0);
    CHECK_OK(gru_layer_reset_states(b, GRU_F64, NULL));
    CHECK_OK(gru_layer_get_states(b, GRU_F64, sb));
    for (int i = 0; i < B * U; i++) CHECK(sb[i] == 0.0);
    gru_seq bad = {1, T, x, NULL, NULL};
    CHECK_REJECT(gru_layer_forward(b, GRU_F64, &bad, NULL, GRU_TRAINING_FALSE, whole, ws, n),
                 GRU_E_SHAPE, "batch");
    free(ws);
    gru_layer_free(a);
    gru_layer_free(b);
}

TEST(layer_stateful_initial_state_rule) {
    /* Keras: a stateful layer given an initial_state uses its stored state
     * when that is non-zero anywhere, else the given one. */
    enum { B = 1, T = 2 };
    gru_layer_config c;
    gru_layer_config_init(&c, U, F);
    c.cell.dtype = GRU_F64;
    c.stateful = true;
    c.batch_size = B;
    c.return_state = true;
    gru_layer *l = make_layer(&c, 31), *ref = NULL;
    gru_layer_config rc = c;
    rc.stateful = false;
    rc.batch_size = 0;
    ref = make_layer(&rc, 31);
    CHECK(l && ref);
    double x[T * F], h0[U], o1[U], o2[U], s1[U], s2[U];
    fill(x, T * F, 8);
    fill(h0, U, 9);
    size_t n;
    void *ws = ws_for(l, B, T, &n);
    CHECK(ws);
    gru_seq in = {B, T, x, NULL, NULL};
    gru_layer_io io = {h0, NULL, NULL, s1};
    CHECK_OK(gru_layer_forward(l, GRU_F64, &in, &io, GRU_TRAINING_FALSE, o1, ws, n)); /* stored 0: h0 */
    gru_layer_io rio = {h0, NULL, NULL, s2};
    CHECK_OK(gru_layer_forward(ref, GRU_F64, &in, &rio, GRU_TRAINING_FALSE, o2, ws, n));
    CHECK(memcmp(o1, o2, sizeof o1) == 0);
    io.state_out = s2;
    CHECK_OK(gru_layer_forward(l, GRU_F64, &in, &io, GRU_TRAINING_FALSE, o1, ws, n)); /* stored != 0 */
    rio.initial_state = s1;
    rio.state_out = s1;
    CHECK_OK(gru_layer_forward(ref, GRU_F64, &in, &rio, GRU_TRAINING_FALSE, o2, ws, n));
    CHECK(memcmp(o1, o2, sizeof o1) == 0);
    free(ws);
    gru_layer_free(l);
    gru_layer_free(ref);
}

TEST(layer_time_major_and_lengths) {
    enum { B = 3, T = 5 };
    gru_layer_config c;
    gru_layer_config_init(&c, U, F);
    c.cell.dtype = GRU_F64;
    c.return_sequences = true;
    c.go_backwards = true;
    gru_layer *l = make_layer(&c, 41);
    c.time_major = true;
    gru_layer *tm = make_layer(&c, 41);
    CHECK(l && tm);
    double x[B * T * F], xt[T * B * F], o[B * T * U], ot[T * B * U], ol[B * T * U];
    fill(x, B * T * F, 12);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) memcpy(xt + (t * B + b) * F, x + (b * T + t) * F, sizeof(double) * F);
    const int64_t lengths[B] = {5, 2, 0};
    uint8_t mask[B * T], maskt[T * B];
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) mask[b * T + t] = maskt[t * B + b] = (uint8_t)(t < lengths[b]);
    size_t n;
    void *ws = ws_for(l, B, T, &n);
    CHECK(ws);
    gru_seq in = {B, T, x, mask, NULL}, int_ = {T, T, xt, maskt, NULL}, inl = {B, T, x, NULL, lengths};
    int_.batch = B;
    CHECK_OK(gru_layer_forward(l, GRU_F64, &in, NULL, GRU_TRAINING_FALSE, o, ws, n));
    CHECK_OK(gru_layer_forward(tm, GRU_F64, &int_, NULL, GRU_TRAINING_FALSE, ot, ws, n));
    CHECK_OK(gru_layer_forward(l, GRU_F64, &inl, NULL, GRU_TRAINING_FALSE, ol, ws, n));
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            CHECK(memcmp(o + (b * T + t) * U, ot + (t * B + b) * U, sizeof(double) * U) == 0);
    CHECK(memcmp(o, ol, sizeof o) == 0);
    free(ws);
    gru_layer_free(l);
    gru_layer_free(tm);
}

TEST(layer_rejects_bad_input) {
    gru_layer_config c;
    gru_layer_config_init(&c, U, F);
    gru_layer *l;
    CHECK_REJECT(gru_layer_config_init(NULL, U, F), GRU_E_NULL, "cfg");
    CHECK_REJECT(gru_layer_config_init(&c, 0, F), GRU_E_ARG, "units");
    gru_layer_config_init(&c, U, F);
    c.stateful = true;
    CHECK_REJECT(gru_layer_create(&c, &l), GRU_E_ARG, "batch_size");
    gru_layer_config_init(&c, U, F);
    CHECK_OK(gru_layer_create(&c, &l));
    float x[2 * 3 * F] = {0}, out[2 * 3 * U];
    size_t n;
    void *ws = ws_for(l, 2, 3, &n);
    CHECK(ws);
    gru_seq in = {2, 3, x, NULL, NULL};
    CHECK_REJECT(gru_layer_forward(l, GRU_F32, NULL, NULL, GRU_TRAINING_FALSE, out, ws, n), GRU_E_NULL, "'in'");
    CHECK_REJECT(gru_layer_forward(l, GRU_F32, &in, NULL, GRU_TRAINING_FALSE, NULL, ws, n), GRU_E_NULL, "output");
    CHECK_REJECT(gru_layer_forward(l, GRU_F32, &in, NULL, GRU_TRAINING_FALSE, out, NULL, n), GRU_E_NULL, "workspace");
    CHECK_REJECT(gru_layer_forward(l, GRU_F32, &in, NULL, GRU_TRAINING_FALSE, out, ws, n - 1), GRU_E_SHAPE, "workspace");
    CHECK_REJECT(gru_layer_forward(l, GRU_F64, &in, NULL, GRU_TRAINING_FALSE, out, ws, n), GRU_E_DTYPE, "dtype");
    CHECK_REJECT(gru_layer_forward(l, GRU_F32, &in, NULL, (gru_training)9, out, ws, n), GRU_E_ARG, "training");
    gru_seq e = {0, 3, x, NULL, NULL};
    CHECK_REJECT(gru_layer_forward(l, GRU_F32, &e, NULL, GRU_TRAINING_FALSE, out, ws, n), GRU_E_SHAPE, "batch");
    e.batch = 2;
    e.steps = 0;
    CHECK_REJECT(gru_layer_forward(l, GRU_F32, &e, NULL, GRU_TRAINING_FALSE, out, ws, n), GRU_E_SHAPE, "steps");
    const uint8_t m[6] = {1, 1, 1, 1, 1, 1};
    const int64_t len[2] = {3, 4};
    gru_seq both = {2, 3, x, m, len};
    CHECK_REJECT(gru_layer_forward(l, GRU_F32, &both, NULL, GRU_TRAINING_FALSE, out, ws, n), GRU_E_ARG, "not both");
    gru_seq badlen = {2, 3, x, NULL, len};
    CHECK_REJECT(gru_layer_forward(l, GRU_F32, &badlen, NULL, GRU_TRAINING_FALSE, out, ws, n), GRU_E_ARG, "lengths[1]");
    gru_seq nox = {2, 3, NULL, NULL, NULL};
    CHECK_REJECT(gru_layer_forward(l, GRU_F32, &nox, NULL, GRU_TRAINING_FALSE, out, ws, n), GRU_E_NULL, "in->x");
    CHECK_REJECT(gru_layer_reset_states(l, GRU_F32, NULL), GRU_E_STATE, "not stateful");
    float st[2 * U];
    CHECK_REJECT(gru_layer_get_states(l, GRU_F32, st), GRU_E_STATE, "not stateful");
    CHECK_REJECT(gru_layer_workspace_size(l, 0, 3, &n), GRU_E_ARG, "batch");
    CHECK_REJECT(gru_layer_workspace_size(l, INT64_MAX, INT64_MAX, &n), GRU_E_OVERFLOW, "overflows");
    CHECK(gru_layer_cell(NULL) == NULL);
    CHECK_REJECT(gru_layer_get_config(l, NULL), GRU_E_NULL, "cfg");
    gru_layer_free(l);
    gru_layer_config_init(&c, U, F);
    c.return_state = true;
    CHECK_OK(gru_layer_create(&c, &l));
    CHECK_REJECT(gru_layer_forward(l, GRU_F32, &in, NULL, GRU_TRAINING_FALSE, out, ws, n), GRU_E_NULL, "state_out");
    gru_layer_free(l);
    free(ws);
}

void tests_layer(void);
void tests_layer(void) {
    TR_RUN(layer_equals_the_cell_loop_with_keras_masking);
    TR_RUN(layer_batch_split_invariance_is_bitwise);
    TR_RUN(layer_stateful_chunks_equal_one_long_call);
    TR_RUN(layer_stateful_initial_state_rule);
    TR_RUN(layer_time_major_and_lengths);
    TR_RUN(layer_rejects_bad_input);
}
