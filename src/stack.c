/* Stacks: GRU layers and Bidirectional wrappers feeding each other, as a
 * Keras Sequential of RNN layers. Each entry is an ordinary layer or wrapper
 * handle (gru_layer_create / gru_bidirectional_create, with that entry's
 * allocator); the stack's own block holds the handle and the entry table.
 * The forward call keeps intermediate sequences in two ping-pong buffers of
 * the workspace; the last entry writes into `output`. The mask (or lengths)
 * goes to every entry, as Keras propagates it through return_sequences
 * layers. Dropout masks are drawn by each layer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack_internal.h"

typedef gru__stack_item stack_item;

static const gru_layer_config *entry_cfg(const gru_stack_entry *e) {
    return e->bidirectional ? &e->bi.layer : &e->layer;
}

static void free_items(stack_item *items, size_t n) {
    for (size_t i = 0; i < n; i++) {
        gru_layer_free(items[i].layer);
        gru_bidirectional_free(items[i].bi);
    }
}

const char *gru__stack_dtype_name(gru_dtype d) {
    return d == GRU_F32 ? "GRU_F32" : d == GRU_F64 ? "GRU_F64" : "an invalid dtype";
}

/* Checks that need only the entries' configs (before anything is made). */
static gru_status check_entries(const gru_stack_entry *entries, size_t n, const char *fn) {
    for (size_t i = 0; i < n; i++) {
        const gru_stack_entry *e = &entries[i];
        const gru_layer_config *c = entry_cfg(e);
        const char *f = e->bidirectional ? "bi.layer" : "layer";
        if (e->bidirectional && e->bi.merge_mode == GRU_MERGE_NONE)
            return gru__fail(GRU_E_ARG, NULL,
                             "%s: entries[%zu].bi.merge_mode must not be GRU_MERGE_NONE in a stack "
                             "(its two outputs cannot feed the next entry), got GRU_MERGE_NONE",
                             fn, i);
        if (c->return_state)
            return gru__fail(GRU_E_ARG, NULL,
                             "%s: entries[%zu].%s.return_state must be false in a stack (the "
                             "stack returns no states), got true", fn, i, f);
        if (i + 1 < n && !c->return_sequences)
            return gru__fail(GRU_E_ARG, NULL,
                             "%s: entries[%zu].%s.return_sequences must be true (every entry but "
                             "the last feeds a sequence to the next), got false", fn, i, f);
    }
    return GRU_OK;
}

/* Checks between the made entries: widths, dtype, layout, batch. */
static gru_status check_chain(const stack_item *it, const gru_stack_entry *entries, size_t n,
                              const char *fn) {
    const gru_layer_config *c0 = &it[0].cfg;
    int64_t batch = 0;
    size_t batch_from = 0;
    for (size_t i = 0; i < n; i++) {
        const gru_layer_config *c = &it[i].cfg;
        const char *f = entries[i].bidirectional ? "bi.layer" : "layer";
        if (i > 0 && c->cell.input_dim != it[i - 1].width)
            return gru__fail(GRU_E_SHAPE, NULL,
                             "%s: entries[%zu].%s.cell.input_dim must equal the output width of "
                             "entries[%zu], expected %lld, got %lld", fn, i, f, i - 1,
                             (long long)it[i - 1].width, (long long)c->cell.input_dim);
        if (c->cell.dtype != c0->cell.dtype)
            return gru__fail(GRU_E_DTYPE, NULL,
                             "%s: entries[%zu].%s.cell.dtype must equal entries[0]'s dtype, "
                             "expected %s, got %s", fn, i, f, gru__stack_dtype_name(c0->cell.dtype),
                             gru__stack_dtype_name(c->cell.dtype));
        if (c->time_major != c0->time_major)
            return gru__fail(GRU_E_ARG, NULL,
                             "%s: entries[%zu].%s.time_major must equal entries[0]'s (one layout "
                             "for the whole stack), expected %s, got %s", fn, i, f,
                             c0->time_major ? "true" : "false", c->time_major ? "true" : "false");
        if (c->stateful) {
            if (batch && c->batch_size != batch)
                return gru__fail(GRU_E_ARG, NULL,
                                 "%s: entries[%zu].%s.batch_size must equal entries[%zu]'s (both "
                                 "are stateful and see the same batch), expected %lld, got %lld",
                                 fn, i, f, batch_from, (long long)batch,
                                 (long long)c->batch_size);
            batch = c->batch_size;
            batch_from = i;
        }
    }
    return GRU_OK;
}

