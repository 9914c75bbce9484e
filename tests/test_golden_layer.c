/* Golden tests of the layers: libgru's gru_layer (for
 * tf.compat.v1.keras.layers.GRU and RNN(GRUCell)) and gru_bidirectional (for
 * Bidirectional(GRU)) against tf-keras 2.21, from the `layer` family written
 * by tools/oracle/make_goldens.py (format: tools/oracle/FORMAT.md). One
 * reported test per golden case.
 *
 * Each case is replayed as Keras ran it: the same weights, the inputs and
 * mask in the layout given to Keras (time-major when time_major), the
 * initial state(s) when given (passed on every call, as the oracle did; a
 * stateful layer applies Keras' rule of preferring its stored state when that
 * is non-zero), the dropout masks Keras drew for each call, and, for
 * stateful cases, one call per recorded chunk on the same layer object.
 * Every call's output(s) and, with return_state, final state(s) are
 * compared. Error metric and bounds as tests/test_golden.c: max |got - want|
 * / max(|want|, 1); float64 1e-12, float32 2e-6 (the cell's bound: the
 * layer is the cell applied step by step). */
#include <stdint.h>
#include <stdlib.h>

#include "golden.h"
#include "runner.h"

#define LAYER_MAX_CHUNKS 8

typedef struct layer_case {
    gru_dtype dt;
    int64_t U, F, B, T, W;
    int bidir, rs, rst, st, tm;
    gru_merge_mode merge;
    gru_training tr;
    int nchunks;
    int64_t chunk[LAYER_MAX_CHUNKS];
} layer_case;

/* Allocations of one case, freed together. */
typedef struct bufs {
    void *p[64];
    int n;
} bufs;

static void *keep(bufs *b, void *p) {
    if (p && b->n < 64) b->p[b->n++] = p;
    else if (p) {
        free(p);
        p = NULL;
    }
    return p;
}

static void free_all(bufs *b) {
    for (int i = 0; i < b->n; i++) free(b->p[i]);
    b->n = 0;
}

static int flag(const golden *g, const char *key) { return golden_meta_num(g, key, 0) != 0; }

static int parse_case(const golden *g, layer_case *c, char *msg, size_t msglen) {
    memset(c, 0, sizeof *c);
    const char *dts = golden_meta(g, "dtype"), *wrapper = golden_meta(g, "wrapper");
    const char *chunks = golden_meta(g, "chunks");
    if (!dts || !wrapper || !chunks) {
        snprintf(msg, msglen, "golden lacks dtype, wrapper or chunks");
        return 0;
    }
    c->dt = strcmp(dts, "f32") == 0 ? GRU_F32 : GRU_F64;
    c->U = (int64_t)golden_meta_num(g, "units", 0);
    c->F = (int64_t)golden_meta_num(g, "input_dim", 0);
    c->B = (int64_t)golden_meta_num(g, "batch", 0);
    c->T = (int64_t)golden_meta_num(g, "steps", 0);
    c->W = (int64_t)golden_meta_num(g, "output_width", 0);
    c->rs = flag(g, "return_sequences");
    c->rst = flag(g, "return_state");
    c->st = flag(g, "stateful");
    c->tm = flag(g, "time_major");
    c->tr = flag(g, "training") ? GRU_TRAINING_TRUE : GRU_TRAINING_FALSE;
    if (strcmp(wrapper, "bidirectional") == 0) {
        static const char *const names[] = {"concat", "sum", "mul", "ave", "none"};
        static const gru_merge_mode modes[] = {GRU_MERGE_CONCAT, GRU_MERGE_SUM, GRU_MERGE_MUL,
                                               GRU_MERGE_AVE, GRU_MERGE_NONE};
        const char *m = golden_meta(g, "merge_mode");
        c->bidir = 1;
        int found = 0;
        for (int i = 0; i < 5 && m; i++)
            if (strcmp(m, names[i]) == 0) c->merge = modes[i], found = 1;
        if (!found) {
            snprintf(msg, msglen, "unknown merge_mode %s", m ? m : "(absent)");
            return 0;
        }
    } else if (strcmp(wrapper, "gru") != 0 && strcmp(wrapper, "rnn") != 0) {
        snprintf(msg, msglen, "unknown wrapper %s", wrapper);
        return 0;
    }
    int64_t sum = 0;
    for (const char *p = chunks; *p;) {
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p || v <= 0 || c->nchunks == LAYER_MAX_CHUNKS) {
            snprintf(msg, msglen, "bad chunks '%s'", chunks);
            return 0;
        }
        c->chunk[c->nchunks++] = (int64_t)v;
        sum += (int64_t)v;
        p = *end == ',' ? end + 1 : end;
    }
    if (c->U <= 0 || c->F <= 0 || c->B <= 0 || c->T <= 0 || sum != c->T) {
        snprintf(msg, msglen, "bad sizes (chunks %s, steps %lld)", chunks, (long long)c->T);
        return 0;
    }
    return 1;
}

