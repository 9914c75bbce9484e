/* libgru demo, on data Keras made (tools/oracle/make_demo.py, tf-keras 2.21):
 *  1. the v1 GRUCell over a two-channel sequence (data/demo_sequence.golden),
 *  2. Bidirectional(GRU(return_sequences=True)) over a padded, masked batch
 *     of three sequences (data/demo_bidirectional.golden),
 * each printed beside Keras' outputs with the largest difference.
 *
 *     gru_demo [data-dir]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
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

static int cell_demo(const char *path) {
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

static int bidirectional_demo(const char *path) {
    golden g;
    char err[256];
    if (golden_load(path, &g, err, sizeof err)) {
        fprintf(stderr, "gru_demo: %s\n", err);
        return 1;
    }
    const int64_t U = (int64_t)golden_meta_num(&g, "units", 0);
    const int64_t F = (int64_t)golden_meta_num(&g, "input_dim", 0);
    const int64_t B = (int64_t)golden_meta_num(&g, "batch", 0);
    const int64_t T = (int64_t)golden_meta_num(&g, "steps", 0);
    const char *names[] = {"kernel", "recurrent_kernel", "bias", "kernel_b", "recurrent_kernel_b",
                           "bias_b", "x", "mask", "out"};
    const golden_array *a[9];
    for (int i = 0; i < 9; i++)
        if (!(a[i] = golden_get(&g, names[i]))) {
            fprintf(stderr, "gru_demo: %s lacks %s\n", path, names[i]);
            golden_free(&g);
            return 1;
        }
    /* Bidirectional(tf.compat.v1.keras.layers.GRU(U, return_sequences=True)) */
    gru_bidirectional_config cfg;
    gru_status s = gru_bidirectional_config_init(&cfg, U, F);
    if (s) return fail("gru_bidirectional_config_init", s);
    cfg.layer.return_sequences = true;
    cfg.merge_mode = GRU_MERGE_CONCAT;
    gru_bidirectional *bi;
    if ((s = gru_bidirectional_create(&cfg, &bi))) return fail("gru_bidirectional_create", s);
    for (int d = 0; d < 2; d++) {
        gru_cell *cell = gru_layer_cell(gru_bidirectional_layer(bi, d));
        if ((s = gru_cell_set_weights(cell, GRU_F64, a[3 * d]->data, a[3 * d + 1]->data,
                                      a[3 * d + 2]->data)))
            return fail("gru_cell_set_weights", s);
    }
    const int64_t W = gru_bidirectional_output_width(bi);
    float *x = malloc(sizeof(float) * (size_t)(B * T * F)), *out = malloc(sizeof(float) * (size_t)(B * T * W));
    uint8_t *mask = malloc((size_t)(B * T));
    size_t wsn;
    if ((s = gru_bidirectional_workspace_size(bi, B, T, &wsn))) return fail("workspace_size", s);
    void *ws = aligned_alloc(64, (wsn + 63) / 64 * 64);
    if (!x || !out || !mask || !ws) return 1;
    for (int64_t i = 0; i < B * T * F; i++) x[i] = (float)a[6]->data[i];
    for (int64_t i = 0; i < B * T; i++) mask[i] = a[7]->data[i] != 0.0;
    gru_seq in = {B, T, x, mask, NULL};
    if ((s = gru_bidirectional_forward(bi, GRU_F32, &in, NULL, GRU_TRAINING_FALSE, out, NULL, ws, wsn)))
        return fail("gru_bidirectional_forward", s);

    printf("\nBidirectional(GRU(units=%lld, return_sequences=True)), merge concat: a padded batch of %lld "
           "sequences, %lld steps, masked\n", (long long)U, (long long)B, (long long)T);
    printf("(masked steps: both directions output 0, as Keras' Bidirectional sets "
           "zero_output_for_mask)\n\n");
    printf("%6s %4s %4s  %29s  %29s  %9s\n", "sample", "t", "mask", "libgru [fwd0 fwd1 | bwd0 bwd1]",
           "Keras  [fwd0 fwd1 | bwd0 bwd1]", "max|diff|");
    double worst = 0.0;
    for (int64_t b = 0; b < B; b++) {
        for (int64_t t = 0; t < T; t++) {
            const float *o = out + (b * T + t) * W;
            const double *k = a[8]->data + (b * T + t) * W;
            double d = 0.0;
            for (int64_t j = 0; j < W; j++) d = fmax(d, fabs((double)o[j] - k[j]));
            worst = fmax(worst, d);
            printf("%6lld %4lld %4d  %+6.3f %+6.3f | %+6.3f %+6.3f  %+6.3f %+6.3f | %+6.3f %+6.3f  %9.2e\n",
                   (long long)b, (long long)t, mask[b * T + t], (double)o[0], (double)o[1],
                   (double)o[U], (double)o[U + 1], k[0], k[1], k[U], k[U + 1], d);
        }
    }
    printf("\nlargest |libgru - Keras| over the batch: %.3g\n", worst);
    const int ok = worst <= 1e-5;
    printf("%s\n", ok ? "libgru matches Keras." : "MISMATCH: libgru differs from Keras.");
    free(x), free(out), free(mask), free(ws);
    gru_bidirectional_free(bi);
    golden_free(&g);
    return ok ? 0 : 1;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : GRU_SOURCE_DATA_DIR;
    char p1[1024], p2[1024];
    snprintf(p1, sizeof p1, "%s/demo_sequence.golden", dir);
    snprintf(p2, sizeof p2, "%s/demo_bidirectional.golden", dir);
    int rc = cell_demo(p1);
    rc |= bidirectional_demo(p2);
    return rc;
}
