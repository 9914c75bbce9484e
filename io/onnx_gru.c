/* ONNX GRU graphs -> gru_model and an exact ONNX-semantics forward
 * (gru_onnx.h). The graph is read by symbolic evaluation: each tensor name
 * gets a value kind (the input X, a GRU's Y or Y_h, a merged sequence, zeros,
 * integer shape data, a constant) and each node must map known kinds to
 * known kinds, else it is refused naming the op. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_common.h"

#define FN "gru_onnx_load"

#if GRU_HAVE_ONNX
#include "onnx.pb-c.h"

#define MAX_LAYERS 16
#define MAX_IO 16

typedef enum vkind {
    V_NONE = 0, V_X, V_SEQ, V_Y, V_YT, V_YH, V_HN, V_ZEROS, V_SHAPE, V_CONST, V_INIT, V_LENS,
    V_H0
} vkind;

typedef struct value {
    const char *name;       /* into the protobuf message                      */
    vkind kind;
    int layer;              /* V_SEQ, V_Y, V_YT, V_YH, V_HN (first), V_H0       */
    int count;              /* V_HN: layers                                    */
    bool bm;                /* V_X, V_SEQ: batch-major                         */
    int input;              /* V_X, V_LENS, V_H0: graph input index            */
    const Onnx__TensorProto *t; /* V_CONST, V_INIT                             */
} value;

typedef struct layer {
    int node;               /* model node index                                */
    int D;
    int64_t H, F;
    int layout;             /* ONNX layout attribute                           */
    bool reverse;           /* D == 1 and reverse                              */
    int lens_input;         /* graph input index or -1                         */
    int32_t *lens_const;    /* initializer copy (n_lens_const) or NULL         */
    size_t n_lens_const;
    int h0_input;           /* graph input index or -1                         */
    void *h0_const;         /* initializer (D,B,H) or (B,D,H), model dtype     */
    size_t n_h0_const;
    int h0_node;            /* model Input node of direction 0, or -1          */
} layer;

typedef struct oput {
    char *name;
    vkind kind;
    int layer, count;
    bool bm;
} oput;

typedef struct iput {
    char *name;
    gru_onnx_role role;
    int layer;
    bool bm;
} iput;

struct gru_onnx {
    gru_dtype dtype;
    gru_model *model;
    int L;
    layer ly[MAX_LAYERS];
    size_t n_in, n_out;
    iput in[MAX_IO];
    oput out[MAX_IO];
    bool x_bm;
    int64_t F;
};

/* ---- tensors ------------------------------------------------------------------ */

/* Element count of a TensorProto and its data as a byte view; 0 on error
 * (message set). es: element size by data_type. */
static gru_status tensor_view(const Onnx__TensorProto *t, const char *what, size_t *count,
                              int *dt) {
    size_t n = 1;
    for (size_t i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 0 || !gru__mul_size(n, (size_t)t->dims[i], &n))
            return gru__fail(GRU_E_FORMAT, NULL, "%s: tensor '%s': bad dims", FN, what);
    }
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return gru__fail(GRU_E_UNSUPPORTED, NULL, "%s: tensor '%s': external data is not "
                         "supported", FN, what);
    *dt = t->has_data_type ? t->data_type : 0;
    size_t es = *dt == 1 ? 4 : *dt == 11 ? 8 : *dt == 6 ? 4 : *dt == 7 ? 8 : 0;
    if (!es)
        return gru__fail(GRU_E_DTYPE, NULL, "%s: tensor '%s': data_type %d is not supported "
                         "(float, double, int32, int64)", FN, what, *dt);
    size_t have;
    if (t->has_raw_data) {
        if (t->raw_data.len % es != 0 || t->raw_data.len / es != n)
            return gru__fail(GRU_E_FORMAT, NULL, "%s: tensor '%s': raw_data has %zu bytes, "
                             "dims need %zu elements of %zu bytes", FN, what,
                             (size_t)t->raw_data.len, n, es);
        *count = n;
        return GRU_OK;
    }
    have = *dt == 1 ? t->n_float_data : *dt == 11 ? t->n_double_data
         : *dt == 6 ? t->n_int32_data : t->n_int64_data;
    if (have != n)
        return gru__fail(GRU_E_FORMAT, NULL, "%s: tensor '%s': %zu values stored, dims need %zu",
                         FN, what, have, n);
    *count = n;
    return GRU_OK;
}

static double tensor_f(const Onnx__TensorProto *t, int dt, size_t i) {
    if (t->has_raw_data) {
        const unsigned char *p = t->raw_data.data;
        if (dt == 1 || dt == 11) return gru__io_le_float(p, dt == 1 ? 4 : 8, i);
        if (dt == 6) return (double)(int32_t)gru__io_le32(p + 4 * i);
        return (double)(int64_t)gru__io_le64(p + 8 * i);
    }
    switch (dt) {
    case 1: return (double)t->float_data[i];
    case 11: return t->double_data[i];
    case 6: return (double)t->int32_data[i];
    default: return (double)t->int64_data[i];
    }
}

static int64_t tensor_i(const Onnx__TensorProto *t, int dt, size_t i) {
    if (t->has_raw_data) {
        const unsigned char *p = t->raw_data.data;
        if (dt == 6) return (int32_t)gru__io_le32(p + 4 * i);
        if (dt == 7) return (int64_t)gru__io_le64(p + 8 * i);
    }
    if (dt == 6) return t->int32_data[i];
    if (dt == 7) return t->int64_data[i];
    return (int64_t)tensor_f(t, dt, i);
}

/* ---- the reader ------------------------------------------------------------------ */

typedef struct rctx {
    gru_onnx *o;
    const Onnx__GraphProto *g;
    value *v;
    size_t nv, cap;
    gru_model_node nodes[2 + MAX_LAYERS * 4];
    size_t n_nodes;
    char node_names[MAX_LAYERS][16];
    void *w[MAX_LAYERS][2][3]; /* kernel, recurrent, bias in model dtype */
    size_t wc[MAX_LAYERS][2][3];
    bool lbr[MAX_LAYERS];
} rctx;

static value *find(rctx *c, const char *name) {
    for (size_t i = c->nv; i-- > 0;)
        if (strcmp(c->v[i].name, name) == 0) return &c->v[i];
    return NULL;
}

static gru_status add(rctx *c, const char *name, value v) {
    if (!name || !*name) return GRU_OK;
    if (find(c, name))
        return gru__fail(GRU_E_FORMAT, NULL, "%s: tensor '%s' is produced twice", FN, name);
    if (c->nv == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 64;
        value *nv = realloc(c->v, nc * sizeof *nv);
        if (!nv) return gru__fail(GRU_E_NOMEM, NULL, "%s: out of memory", FN);
        c->v = nv;
        c->cap = nc;
    }
    v.name = name;
    c->v[c->nv++] = v;
    return GRU_OK;
}

static const char *nname(const Onnx__NodeProto *n) {
    return n->name && *n->name ? n->name : (n->n_output && n->output[0] ? n->output[0] : "?");
}

static gru_status node_fail(const Onnx__NodeProto *n, gru_status s, const char *what) {
    return gru__fail(s, NULL, "%s: node '%s' (%s): %s", FN, nname(n), n->op_type ? n->op_type : "?",
                     what);
}

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *n, const char *name) {
    for (size_t i = 0; i < n->n_attribute; i++)
        if (n->attribute[i]->name && strcmp(n->attribute[i]->name, name) == 0)
            return n->attribute[i];
    return NULL;
}

