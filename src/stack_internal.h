/* The stack handle's layout, shared by stack.c and stack_backward.c. Not
 * installed. */
#ifndef GRU_STACK_INTERNAL_H
#define GRU_STACK_INTERNAL_H

#include "internal.h"

#define GRU__STACK_MAGIC 0x6772757374616b31ull /* "grustak1" */

typedef struct gru__stack_item {
    gru_layer *layer;       /* an ordinary layer, or NULL            */
    gru_bidirectional *bi;  /* a wrapper, or NULL                    */
    gru_layer_config cfg;   /* the layer's (the forward layer's) config */
    int64_t width;          /* last axis of the entry's output       */
} gru__stack_item;

struct gru_stack {
    uint64_t magic;
    size_t n;
    gru__stack_item *items; /* n entries, placed after this struct   */
    gru_dtype dtype;
    int64_t mid_width;      /* widest output among entries 0..n-2    */
    gru_allocator allocator;
    char msg[GRU_ERRMSG_MAX];
};

/* Validate a handle pointer. */
gru_status gru__stack_check(const gru_stack *st, const char *fn);
/* "GRU_F32", "GRU_F64" or "an invalid dtype". */
const char *gru__stack_dtype_name(gru_dtype d);
/* The argument checks a forward call makes before running any entry: in,
 * in->x, output, buf (the call's workspace or tape, named buf_name), dtype,
 * batch and steps, stateful batches. */
gru_status gru__stack_call_check(gru_stack *st, gru_dtype dtype, const gru_seq *in,
                                 const void *output, const void *buf, const char *buf_name,
                                 const char *fn);

#endif
