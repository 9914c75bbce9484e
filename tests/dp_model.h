/* A small GRU + Dense model and data for the data-parallel tests: the
 * in-process reducer topic (test_reducer.c) and the MPI program
 * (tests/mpi/test_mpi_train.c). Static functions only; each includer uses
 * what it needs. */
#ifndef GRU_TEST_DP_MODEL_H
#define GRU_TEST_DP_MODEL_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gru.h"

enum { DP_F = 3, DP_U = 5, DP_T = 6, DP_UO = 2, DP_MAXN = 64 };

typedef struct dp_case {
    const char *name;
    gru_dtype dtype;
    gru_optimizer_kind opt;
    int return_sequences; /* y per step (rows_per_sample = T)                */
    int regularize;       /* l2/l1/l1_l2 penalties and a max_norm constraint */
    double clipnorm;      /* 0 = off                                         */
} dp_case;

typedef struct dp_model {
    gru_layer *layer;
    gru_dense *head;
    gru_optimizer *opt;
    gru_seq_model m;
} dp_model;

static void dp_model_free(dp_model *d) {
    free(d->m.workspace);
    gru_optimizer_free(d->opt);
    gru_dense_free(d->head);
    gru_layer_free(d->layer);
    memset(d, 0, sizeof *d);
}

/* The same weights for the same case on every rank (seeded initializers);
 * max_batch: rows of the workspace. 0 on failure (gru_last_error says). */
static int dp_model_create(dp_model *d, const dp_case *c, size_t max_batch) {
    memset(d, 0, sizeof *d);
    gru_layer_config lc;
    gru_layer_config_init(&lc, DP_U, DP_F);
    lc.cell.dtype = c->dtype;
    lc.cell.seed = 11;
    lc.return_sequences = c->return_sequences != 0;
    gru_initializer_from_name("random_uniform", &lc.cell.bias_initializer);
    gru_dense_config dc;
    gru_dense_config_init(&dc, DP_UO, DP_U);
    dc.dtype = c->dtype;
    dc.seed = 12;
    gru_initializer_from_name("random_uniform", &dc.bias_initializer);
    if (c->regularize) {
        gru_regularizer_from_name("l2", &lc.cell.kernel_regularizer);
        gru_regularizer_from_name("l1", &lc.cell.recurrent_regularizer);
        gru_regularizer_from_name("l1_l2", &dc.kernel_regularizer);
        gru_constraint_from_name("max_norm", &lc.cell.kernel_constraint);
        lc.cell.kernel_constraint.max_value = 0.9;
    }
    if (gru_layer_create(&lc, &d->layer) || gru_dense_create(&dc, &d->head)) return 0;
    d->m.layer = d->layer;
    d->m.head = d->head;
    gru_loss_config_init(&d->m.loss, GRU_LOSS_MSE);
    d->m.steps = DP_T;
    d->m.max_batch = max_batch;
    if (gru_seq_model_workspace_size(&d->m, max_batch, &d->m.ws_bytes)) return 0;
    d->m.workspace = aligned_alloc(64, (d->m.ws_bytes + 63) / 64 * 64);
    if (!d->m.workspace) return 0;
    void *params[5];
    size_t sizes[5], count;
    if (gru_seq_model_params(&d->m, params, sizes, &count)) return 0;
    gru_optimizer_config oc;
    gru_optimizer_config_init(&oc, c->opt);
    oc.learning_rate = c->opt == GRU_OPT_SGD ? 0.05 : 0.01;
    if (c->opt == GRU_OPT_SGD) oc.momentum = 0.9;
    oc.clipnorm = c->clipnorm;
    if (gru_optimizer_create(&oc, c->dtype, count, sizes, &d->opt)) return 0;
    d->m.optimizer = d->opt;
    return 1;
}

/* x (n, T, F) and y (n, [T,] Uo) of dtype, a smooth deterministic function
 * of the sample index so that training makes progress. */
static void dp_data(const dp_case *c, size_t n, void *x, void *y) {
    const size_t ny = (c->return_sequences ? DP_T : 1) * DP_UO;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < DP_T * DP_F; j++) {
            const double v = sin(0.37 * (double)(i * 7 + j) + 0.1 * (double)j);
            if (c->dtype == GRU_F32) ((float *)x)[i * DP_T * DP_F + j] = (float)v;
            else ((double *)x)[i * DP_T * DP_F + j] = v;
        }
        for (size_t j = 0; j < ny; j++) {
            const double v = 0.5 * cos(0.23 * (double)(i * 3 + j));
            if (c->dtype == GRU_F32) ((float *)y)[i * ny + j] = (float)v;
            else ((double *)y)[i * ny + j] = v;
        }
    }
}

/* All trainable weights as doubles (up to cap); returns the count. */
static size_t dp_weights(const dp_model *d, double *out, size_t cap) {
    void *params[5];
    size_t sizes[5], count, k = 0;
    if (gru_seq_model_params(&d->m, params, sizes, &count)) return 0;
    gru_dense_config dc;
    gru_dense_get_config(d->head, &dc);
    for (size_t p = 0; p < count; p++)
        for (size_t i = 0; i < sizes[p] && k < cap; i++, k++)
            out[k] = dc.dtype == GRU_F32 ? (double)((const float *)params[p])[i]
                                         : ((const double *)params[p])[i];
    return k;
}

/* Largest |a - b| / max(|b|, 1) over n values. */
static double dp_maxrel(const double *a, const double *b, size_t n) {
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double e = fabs(a[i] - b[i]) / fmax(fabs(b[i]), 1.0);
        if (!(e <= m)) m = e;
    }
    return m;
}

#endif
