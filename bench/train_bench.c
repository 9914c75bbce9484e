/* Training-step benchmark (not a test): one training step of a GRU layer =
 * forward over T steps (recording the tape), MSE loss on the last output,
 * backpropagation through time, Adam update; float32, one thread. Prints the
 * median time per step for each shape and variant as CSV lines
 *
 *     libgru,variant,B,T,F,U,median_us
 *
 * bench/train_bench.sh runs it beside TF/Keras and PyTorch and prints ratios.
 *     gru_train_bench [reps] B:T:F:U ... */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_clock.h"
#include "bench_try.h"

#include "gru.h"

static void *alloc64(size_t n) { return aligned_alloc(64, (n + 63) / 64 * 64); }

static double bench(int reps, int64_t B, int64_t T, int64_t F, int64_t U, int reset_after) {
    gru_layer_config lc;
    TRY(gru_layer_config_init(&lc, U, F));
    lc.cell.reset_after = reset_after;
    if (reset_after) TRY(gru_activation_from_name("sigmoid", &lc.cell.recurrent_activation));
    gru_layer *l;
    TRY(gru_layer_create(&lc, &l));
    gru_cell *cell = gru_layer_cell(l);
    size_t nk, nr, nb, ntape, nbw;
    TRY(gru_cell_weight_sizes(cell, &nk, &nr, &nb));
    TRY(gru_layer_tape_size(l, B, T, &ntape));
    TRY(gru_layer_backward_workspace_size(l, B, T, &nbw));
    float *x = alloc64(sizeof(float) * (size_t)(B * T * F)), *y = alloc64(sizeof(float) * (size_t)(B * U));
    float *out = alloc64(sizeof(float) * (size_t)(B * U)), *dout = alloc64(sizeof(float) * (size_t)(B * U));
    void *tape = alloc64(ntape), *bw = alloc64(nbw);
    float *gk = alloc64(nk * 4), *gr = alloc64(nr * 4), *gb = alloc64(nb * 4);
    float *wk = alloc64(nk * 4), *wr = alloc64(nr * 4), *wb = alloc64(nb * 4);
    gru_rng rng;
    gru_rng_seed(&rng, 1);
    for (int64_t i = 0; i < B * T * F; i++) x[i] = (float)gru_rng_normal(&rng);
    for (int64_t i = 0; i < B * U; i++) y[i] = (float)gru_rng_normal(&rng);
    TRY(gru_cell_get_weights(cell, GRU_F32, wk, wr, wb));
    gru_optimizer_config oc;
    TRY(gru_optimizer_config_init(&oc, GRU_OPT_ADAM));
    const size_t sizes[3] = {nk, nr, nb};
    gru_optimizer *opt;
    TRY(gru_optimizer_create(&oc, GRU_F32, 3, sizes, &opt));
    gru_cell_grads g = {gk, gr, gb};
    void *vars[3] = {wk, wr, wb};
    const void *grads[3] = {gk, gr, gb};
    gru_seq in = {B, T, x, NULL, NULL};
    double *ts = malloc(sizeof(double) * (size_t)reps);
    for (int rep = -2; rep < reps; rep++) {
        double t0 = now_s() * 1e6;
        TRY(gru_layer_forward_train(l, GRU_F32, &in, NULL, GRU_TRAINING_TRUE, out, tape, ntape));
        const float scale = 2.0f / (float)(B * U); /* d mean((out - y)^2) */
        for (int64_t i = 0; i < B * U; i++) dout[i] = scale * (out[i] - y[i]);
        TRY(gru_cell_grads_zero(cell, &g));
        TRY(gru_layer_backward(l, GRU_F32, &in, tape, dout, NULL, NULL, NULL, &g, bw, nbw));
        TRY(gru_optimizer_apply(opt, GRU_F32, 3, vars, grads));
        TRY(gru_cell_set_weights(cell, GRU_F32, wk, wr, wb));
        if (rep >= 0) ts[rep] = now_s() * 1e6 - t0;
    }
    qsort(ts, (size_t)reps, sizeof *ts, cmp_d);
    double med = ts[reps / 2];
    free(ts), free(x), free(y), free(out), free(dout), free(tape), free(bw);
    free(gk), free(gr), free(gb), free(wk), free(wr), free(wb);
    gru_optimizer_free(opt);
    gru_layer_free(l);
    return med;
}

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 20;
    if (reps < 1) reps = 1;
    for (int i = 2; i < argc; i++) {
        long long B, T, F, U;
        if (sscanf(argv[i], "%lld:%lld:%lld:%lld", &B, &T, &F, &U) != 4) {
            fprintf(stderr, "bad shape %s (want B:T:F:U)\n", argv[i]);
            return 2;
        }
        for (int ra = 0; ra <= 1; ra++)
            printf("libgru,%s,%lld,%lld,%lld,%lld,%.1f\n", ra ? "reset_after" : "v1", B, T, F, U,
                   bench(reps, B, T, F, U, ra));
        fflush(stdout);
    }
    return 0;
}
