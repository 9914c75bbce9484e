/* The fit loop (epochs, shuffled mini-batches, progress bar, per-epoch
 * losses) and the Fisher-Yates shuffle it uses. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

gru_status gru_shuffle(gru_rng *rng, size_t n, size_t *perm) {
    if (!rng) return gru__fail(GRU_E_NULL, NULL, "gru_shuffle: argument 'rng' is NULL");
    if (n > 0 && !perm) return gru__fail(GRU_E_NULL, NULL, "gru_shuffle: argument 'perm' is NULL");
    for (size_t i = 0; i < n; i++) perm[i] = i;
    /* Fisher-Yates from the top; j uniform in [0, i] by rejection. */
    for (size_t i = n; i > 1; i--) {
        const uint64_t bound = (uint64_t)i;
        const uint64_t lim = UINT64_MAX - UINT64_MAX % bound;
        uint64_t v;
        do v = gru_rng_next(rng);
        while (v >= lim);
        const size_t j = (size_t)(v % bound);
        const size_t tmp = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = tmp;
    }
    return GRU_OK;
}

gru_status gru_shard(size_t batch, int rank, int size, size_t *begin, size_t *count) {
    static const char fn[] = "gru_shard";
    if (!begin || !count)
        return gru__fail(GRU_E_NULL, NULL, "%s: arguments 'begin' and 'count' must not be NULL",
                         fn);
    if (size <= 0 || rank < 0 || rank >= size)
        return gru__fail(GRU_E_ARG, NULL,
                         "%s: need 0 <= rank < size, got rank %d, size %d", fn, rank, size);
    size_t lo, hi;
    if (!gru__mul_size(batch, (size_t)rank, &lo) || !gru__mul_size(batch, (size_t)rank + 1, &hi))
        return gru__fail(GRU_E_OVERFLOW, NULL, "%s: batch %zu times rank %d overflows", fn, batch,
                         rank + 1);
    *begin = lo / (size_t)size;
    *count = hi / (size_t)size - *begin;
    return GRU_OK;
}

gru_status gru_fit_config_init(gru_fit_config *cfg) {
    if (!cfg) return gru__fail(GRU_E_NULL, NULL, "gru_fit_config_init: argument 'cfg' is NULL");
    memset(cfg, 0, sizeof *cfg);
    cfg->epochs = 1;
    cfg->batch_size = 32;
    cfg->shuffle = true;
    cfg->verbose = 1;
    return GRU_OK;
}

typedef struct fit_layout {
    size_t perm, xb, yb, total;
} fit_layout;

static gru_status fit_plan(const gru_fit_config *c, const gru_fit_data *d, fit_layout *L,
                           const char *fn) {
    if (!c) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'cfg' is NULL", fn);
    if (!d) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'data' is NULL", fn);
    if (c->epochs <= 0)
        return gru__fail(GRU_E_ARG, NULL, "%s: cfg.epochs must be > 0, got %lld", fn,
                         (long long)c->epochs);
    if (c->batch_size <= 0)
        return gru__fail(GRU_E_ARG, NULL, "%s: cfg.batch_size must be > 0, got %lld", fn,
                         (long long)c->batch_size);
    if (c->verbose < 0 || c->verbose > 2)
        return gru__fail(GRU_E_ARG, NULL, "%s: cfg.verbose must be 0, 1 or 2, got %d", fn,
                         c->verbose);
    if (!gru__dtype_ok(d->dtype))
        return gru__fail(GRU_E_DTYPE, NULL,
                         "%s: data.dtype must be GRU_F32 (1) or GRU_F64 (2), got %d", fn,
                         (int)d->dtype);
    if (d->n == 0)
        return gru__fail(GRU_E_SHAPE, NULL, "%s: data.n (training samples) must be > 0, got 0",
                         fn);
    if (d->x_size == 0 || d->y_size == 0)
        return gru__fail(GRU_E_SHAPE, NULL,
                         "%s: data.x_size and data.y_size must be > 0, got %zu and %zu", fn,
                         d->x_size, d->y_size);
    if (!d->x || !d->y)
        return gru__fail(GRU_E_NULL, NULL, "%s: data.x and data.y must not be NULL, got %s", fn,
                         !d->x ? "x NULL" : "y NULL");
    if (d->n_val > 0 && (!d->x_val || !d->y_val))
        return gru__fail(GRU_E_NULL, NULL,
                         "%s: data.x_val and data.y_val must not be NULL when n_val = %zu > 0",
                         fn, d->n_val);
    const size_t elem = gru_dtype_size(d->dtype);
    const size_t bs = (uint64_t)c->batch_size > d->n ? d->n : (size_t)c->batch_size;
    size_t a, b, pb;
    int ok = gru__mul_size(d->n, sizeof(size_t), &pb) && gru__mul_size(bs, d->x_size, &a) &&
             gru__mul_size(a, elem, &a) && gru__mul_size(bs, d->y_size, &b) &&
             gru__mul_size(b, elem, &b) && pb < SIZE_MAX / 4 && a < SIZE_MAX / 4 &&
             b < SIZE_MAX / 4;
    if (!ok)
        return gru__fail(GRU_E_OVERFLOW, NULL, "%s: the workspace size overflows size_t", fn);
    L->perm = 0;
    L->xb = gru__align64(pb);
    L->yb = L->xb + gru__align64(a);
    L->total = L->yb + gru__align64(b);
    return GRU_OK;
}

