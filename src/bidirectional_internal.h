/* The Bidirectional handle's layout, shared by bidirectional.c and
 * bidirectional_backward.c. Not installed. */
#ifndef GRU_BIDIRECTIONAL_INTERNAL_H
#define GRU_BIDIRECTIONAL_INTERNAL_H

#include "layer_internal.h"

#define GRU__BI_MAGIC 0x6772756269646931ull /* "grubidi1" */

struct gru_bidirectional {
    uint64_t magic;
    gru_layer_config cfg[2]; /* effective forward / backward layer configs */
    gru_merge_mode merge;
    gru_layer *layer[2];     /* placed after this struct, in the same block */
    gru_allocator allocator; /* of the block: cfg.layer.cell.allocator      */
    char msg[GRU_ERRMSG_MAX];
};

/* Validate a handle pointer. */
gru_status gru__bi_check(const gru_bidirectional *bi, const char *fn);
/* Keras' name of a merge mode ("concat", ..., "None"). */
const char *gru__bi_merge_name(gru_merge_mode m);
/* The argument checks a forward call makes before running either layer:
 * in, in->x, output / output_backward (per merge mode), buf (the call's
 * workspace or tape, named buf_name), dtype, batch and steps, return_state's
 * state_out, a stateful batch. */
gru_status gru__bi_call_check(gru_bidirectional *bi, gru_dtype dtype, const gru_seq *in,
                              const gru_layer_io io[2], const void *output,
                              const void *output_backward, const void *buf,
                              const char *buf_name, const char *fn);

#endif
