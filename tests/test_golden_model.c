/* Golden tests of gru_model against whole tf-keras 2.21 models (the `model`
 * family written by tools/oracle/model_cases.py; format:
 * tools/oracle/FORMAT.md). Each case's graph is rebuilt from its meta lines
 * through the public API, the weights are set with
 * gru_model_set_node_weights (split by gru_model_node_info_get), the model
 * runs on the recorded inputs and every output is compared. Error metric and
 * bounds as tests/test_golden.c: max |got - want| / max(|want|, 1); float64
 * 1e-12, float32 2e-6 (the recurrent layers' bound). */
#include <stdint.h>
#include <stdlib.h>

#include "golden.h"
#include "runner.h"

/* Value of key in a "k=v,k=v" token (copied into out); 0 if absent. */
static int cfg_get(const char *cfg, const char *key, char *out, size_t len) {
    const size_t kl = strlen(key);
    for (const char *p = cfg; p && *p;) {
        const char *end = strchr(p, ',');
        const size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
            size_t vl = n - kl - 1;
            if (vl >= len) vl = len - 1;
            memcpy(out, p + kl + 1, vl);
            out[vl] = 0;
            return 1;
        }
        p = end ? end + 1 : NULL;
    }
    return 0;
}

static double cfg_num(const char *cfg, const char *key, double def) {
    char v[64];
    return cfg_get(cfg, key, v, sizeof v) ? strtod(v, NULL) : def;
}

/* "5x3" / "-1x3" -> dims */
static size_t parse_shape(const char *s, int64_t *dims) {
    size_t n = 0;
    while (s && *s && n < GRU_MODEL_MAX_RANK) {
        char *end;
        dims[n++] = strtoll(s, &end, 10);
        s = *end == 'x' ? end + 1 : NULL;
    }
    return n;
}

/* "3.0,5.1" -> refs */
static size_t parse_refs(const char *s, gru_model_ref *refs, size_t max) {
    size_t n = 0;
    if (!s || strcmp(s, "-") == 0) return 0;
    while (*s && n < max) {
        char *end;
        refs[n].node = (size_t)strtoull(s, &end, 10);
        refs[n].port = *end == '.' ? (size_t)strtoull(end + 1, &end, 10) : 0;
        n++;
        if (*end != ',') break;
        s = end + 1;
    }
    return n;
}

static int gru_cfg(const char *c, gru_layer_config *lc, char *msg, size_t msglen) {
    char a[64], r[64];
    if (!cfg_get(c, "a", a, sizeof a) || !cfg_get(c, "r", r, sizeof r)) {
        snprintf(msg, msglen, "gru config '%s' lacks a or r", c);
        return 0;
    }
    gru_layer_config_init(lc, (int64_t)cfg_num(c, "u", 1), 1);
    if (gru_activation_from_name(a, &lc->cell.activation) ||
        gru_activation_from_name(r, &lc->cell.recurrent_activation)) {
        snprintf(msg, msglen, "activation: %s", gru_last_error());
        return 0;
    }
    lc->cell.use_bias = cfg_num(c, "b", 1) != 0;
    lc->cell.reset_after = cfg_num(c, "A", 0) != 0;
    lc->cell.implementation = (int)cfg_num(c, "i", 1);
    lc->return_sequences = cfg_num(c, "s", 0) != 0;
    lc->return_state = cfg_num(c, "S", 0) != 0;
    lc->go_backwards = cfg_num(c, "g", 0) != 0;
    lc->zero_output_for_mask = cfg_num(c, "z", 0) != 0;
    return 1;
}

