/* One GRU time step with Keras' v1 GRUCell semantics (spec §3), written once
 * for both element types and split in two halves, so that the cell (both
 * halves per row) and the layer (all input halves first, then the
 * recurrence) run the very same arithmetic. Included by step.c with:
 *   T            element type (float or double)
 *   SUF(name)    name##_f32 or name##_f64
 *   VECMAT       the kernel table entry for T
 *   ACT_ROW      gru__act_row_f32 or _f64
 *   PANELS       the kernel table's packed panel product for T
 *   GATE(a,n,x,y) the fused path's activation row: the variant's vectorised
 *                one (float32, see kernels/act_tmpl.h) or ACT_ROW
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
        if (n == P && PANELS_OUT) { /* a whole panel: straight into xg */
            T *o[3 * GRU__ROWS_MAX];
            const T *bias[3] = {bx ? bx + j0 : NULL, bx ? bx + U + j0 : NULL,
                                bx ? bx + 2 * U + j0 : NULL};
            for (size_t r = 0; r < nr; r++)
                for (size_t g = 0; g < 3; g++) o[r * 3 + g] = xg[r] + g * U + j0;
            PANELS_OUT(F, Wp + j0 * F * 3, nr, a, bias, o);
            continue;
        }
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

/* The gate arguments (kernels.h) of one row at the panel of units
 * j0 .. j0+n: panel sums s, the row's input projections xg (3U), the
 * recurrent bias bh (3U, or NULL), the state h, its buffers at buf (pz, pr,
 * ph, z, r, hh, ah: U apart), r (the reset gate's buffer: buf + 4U, or a
 * shared one) and out. */
static SUF(gru__gates) SUF(gates_at)(int ract, int act, int record, size_t U, size_t P,
                                     size_t j0, size_t n, const T *s, const T *xg, const T *bh,
                                     const T *h, T *buf, T *r, T *out) {
    const SUF(gru__gates) g = {ract, act, record, n, P, s, xg + j0, xg + U + j0, xg + 2 * U + j0,
                               bh ? bh + j0 : NULL, bh ? bh + U + j0 : NULL,
                               bh ? bh + 2 * U + j0 : NULL, h + j0, buf + j0, buf + U + j0,
                               buf + 2 * U + j0, buf + 3 * U + j0, r + j0, buf + 5 * U + j0,
                               buf + 6 * U + j0, out + j0};
    return g;
}

/* One stage of a row's gate math over one panel (kernels.h: GRU__GATES_*):
 * the variant's kernel when it vectorises both activations (vg), else the
 * same operations in these scalar loops, in this order. */
static void SUF(panel_gates)(const gru_cell *cell, int vg, int stage, const SUF(gru__gates) *g) {
    if (vg) {
        GATES_FN(stage, g);
        return;
    }
    const gru_cell_config *c = &cell->cfg;
    const size_t n = g->n, P = g->P;
    const T *s = g->s;
    if (stage == GRU__GATES_RA) {
        for (size_t i = 0; i < n; i++) {
            g->pz[i] = g->xz[i] + (g->bz ? s[i] + g->bz[i] : s[i]);
            g->pr[i] = g->xr[i] + (g->bz ? s[P + i] + g->br[i] : s[P + i]);
            g->ah[i] = g->bz ? s[2 * P + i] + g->bh[i] : s[2 * P + i];
        }
        GATE(&c->recurrent_activation, n, g->pz, g->z);
        GATE(&c->recurrent_activation, n, g->pr, g->r);
        for (size_t i = 0; i < n; i++) g->ph[i] = g->xh[i] + g->r[i] * g->ah[i];
    } else if (stage == GRU__GATES_ZR) {
        for (size_t i = 0; i < n; i++) {
            g->pz[i] = g->xz[i] + s[i];
            g->pr[i] = g->xr[i] + s[P + i];
        }
        GATE(&c->recurrent_activation, n, g->pz, g->z);
        GATE(&c->recurrent_activation, n, g->pr, g->r);
        return;
    } else {
        for (size_t i = 0; i < n; i++) g->ph[i] = g->xh[i] + s[i];
    }
    GATE(&c->activation, n, g->ph, g->hh);
    for (size_t i = 0; i < n; i++) {
        const T zh = g->z[i] * g->h[i];
        const T one_minus_z = (T)1 - g->z[i];
        g->out[i] = zh + one_minus_z * g->hh[i];
    }
}

