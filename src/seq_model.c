/* gru_seq_model: a GRU layer and a Dense head trained as one model through
 * gru_fit (forward with a tape, loss, backward through the head and through
 * time, the caller's optimizer update, constraints); with a gradient
 * reducer, one rank's shard of each batch (data-parallel training). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cell_internal.h"

typedef struct seq_layout {
    size_t F, U, Uo, T, rows_per_sample, elem, y_row;
    size_t n_ck, n_cr, n_cb, n_dk, n_db;
    size_t tape, tape_bytes, hout, pre, yp, dpred, dh, bws, bws_bytes, g[5], gt, total;
} seq_layout;

static gru_status seq_plan(const gru_seq_model *m, size_t max_batch, seq_layout *L,
                           const char *fn) {
    if (!m) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'model' is NULL", fn);
    if (!m->layer || !m->head)
        return gru__fail(GRU_E_NULL, NULL, "%s: model.layer and model.head must be set, got %s",
                         fn, !m->layer ? "layer NULL" : "head NULL");
    if (max_batch == 0)
        return gru__fail(GRU_E_ARG, NULL, "%s: the batch size must be > 0, got 0", fn);
    if (m->steps <= 0)
        return gru__fail(GRU_E_ARG, NULL, "%s: model.steps (T) must be > 0, got %lld", fn,
                         (long long)m->steps);
    gru_layer_config lc;
    gru_dense_config dc;
    gru_status s = gru_layer_get_config(m->layer, &lc);
    if (!s) s = gru_dense_get_config(m->head, &dc);
    if (s) return gru__fail_prefixed(s, NULL, fn);
    if (lc.time_major || lc.return_state)
        return gru__fail(GRU_E_UNSUPPORTED, NULL,
                         "%s: model.layer must have time_major and return_state false, got "
                         "time_major %d, return_state %d", fn, (int)lc.time_major,
                         (int)lc.return_state);
    if (dc.input_dim != lc.cell.units)
        return gru__fail(GRU_E_SHAPE, NULL,
                         "%s: model.head input_dim must equal the layer's units %lld, got %lld",
                         fn, (long long)lc.cell.units, (long long)dc.input_dim);
    if (dc.dtype != lc.cell.dtype)
        return gru__fail(GRU_E_DTYPE, NULL,
                         "%s: model.head and model.layer must share a dtype, got %d and %d", fn,
                         (int)dc.dtype, (int)lc.cell.dtype);
    memset(L, 0, sizeof *L);
    L->F = (size_t)lc.cell.input_dim;
    L->U = (size_t)lc.cell.units;
    L->Uo = (size_t)dc.units;
    L->T = (size_t)m->steps;
    L->rows_per_sample = lc.return_sequences ? L->T : 1;
    L->elem = gru_dtype_size(dc.dtype);
    L->y_row = m->loss.kind == GRU_LOSS_SPARSE_CCE ? 1 : L->Uo;
    gru_cell *cell = gru_layer_cell(m->layer);
    s = gru_cell_weight_sizes(cell, &L->n_ck, &L->n_cr, &L->n_cb);
    if (s) return gru__fail_prefixed(s, NULL, fn);
    L->n_dk = L->U * L->Uo;
    L->n_db = dc.use_bias ? L->Uo : 0;
    size_t fwd_ws;
    if ((uint64_t)max_batch > INT64_MAX)
        return gru__fail(GRU_E_OVERFLOW, NULL, "%s: batch %zu too large", fn, max_batch);
    s = gru_layer_tape_size(m->layer, (int64_t)max_batch, m->steps, &L->tape_bytes);
    if (!s) s = gru_layer_backward_workspace_size(m->layer, (int64_t)max_batch, m->steps,
                                                  &L->bws_bytes);
    if (!s) s = gru_layer_workspace_size(m->layer, (int64_t)max_batch, m->steps, &fwd_ws);
    if (s) return gru__fail_prefixed(s, NULL, fn);
    if (fwd_ws > L->tape_bytes) L->tape_bytes = fwd_ws; /* eval reuses the tape */
    size_t rows, off = 0, b;
    int ok = gru__mul_size(max_batch, L->rows_per_sample, &rows);
