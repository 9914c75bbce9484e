/* gru_cell_call: argument checks, masks, then the step for the cell's dtype. */
#include <math.h>
#include <string.h>

#include "cell_internal.h"

/* The generic path's row scratch: 3U doubles of accumulators + xin F +
 * hin U + ag 3U + z, r, hh, pre 4U. */
static size_t row_scratch_generic(size_t F, size_t U, size_t elem) {
    return gru__align64(3 * U * sizeof(double) + (F + 8 * U) * elem);
}

/* Plus, for the packed path (step_impl.h), after the generic part: masked
 * copies of x or h per gate and row 3 max(F, U) GRU__ROWS_MAX, the panel sums (3 gates x
 * GRU__PANEL_MAX x GRU__ROWS_MAX) and the fused recurrence's buffers of each row (9U x
 * GRU__ROWS_MAX: pre-activations, gates, h·R_h, r ⊙ h, new state). Independent of the
 * variant, so workspace sizes are too. */
size_t gru__row_scratch_bytes(size_t F, size_t U, size_t elem) {
    const size_t FU = F > U ? F : U;
    return row_scratch_generic(F, U, elem) +
           gru__align64((3 * FU * GRU__ROWS_MAX + 3 * GRU__PANEL_MAX * GRU__ROWS_MAX +
                         9 * U * GRU__ROWS_MAX) * elem);
}

/* ---- packed weights --------------------------------------------------------- */

size_t gru__packed_elems(size_t K, size_t U, size_t P) { return K * 3 * ((U + P - 1) / P * P); }

/* Copy W (K x 3U, Keras layout: gate g's unit j at W[k*3U + g*U + j]) into
 * panels of P units, so that the kernel streams each panel once,
 * contiguously. split = 0 (reset_after, and every input kernel): panel p is
 * K rows of z|r|h blocks of P (3P per row), panel after panel. split = 1
 * (the recurrent kernel without reset_after, whose candidate needs all of r
 * first): all z|r panels (2P per row), then all h panels (P per row).
 * Units past U are zero. Byte copies, so one function serves both types. */
static void pack(size_t K, size_t U, size_t P, size_t elem, int split, const char *W, char *dst) {
    const size_t npan = (U + P - 1) / P;
    memset(dst, 0, gru__packed_elems(K, U, P) * elem);
    for (size_t p = 0; p < npan; p++) {
        const size_t j0 = p * P, n = U - j0 < P ? U - j0 : P;
        for (size_t k = 0; k < K; k++)
            for (size_t g = 0; g < 3; g++) {
                size_t off;
                if (!split) off = (p * K + k) * 3 * P + g * P;
                else if (g < 2) off = (p * K + k) * 2 * P + g * P;
                else off = npan * K * 2 * P + (p * K + k) * P;
                memcpy(dst + off * elem, W + (k * 3 * U + g * U + j0) * elem, n * elem);
            }
    }
}

void gru__pack_cell(gru_cell *cell) {
    if (!cell->pw || !cell->wpack || !cell->rpack) return;
    pack(cell->F, cell->U, cell->pw, cell->elem, 0, (const char *)cell->kernel,
         (char *)cell->wpack);
    pack(cell->U, cell->U, cell->pw, cell->elem, !cell->cfg.reset_after,
         (const char *)cell->recurrent, (char *)cell->rpack);
}

size_t gru__bwd_row_scratch_bytes(size_t F, size_t U, size_t elem) {
    /* backward_impl.h: d pre 3U, dz dr dhh hs tmp 5U, d xin F */
    return gru__align64((8 * U + F) * elem);
}

/* The part of the step scratch gru_cell_backward lays out (backward.c). */
static size_t step_scratch_core(size_t F, size_t U, size_t elem) {
    /* row scratch, xg 3U, and for gru_cell_backward a record (8U), the
     * backward row scratch and dh (U) */
    return gru__row_scratch_bytes(F, U, elem) + gru__align64(3 * U * elem) +
           gru__align64(GRU__REC_SLOTS * U * elem) + gru__bwd_row_scratch_bytes(F, U, elem) +
           gru__align64(U * elem);
}

