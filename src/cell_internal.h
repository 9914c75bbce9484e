/* The cell handle's layout, shared by cell.c, dropout.c and step.c. */
#ifndef GRU_CELL_INTERNAL_H
#define GRU_CELL_INTERNAL_H

#include "internal.h"
#include "kernels/kernels.h"

#define GRU__CELL_MAGIC 0x67727563656c6c31ull /* "grucell1" */

/* One cached set of dropout masks (3 arrays of rows x width, cell dtype). */
typedef struct gru__mask_cache {
    void *data;      /* capacity 3 * max_batch * width elements, or NULL */
    size_t width;    /* F for input masks, U for recurrent masks         */
    int64_t batch;   /* rows held; 0 = empty cache                       */
} gru__mask_cache;

struct gru_cell {
    uint64_t magic;
    gru_cell_config cfg;      /* effective: dropout clipped, implementation forced */
    size_t F, U;
    size_t elem;              /* bytes per element of cfg.dtype */
    void *kernel;             /* (F, 3U) */
    void *recurrent;          /* (U, 3U) */
    void *bias;               /* (3U) or (2, 3U); NULL without bias */
    gru__mask_cache dp, rdp;  /* input and recurrent dropout masks */
    gru_rng rng;              /* dropout draws */
    void *scratch;            /* per-row scratch for gru_cell_call */
    size_t scratch_bytes;
    const gru_kernels *kern;
    size_t pw;                /* kern's panel width for cfg.dtype; 0: no packed path */
    void *wpack, *rpack;      /* packed kernel / recurrent (gru__pack_cell), or NULL */
    int fused;                /* 1: recurrent half fused over panels (pw != 0 and
                                 both activations element-wise built-ins) */
    int owned;                /* 1 if from gru_cell_create */
    char msg[GRU_ERRMSG_MAX];
};

/* Validate a handle pointer; on failure sets the thread message. */
gru_status gru__cell_check(const gru_cell *cell, const char *fn);
/* Bytes of per-row scratch the step halves need (independent of batch). */
size_t gru__row_scratch_bytes(size_t F, size_t U, size_t elem);
/* Bytes of the backward row scratch (backward_impl.h). */
size_t gru__bwd_row_scratch_bytes(size_t F, size_t U, size_t elem);
/* Bytes of gru_cell_call's scratch: the row scratch plus one row of 3U
 * input projections. */
size_t gru__step_scratch_bytes(size_t F, size_t U, size_t elem);
/* Fetch (drawing if needed) the masks a call uses. *dp / *rdp become NULL
 * when the rate is 0. */
gru_status gru__cell_masks_for_call(gru_cell *cell, int64_t batch, gru_training training,
                                    const void **dp, const void **rdp);
/* Draw fresh masks for `batch` rows into the cache, as Keras' RNN layer does
 * at the start of every call (reset, then draw). */
gru_status gru__cell_redraw_masks(gru_cell *cell, int64_t batch, gru_training training,
                                  const char *fn);

/* Refresh wpack/rpack from kernel/recurrent (no-op without a packed path). */
void gru__pack_cell(gru_cell *cell);
/* Elements of one packed matrix of K rows (K x 3U, U padded to panels). */
size_t gru__packed_elems(size_t K, size_t U, size_t P);

/* Slots (of U elements) of one row's record for the backward pass. */
enum { GRU__REC_H, GRU__REC_Z, GRU__REC_R, GRU__REC_HH, GRU__REC_PZ, GRU__REC_PR, GRU__REC_PH,
       GRU__REC_AH, GRU__REC_SLOTS };

/* The step halves and the whole step (step_impl.h), no argument checks. */
#define GRU__STEP_DECLS(T, SFX)                                                                  \
    void gru__input_row_##SFX(const gru_cell *cell, const T *x, const T *const m[3], T *xg,     \
                              void *ws);                                                         \
    void gru__recurrent_row_##SFX(const gru_cell *cell, const T *xg, const T *h,                \
                                  const T *const rm[3], T *out, void *ws, T *rec);               \
    void gru__recurrent_rows_##SFX(const gru_cell *cell, size_t nr, const T *const *xg,        \
                                   const T *const *h, const T *const (*rm)[3], T *const *out,  \
                                   void *ws, T *const *recs);                                  \
    void gru__input_rows_##SFX(const gru_cell *cell, size_t nr, const T *const *x,             \
                               const T *const (*m)[3], T *const *xg, void *ws);               \
    void gru__row_masks_##SFX(const gru_cell *cell, size_t batch, size_t b, const T *dp,        \
                              const T *rdp, const T *m[3], const T *rm[3]);                      \
    void gru__recurrent_row_panels_##SFX(const gru_cell *cell, const T *xg, const T *h,         \
                                         const T *const rm[3], T *out, void *ws, size_t p0,     \
                                         size_t p1, T *rsh, void (*sync)(void *),               \
                                         void *sync_arg);                                       \
    void gru__step_##SFX(const gru_cell *cell, size_t batch, const T *x, const T *h,            \
                         const T *dp, const T *rdp, T *h_new, void *scratch);
GRU__STEP_DECLS(float, f32)
GRU__STEP_DECLS(double, f64)
#undef GRU__STEP_DECLS

#endif
