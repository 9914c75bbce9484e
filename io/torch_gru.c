/* PyTorch nn.GRU / nn.GRUCell weights from safetensors -> gru_model
 * (gru_torch.h; mapping: spec §11.1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_common.h"
#include "safetensors.h"

#define FN "gru_torch_load_safetensors"
#define MAX_LAYERS 64

gru_status gru_torch_options_init(gru_torch_options *opt) {
    if (!opt) return gru__fail(GRU_E_NULL, NULL, "gru_torch_options_init: argument 'opt' is NULL");
    memset(opt, 0, sizeof *opt);
    return GRU_OK;
}

gru_status gru_torch_transpose01(gru_dtype dtype, size_t d0, size_t d1, size_t inner,
                                 const void *src, void *dst) {
    const size_t es = gru_dtype_size(dtype);
    if (!es)
        return gru__fail(GRU_E_DTYPE, NULL, "gru_torch_transpose01: argument 'dtype' must be "
                         "GRU_F32 or GRU_F64, got %d", (int)dtype);
    size_t row, tot;
    if (!gru__mul_size(inner, es, &row) || !gru__mul_size(row, d0, &tot) ||
        !gru__mul_size(tot, d1, &tot))
        return gru__fail(GRU_E_OVERFLOW, NULL, "gru_torch_transpose01: size overflows");
    if (tot && (!src || !dst))
        return gru__fail(GRU_E_NULL, NULL, "gru_torch_transpose01: 'src' or 'dst' is NULL");
    const char *s = src;
    char *d = dst;
    for (size_t i = 0; i < d0; i++)
        for (size_t j = 0; j < d1; j++) memcpy(d + (j * d0 + i) * row, s + (i * d1 + j) * row, row);
    return GRU_OK;
}

#if GRU_HAVE_CJSON

enum { P_WIH = 0, P_WHH, P_BIH, P_BHH, P_COUNT };
static const char *const pnames[P_COUNT] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};

typedef struct tctx {
    gru_st_file f;
    const char *prefix;
    size_t plen;
    int is_cell;
    size_t L, D;
    gru_st_tensor *p[MAX_LAYERS][2][P_COUNT];
} tctx;

/* "weight_ih_l3_reverse" -> kind, layer, dir; "weight_ih" (cell). 0: no match. */
static int parse_name(const char *s, int *kind, size_t *layer, int *dir, int *cell) {
    for (int k = 0; k < P_COUNT; k++) {
        size_t n = strlen(pnames[k]);
        if (strncmp(s, pnames[k], n) != 0) continue;
        s += n;
        *kind = k;
        if (*s == 0) {
            *cell = 1, *layer = 0, *dir = 0;
            return 1;
        }
        if (s[0] != '_' || s[1] != 'l' || s[2] < '0' || s[2] > '9') return 0;
        s += 2;
        size_t v = 0;
        if (*s == '0' && s[1] >= '0' && s[1] <= '9') return 0; /* no leading zeros */
        while (*s >= '0' && *s <= '9') {
            v = v * 10 + (size_t)(*s - '0');
            if (v >= MAX_LAYERS) return 0;
            s++;
        }
        *layer = v;
        *cell = 0;
        if (*s == 0) *dir = 0;
        else if (strcmp(s, "_reverse") == 0) *dir = 1;
        else return 0;
        return 1;
    }
    return 0;
}

static void pname(const tctx *c, int kind, size_t layer, int dir, char *buf, size_t len) {
    if (c->is_cell) snprintf(buf, len, "%s%s", c->prefix, pnames[kind]);
    else snprintf(buf, len, "%s%s_l%zu%s", c->prefix, pnames[kind], layer, dir ? "_reverse" : "");
}

static gru_status check_shape(const tctx *c, int kind, size_t l, int d, size_t r0, size_t r1,
                              size_t nd) {
    const gru_st_tensor *t = c->p[l][d][kind];
    int ok = t->ndim == nd && t->shape[0] == r0 && (nd == 1 || t->shape[1] == r1);
    if (!ok) {
        char nm[256], want[64], got[128];
        pname(c, kind, l, d, nm, sizeof nm);
        if (nd == 1) snprintf(want, sizeof want, "(%zu)", r0);
        else snprintf(want, sizeof want, "(%zu, %zu)", r0, r1);
        size_t o = (size_t)snprintf(got, sizeof got, "(");
        for (size_t i = 0; i < t->ndim && o < sizeof got - 24; i++)
            o += (size_t)snprintf(got + o, sizeof got - o, i ? ", %zu" : "%zu", t->shape[i]);
        snprintf(got + o, sizeof got - o, ")");
        return gru__fail(GRU_E_SHAPE, NULL, "%s: tensor '%s' must have shape %s, got %s", FN, nm,
                         want, got);
    }
    if (strcmp(t->dtype, "F32") != 0 && strcmp(t->dtype, "F64") != 0) {
        char nm[256];
        pname(c, kind, l, d, nm, sizeof nm);
        return gru__fail(GRU_E_DTYPE, NULL, "%s: tensor '%s' has dtype %s; only F32 and F64 are "
                         "supported", FN, nm, t->dtype);
    }
    return GRU_OK;
}