/* Integer list of a constant (V_CONST) value or an ints attribute. 0 if not. */
static int const_ints(const value *v, int64_t *out, size_t max, size_t *n) {
    if (!v || (v->kind != V_CONST && v->kind != V_INIT) || !v->t) return 0;
    size_t cnt;
    int dt;
    if (tensor_view(v->t, v->name, &cnt, &dt) != GRU_OK || (dt != 6 && dt != 7) || cnt > max)
        return 0;
    for (size_t i = 0; i < cnt; i++) out[i] = tensor_i(v->t, dt, i);
    *n = cnt;
    return 1;
}

static gru_status float_tensor(rctx *c, const Onnx__NodeProto *n, const char *role,
                               const char *name, size_t nd, const int64_t *dims,
                               const Onnx__TensorProto **out) {
    value *v = find(c, name);
    char msg[200];
    if (!v || (v->kind != V_INIT && v->kind != V_CONST)) {
        snprintf(msg, sizeof msg, "input %s '%s' must be an initializer or a Constant", role, name);
        return node_fail(n, GRU_E_UNSUPPORTED, msg);
    }
    size_t cnt;
    int dt;
    gru_status st = tensor_view(v->t, name, &cnt, &dt);
    if (st != GRU_OK) return st;
    if (dt != 1 && dt != 11) {
        snprintf(msg, sizeof msg, "input %s '%s' must be float or double, got data_type %d", role,
                 name, dt);
        return node_fail(n, GRU_E_DTYPE, msg);
    }
    int ok = v->t->n_dims == nd;
    for (size_t i = 0; ok && i < nd; i++) ok = v->t->dims[i] == dims[i];
    if (!ok) {
        char got[96] = "(";
        size_t o = 1;
        for (size_t i = 0; i < v->t->n_dims && o < 70; i++)
            o += (size_t)snprintf(got + o, sizeof got - o, i ? ", %lld" : "%lld",
                                  (long long)v->t->dims[i]);
        snprintf(got + o, sizeof got - o, ")");
        snprintf(msg, sizeof msg, "input %s '%s' must have shape (%lld, %lld%s%lld), got %s", role,
                 name, (long long)dims[0], (long long)dims[1], nd == 3 ? ", " : "",
                 nd == 3 ? (long long)dims[2] : 0LL, got);
        if (nd == 2) {
            snprintf(msg, sizeof msg, "input %s '%s' must have shape (%lld, %lld), got %s", role,
                     name, (long long)dims[0], (long long)dims[1], got);
        }
        return node_fail(n, GRU_E_SHAPE, msg);
    }
    *out = v->t;
    return GRU_OK;
}

static gru_status map_act(const Onnx__NodeProto *n, const char *name, size_t len, float alpha,
                          bool has_a, float beta, bool has_b, gru_activation *a) {
    char nm[32], msg[200];
    snprintf(nm, sizeof nm, "%.*s", (int)(len < 31 ? len : 31), name);
    if (strcmp(nm, "Sigmoid") == 0) return gru_activation_from_name("sigmoid", a);
    if (strcmp(nm, "Tanh") == 0) return gru_activation_from_name("tanh", a);
    if (strcmp(nm, "Relu") == 0) return gru_activation_from_name("relu", a);
    if (strcmp(nm, "Softsign") == 0) return gru_activation_from_name("softsign", a);
    if (strcmp(nm, "Softplus") == 0) return gru_activation_from_name("softplus", a);
    if (strcmp(nm, "LeakyRelu") == 0) {
        gru_activation_from_name("leaky_relu", a);
        a->alpha = has_a ? (double)alpha : (double)0.01f;
        return GRU_OK;
    }
    if (strcmp(nm, "Elu") == 0) {
        gru_activation_from_name("elu", a);
        a->alpha = has_a ? (double)alpha : 1.0;
        return GRU_OK;
    }
    if (strcmp(nm, "HardSigmoid") == 0) {
        const float al = has_a ? alpha : 0.2f, be = has_b ? beta : 0.5f;
        if (al == 0.2f && be == 0.5f) return gru_activation_from_name("hard_sigmoid", a);
        if (al == (float)(1.0 / 6.0) && be == 0.5f)
            return gru_activation_from_name("hard_sigmoid_k3", a);
        snprintf(msg, sizeof msg, "activation HardSigmoid(alpha=%g, beta=%g) has no Keras "
                 "equivalent (supported: 0.2/0.5 and 1/6/0.5)", (double)al, (double)be);
        return node_fail(n, GRU_E_UNSUPPORTED, msg);
    }
    snprintf(msg, sizeof msg, "activation '%s' is not supported (Sigmoid, Tanh, Relu, LeakyRelu, "
             "Elu, Softsign, Softplus, HardSigmoid)", nm);
    return node_fail(n, GRU_E_UNSUPPORTED, msg);
}

static bool needs_alpha(const char *s, size_t l) {
    return (l == 9 && !memcmp(s, "LeakyRelu", 9)) || (l == 3 && !memcmp(s, "Elu", 3)) ||
           (l == 11 && !memcmp(s, "HardSigmoid", 11)) || (l == 6 && !memcmp(s, "Affine", 6)) ||
           (l == 15 && !memcmp(s, "ThresholdedRelu", 15)) ||
           (l == 10 && !memcmp(s, "ScaledTanh", 10));
}
static bool needs_beta(const char *s, size_t l) {
    return (l == 11 && !memcmp(s, "HardSigmoid", 11)) || (l == 6 && !memcmp(s, "Affine", 6)) ||
           (l == 10 && !memcmp(s, "ScaledTanh", 10));
}

