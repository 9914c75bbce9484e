/* The native model format, reader side (docs/FORMAT-native.md).
 *
 * Everything goes through gru_model_load_buffer: the FILE* and path loaders
 * read the bytes and call it. The reader never trusts a count: each one is
 * checked against the bytes left in its section and against the limits in
 * model_io.h before anything is allocated, and the model is created with a
 * budget (gru__model_create_budget) that the file's size bounds, so a small
 * file cannot ask for a large allocation. Messages name the section, the
 * node, the field or weight, and what was expected and found. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "model_io.h"

/* ---- CRC-32 ------------------------------------------------------------------------ */

uint32_t gru__crc32(uint32_t crc, const void *p, size_t len) {
    /* reflected polynomial 0xEDB88320, four bits at a time */
    static const uint32_t tab[16] = {
        0x00000000u, 0x1db71064u, 0x3b6e20c8u, 0x26d930acu, 0x76dc4190u, 0x6b6b51f4u,
        0x4db26158u, 0x5005713cu, 0xedb88320u, 0xf00f9344u, 0xd6d6a3e8u, 0xcb61b38cu,
        0x9b64c2b0u, 0x86d3d2d4u, 0xa00ae278u, 0xbdbdf21cu};
    const uint8_t *b = p;
    crc = ~crc;
    for (size_t i = 0; i < len; i++) {
        crc ^= b[i];
        crc = (crc >> 4) ^ tab[crc & 15u];
        crc = (crc >> 4) ^ tab[crc & 15u];
    }
    return ~crc;
}

/* ---- a bounded reader ------------------------------------------------------------------ */

typedef struct rd {
    const uint8_t *p;
    size_t pos, end;      /* current section body: [pos, end) */
    char where[128];      /* "section NODE 3 ('gru')" */
    gru_status err;
} rd;

