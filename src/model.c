/* Models: an inference graph of Keras layers (gru.h, "Models").
 *
 * gru_model_create checks the node array once, infers every tensor's shape
 * (batch excluded) and whether it carries a mask, and creates the layers
 * (gru_layer, gru_bidirectional, gru_dense handles; Embedding tables). A
 * dimension is stored as a code: >= 0 a fixed size, < 0 the multiple -d of
 * the call's `steps` (the open time axis of an Input and what it becomes
 * through Concatenate, Flatten and Reshape).
 *
 * gru_model_forward plans the workspace for the call's batch and steps (a
 * shared scratch region for the recurrent layers, then one buffer per tensor
 * that is not a view and one per mask that is not shared), runs the nodes in
 * order and copies the model outputs out. Dropout, SpatialDropout1D, Flatten
 * and Reshape are views of their input; masks that pass through are shared. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "model_io.h"
#include "threadpool_internal.h"

#define GRU__MODEL_MAGIC 0x6772756d6f646c31ull /* "grumodl1" */
#define MAX_PORTS 4
#define NAME_MAX_ 64

typedef struct mtensor {
    size_t rank;                        /* dims after the batch axis       */
    int64_t dims[GRU_MODEL_MAX_RANK];   /* codes: >= 0 fixed, < 0 (-d)*steps */
    bool masked, is_int;
    long view_of;                       /* tensor whose buffer this is, or -1 */
    long mask_of;                       /* tensor whose mask this is, or -1 */
    long input_k;                       /* model input k (buffer = inputs[k]), or -1 */
    /* per call */
    char *ptr;
    uint8_t *mask;
} mtensor;

typedef struct mnode {
    gru_node_kind kind;
    char name[NAME_MAX_];
    size_t n_in, in[GRU_MODEL_MAX_INPUTS]; /* tensor indices */
    size_t out0, n_out;                   /* its tensors: out0 .. out0+n_out-1 */
    gru_layer *layer;
    gru_bidirectional *bi;
    gru_dense *dense;
    void *table;                          /* Embedding (vocab, D), model dtype */
    size_t vocab, edim;
    bool mask_zero, keepdims, rs, rst;
    double mask_value;
    gru_activation act;
    size_t axis;                          /* Concatenate: axis after the batch (0-based) */
    int64_t U, Ub;                        /* GRU units (Bidirectional: forward, backward) */
    int64_t stateful_batch;               /* > 0 for a stateful layer        */
    gru_merge_mode merge;
    gru_model_node cfg;                   /* the node as given (gru_model_node_config) */
} mnode;

struct gru_model {
    uint64_t magic;
    gru_dtype dtype;
    size_t es;
    size_t n, nt, n_in, n_out;
    mnode *nodes;
    mtensor *t;
    size_t *in_t;   /* tensor of model input k  */
    size_t *out_t;  /* tensor of model output k */
    bool has_steps; /* some input has an open time axis */
    gru_model_ref *out_ref; /* outputs as given (gru_model_output_ref) */
    gru_threadpool *pool;   /* lent by gru_model_set_threadpool, or NULL */
    char msg[GRU_ERRMSG_MAX];
};

#define T float
#define SUF(n) n##_f32
#include "model_impl.h"
#undef T
#undef SUF
#define T double
#define SUF(n) n##_f64
#include "model_impl.h"
#undef T
#undef SUF

static const char *const kind_names[GRU_NODE_KIND_COUNT_] = {
    "InputLayer", "Masking", "Embedding", "GRU", "Bidirectional", "Dense", "TimeDistributed",
    "Dropout", "SpatialDropout1D", "Activation", "Concatenate", "Add", "Multiply",
    "GlobalAveragePooling1D", "GlobalMaxPooling1D", "Flatten", "Reshape", "RepeatVector"};

const char *gru_node_kind_name(gru_node_kind kind) {
    return (int)kind >= 0 && (int)kind < (int)GRU_NODE_KIND_COUNT_ ? kind_names[kind] : "?";
}

gru_status gru_model_node_init(gru_model_node *node, gru_node_kind kind, const char *name) {
    if (!node) return gru__fail(GRU_E_NULL, NULL, "gru_model_node_init: argument 'node' is NULL");
    memset(node, 0, sizeof *node);
    node->kind = kind;
    node->name = name;
    node->axis = -1;
    node->dense.use_bias = true;
    gru_activation_from_name("linear", &node->dense.activation);
    gru_activation_from_name("linear", &node->activation);
    gru_layer_config_init(&node->gru, 1, 1);
    gru_bidirectional_config_init(&node->bidirectional, 1, 1);
    if ((int)kind < 0 || (int)kind >= (int)GRU_NODE_KIND_COUNT_)
        return gru__fail(GRU_E_UNSUPPORTED, NULL,
                         "gru_model_node_init: argument 'kind' must be a gru_node_kind "
                         "(0..%d), got %d", (int)GRU_NODE_KIND_COUNT_ - 1, (int)kind);
    return GRU_OK;
}

/* ---- dimension codes ------------------------------------------------------------ */

static int64_t dim_at(int64_t code, int64_t steps) { return code >= 0 ? code : -code * steps; }

static void dim_str(int64_t code, char *buf, size_t len) {
    if (code >= 0) snprintf(buf, len, "%lld", (long long)code);
    else if (code == -1) snprintf(buf, len, "steps");
    else snprintf(buf, len, "%lld*steps", (long long)-code);
}

static void shape_str(const mtensor *t, char *buf, size_t len) {
    size_t o = 0;
    o += (size_t)snprintf(buf + o, len - o, "(batch");
    for (size_t i = 0; i < t->rank && o < len; i++) {
        char d[32];
        dim_str(t->dims[i], d, sizeof d);
        o += (size_t)snprintf(buf + o, len - o, ", %s", d);
    }
    if (o < len) snprintf(buf + o, len - o, ")");
}

/* Product of codes: 1 ok, 0 when two open axes multiply (or it overflows). */
static int code_mul(int64_t a, int64_t b, int64_t *out) {
    if (a < 0 && b < 0) return 0;
    int64_t x = a < 0 ? -a : a, y = b < 0 ? -b : b;
    if (x != 0 && y > INT64_MAX / x) return 0;
    *out = (a < 0 || b < 0) ? -(x * y) : x * y;
    return 1;
}

/* ---- create ------------------------------------------------------------------------ */

typedef struct cctx {
    gru_model *m;
    const gru_model_node *src;
    size_t i;
    char who[NAME_MAX_ + 64]; /* "node 3 ('gru', GRU)" */
    size_t *budget;           /* elements the layers may still hold, or NULL */
} cctx;

