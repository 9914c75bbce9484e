/* One GRU time step with Keras' v1 GRUCell semantics (spec §3), written once
 * for both element types and split in two halves, so that the cell (both
 * halves per row) and the layer (all input halves first, then the
 * recurrence) run the very same arithmetic. Included by step.c with:
 *   T            element type (float or double)
 *   SUF(name)    name##_f32 or name##_f64
 *   VECMAT       the kernel table entry for T
 *   ACT_ROW      gru__act_row_f32 or _f64
 *   PANELS       the kernel table's packed panel product for T
 *
 * Evaluation order follows tf-keras so that float32 rounding happens at the
 * same places: each pre-activation is (x·W_g + bx_g) + (h·R_g [+ bh_g]); the
 * mix is (z·h) + ((1 − z)·hh). Rows are independent, so a batch gives the
 * same bits as its samples run one at a time. */

/* ---- the packed path (cell->pw != 0: a SIMD variant) ----------------------
 * The same arithmetic as below, but the products come from the variant's
 * panel kernel over the packed weights (summed in T with fma, see
 * kernels.h), and the recurrent half is fused: one pass over the packed R
 * gives z, r and the candidate's product for a panel of P units, whose gate
 * math and mix follow at once, while the panel's sums are in cache. The
 * rounding steps after each product are the generic path's, in its order. */

/* The packed path's scratch, after the generic part (gru__row_scratch_bytes). */
static T *SUF(pk_scratch)(const gru_cell *cell, void *ws) {
    return (T *)((char *)ws + row_scratch_generic(cell->F, cell->U, sizeof(T)));
}

/* a[g] = v ⊙ m[g] (a copy in cp + g*n), or v without a mask; a mask equal to
 * the previous gate's reuses its copy (mode 2 passes one mask thrice). */
static void SUF(masked3)(const T *v, const T *const m[3], size_t n, T *cp, const T *a[3]) {
    for (size_t g = 0; g < 3; g++) {
        if (!m[g]) {
            a[g] = v;
        } else if (g > 0 && m[g] == m[g - 1]) {
            a[g] = a[g - 1];
        } else {
            T *d = cp + g * n;
            for (size_t k = 0; k < n; k++) d[k] = v[k] * m[g][k];
            a[g] = d;
        }
    }
}

/* Input halves of nr <= GRU__ROWS_MAX rows at once: x[r], masks m[r][g],
 * outputs xg[r]. Each panel of W is loaded once for all the rows; each row
 * sums exactly as it would alone (kernels.h). */
static void SUF(input_rows_packed)(const gru_cell *cell, size_t nr, const T *const *x,
                                   const T *const (*m)[3], T *const *xg, void *ws) {
    const size_t F = cell->F, U = cell->U, P = cell->pw, FU = F > U ? F : U;
    const T *Wp = (const T *)cell->wpack;
    const T *bx = (const T *)cell->bias;
    T *cp = SUF(pk_scratch)(cell, ws), *acc = cp + 3 * FU * GRU__ROWS_MAX;
    const T *a[3 * GRU__ROWS_MAX];
    for (size_t r = 0; r < nr; r++) SUF(masked3)(x[r], m[r], F, cp + r * 3 * FU, a + 3 * r);
    for (size_t j0 = 0; j0 < U; j0 += P) {
        const size_t n = U - j0 < P ? U - j0 : P;
        PANELS(F, 3, Wp + j0 * F * 3, nr, a, acc);
        for (size_t r = 0; r < nr; r++)
            for (size_t g = 0; g < 3; g++) {
                T *o = xg[r] + g * U + j0;
                const T *s = acc + (r * 3 + g) * P;
                if (bx) {
                    for (size_t i = 0; i < n; i++) o[i] = s[i] + bx[g * U + j0 + i];
                } else {
                    for (size_t i = 0; i < n; i++) o[i] = s[i];
                }
            }
    }
}

/* Input halves of nr rows (any nr): blocks of GRU__ROWS_MAX rows on the
 * packed path, row by row on the generic one. */
void SUF(gru__input_rows)(const gru_cell *cell, size_t nr, const T *const *x,
                          const T *const (*m)[3], T *const *xg, void *ws) {
    for (size_t r = 0; r < nr; r += GRU__ROWS_MAX) {
        const size_t k = nr - r < GRU__ROWS_MAX ? nr - r : GRU__ROWS_MAX;
        if (cell->pw) {
            SUF(input_rows_packed)(cell, k, x + r, m + r, xg + r, ws);
        } else {
            for (size_t i = r; i < r + k; i++) SUF(gru__input_row)(cell, x[i], m[i], xg[i], ws);
        }
    }
}

