/* Golden tests of the backward pass: libgru's gru_layer_forward_train +
 * gru_layer_backward against tf.GradientTape through tf-keras 2.21's GRU /
 * RNN(GRUCell), and gru_bidirectional_forward_train +
 * gru_bidirectional_backward against Bidirectional(GRU), from the `grad`
 * family written by tools/oracle/make_goldens.py (format:
 * tools/oracle/FORMAT.md). One reported test per golden case.
 *
 * Each case is one call over the whole sequence (stateful layers too: a
 * fresh layer, whose stored state is zero, so a given initial state is
 * used), with Keras' weights, inputs, mask, initial state and dropout masks,
 * and the loss L = sum(c_out * output) + sum(c_state * final state) (the
 * latter with return_state), so d_output = c_out and d_state = c_state. The
 * forward output and state are compared with the layer family's bounds, then
 * dL/dx, dL/dh0 (when an initial state is given) and dL/d kernel,
 * recurrent_kernel and bias with max |got - want| / max(|want|, 1) <=
 * 1e-10 (float64) and 1e-5 (float32). */
#include <stdint.h>
#include <stdlib.h>

#include "golden.h"
#include "runner.h"

#define GRAD_TOL_F64 1e-10
#define GRAD_TOL_F32 1e-5

static void *aligned64(golden_bufs *bb, size_t bytes) {
    return golden_keep(bb, aligned_alloc(64, (bytes + 63) / 64 * 64 + 64));
}

/* name + suffix ("" forward, "_b" backward direction) */
static const char *nm(char *buf, const char *name, int d) {
    snprintf(buf, 32, "%s%s", name, d ? "_b" : "");
    return buf;
}