/* The recurrent halves of nr <= GRU__ROWS_MAX rows at once: each panel of
 * R is loaded once for all the rows (the panel kernel sums each row exactly
 * as it would alone), then each row's gate math and mix follow, in its own
 * scratch (9U per row after the panel sums), in the order a row alone runs
 * them: a row's bits do not depend on nr or on the other rows. out[q] may
 * alias h[q]. */
static void SUF(recurrent_rows_fused)(const gru_cell *cell, size_t nr, const T *const *xgs,
                                      const T *const *hs, const T *const (*rms)[3], T *const *outs,
                                      void *ws, T *const *recs) {
    const gru_cell_config *c = &cell->cfg;
    const size_t F = cell->F, U = cell->U, U3 = 3 * U, P = cell->pw, FU = F > U ? F : U;
    const T *Rp = (const T *)cell->rpack;
    const T *bh = (c->reset_after && cell->bias) ? (const T *)cell->bias + U3 : NULL;
    T *cp = SUF(pk_scratch)(cell, ws), *acc = cp + 3 * FU * GRU__ROWS_MAX;
    T *rows = acc + 3 * GRU__PANEL_MAX * GRU__ROWS_MAX; /* 9U per row */
    const T *a[3 * GRU__ROWS_MAX];
    int ract, act;
    const int vg = vgates(cell, GATES_FN != NULL, &ract, &act);
    for (size_t q = 0; q < nr; q++) {
        SUF(masked3)(hs[q], rms[q], U, cp + q * 3 * FU, a + 3 * q);
        if (recs[q]) memcpy(recs[q] + GRU__REC_H * U, hs[q], U * sizeof(T));
    }
/* row q's buffers: the generic path's pre-activations pz|pr|ph, then z, r,
 * hh, h·R_h (+ bh), r ⊙ h and the new state */
#define ROWBUF(q, i) (rows + ((q) * 9 + (i)) * U)

    if (c->reset_after) {
        /* One pass: z, r and h·R_h + bh_h per panel, then the mix into hn
         * (out may alias h, which later panels still read). */
        for (size_t j0 = 0; j0 < U; j0 += P) {
            const size_t n = U - j0 < P ? U - j0 : P;
            PANELS(U, 3, Rp + j0 * U * 3, nr, a, acc);
            for (size_t q = 0; q < nr; q++) {
                const SUF(gru__gates) g =
                    SUF(gates_at)(ract, act, recs[q] != NULL, U, P, j0, n, acc + q * 3 * P, xgs[q],
                                  bh, hs[q], ROWBUF(q, 0), ROWBUF(q, 4), ROWBUF(q, 8));
                SUF(panel_gates)(cell, vg, GRU__GATES_RA, &g);
            }
        }
        for (size_t q = 0; q < nr; q++) {
            if (recs[q]) memcpy(recs[q] + GRU__REC_AH * U, ROWBUF(q, 6), U * sizeof(T));
            memcpy(outs[q], ROWBUF(q, 8), U * sizeof(T));
        }
    } else {
        /* Pass 1: z and r per panel; pass 2: (r ⊙ h)·R_h per panel, gate
         * and mix. Pass 2 reads h only at its own panel's units, before
         * writing them, so out may alias h. */
        const size_t npan = (U + P - 1) / P;
        const T *a2[2 * GRU__ROWS_MAX], *hin_c[GRU__ROWS_MAX];
        for (size_t q = 0; q < nr; q++) {
            a2[2 * q] = a[3 * q];
            a2[2 * q + 1] = a[3 * q + 1];
            hin_c[q] = ROWBUF(q, 7);
        }
        for (size_t j0 = 0; j0 < U; j0 += P) {
            const size_t n = U - j0 < P ? U - j0 : P;
            PANELS(U, 2, Rp + j0 * U * 2, nr, a2, acc);
            for (size_t q = 0; q < nr; q++) {
                const SUF(gru__gates) g =
                    SUF(gates_at)(ract, act, recs[q] != NULL, U, P, j0, n, acc + q * 2 * P, xgs[q],
                                  NULL, hs[q], ROWBUF(q, 0), ROWBUF(q, 4), outs[q]);
                SUF(panel_gates)(cell, vg, GRU__GATES_ZR, &g);
            }
        }
        for (size_t q = 0; q < nr; q++) {
            const T *r = ROWBUF(q, 4), *hq = a[3 * q + 2];
            T *hin = ROWBUF(q, 7);
            for (size_t k = 0; k < U; k++) hin[k] = r[k] * hq[k];
        }
        const T *Rh = Rp + npan * P * U * 2;
        for (size_t j0 = 0; j0 < U; j0 += P) {
            const size_t n = U - j0 < P ? U - j0 : P;
            PANELS(U, 1, Rh + j0 * U, nr, hin_c, acc);
            for (size_t q = 0; q < nr; q++) {
                const SUF(gru__gates) g =
                    SUF(gates_at)(ract, act, recs[q] != NULL, U, P, j0, n, acc + q * P, xgs[q],
                                  NULL, hs[q], ROWBUF(q, 0), ROWBUF(q, 4), outs[q]);
                SUF(panel_gates)(cell, vg, GRU__GATES_H, &g);
            }
        }
    }
    for (size_t q = 0; q < nr; q++) {
        T *rec = recs[q];
        if (!rec) continue;
        memcpy(rec + GRU__REC_PZ * U, ROWBUF(q, 0), U * sizeof(T));
        memcpy(rec + GRU__REC_PR * U, ROWBUF(q, 1), U * sizeof(T));
        memcpy(rec + GRU__REC_PH * U, ROWBUF(q, 2), U * sizeof(T));
        memcpy(rec + GRU__REC_Z * U, ROWBUF(q, 3), U * sizeof(T));
        memcpy(rec + GRU__REC_R * U, ROWBUF(q, 4), U * sizeof(T));
        memcpy(rec + GRU__REC_HH * U, ROWBUF(q, 5), U * sizeof(T));
    }
#undef ROWBUF
}

