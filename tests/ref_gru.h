/* A hand-written float64 reference of the Keras v1 GRU layer (tanh,
 * hard_sigmoid, reset_after = false, implementation 1) with Keras' masking
 * rule, written out from the formulas and independent of src/: used by the
 * Bidirectional and stack tests. Also weight and input helpers. */
#ifndef GRU_TEST_REF_GRU_H
#define GRU_TEST_REF_GRU_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gru.h"

/* Weights in Keras layout: kernel (F,3U), recurrent (U,3U), bias (3U) (6U
 * allocated so that reset_after layers accept it too). */
typedef struct ref_w {
    int F, U;
    double *k, *r, *b;
} ref_w;

static inline void ref_fill(double *p, size_t n, unsigned seed, double scale) {
    gru_rng g;
    gru_rng_seed(&g, seed);
    for (size_t i = 0; i < n; i++) p[i] = scale * (2.0 * gru_rng_uniform(&g) - 1.0);
}

static inline int ref_w_make(ref_w *w, int F, int U, unsigned seed) {
    w->F = F;
    w->U = U;
    w->k = malloc(sizeof(double) * (size_t)(F * 3 * U));
    w->r = malloc(sizeof(double) * (size_t)(U * 3 * U));
    w->b = malloc(sizeof(double) * (size_t)(6 * U));
    if (!w->k || !w->r || !w->b) return 0;
    ref_fill(w->k, (size_t)(F * 3 * U), seed, 0.8);
    ref_fill(w->r, (size_t)(U * 3 * U), seed + 1, 0.8);
    ref_fill(w->b, (size_t)(6 * U), seed + 2, 0.5);
    return 1;
}

static inline void ref_w_free(ref_w *w) {
    free(w->k);
    free(w->r);
    free(w->b);
    w->k = w->r = w->b = NULL;
}

/* Put w into a layer's cell. */
static inline gru_status ref_w_set(gru_layer *l, const ref_w *w) {
    return gru_cell_set_weights(gru_layer_cell(l), GRU_F64, w->k, w->r, w->b);
}

static inline double ref_hsig(double x) {
    double v = 0.2 * x + 0.5;
    return v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
}

/* One step for one sample: h (U) -> hn (U). */
static inline void ref_step(const ref_w *w, const double *x, const double *h, double *hn) {
    const int F = w->F, U = w->U, U3 = 3 * w->U;
    double z[64], r[64];
    for (int j = 0; j < U; j++) {
        double az = w->b[j], ar = w->b[U + j];
        for (int i = 0; i < F; i++) {
            az += x[i] * w->k[i * U3 + j];
            ar += x[i] * w->k[i * U3 + U + j];
        }
        for (int m = 0; m < U; m++) {
            az += h[m] * w->r[m * U3 + j];
            ar += h[m] * w->r[m * U3 + U + j];
        }
        z[j] = ref_hsig(az);
        r[j] = ref_hsig(ar);
    }
    for (int j = 0; j < U; j++) {
        double ah = w->b[2 * U + j];
        for (int i = 0; i < F; i++) ah += x[i] * w->k[i * U3 + 2 * U + j];
        for (int m = 0; m < U; m++) ah += r[m] * h[m] * w->r[m * U3 + 2 * U + j];
        hn[j] = z[j] * h[j] + (1.0 - z[j]) * tanh(ah);
    }
}

/* The layer over x (B,T,F) batch-major, mask (B,T) or NULL, h0 (B,U) or
 * NULL. out: (B,T,U) in processing order when ret_seq, else (B,U);
 * state (B,U) the final state. U <= 64. */
static inline void ref_layer(const ref_w *w, int go_back, int ret_seq, int zero_out, int B, int T,
                             const double *x, const uint8_t *mask, const double *h0, double *out,
                             double *state) {
    const int U = w->U, F = w->F;
    double prev[64], cand[64];
    for (int b = 0; b < B; b++) {
        double *h = state + b * U;
        for (int j = 0; j < U; j++) {
            h[j] = h0 ? h0[b * U + j] : 0.0;
            prev[j] = 0.0;
        }
        for (int p = 0; p < T; p++) {
            const int t = go_back ? T - 1 - p : p;
            const int valid = !mask || mask[b * T + t];
            if (valid) {
                ref_step(w, x + (b * T + t) * F, h, cand);
                memcpy(h, cand, sizeof(double) * (size_t)U);
            }
            for (int j = 0; j < U; j++) {
                const double v = valid ? h[j] : zero_out ? 0.0 : prev[j];
                prev[j] = v;
                if (ret_seq) out[(b * T + p) * U + j] = v;
            }
        }
        if (!ret_seq) memcpy(out + b * U, prev, sizeof(double) * (size_t)U);
    }
}

/* Aligned workspace of n bytes (rounded up). */
static inline void *ref_ws(size_t n) { return aligned_alloc(64, (n + 63) / 64 * 64 + 64); }

#endif