static void SUF(recurrent_row_fused)(const gru_cell *cell, const T *xg, const T *h,
                                     const T *const rm[3], T *out, void *ws, T *rec) {
    const gru_cell_config *c = &cell->cfg;
    const size_t F = cell->F, U = cell->U, U3 = 3 * U, P = cell->pw, FU = F > U ? F : U;
    const T *Rp = (const T *)cell->rpack;
    const T *bh = (c->reset_after && cell->bias) ? (const T *)cell->bias + U3 : NULL;
    double *dacc = (double *)ws;
    T *hin = (T *)(dacc + U3) + F;
    T *pz = hin + U, *pr = pz + U, *ph = pr + U; /* the generic path's ag */
    T *z = ph + U, *r = z + U, *hh = r + U, *ah = hh + U;
    T *cp = SUF(pk_scratch)(cell, ws), *acc = cp + 3 * FU * GRU__ROWS_MAX;
    T *hn = acc + 3 * GRU__PANEL_MAX * GRU__ROWS_MAX;
    const T *a[3];
    SUF(masked3)(h, rm, U, cp, a);
    if (rec) memcpy(rec + GRU__REC_H * U, h, U * sizeof(T));

    if (c->reset_after) {
        /* One pass: z, r and h·R_h + bh_h per panel, then the mix into hn
         * (out may alias h, which later panels still read). */
        for (size_t j0 = 0; j0 < U; j0 += P) {
            const size_t n = U - j0 < P ? U - j0 : P;
            PANELS(U, 3, Rp + j0 * U * 3, 1, a, acc);
            for (size_t i = 0; i < n; i++) {
                const size_t j = j0 + i;
                pz[j] = xg[j] + (bh ? acc[i] + bh[j] : acc[i]);
                pr[j] = xg[U + j] + (bh ? acc[P + i] + bh[U + j] : acc[P + i]);
                ah[j] = bh ? acc[2 * P + i] + bh[2 * U + j] : acc[2 * P + i];
            }
            ACT_ROW(&c->recurrent_activation, n, pz + j0, z + j0);
            ACT_ROW(&c->recurrent_activation, n, pr + j0, r + j0);
            for (size_t i = 0; i < n; i++) {
                const size_t j = j0 + i;
                ph[j] = xg[2 * U + j] + r[j] * ah[j];
            }
            ACT_ROW(&c->activation, n, ph + j0, hh + j0);
            for (size_t j = j0; j < j0 + n; j++) {
                const T zh = z[j] * h[j];
                const T one_minus_z = (T)1 - z[j];
                hn[j] = zh + one_minus_z * hh[j];
            }
        }
        if (rec) memcpy(rec + GRU__REC_AH * U, ah, U * sizeof(T));
        memcpy(out, hn, U * sizeof(T));
    } else {
        /* Pass 1: z and r per panel; pass 2: (r ⊙ h)·R_h per panel, gate
         * and mix. Pass 2 reads h only at its own panel's units, before
         * writing them, so out may alias h. */
        const size_t npan = (U + P - 1) / P;
        for (size_t j0 = 0; j0 < U; j0 += P) {
            const size_t n = U - j0 < P ? U - j0 : P;
            PANELS(U, 2, Rp + j0 * U * 2, 1, a, acc);
            for (size_t i = 0; i < n; i++) {
                pz[j0 + i] = xg[j0 + i] + acc[i];
                pr[j0 + i] = xg[U + j0 + i] + acc[P + i];
            }
            ACT_ROW(&c->recurrent_activation, n, pz + j0, z + j0);
            ACT_ROW(&c->recurrent_activation, n, pr + j0, r + j0);
        }
        for (size_t k = 0; k < U; k++) hin[k] = r[k] * a[2][k];
        const T *Rh = Rp + npan * P * U * 2;
        const T *hin_c = hin;
        for (size_t j0 = 0; j0 < U; j0 += P) {
            const size_t n = U - j0 < P ? U - j0 : P;
            PANELS(U, 1, Rh + j0 * U, 1, &hin_c, acc);
            for (size_t i = 0; i < n; i++) ph[j0 + i] = xg[2 * U + j0 + i] + acc[i];
            ACT_ROW(&c->activation, n, ph + j0, hh + j0);
            for (size_t j = j0; j < j0 + n; j++) {
                const T zh = z[j] * h[j];
                const T one_minus_z = (T)1 - z[j];
                out[j] = zh + one_minus_z * hh[j];
            }
        }
    }
    if (rec) {
        memcpy(rec + GRU__REC_PZ * U, pz, U * sizeof(T));
        memcpy(rec + GRU__REC_PR * U, pr, U * sizeof(T));
        memcpy(rec + GRU__REC_PH * U, ph, U * sizeof(T));
        memcpy(rec + GRU__REC_Z * U, z, U * sizeof(T));
        memcpy(rec + GRU__REC_R * U, r, U * sizeof(T));
        memcpy(rec + GRU__REC_HH * U, hh, U * sizeof(T));
    }
}

/* Input half of one row: xg[g*U..] = (x ⊙ m_g)·W_g + bx_g for g = z, r, h.
 * m[g] is the dropout mask row used for gate g (NULL: none); mode 2 passes
 * the same mask 0 for all three. ws: scratch of gru__row_scratch_bytes. */
void SUF(gru__input_row)(const gru_cell *cell, const T *x, const T *const m[3], T *xg, void *ws) {
    if (cell->pw) {
        SUF(input_rows_packed)(cell, 1, &x, (const T *const(*)[3])m, &xg, ws);
        return;
    }
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
    if (cell->fused) {
        SUF(recurrent_row_fused)(cell, xg, h, rm, out, ws, rec);
        return;
    }
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