/* Keras block g (z, r, h) = PyTorch block (r, z, n)[perm[g]]. */
static const size_t gate_of[3] = {1, 0, 2};

/* kernel (in, 3H) from weight (3H, in): kernel[i][g*H+u] = W[gate_of[g]*H+u][i]. */
static void map_weight(const gru_st_tensor *w, size_t H, size_t in, gru_dtype dt, void *out) {
    for (size_t i = 0; i < in; i++)
        for (size_t g = 0; g < 3; g++)
            for (size_t u = 0; u < H; u++)
                gru__st(dt, out, i * 3 * H + g * H + u,
                        gru__io_le_float(w->data, w->elsize, (gate_of[g] * H + u) * in + i));
}

static void map_bias(const gru_st_tensor *b, size_t H, gru_dtype dt, void *out, size_t off) {
    for (size_t g = 0; g < 3; g++)
        for (size_t u = 0; u < H; u++)
            gru__st(dt, out, off + g * H + u,
                    gru__io_le_float(b->data, b->elsize, gate_of[g] * H + u));
}

static gru_status collect(tctx *c, const gru_torch_options *opt) {
    int any_cell = 0, any_layer = 0;
    size_t maxl = 0;
    int rev = 0;
    for (size_t i = 0; i < c->f.n; i++) {
        gru_st_tensor *t = &c->f.t[i];
        if (c->plen && strncmp(t->name, c->prefix, c->plen) != 0) continue; /* other modules */
        int kind, dir, cell;
        size_t layer;
        if (!parse_name(t->name + c->plen, &kind, &layer, &dir, &cell))
            return gru__fail(GRU_E_NAME, NULL, "%s: unexpected tensor '%s': not a parameter of "
                             "nn.GRU (weight_ih_l<k>[_reverse], weight_hh_l<k>, bias_ih_l<k>, "
                             "bias_hh_l<k>) or nn.GRUCell (weight_ih, ...)", FN, t->name);
        if (cell) any_cell = 1;
        else any_layer = 1;
        if (any_cell && any_layer)
            return gru__fail(GRU_E_NAME, NULL, "%s: unexpected tensor '%s': the file mixes "
                             "nn.GRUCell names (weight_ih) with nn.GRU names (weight_ih_l0)", FN,
                             t->name);
        t->used = 1;
        c->p[layer][dir][kind] = t;
        if (layer + 1 > maxl) maxl = layer + 1;
        if (dir) rev = 1;
    }
    if (!any_cell && !any_layer)
        return gru__fail(GRU_E_NAME, NULL, "%s: missing tensor '%sweight_ih_l0': no nn.GRU or "
                         "nn.GRUCell parameters%s%s", FN, c->prefix,
                         c->plen ? " under the prefix " : "", c->plen ? c->prefix : "");
    if (opt->cell && !any_cell)
        return gru__fail(GRU_E_NAME, NULL, "%s: missing tensor '%sweight_ih': the options ask "
                         "for nn.GRUCell names, the file has nn.GRU names", FN, c->prefix);
    c->is_cell = any_cell;
    c->L = maxl;
    c->D = rev ? 2 : 1;
    const int bias = c->p[0][0][P_BIH] != NULL || c->p[0][0][P_BHH] != NULL;
    for (size_t l = 0; l < c->L; l++)
        for (int d = 0; d < (int)c->D; d++)
            for (int k = 0; k < P_COUNT; k++) {
                const int want = k < P_BIH || bias;
                char nm[256];
                pname(c, k, l, d, nm, sizeof nm);
                if (want && !c->p[l][d][k])
                    return gru__fail(GRU_E_NAME, NULL, "%s: missing tensor '%s' (the file has "
                                     "%zu layer(s), %zu direction(s), %s)", FN, nm, c->L, c->D,
                                     bias ? "with biases" : "without biases");
                if (!want && c->p[l][d][k])
                    return gru__fail(GRU_E_NAME, NULL, "%s: unexpected tensor '%s': layer 0 "
                                     "has no biases, so no layer may have them", FN, nm);
            }
    return GRU_OK;
}

