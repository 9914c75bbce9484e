/* The thread pool: a layer given a pool of 2 (and 3) threads gives bitwise
 * the results of one thread, for batch 1 (units split over threads) and
 * batch > 1 (rows split), both reset_after values, masks, lengths,
 * go_backwards, time_major, dropout masks, f32/f64; the forward call
 * allocates nothing; bad arguments are refused. */
#include <stdlib.h>

#include "runner.h"

#ifdef GRU_TEST_WRAP_MALLOC
long tests_alloc_count(void);
#endif

typedef struct thr_case {
    gru_dtype dt;
    int64_t B, T, F, U;
    int reset_after, go_backwards, return_sequences, time_major, zero_output;
    int mask;     /* 0 none, 1 mask, 2 lengths */
    int dropout;  /* training with given dropout masks */
    int act;      /* 0 defaults, 1 sigmoid/tanh, 2 softsign (not fused) */
} thr_case;

static void fill_d(double *p, size_t n, uint64_t seed) {
    gru_rng r;
    gru_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) p[i] = 2.0 * gru_rng_uniform(&r) - 1.0;
}

/* Store doubles as dtype. */
static void *make_buf(gru_dtype dt, size_t n, uint64_t seed, double scale, double offset) {
    double *d = malloc((n ? n : 1) * sizeof *d);
    void *out = aligned_alloc(64, ((n ? n : 1) * 8 + 63) / 64 * 64);
    fill_d(d, n, seed);
    for (size_t i = 0; i < n; i++) {
        const double v = d[i] * scale + offset;
        if (dt == GRU_F32) ((float *)out)[i] = (float)v;
        else ((double *)out)[i] = v;
    }
    free(d);
    return out;
}

/* Run one case without and with pool; 1 if bitwise equal (and *ran). */
static int run_case(const thr_case *c, gru_threadpool *pool, char *why, size_t why_n) {
    gru_layer_config lc;
    if (gru_layer_config_init(&lc, c->U, c->F)) return 0;
    lc.cell.dtype = c->dt;
    lc.cell.reset_after = c->reset_after;
    lc.go_backwards = c->go_backwards;
    lc.return_sequences = c->return_sequences;
    lc.time_major = c->time_major;
    lc.zero_output_for_mask = c->zero_output;
    lc.return_state = true;
    if (c->act == 1) {
        gru_activation_from_name("sigmoid", &lc.cell.recurrent_activation);
        gru_activation_from_name("tanh", &lc.cell.activation);
    } else if (c->act == 2) {
        gru_activation_from_name("softsign", &lc.cell.activation);
    }
    if (c->dropout) {
        lc.cell.dropout = 0.25;
        lc.cell.recurrent_dropout = 0.4;
    }
    gru_layer *l;
    if (gru_layer_create(&lc, &l)) {
        snprintf(why, why_n, "create: %s", gru_last_error());
        return 0;
    }
    gru_cell *cell = gru_layer_cell(l);
    size_t nk, nr, nb;
    gru_cell_weight_sizes(cell, &nk, &nr, &nb);
    void *wk = make_buf(c->dt, nk, 11, 0.3, 0.0), *wr = make_buf(c->dt, nr, 12, 0.3, 0.0),
         *wb = make_buf(c->dt, nb, 13, 0.2, 0.0);
    gru_cell_set_weights(cell, c->dt, wk, wr, wb);
    const size_t B = (size_t)c->B, Tn = (size_t)c->T, F = (size_t)c->F, U = (size_t)c->U;
    const size_t es = c->dt == GRU_F32 ? 4 : 8;
    void *x = make_buf(c->dt, B * Tn * F, 14, 1.0, 0.0);
    void *h0 = make_buf(c->dt, B * U, 15, 0.5, 0.0);
    void *dpm = make_buf(c->dt, 3 * B * F, 16, 0.0, 1.0), *rdpm = make_buf(c->dt, 3 * B * U, 17, 0.0, 1.0);
    /* dropout masks: 0 or 1/(1-rate) */
    for (size_t i = 0; i < 3 * B * F; i++) {
        const double v = (i * 7 % 5) ? 1.0 / 0.75 : 0.0;
        if (c->dt == GRU_F32) ((float *)dpm)[i] = (float)v;
        else ((double *)dpm)[i] = v;
    }
    for (size_t i = 0; i < 3 * B * U; i++) {
        const double v = (i * 3 % 7) > 2 ? 1.0 / 0.6 : 0.0;
        if (c->dt == GRU_F32) ((float *)rdpm)[i] = (float)v;
        else ((double *)rdpm)[i] = v;
    }
    uint8_t *mask = malloc(B * Tn);
    int64_t *len = malloc(B * sizeof *len);
    for (size_t i = 0; i < B * Tn; i++) mask[i] = (uint8_t)((i * 5 + 1) % 4 != 0);
    for (size_t b = 0; b < B; b++) len[b] = (int64_t)((b * 3 + 2) % (Tn + 1));
    len[0] = (int64_t)Tn - 1;
    gru_seq in = {c->B, c->T, x, c->mask == 1 ? mask : NULL, c->mask == 2 ? len : NULL};
    const size_t nout = (c->return_sequences ? B * Tn * U : B * U);
    void *o1 = calloc(nout, es), *o2 = calloc(nout, es), *s1 = calloc(B * U, es),
         *s2 = calloc(B * U, es);
    int ok = 0;
    size_t n1, n2;
    gru_layer_io io = {h0, c->dropout ? dpm : NULL, c->dropout ? rdpm : NULL, s1};
    const gru_training tr = c->dropout ? GRU_TRAINING_TRUE : GRU_TRAINING_FALSE;
    gru_layer_workspace_size(l, c->B, c->T, &n1);
    void *ws1 = aligned_alloc(64, (n1 + 63) / 64 * 64);
    gru_status s = gru_layer_forward(l, c->dt, &in, &io, tr, o1, ws1, n1);
    if (s) {
        snprintf(why, why_n, "forward 1: %s", gru_last_error());
        goto done;
    }
    gru_layer_set_threadpool(l, pool);
    gru_layer_workspace_size(l, c->B, c->T, &n2);
    void *ws2 = aligned_alloc(64, (n2 + 63) / 64 * 64);
    io.state_out = s2;
#ifdef GRU_TEST_WRAP_MALLOC
    const long before = tests_alloc_count();
#endif
    s = gru_layer_forward(l, c->dt, &in, &io, tr, o2, ws2, n2);
#ifdef GRU_TEST_WRAP_MALLOC
    const long allocs = tests_alloc_count() - before;
#else
    const long allocs = 0;
#endif
    free(ws2);
    if (s) {
        snprintf(why, why_n, "forward 2: %s", gru_last_error());
        goto done;
    }
    if (gru_threadpool_threads(pool) > 1 && n2 <= n1) {
        snprintf(why, why_n, "workspace with a pool (%zu) not larger than without (%zu)", n2, n1);
        goto done;
    }
    if (allocs) {
        snprintf(why, why_n, "the threaded forward allocated %ld times", allocs);
        goto done;
    }
    if (memcmp(o1, o2, nout * es) || memcmp(s1, s2, B * U * es)) {
        size_t i = 0;
        while (i < nout * es && ((char *)o1)[i] == ((char *)o2)[i]) i++;
        snprintf(why, why_n, "outputs differ (first byte %zu of %zu; state %s)", i, nout * es,
                 memcmp(s1, s2, B * U * es) ? "differs" : "equal");
        goto done;
    }
    ok = 1;
done:
    free(ws1), free(o1), free(o2), free(s1), free(s2), free(mask), free(len);
    free(x), free(h0), free(dpm), free(rdpm), free(wk), free(wr), free(wb);
    gru_layer_free(l);
    return ok;
}

