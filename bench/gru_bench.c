/* Inference benchmark (not a test): gru_layer_forward of a GRU layer over a
 * sequence, float32, on one thread (libgru never starts threads), or with
 * -t N on a pool of N threads the benchmark creates (gru_threadpool_create,
 * gru_layer_set_threadpool; rows split for B > 1, units for B = 1),
 * return_sequences = false (output (B,U), the last state), no mask, no
 * dropout. Two variants:
 *
 *     v1           reset_after = false, recurrent_activation = hard_sigmoid
 *                  (tf.compat.v1.keras.layers.GRU defaults)
 *     reset_after  reset_after = true, recurrent_activation = sigmoid
 *                  (the cuDNN / PyTorch / lbr_gru formulation)
 *
 * For each B:T:F:U it prints one CSV line
 *
 *     libgru/KERNEL,variant,B,T,F,U,reps,wall_ns,cpu_ns
 *
 * (libgru-tN/KERNEL with -t N, N > 1).
 *
 * KERNEL: gru_cell_kernel_name, the SIMD variant the cell runs. wall_ns and
 * cpu_ns: the median wall time and the median process CPU time of one
 * forward call, divided by T: ns per step of the whole batch. (CPU time is
 * the steadier measure on a machine shared with other work; both are equal
 * on a quiet one.) bench/report.py derives GFLOP/s from them with the FLOPs
 * of one step, B * 2 * 3U * (F + U): the multiply-adds of the input
 * projection x W (F x 3U) and of the recurrent projection h R (U x 3U),
 * 2 FLOPs each. Bias adds, gate activations and the state update (O(U) per
 * step) are not counted, as usual for RNN benchmarks.
 *
 * Each measurement is one warm-up call, then calls until the time budget is
 * spent (at least GRU_BENCH_MIN_REPS = 3 and at most GRU_BENCH_MAX_REPS =
 * 51 timed calls; just one when the warm-up call alone took longer than the
 * budget); the median is reported.
 *
 *     gru_bench [-t threads] [budget_seconds] [B:T:F:U ...]
 *
 * Without shapes: B in {1, 64, 256} x U in {32, 64, 128, 256, 512}, F = U,
 * T = 100. bench/run.sh runs it beside oneDNN, PyTorch, ONNX Runtime and
 * TF/Keras. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_clock.h"
#include "bench_try.h"

#include "gru.h"

#define GRU_BENCH_MIN_REPS 3
#define GRU_BENCH_MAX_REPS 51

static void *alloc64(size_t n) { return aligned_alloc(64, (n + 63) / 64 * 64); }

typedef struct timing {
    double wall, cpu; /* medians, seconds per call */
    int reps;         /* timed calls */
} timing;