static gru_status build(tctx *c, const gru_torch_options *opt, gru_dtype dtype, gru_model **out,
                        gru_torch_info *info) {
    const gru_st_tensor *w0 = c->p[0][0][P_WIH], *r0 = c->p[0][0][P_WHH];
    if (r0->ndim != 2 || r0->shape[1] == 0 || r0->shape[1] > (size_t)1 << 24) {
        char nm[256];
        pname(c, P_WHH, 0, 0, nm, sizeof nm);
        return gru__fail(GRU_E_SHAPE, NULL, "%s: tensor '%s' must have shape (3H, H) with H > 0",
                         FN, nm);
    }
    const size_t H = r0->shape[1];
    if (w0->ndim != 2 || w0->shape[1] == 0 || w0->shape[1] > (size_t)1 << 24) {
        char nm[256];
        pname(c, P_WIH, 0, 0, nm, sizeof nm);
        return gru__fail(GRU_E_SHAPE, NULL, "%s: tensor '%s' must have shape (3H, input_size) "
                         "with input_size > 0", FN, nm);
    }
    const size_t F = w0->shape[1];
    const int bias = c->p[0][0][P_BIH] != NULL;
    gru_status st;
    for (size_t l = 0; l < c->L; l++)
        for (int d = 0; d < (int)c->D; d++) {
            const size_t in = l == 0 ? F : c->D * H;
            if ((st = check_shape(c, P_WIH, l, d, 3 * H, in, 2)) != GRU_OK) return st;
            if ((st = check_shape(c, P_WHH, l, d, 3 * H, H, 2)) != GRU_OK) return st;
            if (bias) {
                if ((st = check_shape(c, P_BIH, l, d, 3 * H, 0, 1)) != GRU_OK) return st;
                if ((st = check_shape(c, P_BHH, l, d, 3 * H, 0, 1)) != GRU_OK) return st;
            }
        }
    /* nodes: x, [h0 per layer and direction], one per layer */
    const size_t n_h0 = opt->initial_state ? c->L * c->D : 0;
    const size_t n_nodes = 1 + n_h0 + c->L;
    gru_model_node *nodes = calloc(n_nodes, sizeof *nodes);
    gru_model_ref *outs = calloc(1 + c->L * c->D, sizeof *outs);
    if (!nodes || !outs) {
        free(nodes);
        free(outs);
        return gru__fail(GRU_E_NOMEM, NULL, "%s: out of memory", FN);
    }
    char names[MAX_LAYERS][24];
    gru_model_node_init(&nodes[0], GRU_NODE_INPUT, "x");
    nodes[0].input.rank = 2;
    nodes[0].input.shape[0] = -1;
    nodes[0].input.shape[1] = (int64_t)F;
    for (size_t j = 0; j < n_h0; j++) {
        gru_model_node_init(&nodes[1 + j], GRU_NODE_INPUT, "h0");
        nodes[1 + j].input.rank = 1;
        nodes[1 + j].input.shape[0] = (int64_t)H;
    }
    for (size_t l = 0; l < c->L; l++) {
        gru_model_node *nd = &nodes[1 + n_h0 + l];
        snprintf(names[l], sizeof names[l], c->is_cell ? "gru_cell" : "gru_l%zu", l);
        gru_model_node_init(nd, c->D == 2 ? GRU_NODE_BIDIRECTIONAL : GRU_NODE_GRU, names[l]);
        gru_layer_config lc;
        gru_layer_config_init(&lc, (int64_t)H, (int64_t)(l == 0 ? F : c->D * H));
        gru_activation_from_name("tanh", &lc.cell.activation);
        gru_activation_from_name("sigmoid", &lc.cell.recurrent_activation);
        lc.cell.reset_after = true;
        lc.cell.use_bias = bias;
        lc.cell.dtype = dtype;
        lc.return_sequences = true;
        lc.return_state = true;
        if (c->D == 2) {
            gru_bidirectional_config_init(&nd->bidirectional, (int64_t)H, lc.cell.input_dim);
            nd->bidirectional.layer = lc;
            nd->bidirectional.merge_mode = GRU_MERGE_CONCAT;
        } else {
            nd->gru = lc;
        }
        nd->inputs[0].node = l == 0 ? 0 : nd - nodes - 1;
        nd->n_inputs = 1;
        if (n_h0)
            for (size_t d = 0; d < c->D; d++) nd->inputs[nd->n_inputs++].node = 1 + l * c->D + d;
        for (size_t d = 0; d < c->D; d++) {
            outs[1 + l * c->D + d].node = 1 + n_h0 + l;
            outs[1 + l * c->D + d].port = 1 + d;
        }
    }
    outs[0].node = n_nodes - 1;
    gru_model *m = NULL;
    st = gru_model_create(nodes, n_nodes, outs, 1 + c->L * c->D, dtype, &m);
    free(nodes);
    free(outs);
    if (st != GRU_OK) return gru__fail_prefixed(st, NULL, FN);
    /* weights */
    const size_t es = gru_dtype_size(dtype);
    const size_t maxin = F > c->D * H ? F : c->D * H;
    void *buf = malloc(es * (maxin * 3 * H + H * 3 * H + 6 * H) * 2);
    if (!buf) {
        gru_model_free(m);
        return gru__fail(GRU_E_NOMEM, NULL, "%s: out of memory", FN);
    }
    for (size_t l = 0; l < c->L && st == GRU_OK; l++) {
        const void *arrays[6];
        size_t counts[6], na = 0;
        char *p = buf;
        const size_t in = l == 0 ? F : c->D * H;
        for (size_t d = 0; d < c->D; d++) {
            map_weight(c->p[l][d][P_WIH], H, in, dtype, p);
            arrays[na] = p, counts[na++] = in * 3 * H, p += es * in * 3 * H;
            map_weight(c->p[l][d][P_WHH], H, H, dtype, p);
            arrays[na] = p, counts[na++] = H * 3 * H, p += es * H * 3 * H;
            if (bias) {
                map_bias(c->p[l][d][P_BIH], H, dtype, p, 0);
                map_bias(c->p[l][d][P_BHH], H, dtype, p, 3 * H);
                arrays[na] = p, counts[na++] = 6 * H, p += es * 6 * H;
            }
        }
        st = gru_model_set_node_weights(m, 1 + n_h0 + l, dtype, na, arrays, counts);
        if (st != GRU_OK) st = gru__fail_prefixed(st, NULL, FN);
    }
    free(buf);
    if (st != GRU_OK) {
        gru_model_free(m);
        return st;
    }
    *out = m;
    if (info) {
        info->is_cell = c->is_cell;
        info->num_layers = c->L;
        info->num_directions = c->D;
        info->input_size = (int64_t)F;
        info->hidden_size = (int64_t)H;
        info->bias = bias;
        info->batch_first = opt->batch_first;
        info->n_tensors = c->L * c->D * (bias ? 4u : 2u);
    }
    return GRU_OK;
}

