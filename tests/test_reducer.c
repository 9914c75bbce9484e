/* Data-parallel training without MPI: gru_seq_model's gradient reducer hook
 * driven by an in-process simulation of N ranks. All ranks hold the same
 * weights, so one model plays every rank in turn: ranks N-1..1 compute
 * their shard and the reducer keeps a copy of their buffer (then stops
 * that call, which must leave the weights untouched); rank 0's call sums
 * the N buffers in rank order and goes on to the update. The result must be
 * single-process training on the whole batch (<= 1e-12 float64, 1e-5
 * float32), for even, uneven and empty shards. */
#include <stdlib.h>

#include "dp_model.h"
#include "runner.h"

enum { SIM_MAXR = 8, SIM_MAXB = 8192 };

typedef struct sim {
    int size, rank; /* ranks simulated; the rank whose call runs now */
    size_t count;
    unsigned char slot[SIM_MAXR][SIM_MAXB];
    int captured, summed;
} sim;

static gru_status sim_reduce(void *user, gru_dtype dt, void *buf, size_t count) {
    sim *s = user;
    const size_t el = gru_dtype_size(dt), bytes = count * el;
    if (bytes > SIM_MAXB) return GRU_E_SHAPE;
    if (s->rank > 0) {
        memcpy(s->slot[s->rank], buf, bytes);
        s->count = count;
        s->captured++;
        return GRU_E_STATE; /* stop this rank's call: rank 0 finishes */
    }
    if (s->size > 1 && s->count != count) return GRU_E_SHAPE;
    for (size_t i = 0; i < count; i++) {
        if (dt == GRU_F32) {
            float a = ((float *)buf)[i];
            for (int k = 1; k < s->size; k++) a += ((const float *)(const void *)s->slot[k])[i];
            ((float *)buf)[i] = a;
        } else {
            double a = ((double *)buf)[i];
            for (int k = 1; k < s->size; k++) a += ((const double *)(const void *)s->slot[k])[i];
            ((double *)buf)[i] = a;
        }
    }
    s->captured = 0;
    s->summed++;
    return GRU_OK;
}

typedef gru_status (*sim_call)(void *, size_t, const void *, const void *, double *);

/* One step (or eval) of `size` simulated ranks on the global batch. */
static gru_status sim_run(sim *s, dp_model *d, sim_call fn, size_t batch, const void *x,
                          const void *y, double *loss) {
    d->m.reducer.reduce = sim_reduce;
    d->m.reducer.user = s;
    d->m.reducer.size = s->size;
    s->captured = 0;
    for (int r = s->size - 1; r >= 1; r--) {
        d->m.reducer.rank = s->rank = r;
        gru_status st = fn(&d->m, batch, x, y, NULL);
        if (st != GRU_E_STATE) return st == GRU_OK ? GRU_E_STATE : st;
    }
    d->m.reducer.rank = s->rank = 0;
    return fn(&d->m, batch, x, y, loss);
}

TEST(reducer_shard_rule) {
    size_t b, c;
    CHECK_OK(gru_shard(10, 0, 3, &b, &c));
    CHECK(b == 0 && c == 3);
    CHECK_OK(gru_shard(10, 1, 3, &b, &c));
    CHECK(b == 3 && c == 3);
    CHECK_OK(gru_shard(10, 2, 3, &b, &c));
    CHECK(b == 6 && c == 4);
    CHECK_OK(gru_shard(2, 0, 3, &b, &c)); /* an empty shard */
    CHECK(b == 0 && c == 0);
    CHECK_OK(gru_shard(2, 2, 3, &b, &c));
    CHECK(b == 1 && c == 1);
    CHECK_OK(gru_shard(7, 0, 1, &b, &c));
    CHECK(b == 0 && c == 7);
    /* the shards tile the batch, sizes differ by at most one */
    for (size_t n = 0; n < 40; n++)
        for (int sz = 1; sz <= 7; sz++) {
            size_t next = 0, lo = (size_t)-1, hi = 0;
            for (int r = 0; r < sz; r++) {
                CHECK_OK(gru_shard(n, r, sz, &b, &c));
                CHECK(b == next);
                next = b + c;
                lo = c < lo ? c : lo;
                hi = c > hi ? c : hi;
            }
            CHECK(next == n && hi - lo <= 1);
        }
}

