/* Bidirectional(GRU): tf-keras' Bidirectional wrapper over two layers.
 *
 * As Keras' __init__: the forward layer is `layer`; the backward layer is
 * `backward_layer` when given, else a copy of `layer` with go_backwards
 * flipped; _verify_layer_config's rules are checked (different go_backwards,
 * equal stateful / return_sequences / return_state), and both layers get
 * zero_output_for_mask = return_sequences (force_zero_output_for_mask).
 * As Keras' call: both layers see the same input and mask, the backward
 * output is reversed in time when return_sequences, then merged.
 *
 * One allocation holds the handle and both layers (gru_layer_init). The
 * forward call runs the two layers one after the other in one shared
 * workspace region, then merges; it never allocates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidirectional_internal.h"

#define T float
#define SUF(n) n##_f32
#include "bidirectional_impl.h"
#undef T
#undef SUF
#define T double
#define SUF(n) n##_f64
#include "bidirectional_impl.h"
#undef T
#undef SUF

const char *gru__bi_merge_name(gru_merge_mode m) {
    switch (m) {
    case GRU_MERGE_CONCAT: return "concat";
    case GRU_MERGE_SUM: return "sum";
    case GRU_MERGE_MUL: return "mul";
    case GRU_MERGE_AVE: return "ave";
    case GRU_MERGE_NONE: return "None";
    }
    return "?";
}

static const char *bool_str(bool v) { return v ? "true" : "false"; }

gru_status gru_bidirectional_config_init(gru_bidirectional_config *cfg, int64_t units,
                                         int64_t input_dim) {
    if (!cfg)
        return gru__fail(GRU_E_NULL, NULL, "gru_bidirectional_config_init: argument 'cfg' is NULL");
    memset(cfg, 0, sizeof *cfg);
    cfg->merge_mode = GRU_MERGE_CONCAT;
    cfg->has_backward_layer = false;
    gru_status s = gru_layer_config_init(&cfg->layer, units, input_dim);
    /* A ready template for a custom backward layer: the same defaults, going
     * backwards. Used only when has_backward_layer is set. */
    cfg->backward_layer = cfg->layer;
    cfg->backward_layer.go_backwards = true;
    if (s) return gru__fail_prefixed(s, NULL, "gru_bidirectional_config_init");
    return GRU_OK;
}