static gru_status do_gru(rctx *c, const Onnx__NodeProto *n) {
    gru_onnx *o = c->o;
    char msg[240];
    if (o->L == MAX_LAYERS) return node_fail(n, GRU_E_UNSUPPORTED, "more than 16 GRU nodes");
    const int k = o->L;
    layer *ly = &o->ly[k];
    memset(ly, 0, sizeof *ly);
    ly->lens_input = ly->h0_input = ly->h0_node = -1;
    if (n->n_input < 3 || n->n_input > 6 || n->n_output > 2)
        return node_fail(n, GRU_E_FORMAT, "GRU needs 3 to 6 inputs and at most 2 outputs");
    int64_t H = 0, lbr = 0, layout = 0;
    const char *dir = "forward";
    size_t dirlen = 7;
    const Onnx__AttributeProto *acts = NULL, *aa = NULL, *ab = NULL;
    for (size_t i = 0; i < n->n_attribute; i++) {
        const Onnx__AttributeProto *a = n->attribute[i];
        const char *an = a->name ? a->name : "";
        if (!strcmp(an, "hidden_size")) H = a->i;
        else if (!strcmp(an, "linear_before_reset")) lbr = a->i;
        else if (!strcmp(an, "layout")) layout = a->i;
        else if (!strcmp(an, "direction")) dir = (const char *)a->s.data, dirlen = a->s.len;
        else if (!strcmp(an, "activations")) acts = a;
        else if (!strcmp(an, "activation_alpha")) aa = a;
        else if (!strcmp(an, "activation_beta")) ab = a;
        else if (!strcmp(an, "clip"))
            return node_fail(n, GRU_E_UNSUPPORTED, "attribute 'clip' (cell clipping) has no "
                             "Keras equivalent");
        else {
            snprintf(msg, sizeof msg, "attribute '%.40s' is not supported", an);
            return node_fail(n, GRU_E_UNSUPPORTED, msg);
        }
    }
    int D;
    if (dirlen == 7 && dir && !memcmp(dir, "forward", 7)) D = 1;
    else if (dirlen == 7 && dir && !memcmp(dir, "reverse", 7)) D = 1, ly->reverse = true;
    else if (dirlen == 13 && dir && !memcmp(dir, "bidirectional", 13)) D = 2;
    else return node_fail(n, GRU_E_UNSUPPORTED, "attribute 'direction' must be forward, reverse "
                          "or bidirectional");
    if (lbr != 0 && lbr != 1)
        return node_fail(n, GRU_E_ARG, "attribute 'linear_before_reset' must be 0 or 1");
    if (layout != 0 && layout != 1)
        return node_fail(n, GRU_E_ARG, "attribute 'layout' must be 0 or 1");
    /* X */
    value *x = find(c, n->input[0]);
    if (!x) {
        snprintf(msg, sizeof msg, "input X '%.60s' is not produced by any node", n->input[0]);
        return node_fail(n, GRU_E_FORMAT, msg);
    }
    int64_t F;
    if (k == 0) {
        if (x->kind != V_X)
            return node_fail(n, GRU_E_UNSUPPORTED, "the first GRU's X must be a graph input "
                             "(optionally transposed)");
        /* the GRU wants batch-major iff layout 1; x->bm is the view's layout
           relative to the graph input read as time-major */
        o->x_bm = (layout == 1) != x->bm;
        o->in[x->input].role = GRU_ONNX_X;
        o->in[x->input].bm = o->x_bm;
        F = -1; /* from W */
    } else {
        if (x->kind != V_SEQ || x->layer != k - 1)
            return node_fail(n, GRU_E_UNSUPPORTED, "X must be the merged output of the previous "
                             "GRU (a chain of GRU nodes)");
        if (x->bm != (layout == 1))
            return node_fail(n, GRU_E_UNSUPPORTED, "X has the wrong axis order for 'layout'");
        if (o->ly[k - 1].reverse)
            return node_fail(n, GRU_E_UNSUPPORTED, "a reverse-only GRU feeding another GRU is "
                             "not supported");
        F = (int64_t)o->ly[k - 1].D * o->ly[k - 1].H;
    }
    if (H <= 0 || H > (1 << 20)) return node_fail(n, GRU_E_ARG, "attribute 'hidden_size' must be "
                                                  "in [1, 2^20]");
    /* W gives F for the first layer */
    value *wv = find(c, n->input[1]);
    if (F < 0) {
        if (wv && (wv->kind == V_INIT || wv->kind == V_CONST) && wv->t->n_dims == 3 &&
            wv->t->dims[2] > 0 && wv->t->dims[2] <= (1 << 24))
            F = wv->t->dims[2];
        else
            F = 1; /* the shape check below names the problem */
        o->F = F;
    }
    const int64_t wd[3] = {D, 3 * H, F}, rd[3] = {D, 3 * H, H}, bd[2] = {D, 6 * H};
    const Onnx__TensorProto *W, *R, *B = NULL;
    gru_status st;
    if ((st = float_tensor(c, n, "W", n->input[1], 3, wd, &W)) != GRU_OK) return st;
    if ((st = float_tensor(c, n, "R", n->input[2], 3, rd, &R)) != GRU_OK) return st;
    if (n->n_input > 3 && n->input[3][0])
        if ((st = float_tensor(c, n, "B", n->input[3], 2, bd, &B)) != GRU_OK) return st;
    /* sequence_lens */
    if (n->n_input > 4 && n->input[4][0]) {
        value *sv = find(c, n->input[4]);
        if (sv && sv->kind == V_LENS) {
            ly->lens_input = sv->input;
            o->in[sv->input].role = GRU_ONNX_SEQUENCE_LENS;
            o->in[sv->input].layer = k;
        } else if (sv && (sv->kind == V_INIT || sv->kind == V_CONST)) {
            size_t cnt;
            int dt;
            if ((st = tensor_view(sv->t, sv->name, &cnt, &dt)) != GRU_OK) return st;
            if ((dt != 6 && dt != 7) || sv->t->n_dims != 1)
                return node_fail(n, GRU_E_DTYPE, "sequence_lens must be an int32 vector");
            ly->lens_const = malloc((cnt ? cnt : 1) * sizeof(int32_t));
            if (!ly->lens_const) return gru__fail(GRU_E_NOMEM, NULL, "%s: out of memory", FN);
            for (size_t i = 0; i < cnt; i++) {
                int64_t vv = tensor_i(sv->t, dt, i);
                ly->lens_const[i] = vv < 0 ? -1 : vv > INT32_MAX ? INT32_MAX : (int32_t)vv;
            }
            ly->n_lens_const = cnt;
        } else if (!sv || sv->kind != V_ZEROS) {
            return node_fail(n, GRU_E_UNSUPPORTED, "sequence_lens must be a graph input or an "
                             "initializer");
        } else {
            return node_fail(n, GRU_E_UNSUPPORTED, "sequence_lens computed as zeros");
        }
    }
    /* initial_h */
    if (n->n_input > 5 && n->input[5][0]) {
        value *hv = find(c, n->input[5]);
        if (hv && hv->kind == V_ZEROS) {
            /* zeros: same as absent */
        } else if (hv && hv->kind == V_H0) {
            ly->h0_input = hv->input;
            o->in[hv->input].role = GRU_ONNX_INITIAL_H;
            o->in[hv->input].layer = k;
            o->in[hv->input].bm = layout == 1;
        } else if (hv && (hv->kind == V_INIT || hv->kind == V_CONST)) {
            size_t cnt;
            int dt;
            if ((st = tensor_view(hv->t, hv->name, &cnt, &dt)) != GRU_OK) return st;
            if ((dt != 1 && dt != 11) || hv->t->n_dims != 3 ||
                hv->t->dims[layout == 1 ? 1 : 0] != D || hv->t->dims[2] != H)
                return node_fail(n, GRU_E_SHAPE, "initial_h initializer must be float/double "
                                 "of shape (num_directions, batch, hidden_size) (layout 1: "
                                 "(batch, num_directions, hidden_size))");
            ly->h0_const = malloc((cnt ? cnt : 1) * gru_dtype_size(o->dtype));
            if (!ly->h0_const) return gru__fail(GRU_E_NOMEM, NULL, "%s: out of memory", FN);
            for (size_t i = 0; i < cnt; i++) gru__st(o->dtype, ly->h0_const, i, tensor_f(hv->t, dt, i));
            ly->n_h0_const = cnt;
        } else {
            return node_fail(n, GRU_E_UNSUPPORTED, "initial_h must be a graph input, an "
                             "initializer or zeros");
        }
    }
    /* activations */
    gru_activation act[2][2];
    for (int d = 0; d < 2; d++) {
        gru_activation_from_name("sigmoid", &act[d][0]);
        gru_activation_from_name("tanh", &act[d][1]);
    }
    if (acts) {
        if (acts->n_strings != (size_t)(2 * D))
            return node_fail(n, GRU_E_ARG, "attribute 'activations' must list 2 functions per "
                             "direction");
        size_t ia = 0, ib = 0;
        for (int j = 0; j < 2 * D; j++) {
            const char *s = (const char *)acts->strings[j].data;
            size_t l = acts->strings[j].len;
            bool ha = false, hb = false;
            float al = 0, be = 0;
            if (needs_alpha(s, l) && aa && ia < aa->n_floats) al = aa->floats[ia++], ha = true;
            if (needs_beta(s, l) && ab && ib < ab->n_floats) be = ab->floats[ib++], hb = true;
            if ((st = map_act(n, s, l, al, ha, be, hb, &act[j / 2][j % 2])) != GRU_OK) return st;
        }
    } else if (aa || ab) {
        return node_fail(n, GRU_E_UNSUPPORTED, "activation_alpha/beta without 'activations'");
    }
    /* weights in the model dtype */
    const gru_dtype dt = o->dtype;
    const size_t es = gru_dtype_size(dt);
    const size_t uH = (size_t)H, uF = (size_t)F;
    int wdt = W->has_data_type ? W->data_type : 1, rdt = R->has_data_type ? R->data_type : 1,
        bdt = B && B->has_data_type ? B->data_type : 1;
    for (int d = 0; d < D; d++) {
        c->wc[k][d][0] = uF * 3 * uH;
        c->wc[k][d][1] = uH * 3 * uH;
        c->wc[k][d][2] = B ? (lbr ? 6 * uH : 3 * uH) : 0;
        for (int j = 0; j < 3; j++) {
            c->w[k][d][j] = malloc((c->wc[k][d][j] ? c->wc[k][d][j] : 1) * es);
            if (!c->w[k][d][j]) return gru__fail(GRU_E_NOMEM, NULL, "%s: out of memory", FN);
        }
        /* kernel[i][col] = W[d][col][i] */
        for (size_t col = 0; col < 3 * uH; col++)
            for (size_t i = 0; i < uF; i++)
                gru__st(dt, c->w[k][d][0], i * 3 * uH + col,
                        tensor_f(W, wdt, ((size_t)d * 3 * uH + col) * uF + i));
        for (size_t col = 0; col < 3 * uH; col++)
            for (size_t i = 0; i < uH; i++)
                gru__st(dt, c->w[k][d][1], i * 3 * uH + col,
                        tensor_f(R, rdt, ((size_t)d * 3 * uH + col) * uH + i));
        if (B) {
            const size_t base = (size_t)d * 6 * uH;
            for (size_t j = 0; j < 3 * uH; j++) {
                const double wb = tensor_f(B, bdt, base + j), rb = tensor_f(B, bdt, base + 3 * uH + j);
                if (lbr) {
                    gru__st(dt, c->w[k][d][2], j, wb);
                    gru__st(dt, c->w[k][d][2], 3 * uH + j, rb);
                } else {
                    gru__st(dt, c->w[k][d][2], j, wb + rb);
                }
            }
        }
    }
    c->lbr[k] = lbr != 0;
    /* model nodes: [h0 inputs], the layer */
    if (ly->h0_input >= 0) {
        ly->h0_node = (int)c->n_nodes;
        for (int d = 0; d < D; d++) {
            gru_model_node *in = &c->nodes[c->n_nodes++];
            gru_model_node_init(in, GRU_NODE_INPUT, "initial_h");
            in->input.rank = 1;
            in->input.shape[0] = H;
        }
    }
    /* input: x (node 0) or the previous layer (its output, or a Concatenate
     * of a Bidirectional one's two outputs, added here before the layer) */
    size_t input = 0;
    if (k > 0 && o->ly[k - 1].D == 2) {
        gru_model_node *cat = &c->nodes[c->n_nodes];
        gru_model_node_init(cat, GRU_NODE_CONCATENATE, "concat");
        cat->n_inputs = 2;
        cat->inputs[0].node = (size_t)o->ly[k - 1].node;
        cat->inputs[1].node = (size_t)o->ly[k - 1].node;
        cat->inputs[1].port = 1;
        c->n_nodes++;
        input = c->n_nodes - 1;
    } else if (k > 0) {
        input = (size_t)o->ly[k - 1].node;
    }
    gru_model_node *nd = &c->nodes[c->n_nodes];
    snprintf(c->node_names[k], sizeof c->node_names[k], "gru_%d", k);
    gru_model_node_init(nd, D == 2 ? GRU_NODE_BIDIRECTIONAL : GRU_NODE_GRU, c->node_names[k]);
    gru_layer_config lc;
    gru_layer_config_init(&lc, H, F);
    lc.cell.dtype = dt;
    lc.cell.reset_after = lbr != 0;
    lc.cell.use_bias = B != NULL;
    lc.cell.recurrent_activation = act[0][0];
    lc.cell.activation = act[0][1];
    lc.return_sequences = true;
    lc.return_state = true;
    lc.zero_output_for_mask = true;
    lc.go_backwards = ly->reverse;
    if (D == 2) {
        gru_bidirectional_config_init(&nd->bidirectional, H, F);
        nd->bidirectional.layer = lc;
        nd->bidirectional.merge_mode = GRU_MERGE_NONE;
        gru_layer_config bl = lc;
        bl.go_backwards = true;
        bl.cell.recurrent_activation = act[1][0];
        bl.cell.activation = act[1][1];
        nd->bidirectional.has_backward_layer = true;
        nd->bidirectional.backward_layer = bl;
    } else {
        nd->gru = lc;
    }
    nd->inputs[0].node = input;
    nd->n_inputs = 1;
    if (ly->h0_node >= 0)
        for (int d = 0; d < D; d++) nd->inputs[nd->n_inputs++].node = (size_t)(ly->h0_node + d);
    ly->node = (int)c->n_nodes++;
    ly->D = D;
    ly->H = H;
    ly->F = F;
    ly->layout = (int)layout;
    o->L++;
    value vy = {0}, vh = {0};
    vy.kind = V_Y, vy.layer = k;
    vh.kind = V_YH, vh.layer = k;
    if ((st = add(c, n->n_output > 0 ? n->output[0] : NULL, vy)) != GRU_OK) return st;
    return add(c, n->n_output > 1 ? n->output[1] : NULL, vh);
}

