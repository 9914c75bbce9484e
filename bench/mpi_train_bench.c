/* Data-parallel training throughput (a benchmark, not a test): GRU(U) +
 * Dense(1), float32, Adam, MSE, one gru_seq_model_step per global
 * mini-batch of B sequences (T steps, F features), each rank on its shard.
 * Run under mpirun (bench/mpi_bench.sh runs 1, 2 and 4 ranks):
 *
 *     mpirun -np 2 build/release/gru_mpi_bench [steps] [B:T:F:U ...]
 *
 * Rank 0 prints one CSV line per shape:
 *   ranks,B,T,F,U,params,bytes_per_step,step_ms,samples_per_s,allreduce_ms,bare_ms
 * step_ms is the wall time of one global step (the slowest rank: a barrier
 * closes the timed loop), allreduce_ms the time per step rank 0 spent inside
 * MPI_Allreduce (waiting for the other ranks included), bytes_per_step what
 * each rank sends into the reduction per step (the fused gradient buffer),
 * bare_ms the median of 20 reductions of that buffer alone, each after a
 * barrier (the transport's cost, without waiting for slower ranks). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_clock.h"
#include "gru.h"

#define TRY(expr)                                                                      \
    do {                                                                               \
        gru_status s_ = (expr);                                                        \
        if (s_ != GRU_OK) {                                                            \
            fprintf(stderr, "%s failed: %s\n", #expr, gru_last_error());              \
            return 1;                                                                  \
        }                                                                              \
    } while (0)

static int run_shape(gru_mpi *mpi, int rank, int size, int steps, long B, long T, long F,
                     long U) {
    gru_layer_config lc;
    TRY(gru_layer_config_init(&lc, U, F));
    lc.cell.seed = 1;
    lc.cell.reset_after = true;
    lc.cell.recurrent_activation.kind = GRU_ACT_SIGMOID;
    gru_layer *layer;
    TRY(gru_layer_create(&lc, &layer));
    gru_dense_config dc;
    TRY(gru_dense_config_init(&dc, 1, U));
    dc.seed = 2;
    gru_dense *head;
    TRY(gru_dense_create(&dc, &head));
    gru_seq_model m;
    memset(&m, 0, sizeof m);
    m.layer = layer;
    m.head = head;
    TRY(gru_loss_config_init(&m.loss, GRU_LOSS_MSE));
    m.steps = T;
    m.max_batch = ((size_t)B + (size_t)size - 1) / (size_t)size; /* the largest shard */
    TRY(gru_seq_model_workspace_size(&m, m.max_batch, &m.ws_bytes));
    m.workspace = aligned_alloc(64, (m.ws_bytes + 63) / 64 * 64);
    void *params[5];
    size_t sizes[5], count, np = 0;
    TRY(gru_seq_model_params(&m, params, sizes, &count));
    for (size_t i = 0; i < count; i++) np += sizes[i];
    gru_optimizer_config oc;
    TRY(gru_optimizer_config_init(&oc, GRU_OPT_ADAM));
    gru_optimizer *opt;
    TRY(gru_optimizer_create(&oc, GRU_F32, count, sizes, &opt));
    m.optimizer = opt;
    TRY(gru_mpi_attach(mpi, &m));
    const size_t nx = (size_t)(B * T * F);
    float *x = malloc(nx * sizeof *x), *y = malloc((size_t)B * sizeof *y);
    if (!x || !y || !m.workspace) return 1;
    for (size_t i = 0; i < nx; i++) x[i] = (float)((double)(i * 2654435761u % 1000) / 500.0 - 1.0);
    for (long i = 0; i < B; i++) y[i] = (float)((double)(i % 7) / 7.0);
    double loss;
    for (int w = 0; w < 2; w++) TRY(gru_seq_model_step(&m, (size_t)B, x, y, &loss));
    TRY(gru_mpi_reset_stats(mpi));
    TRY(gru_mpi_barrier(mpi));
    const double t0 = now_s();
    for (int s = 0; s < steps; s++) TRY(gru_seq_model_step(&m, (size_t)B, x, y, &loss));
    TRY(gru_mpi_barrier(mpi));
    const double dt = now_s() - t0;
    gru_mpi_stats st;
    TRY(gru_mpi_get_stats(mpi, &st));
    const size_t nbuf = st.calls ? (size_t)(st.bytes / st.calls) / sizeof(float) : 0;
    float *buf = calloc(nbuf + 1, sizeof *buf);
    gru_grad_reducer red;
    TRY(gru_mpi_reducer(mpi, &red));
    double bare[20];
    for (int i = 0; i < 20 && buf; i++) {
        TRY(gru_mpi_barrier(mpi));
        const double b0 = now_s();
        TRY(red.reduce(red.user, GRU_F32, buf, nbuf));
        bare[i] = now_s() - b0;
    }
    qsort(bare, 20, sizeof bare[0], cmp_d);
    free(buf);
    if (rank == 0)
        printf("%d,%ld,%ld,%ld,%ld,%zu,%llu,%.4f,%.1f,%.4f,%.4f\n", size, B, T, F, U, np,
               (unsigned long long)(st.calls ? st.bytes / st.calls : 0), dt * 1e3 / steps,
               (double)B * steps / dt, st.seconds * 1e3 / steps, bare[10] * 1e3);
    fflush(stdout);
    free(x);
    free(y);
    free(m.workspace);
    gru_optimizer_free(opt);
    gru_dense_free(head);
    gru_layer_free(layer);
    return 0;
}

int main(int argc, char **argv) {
    if (gru_mpi_init(&argc, &argv) != GRU_OK) {
        fprintf(stderr, "%s\n", gru_last_error());
        return 1;
    }
    gru_mpi *mpi;
    int rank, size;
    if (gru_mpi_create(NULL, &mpi) || gru_mpi_rank(mpi, &rank, &size)) {
        fprintf(stderr, "%s\n", gru_last_error());
        return 1;
    }
    const int steps = argc > 1 ? atoi(argv[1]) : 20;
    const char *defaults[] = {"64:50:16:64", "64:50:16:256"};
    const int nshape = argc > 2 ? argc - 2 : 2;
    int rc = 0;
    for (int i = 0; i < nshape && !rc; i++) {
        long B, T, F, U;
        const char *sh = argc > 2 ? argv[2 + i] : defaults[i];
        if (sscanf(sh, "%ld:%ld:%ld:%ld", &B, &T, &F, &U) != 4 || B <= 0 || T <= 0 || F <= 0 ||
            U <= 0 || steps <= 0) {
            if (rank == 0) fprintf(stderr, "usage: gru_mpi_bench [steps] [B:T:F:U ...]\n");
            rc = 2;
            break;
        }
        rc = run_shape(mpi, rank, size, steps, B, T, F, U);
    }
    gru_mpi_free(mpi);
    gru_mpi_finalize();
    return rc;
}
