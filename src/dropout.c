/* The dropout-mask cache and Keras' four DropoutRNNCellMixin methods.
 *
 * Keras caches one set of masks per cell (per execution context) until it is
 * reset; the cache key ignores `training`, `count` and the input shape, so a
 * mask drawn (or an all-ones mask made while not training) is reused by every
 * later call until reset. The GRU cell asks for count=3 on both sides, so the
 * cache always holds three masks. */
#include <string.h>

#include "cell_internal.h"

/* Fill the cache with 3 masks for `batch` rows: all ones when not training,
 * else 0 with probability rate and 1/(1-rate) otherwise (TF computes the
 * scale in the tensor's dtype, and keeps an element when u >= rate). */
static gru_status fill(gru_cell *cell, gru__mask_cache *mc, double rate, int64_t batch,
                       gru_training training, const char *fn, const char *which) {
    if (batch > cell->cfg.max_batch)
        return gru__fail(GRU_E_SHAPE, cell->msg,
                         "%s: batch %lld exceeds cfg.max_batch %lld, the rows reserved for the %s "
                         "dropout-mask cache", fn, (long long)batch, (long long)cell->cfg.max_batch,
                         which);
    const size_t n = 3 * (size_t)batch * mc->width;
    const int drop = training == GRU_TRAINING_TRUE;
    if (drop && rate >= 1.0)
        return gru__fail(GRU_E_ARG, cell->msg,
                         "%s: %s rate is 1.0: TF cannot draw a dropout mask with rate 1 in "
                         "training mode (rate must be in [0, 1))", fn, which);
    if (cell->cfg.dtype == GRU_F32) {
        float *m = (float *)mc->data;
        const float keep = 1.0f / (1.0f - (float)rate);
        for (size_t i = 0; i < n; i++)
            m[i] = !drop ? 1.0f : (gru_rng_uniform(&cell->rng) >= rate ? keep : 0.0f);
    } else {
        double *m = (double *)mc->data;
        const double keep = 1.0 / (1.0 - rate);
        for (size_t i = 0; i < n; i++)
            m[i] = !drop ? 1.0 : (gru_rng_uniform(&cell->rng) >= rate ? keep : 0.0);
    }
    mc->batch = batch;
    return GRU_OK;
}

/* Cached masks for a call of `batch` rows, drawn if the cache is empty. */
static gru_status get_cached(gru_cell *cell, gru__mask_cache *mc, double rate, int64_t batch,
                             gru_training training, const char *fn, const char *which) {
    if (mc->batch == 0) return fill(cell, mc, rate, batch, training, fn, which);
    if (mc->batch != batch)
        return gru__fail(GRU_E_SHAPE, cell->msg,
                         "%s: the cached %s dropout mask was made for batch %lld, this call has "
                         "batch %lld; reset the mask first (as Keras' RNN layer does per call)",
                         fn, which, (long long)mc->batch, (long long)batch);
    return GRU_OK;
}

gru_status gru__cell_masks_for_call(gru_cell *cell, int64_t batch, gru_training training,
                                    const void **dp, const void **rdp) {
    gru_status s;
    *dp = *rdp = NULL;
    if (cell->cfg.dropout != 0.0) {
        s = get_cached(cell, &cell->dp, cell->cfg.dropout, batch, training, "gru_cell_call", "input");
        if (s) return s;
        *dp = cell->dp.data;
    }
    if (cell->cfg.recurrent_dropout != 0.0) {
        s = get_cached(cell, &cell->rdp, cell->cfg.recurrent_dropout, batch, training,
                       "gru_cell_call", "recurrent");
        if (s) return s;
        *rdp = cell->rdp.data;
    }
    return GRU_OK;
}

gru_status gru__cell_redraw_masks(gru_cell *cell, int64_t batch, gru_training training,
                                  const char *fn) {
    cell->dp.batch = 0;
    cell->rdp.batch = 0;
    if (cell->cfg.dropout != 0.0) {
        gru_status s = fill(cell, &cell->dp, cell->cfg.dropout, batch, training, fn, "input");
        if (s) return s;
    }
    if (cell->cfg.recurrent_dropout != 0.0)
        return fill(cell, &cell->rdp, cell->cfg.recurrent_dropout, batch, training, fn, "recurrent");
    return GRU_OK;
}

static gru_status check_common(gru_cell *cell, gru_dtype dtype, int64_t batch, const char *fn) {
    gru_status s = gru__cell_check(cell, fn);
    if (s) return s;
    if (!gru__dtype_ok(dtype))
        return gru__fail(GRU_E_DTYPE, cell->msg,
                         "%s: argument 'dtype' must be GRU_F32 or GRU_F64, got %d", fn, (int)dtype);
    if (batch <= 0)
        return gru__fail(GRU_E_ARG, cell->msg, "%s: argument 'batch' must be > 0, got %lld", fn,
                         (long long)batch);
    return GRU_OK;
}

static void copy_out(const gru_cell *cell, const gru__mask_cache *mc, gru_dtype dtype, int count,
                     void *out) {
    const size_t per = (size_t)mc->batch * mc->width;
    const size_t n = (size_t)count * per;
    if (dtype == cell->cfg.dtype) {
        memcpy(out, mc->data, n * cell->elem);
        return;
    }
    for (size_t i = 0; i < n; i++) gru__st(dtype, out, i, gru__ld(cell->cfg.dtype, mc->data, i));
}