static bool is_op(const Onnx__NodeProto *n, const char *op) { return strcmp(n->op_type, op) == 0; }

/* axes from attribute 'axes' or input 1 (constant). */
static int get_axes(rctx *c, const Onnx__NodeProto *n, int64_t *ax, size_t *na) {
    const Onnx__AttributeProto *a = attr(n, "axes");
    if (a) {
        if (a->n_ints > 8) return 0;
        for (size_t i = 0; i < a->n_ints; i++) ax[i] = a->ints[i];
        *na = a->n_ints;
        return 1;
    }
    if (n->n_input > 1 && n->input[1][0]) return const_ints(find(c, n->input[1]), ax, 8, na);
    *na = 0;
    return 1;
}

static gru_status do_node(rctx *c, const Onnx__NodeProto *n) {
    gru_status st;
    char msg[200];
    if (!n->op_type) return gru__fail(GRU_E_FORMAT, NULL, "%s: a node has no op_type", FN);
    if (n->domain && *n->domain && strcmp(n->domain, "ai.onnx") != 0) {
        snprintf(msg, sizeof msg, "domain '%.40s' is not supported", n->domain);
        return node_fail(n, GRU_E_UNSUPPORTED, msg);
    }
    for (size_t i = 0; i < n->n_input; i++)
        if (n->input[i][0] && !find(c, n->input[i])) {
            snprintf(msg, sizeof msg, "input '%.60s' is not produced by any node, initializer or "
                     "graph input", n->input[i]);
            return node_fail(n, GRU_E_FORMAT, msg);
        }
    if (is_op(n, "GRU")) return do_gru(c, n);
    value out = {0};
    value *a = n->n_input ? find(c, n->input[0]) : NULL;
    const vkind ak = a ? a->kind : V_NONE;
    bool all_shape = true; /* every input is integer metadata or a constant */
    for (size_t i = 0; i < n->n_input; i++) {
        if (!n->input[i][0]) continue;
        vkind kk = find(c, n->input[i])->kind;
        if (kk != V_SHAPE && kk != V_CONST && kk != V_INIT) all_shape = false;
    }
    if (is_op(n, "Constant")) {
        const Onnx__AttributeProto *v = attr(n, "value");
        out.kind = V_CONST;
        if (v && v->t) out.t = v->t;
        else out.kind = V_SHAPE; /* value_int(s) etc.: opaque */
    } else if (is_op(n, "Shape")) {
        out.kind = V_SHAPE;
    } else if (is_op(n, "ConstantOfShape")) {
        const Onnx__AttributeProto *v = attr(n, "value");
        if (v && v->t) {
            size_t cnt;
            int dt;
            if ((st = tensor_view(v->t, "ConstantOfShape.value", &cnt, &dt)) != GRU_OK) return st;
            if (cnt != 1 || tensor_f(v->t, dt, 0) != 0.0)
                return node_fail(n, GRU_E_UNSUPPORTED, "only a zero ConstantOfShape is supported");
        }
        out.kind = V_ZEROS;
    } else if (is_op(n, "Identity")) {
        out = *a;
    } else if (all_shape && (is_op(n, "Gather") || is_op(n, "Unsqueeze") || is_op(n, "Squeeze") ||
                             is_op(n, "Concat") || is_op(n, "Slice") || is_op(n, "Cast") ||
                             is_op(n, "Reshape") || is_op(n, "Add") || is_op(n, "Sub") ||
                             is_op(n, "Mul") || is_op(n, "Div"))) {
        out.kind = V_SHAPE;
    } else if (ak == V_ZEROS && (is_op(n, "Slice") || is_op(n, "Reshape") ||
                                 is_op(n, "Unsqueeze") || is_op(n, "Squeeze") ||
                                 is_op(n, "Expand") || is_op(n, "Transpose") || is_op(n, "Cast"))) {
        out.kind = V_ZEROS;
    } else if (is_op(n, "Transpose")) {
        const Onnx__AttributeProto *p = attr(n, "perm");
        const int64_t *pm = p ? p->ints : NULL;
        const size_t np = p ? p->n_ints : 0;
        if ((ak == V_X || ak == V_SEQ) && np == 3 && pm[0] == 1 && pm[1] == 0 && pm[2] == 2) {
            out = *a;
            out.bm = !a->bm;
        } else if (ak == V_Y && c->o->ly[a->layer].layout == 0 && np == 4 && pm[0] == 0 &&
                   pm[1] == 2 && pm[2] == 1 && pm[3] == 3) {
            out = *a;
            out.kind = V_YT;
        } else {
            return node_fail(n, GRU_E_UNSUPPORTED, "only Transpose(perm=[1,0,2]) of X or of a "
                             "merged GRU output, and Transpose(perm=[0,2,1,3]) of Y are supported");
        }
    } else if (is_op(n, "Reshape")) {
        int64_t s[8];
        size_t ns;
        value *sv = n->n_input > 1 ? find(c, n->input[1]) : NULL;
        const Onnx__AttributeProto *az = attr(n, "allowzero");
        const bool ok_shape = const_ints(sv, s, 8, &ns) && ns == 3 && s[0] == 0 && s[1] == 0 &&
                              !(az && az->i != 0);
        if ((ak == V_YT || (ak == V_Y && c->o->ly[a->layer].layout == 1)) && ok_shape &&
            (s[2] == -1 || s[2] == c->o->ly[a->layer].D * c->o->ly[a->layer].H)) {
            out = *a;
            out.kind = V_SEQ;
            out.bm = ak == V_Y; /* layout 1: (B,T,D,H) -> (B,T,D*H) */
        } else {
            return node_fail(n, GRU_E_UNSUPPORTED, "only Reshape(shape=[0,0,-1]) of a "
                             "transposed GRU output Y is supported");
        }
    } else if (is_op(n, "Squeeze")) {
        int64_t ax[8];
        size_t na;
        if (ak == V_Y && c->o->ly[a->layer].D == 1 && get_axes(c, n, ax, &na) && na == 1 &&
            (ax[0] == (c->o->ly[a->layer].layout == 1 ? 2 : 1) ||
             ax[0] == (c->o->ly[a->layer].layout == 1 ? -2 : -3))) {
            out = *a;
            out.kind = V_SEQ;
            out.bm = c->o->ly[a->layer].layout == 1;
        } else {
            return node_fail(n, GRU_E_UNSUPPORTED, "only Squeeze of the num_directions axis of a "
                             "one-direction GRU output Y is supported");
        }
    } else if (is_op(n, "Concat")) {
        const Onnx__AttributeProto *ax = attr(n, "axis");
        int first = -1, cnt = 0;
        bool ok = ax && ax->i == 0 && n->n_input > 0;
        for (size_t i = 0; ok && i < n->n_input; i++) {
            value *vi = find(c, n->input[i]);
            if (!vi || (vi->kind != V_YH && vi->kind != V_HN) ||
                c->o->ly[vi->layer].layout != 0) {
                ok = false;
                break;
            }
            const int vc = vi->kind == V_HN ? vi->count : 1;
            if (first < 0) first = vi->layer;
            else if (vi->layer != first + cnt) ok = false;
            cnt += vc;
        }
        if (!ok)
            return node_fail(n, GRU_E_UNSUPPORTED, "only Concat(axis=0) of the Y_h outputs of "
                             "consecutive GRUs is supported");
        out.kind = V_HN;
        out.layer = first;
        out.count = cnt;
    } else {
        snprintf(msg, sizeof msg, "op '%.40s' is not supported (a GRU graph may hold GRU, "
                 "Transpose, Reshape, Squeeze, Concat, Identity and shape arithmetic)", n->op_type);
        return node_fail(n, GRU_E_UNSUPPORTED, msg);
    }
    for (size_t i = 0; i < n->n_output; i++) {
        if (i > 0 && out.kind != V_SHAPE && out.kind != V_ZEROS)
            return node_fail(n, GRU_E_UNSUPPORTED, "unexpected extra output");
        if ((st = add(c, n->output[i], out)) != GRU_OK) return st;
    }
    return GRU_OK;
}