gru_status gru_fit_workspace_size(const gru_fit_config *cfg, const gru_fit_data *data,
                                  size_t *bytes) {
    if (!bytes)
        return gru__fail(GRU_E_NULL, NULL, "gru_fit_workspace_size: argument 'bytes' is NULL");
    fit_layout L = {0, 0, 0, 0};
    gru_status s = fit_plan(cfg, data, &L, "gru_fit_workspace_size");
    if (s) return s;
    *bytes = L.total;
    return GRU_OK;
}

/* " 12/40 [=======>......................] - loss: 0.1234" */
static void bar(FILE *f, size_t done, size_t total, double loss) {
    enum { W = 30 };
    const size_t fill = total ? done * W / total : W;
    char b[W + 1];
    for (size_t i = 0; i < W; i++) b[i] = i < fill ? '=' : '.';
    if (fill > 0 && fill < W) b[fill - 1] = '>';
    b[W] = '\0';
    fprintf(f, "\r%zu/%zu [%s] - loss: %.4g", done, total, b, loss);
    fflush(f);
}

gru_status gru_fit(const gru_fit_config *cfg, const gru_fit_data *data, gru_fit_step_fn step,
                   gru_fit_eval_fn eval, void *user, void *workspace, size_t ws_bytes,
                   double *epoch_loss, double *val_loss, int64_t *epochs_done) {
    static const char fn[] = "gru_fit";
    if (epochs_done) *epochs_done = 0;
    fit_layout L = {0, 0, 0, 0};
    gru_status s = fit_plan(cfg, data, &L, fn);
    if (s) return s;
    if (!step) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'step' is NULL", fn);
    if (!workspace) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'workspace' is NULL", fn);
    if ((uintptr_t)workspace % _Alignof(double) != 0)
        return gru__fail(GRU_E_ARG, NULL, "%s: argument 'workspace' must be aligned to %zu bytes",
                         fn, (size_t)_Alignof(double));
    if (ws_bytes < L.total)
        return gru__fail(GRU_E_SHAPE, NULL,
                         "%s: argument 'ws_bytes' is %zu, gru_fit_workspace_size says %zu", fn,
                         ws_bytes, L.total);
    const gru_fit_data *d = data;
    const size_t elem = gru_dtype_size(d->dtype), n = d->n;
    const size_t bs = (uint64_t)cfg->batch_size > n ? n : (size_t)cfg->batch_size;
    const size_t nb = (n + bs - 1) / bs;
    const size_t xrow = d->x_size * elem, yrow = d->y_size * elem;
    size_t *perm = (size_t *)workspace;
    char *xb = (char *)workspace + L.xb, *yb = (char *)workspace + L.yb;
    FILE *out = cfg->verbose ? cfg->progress : NULL;
    gru_rng rng;
    gru_rng_seed(&rng, cfg->seed);
    for (size_t i = 0; i < n; i++) perm[i] = i;

    for (int64_t e = 0; e < cfg->epochs; e++) {
        if (cfg->shuffle) gru_shuffle(&rng, n, perm);
        if (out) fprintf(out, "Epoch %lld/%lld\n", (long long)e + 1, (long long)cfg->epochs);
        double sum = 0.0;
        size_t seen = 0;
        for (size_t bi = 0; bi < nb; bi++) {
            const size_t b0 = bi * bs, m = b0 + bs > n ? n - b0 : bs;
            for (size_t i = 0; i < m; i++) {
                memcpy(xb + i * xrow, (const char *)d->x + perm[b0 + i] * xrow, xrow);
                memcpy(yb + i * yrow, (const char *)d->y + perm[b0 + i] * yrow, yrow);
            }
            double bl = (double)NAN;
            s = step(user, m, xb, yb, &bl);
            if (s) {
                if (out) fputc('\n', out);
                char pre[160];
                snprintf(pre, sizeof pre, "gru_fit: the step failed at epoch %lld, batch %zu of %zu",
                         (long long)e + 1, bi + 1, nb);
                return gru__fail_prefixed(s, NULL, pre);
            }
            if (!isfinite(bl)) {
                if (out) fputc('\n', out);
                return gru__fail(GRU_E_NUMERIC, NULL,
                                 "%s: the loss is %s at epoch %lld, batch %zu of %zu", fn,
                                 isnan(bl) ? "NaN" : "infinite", (long long)e + 1, bi + 1, nb);
            }
            sum += bl * (double)m;
            seen += m;
            if (out && cfg->verbose == 1) bar(out, bi + 1, nb, sum / (double)seen);
        }
        const double el = sum / (double)seen;
        if (epoch_loss) epoch_loss[e] = el;
        double vl = (double)NAN;
        if (eval && d->n_val > 0) {
            double vs = 0.0;
            for (size_t b0 = 0; b0 < d->n_val; b0 += bs) {
                const size_t m = b0 + bs > d->n_val ? d->n_val - b0 : bs;
                double bl = (double)NAN;
                s = eval(user, m, (const char *)d->x_val + b0 * xrow,
                         (const char *)d->y_val + b0 * yrow, &bl);
                if (s) {
                    if (out) fputc('\n', out);
                    return gru__fail_prefixed(s, NULL, "gru_fit: the eval callback failed");
                }
                vs += bl * (double)m;
            }
            vl = vs / (double)d->n_val;
        }
        if (val_loss) val_loss[e] = vl;
        if (out) {
            if (cfg->verbose == 1) bar(out, nb, nb, el);
            else fprintf(out, "%zu/%zu - loss: %.4g", nb, nb, el);
            if (!isnan(vl)) fprintf(out, " - val_loss: %.4g", vl);
            fputc('\n', out);
            fflush(out);
        }
        if (epochs_done) *epochs_done = e + 1;
    }
    return GRU_OK;
}
