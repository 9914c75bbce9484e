/* Backward of one GRU row (the inverse of step_impl.h's two halves), written
 * once for both element types. Included by backward.c with T, SUF(name) and
 * GRU__DT (GRU_F32 or GRU_F64).
 *
 * Forward (per row, spec §3; m/rm the dropout mask rows or none):
 *   pre_z = (x⊙m0)·W_z + bx_z + (h⊙rm0)·R_z [+ bh_z]      z = σr(pre_z)
 *   pre_r = (x⊙m1)·W_r + bx_r + (h⊙rm1)·R_r [+ bh_r]      r = σr(pre_r)
 *   reset_after:  a = (h⊙rm2)·R_h + bh_h,  pre_h = (x⊙m2)·W_h + bx_h + r⊙a
 *   else:         pre_h = (x⊙m2)·W_h + bx_h + (r⊙(h⊙rm2))·R_h
 *   hh = act(pre_h);   h' = z⊙h + (1−z)⊙hh
 * Given dh' this adds dW, dR, db into g, adds dx into dx (when not NULL) and
 * writes dh (the gradient w.r.t. h). Sums over U or F run in double. */

/* out[k] = sum_j M[k*ld + j] * v[j] for k < K (a row of M times v). */
static void SUF(rowdot)(size_t K, size_t N, const T *M, size_t ld, const T *v, T *out) {
    for (size_t k = 0; k < K; k++) {
        const T *row = M + k * ld;
        double s = 0.0;
        for (size_t j = 0; j < N; j++) s += (double)row[j] * (double)v[j];
        out[k] = (T)s;
    }
}

/* G[k*ld + j] += a[k] * d[j] (an outer product added to a gradient block). */
static void SUF(outer_add)(size_t K, size_t N, const T *a, const T *d, T *G, size_t ld) {
    for (size_t k = 0; k < K; k++) {
        const T ak = a[k];
        if (ak == (T)0) continue;
        T *row = G + k * ld;
        for (size_t j = 0; j < N; j++) row[j] += ak * d[j];
    }
}

/* v ⊙ m into out, or v itself when there is no mask. */
static const T *SUF(masked)(size_t n, const T *v, const T *m, T *out) {
    if (!m) return v;
    for (size_t k = 0; k < n; k++) out[k] = v[k] * m[k];
    return out;
}

static gru_status SUF(gru__backward_row)(const gru_cell *cell, const T *rec, const T *x,
                                         const T *const m[3], const T *const rm[3], const T *dh_new,
                                         T *dh, T *dx, const gru_cell_grads *g, T *ws) {
    const gru_cell_config *c = &cell->cfg;
    const size_t F = cell->F, U = cell->U, U3 = 3 * U;
    const T *W = (const T *)cell->kernel, *R = (const T *)cell->recurrent;
    const int has_bias = cell->bias != NULL, ra = c->reset_after;
    const T *h = rec + GRU__REC_H * U, *z = rec + GRU__REC_Z * U, *r = rec + GRU__REC_R * U;
    const T *hh = rec + GRU__REC_HH * U;
    T *dpre = ws;            /* 3U: d pre_z | d pre_r | d pre_h */
    T *dz = dpre + U3, *dr = dz + U, *dhh = dr + U, *hs = dhh + U, *tmp = hs + U;
    T *dxin = tmp + U;       /* F */
    T *gW = (T *)g->kernel, *gR = (T *)g->recurrent_kernel, *gb = (T *)g->bias;
    gru_status s;

    /* h' = z⊙h + (1−z)⊙hh */
    for (size_t j = 0; j < U; j++) {
        dz[j] = dh_new[j] * (h[j] - hh[j]);
        dhh[j] = dh_new[j] * ((T)1 - z[j]);
        dh[j] = dh_new[j] * z[j];
    }
    s = gru_activation_grad(&c->activation, GRU__DT, 1, U, rec + GRU__REC_PH * U, hh, dhh,
                            dpre + 2 * U);
    if (s) return s;

    /* The candidate's recurrent term. */
    const T *hs2 = SUF(masked)(U, h, rm[2], hs);
    const T *dph = dpre + 2 * U;
    if (ra) {
        const T *a = rec + GRU__REC_AH * U;
        for (size_t j = 0; j < U; j++) {
            dr[j] = dph[j] * a[j];
            dhh[j] = dph[j] * r[j]; /* reused: d a */
        }
        SUF(outer_add)(U, U, hs2, dhh, gR + 2 * U, U3);
        if (has_bias)
            for (size_t j = 0; j < U; j++) gb[U3 + 2 * U + j] += dhh[j];
        SUF(rowdot)(U, U, R + 2 * U, U3, dhh, tmp); /* d hs2 */
    } else {
        for (size_t k = 0; k < U; k++) dhh[k] = r[k] * hs2[k]; /* reused: q = r⊙hs2 */
        SUF(outer_add)(U, U, dhh, dph, gR + 2 * U, U3);
        SUF(rowdot)(U, U, R + 2 * U, U3, dph, tmp); /* d q */
        for (size_t k = 0; k < U; k++) {
            dr[k] = tmp[k] * hs2[k];
            tmp[k] = tmp[k] * r[k]; /* d hs2 */
        }
    }
    for (size_t k = 0; k < U; k++) dh[k] += rm[2] ? tmp[k] * rm[2][k] : tmp[k];

    /* Gates z and r. */
    s = gru_activation_grad(&c->recurrent_activation, GRU__DT, 1, U, rec + GRU__REC_PZ * U, z, dz,
                            dpre);
    if (!s)
        s = gru_activation_grad(&c->recurrent_activation, GRU__DT, 1, U, rec + GRU__REC_PR * U, r,
                                dr, dpre + U);
    if (s) return s;
    for (size_t gi = 0; gi < 2; gi++) {
        const T *d = dpre + gi * U;
        const T *hsg = SUF(masked)(U, h, rm[gi], hs);
        SUF(outer_add)(U, U, hsg, d, gR + gi * U, U3);
        if (has_bias && ra)
            for (size_t j = 0; j < U; j++) gb[U3 + gi * U + j] += d[j];
        SUF(rowdot)(U, U, R + gi * U, U3, d, tmp);
        for (size_t k = 0; k < U; k++) dh[k] += rm[gi] ? tmp[k] * rm[gi][k] : tmp[k];
    }

    /* The input side of all three gates. */
    for (size_t gi = 0; gi < 3; gi++) {
        const T *d = dpre + gi * U;
        T *xs = dxin; /* scratch for the masked input, then for d xin */
        const T *xin = SUF(masked)(F, x, m[gi], xs);
        SUF(outer_add)(F, U, xin, d, gW + gi * U, U3);
        if (has_bias)
            for (size_t j = 0; j < U; j++) gb[gi * U + j] += d[j];
        if (dx) {
            SUF(rowdot)(F, U, W + gi * U, U3, d, dxin);
            for (size_t k = 0; k < F; k++) dx[k] += m[gi] ? dxin[k] * m[gi][k] : dxin[k];
        }
    }
    return GRU_OK;
}
