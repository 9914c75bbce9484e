/* The GRU layer over sequences: tf.compat.v1.keras.layers.GRU and
 * RNN(GRUCell) semantics (spec §9): masks, go_backwards, return_sequences,
 * return_state, stateful, time_major, zero_output_for_mask. */
#include <stdlib.h>
#include <string.h>

#include "layer_internal.h"
#include "threadpool_internal.h"

gru_status gru_layer_config_init(gru_layer_config *cfg, int64_t units, int64_t input_dim) {
    if (!cfg) return gru__fail(GRU_E_NULL, NULL, "gru_layer_config_init: argument 'cfg' is NULL");
    memset(cfg, 0, sizeof *cfg);
    gru_status s = gru_cell_config_init(&cfg->cell, units, input_dim);
    if (s) return gru__fail_prefixed(s, NULL, "gru_layer_config_init");
    return GRU_OK;
}

/* Validate the layer-level fields; the cell validates its own. */
static gru_status check_config(const gru_layer_config *cfg, const char *fn, size_t *cell_size,
                               size_t *total) {
    if (!cfg) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'cfg' is NULL", fn);
    if (cfg->stateful && cfg->batch_size <= 0)
        return gru__fail(GRU_E_ARG, NULL,
                         "%s: cfg.batch_size must be > 0 for a stateful layer (Keras needs a fixed "
                         "batch size), got %lld", fn, (long long)cfg->batch_size);
    if (cfg->batch_size < 0)
        return gru__fail(GRU_E_ARG, NULL, "%s: cfg.batch_size must be >= 0, got %lld", fn,
                         (long long)cfg->batch_size);
    gru_cell_config cc = cfg->cell;
    cc.allocator.alloc = NULL; /* the cell lives inside the layer's block */
    cc.allocator.free = NULL;
    gru_status s = gru_cell_size(&cc, cell_size);
    if (s) return gru__fail_prefixed(s, NULL, fn);
    size_t off = gru__align64(sizeof(struct gru_layer)), st = 0;
    if (!gru__add_size(off, *cell_size, &off)) goto overflow;
    off = gru__align64(off);
    if (cfg->stateful) {
        if ((uint64_t)cfg->batch_size > SIZE_MAX ||
            !gru__mul_size((size_t)cfg->batch_size, (size_t)cfg->cell.units, &st) ||
            !gru__mul_size(st, gru_dtype_size(cfg->cell.dtype), &st) || !gru__add_size(off, st, &off))
            goto overflow;
    }
    *total = off;
    return GRU_OK;
overflow:
    return gru__fail(GRU_E_OVERFLOW, NULL, "%s: the layer's memory size overflows size_t", fn);
}

gru_status gru_layer_size(const gru_layer_config *cfg, size_t *size) {
    if (!size) return gru__fail(GRU_E_NULL, NULL, "gru_layer_size: argument 'size' is NULL");
    size_t cs;
    return check_config(cfg, "gru_layer_size", &cs, size);
}

gru_status gru_layer_init(void *mem, size_t size, const gru_layer_config *cfg, gru_layer **out) {
    if (!out) return gru__fail(GRU_E_NULL, NULL, "gru_layer_init: argument 'out' is NULL");
    *out = NULL;
    if (!mem) return gru__fail(GRU_E_NULL, NULL, "gru_layer_init: argument 'mem' is NULL");
    if (((uintptr_t)mem % 64) != 0)
        return gru__fail(GRU_E_ARG, NULL, "gru_layer_init: argument 'mem' must be aligned to 64 bytes");
    size_t cs, total;
    gru_status s = check_config(cfg, "gru_layer_init", &cs, &total);
    if (s) return s;
    if (size < total)
        return gru__fail(GRU_E_SHAPE, NULL,
                         "gru_layer_init: argument 'size' is %zu bytes, gru_layer_size says %zu",
                         size, total);
    char *base = mem;
    memset(base, 0, sizeof(struct gru_layer));
    gru_layer *l = (gru_layer *)base;
    l->cfg = *cfg;
    size_t off = gru__align64(sizeof(struct gru_layer));
    gru_cell_config cc = cfg->cell;
    cc.allocator.alloc = NULL;
    cc.allocator.free = NULL;
    s = gru_cell_init(base + off, cs, &cc, &l->cell);
    if (s) return gru__fail_prefixed(s, NULL, "gru_layer_init");
    gru_cell_get_config(l->cell, &l->cfg.cell);
    l->cfg.cell.allocator = cfg->cell.allocator;
    off = gru__align64(off + cs);
    if (cfg->stateful) {
        l->states = base + off;
        memset(l->states, 0, (size_t)cfg->batch_size * l->cell->U * l->cell->elem);
    }
    l->magic = GRU__LAYER_MAGIC;
    *out = l;
    return GRU_OK;
}