/* Validate cfg; fill the two effective layer configs and the block layout. */
static gru_status plan(const gru_bidirectional_config *cfg, const char *fn, gru_layer_config eff[2],
                       size_t lsize[2], size_t *total) {
    if (!cfg) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'cfg' is NULL", fn);
    if ((int)cfg->merge_mode < (int)GRU_MERGE_CONCAT || (int)cfg->merge_mode > (int)GRU_MERGE_NONE)
        return gru__fail(GRU_E_ARG, NULL,
                         "%s: cfg.merge_mode must be GRU_MERGE_CONCAT, _SUM, _MUL, _AVE or _NONE "
                         "(Keras: 'concat', 'sum', 'mul', 'ave', None), got %d", fn,
                         (int)cfg->merge_mode);
    eff[0] = cfg->layer;
    if (cfg->has_backward_layer) {
        eff[1] = cfg->backward_layer;
    } else {
        /* Keras recreates the layer from its config with go_backwards
         * flipped. Its unseeded initializers then draw different weights for
         * the copy; here the copy's seed (which stands in for the global
         * random stream) is derived from the layer's, so the two directions
         * get distinct initial weights and dropout streams. Initializers
         * with their own seed give equal weights in both, as in Keras. */
        eff[1] = cfg->layer;
        eff[1].go_backwards = !cfg->layer.go_backwards;
        eff[1].cell.seed = cfg->layer.cell.seed * 6364136223846793005ull + 1442695040888963407ull;
    }
    static const char *const which[2] = {"cfg.layer", "cfg.backward_layer"};
    for (int k = 0; k < 2; k++) {
        gru_status s = gru_layer_size(&eff[k], &lsize[k]);
        if (s) {
            char prefix[96];
            snprintf(prefix, sizeof prefix, "%s: %s", fn, which[k]);
            return gru__fail_prefixed(s, NULL, prefix);
        }
    }
    const gru_layer_config *f = &eff[0], *b = &eff[1];
    if (f->go_backwards == b->go_backwards)
        return gru__fail(GRU_E_ARG, NULL,
                         "%s: cfg.backward_layer.go_backwards must differ from "
                         "cfg.layer.go_backwards (Keras: forward and backward layer should have "
                         "different `go_backwards` value), got %s for both", fn,
                         bool_str(f->go_backwards));
#define SAME_FLAG(field)                                                                        \
    if (f->field != b->field)                                                                   \
        return gru__fail(GRU_E_ARG, NULL,                                                       \
                         "%s: cfg.backward_layer." #field " must equal cfg.layer." #field       \
                         " (Keras: the same value for attribute \"" #field "\"), expected %s, " \
                         "got %s", fn, bool_str(f->field), bool_str(b->field));
    SAME_FLAG(stateful)
    SAME_FLAG(return_sequences)
    SAME_FLAG(return_state)
    SAME_FLAG(time_major)
#undef SAME_FLAG
    if (f->stateful && f->batch_size != b->batch_size)
        return gru__fail(GRU_E_ARG, NULL,
                         "%s: cfg.backward_layer.batch_size must equal cfg.layer.batch_size for "
                         "stateful layers, expected %lld, got %lld", fn,
                         (long long)f->batch_size, (long long)b->batch_size);
    if (f->cell.input_dim != b->cell.input_dim)
        return gru__fail(GRU_E_SHAPE, NULL,
                         "%s: cfg.backward_layer.cell.input_dim must equal cfg.layer.cell.input_dim "
                         "(both layers read the same input), expected %lld, got %lld", fn,
                         (long long)f->cell.input_dim, (long long)b->cell.input_dim);
    if (f->cell.dtype != b->cell.dtype)
        return gru__fail(GRU_E_DTYPE, NULL,
                         "%s: cfg.backward_layer.cell.dtype must equal cfg.layer.cell.dtype, "
                         "expected %s, got %s", fn, f->cell.dtype == GRU_F32 ? "GRU_F32" : "GRU_F64",
                         b->cell.dtype == GRU_F32 ? "GRU_F32" : "GRU_F64");
    if (cfg->merge_mode != GRU_MERGE_CONCAT && cfg->merge_mode != GRU_MERGE_NONE &&
        f->cell.units != b->cell.units)
        return gru__fail(GRU_E_SHAPE, NULL,
                         "%s: with merge_mode '%s' the two layers' outputs are combined element "
                         "by element, so cfg.backward_layer.cell.units must equal "
                         "cfg.layer.cell.units, expected %lld, got %lld", fn,
                         gru__bi_merge_name(cfg->merge_mode), (long long)f->cell.units,
                         (long long)b->cell.units);
    /* Keras' force_zero_output_for_mask. */
    eff[0].zero_output_for_mask = eff[0].return_sequences;
    eff[1].zero_output_for_mask = eff[1].return_sequences;
    size_t off = gru__align64(sizeof(struct gru_bidirectional));
    for (int k = 0; k < 2; k++) {
        if (lsize[k] > SIZE_MAX - 64 || !gru__add_size(off, gru__align64(lsize[k]), &off) ||
            off > SIZE_MAX - 64)
            return gru__fail(GRU_E_OVERFLOW, NULL, "%s: the wrapper's memory size overflows size_t",
                             fn);
    }
    *total = off;
    return GRU_OK;
}