static int run_grad_case(const golden *g, char *msg, size_t msglen, double *err_out) {
    golden_layer_case c;
    if (!golden_layer_parse(g, &c, msg, msglen)) return 0;
    if (c.nchunks != 1) {
        snprintf(msg, msglen, "a grad case is one call, got %d chunks", c.nchunks);
        return 0;
    }
    const gru_dtype dt = c.dt;
    const size_t es = gru_dtype_size(dt);
    const size_t B = (size_t)c.B, T = (size_t)c.T, F = (size_t)c.F, U = (size_t)c.U;
    const size_t W = (size_t)c.W, out_n = c.rs ? B * T * W : B * W;
    const size_t outb_n = c.rs ? B * T * U : B * U;
    const int has_h0 = golden_meta_num(g, "initial_state", 0) != 0;
    const int ndir = c.bidir ? 2 : 1, none = c.bidir && c.merge == GRU_MERGE_NONE;

    golden_bufs bb = {{0}, 0};
    gru_layer *layer = NULL;
    gru_bidirectional *bi = NULL;
    int ok = 0, bad = 0;
    char n1[32];
    if (!golden_layer_build(g, &c, &layer, &bi, msg, msglen)) return 0;

    const golden_array *gx = golden_get_n(g, "x", B * T * F, msg, msglen, &bad);
    const golden_array *gm = golden_get_n(g, "mask", B * T, msg, msglen, &bad);
    const golden_array *gh[2] = {NULL, NULL}, *gdp[2] = {NULL, NULL}, *grdp[2] = {NULL, NULL};
    const golden_array *gco[2] = {NULL, NULL}, *gcs[2] = {NULL, NULL};
    for (int d = 0; d < ndir; d++) {
        gh[d] = golden_get_n(g, nm(n1, "h0", d), B * U, msg, msglen, &bad);
        gdp[d] = golden_get_n(g, nm(n1, "dp_mask", d), 3 * B * F, msg, msglen, &bad);
        grdp[d] = golden_get_n(g, nm(n1, "rdp_mask", d), 3 * B * U, msg, msglen, &bad);
        gcs[d] = golden_get_n(g, nm(n1, "c_state", d), B * U, msg, msglen, &bad);
        if (d == 0 || none)
            gco[d] = golden_get_n(g, nm(n1, "c_out", d), d ? outb_n : out_n, msg, msglen, &bad);
        if ((gh[d] != NULL) != has_h0 || (c.rst && !gcs[d]) || ((d == 0 || none) && !gco[d]))
            bad = 2;
    }
    if (!gx) bad = 2;
    if (bad) {
        if (bad == 2) snprintf(msg, msglen, "golden lacks x, c_out, c_state or h0 (or has h0)");
        goto done;
    }

    gru_layer *dirs[2] = {layer, NULL};
    if (c.bidir) {
        dirs[0] = gru_bidirectional_layer(bi, 0);
        dirs[1] = gru_bidirectional_layer(bi, 1);
    }
    void *h0[2] = {NULL, NULL}, *dpm[2] = {NULL, NULL}, *rdpm[2] = {NULL, NULL};
    void *cout[2] = {NULL, NULL}, *cst[2] = {NULL, NULL}, *st[2] = {NULL, NULL};
    void *dh0[2] = {NULL, NULL};
    size_t nk = 0, nr = 0, nb = 0;
    gru_cell_grads grads[2];
    memset(grads, 0, sizeof grads);
    for (int d = 0; d < ndir; d++) {
        if (gru_cell_weight_sizes(gru_layer_cell(dirs[d]), &nk, &nr, &nb)) {
            snprintf(msg, msglen, "weight_sizes: %s", gru_last_error());
            goto done;
        }
        int oom = 0;
#define CONV(dst, a)                                                 \
    if (a) {                                                         \
        dst = golden_keep(&bb, golden_to_dtype(a, dt));              \
        oom |= !dst;                                                 \
    }
        CONV(h0[d], gh[d])
        CONV(dpm[d], gdp[d])
        CONV(rdpm[d], grdp[d])
        CONV(cout[d], gco[d])
        CONV(cst[d], gcs[d])
#undef CONV
        st[d] = golden_keep(&bb, malloc(B * U * es));
        dh0[d] = golden_keep(&bb, malloc(B * U * es));
        grads[d].kernel = golden_keep(&bb, malloc(nk * es));
        grads[d].recurrent_kernel = golden_keep(&bb, malloc(nr * es));
        grads[d].bias = nb ? golden_keep(&bb, malloc(nb * es)) : NULL;
        if (oom || !st[d] || !dh0[d] || !grads[d].kernel || !grads[d].recurrent_kernel ||
            (nb && !grads[d].bias)) {
            snprintf(msg, msglen, "out of memory");
            goto done;
        }
        if (gru_cell_grads_zero(gru_layer_cell(dirs[d]), &grads[d])) {
            snprintf(msg, msglen, "grads_zero: %s", gru_last_error());
            goto done;
        }
    }
    void *x = golden_keep(&bb, golden_to_dtype(gx, dt));
    uint8_t *mask = gm ? golden_keep(&bb, malloc(B * T)) : NULL;
    void *out = golden_keep(&bb, malloc(out_n * es));
    void *outb = none ? golden_keep(&bb, malloc(outb_n * es)) : NULL;
    void *dx = golden_keep(&bb, malloc(B * T * F * es));
    if (!x || (gm && !mask) || !out || (none && !outb) || !dx) {
        snprintf(msg, msglen, "out of memory");
        goto done;
    }
    if (gm)
        for (size_t i = 0; i < B * T; i++) mask[i] = gm->data[i] != 0;

    size_t tape_bytes, bw_bytes;
    gru_status s = c.bidir ? gru_bidirectional_tape_size(bi, c.B, c.T, &tape_bytes)
                           : gru_layer_tape_size(layer, c.B, c.T, &tape_bytes);
    if (!s)
        s = c.bidir ? gru_bidirectional_backward_workspace_size(bi, c.B, c.T, &bw_bytes)
                    : gru_layer_backward_workspace_size(layer, c.B, c.T, &bw_bytes);
    if (s) {
        snprintf(msg, msglen, "tape/workspace size: %s", gru_last_error());
        goto done;
    }
    void *tape = aligned64(&bb, tape_bytes), *bw = aligned64(&bb, bw_bytes);
    if (!tape || !bw) {
        snprintf(msg, msglen, "out of memory");
        goto done;
    }
    gru_seq in = {c.B, c.T, x, mask, NULL};
    gru_layer_io io[2];
    memset(io, 0, sizeof io);
    for (int d = 0; d < ndir; d++) {
        io[d].initial_state = h0[d];
        io[d].dropout_masks = dpm[d];
        io[d].recurrent_dropout_masks = rdpm[d];
        io[d].state_out = st[d];
    }
    s = c.bidir ? gru_bidirectional_forward_train(bi, dt, &in, io, c.tr, out, outb, tape,
                                                  tape_bytes)
                : gru_layer_forward_train(layer, dt, &in, io, c.tr, out, tape, tape_bytes);
    if (s) {
        snprintf(msg, msglen, "forward_train: %s", gru_last_error());
        goto done;
    }
    /* the forward first, with the layer family's bounds */
    golden_err ef = {0, 0};
    double worst = 0;
    char worst_name[32] = "";
    if (!golden_compare_named(g, "out", dt, out, out_n, &ef, &worst, worst_name, msg, msglen) ||
        (none && !golden_compare_named(g, "out_b", dt, outb, outb_n, &ef, &worst, worst_name, msg,
                                       msglen)))
        goto done;
    for (int d = 0; d < ndir && c.rst; d++)
        if (!golden_compare_named(g, nm(n1, "state", d), dt, st[d], B * U, &ef, &worst,
                                  worst_name, msg, msglen))
            goto done;
    const double ftol = dt == GRU_F32 ? GOLDEN_TOL_F32_CELL : GOLDEN_TOL_F64;
    if (!(ef.max_rel <= ftol)) {
        snprintf(msg, msglen, "forward differs: max error %.3g > %.1g in %s", ef.max_rel, ftol,
                 worst_name);
        goto done;
    }

    if (c.bidir) {
        const void *const dst[2] = {cst[0], cst[1]};
        void *const dinit[2] = {dh0[0], dh0[1]};
        s = gru_bidirectional_backward(bi, dt, &in, tape, cout[0], none ? cout[1] : NULL,
                                       c.rst ? dst : NULL, dx, dinit, grads, bw, bw_bytes);
    } else {
        s = gru_layer_backward(layer, dt, &in, tape, cout[0], c.rst ? cst[0] : NULL, dx, dh0[0],
                               &grads[0], bw, bw_bytes);
    }
    if (s) {
        snprintf(msg, msglen, "backward: %s", gru_last_error());
        goto done;
    }
    golden_err e = {0, 0};
    worst = 0;
    worst_name[0] = 0;
    if (!golden_compare_named(g, "d_x", dt, dx, B * T * F, &e, &worst, worst_name, msg, msglen))
        goto done;
    for (int d = 0; d < ndir; d++) {
        char n2[32], n3[32], n4[32];
        if ((has_h0 && !golden_compare_named(g, nm(n1, "d_h0", d), dt, dh0[d], B * U, &e, &worst,
                                             worst_name, msg, msglen)) ||
            !golden_compare_named(g, nm(n2, "d_kernel", d), dt, grads[d].kernel, nk, &e, &worst,
                                  worst_name, msg, msglen) ||
            !golden_compare_named(g, nm(n3, "d_recurrent_kernel", d), dt,
                                  grads[d].recurrent_kernel, nr, &e, &worst, worst_name, msg,
                                  msglen) ||
            (nb && !golden_compare_named(g, nm(n4, "d_bias", d), dt, grads[d].bias, nb, &e,
                                         &worst, worst_name, msg, msglen)))
            goto done;
    }
    *err_out = e.max_rel;
    const double tol = dt == GRU_F32 ? GRAD_TOL_F32 : GRAD_TOL_F64;
    ok = e.max_rel <= tol;
    if (!ok)
        snprintf(msg, msglen, "max gradient error %.3g > %.1g (abs %.3g), worst in %s", e.max_rel,
                 tol, e.max_abs, worst_name);
done:
    golden_free_all(&bb);
    gru_layer_free(layer);
    gru_bidirectional_free(bi);
    return ok;
}

void tests_golden_grad(void);
void tests_golden_grad(void) {
    golden_worst w;
    memset(&w, 0, sizeof w);
    golden_run_family("grad", run_grad_case, &w, 1);
    printf("golden grad: worst float32 error %.3g (%s), worst float64 error %.3g (%s)\n", w.f32,
           w.f32_case, w.f64, w.f64_case);
}