static int rfail(rd *r, gru_status s, const char *fmt, ...) GRU__PRINTF(3, 4);
static int rfail(rd *r, gru_status s, const char *fmt, ...) {
    char body[GRU_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    if (r->where[0]) gru__fail(s, NULL, "gru_model_load: %s: %s", r->where, body);
    else gru__fail(s, NULL, "gru_model_load: %s", body);
    r->err = s;
    return 0;
}

static int need(rd *r, size_t n, const char *what) {
    if (r->end - r->pos >= n) return 1;
    return rfail(r, GRU_E_FORMAT, "truncated: %s needs %zu bytes, %zu left", what, n,
                 r->end - r->pos);
}

static uint64_t le(const uint8_t *b, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = (v << 8) | b[i];
    return v;
}

static int rd_u(rd *r, int n, const char *what, uint64_t *v) {
    if (!need(r, (size_t)n, what)) return 0;
    *v = le(r->p + r->pos, n);
    r->pos += (size_t)n;
    return 1;
}

static int rd_u32(rd *r, const char *what, uint32_t *v) {
    uint64_t x;
    if (!rd_u(r, 4, what, &x)) return 0;
    *v = (uint32_t)x;
    return 1;
}

static int rd_i64(rd *r, const char *what, int64_t *v) {
    uint64_t x;
    if (!rd_u(r, 8, what, &x)) return 0;
    memcpy(v, &x, sizeof *v);
    return 1;
}

static int rd_f64(rd *r, const char *what, double *v) {
    uint64_t x;
    if (!rd_u(r, 8, what, &x)) return 0;
    memcpy(v, &x, sizeof *v);
    return 1;
}

/* Field names for messages: "<pre><name>". */
#define FIELD(buf, pre, name) (snprintf((buf), sizeof(buf), "%s%s", (pre), (name)), (buf))

static int rd_bool(rd *r, const char *pre, const char *name, bool *v) {
    char f[96];
    uint64_t x;
    if (!rd_u(r, 1, FIELD(f, pre, name), &x)) return 0;
    if (x > 1) return rfail(r, GRU_E_FORMAT, "field '%s' must be 0 or 1, got %u", f, (unsigned)x);
    *v = x != 0;
    return 1;
}

static int rd_u32_in(rd *r, const char *pre, const char *name, uint32_t lo, uint32_t hi,
                     uint32_t *v) {
    char f[96];
    if (!rd_u32(r, FIELD(f, pre, name), v)) return 0;
    if (*v < lo || *v > hi)
        return rfail(r, GRU_E_FORMAT, "field '%s' must be in [%u, %u], got %u", f, (unsigned)lo,
                     (unsigned)hi, (unsigned)*v);
    return 1;
}

static int rd_i64_in(rd *r, const char *pre, const char *name, int64_t lo, int64_t hi,
                     int64_t *v) {
    char f[96];
    if (!rd_i64(r, FIELD(f, pre, name), v)) return 0;
    if (*v < lo || *v > hi)
        return rfail(r, GRU_E_FORMAT, "field '%s' must be in [%lld, %lld], got %lld", f,
                     (long long)lo, (long long)hi, (long long)*v);
    return 1;
}

/* A dimension: > 0 and <= the limit, or -1 where open is allowed. */
static int rd_dim(rd *r, const char *pre, const char *name, bool open, int64_t *v) {
    char f[96];
    if (!rd_i64(r, FIELD(f, pre, name), v)) return 0;
    if ((*v == -1 && open) || (*v > 0 && *v <= GRU__FMT_MAX_DIM)) return 1;
    return rfail(r, GRU_E_FORMAT, "field '%s' must be in [1, 2^40]%s, got %lld", f,
                 open ? " or -1" : "", (long long)*v);
}

static int rd_finite(rd *r, const char *pre, const char *name, bool allow_nan, double *v) {
    char f[96];
    if (!rd_f64(r, FIELD(f, pre, name), v)) return 0;
    if (isfinite(*v) || (allow_nan && isnan(*v))) return 1;
    return rfail(r, GRU_E_FORMAT, "field '%s' must be finite, got %g", f, *v);
}

/* A string: u16 length (<= GRU__FMT_MAX_NAME) and bytes, copied with a NUL. */
static int rd_str(rd *r, const char *what, char out[GRU__FMT_MAX_NAME + 1]) {
    uint64_t n;
    if (!rd_u(r, 2, what, &n)) return 0;
    if (n > GRU__FMT_MAX_NAME)
        return rfail(r, GRU_E_FORMAT, "%s is %u bytes long, the limit is %u", what, (unsigned)n,
                     GRU__FMT_MAX_NAME);
    if (!need(r, (size_t)n, what)) return 0;
    memcpy(out, r->p + r->pos, (size_t)n);
    out[n] = '\0';
    if (memchr(out, '\0', (size_t)n))
        return rfail(r, GRU_E_FORMAT, "%s contains a NUL byte", what);
    r->pos += (size_t)n;
    return 1;
}

/* ---- records ----------------------------------------------------------------------------- */

static int rd_activation(rd *r, const char *pre, gru_activation *a) {
    char p2[96];
    uint32_t k;
    snprintf(p2, sizeof p2, "%s.", pre);
    if (!rd_u32_in(r, p2, "kind", 0, (uint32_t)GRU_ACT_COUNT_ - 1, &k)) return 0;
    if (k == (uint32_t)GRU_ACT_CUSTOM)
        return rfail(r, GRU_E_FORMAT, "field '%s.kind' is %u (custom), which a file cannot hold",
                     pre, (unsigned)k);
    memset(a, 0, sizeof *a);
    a->kind = (gru_activation_kind)k;
    return rd_finite(r, p2, "alpha", false, &a->alpha) &&
           rd_finite(r, p2, "max_value", true, &a->max_value) &&
           rd_finite(r, p2, "threshold", false, &a->threshold);
}

static int rd_regularizer(rd *r, const char *pre, gru_regularizer *g) {
    uint32_t k, mode;
    memset(g, 0, sizeof *g);
    if (!rd_u32_in(r, pre, ".kind", 0, GRU_REG_ORTHOGONAL, &k) ||
        !rd_u32_in(r, pre, ".mode", 0, GRU_ORTH_COLUMNS, &mode))
        return 0;
    g->kind = (gru_reg_kind)k;
    g->mode = (gru_orth_mode)mode;
    return rd_finite(r, pre, ".l1", false, &g->l1) && rd_finite(r, pre, ".l2", false, &g->l2) &&
           rd_finite(r, pre, ".factor", false, &g->factor);
}

static int rd_constraint(rd *r, const char *pre, gru_constraint *c) {
    uint32_t k, ax;
    char f[96];
    memset(c, 0, sizeof *c);
    if (!rd_u32_in(r, pre, ".kind", 0, GRU_CONSTRAINT_RADIAL, &k)) return 0;
    if (!rd_u32(r, FIELD(f, pre, ".axis"), &ax)) return 0;
    int32_t axis;
    memcpy(&axis, &ax, sizeof axis);
    if (axis < -64 || axis > 64)
        return rfail(r, GRU_E_FORMAT, "field '%s' must be in [-64, 64], got %d", f, (int)axis);
    c->kind = (gru_constraint_kind)k;
    c->axis = (int)axis;
    return rd_finite(r, pre, ".max_value", false, &c->max_value) &&
           rd_finite(r, pre, ".min_value", false, &c->min_value) &&
           rd_finite(r, pre, ".rate", false, &c->rate);
}

/* A directional layer (gru_layer_config); pre is "gru." or "bidirectional.layer.". */
static int rd_layer(rd *r, const char *pre, gru_layer_config *l) {
    char p[64], f[96];
    int64_t units, v;
    if (!rd_dim(r, pre, "units", false, &units)) return 0;
    if (units > (1 << 24))
        return rfail(r, GRU_E_FORMAT, "field '%sunits' must be <= 2^24, got %lld", pre,
                     (long long)units);
    gru_layer_config_init(l, units, 1);
    gru_cell_config *c = &l->cell;
    /* weights are stored: zeros are the cheapest initializers */
    gru_initializer_from_name("zeros", &c->kernel_initializer);
    c->recurrent_initializer = c->kernel_initializer;
    c->bias_initializer = c->kernel_initializer;
    uint32_t impl;
    snprintf(p, sizeof p, "%sactivation", pre);
    if (!rd_activation(r, p, &c->activation)) return 0;
    snprintf(p, sizeof p, "%srecurrent_activation", pre);
    if (!rd_activation(r, p, &c->recurrent_activation)) return 0;
    if (!rd_bool(r, pre, "use_bias", &c->use_bias) ||
        !rd_bool(r, pre, "reset_after", &c->reset_after) ||
        !rd_u32_in(r, pre, "implementation", 1, 2, &impl) ||
        !rd_finite(r, pre, "dropout", false, &c->dropout) ||
        !rd_finite(r, pre, "recurrent_dropout", false, &c->recurrent_dropout))
        return 0;
    c->implementation = (int)impl;
    static const char *const wn[3] = {"kernel", "recurrent", "bias"};
    gru_regularizer *regs[3] = {&c->kernel_regularizer, &c->recurrent_regularizer,
                                &c->bias_regularizer};
    gru_constraint *cons[3] = {&c->kernel_constraint, &c->recurrent_constraint,
                               &c->bias_constraint};
    for (int k = 0; k < 3; k++) {
        snprintf(p, sizeof p, "%s%s_regularizer", pre, wn[k]);
        if (!rd_regularizer(r, p, regs[k])) return 0;
    }
    for (int k = 0; k < 3; k++) {
        snprintf(p, sizeof p, "%s%s_constraint", pre, wn[k]);
        if (!rd_constraint(r, p, cons[k])) return 0;
    }
    uint64_t seed;
    if (!rd_u(r, 8, FIELD(f, pre, "seed"), &seed)) return 0;
    c->seed = seed;
    if (!rd_i64_in(r, pre, "max_batch", 0, GRU__FMT_MAX_BATCH, &v)) return 0;
    c->max_batch = v;
    if (!rd_bool(r, pre, "return_sequences", &l->return_sequences) ||
        !rd_bool(r, pre, "return_state", &l->return_state) ||
        !rd_bool(r, pre, "go_backwards", &l->go_backwards) ||
        !rd_bool(r, pre, "stateful", &l->stateful) ||
        !rd_bool(r, pre, "time_major", &l->time_major) ||
        !rd_bool(r, pre, "zero_output_for_mask", &l->zero_output_for_mask) ||
        !rd_bool(r, pre, "unroll", &l->unroll) ||
        !rd_i64_in(r, pre, "batch_size", 0, GRU__FMT_MAX_BATCH, &v))
        return 0;
    l->batch_size = v;
    return 1;
}

static int rd_shape(rd *r, const char *pre, size_t *rank, int64_t *shape) {
    uint32_t n;
    char f[64];
    if (!rd_u32_in(r, pre, "rank", 1, GRU_MODEL_MAX_RANK - 1, &n)) return 0;
    *rank = n;
    for (uint32_t j = 0; j < n; j++) {
        snprintf(f, sizeof f, "shape[%u]", (unsigned)j);
        if (!rd_dim(r, pre, f, true, &shape[j])) return 0; /* create checks where -1 may be */
    }
    return 1;
}

/* The body of a NODE section. */
static int rd_node(rd *r, uint32_t index, size_t n_nodes, gru_model_node *nd,
                   char name[GRU__FMT_MAX_NAME + 1]) {
    uint32_t idx, kind, nin;
    if (!rd_u32(r, "field 'index'", &idx)) return 0;
    if (idx != index)
        return rfail(r, GRU_E_FORMAT, "field 'index' must be %u (nodes come in order), got %u",
                     (unsigned)index, (unsigned)idx);
    if (!rd_u32_in(r, "", "kind", 0, (uint32_t)GRU_NODE_KIND_COUNT_ - 1, &kind)) return 0;
    if (!rd_str(r, "field 'name'", name)) return 0;
    gru_model_node_init(nd, (gru_node_kind)kind, name);
    snprintf(r->where, sizeof r->where, "section NODE %u ('%s', %s)", (unsigned)index, name,
             gru_node_kind_name((gru_node_kind)kind));
    if (!rd_u32_in(r, "", "n_inputs", 0, GRU_MODEL_MAX_INPUTS, &nin)) return 0;
    nd->n_inputs = nin;
    for (uint32_t k = 0; k < nin; k++) {
        uint32_t node, port;
        char f[32];
        snprintf(f, sizeof f, "inputs[%u].node", (unsigned)k);
        if (!rd_u32(r, f, &node)) return 0;
        snprintf(f, sizeof f, "inputs[%u].port", (unsigned)k);
        if (!rd_u32(r, f, &port)) return 0;
        if (node >= index || port >= 4)
            return rfail(r, GRU_E_FORMAT,
                         "inputs[%u] = (node %u, port %u) must name an earlier node (< %u) and a "
                         "port < 4", (unsigned)k, (unsigned)node, (unsigned)port, (unsigned)index);
        nd->inputs[k].node = node;
        nd->inputs[k].port = port;
    }
    (void)n_nodes;
    uint32_t u;
    switch ((gru_node_kind)kind) {
    case GRU_NODE_INPUT:
        return rd_shape(r, "input.", &nd->input.rank, nd->input.shape) &&
               rd_bool(r, "input.", "int_ids", &nd->input.int_ids);
    case GRU_NODE_MASKING: return rd_f64(r, "field 'mask_value'", &nd->mask_value);
    case GRU_NODE_EMBEDDING:
        return rd_dim(r, "embedding.", "input_dim", false, &nd->embedding.input_dim) &&
               rd_dim(r, "embedding.", "output_dim", false, &nd->embedding.output_dim) &&
               rd_bool(r, "embedding.", "mask_zero", &nd->embedding.mask_zero);
    case GRU_NODE_GRU: return rd_layer(r, "gru.", &nd->gru);
    case GRU_NODE_BIDIRECTIONAL: {
        gru_bidirectional_config *b = &nd->bidirectional;
        if (!rd_u32_in(r, "bidirectional.", "merge_mode", 0, GRU_MERGE_NONE, &u) ||
            !rd_bool(r, "bidirectional.", "has_backward_layer", &b->has_backward_layer) ||
            !rd_layer(r, "bidirectional.layer.", &b->layer))
            return 0;
        b->merge_mode = (gru_merge_mode)u;
        if (b->has_backward_layer)
            return rd_layer(r, "bidirectional.backward_layer.", &b->backward_layer);
        return 1;
    }
    case GRU_NODE_DENSE:
    case GRU_NODE_TIME_DISTRIBUTED_DENSE:
        return rd_dim(r, "dense.", "units", false, &nd->dense.units) &&
               rd_activation(r, "dense.activation", &nd->dense.activation) &&
               rd_bool(r, "dense.", "use_bias", &nd->dense.use_bias);
    case GRU_NODE_ACTIVATION: return rd_activation(r, "activation", &nd->activation);
    case GRU_NODE_CONCATENATE:
        return rd_i64_in(r, "", "axis", -(int64_t)GRU_MODEL_MAX_RANK, GRU_MODEL_MAX_RANK,
                         &nd->axis);
    case GRU_NODE_GLOBAL_AVERAGE_POOLING1D:
    case GRU_NODE_GLOBAL_MAX_POOLING1D: return rd_bool(r, "", "keepdims", &nd->keepdims);
    case GRU_NODE_RESHAPE: return rd_shape(r, "reshape.", &nd->reshape.rank, nd->reshape.shape);
    case GRU_NODE_REPEAT_VECTOR: return rd_dim(r, "", "repeat_n", false, &nd->repeat_n);
    case GRU_NODE_DROPOUT:
    case GRU_NODE_SPATIAL_DROPOUT1D:
    case GRU_NODE_ADD:
    case GRU_NODE_MULTIPLY:
    case GRU_NODE_FLATTEN:
    case GRU_NODE_KIND_COUNT_: break;
    }
    return 1;
}

/* "(2, 96)" or "(96,)" */
static void shape_txt(char *buf, size_t len, size_t ndim, const uint64_t *d) {
    if (ndim == 1) snprintf(buf, len, "(%llu,)", (unsigned long long)d[0]);
    else snprintf(buf, len, "(%llu, %llu)", (unsigned long long)d[0], (unsigned long long)d[1]);
}

/* Decode n little-endian elements of file dtype fdt at src into dst (model dtype). */
static void decode(gru_dtype fdt, const uint8_t *src, size_t n, gru_dtype mdt, void *dst) {
    for (size_t q = 0; q < n; q++) {
        double v;
        if (fdt == GRU_F32) {
            const uint32_t b = (uint32_t)le(src + 4 * q, 4);
            float f;
            memcpy(&f, &b, sizeof f);
            if (mdt == GRU_F32) {
                ((float *)dst)[q] = f;
                continue;
            }
            v = (double)f;
        } else {
            const uint64_t b = le(src + 8 * q, 8);
            memcpy(&v, &b, sizeof v);
        }
        gru__st(mdt, dst, q, v);
    }
}

/* The body of a WGTS section: the node's arrays, checked and set. */
static int rd_weights(rd *r, gru_model *m, uint32_t node) {
    gru_model_node_info info;
    gru_model_node_info_get(m, node, &info);
    snprintf(r->where, sizeof r->where, "section WGTS of node %u ('%s', %s)", (unsigned)node,
             info.name, gru_node_kind_name(info.kind));
    uint32_t n;
    if (!rd_u32(r, "field 'n_arrays'", &n)) return 0;
    if (info.n_weights == 0)
        return rfail(r, GRU_E_FORMAT, "the node has no weights, the file gives %u arrays",
                     (unsigned)n);
    if (n > info.n_weights)
        return rfail(r, GRU_E_FORMAT, "extra weight: the file gives %u arrays, the node has %zu",
                     (unsigned)n, info.n_weights);
    if (n < info.n_weights)
        return rfail(r, GRU_E_FORMAT, "missing weight '%s': the file gives %u arrays, the node "
                     "has %zu", info.weight_names[n], (unsigned)n, info.n_weights);
    const gru_dtype mdt = gru_model_dtype(m);
    const size_t es = gru_dtype_size(mdt);
    void *arrays[GRU_MODEL_MAX_WEIGHTS] = {0};
    int ok = 0;
    for (uint32_t k = 0; k < n; k++) {
        char name[GRU__FMT_MAX_NAME + 1];
        uint32_t dt, ndim;
        uint64_t d[2] = {0, 0};
        if (!rd_str(r, "weight name", name)) goto done;
        if (strcmp(name, info.weight_names[k]) != 0) {
            rfail(r, GRU_E_FORMAT, "array %u is named '%s', expected '%s'", (unsigned)k, name,
                  info.weight_names[k]);
            goto done;
        }
        char pre[96];
        snprintf(pre, sizeof pre, "weight '%s' ", name);
        if (!rd_u32_in(r, pre, "dtype", 1, 2, &dt) || !rd_u32_in(r, pre, "ndim", 1, 2, &ndim))
            goto done;
        for (uint32_t j = 0; j < ndim; j++)
            if (!rd_u(r, 8, "weight dims", &d[j])) goto done;
        const uint64_t want[2] = {info.weight_shape[k][0], info.weight_shape[k][1]};
        if (ndim != info.weight_ndim[k] || d[0] != want[0] || (ndim == 2 && d[1] != want[1])) {
            char got[64], exp[64], hint[48] = "";
            shape_txt(got, sizeof got, ndim, d);
            shape_txt(exp, sizeof exp, info.weight_ndim[k], want);
            if (strstr(name, "bias") && (info.kind == GRU_NODE_GRU ||
                                         info.kind == GRU_NODE_BIDIRECTIONAL))
                snprintf(hint, sizeof hint, " (reset_after=%s)",
                         info.weight_ndim[k] == 2 ? "true" : "false");
            rfail(r, GRU_E_SHAPE, "weight '%s' has shape %s, expected %s%s", name, got, exp, hint);
            goto done;
        }
        const size_t cnt = info.weight_count[k], fes = dt == 1 ? 4 : 8;
        if (cnt > (r->end - r->pos) / fes) {
            rfail(r, GRU_E_FORMAT, "truncated: weight '%s' needs %zu x %zu bytes, %zu left", name,
                  cnt, fes, r->end - r->pos);
            goto done;
        }
        arrays[k] = malloc(cnt ? cnt * es : 1);
        if (!arrays[k]) {
            rfail(r, GRU_E_NOMEM, "allocating weight '%s' (%zu elements) failed", name, cnt);
            goto done;
        }
        decode(dt == 1 ? GRU_F32 : GRU_F64, r->p + r->pos, cnt, mdt, arrays[k]);
        r->pos += cnt * fes;
    }
    {
        gru_status s = gru_model_set_node_weights(m, node, mdt, n, (const void *const *)arrays,
                                                  info.weight_count);
        if (s) {
            char inner[GRU_ERRMSG_MAX];
            memcpy(inner, gru_last_error(), sizeof inner);
            rfail(r, s, "%s", inner);
            goto done;
        }
    }
    ok = 1;
done:
    for (size_t k = 0; k < GRU_MODEL_MAX_WEIGHTS; k++) free(arrays[k]);
    return ok;
}

/* ---- header and sections ---------------------------------------------------------------- */

/* Check the 24-byte header; *payload gets P. */
static gru_status check_header(const uint8_t *h, uint64_t *payload) {
    if (memcmp(h, GRU__FMT_MAGIC, 4) != 0)
        return gru__fail(GRU_E_FORMAT, NULL,
                         "gru_model_load: not a libgru model: magic is %02x %02x %02x %02x, "
                         "expected \"GRUM\"", h[0], h[1], h[2], h[3]);
    const unsigned major = (unsigned)le(h + 4, 2), minor = (unsigned)le(h + 6, 2);
    if (major != GRU__FMT_MAJOR)
        return gru__fail(major > GRU__FMT_MAJOR ? GRU_E_UNSUPPORTED : GRU_E_FORMAT, NULL,
                         "gru_model_load: format version %u.%u, this reader knows %u.x", major,
                         minor, GRU__FMT_MAJOR);
    const uint32_t flags = (uint32_t)le(h + 20, 4);
    if (flags != 0)
        return gru__fail(GRU_E_FORMAT, NULL,
                         "gru_model_load: header flags must be 0, got 0x%08x", (unsigned)flags);
    *payload = le(h + 8, 8);
    return GRU_OK;
}

static void tag_txt(const uint8_t *t, char out[24]) {
    int printable = 1;
    for (int i = 0; i < 4; i++)
        if (t[i] < 0x20 || t[i] > 0x7e || t[i] == '\'') printable = 0;
    if (printable) snprintf(out, 24, "'%c%c%c%c'", t[0], t[1], t[2], t[3]);
    else snprintf(out, 24, "0x%02x%02x%02x%02x", t[0], t[1], t[2], t[3]);
}

/* Next section header: tag and body bounds. 0 at the payload's end (no
 * error) or on an error (r->err set). Optional sections (lower-case first
 * letter) are skipped here. */
static int next_section(rd *r, size_t pend, uint8_t tag[4]) {
    for (;;) {
        r->end = pend;
        if (r->pos == pend) return 0;
        r->where[0] = '\0';
        if (!need(r, GRU__FMT_SECTION, "a section header")) return 0;
        memcpy(tag, r->p + r->pos, 4);
        const uint64_t len = le(r->p + r->pos + 4, 8);
        r->pos += GRU__FMT_SECTION;
        char tt[24];
        tag_txt(tag, tt);
        if (len > pend - r->pos)
            return rfail(r, GRU_E_FORMAT, "truncated: section %s says %llu bytes, %zu left", tt,
                         (unsigned long long)len, pend - r->pos);
        r->end = r->pos + (size_t)len;
        if (tag[0] >= 'a' && tag[0] <= 'z') { /* optional: skip */
            r->pos = r->end;
            continue;
        }
        return 1;
    }
}

static int section_done(rd *r) {
    if (r->pos == r->end) return 1;
    return rfail(r, GRU_E_FORMAT, "%zu unread bytes at the end of the section", r->end - r->pos);
}

gru_status gru_model_load_buffer(const void *buf, size_t len, gru_model **out) {
    if (!out) return gru__fail(GRU_E_NULL, NULL, "gru_model_load_buffer: argument 'out' is NULL");
    *out = NULL;
    if (!buf && len) return gru__fail(GRU_E_NULL, NULL, "gru_model_load_buffer: argument 'buf' is NULL");
    if (len < GRU__FMT_HEADER)
        return gru__fail(GRU_E_FORMAT, NULL,
                         "gru_model_load: truncated: the header needs %u bytes, got %zu",
                         GRU__FMT_HEADER, len);
    const uint8_t *b = buf;
    uint64_t P;
    gru_status s = check_header(b, &P);
    if (s) return s;
    if (P > len - GRU__FMT_HEADER)
        return gru__fail(GRU_E_FORMAT, NULL,
                         "gru_model_load: truncated: the header says %llu payload bytes, %zu "
                         "follow it", (unsigned long long)P, len - GRU__FMT_HEADER);
    if (P < len - GRU__FMT_HEADER)
        return gru__fail(GRU_E_FORMAT, NULL,
                         "gru_model_load: %llu trailing bytes after the %llu payload bytes",
                         (unsigned long long)(len - GRU__FMT_HEADER - P), (unsigned long long)P);
    const uint32_t crc_file = (uint32_t)le(b + 16, 4);
    const uint32_t crc = gru__crc32(0, b + GRU__FMT_HEADER, (size_t)P);
    if (crc != crc_file)
        return gru__fail(GRU_E_FORMAT, NULL,
                         "gru_model_load: checksum mismatch: the header says CRC-32 0x%08x, the "
                         "payload has 0x%08x (the file is damaged)", (unsigned)crc_file,
                         (unsigned)crc);

    rd r;
    memset(&r, 0, sizeof r);
    r.p = b;
    r.pos = GRU__FMT_HEADER;
    const size_t pend = len;
    gru_model_node *nodes = NULL;
    char (*names)[GRU__FMT_MAX_NAME + 1] = NULL;
    gru_model_ref *outs = NULL;
    gru_model *m = NULL;
    uint8_t *given = NULL;
    uint8_t tag[4];
    uint32_t dt = 0, N = 0, NO = 0, resv;

    /* HEAD */
    if (!next_section(&r, pend, tag)) {
        if (!r.err) rfail(&r, GRU_E_FORMAT, "the payload has no HEAD section");
        goto fail;
    }
    if (memcmp(tag, "HEAD", 4) != 0) {
        char tt[24];
        tag_txt(tag, tt);
        rfail(&r, GRU_E_FORMAT, "the first section must be 'HEAD', got %s", tt);
        goto fail;
    }
    snprintf(r.where, sizeof r.where, "section HEAD");
    if (!rd_u32_in(&r, "", "dtype", GRU_F32, GRU_F64, &dt) ||
        !rd_u32_in(&r, "", "node_count", 1, GRU__FMT_MAX_NODES, &N) ||
        !rd_u32_in(&r, "", "output_count", 1, GRU__FMT_MAX_OUTPUTS, &NO) ||
        !rd_u32(&r, "field 'reserved'", &resv))
        goto fail;
    if (resv != 0) {
        rfail(&r, GRU_E_FORMAT, "field 'reserved' must be 0, got %u", (unsigned)resv);
        goto fail;
    }
    if (!section_done(&r)) goto fail;
    /* every node needs a section of >= 26 bytes: bound the arrays by the bytes */
    if ((uint64_t)N * 26u > pend - r.pos || (uint64_t)NO * 8u > pend - r.pos) {
        rfail(&r, GRU_E_FORMAT, "truncated: %u nodes and %u outputs cannot fit in the %zu bytes "
              "left", (unsigned)N, (unsigned)NO, pend - r.pos);
        goto fail;
    }
    nodes = calloc(N, sizeof *nodes);
    names = calloc(N, sizeof *names);
    outs = calloc(NO, sizeof *outs);
    given = calloc(N, 1);
    if (!nodes || !names || !outs || !given) {
        rfail(&r, GRU_E_NOMEM, "allocating %u nodes failed", (unsigned)N);
        goto fail;
    }
    for (uint32_t i = 0; i < N; i++) {
        if (!next_section(&r, pend, tag)) {
            if (!r.err) rfail(&r, GRU_E_FORMAT, "truncated: node %u of %u has no NODE section",
                              (unsigned)i, (unsigned)N);
            goto fail;
        }
        if (memcmp(tag, "NODE", 4) != 0) {
            char tt[24];
            tag_txt(tag, tt);
            rfail(&r, GRU_E_FORMAT, "expected section 'NODE' for node %u of %u, got %s",
                  (unsigned)i, (unsigned)N, tt);
            goto fail;
        }
        snprintf(r.where, sizeof r.where, "section NODE %u", (unsigned)i);
        if (!rd_node(&r, i, N, &nodes[i], names[i]) || !section_done(&r)) goto fail;
    }
    /* OUTS */
    if (!next_section(&r, pend, tag)) {
        if (!r.err) rfail(&r, GRU_E_FORMAT, "truncated: no OUTS section");
        goto fail;
    }
    if (memcmp(tag, "OUTS", 4) != 0) {
        char tt[24];
        tag_txt(tag, tt);
        rfail(&r, GRU_E_FORMAT, "expected section 'OUTS' after the %u nodes, got %s",
              (unsigned)N, tt);
        goto fail;
    }
    snprintf(r.where, sizeof r.where, "section OUTS");
    for (uint32_t k = 0; k < NO; k++) {
        uint32_t node, port;
        if (!rd_u32(&r, "an output's node", &node) || !rd_u32(&r, "an output's port", &port))
            goto fail;
        if (node >= N || port >= 4) {
            rfail(&r, GRU_E_FORMAT, "output %u = (node %u, port %u) must name a node < %u and a "
                  "port < 4", (unsigned)k, (unsigned)node, (unsigned)port, (unsigned)N);
            goto fail;
        }
        outs[k].node = node;
        outs[k].port = port;
    }
    if (!section_done(&r)) goto fail;

    /* the model, with a budget the remaining bytes bound (weights are >= 4 bytes) */
    r.where[0] = '\0';
    s = gru__model_create_budget(nodes, N, outs, NO, (gru_dtype)dt,
                                 (pend - r.pos) / 4 + GRU__FMT_SLACK, &m);
    if (s) {
        char inner[GRU_ERRMSG_MAX];
        memcpy(inner, gru_last_error(), sizeof inner);
        rfail(&r, s, "%s", inner);
        goto fail;
    }
    /* WGTS, in increasing node order */
    long last = -1;
    while (next_section(&r, pend, tag)) {
        char tt[24];
        tag_txt(tag, tt);
        if (memcmp(tag, "WGTS", 4) != 0) {
            rfail(&r, GRU_E_FORMAT, "unexpected section %s after OUTS (only WGTS and optional "
                  "lower-case sections may follow)", tt);
            goto fail;
        }
        uint32_t node;
        snprintf(r.where, sizeof r.where, "section WGTS");
        if (!rd_u32(&r, "field 'node'", &node)) goto fail;
        if (node >= N || (long)node <= last) {
            rfail(&r, GRU_E_FORMAT, "field 'node' must be in (%ld, %u) (one section per node, "
                  "in order), got %u", last, (unsigned)N, (unsigned)node);
            goto fail;
        }
        last = (long)node;
        given[node] = 1;
        if (!rd_weights(&r, m, node) || !section_done(&r)) goto fail;
    }
    if (r.err) goto fail;
    for (uint32_t i = 0; i < N; i++) {
        gru_model_node_info info;
        gru_model_node_info_get(m, i, &info);
        if (info.n_weights && !given[i]) {
            r.where[0] = '\0';
            rfail(&r, GRU_E_FORMAT, "node %u ('%s', %s) has no WGTS section (missing weight "
                  "'%s' and the rest of its %zu arrays)", (unsigned)i, info.name,
                  gru_node_kind_name(info.kind), info.weight_names[0], info.n_weights);
            goto fail;
        }
    }
    free(nodes);
    free(names);
    free(outs);
    free(given);
    *out = m;
    return GRU_OK;
fail:
    gru_model_free(m);
    free(nodes);
    free(names);
    free(outs);
    free(given);
    return r.err ? r.err : GRU_E_FORMAT;
}

/* ---- FILE* and path --------------------------------------------------------------------- */

gru_status gru_model_load_file(FILE *f, gru_model **out) {
    if (!out) return gru__fail(GRU_E_NULL, NULL, "gru_model_load_file: argument 'out' is NULL");
    *out = NULL;
    if (!f) return gru__fail(GRU_E_NULL, NULL, "gru_model_load_file: argument 'f' is NULL");
    uint8_t h[GRU__FMT_HEADER];
    size_t got = fread(h, 1, sizeof h, f);
    if (got < sizeof h) {
        if (ferror(f)) return gru__fail(GRU_E_IO, NULL, "gru_model_load: read error in the header");
        return gru__fail(GRU_E_FORMAT, NULL,
                         "gru_model_load: truncated: the header needs %u bytes, got %zu",
                         GRU__FMT_HEADER, got);
    }
    uint64_t P;
    gru_status s = check_header(h, &P);
    if (s) return s;
    if (P > SIZE_MAX - GRU__FMT_HEADER - 1)
        return gru__fail(GRU_E_OVERFLOW, NULL, "gru_model_load: payload of %llu bytes is too large",
                         (unsigned long long)P);
    /* grow as the bytes arrive: a lying header cannot make a big allocation */
    size_t cap = 1u << 16, have = GRU__FMT_HEADER;
    const size_t total = GRU__FMT_HEADER + (size_t)P;
    if (cap > total) cap = total;
    uint8_t *buf = malloc(cap);
    if (!buf) return gru__fail(GRU_E_NOMEM, NULL, "gru_model_load: allocating %zu bytes failed", cap);
    memcpy(buf, h, sizeof h);
    while (have < total) {
        if (have == cap) {
            size_t nc = cap > total / 2 ? total : cap * 2;
            uint8_t *nb = realloc(buf, nc);
            if (!nb) {
                free(buf);
                return gru__fail(GRU_E_NOMEM, NULL, "gru_model_load: allocating %zu bytes failed",
                                 nc);
            }
            buf = nb;
            cap = nc;
        }
        const size_t n = fread(buf + have, 1, cap - have, f);
        have += n;
        if (n == 0) break;
    }
    if (have < total) {
        const int e = ferror(f);
        free(buf);
        if (e) return gru__fail(GRU_E_IO, NULL, "gru_model_load: read error after %zu bytes", have);
        return gru__fail(GRU_E_FORMAT, NULL,
                         "gru_model_load: truncated: the header says %llu payload bytes, the "
                         "stream ends after %zu", (unsigned long long)P, have - GRU__FMT_HEADER);
    }
    s = gru_model_load_buffer(buf, total, out);
    free(buf);
    return s;
}

gru_status gru_model_load_path(const char *path, gru_model **out) {
    if (!out) return gru__fail(GRU_E_NULL, NULL, "gru_model_load_path: argument 'out' is NULL");
    *out = NULL;
    if (!path) return gru__fail(GRU_E_NULL, NULL, "gru_model_load_path: argument 'path' is NULL");
    FILE *f = fopen(path, "rb");
    if (!f) return gru__fail(GRU_E_IO, NULL, "gru_model_load: cannot open '%s'", path);
    gru_status s = gru_model_load_file(f, out);
    if (!s && fgetc(f) != EOF) {
        gru_model_free(*out);
        *out = NULL;
        s = gru__fail(GRU_E_FORMAT, NULL, "gru_model_load: '%s' has trailing bytes after the "
                      "model", path);
    }
    fclose(f);
    return s;
}