static const dp_case g_cases[] = {
    {"f64 adam l2/l1 clipnorm max_norm", GRU_F64, GRU_OPT_ADAM, 0, 1, 1.0},
    {"f64 sgd momentum", GRU_F64, GRU_OPT_SGD, 0, 0, 0.0},
    {"f64 rmsprop return_sequences", GRU_F64, GRU_OPT_RMSPROP, 1, 1, 0.0},
    {"f32 adam l2/l1 clipnorm max_norm", GRU_F32, GRU_OPT_ADAM, 0, 1, 1.0},
    {"f32 sgd return_sequences", GRU_F32, GRU_OPT_SGD, 1, 0, 0.0},
};

/* n = 18 samples in batches of 8: 8, 8, 2 (the last is split 0/1/1 on 3
 * ranks, 0/0/0/1/1 on 5); 3 epochs, no shuffling. */
TEST(reducer_sum_of_shards_is_the_whole_batch) {
    enum { N = 18, B = 8, EPOCHS = 3 };
    static sim s;
    static double x[N * DP_T * DP_F], y[N * DP_T * DP_UO];
    static double w_ref[1024], w_dp[1024];
    const int sizes[] = {1, 2, 3, 5};
    double worst[3] = {0, 0, 0}; /* by dtype */
    for (size_t ci = 0; ci < sizeof g_cases / sizeof g_cases[0]; ci++) {
        const dp_case *c = &g_cases[ci];
        const size_t el = gru_dtype_size(c->dtype);
        const size_t xs = DP_T * DP_F * el, ys = (c->return_sequences ? DP_T : 1) * DP_UO * el;
        dp_data(c, N, x, y);
        dp_model ref;
        CHECK_MSG(dp_model_create(&ref, c, B), "%s: %s", c->name, gru_last_error());
        double ref_loss[EPOCHS * 3];
        int k = 0;
        for (int e = 0; e < EPOCHS; e++)
            for (size_t b0 = 0; b0 < N; b0 += B, k++) {
                const size_t m = N - b0 < B ? N - b0 : B;
                CHECK_OK(gru_seq_model_step(&ref.m, m, (const char *)(const void *)x + b0 * xs,
                                            (const char *)(const void *)y + b0 * ys,
                                            &ref_loss[k]));
            }
        const size_t nw = dp_weights(&ref, w_ref, 1024);
        const double tol = c->dtype == GRU_F64 ? 1e-12 : 1e-5;
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            s.size = sizes[si];
            dp_model dp;
            /* the workspace only needs the largest shard */
            CHECK(dp_model_create(&dp, c, (B + (size_t)s.size - 1) / (size_t)s.size));
            k = 0;
            s.summed = 0;
            double worst_loss = 0.0;
            for (int e = 0; e < EPOCHS; e++)
                for (size_t b0 = 0; b0 < N; b0 += B, k++) {
                    const size_t m = N - b0 < B ? N - b0 : B;
                    double l = NAN;
                    gru_status st = sim_run(&s, &dp, gru_seq_model_step, m,
                                            (const char *)(const void *)x + b0 * xs,
                                            (const char *)(const void *)y + b0 * ys, &l);
                    CHECK_MSG(st == GRU_OK, "%s, %d ranks: %s", c->name, s.size, gru_last_error());
                    const double le = fabs(l - ref_loss[k]) / fmax(fabs(ref_loss[k]), 1.0);
                    worst_loss = le > worst_loss ? le : worst_loss;
                }
            CHECK_MSG(s.summed == k, "%s: %d reductions for %d steps", c->name, s.summed, k);
            CHECK(dp_weights(&dp, w_dp, 1024) == nw);
            const double err = dp_maxrel(w_dp, w_ref, nw);
            if (err > worst[c->dtype]) worst[c->dtype] = err;
            CHECK_MSG(err <= tol && worst_loss <= tol,
                      "%s, %d ranks: weights differ by %.3g, losses by %.3g (bound %g)", c->name,
                      s.size, err, worst_loss, tol);
            /* eval on a shard each: the whole batch's loss */
            double le_ref = NAN, le_dp = NAN;
            CHECK_OK(gru_seq_model_eval(&ref.m, 7, x, y, &le_ref));
            CHECK_OK(sim_run(&s, &dp, gru_seq_model_eval, 7, x, y, &le_dp));
            CHECK_MSG(fabs(le_dp - le_ref) <= tol * fmax(fabs(le_ref), 1.0),
                      "%s, %d ranks: eval loss %.17g vs %.17g", c->name, s.size, le_dp, le_ref);
            dp_model_free(&dp);
        }
        dp_model_free(&ref);
    }
    printf("reducer: worst weight difference to whole-batch training: float64 %.3g, "
           "float32 %.3g\n", worst[GRU_F64], worst[GRU_F32]);
}

