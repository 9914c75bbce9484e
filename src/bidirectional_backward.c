/* The backward pass of Bidirectional(GRU): a training forward that records
 * both layers' tapes and directional outputs, and the backward that undoes
 * the merge and runs both layers' BPTT (gru_layer_backward). */
#include <stdio.h>
#include <string.h>

#include "bidirectional_internal.h"

#define T float
#define SUF(n) n##_f32
#include "bidirectional_impl.h"
#include "bidirectional_backward_impl.h"
#undef T
#undef SUF
#define T double
#define SUF(n) n##_f64
#include "bidirectional_impl.h"
#include "bidirectional_backward_impl.h"
#undef T
#undef SUF

#define GRU__BI_TAPE_MAGIC 0x677275626974617ull /* "grubita" */

typedef struct bi_tape_hdr {
    uint64_t magic;
    int64_t batch, steps;
} bi_tape_hdr;

/* The tape: a header, the two layers' tapes, then the forward and the
 * backward layer's outputs (each in its layer's processing order). */
typedef struct bi_tape {
    size_t lt[2], lbytes[2], yf, yb, rows, total;
} bi_tape;

/* Rows of one directional output: B*T with return_sequences, else B. */
static int out_rows(const gru_bidirectional *bi, int64_t batch, int64_t steps, size_t *rows) {
    *rows = (size_t)batch;
    return !bi->cfg[0].return_sequences || gru__mul_size(*rows, (size_t)steps, rows);
}

/* Append n elements of es bytes at *off (64-aligned); 0 on overflow. */
static int append(size_t *off, size_t n, size_t es) {
    size_t b;
    if (!gru__mul_size(n, es, &b) || b > SIZE_MAX - 64 || !gru__add_size(*off, gru__align64(b), off))
        return 0;
    return 1;
}

static int tape_plan(const gru_bidirectional *bi, int64_t batch, int64_t steps, bi_tape *p) {
    if ((uint64_t)batch > SIZE_MAX || (uint64_t)steps > SIZE_MAX) return 0;
    size_t off = gru__align64(sizeof(bi_tape_hdr));
    for (int k = 0; k < 2; k++) {
        if (gru_layer_tape_size(bi->layer[k], batch, steps, &p->lbytes[k])) return 0;
        p->lt[k] = off;
        if (!append(&off, p->lbytes[k], 1)) return 0;
    }
    const size_t es = bi->layer[0]->cell->elem, Uf = bi->layer[0]->cell->U,
                 Ub = bi->layer[1]->cell->U;
    if (!out_rows(bi, batch, steps, &p->rows)) return 0;
    size_t n;
    p->yf = off;
    if (!gru__mul_size(p->rows, Uf, &n) || !append(&off, n, es)) return 0;
    p->yb = off;
    if (!gru__mul_size(p->rows, Ub, &n) || !append(&off, n, es)) return 0;
    p->total = off;
    return 1;
}

static gru_status size_args(const gru_bidirectional *bi, int64_t batch, int64_t steps,
                            const size_t *bytes, const char *fn) {
    gru_status s = gru__bi_check(bi, fn);
    return s ? s : gru__size_args(((gru_bidirectional *)bi)->msg, bytes, batch, steps, fn);
}

static gru_status overflow(const gru_bidirectional *bi, int64_t batch, int64_t steps,
                           const char *fn) {
    return gru__overflow(((gru_bidirectional *)bi)->msg, batch, steps, fn);
}

gru_status gru_bidirectional_tape_size(const gru_bidirectional *bi, int64_t batch, int64_t steps,
                                       size_t *bytes) {
    static const char fn[] = "gru_bidirectional_tape_size";
    gru_status s = size_args(bi, batch, steps, bytes, fn);
    if (s) return s;
    bi_tape p;
    if (!tape_plan(bi, batch, steps, &p)) return overflow(bi, batch, steps, fn);
    *bytes = p.total;
    return GRU_OK;
}