static gru_threadpool *pool_or_skip(int n) {
    gru_threadpool *p = NULL;
    gru_status s = gru_threadpool_create(n, &p);
    return s == GRU_OK ? p : NULL;
}

/* Every combination for one batch size and thread count. */
static void sweep(tr_ctx *t_, int64_t B, int nth) {
    gru_threadpool *pool = pool_or_skip(nth);
    if (!pool) return; /* built without pthreads: covered by threads_bad_arguments */
    static const int64_t units[] = {40, 80, 130};
    char why[256];
    for (int dt = 0; dt < 2; dt++)
        for (int ra = 0; ra < 2; ra++)
            for (int ui = 0; ui < 3; ui++)
                for (int v = 0; v < 7; v++) {
                    thr_case c = {dt ? GRU_F64 : GRU_F32, B, 9, 24, units[ui], ra, 0, 0, 0, 0, 0,
                                  0, ra};
                    switch (v) {
                    case 0: break;
                    case 1: c.go_backwards = 1, c.return_sequences = 1; break;
                    case 2: c.mask = 1, c.return_sequences = 1; break;
                    case 3: c.mask = 1, c.zero_output = 1, c.return_sequences = 1, c.go_backwards = 1; break;
                    case 4: c.mask = 2, c.time_major = 1; break;
                    case 5: c.dropout = 1, c.return_sequences = 1; break;
                    case 6: c.act = 2; break;
                    }
                    if (!run_case(&c, pool, why, sizeof why)) {
                        gru_threadpool_free(pool);
                        CHECK_MSG(0, "B=%lld nth=%d %s reset_after=%d U=%lld variant %d: %s",
                                  (long long)B, nth, dt ? "f64" : "f32", ra, (long long)c.U, v, why);
                    }
                }
    gru_threadpool_free(pool);
}