static gru_status elem_type_of(const Onnx__ValueInfoProto *vi, int *et) {
    *et = 0;
    if (vi->type && vi->type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE &&
        vi->type->tensor_type && vi->type->tensor_type->has_elem_type)
        *et = vi->type->tensor_type->elem_type;
    return GRU_OK;
}

static gru_status read_graph(rctx *c) {
    gru_onnx *o = c->o;
    const Onnx__GraphProto *g = c->g;
    gru_status st;
    for (size_t i = 0; i < g->n_initializer; i++) {
        value v = {0};
        v.kind = V_INIT;
        v.t = g->initializer[i];
        if (!g->initializer[i]->name)
            return gru__fail(GRU_E_FORMAT, NULL, "%s: an initializer has no name", FN);
        if ((st = add(c, g->initializer[i]->name, v)) != GRU_OK) return st;
    }
    for (size_t i = 0; i < g->n_input; i++) {
        const char *nm = g->input[i]->name;
        if (!nm || !*nm) return gru__fail(GRU_E_FORMAT, NULL, "%s: a graph input has no name", FN);
        if (find(c, nm)) continue; /* an initializer listed as an input (IR < 4) */
        if (o->n_in == MAX_IO)
            return gru__fail(GRU_E_UNSUPPORTED, NULL, "%s: more than %d graph inputs", FN, MAX_IO);
        int et;
        elem_type_of(g->input[i], &et);
        value v = {0};
        v.input = (int)o->n_in;
        v.kind = et == 6 || et == 7 ? V_LENS : (o->n_in == 0 ? V_X : V_H0);
        if (et == 7)
            return gru__fail(GRU_E_DTYPE, NULL, "%s: graph input '%s': int64 sequence_lens; "
                             "ONNX's GRU takes int32", FN, nm);
        if (et != 0 && et != 1 && et != 11 && et != 6)
            return gru__fail(GRU_E_DTYPE, NULL, "%s: graph input '%s' has elem_type %d "
                             "(float, double or int32 expected)", FN, nm, et);
        o->in[o->n_in].name = malloc(strlen(nm) + 1);
        if (!o->in[o->n_in].name) return gru__fail(GRU_E_NOMEM, NULL, "%s: out of memory", FN);
        memcpy(o->in[o->n_in].name, nm, strlen(nm) + 1);
        o->in[o->n_in].role = (gru_onnx_role)-1;
        o->n_in++;
        if ((st = add(c, nm, v)) != GRU_OK) return st;
    }
    /* model input 0: x */
    gru_model_node_init(&c->nodes[0], GRU_NODE_INPUT, "x");
    c->n_nodes = 1;
    for (size_t i = 0; i < g->n_node; i++) {
        if (c->n_nodes + 4 > sizeof c->nodes / sizeof c->nodes[0])
            return gru__fail(GRU_E_UNSUPPORTED, NULL, "%s: graph too large", FN);
        if ((st = do_node(c, g->node[i])) != GRU_OK) return st;
    }
    if (o->L == 0) return gru__fail(GRU_E_UNSUPPORTED, NULL, "%s: the graph has no GRU node", FN);
    for (size_t i = 0; i < o->n_in; i++)
        if ((int)o->in[i].role < 0)
            return gru__fail(GRU_E_UNSUPPORTED, NULL, "%s: graph input '%s' is not used as a "
                             "GRU's X, sequence_lens or initial_h", FN, o->in[i].name);
    c->nodes[0].input.rank = 2;
    c->nodes[0].input.shape[0] = -1;
    c->nodes[0].input.shape[1] = o->F;
    if (g->n_output == 0 || g->n_output > MAX_IO)
        return gru__fail(GRU_E_UNSUPPORTED, NULL, "%s: the graph must have 1 to %d outputs", FN,
                         MAX_IO);
    for (size_t i = 0; i < g->n_output; i++) {
        const char *nm = g->output[i]->name;
        value *v = nm ? find(c, nm) : NULL;
        if (!v || (v->kind != V_SEQ && v->kind != V_Y && v->kind != V_YT && v->kind != V_YH &&
                   v->kind != V_HN))
            return gru__fail(GRU_E_UNSUPPORTED, NULL, "%s: graph output '%s' is not a GRU output "
                             "(Y, Y_h, or their transposed/reshaped/concatenated forms)", FN,
                             nm ? nm : "?");
        oput *op = &o->out[o->n_out];
        op->name = malloc(strlen(nm) + 1);
        if (!op->name) return gru__fail(GRU_E_NOMEM, NULL, "%s: out of memory", FN);
        memcpy(op->name, nm, strlen(nm) + 1);
        op->kind = v->kind;
        op->layer = v->layer;
        op->count = v->count;
        op->bm = v->bm;
        o->n_out++;
    }
    return GRU_OK;
}

