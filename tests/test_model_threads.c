/* gru_model_set_threadpool: models (Masking + stacked GRUs + Dense head;
 * Bidirectional + TimeDistributed(Dense); Embedding(mask_zero) + GRU with
 * return_state; a stateful GRU) give bitwise the outputs of one thread for
 * batches 1, 2, 3, 7 and 64 (uneven shares) on pools of 1, 2 and 3
 * threads, float32 and float64; the threaded call allocates nothing; the
 * workspace grows with the pool and a smaller one is refused; bad
 * arguments are refused. */
#include <stdlib.h>

#include "model_nodes.h"
#include "runner.h"

#ifdef GRU_TEST_WRAP_MALLOC
long tests_alloc_count(void);
#endif


static gru_model_node input_node(int64_t d0, int64_t d1, bool ids) {
    gru_model_node n = N(GRU_NODE_INPUT, "x");
    n.input.rank = d1 ? 2 : 1;
    n.input.shape[0] = d0;
    n.input.shape[1] = d1;
    n.input.int_ids = ids;
    return n;
}

static gru_model_node gru_node(const char *name, int64_t units, size_t from, bool seq) {
    gru_model_node n = N(GRU_NODE_GRU, name);
    gru_layer_config_init(&n.gru, units, 1);
    n.gru.return_sequences = seq;
    in1(&n, from, 0);
    return n;
}

static gru_model_node dense_node(gru_node_kind kind, int64_t units, const char *act, size_t from) {
    gru_model_node n = N(kind, "dense");
    n.dense.units = units;
    gru_activation_from_name(act, &n.dense.activation);
    in1(&n, from, 0);
    return n;
}

static double urand(uint64_t *s) {
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*s >> 11) / 9007199254740992.0;
}

/* Random weights in [-0.5, 0.5) for every node that has any (biases too). */
static gru_status randomize(gru_model *m, uint64_t seed) {
    const gru_dtype dt = gru_model_dtype(m);
    for (size_t i = 0; i < gru_model_node_count(m); i++) {
        gru_model_node_info info;
        gru_status s = gru_model_node_info_get(m, i, &info);
        if (s) return s;
        if (!info.n_weights) continue;
        void *arr[GRU_MODEL_MAX_WEIGHTS];
        for (size_t k = 0; k < info.n_weights; k++) {
            arr[k] = malloc(info.weight_count[k] * 8);
            for (size_t j = 0; j < info.weight_count[k]; j++) {
                const double v = urand(&seed) - 0.5;
                if (dt == GRU_F32) ((float *)arr[k])[j] = (float)v;
                else ((double *)arr[k])[j] = v;
            }
        }
        s = gru_model_set_node_weights(m, i, dt, info.n_weights, (const void *const *)arr,
                                       info.weight_count);
        for (size_t k = 0; k < info.n_weights; k++) free(arr[k]);
        if (s) return s;
    }
    return GRU_OK;
}

enum { MAX_OUT = 4 };

typedef struct outs {
    size_t n, bytes[MAX_OUT];
    void *p[MAX_OUT];
} outs;

static void outs_free(outs *o) {
    for (size_t k = 0; k < o->n; k++) free(o->p[k]);
    o->n = 0;
}

/* Run the model once on input x (B, T) with a workspace sized now (with
 * whatever pool is attached); *allocs gets the call's allocation count. */
static gru_status run(gru_model *m, int64_t B, int64_t T, const void *x, outs *o, long *allocs) {
    const gru_dtype dt = gru_model_dtype(m);
    o->n = gru_model_output_count(m);
    for (size_t k = 0; k < o->n; k++) {
        int64_t d[GRU_MODEL_MAX_RANK + 1];
        size_t nd, cnt = 1;
        gru_status s = gru_model_output_shape(m, k, B, T, d, &nd);
        if (s) return s;
        for (size_t j = 0; j < nd; j++) cnt *= (size_t)d[j];
        o->bytes[k] = cnt * gru_dtype_size(dt);
        o->p[k] = calloc(1, o->bytes[k]);
    }
    size_t wsb = 0;
    gru_status s = gru_model_workspace_size(m, B, T, &wsb);
    if (s) return s;
    void *ws = aligned_alloc(64, (wsb + 63) / 64 * 64 + 64);
    const void *ins[1] = {x};
#ifdef GRU_TEST_WRAP_MALLOC
    const long before = tests_alloc_count();
#endif
    s = gru_model_forward(m, dt, B, T, ins, o->p, ws, wsb);
#ifdef GRU_TEST_WRAP_MALLOC
    *allocs = tests_alloc_count() - before;
#else
    *allocs = 0;
#endif
    free(ws);
    return s;
}

