/* Losses (tf_keras.losses MeanSquaredError, BinaryCrossentropy,
 * CategoricalCrossentropy, SparseCategoricalCrossentropy): validation and
 * dispatch; the arithmetic is in losses_impl.h, included per element type. */
#include <math.h>
#include <string.h>

#include "internal.h"

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

#define T float
#define SUF(n) n##_f32
#define LOG logf
#define EXP expf
#define LOG1P log1pf
#include "losses_impl.h"
#undef T
#undef SUF
#undef LOG
#undef EXP
#undef LOG1P

#define T double
#define SUF(n) n##_f64
#define LOG log
#define EXP exp
#define LOG1P log1p
#include "losses_impl.h"
#undef T
#undef SUF
#undef LOG
#undef EXP
#undef LOG1P

static const char *const kind_names[] = {"mean_squared_error", "binary_crossentropy",
                                         "categorical_crossentropy",
                                         "sparse_categorical_crossentropy"};

gru_status gru_loss_config_init(gru_loss_config *cfg, gru_loss_kind kind) {
    if (!cfg) return gru__fail(GRU_E_NULL, NULL, "gru_loss_config_init: argument 'cfg' is NULL");
    memset(cfg, 0, sizeof *cfg);
    cfg->kind = kind;
    cfg->reduction = GRU_REDUCTION_SUM_OVER_BATCH_SIZE;
    if ((unsigned)kind > (unsigned)GRU_LOSS_SPARSE_CCE)
        return gru__fail(GRU_E_ARG, NULL,
                         "gru_loss_config_init: argument 'kind' must be a gru_loss_kind "
                         "(0..3), got %d", (int)kind);
    return GRU_OK;
}

static gru_status check_cfg(const gru_loss_config *c, const char *fn) {
    if ((unsigned)c->kind > (unsigned)GRU_LOSS_SPARSE_CCE)
        return gru__fail(GRU_E_ARG, NULL,
                         "%s: cfg.kind must be a gru_loss_kind (0..3), got %d", fn, (int)c->kind);
    if ((unsigned)c->reduction > (unsigned)GRU_REDUCTION_NONE)
        return gru__fail(GRU_E_ARG, NULL,
                         "%s: cfg.reduction must be a gru_reduction (0..2), got %d", fn,
                         (int)c->reduction);
    const char *name = kind_names[c->kind];
    if (c->kind == GRU_LOSS_MSE && c->from_logits)
        return gru__fail(GRU_E_ARG, NULL,
                         "%s: cfg.from_logits must be false for %s (Keras' loss has no such "
                         "argument), got true", fn, name);
    if (!(c->label_smoothing >= 0.0 && c->label_smoothing <= 1.0))
        return gru__fail(GRU_E_ARG, NULL,
                         "%s: cfg.label_smoothing must be in [0, 1], got %g", fn,
                         c->label_smoothing);
    if (c->label_smoothing != 0.0 &&
        (c->kind == GRU_LOSS_MSE || c->kind == GRU_LOSS_SPARSE_CCE))
        return gru__fail(GRU_E_ARG, NULL,
                         "%s: cfg.label_smoothing must be 0 for %s (Keras' loss has no such "
                         "argument), got %g", fn, name, c->label_smoothing);
    return GRU_OK;
}

static gru_status loss_args(const gru_loss_config *cfg, gru_dtype dtype, size_t rows, size_t n,
                            const void *y_true, const void *y_pred, const char *fn) {
    if (!cfg) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'cfg' is NULL", fn);
    gru_status s = check_cfg(cfg, fn);
    if (s) return s;
    if (!gru__dtype_ok(dtype))
        return gru__fail(GRU_E_DTYPE, NULL,
                         "%s: argument 'dtype' must be GRU_F32 (1) or GRU_F64 (2), got %d", fn,
                         (int)dtype);
    if (rows == 0)
        return gru__fail(GRU_E_SHAPE, NULL, "%s: argument 'rows' must be > 0, got 0", fn);
    if (n == 0)
        return gru__fail(GRU_E_SHAPE, NULL,
                         "%s: argument 'n' (values per row) must be > 0, got 0", fn);
    size_t cnt;
    if (!gru__mul_size(rows, n, &cnt) || cnt > SIZE_MAX / sizeof(double))
        return gru__fail(GRU_E_OVERFLOW, NULL, "%s: rows %zu times n %zu overflows", fn, rows, n);
    if (!y_true) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'y_true' is NULL", fn);
    if (!y_pred) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'y_pred' is NULL", fn);
    if (cfg->kind == GRU_LOSS_SPARSE_CCE) {
        for (size_t r = 0; r < rows; r++) {
            const double k = gru__ld(dtype, y_true, r);
            if (!(k >= 0.0 && k < (double)n && k == floor(k)))
                return gru__fail(GRU_E_ARG, NULL,
                                 "%s: argument 'y_true' row %zu must be a class index, an "
                                 "integer in [0, %zu), got %g", fn, r, n, k);
        }
    }
    return GRU_OK;
}

gru_status gru_loss(const gru_loss_config *cfg, gru_dtype dtype, size_t rows, size_t n,
                    const void *y_true, const void *y_pred, const void *sample_weight,
                    double *loss, double *per_row, void *d_pred) {
    static const char fn[] = "gru_loss";
    gru_status s = loss_args(cfg, dtype, rows, n, y_true, y_pred, fn);
    if (s) return s;
    double total;
    if (dtype == GRU_F32)
        loss_all_f32(cfg, rows, n, y_true, y_pred, sample_weight, (double)rows, &total, per_row,
                     d_pred, NULL);
    else
        loss_all_f64(cfg, rows, n, y_true, y_pred, sample_weight, (double)rows, &total, per_row,
                     d_pred, NULL);
    if (loss) *loss = total;
    if (!isfinite(total))
        return gru__fail(GRU_E_NUMERIC, NULL,
                         "%s: the %s loss is %s (y_pred or y_true holds a non-finite value, or "
                         "a log of 0)", fn, kind_names[cfg->kind], isnan(total) ? "NaN" : "infinite");
    return GRU_OK;
}

gru_status gru__loss_shard(const gru_loss_config *cfg, gru_dtype dtype, size_t rows, size_t n,
                           const void *y_true, const void *y_pred, size_t denom_rows,
                           double *raw_sum, void *d_pred) {
    static const char fn[] = "gru_loss";
    gru_status s = loss_args(cfg, dtype, rows, n, y_true, y_pred, fn);
    if (s) return s;
    double total, raw = 0.0;
    if (dtype == GRU_F32)
        loss_all_f32(cfg, rows, n, y_true, y_pred, NULL, (double)denom_rows, &total, NULL, d_pred,
                     &raw);
    else
        loss_all_f64(cfg, rows, n, y_true, y_pred, NULL, (double)denom_rows, &total, NULL, d_pred,
                     &raw);
    *raw_sum = raw;
    if (!isfinite(raw))
        return gru__fail(GRU_E_NUMERIC, NULL,
                         "%s: the %s loss is %s (y_pred or y_true holds a non-finite value, or "
                         "a log of 0)", fn, kind_names[cfg->kind], isnan(raw) ? "NaN" : "infinite");
    return GRU_OK;
}
