/* The layer handle's layout, shared by layer.c and layer_impl.h users. */
#ifndef GRU_LAYER_INTERNAL_H
#define GRU_LAYER_INTERNAL_H

#include "cell_internal.h"

#define GRU__LAYER_MAGIC 0x6772756c61797231ull /* "grulayr1" */

struct gru_layer {
    uint64_t magic;
    gru_layer_config cfg;  /* effective (cell part as the cell reports it) */
    gru_cell *cell;        /* placed right after this struct               */
    void *states;          /* (batch_size, U) when stateful, cell dtype     */
    int owned;
    gru_threadpool *pool;  /* lent by gru_layer_set_threadpool, or NULL     */
    char msg[GRU_ERRMSG_MAX];
};

/* Workspace layout of a forward call (offsets in bytes). need: what one
 * thread needs; total: with the layer's pool of nth > 1 threads, also the
 * other threads' row scratch (thr_row, nth - 1 of row_bytes each), a second
 * state buffer and the shared reset gate of a batch-1 call (state2, rsh;
 * U each). Without a pool, total = need. */
typedef struct gru__layer_ws {
    size_t xproj, state, prev, row, need;
    size_t thr_row, row_bytes, state2, rsh, total;
    int nth;
} gru__layer_ws;
gru_status gru__layer_ws_plan(const gru_layer *layer, int64_t batch, int64_t steps,
                              gru__layer_ws *plan);

/* Validate a handle pointer. */
gru_status gru__layer_check(const gru_layer *l, const char *fn);
/* Is input step t of sample b valid (mask non-zero, or t < length)? */
int gru__step_valid(const gru_layer *l, const gru_seq *in, size_t t, size_t b);
/* gru_layer_forward with optional backward records (see layer.c). */
gru_status gru__layer_forward_core(gru_layer *l, gru_dtype dtype, const gru_seq *in,
                                   const gru_layer_io *io, gru_training training, void *output,
                                   void *workspace, size_t ws_bytes, void *rec, const char *fn);
/* gru_layer_backward's checks of grads (non-NULL arrays, bias when the cell
 * has one) and of the activations (custom ones need deriv); see backward.c. */
gru_status gru__layer_grads_check(const gru_layer *l, const gru_cell_grads *grads, char *msg,
                                  const char *fn);

#endif
