/* The backward pass: of one cell call (gru_cell_backward) and through time
 * for the layer (gru_layer_forward_train + gru_layer_backward). */
#include <string.h>

#include "layer_internal.h"

#define T float
#define SUF(n) n##_f32
#define GRU__DT GRU_F32
#include "backward_impl.h"
#undef T
#undef SUF
#undef GRU__DT
#define T double
#define SUF(n) n##_f64
#define GRU__DT GRU_F64
#include "backward_impl.h"
#undef T
#undef SUF
#undef GRU__DT

static gru_status grads_check(const gru_cell *cell, const gru_cell_grads *g, char *msg,
                              const char *fn) {
    if (!g) return gru__fail(GRU_E_NULL, msg, "%s: argument 'grads' is NULL", fn);
    if (!g->kernel || !g->recurrent_kernel)
        return gru__fail(GRU_E_NULL, msg, "%s: grads->%s is NULL", fn,
                         !g->kernel ? "kernel" : "recurrent_kernel");
    if (cell->bias && !g->bias)
        return gru__fail(GRU_E_NULL, msg, "%s: grads->bias is NULL but the cell has a bias", fn);
    return GRU_OK;
}

/* The backward pass needs every activation's derivative. */
static gru_status acts_check(const gru_cell *cell, char *msg, const char *fn) {
    const gru_activation *a[2] = {&cell->cfg.activation, &cell->cfg.recurrent_activation};
    for (int i = 0; i < 2; i++)
        if (a[i]->kind == GRU_ACT_CUSTOM && !a[i]->deriv)
            return gru__fail(GRU_E_NULL, msg,
                             "%s: the cell's custom %s has no derivative callback (deriv is NULL)",
                             fn, i ? "recurrent_activation" : "activation");
    return GRU_OK;
}

gru_status gru_cell_grads_zero(const gru_cell *cell, const gru_cell_grads *grads) {
    static const char fn[] = "gru_cell_grads_zero";
    gru_status s = gru__cell_check(cell, fn);
    if (s) return s;
    if ((s = grads_check(cell, grads, ((gru_cell *)cell)->msg, fn))) return s;
    memset(grads->kernel, 0, cell->F * 3 * cell->U * cell->elem);
    memset(grads->recurrent_kernel, 0, cell->U * 3 * cell->U * cell->elem);
    if (cell->bias) memset(grads->bias, 0, (cell->cfg.reset_after ? 6 : 3) * cell->U * cell->elem);
    return GRU_OK;
}