static timing bench(double budget, int64_t B, int64_t T, int64_t F, int64_t U, int reset_after,
                    gru_threadpool *pool, const char **kernel) {
    gru_layer_config lc;
    TRY(gru_layer_config_init(&lc, U, F));
    lc.cell.reset_after = reset_after;
    if (reset_after) TRY(gru_activation_from_name("sigmoid", &lc.cell.recurrent_activation));
    gru_layer *l;
    TRY(gru_layer_create(&lc, &l));
    gru_cell *cell = gru_layer_cell(l);
    *kernel = gru_cell_kernel_name(cell); /* a static string */
    size_t nk, nr, nb, nws;
    TRY(gru_cell_weight_sizes(cell, &nk, &nr, &nb));
    /* Non-zero biases so no path is skipped. */
    float *wk = alloc64(nk * 4), *wr = alloc64(nr * 4), *wb = alloc64(nb * 4);
    TRY(gru_cell_get_weights(cell, GRU_F32, wk, wr, wb));
    gru_rng rng;
    gru_rng_seed(&rng, 1);
    for (size_t i = 0; i < nb; i++) wb[i] = (float)(0.1 * gru_rng_normal(&rng));
    TRY(gru_cell_set_weights(cell, GRU_F32, wk, wr, wb));
    TRY(gru_layer_set_threadpool(l, pool)); /* before sizing the workspace */
    TRY(gru_layer_workspace_size(l, B, T, &nws));
    size_t nx = (size_t)(B * T * F);
    float *x = alloc64(sizeof(float) * nx), *out = alloc64(sizeof(float) * (size_t)(B * U));
    void *ws = alloc64(nws > 0 ? nws : 1);
    for (size_t i = 0; i < nx; i++) x[i] = (float)gru_rng_normal(&rng);
    gru_seq in = {B, T, x, NULL, NULL};

    double ts[GRU_BENCH_MAX_REPS], cs[GRU_BENCH_MAX_REPS];
    int reps = 0;
    double start = now_s();
    TRY(gru_layer_forward(l, GRU_F32, &in, NULL, GRU_TRAINING_FALSE, out, ws, nws)); /* warm-up */
    int min_reps = now_s() - start > budget ? 1 : GRU_BENCH_MIN_REPS; /* slow: time one call */
    start = now_s();
    while (reps < GRU_BENCH_MAX_REPS && (reps < min_reps || now_s() - start < budget)) {
        double t0 = now_s(), c0 = cpu_s();
        TRY(gru_layer_forward(l, GRU_F32, &in, NULL, GRU_TRAINING_FALSE, out, ws, nws));
        cs[reps] = cpu_s() - c0;
        ts[reps++] = now_s() - t0;
    }
    qsort(ts, (size_t)reps, sizeof *ts, cmp_d);
    qsort(cs, (size_t)reps, sizeof *cs, cmp_d);
    timing tm = {ts[reps / 2], cs[reps / 2], reps};
    volatile float sink = out[0]; /* keep the result alive */
    (void)sink;
    free(x), free(out), free(ws), free(wk), free(wr), free(wb);
    gru_layer_free(l);
    return tm;
}

int main(int argc, char **argv) {
    int threads = 1;
    if (argc > 2 && strcmp(argv[1], "-t") == 0) {
        threads = atoi(argv[2]);
        if (threads < 1) {
            fprintf(stderr, "bad thread count %s\n", argv[2]);
            return 2;
        }
        argv += 2;
        argc -= 2;
    }
    gru_threadpool *pool = NULL;
    if (threads > 1) TRY(gru_threadpool_create(threads, &pool));
    char label[32] = "libgru";
    if (threads > 1) snprintf(label, sizeof label, "libgru-t%d", threads);
    double budget = argc > 1 ? atof(argv[1]) : 1.0;
    if (!(budget > 0)) budget = 1.0;
    static const char *const defaults[] = {
        "1:100:32:32",    "1:100:64:64",    "1:100:128:128",    "1:100:256:256",
        "1:100:512:512",  "64:100:32:32",   "64:100:64:64",     "64:100:128:128",
        "64:100:256:256", "64:100:512:512", "256:100:32:32",    "256:100:64:64",
        "256:100:128:128", "256:100:256:256", "256:100:512:512"};
    int nshapes = argc > 2 ? argc - 2 : (int)(sizeof defaults / sizeof defaults[0]);
    for (int i = 0; i < nshapes; i++) {
        const char *s = argc > 2 ? argv[i + 2] : defaults[i];
        long long B, T, F, U;
        if (sscanf(s, "%lld:%lld:%lld:%lld", &B, &T, &F, &U) != 4 || B < 1 || T < 1 || F < 1 ||
            U < 1) {
            fprintf(stderr, "bad shape %s (want B:T:F:U)\n", s);
            return 2;
        }
        for (int ra = 0; ra <= 1; ra++) {
            const char *kernel;
            timing tm = bench(budget, B, T, F, U, ra, pool, &kernel);
            printf("%s/%s,%s,%lld,%lld,%lld,%lld,%d,%.1f,%.1f\n",
                   label, kernel, ra ? "reset_after" : "v1", B, T, F, U, tm.reps, tm.wall * 1e9 / (double)T,
                   tm.cpu * 1e9 / (double)T);
            fflush(stdout);
        }
    }
    gru_threadpool_free(pool);
    return 0;
}