/* The golden array name, or NULL when absent; required arrays are checked
 * for their element count. */
static const golden_array *get_n(const golden *g, const char *name, size_t n, char *msg,
                                 size_t msglen, int *bad) {
    const golden_array *a = golden_get(g, name);
    if (a && a->n != n) {
        snprintf(msg, msglen, "array %s has %zu elements, expected %zu", name, a->n, n);
        *bad = 1;
    }
    return a;
}

/* Set the weights of one direction from kernel<sfx>, recurrent_kernel<sfx>,
 * bias<sfx>, and check the effective implementation. */
static int set_weights(const golden *g, gru_layer *layer, const layer_case *c, const char *sfx,
                       bufs *bb, char *msg, size_t msglen) {
    char kn[32], rn[32], bn[32];
    snprintf(kn, sizeof kn, "kernel%s", sfx);
    snprintf(rn, sizeof rn, "recurrent_kernel%s", sfx);
    snprintf(bn, sizeof bn, "bias%s", sfx);
    const golden_array *gk = golden_get(g, kn), *gr = golden_get(g, rn), *gb = golden_get(g, bn);
    gru_cell *cell = gru_layer_cell(layer);
    if (!gk || !gr || !gb || !cell) {
        snprintf(msg, msglen, "golden lacks %s/%s/%s (or no cell)", kn, rn, bn);
        return 0;
    }
    void *k = keep(bb, golden_to_dtype(gk, c->dt)), *r = keep(bb, golden_to_dtype(gr, c->dt)),
         *b = keep(bb, golden_to_dtype(gb, c->dt));
    if (!k || !r || !b) return snprintf(msg, msglen, "out of memory"), 0;
    if (gru_cell_set_weights(cell, c->dt, k, r, b)) {
        snprintf(msg, msglen, "set_weights%s: %s", sfx, gru_last_error());
        return 0;
    }
    gru_cell_config eff;
    gru_cell_get_config(cell, &eff);
    if (eff.implementation != (int)golden_meta_num(g, "implementation", -1)) {
        snprintf(msg, msglen, "effective implementation %d, Keras %s", eff.implementation,
                 golden_meta(g, "implementation"));
        return 0;
    }
    return 1;
}

/* Compare n values of buf (dtype) with the golden array `name`. */
static int compare(const golden *g, const char *name, const layer_case *c, const void *buf,
                   size_t n, golden_err *e, double *worst, char *worst_name, char *msg,
                   size_t msglen) {
    const golden_array *a = golden_get(g, name);
    if (!a || a->n != n) {
        snprintf(msg, msglen, "golden array %s %s (%zu values expected)", name,
                 a ? "has the wrong size" : "is missing", n);
        return 0;
    }
    double *got = malloc((n ? n : 1) * sizeof *got);
    if (!got) return snprintf(msg, msglen, "out of memory"), 0;
    for (size_t i = 0; i < n; i++) got[i] = golden_get_val(c->dt, buf, i);
    golden_err one = {0, 0};
    golden_compare(got, a->data, n, &one);
    free(got);
    if (one.max_rel > *worst) {
        *worst = one.max_rel;
        snprintf(worst_name, 32, "%s", name);
    }
    if (one.max_abs > e->max_abs) e->max_abs = one.max_abs;
    if (one.max_rel > e->max_rel) e->max_rel = one.max_rel;
    return 1;
}