/* One row's recurrent half restricted to the panels [p0, p1) of the packed
 * recurrent weights (units p0*P .. min(p1*P, U)), for a batch-1 call split
 * over threads (layer_impl.h): each thread owns a range of panels, and
 * writes out[j] for its units only. The arithmetic of each unit is that of
 * recurrent_rows_fused with one row, in the same order, so the bits are the
 * same. Fused path only (cell->fused). out must not alias h (the other
 * threads still read h). Without reset_after the candidate needs all of r:
 * each thread writes its units of r into rsh (U, shared), calls
 * sync(sync_arg) (a barrier of all the threads), then reads all of rsh. */
void SUF(gru__recurrent_row_panels)(const gru_cell *cell, const T *xg, const T *h,
                                    const T *const rm[3], T *out, void *ws, size_t p0, size_t p1,
                                    T *rsh, void (*sync)(void *), void *sync_arg) {
    const gru_cell_config *c = &cell->cfg;
    const size_t F = cell->F, U = cell->U, U3 = 3 * U, P = cell->pw, FU = F > U ? F : U;
    const T *Rp = (const T *)cell->rpack;
    const T *bh = (c->reset_after && cell->bias) ? (const T *)cell->bias + U3 : NULL;
    T *cp = SUF(pk_scratch)(cell, ws), *acc = cp + 3 * FU * GRU__ROWS_MAX;
    T *rows = acc + 3 * GRU__PANEL_MAX * GRU__ROWS_MAX;
    T *r = rows + 4 * U, *hin = rows + 7 * U; /* row buffers as recurrent_rows_fused's */
    const T *a[3];
    int ract, act;
    const int vg = vgates(cell, GATES_FN != NULL, &ract, &act);
    SUF(masked3)(h, rm, U, cp, a);
    if (c->reset_after) {
        for (size_t p = p0; p < p1 && p * P < U; p++) {
            const size_t j0 = p * P, n = U - j0 < P ? U - j0 : P;
            PANELS(U, 3, Rp + j0 * U * 3, 1, a, acc);
            const SUF(gru__gates) g =
                SUF(gates_at)(ract, act, 0, U, P, j0, n, acc, xg, bh, h, rows, r, out);
            SUF(panel_gates)(cell, vg, GRU__GATES_RA, &g);
        }
        return;
    }
    const size_t npan = (U + P - 1) / P;
    const T *a2[2] = {a[0], a[1]};
    for (size_t p = p0; p < p1 && p * P < U; p++) {
        const size_t j0 = p * P, n = U - j0 < P ? U - j0 : P;
        PANELS(U, 2, Rp + j0 * U * 2, 1, a2, acc);
        const SUF(gru__gates) g =
            SUF(gates_at)(ract, act, 0, U, P, j0, n, acc, xg, NULL, h, rows, rsh, out);
        SUF(panel_gates)(cell, vg, GRU__GATES_ZR, &g);
    }
    sync(sync_arg);
    const T *hq = a[2];
    for (size_t k = 0; k < U; k++) hin[k] = rsh[k] * hq[k];
    const T *Rh = Rp + npan * P * U * 2;
    const T *hin_c = hin;
    for (size_t p = p0; p < p1 && p * P < U; p++) {
        const size_t j0 = p * P, n = U - j0 < P ? U - j0 : P;
        PANELS(U, 1, Rh + j0 * U, 1, &hin_c, acc);
        const SUF(gru__gates) g =
            SUF(gates_at)(ract, act, 0, U, P, j0, n, acc, xg, NULL, h, rows, rsh, out);
        SUF(panel_gates)(cell, vg, GRU__GATES_H, &g);
    }
}