gru_status gru_stack_create(const gru_stack_entry *entries, size_t n, gru_stack **out) {
    static const char fn[] = "gru_stack_create";
    if (!out) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'out' is NULL", fn);
    *out = NULL;
    if (!entries) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'entries' is NULL", fn);
    if (n == 0) return gru__fail(GRU_E_ARG, NULL, "%s: argument 'n' must be >= 1, got 0", fn);
    gru_status s = check_entries(entries, n, fn);
    if (s) return s;
    size_t total, items_bytes;
    if (!gru__mul_size(n, sizeof(stack_item), &items_bytes) ||
        !gru__add_size(gru__align64(sizeof(struct gru_stack)), items_bytes, &total))
        return gru__fail(GRU_E_OVERFLOW, NULL, "%s: %zu entries overflow size_t", fn, n);
    const gru_allocator a = entry_cfg(&entries[0])->cell.allocator;
    if ((a.alloc == NULL) != (a.free == NULL))
        return gru__fail(GRU_E_ARG, NULL,
                         "%s: entries[0]'s cell.allocator must set both alloc and free, or neither",
                         fn);
    void *mem = a.alloc ? a.alloc(total, a.user) : malloc(total);
    if (!mem) return gru__fail(GRU_E_NOMEM, NULL, "%s: allocating %zu bytes failed", fn, total);
    memset(mem, 0, total);
    gru_stack *st = mem;
    st->items = (stack_item *)((char *)mem + gru__align64(sizeof(struct gru_stack)));
    st->n = n;
    st->allocator = a;
    for (size_t i = 0; i < n && !s; i++) {
        stack_item *it = &st->items[i];
        if (entries[i].bidirectional) {
            s = gru_bidirectional_create(&entries[i].bi, &it->bi);
            if (!s) s = gru_layer_get_config(gru_bidirectional_layer(it->bi, 0), &it->cfg);
            if (!s) it->width = gru_bidirectional_output_width(it->bi);
        } else {
            s = gru_layer_create(&entries[i].layer, &it->layer);
            if (!s) s = gru_layer_get_config(it->layer, &it->cfg);
            if (!s) it->width = it->cfg.cell.units;
        }
        if (s) {
            char prefix[64];
            snprintf(prefix, sizeof prefix, "%s: entries[%zu]", fn, i);
            gru__fail_prefixed(s, NULL, prefix);
        }
    }
    if (!s) s = check_chain(st->items, entries, n, fn);
    if (s) {
        free_items(st->items, n);
        if (a.free) a.free(mem, a.user);
        else free(mem);
        return s;
    }
    st->dtype = st->items[0].cfg.cell.dtype;
    for (size_t i = 0; i + 1 < n; i++)
        if (st->items[i].width > st->mid_width) st->mid_width = st->items[i].width;
    st->magic = GRU__STACK_MAGIC;
    *out = st;
    return GRU_OK;
}

gru_status gru__stack_check(const gru_stack *st, const char *fn) {
    if (!st) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'stack' is NULL", fn);
    if (st->magic != GRU__STACK_MAGIC)
        return gru__fail(GRU_E_STATE, NULL,
                         "%s: argument 'stack' is not an initialised stack (not made by "
                         "gru_stack_create, or already freed)", fn);
    return GRU_OK;
}