gru_status gru_layer_create(const gru_layer_config *cfg, gru_layer **out) {
    if (!out) return gru__fail(GRU_E_NULL, NULL, "gru_layer_create: argument 'out' is NULL");
    *out = NULL;
    size_t size;
    gru_status s = gru_layer_size(cfg, &size);
    if (s) return s;
    const gru_allocator *a = &cfg->cell.allocator;
    size = gru__align64(size);
    void *mem = a->alloc ? a->alloc(size, a->user) : aligned_alloc(64, size);
    if (!mem) return gru__fail(GRU_E_NOMEM, NULL, "gru_layer_create: allocating %zu bytes failed", size);
    if (((uintptr_t)mem % 64) != 0) {
        if (a->free) a->free(mem, a->user);
        return gru__fail(GRU_E_ARG, NULL, "gru_layer_create: cfg.cell.allocator returned memory not "
                                          "aligned to 64 bytes");
    }
    s = gru_layer_init(mem, size, cfg, out);
    if (s) {
        if (a->free) a->free(mem, a->user);
        else free(mem);
        return s;
    }
    (*out)->owned = 1;
    return GRU_OK;
}

gru_status gru__layer_check(const gru_layer *l, const char *fn) {
    if (!l) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'layer' is NULL", fn);
    if (l->magic != GRU__LAYER_MAGIC)
        return gru__fail(GRU_E_STATE, NULL,
                         "%s: argument 'layer' is not an initialised layer (not made by "
                         "gru_layer_init/gru_layer_create, or already freed)", fn);
    return GRU_OK;
}

void gru_layer_free(gru_layer *l) {
    if (!l || l->magic != GRU__LAYER_MAGIC || !l->owned) return;
    gru_allocator a = l->cfg.cell.allocator;
    l->magic = 0;
    l->cell->magic = 0;
    if (a.free) a.free(l, a.user);
    else free(l);
}

const char *gru_layer_last_error(const gru_layer *l) {
    if (!l) return "argument 'layer' is NULL";
    if (l->magic != GRU__LAYER_MAGIC) return "argument 'layer' is not an initialised layer";
    return l->msg;
}

gru_status gru_layer_get_config(const gru_layer *l, gru_layer_config *cfg) {
    gru_status s = gru__layer_check(l, "gru_layer_get_config");
    if (s) return s;
    if (!cfg)
        return gru__fail(GRU_E_NULL, ((gru_layer *)l)->msg, "gru_layer_get_config: argument 'cfg' is NULL");
    *cfg = l->cfg;
    gru_cell_get_config(l->cell, &cfg->cell);
    cfg->cell.allocator = l->cfg.cell.allocator;
    return GRU_OK;
}

gru_cell *gru_layer_cell(gru_layer *l) {
    return gru__layer_check(l, "gru_layer_cell") ? NULL : l->cell;
}

/* ---- workspace --------------------------------------------------------------- */