gru_status gru_bidirectional_create(const gru_bidirectional_config *cfg, gru_bidirectional **out) {
    static const char fn[] = "gru_bidirectional_create";
    if (!out) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'out' is NULL", fn);
    *out = NULL;
    gru_layer_config eff[2];
    size_t lsize[2] = {0, 0}, total = 0;
    gru_status s = plan(cfg, fn, eff, lsize, &total);
    if (s) return s;
    const gru_allocator a = cfg->layer.cell.allocator;
    void *mem = a.alloc ? a.alloc(total, a.user) : aligned_alloc(64, total);
    if (!mem) return gru__fail(GRU_E_NOMEM, NULL, "%s: allocating %zu bytes failed", fn, total);
    if (((uintptr_t)mem % 64) != 0) {
        a.free(mem, a.user);
        return gru__fail(GRU_E_ARG, NULL,
                         "%s: cfg.layer.cell.allocator returned memory not aligned to 64 bytes", fn);
    }
    char *base = mem;
    gru_bidirectional *bi = (gru_bidirectional *)base;
    memset(bi, 0, sizeof *bi);
    size_t off = gru__align64(sizeof *bi);
    for (int k = 0; k < 2; k++) {
        s = gru_layer_init(base + off, lsize[k], &eff[k], &bi->layer[k]);
        if (s) {
            gru__fail_prefixed(s, NULL, k ? "gru_bidirectional_create: backward layer"
                                          : "gru_bidirectional_create: forward layer");
            if (a.free) a.free(mem, a.user);
            else free(mem);
            return s;
        }
        off += gru__align64(lsize[k]);
    }
    for (int k = 0; k < 2; k++) gru_layer_get_config(bi->layer[k], &bi->cfg[k]);
    bi->merge = cfg->merge_mode;
    bi->allocator = a;
    bi->magic = GRU__BI_MAGIC;
    *out = bi;
    return GRU_OK;
}

gru_status gru__bi_check(const gru_bidirectional *bi, const char *fn) {
    if (!bi) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'bi' is NULL", fn);
    if (bi->magic != GRU__BI_MAGIC)
        return gru__fail(GRU_E_STATE, NULL,
                         "%s: argument 'bi' is not an initialised Bidirectional wrapper (not made "
                         "by gru_bidirectional_create, or already freed)", fn);
    return GRU_OK;
}

void gru_bidirectional_free(gru_bidirectional *bi) {
    if (!bi || bi->magic != GRU__BI_MAGIC) return;
    const gru_allocator a = bi->allocator;
    for (int k = 0; k < 2; k++) {
        bi->layer[k]->cell->magic = 0;
        bi->layer[k]->magic = 0;
    }
    bi->magic = 0;
    if (a.free) a.free(bi, a.user);
    else free(bi);
}

const char *gru_bidirectional_last_error(const gru_bidirectional *bi) {
    if (!bi) return "argument 'bi' is NULL";
    if (bi->magic != GRU__BI_MAGIC) return "argument 'bi' is not an initialised Bidirectional wrapper";
    return bi->msg;
}

gru_layer *gru_bidirectional_layer(gru_bidirectional *bi, int which) {
    if (gru__bi_check(bi, "gru_bidirectional_layer")) return NULL;
    if (which != 0 && which != 1) {
        gru__fail(GRU_E_ARG, bi->msg,
                  "gru_bidirectional_layer: argument 'which' must be 0 (forward) or 1 (backward), "
                  "got %d", which);
        return NULL;
    }
    return bi->layer[which];
}

int64_t gru_bidirectional_output_width(const gru_bidirectional *bi) {
    if (gru__bi_check(bi, "gru_bidirectional_output_width")) return -1;
    const int64_t uf = bi->cfg[0].cell.units, ub = bi->cfg[1].cell.units;
    return bi->merge == GRU_MERGE_CONCAT ? uf + ub : uf;
}

gru_status gru_bidirectional_set_threadpool(gru_bidirectional *bi, gru_threadpool *pool) {
    static const char fn[] = "gru_bidirectional_set_threadpool";
    gru_status s = gru__bi_check(bi, fn);
    if (s) return s;
    for (int k = 0; k < 2 && !s; k++) s = gru_layer_set_threadpool(bi->layer[k], pool);
    if (s) return gru__fail_prefixed(s, bi->msg, fn);
    return GRU_OK;
}

/* ---- workspace ---------------------------------------------------------------- */

/* Byte offsets in the workspace: the layers' shared region at 0, then the
 * backward output and (concat only) the forward output before merging. */
typedef struct bi_ws {
    size_t layers, yb, yf, total;
} bi_ws;