size_t gru__step_scratch_bytes(size_t F, size_t U, size_t elem) {
    /* plus the input projections of rows 1 .. GRU__ROWS_MAX - 1 of a block
     * (gru__step; row 0's is the xg above) */
    return step_scratch_core(F, U, elem) + gru__align64(3 * U * (GRU__ROWS_MAX - 1) * elem);
}

/* The variant's vectorised kind for an activation (kernels.h), or 0. */
static int vact_kind(const gru_activation *a) {
    switch (a->kind) {
    case GRU_ACT_LINEAR: return GRU__VACT_LINEAR;
    case GRU_ACT_SIGMOID: return GRU__VACT_SIGMOID;
    case GRU_ACT_TANH: return GRU__VACT_TANH;
    case GRU_ACT_HARD_SIGMOID: return GRU__VACT_HARD_SIGMOID;
    case GRU_ACT_HARD_SIGMOID_K3: return GRU__VACT_HARD_SIGMOID_K3;
    case GRU_ACT_RELU: {
        const int has_max = !isnan(a->max_value) && a->max_value >= 0.0;
        return a->alpha == 0.0 && !has_max && a->threshold == 0.0 ? GRU__VACT_RELU : 0;
    }
    default: return 0;
    }
}

/* The fused (packed) step's gate activations: the variant's vectorised one
 * where it has it (float32; the same bits in every packed variant), else
 * the scalar row (libm). */
static void gate_f32(const gru_cell *cell, const gru_activation *a, size_t n, const float *x,
                     float *y) {
    const int k = cell->kern->act_f32 ? vact_kind(a) : 0;
    if (!k || !cell->kern->act_f32(k, n, x, y)) gru__act_row_f32(a, n, x, y);
}
static void gate_f64(const gru_cell *cell, const gru_activation *a, size_t n, const double *x,
                     double *y) {
    (void)cell;
    gru__act_row_f64(a, n, x, y);
}

/* The variant's fused gate kernel (fn: its gates_f32 / gates_f64 entry)
 * serves a cell when it vectorises both activations; *ract and *act get
 * their kinds. */
static int vgates(const gru_cell *cell, int has_fn, int *ract, int *act) {
    *ract = vact_kind(&cell->cfg.recurrent_activation);
    *act = vact_kind(&cell->cfg.activation);
    return has_fn && cell->pw && *ract && *act;
}

#define T float
#define SUF(n) n##_f32
#define GATES_FN cell->kern->gates_f32
#define PANELS_OUT cell->kern->panels_out_f32
#define VECMAT cell->kern->vecmat_f32
#define PANELS cell->kern->panels_f32
#define ACT_ROW gru__act_row_f32
#define GATE(a, n, x, y) gate_f32(cell, (a), (n), (x), (y))
#include "step_impl.h"
#undef T
#undef SUF
#undef GATES_FN
#undef PANELS_OUT
#undef VECMAT
#undef PANELS
#undef ACT_ROW
#undef GATE

#define T double
#define SUF(n) n##_f64
#define GATES_FN cell->kern->gates_f64
#define PANELS_OUT cell->kern->panels_out_f64
#define VECMAT cell->kern->vecmat_f64
#define PANELS cell->kern->panels_f64
#define ACT_ROW gru__act_row_f64
#define GATE(a, n, x, y) gate_f64(cell, (a), (n), (x), (y))
#include "step_impl.h"
#undef T
#undef SUF
#undef GATES_FN
#undef PANELS_OUT
#undef VECMAT
#undef PANELS
#undef ACT_ROW
#undef GATE

gru_status gru_cell_workspace_size(const gru_cell *cell, int64_t batch, size_t *bytes) {
    gru_status s = gru__cell_check(cell, "gru_cell_workspace_size");
    if (s) return s;
    char *msg = ((gru_cell *)cell)->msg;
    if (!bytes) return gru__fail(GRU_E_NULL, msg, "gru_cell_workspace_size: argument 'bytes' is NULL");
    if (batch <= 0)
        return gru__fail(GRU_E_ARG, msg,
                         "gru_cell_workspace_size: argument 'batch' must be > 0, got %lld",
                         (long long)batch);
    *bytes = cell->scratch_bytes;
    return GRU_OK;
}