static int run_layer_case(const golden *g, char *msg, size_t msglen, double *err_out) {
    layer_case c;
    if (!parse_case(g, &c, msg, msglen)) return 0;
    const gru_dtype dt = c.dt;
    const size_t es = gru_dtype_size(dt);
    const size_t B = (size_t)c.B, T = (size_t)c.T, F = (size_t)c.F, U = (size_t)c.U;

    gru_layer_config lc;
    if (gru_layer_config_init(&lc, c.U, c.F)) {
        snprintf(msg, msglen, "config: %s", gru_last_error());
        return 0;
    }
    lc.cell.dtype = dt;
    if (gru_activation_from_name(golden_meta(g, "activation"), &lc.cell.activation) ||
        gru_activation_from_name(golden_meta(g, "recurrent_activation"),
                                 &lc.cell.recurrent_activation)) {
        snprintf(msg, msglen, "activation: %s", gru_last_error());
        return 0;
    }
    lc.cell.use_bias = golden_meta_num(g, "use_bias", 1) != 0;
    lc.cell.reset_after = flag(g, "reset_after");
    lc.cell.implementation = (int)golden_meta_num(g, "implementation_requested", 1);
    lc.cell.dropout = golden_meta_num(g, "dropout", 0);
    lc.cell.recurrent_dropout = golden_meta_num(g, "recurrent_dropout", 0);
    lc.return_sequences = c.rs;
    lc.return_state = c.rst;
    lc.go_backwards = flag(g, "go_backwards");
    lc.stateful = c.st;
    lc.batch_size = c.st ? c.B : 0;
    lc.time_major = c.tm;
    /* as requested: Bidirectional itself forces it to return_sequences */
    lc.zero_output_for_mask = flag(g, "zero_output_for_mask");

    bufs bb = {{0}, 0};
    gru_layer *layer = NULL;
    gru_bidirectional *bi = NULL;
    gru_layer *dirs[2] = {NULL, NULL};
    int ndir = c.bidir ? 2 : 1, ok = 0, bad = 0;
    void *ws = NULL;
    if (c.bidir) {
        gru_bidirectional_config bc;
        if (gru_bidirectional_config_init(&bc, c.U, c.F)) {
            snprintf(msg, msglen, "bidirectional config: %s", gru_last_error());
            return 0;
        }
        bc.layer = lc;
        bc.merge_mode = c.merge;
        if (gru_bidirectional_create(&bc, &bi)) {
            snprintf(msg, msglen, "bidirectional create: %s", gru_last_error());
            return 0;
        }
        dirs[0] = gru_bidirectional_layer(bi, 0);
        dirs[1] = gru_bidirectional_layer(bi, 1);
        if (gru_bidirectional_output_width(bi) != c.W) {
            snprintf(msg, msglen, "output width %lld, Keras %lld",
                     (long long)gru_bidirectional_output_width(bi), (long long)c.W);
            goto done;
        }
    } else {
        if (gru_layer_create(&lc, &layer)) {
            snprintf(msg, msglen, "create: %s", gru_last_error());
            return 0;
        }
        dirs[0] = layer;
    }
    for (int d = 0; d < ndir; d++)
        if (!set_weights(g, dirs[d], &c, d ? "_b" : "", &bb, msg, msglen)) goto done;

    /* inputs, mask and initial states, converted once */
    const golden_array *gx = get_n(g, "x", B * T * F, msg, msglen, &bad);
    const golden_array *gm = get_n(g, "mask", B * T, msg, msglen, &bad);
    const golden_array *gh[2] = {get_n(g, "h0", B * U, msg, msglen, &bad),
                                 get_n(g, "h0_b", B * U, msg, msglen, &bad)};
    if (bad) goto done;
    if (!gx || (flag(g, "initial_state") && (!gh[0] || (c.bidir && !gh[1])))) {
        snprintf(msg, msglen, "golden lacks x or h0");
        goto done;
    }
    void *x = keep(&bb, golden_to_dtype(gx, dt));
    void *h0[2] = {gh[0] ? keep(&bb, golden_to_dtype(gh[0], dt)) : NULL,
                   gh[1] ? keep(&bb, golden_to_dtype(gh[1], dt)) : NULL};
    int64_t tmax = 0;
    for (int i = 0; i < c.nchunks; i++)
        if (c.chunk[i] > tmax) tmax = c.chunk[i];
    const size_t tm_ = (size_t)tmax, W = (size_t)c.W;
    const size_t out_n = c.rs ? B * tm_ * W : B * W, outb_n = c.rs ? B * tm_ * U : B * U;
    void *xc = keep(&bb, malloc(B * tm_ * F * es));
    uint8_t *mc = keep(&bb, malloc(B * tm_));
    void *out = keep(&bb, malloc(out_n * es)), *outb = keep(&bb, malloc(outb_n * es));
    void *hs[2] = {keep(&bb, malloc(B * U * es)), keep(&bb, malloc(B * U * es))};
    if (!x || !xc || !mc || !out || !outb || !hs[0] || !hs[1] || (gh[0] && !h0[0]) ||
        (gh[1] && !h0[1])) {
        snprintf(msg, msglen, "out of memory");
        goto done;
    }
    size_t ws_bytes = 0;
    gru_status s = c.bidir ? gru_bidirectional_workspace_size(bi, c.B, tmax, &ws_bytes)
                           : gru_layer_workspace_size(layer, c.B, tmax, &ws_bytes);
    if (s) {
        snprintf(msg, msglen, "workspace_size: %s", gru_last_error());
        goto done;
    }
    ws_bytes = (ws_bytes + 63) / 64 * 64;
    ws = aligned_alloc(64, ws_bytes ? ws_bytes : 64);
    if (!ws) {
        snprintf(msg, msglen, "out of memory");
        goto done;
    }

    golden_err e = {0, 0};
    double worst = 0;
    char worst_name[32] = "";
    size_t t0 = 0;
    for (int ci = 0; ci < c.nchunks; ci++) {
        const size_t Tc = (size_t)c.chunk[ci];
        /* the chunk of x and mask, in the layout given to Keras */
        for (size_t b = 0; b < B; b++)
            for (size_t t = 0; t < Tc; t++) {
                size_t src = c.tm ? (t0 + t) * B + b : b * T + t0 + t;
                size_t dst = c.tm ? t * B + b : b * Tc + t;
                memcpy((char *)xc + dst * F * es, (const char *)x + src * F * es, F * es);
                if (gm) mc[dst] = gm->data[src] != 0;
            }
        gru_seq in = {c.B, (int64_t)Tc, xc, gm ? mc : NULL, NULL};
        gru_layer_io io[2];
        memset(io, 0, sizeof io);
        for (int d = 0; d < ndir; d++) {
            char name[32];
            const char *sfx = d ? "_b" : "";
            io[d].initial_state = h0[d];
            io[d].state_out = hs[d];
            snprintf(name, sizeof name, "dp_mask%s_c%d", sfx, ci);
            const golden_array *a = get_n(g, name, 3 * B * F, msg, msglen, &bad);
            if (a) io[d].dropout_masks = keep(&bb, golden_to_dtype(a, dt));
            snprintf(name, sizeof name, "rdp_mask%s_c%d", sfx, ci);
            a = get_n(g, name, 3 * B * U, msg, msglen, &bad);
            if (a) io[d].recurrent_dropout_masks = keep(&bb, golden_to_dtype(a, dt));
        }
        if (bad) goto done;
        const int none = c.bidir && c.merge == GRU_MERGE_NONE;
        s = c.bidir ? gru_bidirectional_forward(bi, dt, &in, io, c.tr, out, none ? outb : NULL, ws,
                                                ws_bytes)
                    : gru_layer_forward(layer, dt, &in, io, c.tr, out, ws, ws_bytes);
        if (s) {
            snprintf(msg, msglen, "forward (chunk %d): %s", ci, gru_last_error());
            goto done;
        }
        char name[32];
        const size_t n = c.rs ? B * Tc * W : B * W, nb = c.rs ? B * Tc * U : B * U;
        snprintf(name, sizeof name, "out_c%d", ci);
        if (!compare(g, name, &c, out, n, &e, &worst, worst_name, msg, msglen)) goto done;
        if (none) {
            snprintf(name, sizeof name, "out_b_c%d", ci);
            if (!compare(g, name, &c, outb, nb, &e, &worst, worst_name, msg, msglen)) goto done;
        }
        if (c.rst)
            for (int d = 0; d < ndir; d++) {
                snprintf(name, sizeof name, d ? "state_b_c%d" : "state_c%d", ci);
                if (!compare(g, name, &c, hs[d], B * U, &e, &worst, worst_name, msg, msglen))
                    goto done;
            }
        t0 += Tc;
    }
    *err_out = e.max_rel;
    const double tol = dt == GRU_F32 ? GOLDEN_TOL_F32_CELL : GOLDEN_TOL_F64;
    ok = e.max_rel <= tol;
    if (!ok)
        snprintf(msg, msglen, "max error %.3g > %.1g (abs %.3g), worst in %s", e.max_rel, tol,
                 e.max_abs, worst_name);
done:
    free(ws);
    free_all(&bb);
    gru_layer_free(layer);
    gru_bidirectional_free(bi);
    return ok;
}

void tests_golden_layer(void);
void tests_golden_layer(void) {
    golden_worst w;
    memset(&w, 0, sizeof w);
    golden_run_family("layer", run_layer_case, &w, 1);
    printf("golden layer: worst float32 error %.3g (%s), worst float64 error %.3g (%s)\n", w.f32,
           w.f32_case, w.f64, w.f64_case);
}