TEST(threads_batch1_two_bitwise) { sweep(t_, 1, 2); }
TEST(threads_batch5_two_bitwise) { sweep(t_, 5, 2); }
TEST(threads_batch1_three_bitwise) { sweep(t_, 1, 3); }
TEST(threads_batch9_three_bitwise) { sweep(t_, 9, 3); }

/* A workspace sized before the pool was attached still works (one thread),
 * a pool of one thread is accepted, and detaching restores the size. */
TEST(threads_one_thread_workspace_and_detach) {
    gru_threadpool *pool = pool_or_skip(2), *one = pool_or_skip(1);
    if (!pool || !one) {
        gru_threadpool_free(pool);
        gru_threadpool_free(one);
        return;
    }
    gru_layer_config lc;
    gru_layer_config_init(&lc, 96, 16);
    gru_layer *l;
    CHECK_OK(gru_layer_create(&lc, &l));
    size_t n1, n2, n3, n4;
    CHECK_OK(gru_layer_workspace_size(l, 1, 5, &n1));
    float *x = calloc(5 * 16, sizeof *x), o1[96], o2[96];
    for (int i = 0; i < 80; i++) x[i] = (float)(i % 7) * 0.1f;
    void *ws = aligned_alloc(64, (n1 + 63) / 64 * 64);
    gru_seq in = {1, 5, x, NULL, NULL};
    CHECK_OK(gru_layer_forward(l, GRU_F32, &in, NULL, GRU_TRAINING_FALSE, o1, ws, n1));
    CHECK_OK(gru_layer_set_threadpool(l, pool));
    CHECK_OK(gru_layer_workspace_size(l, 1, 5, &n2));
    CHECK(n2 > n1);
    CHECK_OK(gru_layer_forward(l, GRU_F32, &in, NULL, GRU_TRAINING_FALSE, o2, ws, n1));
    CHECK(memcmp(o1, o2, sizeof o1) == 0);
    CHECK_OK(gru_layer_set_threadpool(l, one));
    CHECK_OK(gru_layer_workspace_size(l, 1, 5, &n3));
    CHECK(n3 == n1);
    CHECK_OK(gru_layer_forward(l, GRU_F32, &in, NULL, GRU_TRAINING_FALSE, o2, ws, n1));
    CHECK(memcmp(o1, o2, sizeof o1) == 0);
    CHECK_OK(gru_layer_set_threadpool(l, NULL));
    CHECK_OK(gru_layer_workspace_size(l, 1, 5, &n4));
    CHECK(n4 == n1);
    free(ws), free(x);
    gru_layer_free(l);
    gru_threadpool_free(pool);
    gru_threadpool_free(one);
}

/* Many calls on one pool (the workers sleep and wake between calls), two
 * layers sharing it. */
TEST(threads_pool_reused_by_two_layers) {
    gru_threadpool *pool = pool_or_skip(2);
    if (!pool) return;
    char why[256];
    for (int i = 0; i < 20; i++) {
        thr_case c = {GRU_F32, i % 2 ? 3 : 1, 4, 8, 64 + 16 * (i % 3), i % 2, 0, 1, 0, 0, 0, 0, 1};
        if (!run_case(&c, pool, why, sizeof why)) {
            gru_threadpool_free(pool);
            CHECK_MSG(0, "call %d: %s", i, why);
        }
    }
    gru_threadpool_free(pool);
}

TEST(threads_bad_arguments) {
    gru_threadpool *p = (gru_threadpool *)1;
    gru_status s = gru_threadpool_create(2, &p);
    if (s == GRU_E_UNSUPPORTED) {
        CHECK(p == NULL);
        CHECK(strstr(gru_last_error(), "pthreads") != NULL);
        return;
    }
    CHECK_OK(s);
    CHECK(gru_threadpool_threads(p) == 2);
    gru_threadpool_free(p);
    p = (gru_threadpool *)1;
    CHECK_REJECT(gru_threadpool_create(0, &p), GRU_E_ARG, "n_threads");
    CHECK(p == NULL);
    CHECK_REJECT(gru_threadpool_create(-3, &p), GRU_E_ARG, "n_threads");
    CHECK_REJECT(gru_threadpool_create(1 << 20, &p), GRU_E_ARG, "n_threads");
    CHECK_REJECT(gru_threadpool_create(2, NULL), GRU_E_NULL, "out");
    CHECK_REJECT(gru_layer_set_threadpool(NULL, NULL), GRU_E_NULL, "layer");
    CHECK(gru_threadpool_threads(NULL) == 1);
    gru_threadpool_free(NULL); /* no-op */
}

void tests_threads(void);
void tests_threads(void) {
    TR_RUN(threads_batch1_two_bitwise);
    TR_RUN(threads_batch5_two_bitwise);
    TR_RUN(threads_batch1_three_bitwise);
    TR_RUN(threads_batch9_three_bitwise);
    TR_RUN(threads_one_thread_workspace_and_detach);
    TR_RUN(threads_pool_reused_by_two_layers);
    TR_RUN(threads_bad_arguments);
}