static gru_status get_mask(gru_cell *cell, gru__mask_cache *mc, double rate, gru_dtype dtype,
                           int64_t batch, gru_training training, int count, void *out,
                           bool *has_mask, const char *fn, const char *which) {
    gru_status s = check_common(cell, dtype, batch, fn);
    if (s) return s;
    if (!has_mask) return gru__fail(GRU_E_NULL, cell->msg, "%s: argument 'has_mask' is NULL", fn);
    *has_mask = false;
    if (count < 1 || count > 3)
        return gru__fail(GRU_E_ARG, cell->msg, "%s: argument 'count' must be 1, 2 or 3, got %d", fn,
                         count);
    if (training != GRU_TRAINING_NONE && training != GRU_TRAINING_FALSE &&
        training != GRU_TRAINING_TRUE)
        return gru__fail(GRU_E_ARG, cell->msg,
                         "%s: argument 'training' must be GRU_TRAINING_NONE, _FALSE or _TRUE, got %d",
                         fn, (int)training);
    if (rate == 0.0) return GRU_OK; /* Keras returns None */
    s = get_cached(cell, mc, rate, batch, training, fn, which);
    if (s) return s;
    *has_mask = true;
    if (out) copy_out(cell, mc, dtype, count, out);
    return GRU_OK;
}

gru_status gru_cell_get_dropout_mask(gru_cell *cell, gru_dtype dtype, int64_t batch,
                                     gru_training training, int count, void *out, bool *has_mask) {
    gru_status s = gru__cell_check(cell, "gru_cell_get_dropout_mask");
    if (s) return s;
    return get_mask(cell, &cell->dp, cell->cfg.dropout, dtype, batch, training, count, out,
                    has_mask, "gru_cell_get_dropout_mask", "input");
}

gru_status gru_cell_get_recurrent_dropout_mask(gru_cell *cell, gru_dtype dtype, int64_t batch,
                                               gru_training training, int count, void *out,
                                               bool *has_mask) {
    gru_status s = gru__cell_check(cell, "gru_cell_get_recurrent_dropout_mask");
    if (s) return s;
    return get_mask(cell, &cell->rdp, cell->cfg.recurrent_dropout, dtype, batch, training, count,
                    out, has_mask, "gru_cell_get_recurrent_dropout_mask", "recurrent");
}

gru_status gru_cell_reset_dropout_mask(gru_cell *cell) {
    gru_status s = gru__cell_check(cell, "gru_cell_reset_dropout_mask");
    if (s) return s;
    cell->dp.batch = 0;
    return GRU_OK;
}

gru_status gru_cell_reset_recurrent_dropout_mask(gru_cell *cell) {
    gru_status s = gru__cell_check(cell, "gru_cell_reset_recurrent_dropout_mask");
    if (s) return s;
    cell->rdp.batch = 0;
    return GRU_OK;
}

/* Stream 0 is the seeding of gru_cell_init (cell.c); stream k > 0 mixes k
 * in with an odd constant before the generator's own seed mixing. */
gru_status gru_cell_set_dropout_stream(gru_cell *cell, uint64_t stream) {
    gru_status s = gru__cell_check(cell, "gru_cell_set_dropout_stream");
    if (s) return s;
    gru_rng_seed(&cell->rng,
                 (cell->cfg.seed ^ 0x9e3779b97f4a7c15ull) ^ (stream * 0xd1b54a32d192ed03ull));
    cell->dp.batch = 0;
    cell->rdp.batch = 0;
    return GRU_OK;
}

static gru_status set_mask(gru_cell *cell, gru__mask_cache *mc, double rate, gru_dtype dtype,
                           int64_t batch, const void *masks, const char *fn, const char *which) {
    gru_status s = check_common(cell, dtype, batch, fn);
    if (s) return s;
    if (!masks) return gru__fail(GRU_E_NULL, cell->msg, "%s: argument 'masks' is NULL", fn);
    if (rate == 0.0)
        return gru__fail(GRU_E_STATE, cell->msg,
                         "%s: the cell's %s dropout rate is 0, so it uses no mask (Keras returns "
                         "None)", fn, which);
    if (batch > cell->cfg.max_batch)
        return gru__fail(GRU_E_SHAPE, cell->msg,
                         "%s: batch %lld exceeds cfg.max_batch %lld (rows of the mask cache)", fn,
                         (long long)batch, (long long)cell->cfg.max_batch);
    const size_t n = 3 * (size_t)batch * mc->width;
    for (size_t i = 0; i < n; i++) gru__st(cell->cfg.dtype, mc->data, i, gru__ld(dtype, masks, i));
    mc->batch = batch;
    return GRU_OK;
}

gru_status gru_cell_set_dropout_mask(gru_cell *cell, gru_dtype dtype, int64_t batch,
                                     const void *masks) {
    gru_status s = gru__cell_check(cell, "gru_cell_set_dropout_mask");
    if (s) return s;
    return set_mask(cell, &cell->dp, cell->cfg.dropout, dtype, batch, masks,
                    "gru_cell_set_dropout_mask", "input");
}

gru_status gru_cell_set_recurrent_dropout_mask(gru_cell *cell, gru_dtype dtype, int64_t batch,
                                               const void *masks) {
    gru_status s = gru__cell_check(cell, "gru_cell_set_recurrent_dropout_mask");
    if (s) return s;
    return set_mask(cell, &cell->rdp, cell->cfg.recurrent_dropout, dtype, batch, masks,
                    "gru_cell_set_recurrent_dropout_mask", "recurrent");
}