gru_status gru_torch_load_safetensors_buffer(const void *data, size_t size,
                                             const gru_torch_options *opt, gru_dtype dtype,
                                             gru_model **out, gru_torch_info *info) {
    if (!out) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'out' is NULL", FN);
    *out = NULL;
    if (!data) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'data' is NULL", FN);
    if (dtype != GRU_F32 && dtype != GRU_F64)
        return gru__fail(GRU_E_DTYPE, NULL, "%s: argument 'dtype' must be GRU_F32 or GRU_F64, "
                         "got %d", FN, (int)dtype);
    gru_torch_options defaults;
    if (!opt) {
        gru_torch_options_init(&defaults);
        opt = &defaults;
    }
    tctx *c = calloc(1, sizeof *c);
    if (!c) return gru__fail(GRU_E_NOMEM, NULL, "%s: out of memory", FN);
    c->prefix = opt->prefix ? opt->prefix : "";
    c->plen = strlen(c->prefix);
    gru_status st = gru_st_parse(FN, data, size, &c->f);
    if (st == GRU_OK) st = collect(c, opt);
    if (st == GRU_OK) st = build(c, opt, dtype, out, info);
    gru_st_free(&c->f);
    free(c);
    return st;
}

gru_status gru_torch_load_safetensors(const char *path, const gru_torch_options *opt,
                                      gru_dtype dtype, gru_model **out, gru_torch_info *info) {
    if (!out) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'out' is NULL", FN);
    *out = NULL;
    unsigned char *data;
    size_t size;
    gru_status st = gru__io_read_file(FN, path, (size_t)1 << 34, &data, &size);
    if (st != GRU_OK) return st;
    st = gru_torch_load_safetensors_buffer(data, size, opt, dtype, out, info);
    if (st != GRU_OK && path) {
        char p[200];
        snprintf(p, sizeof p, "'%s'", path);
        st = gru__fail_prefixed(st, NULL, p);
    }
    free(data);
    return st;
}

#else /* !GRU_HAVE_CJSON */

gru_status gru_torch_load_safetensors_buffer(const void *data, size_t size,
                                             const gru_torch_options *opt, gru_dtype dtype,
                                             gru_model **out, gru_torch_info *info) {
    (void)data, (void)size, (void)opt, (void)dtype, (void)info;
    if (out) *out = NULL;
    return gru__fail(GRU_E_UNSUPPORTED, NULL, "%s: libgru was built without cJSON "
                     "(GRU_WITH_JSON), which reads safetensors headers", FN);
}
gru_status gru_torch_load_safetensors(const char *path, const gru_torch_options *opt,
                                      gru_dtype dtype, gru_model **out, gru_torch_info *info) {
    (void)path;
    return gru_torch_load_safetensors_buffer(NULL, 0, opt, dtype, out, info);
}
#endif