#define NFAIL(c, st, ...) node_fail((c), (st), __VA_ARGS__)
static gru_status node_fail(cctx *c, gru_status s, const char *fmt, ...) GRU__PRINTF(3, 4);
static gru_status node_fail(cctx *c, gru_status s, const char *fmt, ...) {
    char body[GRU_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    return gru__fail(s, NULL, "gru_model_create: %s: %s", c->who, body);
}

static gru_status node_prefixed(cctx *c, gru_status s) {
    char p[NAME_MAX_ + 96];
    snprintf(p, sizeof p, "gru_model_create: %s", c->who);
    return gru__fail_prefixed(s, NULL, p);
}

/* Take n elements (weights, caches) from the creation budget of a loader
 * (gru__model_create_budget); no limit when there is none. */
static gru_status budget_take(cctx *c, size_t n) {
    if (!c->budget) return GRU_OK;
    if (n > *c->budget)
        return NFAIL(c, GRU_E_FORMAT,
                     "its weights and caches would hold %zu elements, more than the file can "
                     "describe (%zu left)", n, *c->budget);
    *c->budget -= n;
    return GRU_OK;
}

/* Elements a directional layer of input width F holds: weights, dropout-mask
 * caches and a stateful layer's state (saturating). */
static size_t layer_elems(const gru_layer_config *l, int64_t F) {
    const size_t U = (size_t)(l->cell.units > 0 ? l->cell.units : 0), f = (size_t)F;
    size_t n = 0, t;
    const size_t big = SIZE_MAX / 4;
    if (U > (1u << 30) || f > (1u << 30)) return big;
    if (!gru__mul_size(f + U + 2, 3 * U, &n)) return big;
    const size_t mb = l->cell.max_batch > 0 ? (size_t)l->cell.max_batch : 0;
    if (l->cell.dropout != 0.0) {
        if (!gru__mul_size(mb, 3 * f, &t) || !gru__add_size(n, t, &n)) return big;
    }
    if (l->cell.recurrent_dropout != 0.0) {
        if (!gru__mul_size(mb, 3 * U, &t) || !gru__add_size(n, t, &n)) return big;
    }
    if (l->stateful && l->batch_size > 0) {
        if (!gru__mul_size((size_t)l->batch_size, U, &t) || !gru__add_size(n, t, &n)) return big;
    }
    return n;
}

static mtensor *in_t(cctx *c, size_t k) { return &c->m->t[c->m->nodes[c->i].in[k]]; }

static mtensor *out_t(cctx *c, size_t port) { return &c->m->t[c->m->nodes[c->i].out0 + port]; }

static gru_status need_inputs(cctx *c, size_t lo, size_t hi) {
    const size_t n = c->src->n_inputs;
    if (n < lo || n > hi) {
        if (lo == hi)
            return NFAIL(c, GRU_E_ARG, "n_inputs must be %zu, got %zu", lo, n);
        return NFAIL(c, GRU_E_ARG, "n_inputs must be in [%zu, %zu], got %zu", lo, hi, n);
    }
    return GRU_OK;
}

static gru_status need_float(cctx *c) {
    for (size_t k = 0; k < c->src->n_inputs; k++)
        if (in_t(c, k)->is_int)
            return NFAIL(c, GRU_E_UNSUPPORTED,
                         "option 'input %zu': integer ids (an int_ids Input) can only feed an "
                         "Embedding", k);
    return GRU_OK;
}

static gru_status need_rank(cctx *c, size_t k, size_t lo, size_t hi) {
    const mtensor *t = in_t(c, k);
    const size_t r = t->rank + 1;
    if (r < lo || r > hi) {
        char sh[160];
        shape_str(t, sh, sizeof sh);
        if (lo == hi)
            return NFAIL(c, GRU_E_SHAPE, "input %zu must have rank %zu (batch included), got %s",
                         k, lo, sh);
        return NFAIL(c, GRU_E_SHAPE, "input %zu must have rank >= %zu (batch included), got %s",
                     k, lo, sh);
    }
    return GRU_OK;
}

static gru_status need_fixed_last(cctx *c, size_t k, int64_t *F) {
    const mtensor *t = in_t(c, k);
    if (t->rank == 0 || t->dims[t->rank - 1] <= 0) {
        char sh[160];
        shape_str(t, sh, sizeof sh);
        return NFAIL(c, GRU_E_SHAPE,
                     "input %zu's last axis must have a fixed size (Keras needs it defined), got %s",
                     k, sh);
    }
    *F = t->dims[t->rank - 1];
    return GRU_OK;
}

static void set_out(cctx *c, size_t port, const mtensor *like, size_t rank, const int64_t *dims) {
    mtensor *o = out_t(c, port);
    (void)like;
    o->rank = rank;
    for (size_t j = 0; j < rank; j++) o->dims[j] = dims[j];
}

static bool same_shape(const mtensor *a, const mtensor *b) {
    if (a->rank != b->rank) return false;
    for (size_t j = 0; j < a->rank; j++)
        if (a->dims[j] != b->dims[j]) return false;
    return true;
}

static gru_status check_state_input(cctx *c, size_t k, int64_t U, const char *what) {
    const mtensor *t = in_t(c, k);
    if (t->rank != 1 || t->dims[0] != U) {
        char sh[160];
        shape_str(t, sh, sizeof sh);
        return NFAIL(c, GRU_E_SHAPE, "input %zu (%s) must have shape (batch, %lld), got %s", k,
                     what, (long long)U, sh);
    }
    return GRU_OK;
}

static gru_status mk_input(cctx *c) {
    const gru_model_node *s = c->src;
    gru_status st = need_inputs(c, 0, 0);
    if (st) return st;
    if (s->input.rank < 1 || s->input.rank > GRU_MODEL_MAX_RANK - 1)
        return NFAIL(c, GRU_E_SHAPE, "input.rank must be in [1, %d], got %zu",
                     GRU_MODEL_MAX_RANK - 1, s->input.rank);
    mtensor *o = out_t(c, 0);
    o->rank = s->input.rank;
    for (size_t j = 0; j < s->input.rank; j++) {
        const int64_t d = s->input.shape[j];
        if (d == -1 && j == 0) {
            o->dims[j] = -1;
            c->m->has_steps = true;
        } else if (d <= 0) {
            return NFAIL(c, d == -1 ? GRU_E_UNSUPPORTED : GRU_E_SHAPE,
                         "input.shape[%zu] must be > 0%s, got %lld", j,
                         j == 0 ? " or -1 (the steps of each call)"
                                : " (only shape[0], the time axis, may be open)",
                         (long long)d);
        } else {
            o->dims[j] = d;
        }
    }
    o->is_int = s->input.int_ids;
    o->input_k = (long)c->m->n_in;
    c->m->in_t[c->m->n_in++] = c->m->nodes[c->i].out0;
    return GRU_OK;
}

static gru_status mk_gru_like(cctx *c, mnode *nd, bool bidir) {
    const gru_model_node *s = c->src;
    gru_status st = need_inputs(c, 1, bidir ? 3 : 2);
    if (st) return st;
    if (bidir && s->n_inputs == 2)
        return NFAIL(c, GRU_E_ARG,
                     "n_inputs must be 1 or 3 (x, then the forward and backward initial "
                     "states), got 2");
    if ((st = need_float(c)) || (st = need_rank(c, 0, 3, 3))) return st;
    int64_t F = 0;
    if ((st = need_fixed_last(c, 0, &F))) return st;
    const mtensor *x = in_t(c, 0);
    gru_layer_config lc[2];
    gru_bidirectional_config bc;
    if (bidir) {
        bc = s->bidirectional;
        lc[0] = bc.layer;
        lc[1] = bc.backward_layer;
    } else {
        lc[0] = s->gru;
    }
    for (int k = 0; k < (bidir ? 2 : 1); k++) {
        if (lc[k].time_major)
            return NFAIL(c, GRU_E_UNSUPPORTED,
                         "option '%stime_major' is not supported in a model (tensors are "
                         "batch-major)", bidir ? (k ? "backward_layer." : "layer.") : "");
    }
    if (c->budget) {
        size_t need = layer_elems(&lc[0], F);
        if (bidir && !gru__add_size(need,
                                    layer_elems(s->bidirectional.has_backward_layer ? &lc[1]
                                                                                    : &lc[0], F),
                                    &need))
            need = SIZE_MAX;
        if ((st = budget_take(c, need))) return st;
    }
    if (bidir) {
        bc.layer.cell.input_dim = F;
        bc.layer.cell.dtype = c->m->dtype;
        bc.backward_layer.cell.input_dim = F;
        bc.backward_layer.cell.dtype = c->m->dtype;
        st = gru_bidirectional_create(&bc, &nd->bi);
        if (st) return node_prefixed(c, st);
        gru_layer_get_config(gru_bidirectional_layer(nd->bi, 0), &lc[0]);
        gru_layer_get_config(gru_bidirectional_layer(nd->bi, 1), &lc[1]);
        nd->merge = bc.merge_mode;
        nd->Ub = lc[1].cell.units;
    } else {
        gru_layer_config g = s->gru;
        g.cell.input_dim = F;
        g.cell.dtype = c->m->dtype;
        st = gru_layer_create(&g, &nd->layer);
        if (st) return node_prefixed(c, st);
        gru_layer_get_config(nd->layer, &lc[0]);
    }
    nd->U = lc[0].cell.units;
    nd->rs = lc[0].return_sequences;
    nd->rst = lc[0].return_state;
    nd->stateful_batch = lc[0].stateful ? lc[0].batch_size : 0;
    if (s->n_inputs > 1) {
        if ((st = check_state_input(c, 1, nd->U, bidir ? "forward initial state" : "initial state")))
            return st;
        if (bidir && (st = check_state_input(c, 2, nd->Ub, "backward initial state"))) return st;
    }
    /* outputs */
    size_t port = 0;
    const size_t nseq = bidir && nd->merge == GRU_MERGE_NONE ? 2 : 1;
    for (size_t k = 0; k < nseq; k++) {
        int64_t w = bidir ? (nd->merge == GRU_MERGE_NONE ? (k ? nd->Ub : nd->U)
                                                         : gru_bidirectional_output_width(nd->bi))
                          : nd->U;
        int64_t d[2] = {x->dims[0], w};
        mtensor *o = out_t(c, port++);
        if (nd->rs) {
            set_out(c, port - 1, x, 2, d);
            if (x->masked) {
                o->masked = true;
                o->mask_of = (long)nd->in[0];
            }
        } else {
            set_out(c, port - 1, x, 1, d + 1);
        }
    }
    if (nd->rst) {
        int64_t d = nd->U;
        set_out(c, port++, x, 1, &d);
        if (bidir) {
            d = nd->Ub;
            set_out(c, port++, x, 1, &d);
        }
    }
    return GRU_OK;
}

static gru_status mk_dense(cctx *c, mnode *nd, bool td) {
    const gru_model_node *s = c->src;
    gru_status st;
    if ((st = need_inputs(c, 1, 1)) || (st = need_float(c)) ||
        (st = need_rank(c, 0, td ? 3 : 2, GRU_MODEL_MAX_RANK)))
        return st;
    int64_t F = 0;
    if ((st = need_fixed_last(c, 0, &F))) return st;
    if (s->dense.units <= 0)
        return NFAIL(c, GRU_E_ARG, "dense.units must be > 0, got %lld", (long long)s->dense.units);
    if (c->budget) {
        size_t need;
        if ((uint64_t)s->dense.units > SIZE_MAX / 4 ||
            !gru__mul_size((size_t)F + 1, (size_t)s->dense.units, &need))
            need = SIZE_MAX;
        if ((st = budget_take(c, need))) return st;
    }
    gru_dense_config dc;
    gru_dense_config_init(&dc, s->dense.units, F);
    dc.dtype = c->m->dtype;
    dc.activation = s->dense.activation;
    dc.use_bias = s->dense.use_bias;
    st = gru_dense_create(&dc, &nd->dense);
    if (st) return node_prefixed(c, st);
    const mtensor *x = in_t(c, 0);
    mtensor *o = out_t(c, 0);
    set_out(c, 0, x, x->rank, x->dims);
    o->dims[o->rank - 1] = s->dense.units;
    if (x->masked) { /* Dense and TimeDistributed(Dense) pass the mask on */
        o->masked = true;
        o->mask_of = (long)c->m->nodes[c->i].in[0];
    }
    return GRU_OK;
}

static gru_status mk_embedding(cctx *c, mnode *nd) {
    const gru_model_node *s = c->src;
    gru_status st = need_inputs(c, 1, 1);
    if (st) return st;
    const mtensor *x = in_t(c, 0);
    if (s->embedding.input_dim <= 0 || s->embedding.output_dim <= 0)
        return NFAIL(c, GRU_E_ARG,
                     "embedding.input_dim and embedding.output_dim must be > 0, got %lld and %lld",
                     (long long)s->embedding.input_dim, (long long)s->embedding.output_dim);
    if ((uint64_t)s->embedding.input_dim > (1ull << 40) ||
        (uint64_t)s->embedding.output_dim > (1ull << 24))
        return NFAIL(c, GRU_E_OVERFLOW, "embedding.input_dim or output_dim is too large");
    if (x->rank + 1 > GRU_MODEL_MAX_RANK)
        return NFAIL(c, GRU_E_SHAPE, "the output would have more than %d axes",
                     GRU_MODEL_MAX_RANK);
    nd->vocab = (size_t)s->embedding.input_dim;
    nd->edim = (size_t)s->embedding.output_dim;
    nd->mask_zero = s->embedding.mask_zero;
    size_t n;
    if (c->budget) {
        gru_status bs = budget_take(c, gru__mul_size(nd->vocab, nd->edim, &n) ? n : SIZE_MAX);
        if (bs) return bs;
    }
    if (!gru__mul_size(nd->vocab, nd->edim, &n) || !gru__mul_size(n, c->m->es, &n))
        return NFAIL(c, GRU_E_OVERFLOW, "the embedding table's size overflows size_t");
    nd->table = malloc(n);
    if (!nd->table) return NFAIL(c, GRU_E_NOMEM, "allocating %zu bytes failed", n);
    /* Keras' default embeddings_initializer: uniform(-0.05, 0.05). */
    gru_initializer init;
    gru_initializer_from_name("random_uniform", &init);
    gru_rng rng;
    gru_rng_seed(&rng, 0x656d62ull + c->i);
    const size_t shape[2] = {nd->vocab, nd->edim};
    gru_initializer_fill(&init, &rng, c->m->dtype, 2, shape, nd->table);
    mtensor *o = out_t(c, 0);
    set_out(c, 0, x, x->rank, x->dims);
    o->rank = x->rank + 1;
    o->dims[x->rank] = s->embedding.output_dim;
    o->masked = nd->mask_zero;
    return GRU_OK;
}

static gru_status mk_concat(cctx *c, mnode *nd) {
    const gru_model_node *s = c->src;
    gru_status st;
    if ((st = need_inputs(c, 1, GRU_MODEL_MAX_INPUTS)) || (st = need_float(c))) return st;
    const mtensor *a = in_t(c, 0);
    const size_t R = a->rank + 1; /* with batch */
    const int64_t ax = s->axis < 0 ? (int64_t)R + s->axis : s->axis;
    if (ax == 0)
        return NFAIL(c, GRU_E_UNSUPPORTED, "option 'axis' = %lld (the batch axis) is not supported",
                     (long long)s->axis);
    if (ax < 0 || ax >= (int64_t)R)
        return NFAIL(c, GRU_E_ARG, "axis must be in [-%zu, %zu), got %lld", R, R,
                     (long long)s->axis);
    const size_t j = (size_t)ax - 1;
    nd->axis = j;
    int64_t sum = 0;
    bool any_mask = false;
    for (size_t k = 0; k < s->n_inputs; k++) {
        const mtensor *b = in_t(c, k);
        char sa[160], sb[160];
        shape_str(a, sa, sizeof sa);
        shape_str(b, sb, sizeof sb);
        if (b->rank != a->rank)
            return NFAIL(c, GRU_E_SHAPE, "inputs must have the same rank: input 0 is %s, input %zu "
                                         "is %s", sa, k, sb);
        for (size_t q = 0; q < a->rank; q++)
            if (q != j && a->dims[q] != b->dims[q])
                return NFAIL(c, GRU_E_SHAPE,
                             "inputs must match on every axis but %lld: input 0 is %s, input %zu "
                             "is %s", (long long)ax, sa, k, sb);
        const int64_t d = b->dims[j];
        if (k > 0 && ((d < 0) != (sum < 0)))
            return NFAIL(c, GRU_E_UNSUPPORTED,
                         "option 'axis': joining a fixed and a variable-length axis (%s and %s) "
                         "is not supported", sa, sb);
        sum = k == 0 ? d : (d < 0 ? sum + d : sum + d);
        if (b->masked) any_mask = true;
    }
    if (any_mask && j + 1 < a->rank) {
        for (size_t k = 0; k < s->n_inputs; k++) {
            const mtensor *b = in_t(c, k);
            if (!b->masked && b->dims[b->rank - 1] != 1)
                return NFAIL(c, GRU_E_UNSUPPORTED,
                             "option 'mask': input %zu has no mask while others do, on an axis "
                             "other than the last (Keras cannot concatenate its all-ones mask "
                             "either)", k);
        }
    }
    mtensor *o = out_t(c, 0);
    set_out(c, 0, a, a->rank, a->dims);
    o->dims[j] = sum;
    o->masked = any_mask;
    return GRU_OK;
}

static gru_status mk_merge(cctx *c, mnode *nd) {
    const gru_model_node *s = c->src;
    gru_status st;
    (void)nd;
    if ((st = need_inputs(c, 1, GRU_MODEL_MAX_INPUTS)) || (st = need_float(c))) return st;
    const mtensor *a = in_t(c, 0);
    size_t masked = 0, which = 0;
    for (size_t k = 0; k < s->n_inputs; k++) {
        const mtensor *b = in_t(c, k);
        if (!same_shape(a, b)) {
            char sa[160], sb[160];
            shape_str(a, sa, sizeof sa);
            shape_str(b, sb, sizeof sb);
            return NFAIL(c, GRU_E_UNSUPPORTED,
                         "option 'broadcasting': inputs must have equal shapes, input 0 is %s, "
                         "input %zu is %s", sa, k, sb);
        }
        if (b->masked) masked++, which = k;
    }
    mtensor *o = out_t(c, 0);
    set_out(c, 0, a, a->rank, a->dims);
    if (masked) {
        o->masked = true;
        if (masked == 1) o->mask_of = (long)c->m->nodes[c->i].in[which];
    }
    return GRU_OK;
}

static gru_status mk_reshape(cctx *c) {
    const gru_model_node *s = c->src;
    const mtensor *x = in_t(c, 0);
    int64_t total = 1;
    for (size_t q = 0; q < x->rank; q++)
        if (!code_mul(total, x->dims[q], &total))
            return NFAIL(c, GRU_E_UNSUPPORTED, "the input's size is not representable");
    const size_t R = s->reshape.rank;
    if (R < 1 || R > GRU_MODEL_MAX_RANK - 1)
        return NFAIL(c, GRU_E_SHAPE, "reshape.rank must be in [1, %d], got %zu",
                     GRU_MODEL_MAX_RANK - 1, R);
    int64_t prod = 1;
    long open = -1;
    for (size_t q = 0; q < R; q++) {
        const int64_t d = s->reshape.shape[q];
        if (d == -1 && open < 0) {
            open = (long)q;
        } else if (d <= 0) {
            return NFAIL(c, GRU_E_ARG,
                         "reshape.shape[%zu] must be > 0 (or one -1), got %lld", q, (long long)d);
        } else if (!code_mul(prod, d, &prod)) {
            return NFAIL(c, GRU_E_OVERFLOW, "target_shape's size overflows");
        }
    }
    mtensor *o = out_t(c, 0);
    o->rank = R;
    for (size_t q = 0; q < R; q++) o->dims[q] = s->reshape.shape[q];
    const int64_t tabs = total < 0 ? -total : total;
    if (open >= 0) {
        if (tabs % prod != 0)
            return NFAIL(c, total < 0 ? GRU_E_UNSUPPORTED : GRU_E_SHAPE,
                         "option 'target_shape': the input's size %lld%s is not a multiple of "
                         "the target's fixed size %lld", (long long)tabs,
                         total < 0 ? "*steps" : "", (long long)prod);
        o->dims[open] = total < 0 ? -(tabs / prod) : tabs / prod;
    } else if (total < 0) {
        return NFAIL(c, GRU_E_UNSUPPORTED,
                     "option 'target_shape': a fixed target shape for a variable-length input "
                     "(give the Input a fixed length, or use -1 in target_shape)");
    } else if (prod != total) {
        return NFAIL(c, GRU_E_SHAPE,
                     "target_shape has %lld elements, the input has %lld (Keras: total size of "
                     "new array must be unchanged)", (long long)prod, (long long)total);
    }
    return GRU_OK;
}

static gru_status mk_node(cctx *c) {
    gru_model *m = c->m;
    mnode *nd = &m->nodes[c->i];
    const gru_model_node *s = c->src;
    gru_status st = GRU_OK;
    mtensor *o = out_t(c, 0);
    const mtensor *x = s->n_inputs ? in_t(c, 0) : NULL;
    switch (s->kind) {
    case GRU_NODE_INPUT: return mk_input(c);
    case GRU_NODE_MASKING:
        if ((st = need_inputs(c, 1, 1)) || (st = need_float(c)) ||
            (st = need_rank(c, 0, 2, GRU_MODEL_MAX_RANK)))
            return st;
        nd->mask_value = s->mask_value;
        set_out(c, 0, x, x->rank, x->dims);
        o->masked = true;
        return GRU_OK;
    case GRU_NODE_EMBEDDING: return mk_embedding(c, nd);
    case GRU_NODE_GRU: return mk_gru_like(c, nd, false);
    case GRU_NODE_BIDIRECTIONAL: return mk_gru_like(c, nd, true);
    case GRU_NODE_DENSE: return mk_dense(c, nd, false);
    case GRU_NODE_TIME_DISTRIBUTED_DENSE: return mk_dense(c, nd, true);
    case GRU_NODE_DROPOUT:
    case GRU_NODE_SPATIAL_DROPOUT1D:
    case GRU_NODE_ACTIVATION:
        if ((st = need_inputs(c, 1, 1)) || (st = need_float(c))) return st;
        if (s->kind == GRU_NODE_SPATIAL_DROPOUT1D && (st = need_rank(c, 0, 3, 3))) return st;
        if (s->kind == GRU_NODE_ACTIVATION) {
            char msg[GRU_ERRMSG_MAX];
            if ((st = gru__activation_check(&s->activation, "activation", msg)))
                return node_prefixed(c, st);
            nd->act = s->activation;
            if (x->rank == 0 && (s->activation.kind == GRU_ACT_SOFTMAX ||
                                 s->activation.kind == GRU_ACT_LOG_SOFTMAX))
                return NFAIL(c, GRU_E_SHAPE, "softmax needs an input of rank >= 2");
        }
        set_out(c, 0, x, x->rank, x->dims);
        if (x->masked) o->masked = true, o->mask_of = (long)nd->in[0];
        if (s->kind != GRU_NODE_ACTIVATION) o->view_of = (long)nd->in[0];
        return GRU_OK;
    case GRU_NODE_CONCATENATE: return mk_concat(c, nd);
    case GRU_NODE_ADD:
    case GRU_NODE_MULTIPLY: return mk_merge(c, nd);
    case GRU_NODE_GLOBAL_AVERAGE_POOLING1D:
    case GRU_NODE_GLOBAL_MAX_POOLING1D:
        if ((st = need_inputs(c, 1, 1)) || (st = need_float(c)) || (st = need_rank(c, 0, 3, 3)))
            return st;
        nd->keepdims = s->keepdims;
        if (nd->keepdims) {
            int64_t d[2] = {1, x->dims[1]};
            set_out(c, 0, x, 2, d);
        } else {
            set_out(c, 0, x, 1, x->dims + 1);
        }
        return GRU_OK;
    case GRU_NODE_FLATTEN: {
        if ((st = need_inputs(c, 1, 1)) || (st = need_float(c))) return st;
        int64_t total = 1;
        for (size_t q = 0; q < x->rank; q++)
            if (!code_mul(total, x->dims[q], &total))
                return NFAIL(c, GRU_E_UNSUPPORTED, "the flattened size is not representable");
        set_out(c, 0, x, 1, &total);
        o->view_of = (long)nd->in[0];
        return GRU_OK;
    }
    case GRU_NODE_RESHAPE:
        if ((st = need_inputs(c, 1, 1)) || (st = need_float(c)) || (st = mk_reshape(c))) return st;
        o->view_of = (long)nd->in[0];
        return GRU_OK;
    case GRU_NODE_REPEAT_VECTOR: {
        if ((st = need_inputs(c, 1, 1)) || (st = need_float(c)) || (st = need_rank(c, 0, 2, 2)))
            return st;
        if (s->repeat_n <= 0)
            return NFAIL(c, GRU_E_ARG, "repeat_n must be > 0, got %lld", (long long)s->repeat_n);
        int64_t d[2] = {s->repeat_n, x->dims[0]};
        set_out(c, 0, x, 2, d);
        return GRU_OK;
    }
    case GRU_NODE_KIND_COUNT_: break;
    }
    return NFAIL(c, GRU_E_UNSUPPORTED, "kind %d is not a supported layer", (int)s->kind);
}

/* Output ports of a node, from its config alone. */
static size_t node_ports(const gru_model_node *s) {
    if (s->kind == GRU_NODE_GRU) return s->gru.return_state ? 2 : 1;
    if (s->kind == GRU_NODE_BIDIRECTIONAL) {
        size_t n = s->bidirectional.merge_mode == GRU_MERGE_NONE ? 2 : 1;
        return n + (s->bidirectional.layer.return_state ? 2 : 0);
    }
    return 1;
}

static void free_nodes(gru_model *m) {
    if (!m->nodes) return;
    for (size_t i = 0; i < m->n; i++) {
        gru_layer_free(m->nodes[i].layer);
        gru_bidirectional_free(m->nodes[i].bi);
        gru_dense_free(m->nodes[i].dense);
        free(m->nodes[i].table);
    }
}

static void model_release(gru_model *m) {
    if (!m) return;
    free_nodes(m);
    free(m->nodes);
    free(m->t);
    free(m->in_t);
    free(m->out_t);
    free(m->out_ref);
    m->magic = 0;
    free(m);
}

static gru_status model_create(const gru_model_node *nodes, size_t n,
                               const gru_model_ref *outputs, size_t n_out, gru_dtype dtype,
                               size_t *budget, gru_model **out);

gru_status gru_model_create(const gru_model_node *nodes, size_t n, const gru_model_ref *outputs,
                            size_t n_out, gru_dtype dtype, gru_model **out) {
    return model_create(nodes, n, outputs, n_out, dtype, NULL, out);
}

gru_status gru__model_create_budget(const gru_model_node *nodes, size_t n,
                                    const gru_model_ref *outputs, size_t n_out, gru_dtype dtype,
                                    size_t budget, gru_model **out) {
    return model_create(nodes, n, outputs, n_out, dtype, &budget, out);
}

static gru_status model_create(const gru_model_node *nodes, size_t n,
                               const gru_model_ref *outputs, size_t n_out, gru_dtype dtype,
                               size_t *budget, gru_model **out) {
    static const char fn[] = "gru_model_create";
    if (!out) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'out' is NULL", fn);
    *out = NULL;
    if (!nodes) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'nodes' is NULL", fn);
    if (!outputs) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'outputs' is NULL", fn);
    if (n == 0) return gru__fail(GRU_E_ARG, NULL, "%s: argument 'n' must be >= 1, got 0", fn);
    if (n_out == 0)
        return gru__fail(GRU_E_ARG, NULL, "%s: argument 'n_out' must be >= 1, got 0", fn);
    if (n > (1u << 20) || n_out > (1u << 20))
        return gru__fail(GRU_E_OVERFLOW, NULL, "%s: too many nodes (%zu) or outputs (%zu)", fn, n,
                         n_out);
    if (!gru__dtype_ok(dtype))
        return gru__fail(GRU_E_DTYPE, NULL,
                         "%s: argument 'dtype' must be GRU_F32 or GRU_F64, got %d", fn, (int)dtype);
    gru_model *m = calloc(1, sizeof *m);
    if (!m) return gru__fail(GRU_E_NOMEM, NULL, "%s: allocating the model failed", fn);
    m->dtype = dtype;
    m->es = gru_dtype_size(dtype);
    m->n = n;
    m->nodes = calloc(n, sizeof *m->nodes);
    m->in_t = calloc(n, sizeof *m->in_t);
    m->out_t = calloc(n_out, sizeof *m->out_t);
    m->out_ref = calloc(n_out, sizeof *m->out_ref);
    size_t nt = 0;
    for (size_t i = 0; i < n; i++) nt += node_ports(&nodes[i]);
    m->t = calloc(nt, sizeof *m->t);
    if (!m->nodes || !m->in_t || !m->out_t || !m->t || !m->out_ref) {
        model_release(m);
        return gru__fail(GRU_E_NOMEM, NULL, "%s: allocating the model failed", fn);
    }
    m->nt = nt;
    gru_status s = GRU_OK;
    size_t next = 0;
    for (size_t i = 0; i < n && !s; i++) {
        const gru_model_node *src = &nodes[i];
        mnode *nd = &m->nodes[i];
        cctx c = {m, src, i, "", budget};
        nd->kind = src->kind;
        nd->cfg = *src;
        nd->cfg.name = NULL;
        snprintf(nd->name, sizeof nd->name, "%s", src->name ? src->name : "");
        snprintf(c.who, sizeof c.who, "node %zu ('%s', %s)", i, nd->name,
                 gru_node_kind_name(src->kind));
        nd->out0 = next;
        nd->n_out = node_ports(src);
        next += nd->n_out;
        for (size_t p = 0; p < nd->n_out; p++) {
            m->t[nd->out0 + p].view_of = -1;
            m->t[nd->out0 + p].mask_of = -1;
            m->t[nd->out0 + p].input_k = -1;
        }
        if ((int)src->kind < 0 || (int)src->kind >= (int)GRU_NODE_KIND_COUNT_) {
            s = NFAIL(&c, GRU_E_UNSUPPORTED, "kind %d is not a supported layer", (int)src->kind);
            break;
        }
        if (src->n_inputs > GRU_MODEL_MAX_INPUTS) {
            s = NFAIL(&c, GRU_E_ARG, "n_inputs must be <= %d, got %zu", GRU_MODEL_MAX_INPUTS,
                      src->n_inputs);
            break;
        }
        nd->n_in = src->n_inputs;
        for (size_t k = 0; k < src->n_inputs && !s; k++) {
            const gru_model_ref r = src->inputs[k];
            if (r.node >= i)
                s = NFAIL(&c, GRU_E_ARG,
                          "inputs[%zu].node must name an earlier node (< %zu: nodes are in "
                          "topological order), got %zu", k, i, r.node);
            else if (r.port >= m->nodes[r.node].n_out)
                s = NFAIL(&c, GRU_E_ARG,
                          "inputs[%zu].port must be < %zu (the outputs of node %zu ('%s')), got "
                          "%zu", k, m->nodes[r.node].n_out, r.node, m->nodes[r.node].name, r.port);
            else
                nd->in[k] = m->nodes[r.node].out0 + r.port;
        }
        if (!s) s = mk_node(&c);
    }
    for (size_t k = 0; k < n_out && !s; k++) {
        const gru_model_ref r = outputs[k];
        if (r.node >= n || r.port >= m->nodes[r.node].n_out) {
            s = gru__fail(GRU_E_ARG, NULL,
                          "%s: outputs[%zu] must name an existing tensor (node < %zu, port < its "
                          "output count), got node %zu port %zu", fn, k, n, r.node, r.port);
            break;
        }
        m->out_t[k] = m->nodes[r.node].out0 + r.port;
        m->out_ref[k] = r;
        if (m->t[m->out_t[k]].is_int)
            s = gru__fail(GRU_E_UNSUPPORTED, NULL,
                          "%s: outputs[%zu] is an int_ids Input (node %zu); option 'output' of "
                          "integer tensors is not supported", fn, k, r.node);
    }
    if (!s && m->n_in == 0)
        s = gru__fail(GRU_E_ARG, NULL, "%s: the model has no Input node", fn);
    if (s) {
        model_release(m);
        return s;
    }
    m->n_out = n_out;
    m->magic = GRU__MODEL_MAGIC;
    *out = m;
    return GRU_OK;
}

void gru_model_free(gru_model *m) {
    if (!m || m->magic != GRU__MODEL_MAGIC) return;
    model_release(m);
}

static gru_status check_m(const gru_model *m, const char *fn) {
    if (!m) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'model' is NULL", fn);
    if (m->magic != GRU__MODEL_MAGIC)
        return gru__fail(GRU_E_STATE, NULL,
                         "%s: argument 'model' is not a model (not made by gru_model_create, or "
                         "already freed)", fn);
    return GRU_OK;
}

const char *gru_model_last_error(const gru_model *m) {
    if (!m) return "argument 'model' is NULL";
    if (m->magic != GRU__MODEL_MAGIC) return "argument 'model' is not a model";
    return m->msg;
}

gru_dtype gru_model_dtype(const gru_model *m) {
    return check_m(m, "gru_model_dtype") ? (gru_dtype)0 : m->dtype;
}
size_t gru_model_node_count(const gru_model *m) {
    return check_m(m, "gru_model_node_count") ? 0 : m->n;
}
size_t gru_model_input_count(const gru_model *m) {
    return check_m(m, "gru_model_input_count") ? 0 : m->n_in;
}
size_t gru_model_output_count(const gru_model *m) {
    return check_m(m, "gru_model_output_count") ? 0 : m->n_out;
}

static gru_status check_node(const gru_model *m, size_t i, const char *fn) {
    gru_status s = check_m(m, fn);
    if (s) return s;
    if (i >= m->n)
        return gru__fail(GRU_E_ARG, ((gru_model *)m)->msg,
                         "%s: argument 'i' must be < %zu (the node count), got %zu", fn, m->n, i);
    return GRU_OK;
}

gru_layer *gru_model_node_layer(gru_model *m, size_t i) {
    return check_node(m, i, "gru_model_node_layer") ? NULL : m->nodes[i].layer;
}
gru_bidirectional *gru_model_node_bidirectional(gru_model *m, size_t i) {
    return check_node(m, i, "gru_model_node_bidirectional") ? NULL : m->nodes[i].bi;
}
gru_dense *gru_model_node_dense(gru_model *m, size_t i) {
    return check_node(m, i, "gru_model_node_dense") ? NULL : m->nodes[i].dense;
}

/* The node as given to gru_model_create (its name points into the model; the
 * layers' allocators are cleared). */
gru_status gru_model_node_config(const gru_model *m, size_t i, gru_model_node *node) {
    static const char fn[] = "gru_model_node_config";
    gru_status s = check_node(m, i, fn);
    if (s) return s;
    if (!node) return gru__fail(GRU_E_NULL, ((gru_model *)m)->msg, "%s: argument 'node' is NULL", fn);
    *node = m->nodes[i].cfg;
    node->name = m->nodes[i].name;
    memset(&node->gru.cell.allocator, 0, sizeof node->gru.cell.allocator);
    memset(&node->bidirectional.layer.cell.allocator, 0, sizeof(gru_allocator));
    memset(&node->bidirectional.backward_layer.cell.allocator, 0, sizeof(gru_allocator));
    return GRU_OK;
}

gru_status gru_model_node_output_dims(const gru_model *m, size_t i, size_t port,
                                      int64_t dims[GRU_MODEL_MAX_RANK], size_t *rank) {
    static const char fn[] = "gru_model_node_output_dims";
    gru_status s = check_node(m, i, fn);
    if (s) return s;
    if (!dims || !rank)
        return gru__fail(GRU_E_NULL, ((gru_model *)m)->msg, "%s: argument 'dims' or 'rank' is NULL",
                         fn);
    if (port >= m->nodes[i].n_out)
        return gru__fail(GRU_E_ARG, ((gru_model *)m)->msg,
                         "%s: argument 'port' must be < %zu (node %zu's outputs), got %zu", fn,
                         m->nodes[i].n_out, i, port);
    const mtensor *t = &m->t[m->nodes[i].out0 + port];
    *rank = t->rank;
    for (size_t j = 0; j < t->rank; j++) dims[j] = t->dims[j];
    return GRU_OK;
}

gru_status gru_model_output_ref(const gru_model *m, size_t k, gru_model_ref *ref) {
    static const char fn[] = "gru_model_output_ref";
    gru_status s = check_m(m, fn);
    if (s) return s;
    if (k >= m->n_out)
        return gru__fail(GRU_E_ARG, ((gru_model *)m)->msg,
                         "%s: argument 'k' must be < %zu (the output count), got %zu", fn,
                         m->n_out, k);
    if (!ref) return gru__fail(GRU_E_NULL, ((gru_model *)m)->msg, "%s: argument 'ref' is NULL", fn);
    *ref = m->out_ref[k];
    return GRU_OK;
}

/* ---- weights ------------------------------------------------------------------------- */

static void add_w(gru_model_node_info *info, const char *name, size_t ndim, size_t d0,
                  size_t d1) {
    const size_t k = info->n_weights++;
    info->weight_names[k] = name;
    info->weight_ndim[k] = ndim;
    info->weight_shape[k][0] = d0;
    info->weight_shape[k][1] = ndim > 1 ? d1 : 0;
    info->weight_count[k] = ndim > 1 ? d0 * d1 : d0;
    info->param_count += info->weight_count[k];
}

static void layer_weights(gru_model_node_info *info, gru_layer *l, const char *const names[3]) {
    gru_cell *cell = gru_layer_cell(l);
    const size_t U = (size_t)gru_cell_units(cell), F = (size_t)gru_cell_input_dim(cell);
    gru_cell_config cc;
    gru_cell_get_config(cell, &cc);
    add_w(info, names[0], 2, F, 3 * U);
    add_w(info, names[1], 2, U, 3 * U);
    if (cc.use_bias) {
        if (cc.reset_after) add_w(info, names[2], 2, 2, 3 * U);
        else add_w(info, names[2], 1, 3 * U, 0);
    }
}

gru_status gru_model_node_info_get(const gru_model *m, size_t i, gru_model_node_info *info) {
    static const char fn[] = "gru_model_node_info_get";
    gru_status s = check_node(m, i, fn);
    if (s) return s;
    if (!info) return gru__fail(GRU_E_NULL, ((gru_model *)m)->msg, "%s: argument 'info' is NULL", fn);
    memset(info, 0, sizeof *info);
    const mnode *nd = &m->nodes[i];
    info->kind = nd->kind;
    info->name = nd->name;
    info->n_inputs = nd->n_in;
    info->n_outputs = nd->n_out;
    for (size_t p = 0; p < nd->n_out && p < 4; p++) info->output_masked[p] = m->t[nd->out0 + p].masked;
    static const char *const plain[3] = {"kernel", "recurrent_kernel", "bias"};
    static const char *const fw[3] = {"forward_layer/kernel", "forward_layer/recurrent_kernel",
                                      "forward_layer/bias"};
    static const char *const bw[3] = {"backward_layer/kernel", "backward_layer/recurrent_kernel",
                                      "backward_layer/bias"};
    if (nd->layer) layer_weights(info, nd->layer, plain);
    if (nd->bi) {
        layer_weights(info, gru_bidirectional_layer(nd->bi, 0), fw);
        layer_weights(info, gru_bidirectional_layer(nd->bi, 1), bw);
    }
    if (nd->dense) {
        gru_dense_config dc;
        gru_dense_get_config(nd->dense, &dc);
        add_w(info, "kernel", 2, (size_t)dc.input_dim, (size_t)dc.units);
        if (dc.use_bias) add_w(info, "bias", 1, (size_t)dc.units, 0);
    }
    if (nd->table) add_w(info, "embeddings", 2, nd->vocab, nd->edim);
    return GRU_OK;
}

static gru_status weights_io(gru_model *m, size_t i, gru_dtype dtype, size_t n_arrays,
                             const void *const *arrays, void *const *outs, const size_t *counts,
                             const char *fn) {
    gru_status s = check_node(m, i, fn);
    if (s) return s;
    char *msg = m->msg;
    const mnode *nd = &m->nodes[i];
    char who[NAME_MAX_ + 64];
    snprintf(who, sizeof who, "node %zu ('%s', %s)", i, nd->name, gru_node_kind_name(nd->kind));
    if (!gru__dtype_ok(dtype))
        return gru__fail(GRU_E_DTYPE, msg, "%s: %s: argument 'dtype' must be GRU_F32 or GRU_F64, "
                                           "got %d", fn, who, (int)dtype);
    gru_model_node_info info;
    gru_model_node_info_get(m, i, &info);
    if (n_arrays != info.n_weights)
        return gru__fail(GRU_E_SHAPE, msg,
                         "%s: %s: argument 'n_arrays' must be %zu (its weights), got %zu", fn, who,
                         info.n_weights, n_arrays);
    if (n_arrays == 0) return GRU_OK;
    if ((arrays == NULL && outs == NULL) || !counts)
        return gru__fail(GRU_E_NULL, msg, "%s: %s: argument '%s' or 'counts' is NULL", fn, who,
                         arrays || !outs ? "arrays" : "arrays");
    for (size_t k = 0; k < n_arrays; k++) {
        const void *p = arrays ? arrays[k] : outs[k];
        if (!p)
            return gru__fail(GRU_E_NULL, msg, "%s: %s: weight '%s' (arrays[%zu]) is NULL", fn, who,
                             info.weight_names[k], k);
        if (counts[k] != info.weight_count[k]) {
            if (info.weight_ndim[k] == 2)
                return gru__fail(GRU_E_SHAPE, msg,
                                 "%s: %s: weight '%s' must have %zu elements (shape (%zu, %zu)), "
                                 "got %zu", fn, who, info.weight_names[k], info.weight_count[k],
                                 info.weight_shape[k][0], info.weight_shape[k][1], counts[k]);
            return gru__fail(GRU_E_SHAPE, msg,
                             "%s: %s: weight '%s' must have %zu elements (shape (%zu,)), got %zu",
                             fn, who, info.weight_names[k], info.weight_count[k],
                             info.weight_shape[k][0], counts[k]);
        }
    }
    char prefix[NAME_MAX_ + 128];
    snprintf(prefix, sizeof prefix, "%s: %s", fn, who);
#define ARR(k) (arrays ? arrays[k] : (const void *)outs[k])
    if (nd->layer || nd->bi) {
        size_t k = 0;
        for (int d = 0; d < (nd->bi ? 2 : 1); d++) {
            gru_layer *l = nd->bi ? gru_bidirectional_layer(nd->bi, d) : nd->layer;
            gru_cell *cell = gru_layer_cell(l);
            size_t kb, rb, bb;
            gru_cell_weight_sizes(cell, &kb, &rb, &bb);
            if (arrays)
                s = gru_cell_set_weights(cell, dtype, arrays[k], arrays[k + 1],
                                         bb ? arrays[k + 2] : NULL);
            else
                s = gru_cell_get_weights(cell, dtype, outs[k], outs[k + 1], bb ? outs[k + 2] : NULL);
            if (s) return gru__fail_prefixed(s, msg, prefix);
            k += bb ? 3 : 2;
        }
    } else if (nd->dense) {
        if (arrays)
            s = gru_dense_set_weights(nd->dense, dtype, arrays[0], n_arrays > 1 ? arrays[1] : NULL);
        else
            s = gru_dense_get_weights(nd->dense, dtype, outs[0], n_arrays > 1 ? outs[1] : NULL);
        if (s) return gru__fail_prefixed(s, msg, prefix);
    } else if (nd->table) {
        const size_t cnt = nd->vocab * nd->edim;
        for (size_t q = 0; q < cnt; q++) {
            if (arrays) gru__st(m->dtype, nd->table, q, gru__ld(dtype, arrays[0], q));
            else gru__st(dtype, outs[0], q, gru__ld(m->dtype, nd->table, q));
        }
    }
#undef ARR
    return GRU_OK;
}

gru_status gru_model_set_node_weights(gru_model *m, size_t i, gru_dtype dtype, size_t n_arrays,
                                      const void *const *arrays, const size_t *counts) {
    if (n_arrays && !arrays) {
        gru_status s = check_node(m, i, "gru_model_set_node_weights");
        if (s) return s;
        return gru__fail(GRU_E_NULL, m->msg, "gru_model_set_node_weights: argument 'arrays' is NULL");
    }
    return weights_io(m, i, dtype, n_arrays, arrays, NULL, counts, "gru_model_set_node_weights");
}

gru_status gru_model_get_node_weights(const gru_model *m, size_t i, gru_dtype dtype,
                                      size_t n_arrays, void *const *arrays, const size_t *counts) {
    if (n_arrays && !arrays) {
        gru_status s = check_node(m, i, "gru_model_get_node_weights");
        if (s) return s;
        return gru__fail(GRU_E_NULL, ((gru_model *)m)->msg,
                         "gru_model_get_node_weights: argument 'arrays' is NULL");
    }
    return weights_io((gru_model *)m, i, dtype, n_arrays, NULL, arrays, counts,
                      "gru_model_get_node_weights");
}

/* ---- shapes and the workspace plan ----------------------------------------------------- */

static gru_status check_bs(const gru_model *m, int64_t batch, int64_t steps, const char *fn) {
    char *msg = ((gru_model *)m)->msg;
    if (batch <= 0)
        return gru__fail(GRU_E_ARG, msg, "%s: argument 'batch' must be > 0, got %lld", fn,
                         (long long)batch);
    if (m->has_steps && steps <= 0)
        return gru__fail(GRU_E_ARG, msg,
                         "%s: argument 'steps' must be > 0 (an Input has an open time axis), got "
                         "%lld", fn, (long long)steps);
    if (batch > (int64_t)1 << 40 || (m->has_steps && steps > (int64_t)1 << 40))
        return gru__fail(GRU_E_OVERFLOW, msg, "%s: batch %lld or steps %lld is too large", fn,
                         (long long)batch, (long long)steps);
    return GRU_OK;
}

static gru_status tensor_shape(const gru_model *m, const mtensor *t, int64_t batch, int64_t steps,
                               int64_t *dims, size_t *ndim) {
    if (!dims || !ndim)
        return gru__fail(GRU_E_NULL, ((gru_model *)m)->msg, "argument 'dims' or 'ndim' is NULL");
    dims[0] = batch;
    for (size_t j = 0; j < t->rank; j++) dims[j + 1] = dim_at(t->dims[j], steps);
    *ndim = t->rank + 1;
    return GRU_OK;
}

gru_status gru_model_input_shape(const gru_model *m, size_t k, int64_t batch, int64_t steps,
                                 int64_t dims[GRU_MODEL_MAX_RANK + 1], size_t *ndim, bool *is_int) {
    static const char fn[] = "gru_model_input_shape";
    gru_status s = check_m(m, fn);
    if (s || (s = check_bs(m, batch, steps, fn))) return s;
    if (k >= m->n_in)
        return gru__fail(GRU_E_ARG, ((gru_model *)m)->msg,
                         "%s: argument 'k' must be < %zu (the input count), got %zu", fn, m->n_in, k);
    const mtensor *t = &m->t[m->in_t[k]];
    if (is_int) *is_int = t->is_int;
    return tensor_shape(m, t, batch, steps, dims, ndim);
}

gru_status gru_model_output_shape(const gru_model *m, size_t k, int64_t batch, int64_t steps,
                                  int64_t dims[GRU_MODEL_MAX_RANK + 1], size_t *ndim) {
    static const char fn[] = "gru_model_output_shape";
    gru_status s = check_m(m, fn);
    if (s || (s = check_bs(m, batch, steps, fn))) return s;
    if (k >= m->n_out)
        return gru__fail(GRU_E_ARG, ((gru_model *)m)->msg,
                         "%s: argument 'k' must be < %zu (the output count), got %zu", fn,
                         m->n_out, k);
    return tensor_shape(m, &m->t[m->out_t[k]], batch, steps, dims, ndim);
}

/* Elements of a tensor (batch included) and rows (all axes but the last). */
static int t_count(const mtensor *t, size_t batch, int64_t steps, size_t *elems, size_t *rows) {
    size_t n = batch, r = batch;
    for (size_t j = 0; j < t->rank; j++) {
        const size_t d = (size_t)dim_at(t->dims[j], steps);
        if (!gru__mul_size(n, d, &n)) return 0;
        if (j + 1 < t->rank && !gru__mul_size(r, d, &r)) return 0;
    }
    if (t->rank == 0) r = batch;
    *elems = n;
    if (rows) *rows = r;
    return 1;
}

/* Bytes of one thread's Dense accumulators (U doubles, U the fixed last
 * axis of the Dense node's output o). */
static size_t dense_acc_stride(const mtensor *o) {
    return gru__align64((size_t)o->dims[o->rank - 1] * sizeof(double));
}

/* Lay out the workspace for (batch, steps); with base set, also point every
 * tensor and mask at its place. 0 on overflow or a layer's failure. */
static gru_status plan(gru_model *m, size_t batch, int64_t steps, char *base, size_t *total,
                       size_t *scratch, const char *fn) {
    size_t need = 0, b;
    for (size_t i = 0; i < m->n; i++) {
        const mnode *nd = &m->nodes[i];
        if (!nd->layer && !nd->bi) continue;
        const mtensor *x = &m->t[nd->in[0]];
        const int64_t Ts = dim_at(x->dims[0], steps);
        if (Ts <= 0)
            return gru__fail(GRU_E_SHAPE, m->msg, "%s: node %zu ('%s', %s) gets 0 steps", fn, i,
                             nd->name, gru_node_kind_name(nd->kind));
        gru_status s = nd->bi ? gru_bidirectional_workspace_size(nd->bi, (int64_t)batch, Ts, &b)
                              : gru_layer_workspace_size(nd->layer, (int64_t)batch, Ts, &b);
        if (s) {
            char p[NAME_MAX_ + 96];
            snprintf(p, sizeof p, "%s: node %zu ('%s')", fn, i, nd->name);
            return gru__fail_prefixed(s, m->msg, p);
        }
        if (b > need) need = b;
    }
    /* With a pool, Dense rows are split between threads, each with its own
     * accumulators in the scratch region (free while no GRU runs). */
    const size_t nth = (size_t)gru__pool_threads(m->pool);
    if (nth > 1)
        for (size_t i = 0; i < m->n; i++) {
            const mnode *nd = &m->nodes[i];
            if (!nd->dense) continue;
            const mtensor *o = &m->t[nd->out0];
            b = nth * dense_acc_stride(o);
            if (b > need) need = b;
        }
    if (need > SIZE_MAX / 2) goto overflow;
    size_t off = gru__align64(need);
    *scratch = off;
    for (size_t k = 0; k < m->nt; k++) {
        mtensor *t = &m->t[k];
        size_t elems, rows;
        if (!t_count(t, batch, steps, &elems, &rows)) goto overflow;
        if (t->view_of < 0 && t->input_k < 0) {
            size_t bytes;
            if (!gru__mul_size(elems, m->es, &bytes) || off > SIZE_MAX / 2 - bytes) goto overflow;
            if (base) t->ptr = base + off;
            off = gru__align64(off + bytes);
        }
        if (t->masked && t->mask_of < 0) {
            if (off > SIZE_MAX / 2 - rows) goto overflow;
            if (base) t->mask = (uint8_t *)(base + off);
            off = gru__align64(off + rows);
        }
    }
    *total = off;
    return GRU_OK;
overflow:
    return gru__fail(GRU_E_OVERFLOW, m->msg, "%s: batch %zu x steps %lld overflows size_t", fn,
                     batch, (long long)steps);
}

gru_status gru_model_workspace_size(const gru_model *m, int64_t batch, int64_t steps,
                                    size_t *bytes) {
    static const char fn[] = "gru_model_workspace_size";
    gru_status s = check_m(m, fn);
    if (s || (s = check_bs(m, batch, steps, fn))) return s;
    if (!bytes) return gru__fail(GRU_E_NULL, ((gru_model *)m)->msg, "%s: argument 'bytes' is NULL", fn);
    size_t total, scratch;
    s = plan((gru_model *)m, (size_t)batch, m->has_steps ? steps : 1, NULL, &total, &scratch, fn);
    if (s) return s;
    *bytes = total;
    return GRU_OK;
}

/* ---- forward ----------------------------------------------------------------------- */

gru_status gru_model_set_threadpool(gru_model *m, gru_threadpool *pool) {
    static const char fn[] = "gru_model_set_threadpool";
    gru_status s = check_m(m, fn);
    if (s) return s;
    for (size_t i = 0; i < m->n && !s; i++) {
        const mnode *nd = &m->nodes[i];
        if (nd->layer) s = gru_layer_set_threadpool(nd->layer, pool);
        else if (nd->bi) s = gru_bidirectional_set_threadpool(nd->bi, pool);
        if (s) {
            char p[NAME_MAX_ + 96];
            snprintf(p, sizeof p, "%s: node %zu ('%s')", fn, i, nd->name);
            return gru__fail_prefixed(s, m->msg, p);
        }
    }
    m->pool = pool;
    return GRU_OK;
}

/* A Dense node's rows shared out over the pool: thread tid of nth runs rows
 * [rows*tid/nth, rows*(tid+1)/nth) with its own accumulators. */
typedef struct dense_job {
    const gru_dense *d;
    gru_dtype dt;
    size_t rows, x_row, y_row; /* row sizes in bytes */
    const char *x;
    char *y, *acc;
    size_t acc_stride;
} dense_job;

static void dense_job_run(void *arg, int tid, int nth) {
    const dense_job *j = arg;
    const size_t r0 = j->rows * (size_t)tid / (size_t)nth;
    const size_t r1 = j->rows * (size_t)(tid + 1) / (size_t)nth;
    if (r1 > r0)
        gru__dense_forward_rows(j->d, j->dt, r1 - r0, j->x + r0 * j->x_row, j->y + r0 * j->y_row,
                                (double *)(void *)(j->acc + (size_t)tid * j->acc_stride));
}

static gru_status run_node(gru_model *m, size_t i, size_t B, int64_t steps, char *scratch,
                           size_t scratch_bytes, const char *fn) {
    mnode *nd = &m->nodes[i];
    mtensor *o = &m->t[nd->out0];
    const mtensor *x = nd->n_in ? &m->t[nd->in[0]] : NULL;
    const gru_dtype dt = m->dtype;
    const size_t es = m->es;
    size_t xe = 0, xr = 0, oe = 0, orows = 0;
    if (x) t_count(x, B, steps, &xe, &xr);
    t_count(o, B, steps, &oe, &orows);
    gru_status s = GRU_OK;
    char who[NAME_MAX_ + 96];
    snprintf(who, sizeof who, "%s: node %zu ('%s', %s)", fn, i, nd->name,
             gru_node_kind_name(nd->kind));
    switch (nd->kind) {
    case GRU_NODE_INPUT:
    case GRU_NODE_DROPOUT:
    case GRU_NODE_SPATIAL_DROPOUT1D:
    case GRU_NODE_FLATTEN:
    case GRU_NODE_RESHAPE:
        return GRU_OK; /* views */
    case GRU_NODE_MASKING: {
        const size_t F = xr ? xe / xr : 0;
        if (dt == GRU_F32)
            mdl_masking_f32(xr, F, nd->mask_value, (const float *)x->ptr, (float *)o->ptr, o->mask);
        else
            mdl_masking_f64(xr, F, nd->mask_value, (const double *)x->ptr, (double *)o->ptr,
                            o->mask);
        return GRU_OK;
    }
    case GRU_NODE_EMBEDDING: {
        uint8_t *mk = nd->mask_zero ? o->mask : NULL;
        size_t bad;
        if (x->is_int)
            bad = dt == GRU_F32 ? mdl_embed_int_f32(xe, (const int64_t *)x->ptr, nd->table,
                                                    nd->vocab, nd->edim, (float *)o->ptr, mk)
                                : mdl_embed_int_f64(xe, (const int64_t *)x->ptr, nd->table,
                                                    nd->vocab, nd->edim, (double *)o->ptr, mk);
        else
            bad = dt == GRU_F32 ? mdl_embed_float_f32(xe, (const float *)x->ptr, nd->table,
                                                      nd->vocab, nd->edim, (float *)o->ptr, mk)
                                : mdl_embed_float_f64(xe, (const double *)x->ptr, nd->table,
                                                      nd->vocab, nd->edim, (double *)o->ptr, mk);
        if (bad < xe) {
            const double v = x->is_int ? (double)((const int64_t *)x->ptr)[bad]
                                       : gru__ld(dt, x->ptr, bad);
            return gru__fail(GRU_E_ARG, m->msg,
                             "%s: id %.17g at flat position %zu is outside [0, %zu) (Keras: "
                             "indices is not in [0, input_dim))", who, v, bad, nd->vocab);
        }
        return GRU_OK;
    }
    case GRU_NODE_GRU:
    case GRU_NODE_BIDIRECTIONAL: {
        gru_seq seq = {(int64_t)B, dim_at(x->dims[0], steps), x->ptr, x->masked ? x->mask : NULL,
                       NULL};
        gru_layer_io io[2];
        memset(io, 0, sizeof io);
        if (nd->n_in > 1) io[0].initial_state = m->t[nd->in[1]].ptr;
        if (nd->n_in > 2) io[1].initial_state = m->t[nd->in[2]].ptr;
        if (nd->layer) {
            if (nd->rst) io[0].state_out = m->t[nd->out0 + 1].ptr;
            s = gru_layer_forward(nd->layer, dt, &seq, &io[0], GRU_TRAINING_FALSE, o->ptr, scratch,
                                  scratch_bytes);
        } else {
            const int none = nd->merge == GRU_MERGE_NONE;
            if (nd->rst) {
                io[0].state_out = m->t[nd->out0 + (none ? 2 : 1)].ptr;
                io[1].state_out = m->t[nd->out0 + (none ? 3 : 2)].ptr;
            }
            s = gru_bidirectional_forward(nd->bi, dt, &seq, io, GRU_TRAINING_FALSE, o->ptr,
                                          none ? m->t[nd->out0 + 1].ptr : NULL, scratch,
                                          scratch_bytes);
        }
        break;
    }
    case GRU_NODE_DENSE:
    case GRU_NODE_TIME_DISTRIBUTED_DENSE: {
        const int nth = gru__pool_threads(m->pool);
        const size_t stride = dense_acc_stride(o);
        if (nth > 1 && xr > 1 && orows == xr && stride * (size_t)nth <= scratch_bytes) {
            dense_job j = {nd->dense, dt, xr, xe / xr * es, oe / orows * es, x->ptr, o->ptr,
                           scratch, stride};
            if (!gru__pool_run(m->pool, dense_job_run, &j)) dense_job_run(&j, 0, 1);
            return GRU_OK;
        }
        s = gru_dense_forward(nd->dense, dt, xr, x->ptr, o->ptr, NULL);
        break;
    }
    case GRU_NODE_ACTIVATION:
        s = gru_activation_apply(&nd->act, dt, xr, xr ? xe / xr : 0, x->ptr, o->ptr);
        break;
    case GRU_NODE_CONCATENATE: {
        /* outer = batch * dims before the axis; each input contributes a
         * contiguous chunk of (its axis size) * (dims after) per outer index */
        size_t outer = B;
        for (size_t q = 0; q < nd->axis; q++) outer *= (size_t)dim_at(o->dims[q], steps);
        size_t inner = 1;
        for (size_t q = nd->axis + 1; q < o->rank; q++) inner *= (size_t)dim_at(o->dims[q], steps);
        char *dst = o->ptr;
        for (size_t u = 0; u < outer; u++)
            for (size_t k = 0; k < nd->n_in; k++) {
                const mtensor *a = &m->t[nd->in[k]];
                const size_t chunk = (size_t)dim_at(a->dims[nd->axis], steps) * inner * es;
                memcpy(dst, a->ptr + u * chunk, chunk);
                dst += chunk;
            }
        if (o->masked) {
            if (nd->axis + 1 == o->rank) { /* last axis: AND of the masks present */
                for (size_t r = 0; r < orows; r++) {
                    uint8_t v = 1;
                    for (size_t k = 0; k < nd->n_in; k++) {
                        const mtensor *a = &m->t[nd->in[k]];
                        if (a->masked && !a->mask[r]) v = 0;
                    }
                    o->mask[r] = v;
                }
            } else { /* concatenate the masks (missing ones are all valid) */
                size_t minner = 1;
                for (size_t q = nd->axis + 1; q + 1 < o->rank; q++)
                    minner *= (size_t)dim_at(o->dims[q], steps);
                uint8_t *md = o->mask;
                for (size_t u = 0; u < outer; u++)
                    for (size_t k = 0; k < nd->n_in; k++) {
                        const mtensor *a = &m->t[nd->in[k]];
                        const size_t chunk = (size_t)dim_at(a->dims[nd->axis], steps) * minner;
                        if (a->masked) memcpy(md, a->mask + u * chunk, chunk);
                        else memset(md, 1, chunk);
                        md += chunk;
                    }
            }
        }
        return GRU_OK;
    }
    case GRU_NODE_ADD:
    case GRU_NODE_MULTIPLY: {
        const void *ins[GRU_MODEL_MAX_INPUTS] = {0};
        for (size_t k = 0; k < nd->n_in; k++) ins[k] = m->t[nd->in[k]].ptr;
        const int mul = nd->kind == GRU_NODE_MULTIPLY;
        if (dt == GRU_F32)
            mdl_merge_f32(mul, nd->n_in, (const float *const *)ins, xe, (float *)o->ptr);
        else
            mdl_merge_f64(mul, nd->n_in, (const double *const *)ins, xe, (double *)o->ptr);
        if (o->masked && o->mask_of < 0)
            for (size_t r = 0; r < orows; r++) {
                uint8_t v = 1;
                for (size_t k = 0; k < nd->n_in; k++) {
                    const mtensor *a = &m->t[nd->in[k]];
                    if (a->masked && !a->mask[r]) v = 0;
                }
                o->mask[r] = v;
            }
        return GRU_OK;
    }
    case GRU_NODE_GLOBAL_AVERAGE_POOLING1D:
    case GRU_NODE_GLOBAL_MAX_POOLING1D: {
        const size_t Ts = (size_t)dim_at(x->dims[0], steps), F = (size_t)x->dims[1];
        const int avg = nd->kind == GRU_NODE_GLOBAL_AVERAGE_POOLING1D;
        const uint8_t *mk = avg && x->masked ? x->mask : NULL;
        if (dt == GRU_F32) {
            if (avg) mdl_gap_f32(B, Ts, F, (const float *)x->ptr, mk, (float *)o->ptr);
            else mdl_gmp_f32(B, Ts, F, (const float *)x->ptr, (float *)o->ptr);
        } else {
            if (avg) mdl_gap_f64(B, Ts, F, (const double *)x->ptr, mk, (double *)o->ptr);
            else mdl_gmp_f64(B, Ts, F, (const double *)x->ptr, (double *)o->ptr);
        }
        return GRU_OK;
    }
    case GRU_NODE_REPEAT_VECTOR: {
        const size_t F = (size_t)x->dims[0], n = (size_t)o->dims[0];
        for (size_t b = 0; b < B; b++)
            for (size_t r = 0; r < n; r++)
                memcpy(o->ptr + (b * n + r) * F * es, x->ptr + b * F * es, F * es);
        return GRU_OK;
    }
    case GRU_NODE_KIND_COUNT_: break;
    }
    if (s) return gru__fail_prefixed(s, m->msg, who);
    return GRU_OK;
}

gru_status gru_model_forward(gru_model *m, gru_dtype dtype, int64_t batch, int64_t steps,
                             const void *const *inputs, void *const *outputs, void *workspace,
                             size_t ws_bytes) {
    static const char fn[] = "gru_model_forward";
    gru_status s = check_m(m, fn);
    if (s || (s = check_bs(m, batch, steps, fn))) return s;
    char *msg = m->msg;
    if (dtype != m->dtype)
        return gru__fail(GRU_E_DTYPE, msg, "%s: argument 'dtype' must be the model's dtype %s, got %d",
                         fn, m->dtype == GRU_F32 ? "GRU_F32" : "GRU_F64", (int)dtype);
    if (!inputs) return gru__fail(GRU_E_NULL, msg, "%s: argument 'inputs' is NULL", fn);
    if (!outputs) return gru__fail(GRU_E_NULL, msg, "%s: argument 'outputs' is NULL", fn);
    for (size_t k = 0; k < m->n_in; k++)
        if (!inputs[k]) return gru__fail(GRU_E_NULL, msg, "%s: inputs[%zu] is NULL", fn, k);
    for (size_t k = 0; k < m->n_out; k++)
        if (!outputs[k]) return gru__fail(GRU_E_NULL, msg, "%s: outputs[%zu] is NULL", fn, k);
    if (!workspace) return gru__fail(GRU_E_NULL, msg, "%s: argument 'workspace' is NULL", fn);
    if (((uintptr_t)workspace % 64) != 0)
        return gru__fail(GRU_E_ARG, msg, "%s: argument 'workspace' must be aligned to 64 bytes", fn);
    for (size_t i = 0; i < m->n; i++) {
        const mnode *nd = &m->nodes[i];
        if (nd->stateful_batch > 0 && nd->stateful_batch != batch)
            return gru__fail(GRU_E_SHAPE, msg,
                             "%s: node %zu ('%s', %s) is stateful, built for batch %lld, got "
                             "batch %lld", fn, i, nd->name, gru_node_kind_name(nd->kind),
                             (long long)nd->stateful_batch, (long long)batch);
    }
    if (!m->has_steps) steps = 1;
    size_t total, scratch;
    if ((s = plan(m, (size_t)batch, steps, NULL, &total, &scratch, fn))) return s;
    if (ws_bytes < total)
        return gru__fail(GRU_E_SHAPE, msg, "%s: workspace has %zu bytes, needs %zu "
                                           "(gru_model_workspace_size)", fn, ws_bytes, total);
    plan(m, (size_t)batch, steps, workspace, &total, &scratch, fn);
    /* inputs, views and shared masks */
    for (size_t k = 0; k < m->nt; k++) {
        mtensor *t = &m->t[k];
        if (t->input_k >= 0) t->ptr = (char *)(uintptr_t)inputs[t->input_k];
        if (t->view_of >= 0) t->ptr = m->t[t->view_of].ptr;
        if (t->mask_of >= 0) t->mask = m->t[t->mask_of].mask;
    }
    for (size_t i = 0; i < m->n; i++) {
        s = run_node(m, i, (size_t)batch, steps, workspace, scratch, fn);
        if (s) return s;
    }
    for (size_t k = 0; k < m->n_out; k++) {
        const mtensor *t = &m->t[m->out_t[k]];
        size_t elems = 0;
        t_count(t, (size_t)batch, steps, &elems, NULL);
        memcpy(outputs[k], t->ptr, elems * m->es);
    }
    return GRU_OK;
}

gru_status gru_model_reset_states(gru_model *m) {
    static const char fn[] = "gru_model_reset_states";
    gru_status s = check_m(m, fn);
    if (s) return s;
    for (size_t i = 0; i < m->n; i++) {
        const mnode *nd = &m->nodes[i];
        if (nd->stateful_batch <= 0) continue;
        s = nd->bi ? gru_bidirectional_reset_states(nd->bi)
                   : gru_layer_reset_states(nd->layer, m->dtype, NULL);
        if (s) {
            char p[NAME_MAX_ + 96];
            snprintf(p, sizeof p, "%s: node %zu ('%s')", fn, i, nd->name);
            return gru__fail_prefixed(s, m->msg, p);
        }
    }
    return GRU_OK;
}