/* Recurrent halves of nr rows (any nr): blocks of GRU__ROWS_MAX rows on the
 * fused path, row by row otherwise; the same bits as gru__recurrent_row per
 * row. recs may be NULL (no records). */
void SUF(gru__recurrent_rows)(const gru_cell *cell, size_t nr, const T *const *xg,
                              const T *const *h, const T *const (*rm)[3], T *const *out, void *ws,
                              T *const *recs) {
    T *const none[GRU__ROWS_MAX] = {NULL};
    for (size_t q = 0; q < nr; q += GRU__ROWS_MAX) {
        const size_t k = nr - q < GRU__ROWS_MAX ? nr - q : GRU__ROWS_MAX;
        if (cell->fused) {
            SUF(recurrent_rows_fused)(cell, k, xg + q, h + q, rm + q, out + q, ws,
                                      recs ? recs + q : none);
        } else {
            for (size_t i = q; i < q + k; i++)
                SUF(gru__recurrent_row)(cell, xg[i], h[i], rm[i], out[i], ws,
                                        recs ? recs[i] : NULL);
        }
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
        SUF(recurrent_rows_fused)(cell, 1, &xg, &h, (const T *const(*)[3])rm, &out, ws, &rec);
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

/* The cell's call over `batch` rows, GRU__ROWS_MAX rows per block (each
 * row's bits are those it gets alone). dp (3 x batch x F) and rdp
 * (3 x batch x U) are the cached masks or NULL. */
void SUF(gru__step)(const gru_cell *cell, size_t batch, const T *x, const T *h, const T *dp,
                    const T *rdp, T *h_new, void *scratch) {
    const size_t F = cell->F, U = cell->U;
    const T *xs[GRU__ROWS_MAX], *hs[GRU__ROWS_MAX], *m[GRU__ROWS_MAX][3], *rm[GRU__ROWS_MAX][3];
    T *xg[GRU__ROWS_MAX], *outs[GRU__ROWS_MAX];
    xg[0] = (T *)((char *)scratch + gru__row_scratch_bytes(F, U, sizeof(T)));
    T *more = (T *)((char *)scratch + step_scratch_core(F, U, sizeof(T)));
    for (size_t q = 1; q < GRU__ROWS_MAX; q++) xg[q] = more + (q - 1) * 3 * U;
    for (size_t b0 = 0; b0 < batch; b0 += GRU__ROWS_MAX) {
        const size_t k = batch - b0 < GRU__ROWS_MAX ? batch - b0 : GRU__ROWS_MAX;
        for (size_t q = 0; q < k; q++) {
            SUF(gru__row_masks)(cell, batch, b0 + q, dp, rdp, m[q], rm[q]);
            xs[q] = x + (b0 + q) * F;
            hs[q] = h + (b0 + q) * U;
            outs[q] = h_new + (b0 + q) * U;
        }
        SUF(gru__input_rows)(cell, k, xs, (const T *const(*)[3])m, xg, scratch);
        SUF(gru__recurrent_rows)(cell, k, (const T *const *)xg, hs, (const T *const(*)[3])rm,
                                 outs, scratch, NULL);
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
