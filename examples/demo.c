/* libgru demo: run the Keras v1 GRUCell in C on weights and a sequence that
 * Keras made (data/demo_sequence.golden, written by tools/oracle/make_demo.py
 * with tf-keras 2.21), and print libgru's outputs beside Keras' with the
 * largest difference.
 *
 *     gru_demo [path/to/demo_sequence.golden]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"
#include "gru.h"

#ifndef GRU_SOURCE_DATA_DIR
#define GRU_SOURCE_DATA_DIR "data"
#endif

static int fail(const char *what, gru_status s) {
    fprintf(stderr, "gru_demo: %s failed: %s (%s)\n", what, gru_status_name(s), gru_last_error());
    return 1;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : GRU_SOURCE_DATA_DIR "/demo_sequence.golden";
    golden g;
    char err[256];
    if (golden_load(path, &g, err, sizeof err)) {
        fprintf(stderr, "gru_demo: %s\n", err);
        return 1;
    }
    const int64_t U = (int64_t)golden_meta_num(&g, "units", 0);
    const int64_t F = (int64_t)golden_meta_num(&g, "input_dim", 0);
    const int64_t T = (int64_t)golden_meta_num(&g, "steps", 0);
    const golden_array *k = golden_get(&g, "kernel"), *r = golden_get(&g, "recurrent_kernel"),
                       *b = golden_get(&g, "bias"), *x = golden_get(&g, "x"), *h = golden_get(&g, "h");
    if (!k || !r || !b || !x || !h || x->n != (size_t)(T * F) || h->n != (size_t)(T * U)) {
        fprintf(stderr, "gru_demo: %s lacks kernel/recurrent_kernel/bias/x/h\n", path);
        golden_free(&g);
        return 1;
    }

    /* tf.compat.v1.keras.layers.GRUCell(units) with its v1 defaults:
     * tanh, hard_sigmoid, reset_after=False, implementation=1. */
    gru_cell_config cfg;
    gru_status s = gru_cell_config_init(&cfg, U, F);
    if (s) return fail("gru_cell_config_init", s);
    gru_cell *cell;
    if ((s = gru_cell_create(&cfg, &cell))) return fail("gru_cell_create", s);
    /* The golden holds float32 values exactly; the cell converts from double. */
    if ((s = gru_cell_set_weights(cell, GRU_F64, k->data, r->data, b->data)))
        return fail("gru_cell_set_weights", s);

    float *state = calloc((size_t)U, sizeof(float)), *xt = malloc((size_t)F * sizeof(float));
    if (!state || !xt) return 1;
    printf("libgru %s: tf.compat.v1.keras.layers.GRUCell(units=%lld), input_dim=%lld, %lld steps\n",
           gru_version(), (long long)U, (long long)F, (long long)T);
    printf("weights and reference outputs from %s (%s)\n\n", path,
           golden_meta(&g, "keras") ? golden_meta(&g, "keras") : "Keras");
    printf("%4s  %21s  %23s  %23s  %9s\n", "t", "input", "libgru h[0..2]", "Keras h[0..2]", "max|diff|");
    double worst = 0.0;
    int64_t worst_t = 0;
    for (int64_t t = 0; t < T; t++) {
        for (int64_t i = 0; i < F; i++) xt[i] = (float)x->data[t * F + i];
        if ((s = gru_cell_call(cell, GRU_F32, 1, xt, state, GRU_TRAINING_FALSE, state)))
            return fail("gru_cell_call", s);
        const double *want = h->data + t * U;
        double d = 0.0;
        for (int64_t j = 0; j < U; j++) d = fmax(d, fabs((double)state[j] - want[j]));
        if (d > worst) worst = d, worst_t = t;
        if (t < 8 || t % 10 == 9 || t == T - 1)
            printf("%4lld  %+9.5f %+9.5f   %+7.4f %+7.4f %+7.4f  %+7.4f %+7.4f %+7.4f  %9.2e\n",
                   (long long)t, (double)xt[0], F > 1 ? (double)xt[1] : 0.0, (double)state[0],
                   (double)state[1], (double)state[2], want[0], want[1], want[2], d);
    }
    printf("\nlargest |libgru - Keras| over all %lld steps x %lld units: %.3g (step %lld)\n",
           (long long)T, (long long)U, worst, (long long)worst_t);
    const int ok = worst <= 1e-5;
    printf("%s\n", ok ? "libgru matches Keras." : "MISMATCH: libgru differs from Keras.");
    free(state);
    free(xt);
    gru_cell_free(cell);
    golden_free(&g);
    return ok ? 0 : 1;
}