TEST(reducer_a_failing_rank_fails_every_rank) {
    static sim s;
    static double x[8 * DP_T * DP_F], y[8 * DP_UO], w0[1024], w1[1024];
    const dp_case c = {"f64", GRU_F64, GRU_OPT_ADAM, 0, 0, 0.0};
    dp_data(&c, 8, x, y);
    y[7 * DP_UO] = NAN; /* a row of rank 1's shard (rows 4..7 of 8 on 2 ranks) */
    dp_model d;
    CHECK(dp_model_create(&d, &c, 8));
    const size_t nw = dp_weights(&d, w0, 1024);
    s.size = 2;
    CHECK_REJECT(sim_run(&s, &d, gru_seq_model_step, 8, x, y, NULL), GRU_E_STATE,
                 "other rank(s) failed");
    CHECK(gru_optimizer_iterations(d.opt) == 0);
    dp_weights(&d, w1, 1024);
    CHECK(memcmp(w0, w1, nw * sizeof(double)) == 0);
    /* the failing rank itself reports its own error (one rank: rank 0) */
    s.size = 1;
    CHECK_REJECT(sim_run(&s, &d, gru_seq_model_step, 8, x, y, NULL), GRU_E_NUMERIC, "NaN");
    CHECK(gru_optimizer_iterations(d.opt) == 0);
    dp_model_free(&d);
}

static gru_status broken_reduce(void *user, gru_dtype dt, void *buf, size_t count) {
    (void)user, (void)dt, (void)buf, (void)count;
    return GRU_E_IO;
}

TEST(reducer_and_mpi_reject_bad_args) {
    static double x[8 * DP_T * DP_F], y[8 * DP_UO];
    const dp_case c = {"f64", GRU_F64, GRU_OPT_ADAM, 0, 0, 0.0};
    dp_data(&c, 8, x, y);
    dp_model d;
    CHECK(dp_model_create(&d, &c, 4));
    double l;
    d.m.reducer.reduce = broken_reduce;
    d.m.reducer.size = 0;
    CHECK_REJECT(gru_seq_model_step(&d.m, 4, x, y, &l), GRU_E_ARG, "model.reducer");
    d.m.reducer.size = 2;
    d.m.reducer.rank = 2;
    CHECK_REJECT(gru_seq_model_eval(&d.m, 4, x, y, &l), GRU_E_ARG, "rank 2, size 2");
    d.m.reducer.rank = -1;
    CHECK_REJECT(gru_seq_model_step(&d.m, 4, x, y, &l), GRU_E_ARG, "model.reducer");
    d.m.reducer.rank = 1;
    /* 4 rows per rank fit; 9 rows on 2 ranks make a shard of 5 */
    CHECK_REJECT(gru_seq_model_step(&d.m, 9, x, y, &l), GRU_E_SHAPE, "largest shard 5");
    CHECK_REJECT(gru_seq_model_step(&d.m, 0, x, y, &l), GRU_E_SHAPE, "batch");
    CHECK_REJECT(gru_seq_model_step(&d.m, 8, x, y, &l), GRU_E_IO, "gradient reduction");
    CHECK_REJECT(gru_seq_model_eval(&d.m, 8, x, y, &l), GRU_E_IO, "rank 1 of 2");
    CHECK(gru_optimizer_iterations(d.opt) == 0);
    d.m.optimizer = NULL;
    CHECK_REJECT(gru_seq_model_step(&d.m, 8, x, y, &l), GRU_E_NULL, "model.optimizer");
    size_t b, n;
    CHECK_REJECT(gru_shard(4, 0, 2, NULL, &n), GRU_E_NULL, "'begin'");
    CHECK_REJECT(gru_shard(4, 0, 0, &b, &n), GRU_E_ARG, "size 0");
    CHECK_REJECT(gru_shard(4, 3, 2, &b, &n), GRU_E_ARG, "rank 3");
    CHECK_REJECT(gru_shard(SIZE_MAX, 2, 3, &b, &n), GRU_E_OVERFLOW, "overflows");
    CHECK_REJECT(gru_cell_set_dropout_stream(NULL, 1), GRU_E_NULL, "cell");
    dp_model_free(&d);
    /* the MPI functions: argument checks with MPI built, or UNSUPPORTED
     * without it; none of these initializes MPI */
    gru_mpi *h = (gru_mpi *)(void *)&b;
    gru_status st = gru_mpi_create(NULL, NULL);
    if (st == GRU_E_UNSUPPORTED) {
        CHECK(strstr(gru_last_error(), "built without MPI") != NULL);
        CHECK_REJECT(gru_mpi_create(NULL, &h), GRU_E_UNSUPPORTED, "gru_mpi_create");
        CHECK(h == NULL);
        CHECK_REJECT(gru_mpi_init(NULL, NULL), GRU_E_UNSUPPORTED, "without MPI");
        CHECK_REJECT(gru_mpi_attach(NULL, NULL), GRU_E_UNSUPPORTED, "without MPI");
        CHECK_REJECT(gru_mpi_save_model(NULL, NULL, NULL), GRU_E_UNSUPPORTED, "without MPI");
        gru_mpi_free(NULL);
        return;
    }
    CHECK(st == GRU_E_NULL && strstr(gru_last_error(), "'out'") != NULL);
    CHECK_REJECT(gru_mpi_init(NULL, (char ***)(void *)&h), GRU_E_NULL, "'argc' and 'argv'");
    CHECK_REJECT(gru_mpi_create(NULL, &h), GRU_E_STATE, "gru_mpi_init first");
    CHECK(h == NULL);
    gru_mpi_stats stats;
    gru_grad_reducer red;
    bool same;
    int rank;
    CHECK_REJECT(gru_mpi_rank(NULL, &rank, NULL), GRU_E_NULL, "'mpi'");
    CHECK_REJECT(gru_mpi_reducer(NULL, &red), GRU_E_NULL, "'mpi'");
    CHECK_REJECT(gru_mpi_attach(NULL, NULL), GRU_E_NULL, "'mpi'");
    CHECK_REJECT(gru_mpi_get_stats(NULL, &stats), GRU_E_NULL, "'mpi'");
    CHECK_REJECT(gru_mpi_reset_stats(NULL), GRU_E_NULL, "'mpi'");
    CHECK_REJECT(gru_mpi_barrier(NULL), GRU_E_NULL, "'mpi'");
    CHECK_REJECT(gru_mpi_bcast(NULL, &rank, sizeof rank, 0), GRU_E_NULL, "'mpi'");
    CHECK_REJECT(gru_mpi_same(NULL, &rank, sizeof rank, &same), GRU_E_NULL, "'mpi'");
    CHECK_REJECT(gru_mpi_save_model(NULL, NULL, "x.grum"), GRU_E_NULL, "'mpi'");
    /* a pointer that is not a handle */
    static uint64_t fake[8];
    CHECK_REJECT(gru_mpi_barrier((gru_mpi *)(void *)fake), GRU_E_ARG, "not a handle");
    gru_mpi_free(NULL);
    CHECK_OK(gru_mpi_finalize()); /* MPI never initialized: nothing to do */
}

