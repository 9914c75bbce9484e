/* The backward pass of a stack: a training forward that records every
 * entry's tape and every intermediate sequence, and the backward that runs
 * the entries' backward passes from the last to the first, each one's d_x
 * becoming the previous one's d_output. Only plumbing: the arithmetic is in
 * the layer and wrapper backward passes. */
#include <stdio.h>
#include <string.h>

#include "layer_internal.h"
#include "stack_internal.h"

#define GRU__STACK_TAPE_MAGIC 0x6772757374617065ull /* "grustape" */

typedef struct stack_tape_hdr {
    uint64_t magic;
    int64_t batch, steps;
} stack_tape_hdr;

/* Append b bytes at *off (64-aligned); 0 on overflow. */
static int append(size_t *off, size_t b) {
    return b <= SIZE_MAX - 64 && gru__add_size(*off, gru__align64(b), off);
}

/* Bytes of B*T rows of width elements. */
static int seq_bytes(const gru_stack *st, int64_t batch, int64_t steps, int64_t width, size_t *b) {
    return gru__mul_size((size_t)batch, (size_t)steps, b) && gru__mul_size(*b, (size_t)width, b) &&
           gru__mul_size(*b, gru_dtype_size(st->dtype), b);
}

static gru_status entry_tape(const gru__stack_item *it, int64_t batch, int64_t steps,
                             size_t *bytes) {
    return it->bi ? gru_bidirectional_tape_size(it->bi, batch, steps, bytes)
                  : gru_layer_tape_size(it->layer, batch, steps, bytes);
}

static gru_status entry_bws(const gru__stack_item *it, int64_t batch, int64_t steps,
                            size_t *bytes) {
    return it->bi ? gru_bidirectional_backward_workspace_size(it->bi, batch, steps, bytes)
                  : gru_layer_backward_workspace_size(it->layer, batch, steps, bytes);
}

/* The tape: a header, then per entry i its tape and (i < n-1) its output
 * sequence, the input of entry i+1. Offsets are computed as needed. */
static int tape_walk(const gru_stack *st, int64_t batch, int64_t steps, size_t upto,
                     size_t *tape_off, size_t *tape_bytes, size_t *y_off, size_t *total) {
    if ((uint64_t)batch > SIZE_MAX || (uint64_t)steps > SIZE_MAX) return 0;
    size_t off = gru__align64(sizeof(stack_tape_hdr)), b;
    for (size_t i = 0; i < st->n; i++) {
        if (entry_tape(&st->items[i], batch, steps, &b)) return 0;
        if (i == upto) *tape_off = off, *tape_bytes = b;
        if (!append(&off, b)) return 0;
        if (i + 1 < st->n) {
            if (i == upto) *y_off = off;
            if (!seq_bytes(st, batch, steps, st->items[i].width, &b) || !append(&off, b)) return 0;
        }
    }
    *total = off;
    return 1;
}

static int tape_total(const gru_stack *st, int64_t batch, int64_t steps, size_t *total) {
    size_t a, b, c;
    return tape_walk(st, batch, steps, SIZE_MAX, &a, &b, &c, total);
}

/* Backward workspace: the entries' shared region, then two ping-pong
 * buffers for the intermediate sequences' gradients. */
typedef struct stack_bws {
    size_t entry_bytes, buf[2], total;
} stack_bws;

static int bws_plan(const gru_stack *st, int64_t batch, int64_t steps, stack_bws *p) {
    if ((uint64_t)batch > SIZE_MAX || (uint64_t)steps > SIZE_MAX) return 0;
    size_t need = 0, b, off = 0;
    for (size_t i = 0; i < st->n; i++) {
        if (entry_bws(&st->items[i], batch, steps, &b)) return 0;
        if (b > need) need = b;
    }
    p->entry_bytes = need;
    if (!append(&off, need) || !seq_bytes(st, batch, steps, st->mid_width, &b)) return 0;
    for (size_t k = 0; k < 2; k++) {
        p->buf[k] = off;
        if (k < st->n - 1 && !append(&off, b)) return 0;
    }
    p->total = off;
    return 1;
}

static gru_status size_args(const gru_stack *st, int64_t batch, int64_t steps,
                            const size_t *bytes, const char *fn) {
    gru_status s = gru__stack_check(st, fn);
    return s ? s : gru__size_args(((gru_stack *)st)->msg, bytes, batch, steps, fn);
}

static gru_status overflow(const gru_stack *st, int64_t batch, int64_t steps, const char *fn) {
    return gru__overflow(((gru_stack *)st)->msg, batch, steps, fn);
}

gru_status gru_stack_tape_size(const gru_stack *st, int64_t batch, int64_t steps, size_t *bytes) {
    static const char fn[] = "gru_stack_tape_size";
    gru_status s = size_args(st, batch, steps, bytes, fn);
    if (s) return s;
    if (!tape_total(st, batch, steps, bytes)) return overflow(st, batch, steps, fn);
    return GRU_OK;
}

gru_status gru_stack_backward_workspace_size(const gru_stack *st, int64_t batch, int64_t steps,
                                             size_t *bytes) {
    static const char fn[] = "gru_stack_backward_workspace_size";
    gru_status s = size_args(st, batch, steps, bytes, fn);
    if (s) return s;
    stack_bws p;
    if (!bws_plan(st, batch, steps, &p)) return overflow(st, batch, steps, fn);
    *bytes = p.total;
    return GRU_OK;
}

static gru_status entry_failed(gru_status s, gru_stack *st, const char *fn, size_t i) {
    char prefix[80];
    snprintf(prefix, sizeof prefix, "%s: entries[%zu]", fn, i);
    return gru__fail_prefixed(s, st->msg, prefix);
}