gru_status gru__layer_ws_plan(const gru_layer *l, int64_t batch, int64_t steps, gru__layer_ws *p) {
    const size_t U = l->cell->U, F = l->cell->F, es = l->cell->elem;
    size_t n, off = 0;
    if ((uint64_t)batch > SIZE_MAX || (uint64_t)steps > SIZE_MAX) return GRU_E_OVERFLOW;
    const size_t B = (size_t)batch, Tn = (size_t)steps;
    p->xproj = off;
    if (!gru__mul_size(Tn, B, &n) || !gru__mul_size(n, 3 * U, &n) || !gru__mul_size(n, es, &n) ||
        !gru__add_size(off, n, &off) || off > SIZE_MAX - 256)
        return GRU_E_OVERFLOW;
    off = gru__align64(off);
    if (!gru__mul_size(B, U * es, &n)) return GRU_E_OVERFLOW;
    n = gru__align64(n);
    p->state = off;
    if (!gru__add_size(off, n, &off)) return GRU_E_OVERFLOW;
    p->prev = off;
    if (!gru__add_size(off, n, &off)) return GRU_E_OVERFLOW;
    p->row = off;
    p->row_bytes = gru__row_scratch_bytes(F, U, es);
    if (!gru__add_size(off, p->row_bytes, &off)) return GRU_E_OVERFLOW;
    p->need = off;
    p->nth = gru__pool_threads(l->pool);
    p->thr_row = p->state2 = p->rsh = off;
    if (p->nth > 1) {
        const size_t ub = gru__align64(U * es);
        if (!gru__mul_size((size_t)(p->nth - 1), p->row_bytes, &n) || !gru__add_size(off, n, &off))
            return GRU_E_OVERFLOW;
        p->state2 = off;
        if (!gru__add_size(off, ub, &off)) return GRU_E_OVERFLOW;
        p->rsh = off;
        if (!gru__add_size(off, ub, &off)) return GRU_E_OVERFLOW;
    }
    p->total = off;
    return GRU_OK;
}

gru_status gru_layer_workspace_size(const gru_layer *l, int64_t batch, int64_t steps,
                                    size_t *bytes) {
    static const char fn[] = "gru_layer_workspace_size";
    gru_status s = gru__layer_check(l, fn);
    if (s) return s;
    char *msg = ((gru_layer *)l)->msg;
    if ((s = gru__size_args(msg, bytes, batch, steps, fn))) return s;
    gru__layer_ws p;
    if (gru__layer_ws_plan(l, batch, steps, &p)) return gru__overflow(msg, batch, steps, fn);
    *bytes = p.total;
    return GRU_OK;
}

/* ---- the forward call ------------------------------------------------------------ */

gru_status gru_layer_set_threadpool(gru_layer *l, gru_threadpool *pool) {
    gru_status s = gru__layer_check(l, "gru_layer_set_threadpool");
    if (s) return s;
    l->pool = pool;
    return GRU_OK;
}

/* Is input step t of sample b valid (mask non-zero, or t < length)? */
int gru__step_valid(const gru_layer *l, const gru_seq *in, size_t t, size_t b) {
    if (in->mask) {
        const size_t B = (size_t)in->batch, Tn = (size_t)in->steps;
        return in->mask[l->cfg.time_major ? t * B + b : b * Tn + t] != 0;
    }
    if (in->lengths) return (int64_t)t < in->lengths[b];
    return 1;
}

enum { GRU__RUN_ONE = 0, GRU__RUN_ROWS, GRU__RUN_UNITS };

static void pool_sync(void *pool) { gru__pool_barrier(pool); }

#define T float
#define SUF(n) n##_f32
#include "layer_impl.h"
#undef T
#undef SUF
#define T double
#define SUF(n) n##_f64
#include "layer_impl.h"
#undef T
#undef SUF

static int any_nonzero_value(gru_dtype dt, const void *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (gru__ld(dt, p, i) != 0.0) return 1;
    return 0;
}

/* The forward call; rec (cell dtype, (T,B,8U)) receives the backward
 * records when not NULL. */