gru_status gru_cell_backward(gru_cell *cell, gru_dtype dtype, int64_t batch, const void *x,
                             const void *h, gru_training training, const void *d_h_new, void *d_x,
                             void *d_h, const gru_cell_grads *grads) {
    static const char fn[] = "gru_cell_backward";
    gru_status s = gru__cell_check(cell, fn);
    if (s) return s;
    char *msg = cell->msg;
    if (!x || !h || !d_h_new)
        return gru__fail(GRU_E_NULL, msg, "%s: argument '%s' is NULL", fn,
                         !x ? "x" : !h ? "h" : "d_h_new");
    if (dtype != cell->cfg.dtype)
        return gru__fail(GRU_E_DTYPE, msg, "%s: argument 'dtype' must be the cell's dtype %s, got %d",
                         fn, cell->cfg.dtype == GRU_F32 ? "GRU_F32" : "GRU_F64", (int)dtype);
    if (batch <= 0)
        return gru__fail(GRU_E_ARG, msg, "%s: argument 'batch' must be > 0, got %lld", fn,
                         (long long)batch);
    if (training != GRU_TRAINING_NONE && training != GRU_TRAINING_FALSE &&
        training != GRU_TRAINING_TRUE)
        return gru__fail(GRU_E_ARG, msg, "%s: argument 'training' must be GRU_TRAINING_NONE, _FALSE "
                                         "or _TRUE, got %d", fn, (int)training);
    if ((s = grads_check(cell, grads, msg, fn)) || (s = acts_check(cell, msg, fn))) return s;
    const void *dp, *rdp;
    if ((s = gru__cell_masks_for_call(cell, batch, training, &dp, &rdp)))
        return gru__fail_prefixed(s, msg, fn);
    const size_t F = cell->F, U = cell->U, es = cell->elem, B = (size_t)batch;
    char *sc = cell->scratch;
    void *row = sc;
    char *xg = sc + gru__row_scratch_bytes(F, U, es);
    char *rec = xg + gru__align64(3 * U * es);
    char *bws = rec + gru__align64(GRU__REC_SLOTS * U * es);
    char *dh = bws + gru__bwd_row_scratch_bytes(F, U, es);
    if (d_x) memset(d_x, 0, B * F * es);
    for (size_t b = 0; b < B; b++) {
        if (dtype == GRU_F32) {
            const float *m[3], *rm[3];
            gru__row_masks_f32(cell, B, b, dp, rdp, m, rm);
            const float *xb = (const float *)x + b * F, *hb = (const float *)h + b * U;
            gru__input_row_f32(cell, xb, m, (float *)xg, row);
            gru__recurrent_row_f32(cell, (float *)xg, hb, rm, (float *)dh, row, (float *)rec);
            s = gru__backward_row_f32(cell, (float *)rec, xb, m, rm, (const float *)d_h_new + b * U,
                                      (float *)dh, d_x ? (float *)d_x + b * F : NULL, grads,
                                      (float *)bws);
            if (!s && d_h) memcpy((float *)d_h + b * U, dh, U * es);
        } else {
            const double *m[3], *rm[3];
            gru__row_masks_f64(cell, B, b, dp, rdp, m, rm);
            const double *xb = (const double *)x + b * F, *hb = (const double *)h + b * U;
            gru__input_row_f64(cell, xb, m, (double *)xg, row);
            gru__recurrent_row_f64(cell, (double *)xg, hb, rm, (double *)dh, row, (double *)rec);
            s = gru__backward_row_f64(cell, (double *)rec, xb, m, rm,
                                      (const double *)d_h_new + b * U, (double *)dh,
                                      d_x ? (double *)d_x + b * F : NULL, grads, (double *)bws);
            if (!s && d_h) memcpy((double *)d_h + b * U, dh, U * es);
        }
        if (s) return gru__fail_prefixed(s, msg, fn);
    }
    return GRU_OK;
}

/* ---- the layer: tape and backpropagation through time -------------------------- */

#define GRU__TAPE_MAGIC 0x67727574617065ull /* "grutape" */

/* The tape: a header, the forward call's workspace, the records
 * (T, B, 8U) and the call's dropout masks (3,B,F) and (3,B,U). */
typedef struct tape_hdr {
    uint64_t magic;
    int64_t batch, steps;
    int has_dp, has_rdp;
} tape_hdr;

typedef struct tape_plan {
    size_t fwd, rec, dp, rdp, total;
    gru__layer_ws ws;
} tape_plan;

static int tape_layout(const gru_layer *l, int64_t batch, int64_t steps, tape_plan *p) {
    if (gru__layer_ws_plan(l, batch, steps, &p->ws)) return 0;
    const size_t B = (size_t)batch, Tn = (size_t)steps, U = l->cell->U, F = l->cell->F,
                 es = l->cell->elem;
    size_t off = gru__align64(sizeof(tape_hdr)), n;
    p->fwd = off;
    if (!gru__add_size(off, gru__align64(p->ws.total), &off)) return 0;
    p->rec = off;
    if (!gru__mul_size(Tn, B, &n) || !gru__mul_size(n, GRU__REC_SLOTS * U * es, &n) ||
        !gru__add_size(off, n, &off) || off > SIZE_MAX - 128)
        return 0;
    off = gru__align64(off);
    p->dp = off;
    if (!gru__mul_size(3 * B, F * es, &n) || !gru__add_size(off, gru__align64(n), &off)) return 0;
    p->rdp = off;
    if (!gru__mul_size(3 * B, U * es, &n) || !gru__add_size(off, gru__align64(n), &off)) return 0;
    p->total = off;
    return 1;
}

gru_status gru_layer_tape_size(const gru_layer *l, int64_t batch, int64_t steps, size_t *bytes) {
    static const char fn[] = "gru_layer_tape_size";
    gru_status s = gru__layer_check(l, fn);
    if (s) return s;
    char *msg = ((gru_layer *)l)->msg;
    if ((s = gru__size_args(msg, bytes, batch, steps, fn))) return s;
    tape_plan p;
    if (!tape_layout(l, batch, steps, &p)) return gru__overflow(msg, batch, steps, fn);
    *bytes = p.total;
    return GRU_OK;
}

