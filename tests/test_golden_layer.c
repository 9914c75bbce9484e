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

static int run_layer_case(const golden *g, char *msg, size_t msglen, double *err_out) {
    golden_layer_case c;
    if (!golden_layer_parse(g, &c, msg, msglen)) return 0;
    const gru_dtype dt = c.dt;
    const size_t es = gru_dtype_size(dt);
    const size_t B = (size_t)c.B, T = (size_t)c.T, F = (size_t)c.F, U = (size_t)c.U;

    golden_bufs bb = {{0}, 0};
    gru_layer *layer = NULL;
    gru_bidirectional *bi = NULL;
    int ndir = c.bidir ? 2 : 1, ok = 0, bad = 0;
    void *ws = NULL;
    if (!golden_layer_build(g, &c, &layer, &bi, msg, msglen)) return 0;

    /* inputs, mask and initial states, converted once */
    const golden_array *gx = golden_get_n(g, "x", B * T * F, msg, msglen, &bad);
    const golden_array *gm = golden_get_n(g, "mask", B * T, msg, msglen, &bad);
    const golden_array *gh[2] = {golden_get_n(g, "h0", B * U, msg, msglen, &bad),
                                 golden_get_n(g, "h0_b", B * U, msg, msglen, &bad)};
    if (bad) goto done;
    if (!gx || (golden_meta_num(g, "initial_state", 0) != 0 && (!gh[0] || (c.bidir && !gh[1])))) {
        snprintf(msg, msglen, "golden lacks x or h0");
        goto done;
    }
    void *x = golden_keep(&bb, golden_to_dtype(gx, dt));
    void *h0[2] = {gh[0] ? golden_keep(&bb, golden_to_dtype(gh[0], dt)) : NULL,
                   gh[1] ? golden_keep(&bb, golden_to_dtype(gh[1], dt)) : NULL};
    int64_t tmax = 0;
    for (int i = 0; i < c.nchunks; i++)
        if (c.chunk[i] > tmax) tmax = c.chunk[i];
    const size_t tm_ = (size_t)tmax, W = (size_t)c.W;
    const size_t out_n = c.rs ? B * tm_ * W : B * W, outb_n = c.rs ? B * tm_ * U : B * U;
    void *xc = golden_keep(&bb, malloc(B * tm_ * F * es));
    uint8_t *mc = golden_keep(&bb, malloc(B * tm_));
    void *out = golden_keep(&bb, malloc(out_n * es)), *outb = golden_keep(&bb, malloc(outb_n * es));
    void *hs[2] = {golden_keep(&bb, malloc(B * U * es)), golden_keep(&bb, malloc(B * U * es))};
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
            const golden_array *a = golden_get_n(g, name, 3 * B * F, msg, msglen, &bad);
            if (a) io[d].dropout_masks = golden_keep(&bb, golden_to_dtype(a, dt));
            snprintf(name, sizeof name, "rdp_mask%s_c%d", sfx, ci);
            a = golden_get_n(g, name, 3 * B * U, msg, msglen, &bad);
            if (a) io[d].recurrent_dropout_masks = golden_keep(&bb, golden_to_dtype(a, dt));
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
        if (!golden_compare_named(g, name, dt, out, n, &e, &worst, worst_name, msg, msglen))
            goto done;
        if (none) {
            snprintf(name, sizeof name, "out_b_c%d", ci);
            if (!golden_compare_named(g, name, dt, outb, nb, &e, &worst, worst_name, msg,
                                      msglen))
                goto done;
        }
        if (c.rst)
            for (int d = 0; d < ndir; d++) {
                snprintf(name, sizeof name, d ? "state_b_c%d" : "state_c%d", ci);
                if (!golden_compare_named(g, name, dt, hs[d], B * U, &e, &worst, worst_name,
                                          msg, msglen))
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
    golden_free_all(&bb);
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