#define PLACE(field, count)                                                              \
    do {                                                                                 \
        L->field = off;                                                                  \
        ok = ok && gru__mul_size((count), L->elem, &b) && gru__add_size(off, b, &off) && \
             off < SIZE_MAX - 64;                                                        \
        if (ok) off = gru__align64(off);                                                 \
    } while (0)
    size_t rU = 0, rUo = 0;
    ok = ok && gru__mul_size(rows, L->U, &rU) && gru__mul_size(rows, L->Uo, &rUo);
    L->tape = 0;
    ok = ok && gru__add_size(off, L->tape_bytes, &off) && off < SIZE_MAX - 64;
    if (ok) off = gru__align64(off);
    PLACE(hout, rU);
    PLACE(pre, rUo);
    PLACE(yp, rUo);
    PLACE(dpred, rUo);
    PLACE(dh, rU);
    PLACE(g[0], L->n_ck);
    PLACE(g[1], L->n_cr);
    PLACE(g[2], L->n_cb);
    PLACE(g[3], L->n_dk);
    PLACE(g[4], L->n_db);
    PLACE(gt, 2); /* the reduction's trailer: loss sum, failed ranks */
    L->bws = off;
    ok = ok && gru__add_size(off, L->bws_bytes, &off) && off < SIZE_MAX - 64;
#undef PLACE
    if (!ok) return gru__fail(GRU_E_OVERFLOW, NULL, "%s: the workspace size overflows", fn);
    L->total = gru__align64(off);
    return GRU_OK;
}

gru_status gru_seq_model_workspace_size(const gru_seq_model *m, size_t max_batch,
                                        size_t *bytes) {
    static const char fn[] = "gru_seq_model_workspace_size";
    if (!bytes) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'bytes' is NULL", fn);
    seq_layout L;
    memset(&L, 0, sizeof L);
    gru_status s = seq_plan(m, max_batch, &L, fn);
    if (s) return s;
    *bytes = L.total;
    return GRU_OK;
}

gru_status gru_seq_model_params(const gru_seq_model *m, void *params[5], size_t sizes[5],
                                size_t *count) {
    static const char fn[] = "gru_seq_model_params";
    if (!params || !sizes || !count)
        return gru__fail(GRU_E_NULL, NULL, "%s: arguments 'params', 'sizes' and 'count' must "
                         "not be NULL", fn);
    seq_layout L;
    memset(&L, 0, sizeof L);
    gru_status s = seq_plan(m, 1, &L, fn);
    if (s) return s;
    gru_cell *cell = gru_layer_cell(m->layer);
    void *dk, *db;
    gru_dense_params(m->head, &dk, &db);
    size_t c = 0;
    params[c] = cell->kernel, sizes[c++] = L.n_ck;
    params[c] = cell->recurrent, sizes[c++] = L.n_cr;
    if (cell->bias) params[c] = cell->bias, sizes[c++] = L.n_cb;
    params[c] = dk, sizes[c++] = L.n_dk;
    if (db) params[c] = db, sizes[c++] = L.n_db;
    *count = c;
    return GRU_OK;
}

