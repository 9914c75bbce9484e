/* One GRU time step with Keras' v1 GRUCell semantics (spec §3), written once
 * for both element types and split in two halves, so that the cell (both
 * halves per row) and the layer (all input halves first, then the
 * recurrence) run the very same arithmetic. Included by step.c with:
 *   T            element type (float or double)
 *   SUF(name)    name##_f32 or name##_f64
 *   VECMAT       the kernel table entry for T
 *   ACT_ROW      gru__act_row_f32 or _f64
 *
 * Evaluation order follows tf-keras so that float32 rounding happens at the
 * same places: each pre-activation is (x·W_g + bx_g) + (h·R_g [+ bh_g]); the
 * mix is (z·h) + ((1 − z)·hh). Rows are independent, so a batch gives the
 * same bits as its samples run one at a time. */

/* Input half of one row: xg[g*U..] = (x ⊙ m_g)·W_g + bx_g for g = z, r, h.
 * m[g] is the dropout mask row used for gate g (NULL: none); mode 2 passes
 * the same mask 0 for all three. ws: scratch of gru__row_scratch_bytes. */
void SUF(gru__input_row)(const gru_cell *cell, const T *x, const T *const m[3], T *xg, void *ws) {
    const size_t F = cell->F, U = cell->U, U3 = 3 * U;
    const T *W = (const T *)cell->kernel;
    const T *bx = (const T *)cell->bias; /* input-side bias (row 0) */
    double *acc = (double *)ws;
    T *xin = (T *)(acc + U3);
    const T *made = NULL; /* the mask xin currently holds */
    for (size_t g = 0; g < 3; g++) {
        const T *xs = x;
        if (m[g]) {
            if (m[g] != made) {
                for (size_t k = 0; k < F; k++) xin[k] = x[k] * m[g][k];
                made = m[g];
            }
            xs = xin;
        }
        VECMAT(F, U, xs, W + g * U, U3, bx ? bx + g * U : NULL, acc, xg + g * U);
    }
}

/* Recurrent half of one row: from the input projections xg (3U), the state
 * h (U) and the recurrent dropout mask rows rm[g] (NULL: none; mode 1 only),
 * write the new state to out (U; may alias h). When rec is not NULL it
 * receives what the backward pass needs (GRU__REC_* slots of U each):
 * h, z, r, hh, the three pre-activations and h·R_h + bh_h. */