gru_status gru__layer_forward_core(gru_layer *l, gru_dtype dtype, const gru_seq *in,
                                   const gru_layer_io *io, gru_training training, void *output,
                                   void *workspace, size_t ws_bytes, void *rec, const char *fn) {
    gru_status s = gru__layer_check(l, fn);
    if (s) return s;
    char *msg = l->msg;
    gru_cell *cell = l->cell;
    const gru_layer_io none = {NULL, NULL, NULL, NULL};
    if (!io) io = &none;
    if (!in) return gru__fail(GRU_E_NULL, msg, "%s: argument 'in' is NULL", fn);
    if (!in->x) return gru__fail(GRU_E_NULL, msg, "%s: argument 'in->x' (inputs) is NULL", fn);
    if (!output) return gru__fail(GRU_E_NULL, msg, "%s: argument 'output' is NULL", fn);
    if (!workspace) return gru__fail(GRU_E_NULL, msg, "%s: argument 'workspace' is NULL", fn);
    if (dtype != cell->cfg.dtype)
        return gru__fail(GRU_E_DTYPE, msg, "%s: argument 'dtype' must be the layer's dtype %s, got %d",
                         fn, cell->cfg.dtype == GRU_F32 ? "GRU_F32" : "GRU_F64", (int)dtype);
    if ((s = gru__seq_sizes_check(msg, in, fn))) return s;
    if (in->mask && in->lengths)
        return gru__fail(GRU_E_ARG, msg, "%s: give in->mask or in->lengths, not both", fn);
    if (training != GRU_TRAINING_NONE && training != GRU_TRAINING_FALSE &&
        training != GRU_TRAINING_TRUE)
        return gru__fail(GRU_E_ARG, msg, "%s: argument 'training' must be GRU_TRAINING_NONE, _FALSE "
                                         "or _TRUE, got %d", fn, (int)training);
    if (l->cfg.return_state && !io->state_out)
        return gru__fail(GRU_E_NULL, msg, "%s: the layer has return_state, so io->state_out must "
                                          "not be NULL", fn);
    if (l->cfg.stateful && in->batch != l->cfg.batch_size)
        return gru__fail(GRU_E_SHAPE, msg, "%s: a stateful layer was built for batch %lld, got "
                                           "batch %lld", fn, (long long)l->cfg.batch_size,
                         (long long)in->batch);
    if (in->lengths) {
        for (int64_t b = 0; b < in->batch; b++)
            if (in->lengths[b] < 0 || in->lengths[b] > in->steps)
                return gru__fail(GRU_E_ARG, msg, "%s: in->lengths[%lld] must be in [0, %lld], got %lld",
                                 fn, (long long)b, (long long)in->steps, (long long)in->lengths[b]);
    }
    gru__layer_ws plan;
    if (gru__layer_ws_plan(l, in->batch, in->steps, &plan))
        return gru__overflow(msg, in->batch, in->steps, fn);
    if ((s = gru__bytes_check(msg, "workspace", ws_bytes, plan.need,
                              "gru_layer_workspace_size", fn)) ||
        (s = gru__aligned64_check(msg, workspace, "workspace", fn)))
        return s;

    /* Dropout masks: Keras resets the cell's masks at the start of every
     * layer call and draws them once for the call. */
    const size_t B = (size_t)in->batch, U = cell->U, es = cell->elem;
    const int train = training == GRU_TRAINING_TRUE;
    s = gru__cell_redraw_masks(cell, in->batch, training, fn);
    if (s) return gru__fail_prefixed(s, msg, "dropout masks");
    if (train && io->dropout_masks && cell->cfg.dropout != 0.0)
        s = gru_cell_set_dropout_mask(cell, dtype, in->batch, io->dropout_masks);
    if (!s && train && io->recurrent_dropout_masks && cell->cfg.recurrent_dropout != 0.0)
        s = gru_cell_set_recurrent_dropout_mask(cell, dtype, in->batch, io->recurrent_dropout_masks);
    if (s) return gru__fail_prefixed(s, msg, fn);
    const void *dp, *rdp;
    s = gru__cell_masks_for_call(cell, in->batch, training, &dp, &rdp);
    if (s) return gru__fail_prefixed(s, msg, fn);

    /* Initial state. */
    char *ws = workspace;
    void *state = ws + plan.state;
    const void *init = io->initial_state;
    if (l->cfg.stateful && (!init || any_nonzero_value(dtype, l->states, B * U))) init = l->states;
    if (init) memcpy(state, init, B * U * es);
    else memset(state, 0, B * U * es);

    /* Threads (the layer's pool): batch rows, or for batch 1 the recurrent
     * weights' panels; one thread for the backward tape, a workspace sized
     * for one thread, or a pool busy with another call. */
    int mode = GRU__RUN_ONE;
    if (plan.nth > 1 && !rec && ws_bytes >= plan.total) {
        if (B > 1) mode = GRU__RUN_ROWS;
        else if (cell->fused && U > cell->pw) mode = GRU__RUN_UNITS;
    }
    if (dtype == GRU_F32) {
        gru__run_f32 r = {l, in, dp, rdp, rec, output, ws, &plan, mode};
        if (mode == GRU__RUN_ONE || !gru__pool_run(l->pool, gru__layer_job_f32, &r))
            gru__layer_run_f32(&r);
    } else {
        gru__run_f64 r = {l, in, dp, rdp, rec, output, ws, &plan, mode};
        if (mode == GRU__RUN_ONE || !gru__pool_run(l->pool, gru__layer_job_f64, &r))
            gru__layer_run_f64(&r);
    }
    if (io->state_out) memcpy(io->state_out, state, B * U * es);
    if (l->cfg.stateful) memcpy(l->states, state, B * U * es);
    return GRU_OK;
}