/* Common checks of a call; fills L and the sequence. */
static gru_status seq_begin(gru_seq_model *m, size_t batch, const void *x, const void *y,
                            seq_layout *L, gru_seq *in, const char *fn, int need_y, int sharded) {
    gru_status s = seq_plan(m, m ? m->max_batch : 0, L, fn);
    if (s) return s;
    if (sharded) {
        const gru_grad_reducer *r = &m->reducer;
        if (r->size <= 0 || r->rank < 0 || r->rank >= r->size)
            return gru__fail(GRU_E_ARG, NULL,
                             "%s: model.reducer needs 0 <= rank < size, got rank %d, size %d", fn,
                             r->rank, r->size);
        const size_t shard = batch / (size_t)r->size + (batch % (size_t)r->size != 0);
        if (batch == 0 || shard > m->max_batch)
            return gru__fail(GRU_E_SHAPE, NULL,
                             "%s: argument 'batch' must be in 1..model.max_batch (%zu) times "
                             "reducer.size (%d), got %zu (largest shard %zu)", fn, m->max_batch,
                             r->size, batch, shard);
    } else if (batch == 0 || batch > m->max_batch)
        return gru__fail(GRU_E_SHAPE, NULL,
                         "%s: argument 'batch' must be in 1..model.max_batch (%zu), got %zu", fn,
                         m->max_batch, batch);
    if (!m->workspace)
        return gru__fail(GRU_E_NULL, NULL, "%s: model.workspace is NULL", fn);
    if ((uintptr_t)m->workspace % 64 != 0)
        return gru__fail(GRU_E_ARG, NULL, "%s: model.workspace must be aligned to 64 bytes", fn);
    if (m->ws_bytes < L->total)
        return gru__fail(GRU_E_SHAPE, NULL,
                         "%s: model.ws_bytes is %zu, gru_seq_model_workspace_size says %zu", fn,
                         m->ws_bytes, L->total);
    if (!x) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'x' (batch, T, F) is NULL", fn);
    if (need_y && !y) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'y' is NULL", fn);
    /* The caller may have written the weights through gru_seq_model_params:
     * refresh the cell's packed copy (one pass over the weights). */
    gru__pack_cell(gru_layer_cell(m->layer));
    memset(in, 0, sizeof *in);
    in->batch = (int64_t)batch;
    in->steps = m->steps;
    in->x = x;
    return GRU_OK;
}

static gru_status penalties(gru_seq_model *m, double *total) {
    double pc = 0.0, pd = 0.0;
    gru_status s = gru_cell_losses(gru_layer_cell(m->layer), NULL, &pc);
    if (!s) s = gru_dense_losses(m->head, NULL, &pd);
    *total = pc + pd;
    return s;
}

/* forward (training or not) + head + loss (d_pred when dpred). */
static gru_status seq_forward(gru_seq_model *m, const seq_layout *L, const gru_seq *in,
                              int train, const void *y, double *loss, void *y_out) {
    char *ws = (char *)m->workspace;
    gru_dense_config dc;
    gru_dense_get_config(m->head, &dc);
    const gru_dtype dt = dc.dtype;
    const size_t rows = (size_t)in->batch * L->rows_per_sample;
    gru_status s =
        train ? gru_layer_forward_train(m->layer, dt, in, NULL, GRU_TRAINING_TRUE, ws + L->hout,
                                        ws + L->tape, L->tape_bytes)
              : gru_layer_forward(m->layer, dt, in, NULL, GRU_TRAINING_FALSE, ws + L->hout,
                                  ws + L->tape, L->tape_bytes);
    if (s) return s;
    s = gru_dense_forward(m->head, dt, rows, ws + L->hout, y_out ? y_out : ws + L->yp,
                          ws + L->pre);
    if (s || !y) return s;
    return gru_loss(&m->loss, dt, rows, L->Uo, y, ws + L->yp, NULL, loss, NULL,
                    train ? ws + L->dpred : NULL);
}

static gru_status seq_update(gru_seq_model *m, const seq_layout *L, const char *fn);
static gru_status seq_step_shard(gru_seq_model *m, const seq_layout *L, gru_seq *in,
                                 size_t batch, const void *y, double *loss, const char *fn);