static gru_status build_model(rctx *c) {
    gru_onnx *o = c->o;
    const layer *last = &o->ly[o->L - 1];
    gru_model_ref outs[4];
    size_t no = 0;
    for (int d = 0; d < last->D; d++) outs[no].node = (size_t)last->node, outs[no++].port = (size_t)d;
    for (int d = 0; d < last->D; d++)
        outs[no].node = (size_t)last->node, outs[no++].port = (size_t)(last->D + d);
    gru_status st = gru_model_create(c->nodes, c->n_nodes, outs, no, o->dtype, &o->model);
    if (st != GRU_OK) return gru__fail_prefixed(st, NULL, FN);
    for (int k = 0; k < o->L; k++) {
        const void *arrays[6];
        size_t counts[6], na = 0;
        for (int d = 0; d < o->ly[k].D; d++)
            for (int j = 0; j < 3; j++)
                if (c->wc[k][d][j]) arrays[na] = c->w[k][d][j], counts[na++] = c->wc[k][d][j];
        st = gru_model_set_node_weights(o->model, (size_t)o->ly[k].node, o->dtype, na, arrays,
                                        counts);
        if (st != GRU_OK) return gru__fail_prefixed(st, NULL, FN);
    }
    return GRU_OK;
}

void gru_onnx_free(gru_onnx *o) {
    if (!o) return;
    gru_model_free(o->model);
    for (int k = 0; k < MAX_LAYERS; k++) {
        free(o->ly[k].lens_const);
        free(o->ly[k].h0_const);
    }
    for (size_t i = 0; i < o->n_in; i++) free(o->in[i].name);
    for (size_t i = 0; i < o->n_out; i++) free(o->out[i].name);
    free(o);
}

gru_status gru_onnx_load_buffer(const void *data, size_t size, gru_dtype dtype, gru_onnx **out) {
    if (!out) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'out' is NULL", FN);
    *out = NULL;
    if (!data && size) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'data' is NULL", FN);
    if (dtype != GRU_F32 && dtype != GRU_F64)
        return gru__fail(GRU_E_DTYPE, NULL, "%s: argument 'dtype' must be GRU_F32 or GRU_F64, "
                         "got %d", FN, (int)dtype);
    Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, size, data);
    if (!mp)
        return gru__fail(GRU_E_FORMAT, NULL, "%s: not an ONNX ModelProto (protobuf decoding "
                         "failed; truncated or not ONNX)", FN);
    gru_status st = GRU_OK;
    int64_t opset = -1;
    for (size_t i = 0; i < mp->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *os = mp->opset_import[i];
        if (!os->domain || !*os->domain || !strcmp(os->domain, "ai.onnx")) opset = os->version;
    }
    if (!mp->graph) st = gru__fail(GRU_E_FORMAT, NULL, "%s: the model has no graph", FN);
    else if (opset >= 0 && (opset < 7 || opset > 22))
        st = gru__fail(GRU_E_UNSUPPORTED, NULL, "%s: opset %lld is not supported (7..22)", FN,
                       (long long)opset);
    rctx *c = calloc(1, sizeof *c);
    gru_onnx *o = calloc(1, sizeof *o);
    if (st == GRU_OK && (!c || !o)) st = gru__fail(GRU_E_NOMEM, NULL, "%s: out of memory", FN);
    if (st == GRU_OK) {
        o->dtype = dtype;
        c->o = o;
        c->g = mp->graph;
        st = read_graph(c);
        if (st == GRU_OK) st = build_model(c);
    }
    if (c) {
        for (int k = 0; k < MAX_LAYERS; k++)
            for (int d = 0; d < 2; d++)
                for (int j = 0; j < 3; j++) free(c->w[k][d][j]);
        free(c->v);
        free(c);
    }
    onnx__model_proto__free_unpacked(mp, NULL);
    if (st != GRU_OK) {
        gru_onnx_free(o);
        return st;
    }
    *out = o;
    return GRU_OK;
}

/* ---- forward ------------------------------------------------------------------------ */