static int build_node(const golden *g, size_t i, gru_model_node *nd, char *msg, size_t msglen) {
    char key[32];
    snprintf(key, sizeof key, "n%zu", i);
    const char *kind = golden_meta(g, key);
    snprintf(key, sizeof key, "i%zu", i);
    const char *ins = golden_meta(g, key);
    snprintf(key, sizeof key, "c%zu", i);
    const char *c = golden_meta(g, key);
    if (!kind || !ins || !c) {
        snprintf(msg, msglen, "node %zu lacks n/i/c meta", i);
        return 0;
    }
    static const struct { const char *name; gru_node_kind kind; } kinds[] = {
        {"input", GRU_NODE_INPUT}, {"masking", GRU_NODE_MASKING},
        {"embedding", GRU_NODE_EMBEDDING}, {"gru", GRU_NODE_GRU},
        {"bidirectional", GRU_NODE_BIDIRECTIONAL}, {"dense", GRU_NODE_DENSE},
        {"td_dense", GRU_NODE_TIME_DISTRIBUTED_DENSE}, {"dropout", GRU_NODE_DROPOUT},
        {"spatial_dropout1d", GRU_NODE_SPATIAL_DROPOUT1D}, {"activation", GRU_NODE_ACTIVATION},
        {"concatenate", GRU_NODE_CONCATENATE}, {"add", GRU_NODE_ADD},
        {"multiply", GRU_NODE_MULTIPLY}, {"gap1d", GRU_NODE_GLOBAL_AVERAGE_POOLING1D},
        {"gmp1d", GRU_NODE_GLOBAL_MAX_POOLING1D}, {"flatten", GRU_NODE_FLATTEN},
        {"reshape", GRU_NODE_RESHAPE}, {"repeat_vector", GRU_NODE_REPEAT_VECTOR}};
    int found = -1;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        if (strcmp(kinds[k].name, kind) == 0) found = (int)k;
    if (found < 0) {
        snprintf(msg, msglen, "node %zu: unknown kind %s", i, kind);
        return 0;
    }
    gru_model_node_init(nd, kinds[found].kind, kind);
    nd->n_inputs = parse_refs(ins, nd->inputs, GRU_MODEL_MAX_INPUTS);
    char v[64];
    switch (nd->kind) {
    case GRU_NODE_INPUT:
        cfg_get(c, "s", v, sizeof v);
        nd->input.rank = parse_shape(v, nd->input.shape);
        nd->input.int_ids = cfg_num(c, "int", 0) != 0;
        break;
    case GRU_NODE_MASKING: nd->mask_value = cfg_num(c, "v", 0); break;
    case GRU_NODE_EMBEDDING:
        nd->embedding.input_dim = (int64_t)cfg_num(c, "v", 0);
        nd->embedding.output_dim = (int64_t)cfg_num(c, "d", 0);
        nd->embedding.mask_zero = cfg_num(c, "z", 0) != 0;
        break;
    case GRU_NODE_GRU: return gru_cfg(c, &nd->gru, msg, msglen);
    case GRU_NODE_BIDIRECTIONAL: {
        snprintf(key, sizeof key, "b%zu", i);
        const char *b = golden_meta(g, key);
        snprintf(key, sizeof key, "m%zu", i);
        const char *m = golden_meta(g, key);
        if (!b || !m) return snprintf(msg, msglen, "node %zu lacks b/m meta", i), 0;
        if (!gru_cfg(c, &nd->bidirectional.layer, msg, msglen) ||
            !gru_cfg(b, &nd->bidirectional.backward_layer, msg, msglen))
            return 0;
        nd->bidirectional.has_backward_layer = true;
        static const char *const mn[] = {"concat", "sum", "mul", "ave", "none"};
        for (int k = 0; k < 5; k++)
            if (strcmp(m, mn[k]) == 0) nd->bidirectional.merge_mode = (gru_merge_mode)k;
        break;
    }
    case GRU_NODE_DENSE:
    case GRU_NODE_TIME_DISTRIBUTED_DENSE:
        nd->dense.units = (int64_t)cfg_num(c, "u", 0);
        cfg_get(c, "a", v, sizeof v);
        if (gru_activation_from_name(v, &nd->dense.activation))
            return snprintf(msg, msglen, "activation %s: %s", v, gru_last_error()), 0;
        nd->dense.use_bias = cfg_num(c, "b", 1) != 0;
        break;
    case GRU_NODE_ACTIVATION:
        cfg_get(c, "a", v, sizeof v);
        if (gru_activation_from_name(v, &nd->activation))
            return snprintf(msg, msglen, "activation %s: %s", v, gru_last_error()), 0;
        break;
    case GRU_NODE_CONCATENATE: nd->axis = (int64_t)cfg_num(c, "x", -1); break;
    case GRU_NODE_GLOBAL_AVERAGE_POOLING1D:
    case GRU_NODE_GLOBAL_MAX_POOLING1D: nd->keepdims = cfg_num(c, "k", 0) != 0; break;
    case GRU_NODE_RESHAPE:
        cfg_get(c, "s", v, sizeof v);
        nd->reshape.rank = parse_shape(v, nd->reshape.shape);
        break;
    case GRU_NODE_REPEAT_VECTOR: nd->repeat_n = (int64_t)cfg_num(c, "n", 0); break;
    default: break;
    }
    return 1;
}

#define GM_MAX_NODES 32