gru_status gru_layer_forward_train(gru_layer *l, gru_dtype dtype, const gru_seq *in,
                                   const gru_layer_io *io, gru_training training, void *output,
                                   void *tape, size_t tape_bytes) {
    static const char fn[] = "gru_layer_forward_train";
    gru_status s = gru__layer_check(l, fn);
    if (s) return s;
    char *msg = l->msg;
    if (!in) return gru__fail(GRU_E_NULL, msg, "%s: argument 'in' is NULL", fn);
    if (!tape) return gru__fail(GRU_E_NULL, msg, "%s: argument 'tape' is NULL", fn);
    if ((s = gru__aligned64_check(msg, tape, "tape", fn))) return s;
    if ((s = gru__seq_sizes_check(msg, in, fn))) return s;
    tape_plan p;
    if (!tape_layout(l, in->batch, in->steps, &p))
        return gru__overflow(msg, in->batch, in->steps, fn);
    if ((s = gru__bytes_check(msg, "tape", tape_bytes, p.total, "gru_layer_tape_size", fn)))
        return s;
    char *t = tape;
    tape_hdr *hdr = (tape_hdr *)t;
    hdr->magic = 0;
    s = gru__layer_forward_core(l, dtype, in, io, training, output, t + p.fwd, tape_bytes - p.fwd,
                                t + p.rec, fn);
    if (s) return s;
    const void *dp, *rdp;
    gru__cell_masks_for_call(l->cell, in->batch, training, &dp, &rdp); /* cached by the call */
    const size_t B = (size_t)in->batch, es = l->cell->elem;
    hdr->has_dp = dp != NULL;
    hdr->has_rdp = rdp != NULL;
    if (dp) memcpy(t + p.dp, dp, 3 * B * l->cell->F * es);
    if (rdp) memcpy(t + p.rdp, rdp, 3 * B * l->cell->U * es);
    hdr->batch = in->batch;
    hdr->steps = in->steps;
    hdr->magic = GRU__TAPE_MAGIC;
    return GRU_OK;
}

/* Backward workspace (offsets in bytes): d state (B,U), carried output
 * gradient (B,U); for the row-by-row path (the scalar variant) the incoming
 * dh of a row (U), d h out (U) and the backward row scratch; for the
 * batched path (bptt_impl.h) the transposed weights R^T (3U, ldu) and W^T
 * (3U, ldf), the pre-activation gradients of a step's rows (B, ldd: 3U or
 * 4U padded to 64 bytes, as ldu and ldf), two (B, max(U,F)) scratch blocks
 * (products, masked rows), three row temporaries (U each), four
 * row-pointer arrays and the valid rows (B each). The same size for every
 * variant. */
typedef struct bwd_plan {
    size_t dstate, dcarry, dh, dprev, bws;
    size_t rt, wt, dp, tmp, am, rowt, ptr, vrow, total;
    size_t ldu, ldf, ldd; /* row strides (elements) of R^T, W^T and dPre */
} bwd_plan;

static void bwd_layout(const gru_layer *l, size_t B, bwd_plan *p) {
    const size_t U = l->cell->U, F = l->cell->F, es = l->cell->elem, mx = U > F ? U : F;
    size_t off = 0;
#define GRU__TAKE(field, bytes) (p->field = off, off += gru__align64(bytes))
    GRU__TAKE(dstate, B * U * es);
    GRU__TAKE(dcarry, B * U * es);
    GRU__TAKE(dh, U * es);
    GRU__TAKE(dprev, U * es);
    GRU__TAKE(bws, gru__bwd_row_scratch_bytes(F, U, es));
    p->ldu = gru__align64(U * es) / es;
    p->ldf = gru__align64(F * es) / es;
    GRU__TAKE(rt, 3 * U * p->ldu * es);
    GRU__TAKE(wt, 3 * U * p->ldf * es);
    p->ldd = gru__align64((l->cell->cfg.reset_after ? 4 : 3) * U * es) / es;
    GRU__TAKE(dp, B * p->ldd * es + 64); /* + 64: the kernels' vector reads past a row */
    GRU__TAKE(tmp, B * mx * es);
    GRU__TAKE(am, B * mx * es);
    GRU__TAKE(rowt, 3 * U * es);
    GRU__TAKE(ptr, 4 * B * sizeof(void *));
    GRU__TAKE(vrow, B * sizeof(size_t));
#undef GRU__TAKE
    p->total = off;
}