gru_status gru_seq_model_step(void *model, size_t batch, const void *x, const void *y,
                              double *loss) {
    static const char fn[] = "gru_seq_model_step";
    gru_seq_model *m = model;
    seq_layout L;
    memset(&L, 0, sizeof L);
    gru_seq in;
    const int sharded = m && m->reducer.reduce;
    gru_status s = seq_begin(m, batch, x, y, &L, &in, fn, 1, sharded);
    if (s) return s;
    if (sharded) {
        if (!m->optimizer && !m->update)
            return gru__fail(GRU_E_NULL, NULL,
                             "%s: model.optimizer and model.update are both NULL", fn);
        return seq_step_shard(m, &L, &in, batch, y, loss, fn);
    }
    if (!m->optimizer && !m->update)
        return gru__fail(GRU_E_NULL, NULL, "%s: model.optimizer and model.update are both NULL",
                         fn);
    char *ws = (char *)m->workspace;
    gru_cell *cell = gru_layer_cell(m->layer);
    const gru_dtype dt = cell->cfg.dtype;
    const size_t rows = batch * L.rows_per_sample;
    double l = 0.0, pen = 0.0;
    if ((s = seq_forward(m, &L, &in, 1, y, &l, NULL))) return gru__fail_prefixed(s, NULL, fn);
    if ((s = penalties(m, &pen))) return gru__fail_prefixed(s, NULL, fn);
    void *g[5];
    for (int i = 0; i < 5; i++) g[i] = ws + L.g[i];
    gru_cell_grads cg = {g[0], g[1], cell->bias ? g[2] : NULL};
    gru_dense_grads dg = {g[3], L.n_db ? g[4] : NULL};
    if ((s = gru_cell_grads_zero(cell, &cg)) || (s = gru_dense_grads_zero(m->head, &dg)) ||
        (s = gru_dense_backward(m->head, dt, rows, ws + L.hout, ws + L.pre, ws + L.yp,
                                ws + L.dpred, ws + L.dh, &dg)) ||
        (s = gru_layer_backward(m->layer, dt, &in, ws + L.tape, ws + L.dh, NULL, NULL, NULL, &cg,
                                ws + L.bws, L.bws_bytes)) ||
        (s = gru_dense_regularizer_grads(m->head, &dg)))
        return gru__fail_prefixed(s, NULL, fn);
    /* the cell's regularizer gradients */
    s = gru_cell_regularizer_grads(cell, &cg);
    if (s) return gru__fail_prefixed(s, NULL, fn);
    if ((s = seq_update(m, &L, fn))) return s;
    if (loss) *loss = l + pen;
    return GRU_OK;
}

/* The optimizer (or caller) update from the gradients in the workspace, then
 * the constraints. */
static gru_status seq_update(gru_seq_model *m, const seq_layout *L, const char *fn) {
    char *ws = (char *)m->workspace;
    gru_cell *cell = gru_layer_cell(m->layer);
    const gru_dtype dt = cell->cfg.dtype;
    void *g[5];
    for (int i = 0; i < 5; i++) g[i] = ws + L->g[i];
    gru_status s;
    void *params[5];
    const void *grads[5];
    size_t sizes[5], count = 0;
    gru_seq_model_params(m, params, sizes, &count);
    size_t c = 0;
    grads[c++] = g[0];
    grads[c++] = g[1];
    if (cell->bias) grads[c++] = g[2];
    grads[c++] = g[3];
    if (L->n_db) grads[c++] = g[4];
    s = m->optimizer ? gru_optimizer_apply(m->optimizer, dt, count, params, grads)
                     : m->update(m->update_user, count, params, grads, sizes);
    if (s) return gru__fail_prefixed(s, NULL, "gru_seq_model_step: the optimizer update failed");
    if ((s = gru_cell_apply_constraints(cell)) || (s = gru_dense_apply_constraints(m->head)))
        return gru__fail_prefixed(s, NULL, fn);
    return GRU_OK;
}

/* ---- Data-parallel: this rank's shard, one reduction ---------------------
 * Rank r runs rows gru_shard(batch, r, size) of the global batch; its loss
 * gradient is scaled by the whole batch's denominator (gru__loss_shard), so
 * the reduced gradients are the whole batch's (up to the order of the sums
 * over rows). The buffer [g0 pad g1 pad ... g4 pad loss failed] is the
 * workspace from g[0] to the trailer's end: one contiguous reduction. */
static size_t span_elems(const seq_layout *L) {
    return (L->gt + 2 * L->elem - L->g[0]) / L->elem;
}

/* The shard's rows: in->batch, in->x and *ys set; 0 rows for an empty shard. */
static size_t shard_rows(const gru_seq_model *m, const seq_layout *L, gru_seq *in, size_t batch,
                         const void *y, const void **ys) {
    size_t b0 = 0, nb = 0;
    gru_shard(batch, m->reducer.rank, m->reducer.size, &b0, &nb);
    in->batch = (int64_t)nb;
    in->x = (const char *)in->x + b0 * L->T * L->F * L->elem;
    *ys = y ? (const char *)y + b0 * L->rows_per_sample * L->y_row * L->elem : NULL;
    return nb;
}