/* Input (B, T, F) of dtype (or int64 ids in [0, 9) when ids), each row
 * zero from a row-dependent length on (so Masking / mask_zero mask the
 * tail), plus a few zero steps inside. */
static void *make_input(gru_dtype dt, bool ids, int64_t B, int64_t T, int64_t F, uint64_t seed) {
    const size_t n = (size_t)(B * T * F);
    void *x = malloc(n * 8);
    for (int64_t b = 0; b < B; b++) {
        const int64_t len = 1 + (b * 5 + 3) % T;
        for (int64_t t = 0; t < T; t++)
            for (int64_t f = 0; f < F; f++) {
                const size_t i = (size_t)((b * T + t) * F + f);
                const bool zero = t >= len || (t + b) % 7 == 3;
                const double v = zero ? 0.0 : 2.0 * urand(&seed) - 1.0;
                if (ids) ((int64_t *)x)[i] = zero ? 0 : 1 + (int64_t)(urand(&seed) * 8.0);
                else if (dt == GRU_F32) ((float *)x)[i] = (float)v;
                else ((double *)x)[i] = v;
            }
    }
    return x;
}

/* The model kinds of the sweep. */
enum { M_STACK = 0, M_BIDI, M_EMBED, M_KINDS };

static gru_status build(int kind, gru_dtype dt, int64_t U, gru_model **out) {
    gru_model_node nd[6];
    size_t n = 0;
    gru_model_ref refs[MAX_OUT];
    size_t nref = 0;
    if (kind == M_STACK) { /* Masking, GRU(seq) -> GRU -> Dense(tanh) */
        nd[n++] = input_node(-1, 5, false);
        nd[n] = N(GRU_NODE_MASKING, "masking");
        in1(&nd[n++], 0, 0);
        nd[n] = gru_node("gru_1", U, 1, true);
        nd[n].gru.cell.reset_after = true;
        n++;
        nd[n] = gru_node("gru_2", U / 2 + 3, 2, false);
        nd[n++].gru.zero_output_for_mask = true;
        nd[n++] = dense_node(GRU_NODE_DENSE, 3, "tanh", 3);
        refs[nref++] = (gru_model_ref){4, 0};
        refs[nref++] = (gru_model_ref){2, 0};
    } else if (kind == M_BIDI) { /* Masking, Bidirectional(concat, seq) -> TD(Dense) */
        nd[n++] = input_node(-1, 4, false);
        nd[n] = N(GRU_NODE_MASKING, "masking");
        in1(&nd[n++], 0, 0);
        nd[n] = N(GRU_NODE_BIDIRECTIONAL, "bi");
        gru_bidirectional_config_init(&nd[n].bidirectional, U, 1);
        nd[n].bidirectional.layer.return_sequences = true;
        nd[n].bidirectional.layer.return_state = true;
        in1(&nd[n++], 1, 0);
        nd[n++] = dense_node(GRU_NODE_TIME_DISTRIBUTED_DENSE, 5, "sigmoid", 2);
        refs[nref++] = (gru_model_ref){3, 0};
        refs[nref++] = (gru_model_ref){2, 1};
        refs[nref++] = (gru_model_ref){2, 2};
    } else { /* Embedding(mask_zero) -> GRU(go_backwards, return_state) -> Dense */
        nd[n++] = input_node(-1, 0, true);
        nd[n] = N(GRU_NODE_EMBEDDING, "emb");
        nd[n].embedding.input_dim = 9;
        nd[n].embedding.output_dim = 6;
        nd[n].embedding.mask_zero = true;
        in1(&nd[n++], 0, 0);
        nd[n] = gru_node("gru", U, 1, false);
        nd[n].gru.go_backwards = true;
        nd[n].gru.return_state = true;
        n++;
        nd[n++] = dense_node(GRU_NODE_DENSE, 2, "linear", 2);
        refs[nref++] = (gru_model_ref){3, 0};
        refs[nref++] = (gru_model_ref){2, 1};
    }
    gru_status s = gru_model_create(nd, n, refs, nref, dt, out);
    if (!s) s = randomize(*out, 1234 + (uint64_t)kind);
    return s;
}

static int input_f(int kind) { return kind == M_STACK ? 5 : kind == M_BIDI ? 4 : 1; }

/* One model, dtype and units: every batch size on every pool, against the
 * pool-less call. */