void SUF(gru__recurrent_row)(const gru_cell *cell, const T *xg, const T *h, const T *const rm[3],
                             T *out, void *ws, T *rec) {
    const gru_cell_config *c = &cell->cfg;
    const size_t F = cell->F, U = cell->U, U3 = 3 * U;
    const T *R = (const T *)cell->recurrent;
    const T *bh = (c->reset_after && cell->bias) ? (const T *)cell->bias + U3 : NULL;
    double *acc = (double *)ws;
    T *hin = (T *)(acc + U3) + F; /* after the input half's xin */
    T *ag = hin + U;              /* 3U recurrent projections z|r|h */
    T *z = ag + U3, *r = z + U, *hh = r + U, *pre = hh + U;

    /* z and r: h·R_g (+ bh_g when reset_after), h dropped by rm[g]. */
    for (size_t g = 0; g < 2; g++) {
        const T *hs = h;
        if (rm[g]) {
            for (size_t k = 0; k < U; k++) hin[k] = h[k] * rm[g][k];
            hs = hin;
        }
        VECMAT(U, U, hs, R + g * U, U3, bh ? bh + g * U : NULL, acc, ag + g * U);
    }
    if (rec) memcpy(rec + GRU__REC_H * U, h, U * sizeof(T));
    for (size_t j = 0; j < U; j++) pre[j] = xg[j] + ag[j];
    ACT_ROW(&c->recurrent_activation, U, pre, z);
    if (rec) memcpy(rec + GRU__REC_PZ * U, pre, U * sizeof(T));
    for (size_t j = 0; j < U; j++) pre[j] = xg[U + j] + ag[U + j];
    ACT_ROW(&c->recurrent_activation, U, pre, r);
    if (rec) memcpy(rec + GRU__REC_PR * U, pre, U * sizeof(T));

    /* Candidate: the state for R_h is h ⊙ rm[2] (mode 1 with recurrent
     * dropout) or h. */
    const T *hs = h;
    if (rm[2]) {
        for (size_t k = 0; k < U; k++) hin[k] = h[k] * rm[2][k];
        hs = hin;
    }
    T *ah = ag + 2 * U;
    if (c->reset_after) {
        /* r ⊙ (h·R_h + bh_h): reset applied after the matmul. */
        VECMAT(U, U, hs, R + 2 * U, U3, bh ? bh + 2 * U : NULL, acc, ah);
        if (rec) memcpy(rec + GRU__REC_AH * U, ah, U * sizeof(T));
        for (size_t j = 0; j < U; j++) ah[j] = r[j] * ah[j];
    } else {
        /* (r ⊙ h)·R_h: reset applied before the matmul. */
        for (size_t k = 0; k < U; k++) hin[k] = r[k] * hs[k];
        VECMAT(U, U, hin, R + 2 * U, U3, NULL, acc, ah);
    }
    for (size_t j = 0; j < U; j++) pre[j] = xg[2 * U + j] + ah[j];
    ACT_ROW(&c->activation, U, pre, hh);
    if (rec) {
        memcpy(rec + GRU__REC_PH * U, pre, U * sizeof(T));
        memcpy(rec + GRU__REC_Z * U, z, U * sizeof(T));
        memcpy(rec + GRU__REC_R * U, r, U * sizeof(T));
        memcpy(rec + GRU__REC_HH * U, hh, U * sizeof(T));
    }

    /* h' = z ⊙ h + (1 − z) ⊙ hh, with the undropped h. */
    for (size_t j = 0; j < U; j++) {
        const T zh = z[j] * h[j];
        const T one_minus_z = (T)1 - z[j];
        out[j] = zh + one_minus_z * hh[j];
    }
}

/* The cell's call over `batch` rows. dp (3 x batch x F) and rdp
 * (3 x batch x U) are the cached masks or NULL. */
void SUF(gru__step)(const gru_cell *cell, size_t batch, const T *x, const T *h, const T *dp,
                    const T *rdp, T *h_new, void *scratch) {
    const size_t F = cell->F, U = cell->U;
    T *xg = (T *)((char *)scratch + gru__row_scratch_bytes(F, U, sizeof(T)));
    for (size_t b = 0; b < batch; b++) {
        const T *m[3], *rm[3];
        SUF(gru__row_masks)(cell, batch, b, dp, rdp, m, rm);
        SUF(gru__input_row)(cell, x + b * F, m, xg, scratch);
        SUF(gru__recurrent_row)(cell, xg, h + b * U, rm, h_new + b * U, scratch, NULL);
    }
}

/* The mask rows a row b uses: Keras applies masks only for 0 < rate < 1;
 * mode 1 uses mask g for gate g, mode 2 mask 0 for all gates and no
 * recurrent masks (recurrent dropout forces mode 1 anyway). */
void SUF(gru__row_masks)(const gru_cell *cell, size_t batch, size_t b, const T *dp, const T *rdp,
                         const T *m[3], const T *rm[3]) {
    const gru_cell_config *c = &cell->cfg;
    const size_t F = cell->F, U = cell->U;
    const int mode1 = c->implementation == 1;
    const int use_dp = dp && c->dropout > 0.0 && c->dropout < 1.0;
    const int use_rdp = mode1 && rdp && c->recurrent_dropout > 0.0 && c->recurrent_dropout < 1.0;
    for (size_t g = 0; g < 3; g++) {
        m[g] = use_dp ? dp + (mode1 ? g : 0) * batch * F + b * F : NULL;
        rm[g] = use_rdp ? rdp + g * batch * U + b * U : NULL;
    }
}