static gru_status call_impl(gru_cell *cell, gru_dtype dtype, int64_t batch, const void *x,
                            const void *h, gru_training training, void *h_new, void *ws,
                            size_t ws_bytes, const char *fn) {
    gru_status s = gru__cell_check(cell, fn);
    if (s) return s;
    char *msg = cell->msg;
    if (!x) return gru__fail(GRU_E_NULL, msg, "%s: argument 'x' (inputs, shape (B, F)) is NULL", fn);
    if (!h) return gru__fail(GRU_E_NULL, msg, "%s: argument 'h' (states, shape (B, U)) is NULL", fn);
    if (!h_new) return gru__fail(GRU_E_NULL, msg, "%s: argument 'h_new' (output, shape (B, U)) is NULL", fn);
    if (dtype != cell->cfg.dtype)
        return gru__fail(GRU_E_DTYPE, msg, "%s: argument 'dtype' must be the cell's dtype %s, got %s (%d)",
                         fn, cell->cfg.dtype == GRU_F32 ? "GRU_F32" : "GRU_F64",
                         dtype == GRU_F32 ? "GRU_F32" : dtype == GRU_F64 ? "GRU_F64" : "invalid",
                         (int)dtype);
    if (batch <= 0)
        return gru__fail(GRU_E_ARG, msg, "%s: argument 'batch' must be > 0, got %lld", fn,
                         (long long)batch);
    size_t tmp;
    if ((uint64_t)batch > SIZE_MAX || !gru__mul_size((size_t)batch, cell->F + cell->U, &tmp) ||
        !gru__mul_size(tmp, cell->elem, &tmp))
        return gru__fail(GRU_E_OVERFLOW, msg, "%s: batch %lld times the row size overflows size_t",
                         fn, (long long)batch);
    if (training != GRU_TRAINING_NONE && training != GRU_TRAINING_FALSE &&
        training != GRU_TRAINING_TRUE)
        return gru__fail(GRU_E_ARG, msg,
                         "%s: argument 'training' must be GRU_TRAINING_NONE, _FALSE or _TRUE, got %d",
                         fn, (int)training);
    if (ws_bytes < cell->scratch_bytes)
        return gru__fail(GRU_E_SHAPE, msg, "%s: workspace has %zu bytes, needs %zu", fn, ws_bytes,
                         cell->scratch_bytes);
    const void *dp = NULL, *rdp = NULL;
    s = gru__cell_masks_for_call(cell, batch, training, &dp, &rdp);
    if (s) return s;
    if (dtype == GRU_F32)
        gru__step_f32(cell, (size_t)batch, x, h, dp, rdp, h_new, ws);
    else
        gru__step_f64(cell, (size_t)batch, x, h, dp, rdp, h_new, ws);
    return GRU_OK;
}

gru_status gru_cell_call(gru_cell *cell, gru_dtype dtype, int64_t batch, const void *x,
                         const void *h, gru_training training, void *h_new) {
    gru_status s = gru__cell_check(cell, "gru_cell_call");
    if (s) return s;
    return call_impl(cell, dtype, batch, x, h, training, h_new, cell->scratch,
                     cell->scratch_bytes, "gru_cell_call");
}

gru_status gru_cell_call_ws(gru_cell *cell, gru_dtype dtype, int64_t batch, const void *x,
                            const void *h, gru_training training, void *h_new, void *workspace,
                            size_t ws_bytes) {
    gru_status s = gru__cell_check(cell, "gru_cell_call_ws");
    if (s) return s;
    if (!workspace)
        return gru__fail(GRU_E_NULL, cell->msg, "gru_cell_call_ws: argument 'workspace' is NULL");
    if (((uintptr_t)workspace % _Alignof(double)) != 0)
        return gru__fail(GRU_E_ARG, cell->msg,
                         "gru_cell_call_ws: argument 'workspace' must be aligned to %zu bytes",
                         (size_t)_Alignof(double));
    return call_impl(cell, dtype, batch, x, h, training, h_new, workspace, ws_bytes,
                     "gru_cell_call_ws");
}