static void sweep(tr_ctx *t_, int kind, gru_dtype dt, int64_t U, gru_threadpool *const *pools,
                  int npools) {
    static const int64_t batches[] = {1, 2, 3, 7, 64};
    const int64_t T = 7;
    gru_model *m = NULL;
    CHECK_OK(build(kind, dt, U, &m));
    for (size_t bi = 0; bi < sizeof batches / sizeof *batches; bi++) {
        const int64_t B = batches[bi];
        void *x = make_input(dt, kind == M_EMBED, B, T, input_f(kind), 99 + (uint64_t)B);
        outs ref = {0}, got = {0};
        long allocs = 0;
        CHECK_OK(gru_model_set_threadpool(m, NULL));
        gru_status s = run(m, B, T, x, &ref, &allocs);
        for (int p = 0; p < npools && !s; p++) {
            s = gru_model_set_threadpool(m, pools[p]);
            if (!s) s = run(m, B, T, x, &got, &allocs);
            int same = !s && got.n == ref.n;
            size_t bad = 0;
            for (size_t k = 0; same && k < ref.n; k++)
                if (memcmp(ref.p[k], got.p[k], ref.bytes[k]) != 0) same = 0, bad = k;
            outs_free(&got);
            if (s || !same || allocs) {
                outs_free(&ref);
                free(x);
                gru_model_free(m);
                CHECK_MSG(0, "model %d %s U=%lld B=%lld threads=%d: %s", kind,
                          dt == GRU_F32 ? "f32" : "f64", (long long)U, (long long)B,
                          gru_threadpool_threads(pools[p]),
                          s ? gru_last_error()
                            : allocs ? "the threaded call allocated"
                                     : (bad == 0 ? "output 0 differs" : "an output differs"));
            }
        }
        outs_free(&ref);
        free(x);
        if (s) {
            gru_model_free(m);
            CHECK_OK(s);
        }
    }
    gru_model_free(m);
}

static int make_pools(gru_threadpool *pools[3]) {
    for (int i = 0; i < 3; i++)
        if (gru_threadpool_create(i + 1, &pools[i])) {
            for (int j = 0; j < i; j++) gru_threadpool_free(pools[j]);
            return 0;
        }
    return 1;
}

static void free_pools(gru_threadpool *pools[3]) {
    for (int i = 0; i < 3; i++) gru_threadpool_free(pools[i]);
}

static void sweep_kind(tr_ctx *t_, int kind) {
    gru_threadpool *pools[3];
    if (!make_pools(pools)) return; /* no pthreads: model_threads_bad_arguments covers it */
    static const int64_t units[] = {24, 130};
    for (int d = 0; d < 2 && !t_->failed; d++)
        for (int u = 0; u < 2 && !t_->failed; u++)
            sweep(t_, kind, d ? GRU_F64 : GRU_F32, units[u], pools, 3);
    free_pools(pools);
}

TEST(model_threads_masked_stack_bitwise) { sweep_kind(t_, M_STACK); }
TEST(model_threads_bidirectional_bitwise) { sweep_kind(t_, M_BIDI); }
TEST(model_threads_embedding_bitwise) { sweep_kind(t_, M_EMBED); }

/* A stateful GRU: two calls in a row carry the state per row, with and
 * without the pool, to the same bits; reset_states works with the pool. */
TEST(model_threads_stateful_bitwise) {
    gru_threadpool *pools[3];
    if (!make_pools(pools)) return;
    enum { B = 5, T = 6 };
    gru_model_node nd[3];
    nd[0] = input_node(T, 5, false);
    nd[1] = gru_node("g", 40, 0, true);
    nd[1].gru.stateful = true;
    nd[1].gru.batch_size = B;
    nd[2] = dense_node(GRU_NODE_TIME_DISTRIBUTED_DENSE, 3, "relu", 1);
    gru_model_ref out = {2, 0};
    gru_model *m = NULL;
    gru_status s = gru_model_create(nd, 3, &out, 1, GRU_F32, &m);
    if (!s) s = randomize(m, 7);
    void *x = make_input(GRU_F32, false, B, T, 5, 3);
    outs ref[2] = {{0}}, got = {0};
    long allocs = 0;
    for (int c = 0; c < 2 && !s; c++) s = run(m, B, T, x, &ref[c], &allocs);
    int same = 1;
    for (int p = 1; p < 3 && !s && same; p++) {
        s = gru_model_set_threadpool(m, pools[p]);
        if (!s) s = gru_model_reset_states(m);
        for (int c = 0; c < 2 && !s && same; c++) {
            s = run(m, B, T, x, &got, &allocs);
            if (!s) same = memcmp(ref[c].p[0], got.p[0], ref[c].bytes[0]) == 0 && !allocs;
            outs_free(&got);
        }
    }
    outs_free(&ref[0]);
    outs_free(&ref[1]);
    free(x);
    gru_model_free(m);
    free_pools(pools);
    CHECK_OK(s);
    CHECK_MSG(same, "a stateful call with the pool differs from one thread (or allocated)");
}

/* The workspace grows with the pool; one sized without it is refused, and
 * detaching brings the size back. */