gru_status gru_layer_forward(gru_layer *l, gru_dtype dtype, const gru_seq *in,
                             const gru_layer_io *io, gru_training training, void *output,
                             void *workspace, size_t ws_bytes) {
    return gru__layer_forward_core(l, dtype, in, io, training, output, workspace, ws_bytes, NULL,
                                   "gru_layer_forward");
}

gru_status gru_layer_reset_states(gru_layer *l, gru_dtype dtype, const void *states) {
    gru_status s = gru__layer_check(l, "gru_layer_reset_states");
    if (s) return s;
    if (!l->cfg.stateful)
        return gru__fail(GRU_E_STATE, l->msg, "gru_layer_reset_states: the layer is not stateful");
    if (!gru__dtype_ok(dtype))
        return gru__fail(GRU_E_DTYPE, l->msg,
                         "gru_layer_reset_states: argument 'dtype' must be GRU_F32 or GRU_F64, got %d",
                         (int)dtype);
    const size_t n = (size_t)l->cfg.batch_size * l->cell->U;
    for (size_t i = 0; i < n; i++)
        gru__st(l->cell->cfg.dtype, l->states, i, states ? gru__ld(dtype, states, i) : 0.0);
    return GRU_OK;
}

gru_status gru_layer_get_states(const gru_layer *l, gru_dtype dtype, void *states) {
    gru_status s = gru__layer_check(l, "gru_layer_get_states");
    if (s) return s;
    char *msg = ((gru_layer *)l)->msg;
    if (!l->cfg.stateful)
        return gru__fail(GRU_E_STATE, msg, "gru_layer_get_states: the layer is not stateful");
    if (!states) return gru__fail(GRU_E_NULL, msg, "gru_layer_get_states: argument 'states' is NULL");
    if (!gru__dtype_ok(dtype))
        return gru__fail(GRU_E_DTYPE, msg,
                         "gru_layer_get_states: argument 'dtype' must be GRU_F32 or GRU_F64, got %d",
                         (int)dtype);
    const size_t n = (size_t)l->cfg.batch_size * l->cell->U;
    for (size_t i = 0; i < n; i++) gru__st(dtype, states, i, gru__ld(l->cell->cfg.dtype, l->states, i));
    return GRU_OK;
}
