/* One GRU time step with Keras' v1 GRUCell semantics (spec §3), written once
 * for both element types. Included by step.c with:
 *   T            element type (float or double)
 *   SUF(name)    name##_f32 or name##_f64
 *   VECMAT       the kernel table entry for T
 *   ACT_ROW      gru__act_row_f32 or _f64
 *
 * Evaluation order follows tf-keras so that float32 rounding happens at the
 * same places: each pre-activation is (x·W_g + bx_g) + (h·R_g [+ bh_g]); the
 * mix is (z·h) + ((1 − z)·hh). Rows are independent, so a batch gives the
 * same bits as its samples run one at a time. */

void SUF(gru__step)(const gru_cell *cell, size_t batch, const T *x, const T *h, const T *dp,
                    const T *rdp, T *h_new, void *scratch) {
    const gru_cell_config *c = &cell->cfg;
    const size_t F = cell->F, U = cell->U, U3 = 3 * U;
    const T *W = (const T *)cell->kernel;
    const T *R = (const T *)cell->recurrent;
    const T *bx = (const T *)cell->bias;                   /* input-side bias   */
    const T *bh = (c->reset_after && bx) ? bx + U3 : NULL;  /* recurrent-side    */
    const int mode1 = c->implementation == 1;
    /* Masks are applied only for 0 < rate < 1 (strict), as Keras does. */
    const int use_dp = dp && c->dropout > 0.0 && c->dropout < 1.0;
    const int use_rdp = mode1 && rdp && c->recurrent_dropout > 0.0 && c->recurrent_dropout < 1.0;

    double *acc = (double *)scratch;       /* 3U doubles */
    T *xin = (T *)(acc + U3);              /* F   masked input                  */
    T *hin = xin + F;                      /* U   masked / reset state          */
    T *xg = hin + U;                       /* 3U  input projections  z|r|h      */
    T *ag = xg + U3;                       /* 3U  recurrent projections z|r|h   */
    T *z = ag + U3;                        /* U   update gate                   */
    T *r = z + U;                          /* U   reset gate                    */
    T *hh = r + U;                         /* U   candidate                     */
    T *pre = hh + U;                       /* U   pre-activation                */

    for (size_t b = 0; b < batch; b++) {
        const T *xb = x + b * F;
        const T *hb = h + b * U;

        /* Input side: x·W_g + bx_g per gate. Mode 1 uses mask g for gate g,
         * mode 2 one mask (mask 0) for all three gates. */
        for (size_t g = 0; g < 3; g++) {
            const T *xs = xb;
            if (use_dp && (mode1 || g == 0)) {
                const T *m = dp + (mode1 ? g : 0) * batch * F + b * F;
                for (size_t k = 0; k < F; k++) xin[k] = xb[k] * m[k];
                xs = xin;
            } else if (use_dp) {
                xs = xin; /* mode 2: same masked input as gate 0 */
            }
            VECMAT(F, U, xs, W + g * U, U3, bx ? bx + g * U : NULL, acc, xg + g * U);
        }

        /* Recurrent side for z and r: h·R_g (+ bh_g when reset_after). */
        for (size_t g = 0; g < 2; g++) {
            const T *hs = hb;
            if (use_rdp) {
                const T *m = rdp + g * batch * U + b * U;
                for (size_t k = 0; k < U; k++) hin[k] = hb[k] * m[k];
                hs = hin;
            }
            VECMAT(U, U, hs, R + g * U, U3, bh ? bh + g * U : NULL, acc, ag + g * U);
        }
        for (size_t j = 0; j < U; j++) pre[j] = xg[j] + ag[j];
        ACT_ROW(&c->recurrent_activation, U, pre, z);
        for (size_t j = 0; j < U; j++) pre[j] = xg[U + j] + ag[U + j];
        ACT_ROW(&c->recurrent_activation, U, pre, r);

        /* Candidate: state for R_h is h (mode 2) or h ⊙ rdp[2] (mode 1). */
        const T *hs = hb;
        if (use_rdp) {
            const T *m = rdp + 2 * batch * U + b * U;
            for (size_t k = 0; k < U; k++) hin[k] = hb[k] * m[k];
            hs = hin;
        }
        T *ah = ag + 2 * U;
        if (c->reset_after) {
            /* r ⊙ (h·R_h + bh_h): reset applied after the matmul. */
            VECMAT(U, U, hs, R + 2 * U, U3, bh ? bh + 2 * U : NULL, acc, ah);
            for (size_t j = 0; j < U; j++) ah[j] = r[j] * ah[j];
        } else {
            /* (r ⊙ h)·R_h: reset applied before the matmul. */
            for (size_t k = 0; k < U; k++) hin[k] = r[k] * hs[k];
            VECMAT(U, U, hin, R + 2 * U, U3, NULL, acc, ah);
        }
        for (size_t j = 0; j < U; j++) pre[j] = xg[2 * U + j] + ah[j];
        ACT_ROW(&c->activation, U, pre, hh);

        /* h' = z ⊙ h + (1 − z) ⊙ hh, with the undropped h. */
        T *out = h_new + b * U;
        for (size_t j = 0; j < U; j++) {
            const T zh = z[j] * hb[j];
            const T one_minus_z = (T)1 - z[j];
            out[j] = zh + one_minus_z * hh[j];
        }
    }
}