gru_status gru_stack_forward_train(gru_stack *st, gru_dtype dtype, const gru_seq *in,
                                   gru_training training, void *output, void *tape,
                                   size_t tape_bytes) {
    static const char fn[] = "gru_stack_forward_train";
    gru_status s = gru__stack_check(st, fn);
    if (s) return s;
    char *msg = st->msg;
    if ((s = gru__stack_call_check(st, dtype, in, output, tape, "tape", fn))) return s;
    if ((s = gru__aligned64_check(msg, tape, "tape", fn))) return s;
    size_t total;
    if (!tape_total(st, in->batch, in->steps, &total)) return overflow(st, in->batch, in->steps, fn);
    if ((s = gru__bytes_check(msg, "tape", tape_bytes, total, "gru_stack_tape_size", fn)))
        return s;
    char *t = tape;
    stack_tape_hdr *hdr = (stack_tape_hdr *)t;
    hdr->magic = 0;
    gru_seq seq = *in;
    for (size_t i = 0; i < st->n; i++) {
        const gru__stack_item *it = &st->items[i];
        size_t toff = 0, tbytes = 0, yoff = 0;
        tape_walk(st, in->batch, in->steps, i, &toff, &tbytes, &yoff, &total);
        void *dst = i + 1 == st->n ? output : t + yoff;
        if (it->bi)
            s = gru_bidirectional_forward_train(it->bi, dtype, &seq, NULL, training, dst, NULL,
                                                t + toff, tbytes);
        else
            s = gru_layer_forward_train(it->layer, dtype, &seq, NULL, training, dst, t + toff,
                                        tbytes);
        if (s) return entry_failed(s, st, fn, i);
        seq.x = dst; /* the next entry reads this one's sequence */
    }
    hdr->batch = in->batch;
    hdr->steps = in->steps;
    hdr->magic = GRU__STACK_TAPE_MAGIC;
    return GRU_OK;
}

gru_status gru_stack_backward(gru_stack *st, gru_dtype dtype, const gru_seq *in, const void *tape,
                              const void *d_output, void *d_x, const gru_cell_grads *grads,
                              void *workspace, size_t ws_bytes) {
    static const char fn[] = "gru_stack_backward";
    gru_status s = gru__stack_check(st, fn);
    if (s) return s;
    char *msg = st->msg;
    if ((s = gru__backward_args(msg, in, tape, d_output, fn))) return s;
    if (!grads) return gru__fail(GRU_E_NULL, msg, "%s: argument 'grads' is NULL", fn);
    if (!workspace) return gru__fail(GRU_E_NULL, msg, "%s: argument 'workspace' is NULL", fn);
    if (dtype != st->dtype)
        return gru__fail(GRU_E_DTYPE, msg, "%s: argument 'dtype' must be the stack's dtype %s, got %d",
                         fn, gru__stack_dtype_name(st->dtype), (int)dtype);
    const stack_tape_hdr *hdr = tape;
    if ((s = gru__tape_check(msg, hdr->magic, GRU__STACK_TAPE_MAGIC, hdr->batch, hdr->steps, in,
                             "gru_stack_forward_train", fn)))
        return s;
    /* Every layer's grads are checked before any gets anything added. */
    size_t ng = 0;
    for (size_t i = 0; i < st->n; i++) {
        const gru__stack_item *it = &st->items[i];
        for (int k = 0; k < (it->bi ? 2 : 1); k++, ng++) {
            char where[96];
            snprintf(where, sizeof where, "%s: grads[%zu] (entries[%zu]%s)", fn, ng, i,
                     !it->bi ? "" : k ? ", backward layer" : ", forward layer");
            const gru_layer *l = it->bi ? gru_bidirectional_layer(it->bi, k) : it->layer;
            if ((s = gru__layer_grads_check(l, &grads[ng], msg, where))) return s;
        }
    }
    stack_bws p;
    if (!bws_plan(st, in->batch, in->steps, &p)) return overflow(st, in->batch, in->steps, fn);
    if ((s = gru__bytes_check(msg, "workspace", ws_bytes, p.total,
                              "gru_stack_backward_workspace_size", fn)) ||
        (s = gru__aligned64_check(msg, workspace, "workspace", fn)))
        return s;

    const char *t = tape;
    char *ws = workspace;
    size_t total, prev_y = 0;
    for (size_t i = st->n; i-- > 0;) {
        const gru__stack_item *it = &st->items[i];
        ng -= it->bi ? 2 : 1; /* entry i's first gru_cell_grads */
        size_t toff = 0, tbytes = 0, yoff = 0;
        tape_walk(st, in->batch, in->steps, i, &toff, &tbytes, &yoff, &total);
        if (i > 0) {
            size_t a, b;
            tape_walk(st, in->batch, in->steps, i - 1, &a, &b, &prev_y, &total);
        }
        gru_seq seq = *in;
        if (i > 0) seq.x = t + prev_y; /* entry i's input: entry i-1's output */
        const void *dout = i + 1 == st->n ? d_output : ws + p.buf[i % 2];
        void *dx = i == 0 ? d_x : ws + p.buf[(i + 1) % 2];
        if (it->bi)
            s = gru_bidirectional_backward(it->bi, dtype, &seq, t + toff, dout, NULL, NULL, dx,
                                           NULL, &grads[ng], ws, p.entry_bytes);
        else
            s = gru_layer_backward(it->layer, dtype, &seq, t + toff, dout, NULL, dx, NULL,
                                   &grads[ng], ws, p.entry_bytes);
        if (s) return entry_failed(s, st, fn, i);
    }
    return GRU_OK;
}
