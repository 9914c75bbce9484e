/* Data-parallel training over MPI, run under mpirun (tools/test.sh runs it
 * with -np 2 and -np 3; -np 1 works too):
 *
 *     mpirun -np 3 build/release/gru_mpi_tests
 *
 * Every rank trains the same model through gru_fit on its shard of each
 * mini-batch (gru_mpi_attach); rank 0 also trains a copy on the whole
 * batches in one process. Checks: the final weights and the per-epoch
 * losses equal single-process training (<= 1e-12 float64, <= 1e-5
 * float32, relative to max(|w|, 1)), every rank holds bitwise the same
 * weights, one MPI_Allreduce per step, a failing rank fails every rank
 * without a hang, and a checkpoint written by rank 0 alone reads back on
 * every rank. Rank 0 prints the runner's summary line "N passed, M failed"
 * (summed over ranks). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../dp_model.h"

static int g_rank, g_size, g_passed, g_failed;

#define EXPECT(cond, ...)                                                        \
    do {                                                                         \
        if (cond) {                                                              \
            g_passed++;                                                          \
        } else {                                                                 \
            g_failed++;                                                          \
            printf("FAIL  [rank %d] %s:%d: ", g_rank, __FILE__, __LINE__);       \
            printf(__VA_ARGS__);                                                 \
            printf("\n");                                                        \
            fflush(stdout);                                                      \
        }                                                                        \
    } while (0)

enum { N_VAL = 5, EPOCHS = 3, BATCH = 8 };

/* Train case c on n samples (last batch n % 8) through gru_fit, data-parallel
 * and (rank 0) single-process, and compare. */
static void train_case(gru_mpi *mpi, const dp_case *c, size_t n, double *worst) {
    static double x[(DP_MAXN + N_VAL) * DP_T * DP_F], y[(DP_MAXN + N_VAL) * DP_T * DP_UO];
    static double w_dp[1024], w_ref[1024];
    const size_t el = gru_dtype_size(c->dtype);
    const size_t xs = DP_T * DP_F, ys = (c->return_sequences ? DP_T : 1) * DP_UO;
    dp_data(c, n + N_VAL, x, y);
    gru_fit_data fd = {c->dtype, n, xs, ys, x, y, N_VAL, (const char *)(const void *)x + n * xs * el,
                       (const char *)(const void *)y + n * ys * el};
    gru_fit_config fc;
    gru_fit_config_init(&fc);
    fc.epochs = EPOCHS;
    fc.batch_size = BATCH;
    fc.seed = 3; /* the same permutation on every rank */
    size_t wsb = 0;
    gru_fit_workspace_size(&fc, &fd, &wsb);
    void *ws = aligned_alloc(64, (wsb + 63) / 64 * 64);

    dp_model dp;
    const size_t shard = (BATCH + (size_t)g_size - 1) / (size_t)g_size;
    EXPECT(dp_model_create(&dp, c, shard), "%s: model: %s", c->name, gru_last_error());
    EXPECT(gru_mpi_attach(mpi, &dp.m) == GRU_OK, "%s: attach: %s", c->name, gru_last_error());
    gru_mpi_reset_stats(mpi);
    double el_dp[EPOCHS], vl_dp[EPOCHS];
    gru_status s = gru_fit(&fc, &fd, gru_seq_model_step, gru_seq_model_eval, &dp.m, ws, wsb,
                           el_dp, vl_dp, NULL);
    EXPECT(s == GRU_OK, "%s (n %zu): data-parallel fit: %s", c->name, n, gru_last_error());
    gru_mpi_stats st;
    gru_mpi_get_stats(mpi, &st);
    const uint64_t steps = EPOCHS * ((n + BATCH - 1) / BATCH);
    const uint64_t evals = EPOCHS * ((N_VAL + BATCH - 1) / BATCH);
    EXPECT(st.calls == steps + evals, "%s: %llu reductions, want %llu (one per step and eval)",
           c->name, (unsigned long long)st.calls, (unsigned long long)(steps + evals));
    const size_t nw = dp_weights(&dp, w_dp, 1024);
    bool same = false;
    EXPECT(gru_mpi_same(mpi, w_dp, nw * sizeof(double), &same) == GRU_OK && same,
           "%s (n %zu): ranks hold different weights", c->name, n);
    bool same_it = false;
    int64_t it = gru_optimizer_iterations(dp.opt);
    EXPECT(gru_mpi_same(mpi, &it, sizeof it, &same_it) == GRU_OK && same_it && it == (int64_t)steps,
           "%s: optimizer iterations %lld differ or are not %llu", c->name, (long long)it,
           (unsigned long long)steps);

    if (g_rank == 0) { /* the whole batches in this process */
        dp_model ref;
        EXPECT(dp_model_create(&ref, c, BATCH), "%s: model: %s", c->name, gru_last_error());
        double el_ref[EPOCHS], vl_ref[EPOCHS];
        s = gru_fit(&fc, &fd, gru_seq_model_step, gru_seq_model_eval, &ref.m, ws, wsb, el_ref,
                    vl_ref, NULL);
        EXPECT(s == GRU_OK, "%s: single-process fit: %s", c->name, gru_last_error());
        EXPECT(dp_weights(&ref, w_ref, 1024) == nw, "%s: weight counts differ", c->name);
        const double err = dp_maxrel(w_dp, w_ref, nw);
        const double tol = c->dtype == GRU_F64 ? 1e-12 : 1e-5;
        if (err > worst[c->dtype]) worst[c->dtype] = err;
        EXPECT(err <= tol, "%s (n %zu, %d ranks): weights differ from single-process training "
               "by %.3g (bound %g)", c->name, n, g_size, err, tol);
        const double le = dp_maxrel(el_dp, el_ref, EPOCHS), lv = dp_maxrel(vl_dp, vl_ref, EPOCHS);
        EXPECT(le <= tol && lv <= tol, "%s: epoch losses differ by %.3g, val losses by %.3g",
               c->name, le, lv);
        printf("ok    %s, n %zu (last batch %zu), %d ranks: max weight difference %.3g\n",
               c->name, n, n % BATCH ? n % BATCH : BATCH, g_size, err);
        dp_model_free(&ref);
    }
    dp_model_free(&dp);
    free(ws);
}