gru_status gru_bidirectional_forward_train(gru_bidirectional *bi, gru_dtype dtype,
                                           const gru_seq *in, const gru_layer_io io[2],
                                           gru_training training, void *output,
                                           void *output_backward, void *tape, size_t tape_bytes) {
    static const char fn[] = "gru_bidirectional_forward_train";
    gru_status s = gru__bi_check(bi, fn);
    if (s) return s;
    char *msg = bi->msg;
    if ((s = gru__bi_call_check(bi, dtype, in, io, output, output_backward, tape, "tape", fn)))
        return s;
    if ((s = gru__aligned64_check(msg, tape, "tape", fn))) return s;
    bi_tape p;
    if (!tape_plan(bi, in->batch, in->steps, &p)) return overflow(bi, in->batch, in->steps, fn);
    if ((s = gru__bytes_check(msg, "tape", tape_bytes, p.total, "gru_bidirectional_tape_size",
                              fn)))
        return s;
    char *t = tape;
    bi_tape_hdr *hdr = (bi_tape_hdr *)t;
    hdr->magic = 0;
    static const char *const pre[2] = {"gru_bidirectional_forward_train: forward layer",
                                       "gru_bidirectional_forward_train: backward layer"};
    const size_t y[2] = {p.yf, p.yb};
    for (int k = 0; k < 2; k++) {
        s = gru_layer_forward_train(bi->layer[k], dtype, in, io ? &io[k] : NULL, training,
                                    t + y[k], t + p.lt[k], p.lbytes[k]);
        if (s) return gru__fail_prefixed(s, msg, pre[k]);
    }
    const size_t B = (size_t)in->batch, steps = bi->cfg[0].return_sequences ? (size_t)in->steps : 1;
    const size_t Uf = bi->layer[0]->cell->U, Ub = bi->layer[1]->cell->U;
    const int tm = bi->cfg[0].time_major;
    if (bi->merge == GRU_MERGE_NONE) {
        memcpy(output, t + p.yf, p.rows * Uf * bi->layer[0]->cell->elem);
        if (dtype == GRU_F32)
            gru__bi_merge_f32(GRU_MERGE_NONE, tm, B, steps, Uf, Ub, NULL,
                              (const float *)(t + p.yb), output_backward);
        else
            gru__bi_merge_f64(GRU_MERGE_NONE, tm, B, steps, Uf, Ub, NULL,
                              (const double *)(t + p.yb), output_backward);
    } else if (dtype == GRU_F32) {
        gru__bi_merge_f32(bi->merge, tm, B, steps, Uf, Ub, (const float *)(t + p.yf),
                          (const float *)(t + p.yb), output);
    } else {
        gru__bi_merge_f64(bi->merge, tm, B, steps, Uf, Ub, (const double *)(t + p.yf),
                          (const double *)(t + p.yb), output);
    }
    hdr->batch = in->batch;
    hdr->steps = in->steps;
    hdr->magic = GRU__BI_TAPE_MAGIC;
    return GRU_OK;
}

/* ---- backward ------------------------------------------------------------------ */

/* Workspace: the two layers' output gradients (processing order), the
 * backward layer's d_x (summed into d_x), then the layers' shared region. */
typedef struct bi_bws {
    size_t dyf, dyb, dx, layers, lbytes, total;
} bi_bws;

static int bws_plan(const gru_bidirectional *bi, int64_t batch, int64_t steps, bi_bws *p) {
    if ((uint64_t)batch > SIZE_MAX || (uint64_t)steps > SIZE_MAX) return 0;
    const gru_cell *cf = bi->layer[0]->cell, *cb = bi->layer[1]->cell;
    size_t rows, n, off = 0;
    if (!out_rows(bi, batch, steps, &rows)) return 0;
    p->dyf = off;
    if (!gru__mul_size(rows, cf->U, &n) || !append(&off, n, cf->elem)) return 0;
    p->dyb = off;
    if (!gru__mul_size(rows, cb->U, &n) || !append(&off, n, cf->elem)) return 0;
    p->dx = off;
    if (!gru__mul_size((size_t)batch, (size_t)steps, &n) || !gru__mul_size(n, cf->F, &n) ||
        !append(&off, n, cf->elem))
        return 0;
    p->lbytes = 0;
    for (int k = 0; k < 2; k++) {
        size_t b;
        if (gru_layer_backward_workspace_size(bi->layer[k], batch, steps, &b)) return 0;
        if (b > p->lbytes) p->lbytes = b;
    }
    p->layers = off;
    if (!append(&off, p->lbytes, 1)) return 0;
    p->total = off;
    return 1;
}

gru_status gru_bidirectional_backward_workspace_size(const gru_bidirectional *bi, int64_t batch,
                                                     int64_t steps, size_t *bytes) {
    static const char fn[] = "gru_bidirectional_backward_workspace_size";
    gru_status s = size_args(bi, batch, steps, bytes, fn);
    if (s) return s;
    bi_bws p;
    if (!bws_plan(bi, batch, steps, &p)) return overflow(bi, batch, steps, fn);
    *bytes = p.total;
    return GRU_OK;
}