TEST(reducer_dropout_streams) {
    gru_cell_config cc;
    gru_cell_config_init(&cc, 4, 3);
    cc.dtype = GRU_F64;
    cc.dropout = 0.5;
    cc.seed = 5;
    gru_cell *a, *b;
    CHECK_OK(gru_cell_create(&cc, &a));
    CHECK_OK(gru_cell_create(&cc, &b));
    double ma[3 * 6 * 3], mb[3 * 6 * 3];
    bool has;
    CHECK_OK(gru_cell_get_dropout_mask(a, GRU_F64, 6, GRU_TRAINING_TRUE, 3, ma, &has));
    /* stream 0: the masks a fresh cell draws */
    CHECK_OK(gru_cell_get_dropout_mask(b, GRU_F64, 6, GRU_TRAINING_TRUE, 3, mb, &has));
    CHECK_OK(gru_cell_set_dropout_stream(b, 0));
    CHECK_OK(gru_cell_get_dropout_mask(b, GRU_F64, 6, GRU_TRAINING_TRUE, 3, mb, &has));
    CHECK(memcmp(ma, mb, sizeof ma) == 0);
    /* stream 1 (rank 1): other masks, the same for the same (seed, stream) */
    CHECK_OK(gru_cell_set_dropout_stream(b, 1));
    CHECK_OK(gru_cell_get_dropout_mask(b, GRU_F64, 6, GRU_TRAINING_TRUE, 3, mb, &has));
    CHECK(memcmp(ma, mb, sizeof ma) != 0);
    CHECK_OK(gru_cell_set_dropout_stream(a, 1));
    CHECK_OK(gru_cell_get_dropout_mask(a, GRU_F64, 6, GRU_TRAINING_TRUE, 3, ma, &has));
    CHECK(memcmp(ma, mb, sizeof ma) == 0);
    gru_cell_free(a);
    gru_cell_free(b);
}

void tests_reducer(void) {
    TR_RUN(reducer_shard_rule);
    TR_RUN(reducer_sum_of_shards_is_the_whole_batch);
    TR_RUN(reducer_a_failing_rank_fails_every_rank);
    TR_RUN(reducer_and_mpi_reject_bad_args);
    TR_RUN(reducer_dropout_streams);
}