/* NaN in the last sample's target: only the last rank's shard sees it, yet
 * every rank must fail (and none may hang in the reduction). */
static void failing_rank(gru_mpi *mpi) {
    static double x[BATCH * DP_T * DP_F], y[BATCH * DP_UO];
    const dp_case c = {"f64", GRU_F64, GRU_OPT_ADAM, 0, 0, 0.0};
    dp_data(&c, BATCH, x, y);
    y[(BATCH - 1) * DP_UO] = NAN;
    dp_model d;
    EXPECT(dp_model_create(&d, &c, BATCH), "model: %s", gru_last_error());
    gru_mpi_attach(mpi, &d.m);
    double loss = 0;
    gru_status s = gru_seq_model_step(&d.m, BATCH, x, y, &loss);
    const gru_status want = g_rank == g_size - 1 ? GRU_E_NUMERIC : GRU_E_STATE;
    EXPECT(s == want, "a NaN on the last rank: rank %d returned %s, want %s (%s)", g_rank,
           gru_status_name(s), gru_status_name(want), gru_last_error());
    EXPECT(gru_optimizer_iterations(d.opt) == 0, "a failed step updated the weights");
    dp_model_free(&d);
}

/* gru_mpi_save_model: rank 0 writes (temporary file + rename), every rank
 * reads the file once the call returns. */