static int ws_plan(const gru_bidirectional *bi, int64_t batch, int64_t steps, bi_ws *p) {
    gru__layer_ws lp[2];
    for (int k = 0; k < 2; k++)
        if (gru__layer_ws_plan(bi->layer[k], batch, steps, &lp[k])) return 0;
    const size_t es = bi->layer[0]->cell->elem;
    size_t rows = (size_t)batch, n, off;
    if (bi->cfg[0].return_sequences && !gru__mul_size(rows, (size_t)steps, &rows)) return 0;
    off = lp[0].total > lp[1].total ? lp[0].total : lp[1].total;
    if (off > SIZE_MAX - 64) return 0;
    p->layers = 0;
    off = gru__align64(off);
    p->yb = off;
    if (!gru__mul_size(rows, bi->layer[1]->cell->U, &n) || !gru__mul_size(n, es, &n) ||
        !gru__add_size(off, n, &off) || off > SIZE_MAX - 64)
        return 0;
    off = gru__align64(off);
    p->yf = off;
    if (bi->merge == GRU_MERGE_CONCAT) {
        if (!gru__mul_size(rows, bi->layer[0]->cell->U, &n) || !gru__mul_size(n, es, &n) ||
            !gru__add_size(off, n, &off) || off > SIZE_MAX - 64)
            return 0;
        off = gru__align64(off);
    }
    p->total = off;
    return 1;
}

gru_status gru_bidirectional_workspace_size(const gru_bidirectional *bi, int64_t batch,
                                            int64_t steps, size_t *bytes) {
    static const char fn[] = "gru_bidirectional_workspace_size";
    gru_status s = gru__bi_check(bi, fn);
    if (s) return s;
    char *msg = ((gru_bidirectional *)bi)->msg;
    if ((s = gru__size_args(msg, bytes, batch, steps, fn))) return s;
    bi_ws p;
    if (!ws_plan(bi, batch, steps, &p)) return gru__overflow(msg, batch, steps, fn);
    *bytes = p.total;
    return GRU_OK;
}

/* ---- the forward call -------------------------------------------------------------- */

gru_status gru__bi_call_check(gru_bidirectional *bi, gru_dtype dtype, const gru_seq *in,
                              const gru_layer_io io[2], const void *output,
                              const void *output_backward, const void *buf,
                              const char *buf_name, const char *fn) {
    char *msg = bi->msg;
    const gru_layer_config *cf = &bi->cfg[0];
    if (!in) return gru__fail(GRU_E_NULL, msg, "%s: argument 'in' is NULL", fn);
    if (!in->x) return gru__fail(GRU_E_NULL, msg, "%s: argument 'in->x' (inputs) is NULL", fn);
    if (!output) return gru__fail(GRU_E_NULL, msg, "%s: argument 'output' is NULL", fn);
    if (bi->merge == GRU_MERGE_NONE && !output_backward)
        return gru__fail(GRU_E_NULL, msg,
                         "%s: with merge_mode None, argument 'output_backward' (the backward "
                         "layer's output) must not be NULL", fn);
    if (bi->merge != GRU_MERGE_NONE && output_backward)
        return gru__fail(GRU_E_ARG, msg,
                         "%s: argument 'output_backward' must be NULL unless merge_mode is None "
                         "(merge_mode is '%s', the merged result goes to 'output')", fn,
                         gru__bi_merge_name(bi->merge));
    if (!buf) return gru__fail(GRU_E_NULL, msg, "%s: argument '%s' is NULL", fn, buf_name);
    if (dtype != cf->cell.dtype)
        return gru__fail(GRU_E_DTYPE, msg, "%s: argument 'dtype' must be the layers' dtype %s, got %d",
                         fn, cf->cell.dtype == GRU_F32 ? "GRU_F32" : "GRU_F64", (int)dtype);
    gru_status s = gru__seq_sizes_check(msg, in, fn);
    if (s) return s;
    if (cf->return_state) {
        for (int k = 0; k < 2; k++)
            if (!io || !io[k].state_out)
                return gru__fail(GRU_E_NULL, msg,
                                 "%s: the layers have return_state, so io[%d].state_out (the %s "
                                 "layer's final state) must not be NULL", fn, k,
                                 k ? "backward" : "forward");
    }
    if (cf->stateful && in->batch != cf->batch_size)
        return gru__fail(GRU_E_SHAPE, msg, "%s: the stateful layers were built for batch %lld, got "
                                           "batch %lld", fn, (long long)cf->batch_size,
                         (long long)in->batch);
    return GRU_OK;
}