static size_t bwd_ws_bytes(const gru_layer *l, size_t B) {
    bwd_plan p;
    bwd_layout(l, B, &p);
    return p.total;
}

gru_status gru_layer_backward_workspace_size(const gru_layer *l, int64_t batch, int64_t steps,
                                             size_t *bytes) {
    static const char fn[] = "gru_layer_backward_workspace_size";
    gru_status s = gru__layer_check(l, fn);
    if (s) return s;
    char *msg = ((gru_layer *)l)->msg;
    if ((s = gru__size_args(msg, bytes, batch, steps, fn))) return s;
    const size_t U = l->cell->U, F = l->cell->F, mx = U > F ? U : F; /* rows of (B, .) */
    if ((uint64_t)batch > SIZE_MAX / (16 * (U + mx) * l->cell->elem + 128))
        return gru__fail(GRU_E_OVERFLOW, msg, "%s: batch %lld overflows size_t", fn, (long long)batch);
    *bytes = bwd_ws_bytes(l, (size_t)batch);
    return GRU_OK;
}

#define T float
#define SUF(n) n##_f32
#define GRU__DT GRU_F32
#include "bptt_impl.h"
#undef T
#undef SUF
#undef GRU__DT
#define T double
#define SUF(n) n##_f64
#define GRU__DT GRU_F64
#include "bptt_impl.h"
#undef T
#undef SUF
#undef GRU__DT

gru_status gru_layer_backward(gru_layer *l, gru_dtype dtype, const gru_seq *in, const void *tape,
                              const void *d_output, const void *d_state, void *d_x,
                              void *d_initial_state, const gru_cell_grads *grads, void *workspace,
                              size_t ws_bytes) {
    static const char fn[] = "gru_layer_backward";
    gru_status s = gru__layer_check(l, fn);
    if (s) return s;
    char *msg = l->msg;
    gru_cell *cell = l->cell;
    if ((s = gru__backward_args(msg, in, tape, d_output, fn))) return s;
    if (!workspace) return gru__fail(GRU_E_NULL, msg, "%s: argument 'workspace' is NULL", fn);
    if (dtype != cell->cfg.dtype)
        return gru__fail(GRU_E_DTYPE, msg, "%s: argument 'dtype' must be the layer's dtype %s, got %d",
                         fn, cell->cfg.dtype == GRU_F32 ? "GRU_F32" : "GRU_F64", (int)dtype);
    const tape_hdr *hdr = tape;
    if ((s = gru__tape_check(msg, hdr->magic, GRU__TAPE_MAGIC, hdr->batch, hdr->steps, in,
                             "gru_layer_forward_train", fn)))
        return s;
    if ((s = grads_check(cell, grads, msg, fn)) || (s = acts_check(cell, msg, fn))) return s;
    const size_t need = bwd_ws_bytes(l, (size_t)in->batch);
    if ((s = gru__bytes_check(msg, "workspace", ws_bytes, need,
                              "gru_layer_backward_workspace_size", fn)) ||
        (s = gru__aligned64_check(msg, workspace, "workspace", fn)))
        return s;
    tape_plan p;
    tape_layout(l, in->batch, in->steps, &p);
    bwd_plan bp;
    bwd_layout(l, (size_t)in->batch, &bp);
    const char *t = tape;
    const void *dp = hdr->has_dp ? t + p.dp : NULL, *rdp = hdr->has_rdp ? t + p.rdp : NULL;
    if (dtype == GRU_F32) {
        gru__bptt_f32 b = {l, in, t + p.rec, dp, rdp, d_output, d_state, d_x, d_initial_state,
                           grads, workspace, &bp};
        s = gru__layer_bptt_f32(&b);
    } else {
        gru__bptt_f64 b = {l, in, t + p.rec, dp, rdp, d_output, d_state, d_x, d_initial_state,
                           grads, workspace, &bp};
        s = gru__layer_bptt_f64(&b);
    }
    if (s) return gru__fail_prefixed(s, msg, fn);
    return GRU_OK;
}

/* For the wrappers (bidirectional_backward.c, stack_backward.c): the checks
 * gru_layer_backward makes on grads and the activations, run before any
 * layer's gradients are added. */
gru_status gru__layer_grads_check(const gru_layer *l, const gru_cell_grads *grads, char *msg,
                                  const char *fn) {
    gru_status s = grads_check(l->cell, grads, msg, fn);
    return s ? s : acts_check(l->cell, msg, fn);
}