static void checkpoint(gru_mpi *mpi) {
    gru_model_node nd[3];
    gru_model_node_init(&nd[0], GRU_NODE_INPUT, "x");
    nd[0].input.rank = 2;
    nd[0].input.shape[0] = DP_T;
    nd[0].input.shape[1] = DP_F;
    gru_model_node_init(&nd[1], GRU_NODE_GRU, "gru");
    gru_layer_config_init(&nd[1].gru, DP_U, DP_F);
    nd[1].n_inputs = 1;
    gru_model_node_init(&nd[2], GRU_NODE_DENSE, "head");
    nd[2].dense.units = DP_UO;
    nd[2].n_inputs = 1;
    nd[2].inputs[0].node = 1;
    gru_model_ref out = {2, 0};
    gru_model *m = NULL;
    EXPECT(gru_model_create(nd, 3, &out, 1, GRU_F32, &m) == GRU_OK, "model: %s", gru_last_error());
    /* one path for all ranks, chosen by rank 0 and broadcast */
    char path[256];
    srand((unsigned)time(NULL));
    if (g_rank == 0) snprintf(path, sizeof path, "/tmp/gru_mpi_test_%d.grum", rand());
    gru_mpi_bcast(mpi, path, sizeof path, 0);
    if (g_rank == 0) remove(path);
    gru_mpi_barrier(mpi);
    gru_status s = gru_mpi_save_model(mpi, g_rank == 0 ? m : NULL, path);
    EXPECT(s == GRU_OK, "save: %s", gru_last_error());
    gru_model *back = NULL;
    s = gru_model_load_path(path, &back);
    EXPECT(s == GRU_OK, "rank %d reads the checkpoint: %s", g_rank, gru_last_error());
    gru_model_free(back);
    gru_mpi_barrier(mpi);
    if (g_rank == 0) remove(path);
    /* a failing save on rank 0 fails every rank */
    s = gru_mpi_save_model(mpi, NULL, path);
    EXPECT(s == GRU_E_NULL, "a NULL model on rank 0: rank %d got %s", g_rank, gru_status_name(s));
    gru_model_free(m);
}

int main(int argc, char **argv) {
    if (gru_mpi_init(&argc, &argv) != GRU_OK) {
        printf("FAIL  gru_mpi_init: %s\n0 passed, 1 failed\n", gru_last_error());
        return 1;
    }
    gru_mpi *mpi = NULL;
    if (gru_mpi_create(NULL, &mpi) != GRU_OK || gru_mpi_rank(mpi, &g_rank, &g_size) != GRU_OK) {
        printf("FAIL  gru_mpi_create: %s\n0 passed, 1 failed\n", gru_last_error());
        return 1;
    }
    if (g_rank == 0) printf("mpi: %d ranks\n", g_size);
    static const dp_case cases[] = {
        {"f64 adam l2/l1 clipnorm max_norm", GRU_F64, GRU_OPT_ADAM, 0, 1, 1.0},
        {"f64 sgd momentum return_sequences", GRU_F64, GRU_OPT_SGD, 1, 1, 0.0},
        {"f32 adam l2/l1 clipnorm max_norm", GRU_F32, GRU_OPT_ADAM, 0, 1, 1.0},
        {"f32 sgd momentum", GRU_F32, GRU_OPT_SGD, 0, 0, 0.0},
    };
    double worst[3] = {0, 0, 0};
    /* 23 samples: batches 8, 8, 7; 18: 8, 8, 2 (an empty shard on 3 ranks) */
    const size_t ns[] = {23, 18};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (size_t j = 0; j < 2; j++) train_case(mpi, &cases[i], ns[j], worst);
    failing_rank(mpi);
    checkpoint(mpi);
    if (g_rank == 0)
        printf("mpi: worst weight difference to single-process training: float64 %.3g, "
               "float32 %.3g\n", worst[GRU_F64], worst[GRU_F32]);
    /* the counts of all ranks, through the library's own reducer */
    gru_grad_reducer red;
    double counts[2] = {g_passed, g_failed};
    if (gru_mpi_reducer(mpi, &red) || red.reduce(red.user, GRU_F64, counts, 2)) counts[1] += 1;
    if (g_rank == 0) printf("%d passed, %d failed\n", (int)counts[0], (int)counts[1]);
    gru_mpi_free(mpi);
    gru_mpi_finalize();
    return counts[1] == 0 ? 0 : 1;
}