TEST(model_threads_workspace) {
    gru_threadpool *pools[3];
    if (!make_pools(pools)) return;
    gru_model *m = NULL;
    gru_status s = build(M_BIDI, GRU_F32, 24, &m);
    size_t n1 = 0, n2 = 0, n3 = 0, n4 = 0;
    if (!s) s = gru_model_workspace_size(m, 6, 5, &n1);
    if (!s) s = gru_model_set_threadpool(m, pools[1]);
    if (!s) s = gru_model_workspace_size(m, 6, 5, &n2);
    if (!s) s = gru_model_set_threadpool(m, pools[0]);
    if (!s) s = gru_model_workspace_size(m, 6, 5, &n3);
    gru_status rej = GRU_OK;
    char msg[256] = "";
    if (!s) s = gru_model_set_threadpool(m, pools[2]);
    if (!s) {
        void *x = make_input(GRU_F32, false, 6, 5, 4, 1);
        float *o[3] = {malloc(6 * 5 * 5 * 4), malloc(6 * 24 * 4), malloc(6 * 24 * 4)};
        void *ws = aligned_alloc(64, (n1 + 63) / 64 * 64);
        const void *ins[1] = {x};
        rej = gru_model_forward(m, GRU_F32, 6, 5, ins, (void *const *)o, ws, n1);
        snprintf(msg, sizeof msg, "%s", gru_last_error());
        free(ws), free(x), free(o[0]), free(o[1]), free(o[2]);
        s = gru_model_set_threadpool(m, NULL);
    }
    if (!s) s = gru_model_workspace_size(m, 6, 5, &n4);
    gru_model_free(m);
    free_pools(pools);
    CHECK_OK(s);
    CHECK(n2 > n1 && n3 == n1 && n4 == n1);
    CHECK(rej == GRU_E_SHAPE);
    CHECK_MSG(strstr(msg, "gru_model_workspace_size") != NULL, "message: %s", msg);
}

/* The Bidirectional and stack handles take a pool too, bitwise. */
TEST(model_threads_bidirectional_and_stack_handles) {
    gru_threadpool *pools[3];
    if (!make_pools(pools)) return;
    enum { B = 7, T = 5, F = 3, U = 20 };
    gru_stack_entry e[2];
    memset(e, 0, sizeof e);
    e[0].bidirectional = true;
    gru_bidirectional_config_init(&e[0].bi, U, F);
    e[0].bi.layer.return_sequences = true;
    gru_layer_config_init(&e[1].layer, U, 2 * U);
    gru_stack *st = NULL;
    gru_status s = gru_stack_create(e, 2, &st);
    float *x = (float *)make_input(GRU_F32, false, B, T, F, 5);
    float y1[B * U], y2[B * U];
    gru_seq in = {B, T, x, NULL, NULL};
    for (int p = 0; p < 3 && !s; p++) {
        size_t n = 0;
        s = gru_stack_set_threadpool(st, p ? pools[p] : NULL);
        if (!s) s = gru_stack_workspace_size(st, B, T, &n);
        void *ws = aligned_alloc(64, (n + 63) / 64 * 64);
        if (!s) s = gru_stack_forward(st, GRU_F32, &in, GRU_TRAINING_FALSE, p ? y2 : y1, ws, n);
        free(ws);
        if (!s && p && memcmp(y1, y2, sizeof y1) != 0) s = GRU_E_STATE;
    }
    gru_bidirectional *bi = st ? gru_stack_bidirectional(st, 0) : NULL;
    if (!s) s = gru_bidirectional_set_threadpool(bi, pools[2]);
    free(x);
    gru_stack_free(st);
    free_pools(pools);
    CHECK_OK(s);
}

TEST(model_threads_bad_arguments) {
    CHECK_REJECT(gru_model_set_threadpool(NULL, NULL), GRU_E_NULL, "model");
    CHECK_REJECT(gru_bidirectional_set_threadpool(NULL, NULL), GRU_E_NULL, "bi");
    CHECK_REJECT(gru_stack_set_threadpool(NULL, NULL), GRU_E_NULL, "stack");
    gru_model *m = NULL;
    CHECK_OK(build(M_EMBED, GRU_F64, 8, &m));
    /* NULL pool: back to one thread */
    CHECK_OK(gru_model_set_threadpool(m, NULL));
    gru_model_free(m);
}

void tests_model_threads(void);
void tests_model_threads(void) {
    TR_RUN(model_threads_masked_stack_bitwise);
    TR_RUN(model_threads_bidirectional_bitwise);
    TR_RUN(model_threads_embedding_bitwise);
    TR_RUN(model_threads_stateful_bitwise);
    TR_RUN(model_threads_workspace);
    TR_RUN(model_threads_bidirectional_and_stack_handles);
    TR_RUN(model_threads_bad_arguments);
}