static int run_model_case(const golden *g, char *msg, size_t msglen, double *err_out) {
    const char *dts = golden_meta(g, "dtype");
    const gru_dtype dt = dts && strcmp(dts, "f32") == 0 ? GRU_F32 : GRU_F64;
    const size_t nn = (size_t)golden_meta_num(g, "nnodes", 0);
    const int64_t B = (int64_t)golden_meta_num(g, "batch", 0);
    const int64_t T = (int64_t)golden_meta_num(g, "steps", 0);
    if (nn == 0 || nn > GM_MAX_NODES || B <= 0) {
        snprintf(msg, msglen, "bad nnodes/batch");
        return 0;
    }
    gru_model_node nodes[GM_MAX_NODES];
    for (size_t i = 0; i < nn; i++)
        if (!build_node(g, i, &nodes[i], msg, msglen)) return 0;
    gru_model_ref outs[8];
    const size_t n_out = parse_refs(golden_meta(g, "outputs"), outs, 8);
    gru_model *m = NULL;
    if (gru_model_create(nodes, nn, outs, n_out, dt, &m)) {
        snprintf(msg, msglen, "create: %s", gru_last_error());
        return 0;
    }
    int ok = 0;
    void *bufs[32] = {0};
    size_t nb = 0;
    void *ws = NULL;
    /* weights */
    for (size_t i = 0; i < nn; i++) {
        gru_model_node_info info;
        gru_model_node_info_get(m, i, &info);
        if (!info.n_weights) continue;
        char key[32];
        snprintf(key, sizeof key, "w%zu", i);
        const golden_array *w = golden_get(g, key);
        if (!w || w->n != info.param_count) {
            snprintf(msg, msglen, "%s: %zu values, the node has %zu params", key, w ? w->n : 0,
                     info.param_count);
            goto done;
        }
        const void *arr[GRU_MODEL_MAX_WEIGHTS];
        size_t off = 0;
        for (size_t k = 0; k < info.n_weights; k++) {
            arr[k] = w->data + off; /* golden data is double */
            off += info.weight_count[k];
        }
        if (gru_model_set_node_weights(m, i, GRU_F64, info.n_weights, arr, info.weight_count)) {
            snprintf(msg, msglen, "set weights: %s", gru_last_error());
            goto done;
        }
    }
    /* inputs */
    const void *ins[8];
    const size_t n_in = gru_model_input_count(m);
    for (size_t k = 0; k < n_in && k < 8; k++) {
        char key[32];
        snprintf(key, sizeof key, "x%zu", k);
        const golden_array *x = golden_get(g, key);
        int64_t dims[GRU_MODEL_MAX_RANK + 1];
        size_t nd_ = 0, cnt = 1;
        bool is_int = false;
        gru_model_input_shape(m, k, B, T, dims, &nd_, &is_int);
        for (size_t q = 0; q < nd_; q++) cnt *= (size_t)dims[q];
        if (!x || x->n != cnt) {
            snprintf(msg, msglen, "%s missing or not %zu values", key, cnt);
            goto done;
        }
        void *p;
        if (is_int) {
            int64_t *ids = malloc(cnt * sizeof *ids);
            if (ids)
                for (size_t q = 0; q < cnt; q++) ids[q] = (int64_t)x->data[q];
            p = ids;
        } else {
            p = golden_to_dtype(x, dt);
        }
        if (!p) goto oom;
        bufs[nb++] = p;
        ins[k] = p;
    }
    void *ys[8];
    size_t ycnt[8];
    for (size_t k = 0; k < n_out; k++) {
        int64_t dims[GRU_MODEL_MAX_RANK + 1];
        size_t nd_ = 0, cnt = 1;
        gru_model_output_shape(m, k, B, T, dims, &nd_);
        for (size_t q = 0; q < nd_; q++) cnt *= (size_t)dims[q];
        ycnt[k] = cnt;
        ys[k] = malloc(cnt * gru_dtype_size(dt));
        if (!ys[k]) goto oom;
        bufs[nb++] = ys[k];
    }
    size_t bytes = 0;
    if (gru_model_workspace_size(m, B, T, &bytes)) {
        snprintf(msg, msglen, "workspace_size: %s", gru_last_error());
        goto done;
    }
    ws = aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
    if (!ws) goto oom;
    if (gru_model_forward(m, dt, B, T, ins, ys, ws, bytes)) {
        snprintf(msg, msglen, "forward: %s", gru_last_error());
        goto done;
    }
    golden_err e = {0, 0};
    char worst[32] = "";
    for (size_t k = 0; k < n_out; k++) {
        char key[32];
        snprintf(key, sizeof key, "y%zu", k);
        const golden_array *y = golden_get(g, key);
        if (!y || y->n != ycnt[k]) {
            snprintf(msg, msglen, "%s: %zu values in the golden, the model gives %zu", key,
                     y ? y->n : 0, ycnt[k]);
            goto done;
        }
        double *got = malloc(ycnt[k] * sizeof *got);
        if (!got) goto oom;
        for (size_t q = 0; q < ycnt[k]; q++) got[q] = golden_get_val(dt, ys[k], q);
        const double before = e.max_rel;
        golden_compare(got, y->data, ycnt[k], &e);
        if (e.max_rel > before || k == 0) snprintf(worst, sizeof worst, "%s", key);
        free(got);
    }
    *err_out = e.max_rel;
    const double tol = dt == GRU_F32 ? GOLDEN_TOL_F32_CELL : GOLDEN_TOL_F64;
    ok = e.max_rel <= tol;
    if (!ok)
        snprintf(msg, msglen, "max error %.3g > %.1g (abs %.3g), worst in %s", e.max_rel, tol,
                 e.max_abs, worst);
    goto done;
oom:
    snprintf(msg, msglen, "out of memory");
done:
    free(ws);
    for (size_t k = 0; k < nb; k++) free(bufs[k]);
    gru_model_free(m);
    return ok;
}

void tests_golden_model(void);
void tests_golden_model(void) {
    golden_worst w;
    memset(&w, 0, sizeof w);
    golden_run_family("model", run_model_case, &w, 1);
    printf("golden model: worst float32 error %.3g (%s), worst float64 error %.3g (%s)\n", w.f32,
           w.f32_case, w.f64, w.f64_case);
}