gru_status gru_bidirectional_backward(gru_bidirectional *bi, gru_dtype dtype, const gru_seq *in,
                                      const void *tape, const void *d_output,
                                      const void *d_output_backward,
                                      const void *const d_states[2], void *d_x,
                                      void *const d_initial_states[2],
                                      const gru_cell_grads grads[2], void *workspace,
                                      size_t ws_bytes) {
    static const char fn[] = "gru_bidirectional_backward";
    gru_status s = gru__bi_check(bi, fn);
    if (s) return s;
    char *msg = bi->msg;
    const gru_layer_config *cf = &bi->cfg[0];
    if ((s = gru__backward_args(msg, in, tape, d_output, fn))) return s;
    if (bi->merge == GRU_MERGE_NONE && !d_output_backward)
        return gru__fail(GRU_E_NULL, msg,
                         "%s: with merge_mode None, argument 'd_output_backward' (the gradient "
                         "of output_backward) must not be NULL", fn);
    if (bi->merge != GRU_MERGE_NONE && d_output_backward)
        return gru__fail(GRU_E_ARG, msg,
                         "%s: argument 'd_output_backward' must be NULL unless merge_mode is None "
                         "(merge_mode is '%s', d_output is the merged output's gradient)", fn,
                         gru__bi_merge_name(bi->merge));
    if (!grads) return gru__fail(GRU_E_NULL, msg, "%s: argument 'grads' is NULL", fn);
    if (!workspace) return gru__fail(GRU_E_NULL, msg, "%s: argument 'workspace' is NULL", fn);
    if (dtype != cf->cell.dtype)
        return gru__fail(GRU_E_DTYPE, msg, "%s: argument 'dtype' must be the layers' dtype %s, got %d",
                         fn, cf->cell.dtype == GRU_F32 ? "GRU_F32" : "GRU_F64", (int)dtype);
    const bi_tape_hdr *hdr = tape;
    if ((s = gru__tape_check(msg, hdr->magic, GRU__BI_TAPE_MAGIC, hdr->batch, hdr->steps, in,
                             "gru_bidirectional_forward_train", fn)))
        return s;
    /* Both layers' grads are checked before either gets anything added. */
    for (int k = 0; k < 2; k++) {
        char where[64];
        snprintf(where, sizeof where, "%s: grads[%d]", fn, k);
        if ((s = gru__layer_grads_check(bi->layer[k], &grads[k], msg, where))) return s;
    }
    bi_bws p;
    bi_tape tp;
    if (!bws_plan(bi, in->batch, in->steps, &p) || !tape_plan(bi, in->batch, in->steps, &tp))
        return overflow(bi, in->batch, in->steps, fn);
    if ((s = gru__bytes_check(msg, "workspace", ws_bytes, p.total,
                              "gru_bidirectional_backward_workspace_size", fn)) ||
        (s = gru__aligned64_check(msg, workspace, "workspace", fn)))
        return s;

    const char *t = tape;
    char *ws = workspace;
    const size_t B = (size_t)in->batch, steps = cf->return_sequences ? (size_t)in->steps : 1;
    const size_t Uf = bi->layer[0]->cell->U, Ub = bi->layer[1]->cell->U;
    const int tm = cf->time_major;
    if (dtype == GRU_F32)
        gru__bi_unmerge_f32(bi->merge, tm, B, steps, Uf, Ub, d_output, d_output_backward,
                            (const float *)(t + tp.yf), (const float *)(t + tp.yb),
                            (float *)(ws + p.dyf), (float *)(ws + p.dyb));
    else
        gru__bi_unmerge_f64(bi->merge, tm, B, steps, Uf, Ub, d_output, d_output_backward,
                            (const double *)(t + tp.yf), (const double *)(t + tp.yb),
                            (double *)(ws + p.dyf), (double *)(ws + p.dyb));
    static const char *const pre[2] = {"gru_bidirectional_backward: forward layer",
                                       "gru_bidirectional_backward: backward layer"};
    const size_t dy[2] = {p.dyf, p.dyb};
    for (int k = 0; k < 2; k++) {
        void *dxk = !d_x ? NULL : k == 0 ? d_x : ws + p.dx;
        s = gru_layer_backward(bi->layer[k], dtype, in, t + tp.lt[k], ws + dy[k],
                               d_states ? d_states[k] : NULL, dxk,
                               d_initial_states ? d_initial_states[k] : NULL, &grads[k],
                               ws + p.layers, p.lbytes);
        if (s) return gru__fail_prefixed(s, msg, pre[k]);
    }
    if (d_x) {
        const size_t n = B * (size_t)in->steps * bi->layer[0]->cell->F;
        if (dtype == GRU_F32) gru__bi_add_f32(n, (const float *)(ws + p.dx), d_x);
        else gru__bi_add_f64(n, (const double *)(ws + p.dx), d_x);
    }
    return GRU_OK;
}