gru_status gru_onnx_forward(gru_onnx *o, gru_dtype dtype, int64_t batch, int64_t steps,
                            const void *const *inputs, void *const *outputs) {
    const char *fn = "gru_onnx_forward";
    if (!o || !inputs || !outputs) return gru__fail(GRU_E_NULL, NULL, "%s: a pointer is NULL", fn);
    if (!o->model)
        return gru__fail(GRU_E_STATE, NULL, "%s: the model was taken (gru_onnx_take_model)", fn);
    if (dtype != o->dtype)
        return gru__fail(GRU_E_DTYPE, NULL, "%s: dtype %d, the model was loaded as %d", fn,
                         (int)dtype, (int)o->dtype);
    if (batch < 1 || steps < 1 || batch > (1 << 24) || steps > (1 << 24))
        return gru__fail(GRU_E_ARG, NULL, "%s: batch and steps must be in [1, 2^24]", fn);
    for (size_t i = 0; i < o->n_in; i++)
        if (!inputs[i]) return gru__fail(GRU_E_NULL, NULL, "%s: inputs[%zu] is NULL", fn, i);
    for (size_t i = 0; i < o->n_out; i++)
        if (!outputs[i]) return gru__fail(GRU_E_NULL, NULL, "%s: outputs[%zu] is NULL", fn, i);
    const size_t B = (size_t)batch, T = (size_t)steps, es = gru_dtype_size(dtype);
    size_t maxw = (size_t)o->F;
    for (int k = 0; k < o->L; k++)
        if ((size_t)(o->ly[k].D * o->ly[k].H) > maxw) maxw = (size_t)(o->ly[k].D * o->ly[k].H);
    /* per layer: y[d] (B,T,H) in original time order, h[d] (B,H); seq (B,T,D*H) */
    gru_status st = GRU_OK;
    char *xin = malloc(B * T * maxw * es);
    void *y[MAX_LAYERS][2] = {{0}}, *h[MAX_LAYERS][2] = {{0}};
    int64_t *lens = malloc(B * sizeof *lens);
    char *h0buf = malloc(2 * B * maxw * es + 1);
    if (!xin || !lens || !h0buf) st = gru__fail(GRU_E_NOMEM, NULL, "%s: out of memory", fn);
    for (int k = 0; k < o->L && st == GRU_OK; k++)
        for (int d = 0; d < o->ly[k].D; d++) {
            y[k][d] = malloc(B * T * (size_t)o->ly[k].H * es);
            h[k][d] = malloc(B * (size_t)o->ly[k].H * es);
            if (!y[k][d] || !h[k][d]) st = gru__fail(GRU_E_NOMEM, NULL, "%s: out of memory", fn);
        }
    /* X -> batch-major */
    if (st == GRU_OK) {
        const size_t F = (size_t)o->F;
        for (size_t i = 0; i < o->n_in; i++)
            if (o->in[i].role == GRU_ONNX_X) {
                if (o->x_bm) memcpy(xin, inputs[i], B * T * F * es);
                else gru_torch_transpose01(dtype, T, B, F, inputs[i], xin);
            }
    }
    for (int k = 0; k < o->L && st == GRU_OK; k++) {
        layer *ly = &o->ly[k];
        const size_t H = (size_t)ly->H, D = (size_t)ly->D;
        const int64_t *lp = NULL;
        if (ly->lens_input >= 0 || ly->lens_const) {
            const int32_t *src = ly->lens_input >= 0 ? inputs[ly->lens_input] : ly->lens_const;
            if (!(ly->lens_input >= 0) && ly->n_lens_const != B) {
                st = gru__fail(GRU_E_SHAPE, NULL, "%s: the sequence_lens initializer has %zu "
                               "entries, batch is %zu", fn, ly->n_lens_const, B);
                break;
            }
            for (size_t b = 0; b < B; b++) {
                if (src[b] < 0 || (size_t)src[b] > T) {
                    st = gru__fail(GRU_E_ARG, NULL, "%s: sequence_lens[%zu] = %d is outside "
                                   "[0, %zu]", fn, b, (int)src[b], T);
                    break;
                }
                lens[b] = src[b];
            }
            if (st != GRU_OK) break;
            lp = lens;
        }
        gru_layer_io io[2];
        memset(io, 0, sizeof io);
        const void *h0 = ly->h0_input >= 0 ? inputs[ly->h0_input] : ly->h0_const;
        if (ly->h0_const && ly->n_h0_const != D * B * H) {
            st = gru__fail(GRU_E_SHAPE, NULL, "%s: the initial_h initializer does not match "
                           "batch %zu", fn, B);
            break;
        }
        if (h0) { /* (D,B,H) or (B,D,H) -> per direction (B,H) */
            for (size_t d = 0; d < D; d++) {
                for (size_t b = 0; b < B; b++) {
                    const size_t src = ly->layout == 1 ? (b * D + d) * H : (d * B + b) * H;
                    memcpy(h0buf + (d * B + b) * H * es, (const char *)h0 + src * es, H * es);
                }
                io[d].initial_state = h0buf + d * B * H * es;
            }
        }
        for (size_t d = 0; d < D; d++) io[d].state_out = h[k][d];
        gru_seq seq = {batch, steps, xin, NULL, lp};
        size_t wsb = 0;
        void *ws = NULL;
        if (D == 2) {
            gru_bidirectional *bi = gru_model_node_bidirectional(o->model, (size_t)ly->node);
            st = gru_bidirectional_workspace_size(bi, batch, steps, &wsb);
            if (st == GRU_OK && !(ws = aligned_alloc(64, (wsb + 63) / 64 * 64 + 64)))
                st = gru__fail(GRU_E_NOMEM, NULL, "%s: out of memory", fn);
            if (st == GRU_OK)
                st = gru_bidirectional_forward(bi, dtype, &seq, io, GRU_TRAINING_FALSE, y[k][0],
                                               y[k][1], ws, wsb);
        } else {
            gru_layer *l = gru_model_node_layer(o->model, (size_t)ly->node);
            st = gru_layer_workspace_size(l, batch, steps, &wsb);
            if (st == GRU_OK && !(ws = aligned_alloc(64, (wsb + 63) / 64 * 64 + 64)))
                st = gru__fail(GRU_E_NOMEM, NULL, "%s: out of memory", fn);
            if (st == GRU_OK)
                st = gru_layer_forward(l, dtype, &seq, &io[0], GRU_TRAINING_FALSE, y[k][0], ws,
                                       wsb);
            if (st == GRU_OK && ly->reverse) { /* processing order -> time order */
                char *yy = y[k][0];
                for (size_t b = 0; b < B; b++)
                    for (size_t t = 0; t < T / 2; t++) {
                        char *p = yy + (b * T + t) * H * es, *q = yy + (b * T + T - 1 - t) * H * es;
                        for (size_t i = 0; i < H * es; i++) {
                            char s = p[i];
                            p[i] = q[i];
                            q[i] = s;
                        }
                    }
            }
        }
        free(ws);
        if (st != GRU_OK) {
            st = gru__fail_prefixed(st, NULL, fn);
            break;
        }
        /* next input: concat of directions (B,T,D*H) */
        for (size_t r = 0; r < B * T; r++)
            for (size_t d = 0; d < D; d++)
                memcpy(xin + (r * D + d) * H * es, (char *)y[k][d] + r * H * es, H * es);
    }
    /* outputs */
    for (size_t i = 0; i < o->n_out && st == GRU_OK; i++) {
        const oput *op = &o->out[i];
        char *dst = outputs[i];
        const layer *ly = &o->ly[op->layer];
        const size_t H = (size_t)ly->H, D = (size_t)ly->D;
        if (op->kind == V_YH || op->kind == V_HN) {
            const int cnt = op->kind == V_HN ? op->count : 1;
            size_t row = 0;
            for (int kk = op->layer; kk < op->layer + cnt; kk++) {
                const size_t Dk = (size_t)o->ly[kk].D, Hk = (size_t)o->ly[kk].H;
                for (size_t d = 0; d < Dk; d++, row++)
                    for (size_t b = 0; b < B; b++) {
                        const size_t at = (op->kind == V_YH && ly->layout == 1)
                                              ? (b * D + d) * H
                                              : (row * B + b) * Hk;
                        memcpy(dst + at * es, (char *)h[kk][d] + b * Hk * es, Hk * es);
                    }
            }
            continue;
        }
        for (size_t b = 0; b < B; b++)
            for (size_t t = 0; t < T; t++)
                for (size_t d = 0; d < D; d++) {
                    size_t at;
                    switch (op->kind) {
                    case V_Y: at = ly->layout == 1 ? ((b * T + t) * D + d) : ((t * D + d) * B + b); break;
                    case V_YT: at = (t * B + b) * D + d; break;
                    default: /* V_SEQ */ at = op->bm ? (b * T + t) * D + d : (t * B + b) * D + d; break;
                    }
                    memcpy(dst + at * H * es, (char *)y[op->layer][d] + (b * T + t) * H * es,
                           H * es);
                }
    }
    free(xin);
    free(lens);
    free(h0buf);
    for (int k = 0; k < MAX_LAYERS; k++)
        for (int d = 0; d < 2; d++) free(y[k][d]), free(h[k][d]);
    return st;
}