void gru_stack_free(gru_stack *st) {
    if (!st || st->magic != GRU__STACK_MAGIC) return;
    const gru_allocator a = st->allocator;
    free_items(st->items, st->n);
    st->magic = 0;
    if (a.free) a.free(st, a.user);
    else free(st);
}

const char *gru_stack_last_error(const gru_stack *st) {
    if (!st) return "argument 'stack' is NULL";
    if (st->magic != GRU__STACK_MAGIC) return "argument 'stack' is not an initialised stack";
    return st->msg;
}

size_t gru_stack_count(const gru_stack *st) {
    return gru__stack_check(st, "gru_stack_count") ? 0 : st->n;
}

static int check_index(gru_stack *st, size_t i, const char *fn) {
    if (gru__stack_check(st, fn)) return 0;
    if (i >= st->n) {
        gru__fail(GRU_E_ARG, st->msg, "%s: argument 'i' must be < %zu (the entry count), got %zu",
                  fn, st->n, i);
        return 0;
    }
    return 1;
}

gru_layer *gru_stack_layer(gru_stack *st, size_t i) {
    return check_index(st, i, "gru_stack_layer") ? st->items[i].layer : NULL;
}

gru_bidirectional *gru_stack_bidirectional(gru_stack *st, size_t i) {
    return check_index(st, i, "gru_stack_bidirectional") ? st->items[i].bi : NULL;
}

int64_t gru_stack_output_width(const gru_stack *st) {
    return gru__stack_check(st, "gru_stack_output_width") ? -1 : st->items[st->n - 1].width;
}

gru_status gru_stack_set_threadpool(gru_stack *st, gru_threadpool *pool) {
    static const char fn[] = "gru_stack_set_threadpool";
    gru_status s = gru__stack_check(st, fn);
    if (s) return s;
    for (size_t i = 0; i < st->n && !s; i++) {
        const stack_item *it = &st->items[i];
        s = it->bi ? gru_bidirectional_set_threadpool(it->bi, pool)
                   : gru_layer_set_threadpool(it->layer, pool);
    }
    if (s) return gru__fail_prefixed(s, st->msg, fn);
    return GRU_OK;
}

/* ---- workspace ---------------------------------------------------------------- */

/* The entries' shared region at 0, then up to two intermediate sequence
 * buffers of B*T*mid_width elements each. */
typedef struct stack_ws {
    size_t entry, buf[2], total;
} stack_ws;

static gru_status entry_ws(const stack_item *it, int64_t batch, int64_t steps, size_t *bytes) {
    return it->bi ? gru_bidirectional_workspace_size(it->bi, batch, steps, bytes)
                  : gru_layer_workspace_size(it->layer, batch, steps, bytes);
}

static int ws_plan(const gru_stack *st, int64_t batch, int64_t steps, stack_ws *p) {
    size_t need = 0, b, n;
    for (size_t i = 0; i < st->n; i++) {
        if (entry_ws(&st->items[i], batch, steps, &b)) return 0;
        if (b > need) need = b;
    }
    if (need > SIZE_MAX - 64) return 0;
    size_t off = gru__align64(need);
    p->entry = 0;
    const size_t es = gru_dtype_size(st->dtype);
    if (!gru__mul_size((size_t)batch, (size_t)steps, &n) ||
        !gru__mul_size(n, (size_t)st->mid_width, &n) || !gru__mul_size(n, es, &n) ||
        n > SIZE_MAX - 64)
        return 0;
    n = gru__align64(n);
    const size_t nbuf = st->n > 2 ? 2 : st->n - 1;
    for (size_t k = 0; k < 2; k++) {
        p->buf[k] = off;
        if (k < nbuf && !gru__add_size(off, n, &off)) return 0;
    }
    p->total = off;
    return 1;
}