gru_status gru_bidirectional_forward(gru_bidirectional *bi, gru_dtype dtype, const gru_seq *in,
                                     const gru_layer_io io[2], gru_training training,
                                     void *output, void *output_backward, void *workspace,
                                     size_t ws_bytes) {
    static const char fn[] = "gru_bidirectional_forward";
    gru_status s = gru__bi_check(bi, fn);
    if (s) return s;
    char *msg = bi->msg;
    const gru_layer_config *cf = &bi->cfg[0];
    /* Everything that could make the second layer fail after the first has
     * run (and, if stateful, updated its state) is checked here first. */
    if ((s = gru__bi_call_check(bi, dtype, in, io, output, output_backward, workspace,
                                "workspace", fn)))
        return s;
    bi_ws p;
    if (!ws_plan(bi, in->batch, in->steps, &p)) return gru__overflow(msg, in->batch, in->steps, fn);
    if ((s = gru__bytes_check(msg, "workspace", ws_bytes, p.total,
                              "gru_bidirectional_workspace_size", fn)) ||
        (s = gru__aligned64_check(msg, workspace, "workspace", fn)))
        return s;

    char *ws = workspace;
    const int seq = cf->return_sequences;
    /* Forward result: straight into output unless concat interleaves it. */
    void *yf = bi->merge == GRU_MERGE_CONCAT ? ws + p.yf : output;
    /* Backward result: needs reversing (sequences) or combining, except a
     * last output with merge None, which is already what the caller wants. */
    void *yb = (bi->merge == GRU_MERGE_NONE && !seq) ? output_backward : ws + p.yb;
    const size_t lws = p.yb; /* the layers' region ends where yb starts */
    s = gru_layer_forward(bi->layer[0], dtype, in, io ? &io[0] : NULL, training, yf,
                          ws + p.layers, lws);
    if (s) return gru__fail_prefixed(s, msg, "gru_bidirectional_forward: forward layer");
    s = gru_layer_forward(bi->layer[1], dtype, in, io ? &io[1] : NULL, training, yb,
                          ws + p.layers, lws);
    if (s) return gru__fail_prefixed(s, msg, "gru_bidirectional_forward: backward layer");
    if (bi->merge == GRU_MERGE_NONE && !seq) return GRU_OK;

    const size_t B = (size_t)in->batch, steps = seq ? (size_t)in->steps : 1;
    const size_t Uf = bi->layer[0]->cell->U, Ub = bi->layer[1]->cell->U;
    void *dst = bi->merge == GRU_MERGE_NONE ? output_backward : output;
    const void *src_f = bi->merge == GRU_MERGE_NONE ? NULL : yf;
    const int tm = cf->time_major;
    if (dtype == GRU_F32)
        gru__bi_merge_f32(bi->merge, tm, B, steps, Uf, Ub, src_f, yb, dst);
    else
        gru__bi_merge_f64(bi->merge, tm, B, steps, Uf, Ub, src_f, yb, dst);
    return GRU_OK;
}

gru_status gru_bidirectional_reset_states(gru_bidirectional *bi) {
    static const char fn[] = "gru_bidirectional_reset_states";
    gru_status s = gru__bi_check(bi, fn);
    if (s) return s;
    if (!bi->cfg[0].stateful)
        return gru__fail(GRU_E_STATE, bi->msg, "%s: the layers are not stateful (Keras: Layer must "
                                               "be stateful)", fn);
    for (int k = 0; k < 2; k++) {
        s = gru_layer_reset_states(bi->layer[k], bi->cfg[k].cell.dtype, NULL);
        if (s) return gru__fail_prefixed(s, bi->msg, fn);
    }
    return GRU_OK;
}