#else /* !GRU_HAVE_ONNX */

struct gru_onnx { int unused; };
static gru_status no_onnx(const char *fn) {
    return gru__fail(GRU_E_UNSUPPORTED, NULL, "%s: libgru was built without protobuf-c "
                     "(GRU_WITH_ONNX), which reads ONNX files", fn);
}
gru_status gru_onnx_load_buffer(const void *data, size_t size, gru_dtype dtype, gru_onnx **out) {
    (void)data, (void)size, (void)dtype;
    if (out) *out = NULL;
    return no_onnx(FN);
}
void gru_onnx_free(gru_onnx *o) { (void)o; }
gru_status gru_onnx_forward(gru_onnx *o, gru_dtype dtype, int64_t batch, int64_t steps,
                            const void *const *inputs, void *const *outputs) {
    (void)o, (void)dtype, (void)batch, (void)steps, (void)inputs, (void)outputs;
    return no_onnx("gru_onnx_forward");
}
#endif

gru_status gru_onnx_load(const char *path, gru_dtype dtype, gru_onnx **out) {
    if (!out) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'out' is NULL", FN);
    *out = NULL;
#if !GRU_HAVE_ONNX
    (void)path, (void)dtype;
    return gru_onnx_load_buffer(NULL, 0, dtype, out);
#else
    unsigned char *data;
    size_t size;
    gru_status st = gru__io_read_file(FN, path, (size_t)1 << 31, &data, &size);
    if (st != GRU_OK) return st;
    st = gru_onnx_load_buffer(data, size, dtype, out);
    if (st != GRU_OK) {
        char p[200];
        snprintf(p, sizeof p, "'%s'", path);
        st = gru__fail_prefixed(st, NULL, p);
    }
    free(data);
    return st;
#endif
}

/* ---- accessors (both builds) ---- */
#if GRU_HAVE_ONNX
gru_model *gru_onnx_model(gru_onnx *o) { return o ? o->model : NULL; }
gru_model *gru_onnx_take_model(gru_onnx *o) {
    gru_model *m = o ? o->model : NULL;
    if (o) o->model = NULL;
    return m;
}
size_t gru_onnx_input_count(const gru_onnx *o) { return o ? o->n_in : 0; }
size_t gru_onnx_output_count(const gru_onnx *o) { return o ? o->n_out : 0; }
const char *gru_onnx_input_name(const gru_onnx *o, size_t k) {
    return o && k < o->n_in ? o->in[k].name : NULL;
}
const char *gru_onnx_output_name(const gru_onnx *o, size_t k) {
    return o && k < o->n_out ? o->out[k].name : NULL;
}
gru_status gru_onnx_input_info(const gru_onnx *o, size_t k, gru_onnx_role *role, size_t *layer_,
                               bool *batch_major) {
    if (!o || k >= o->n_in)
        return gru__fail(GRU_E_ARG, NULL, "gru_onnx_input_info: no input %zu", k);
    if (role) *role = o->in[k].role;
    if (layer_) *layer_ = (size_t)o->in[k].layer;
    if (batch_major) *batch_major = o->in[k].bm;
    return GRU_OK;
}
gru_status gru_onnx_input_shape(const gru_onnx *o, size_t k, int64_t batch, int64_t steps,
                                int64_t dims[4], size_t *ndim) {
    if (!o || k >= o->n_in || !dims || !ndim)
        return gru__fail(GRU_E_ARG, NULL, "gru_onnx_input_shape: no input %zu", k);
    const iput *in = &o->in[k];
    const layer *ly = &o->ly[in->layer];
    switch (in->role) {
    case GRU_ONNX_X:
        dims[0] = in->bm ? batch : steps, dims[1] = in->bm ? steps : batch, dims[2] = o->F;
        *ndim = 3;
        break;
    case GRU_ONNX_SEQUENCE_LENS: dims[0] = batch, *ndim = 1; break;
    default:
        dims[0] = in->bm ? batch : ly->D, dims[1] = in->bm ? ly->D : batch, dims[2] = ly->H;
        *ndim = 3;
    }
    return GRU_OK;
}
gru_status gru_onnx_output_shape(const gru_onnx *o, size_t k, int64_t batch, int64_t steps,
                                 int64_t dims[4], size_t *ndim) {
    if (!o || k >= o->n_out || !dims || !ndim)
        return gru__fail(GRU_E_ARG, NULL, "gru_onnx_output_shape: no output %zu", k);
    const oput *op = &o->out[k];
    const layer *ly = &o->ly[op->layer];
    const int64_t D = ly->D, H = ly->H;
    switch (op->kind) {
    case V_Y:
        if (ly->layout == 1) dims[0] = batch, dims[1] = steps, dims[2] = D;
        else dims[0] = steps, dims[1] = D, dims[2] = batch;
        dims[3] = H, *ndim = 4;
        break;
    case V_YT: dims[0] = steps, dims[1] = batch, dims[2] = D, dims[3] = H, *ndim = 4; break;
    case V_SEQ:
        dims[0] = op->bm ? batch : steps, dims[1] = op->bm ? steps : batch, dims[2] = D * H;
        *ndim = 3;
        break;
    case V_YH:
        if (ly->layout == 1) dims[0] = batch, dims[1] = D;
        else dims[0] = D, dims[1] = batch;
        dims[2] = H, *ndim = 3;
        break;
    default: {
        int64_t rows = 0;
        for (int kk = op->layer; kk < op->layer + op->count; kk++) rows += o->ly[kk].D;
        dims[0] = rows, dims[1] = batch, dims[2] = H, *ndim = 3;
    }
    }
    return GRU_OK;
}
#else
gru_model *gru_onnx_model(gru_onnx *o) { (void)o; return NULL; }
gru_model *gru_onnx_take_model(gru_onnx *o) { (void)o; return NULL; }
size_t gru_onnx_input_count(const gru_onnx *o) { (void)o; return 0; }
size_t gru_onnx_output_count(const gru_onnx *o) { (void)o; return 0; }
const char *gru_onnx_input_name(const gru_onnx *o, size_t k) { (void)o, (void)k; return NULL; }
const char *gru_onnx_output_name(const gru_onnx *o, size_t k) { (void)o, (void)k; return NULL; }
gru_status gru_onnx_input_info(const gru_onnx *o, size_t k, gru_onnx_role *role, size_t *layer_,
                               bool *batch_major) {
    (void)o, (void)k, (void)role, (void)layer_, (void)batch_major;
    return no_onnx("gru_onnx_input_info");
}
gru_status gru_onnx_input_shape(const gru_onnx *o, size_t k, int64_t batch, int64_t steps,
                                int64_t dims[4], size_t *ndim) {
    (void)o, (void)k, (void)batch, (void)steps, (void)dims, (void)ndim;
    return no_onnx("gru_onnx_input_shape");
}
gru_status gru_onnx_output_shape(const gru_onnx *o, size_t k, int64_t batch, int64_t steps,
                                 int64_t dims[4], size_t *ndim) {
    (void)o, (void)k, (void)batch, (void)steps, (void)dims, (void)ndim;
    return no_onnx("gru_onnx_output_shape");
}
#endif