/* After the reduction: the whole batch's loss from the summed trailer, or
 * the failure (this rank's own, or that another rank failed). */
static gru_status shard_result(const gru_seq_model *m, const seq_layout *L, gru_status local,
                               size_t batch, double *l, const char *fn) {
    const char *tail = (const char *)m->workspace + L->gt;
    const gru_dtype dt = L->elem == 4 ? GRU_F32 : GRU_F64;
    const double S = gru__ld(dt, tail, 0), nfail = gru__ld(dt, tail, 1);
    if (local) return gru__fail_prefixed(local, NULL, fn);
    if (nfail != 0.0)
        return gru__fail(GRU_E_STATE, NULL,
                         "%s: %g other rank(s) failed on their shard of this batch (their "
                         "messages say why); nothing was updated", fn, nfail);
    const double R = (double)(batch * L->rows_per_sample);
    const int mean = m->loss.reduction == GRU_REDUCTION_SUM_OVER_BATCH_SIZE;
    /* as gru_loss: the sum rounded to the dtype, divided, rounded again */
    if (dt == GRU_F32) {
        const float t = (float)S;
        *l = mean ? (double)(float)((double)t / R) : (double)t;
    } else {
        *l = mean ? S / R : S;
    }
    if (!isfinite(*l))
        return gru__fail(GRU_E_NUMERIC, NULL, "%s: the reduced loss is %s", fn,
                         isnan(*l) ? "NaN" : "infinite");
    return GRU_OK;
}

static gru_status reduce_call(gru_seq_model *m, gru_dtype dt, void *buf, size_t count,
                              const char *fn) {
    gru_status s = m->reducer.reduce(m->reducer.user, dt, buf, count);
    if (s) {
        char pre[128];
        snprintf(pre, sizeof pre, "%s: the gradient reduction (rank %d of %d) failed", fn,
                 m->reducer.rank, m->reducer.size);
        return gru__fail_prefixed(s, NULL, pre);
    }
    return GRU_OK;
}

static gru_status seq_step_shard(gru_seq_model *m, const seq_layout *L, gru_seq *in,
                                 size_t batch, const void *y, double *loss, const char *fn) {
    char *ws = (char *)m->workspace;
    gru_cell *cell = gru_layer_cell(m->layer);
    const gru_dtype dt = cell->cfg.dtype;
    const size_t count = span_elems(L);
    memset(ws + L->g[0], 0, count * L->elem); /* the gradients, the padding, the trailer */
    const void *ys;
    const size_t nb = shard_rows(m, L, in, batch, y, &ys);
    const size_t rows = nb * L->rows_per_sample;
    double raw = 0.0;
    gru_status local = GRU_OK;
    if (nb > 0) {
        gru_cell_grads cg = {ws + L->g[0], ws + L->g[1], cell->bias ? ws + L->g[2] : NULL};
        gru_dense_grads dg = {ws + L->g[3], L->n_db ? ws + L->g[4] : NULL};
        if ((local = gru_layer_forward_train(m->layer, dt, in, NULL, GRU_TRAINING_TRUE,
                                             ws + L->hout, ws + L->tape, L->tape_bytes)) ||
            (local = gru_dense_forward(m->head, dt, rows, ws + L->hout, ws + L->yp,
                                       ws + L->pre)) ||
            (local = gru__loss_shard(&m->loss, dt, rows, L->Uo, ys, ws + L->yp,
                                     batch * L->rows_per_sample, &raw, ws + L->dpred)) ||
            (local = gru_dense_backward(m->head, dt, rows, ws + L->hout, ws + L->pre, ws + L->yp,
                                        ws + L->dpred, ws + L->dh, &dg)) ||
            (local = gru_layer_backward(m->layer, dt, in, ws + L->tape, ws + L->dh, NULL, NULL,
                                        NULL, &cg, ws + L->bws, L->bws_bytes)))
            raw = 0.0;
    }
    gru__st(dt, ws + L->gt, 0, raw);
    gru__st(dt, ws + L->gt, 1, local ? 1.0 : 0.0);
    gru_status s = reduce_call(m, dt, ws + L->g[0], count, fn);
    if (s) return s;
    double l = 0.0, pen = 0.0;
    if ((s = shard_result(m, L, local, batch, &l, fn))) return s;
    /* from here every rank holds the same numbers and does the same work */
    gru_cell_grads cg = {ws + L->g[0], ws + L->g[1], cell->bias ? ws + L->g[2] : NULL};
    gru_dense_grads dg = {ws + L->g[3], L->n_db ? ws + L->g[4] : NULL};
    if ((s = penalties(m, &pen)) || (s = gru_dense_regularizer_grads(m->head, &dg)) ||
        (s = gru_cell_regularizer_grads(cell, &cg)))
        return gru__fail_prefixed(s, NULL, fn);
    if ((s = seq_update(m, L, fn))) return s;
    if (loss) *loss = l + pen;
    return GRU_OK;
}