gru_status gru_stack_workspace_size(const gru_stack *st, int64_t batch, int64_t steps,
                                    size_t *bytes) {
    static const char fn[] = "gru_stack_workspace_size";
    gru_status s = gru__stack_check(st, fn);
    if (s) return s;
    char *msg = ((gru_stack *)st)->msg;
    if ((s = gru__size_args(msg, bytes, batch, steps, fn))) return s;
    stack_ws p;
    if (!ws_plan(st, batch, steps, &p)) return gru__overflow(msg, batch, steps, fn);
    *bytes = p.total;
    return GRU_OK;
}

/* ---- the forward call -------------------------------------------------------------- */

gru_status gru__stack_call_check(gru_stack *st, gru_dtype dtype, const gru_seq *in,
                                 const void *output, const void *buf, const char *buf_name,
                                 const char *fn) {
    char *msg = st->msg;
    if (!in) return gru__fail(GRU_E_NULL, msg, "%s: argument 'in' is NULL", fn);
    if (!in->x) return gru__fail(GRU_E_NULL, msg, "%s: argument 'in->x' (inputs) is NULL", fn);
    if (!output) return gru__fail(GRU_E_NULL, msg, "%s: argument 'output' is NULL", fn);
    if (!buf) return gru__fail(GRU_E_NULL, msg, "%s: argument '%s' is NULL", fn, buf_name);
    if (dtype != st->dtype)
        return gru__fail(GRU_E_DTYPE, msg, "%s: argument 'dtype' must be the stack's dtype %s, got %d",
                         fn, gru__stack_dtype_name(st->dtype), (int)dtype);
    gru_status s = gru__seq_sizes_check(msg, in, fn);
    if (s) return s;
    for (size_t i = 0; i < st->n; i++) {
        const gru_layer_config *c = &st->items[i].cfg;
        if (c->stateful && in->batch != c->batch_size)
            return gru__fail(GRU_E_SHAPE, msg, "%s: entries[%zu] is stateful, built for batch %lld, "
                                               "got batch %lld", fn, i, (long long)c->batch_size,
                             (long long)in->batch);
    }
    return GRU_OK;
}

gru_status gru_stack_forward(gru_stack *st, gru_dtype dtype, const gru_seq *in,
                             gru_training training, void *output, void *workspace,
                             size_t ws_bytes) {
    static const char fn[] = "gru_stack_forward";
    gru_status s = gru__stack_check(st, fn);
    if (s) return s;
    char *msg = st->msg;
    /* What could stop a later entry after an earlier (maybe stateful) one
     * has run is checked up front. */
    if ((s = gru__stack_call_check(st, dtype, in, output, workspace, "workspace", fn))) return s;
    stack_ws p;
    if (!ws_plan(st, in->batch, in->steps, &p)) return gru__overflow(msg, in->batch, in->steps, fn);
    if ((s = gru__bytes_check(msg, "workspace", ws_bytes, p.total,
                              "gru_stack_workspace_size", fn)) ||
        (s = gru__aligned64_check(msg, workspace, "workspace", fn)))
        return s;

    char *ws = workspace;
    const size_t ews = st->n > 1 ? p.buf[0] : p.total; /* the entries' region */
    gru_seq seq = *in;
    for (size_t i = 0; i < st->n; i++) {
        const stack_item *it = &st->items[i];
        void *dst = i + 1 == st->n ? output : ws + p.buf[i % 2];
        if (it->bi)
            s = gru_bidirectional_forward(it->bi, dtype, &seq, NULL, training, dst, NULL,
                                          ws + p.entry, ews);
        else
            s = gru_layer_forward(it->layer, dtype, &seq, NULL, training, dst, ws + p.entry, ews);
        if (s) {
            char prefix[64];
            snprintf(prefix, sizeof prefix, "%s: entries[%zu]", fn, i);
            return gru__fail_prefixed(s, msg, prefix);
        }
        seq.x = dst; /* the next entry reads this one's sequence */
    }
    return GRU_OK;
}
