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
    char msg[GRU_ERRMSG_MAX];
};

/* Workspace layout of a forward call (offsets in bytes). */
typedef struct gru__layer_ws {
    size_t xproj, state, prev, row, total;
} gru__layer_ws;
gru_status gru__layer_ws_plan(const gru_layer *layer, int64_t batch, int64_t steps,
                              gru__layer_ws *plan);

#endif