static gru_status seq_eval_shard(gru_seq_model *m, const seq_layout *L, gru_seq *in,
                                 size_t batch, const void *y, double *loss, const char *fn) {
    char *ws = (char *)m->workspace;
    const gru_dtype dt = gru_layer_cell(m->layer)->cfg.dtype;
    const void *ys;
    const size_t nb = shard_rows(m, L, in, batch, y, &ys);
    const size_t rows = nb * L->rows_per_sample;
    double raw = 0.0;
    gru_status local = GRU_OK;
    if (nb > 0 &&
        ((local = gru_layer_forward(m->layer, dt, in, NULL, GRU_TRAINING_FALSE, ws + L->hout,
                                    ws + L->tape, L->tape_bytes)) ||
         (local = gru_dense_forward(m->head, dt, rows, ws + L->hout, ws + L->yp, ws + L->pre)) ||
         (local = gru__loss_shard(&m->loss, dt, rows, L->Uo, ys, ws + L->yp,
                                  batch * L->rows_per_sample, &raw, NULL))))
        raw = 0.0;
    gru__st(dt, ws + L->gt, 0, raw);
    gru__st(dt, ws + L->gt, 1, local ? 1.0 : 0.0);
    gru_status s = reduce_call(m, dt, ws + L->gt, 2, fn);
    if (s) return s;
    double l = 0.0, pen = 0.0;
    if ((s = shard_result(m, L, local, batch, &l, fn))) return s;
    if ((s = penalties(m, &pen))) return gru__fail_prefixed(s, NULL, fn);
    if (loss) *loss = l + pen;
    return GRU_OK;
}

gru_status gru_seq_model_eval(void *model, size_t batch, const void *x, const void *y,
                              double *loss) {
    static const char fn[] = "gru_seq_model_eval";
    gru_seq_model *m = model;
    seq_layout L;
    memset(&L, 0, sizeof L);
    gru_seq in;
    const int sharded = m && m->reducer.reduce;
    gru_status s = seq_begin(m, batch, x, y, &L, &in, fn, 1, sharded);
    if (s) return s;
    if (sharded) return seq_eval_shard(m, &L, &in, batch, y, loss, fn);
    double l = 0.0, pen = 0.0;
    if ((s = seq_forward(m, &L, &in, 0, y, &l, NULL)) || (s = penalties(m, &pen)))
        return gru__fail_prefixed(s, NULL, fn);
    if (loss) *loss = l + pen;
    return GRU_OK;
}

gru_status gru_seq_model_predict(gru_seq_model *m, size_t batch, const void *x, void *y_pred) {
    static const char fn[] = "gru_seq_model_predict";
    seq_layout L;
    memset(&L, 0, sizeof L);
    gru_seq in;
    gru_status s = seq_begin(m, batch, x, NULL, &L, &in, fn, 0, 0);
    if (s) return s;
    if (!y_pred) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'y_pred' is NULL", fn);
    if ((s = seq_forward(m, &L, &in, 0, NULL, NULL, y_pred)))
        return gru__fail_prefixed(s, NULL, fn);
    return GRU_OK;
}
