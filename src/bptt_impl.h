/* Backpropagation through time of the layer (the inverse of layer_impl.h),
 * written once for both element types. Included by backward.c with T and
 * SUF(name).
 *
 * Forward, per processing step p (input step t) and sample b:
 *   valid:   state = cell(x_t, state); out_p = state
 *   masked:  state kept; out_p = zero_output_for_mask ? 0 : out_{p-1}  (out_{-1} = 0)
 * so two gradients flow backwards: d state, and d carry (into out_{p-1}
 * through the masked steps that copied it).
 *
 * Two implementations: row by row through backward_impl.h (the scalar
 * variant, the reference), and batched (every variant with the bw_*
 * kernels): per step, the elementwise part row by row, then the step's
 * valid rows together through matrix products, d h = dPre·R^T,
 * d x = dPre·W^T, dR += H^T·dPre, dW += X^T·dPre (kernels.h: bw_gemm,
 * bw_outer). */

typedef struct SUF(gru__bptt) {
    const gru_layer *layer;
    const gru_seq *in;
    const char *rec;        /* (T, B, 8U) */
    const void *dp, *rdp;   /* the call's dropout masks or NULL */
    const void *d_output, *d_state;
    void *d_x, *d_init;
    const gru_cell_grads *grads;
    char *ws;
    const bwd_plan *plan;
} SUF(gru__bptt);

static gru_status SUF(gru__layer_bptt_rows)(const SUF(gru__bptt) *a) {
    const gru_layer *l = a->layer;
    const gru_cell *cell = l->cell;
    const gru_seq *in = a->in;
    const size_t B = (size_t)in->batch, Tn = (size_t)in->steps, U = cell->U, F = cell->F;
    const int masked = in->mask || in->lengths, tm = l->cfg.time_major;
    T *dstate = (T *)(a->ws + a->plan->dstate), *dcarry = (T *)(a->ws + a->plan->dcarry);
    T *dh = (T *)(a->ws + a->plan->dh), *dprev = (T *)(a->ws + a->plan->dprev);
    T *bws = (T *)(a->ws + a->plan->bws);
    const T *dout = (const T *)a->d_output;
    const T *rec = (const T *)a->rec;
    T *dx = (T *)a->d_x;

    if (a->d_state) memcpy(dstate, a->d_state, B * U * sizeof(T));
    else memset(dstate, 0, B * U * sizeof(T));
    memset(dcarry, 0, B * U * sizeof(T));
    if (dx) memset(dx, 0, B * Tn * F * sizeof(T));

    for (size_t pp = Tn; pp-- > 0;) {
        const size_t t = l->cfg.go_backwards ? Tn - 1 - pp : pp;
        for (size_t b = 0; b < B; b++) {
            /* gradient reaching this step's output */
            const T *go = NULL;
            if (l->cfg.return_sequences) go = dout + (tm ? (pp * B + b) : (b * Tn + pp)) * U;
            else if (pp == Tn - 1) go = dout + b * U;
            T *dc = dcarry + b * U, *ds = dstate + b * U;
            if (!masked || gru__step_valid(l, in, t, b)) {
                for (size_t j = 0; j < U; j++) dh[j] = ds[j] + dc[j] + (go ? go[j] : (T)0);
                const T *m[3], *rm[3];
                SUF(gru__row_masks)(cell, B, b, (const T *)a->dp, (const T *)a->rdp, m, rm);
                const T *x = (const T *)in->x + (tm ? (t * B + b) : (b * Tn + t)) * F;
                T *dxr = dx ? dx + (tm ? (t * B + b) : (b * Tn + t)) * F : NULL;
                gru_status s = SUF(gru__backward_row)(cell, rec + (pp * B + b) * GRU__REC_SLOTS * U,
                                                      x, m, rm, dh, dprev, dxr, a->grads, bws);
                if (s) return s;
                memcpy(ds, dprev, U * sizeof(T));
                memset(dc, 0, U * sizeof(T));
            } else if (l->cfg.zero_output_for_mask) {
                memset(dc, 0, U * sizeof(T)); /* the output was a constant 0 */
            } else if (go) {
                for (size_t j = 0; j < U; j++) dc[j] += go[j]; /* out_p = out_{p-1} */
            }
        }
    }
    /* d carry now reaches the zeros out_{-1} started from: dropped. */
    if (a->d_init) memcpy(a->d_init, dstate, B * U * sizeof(T));
    return GRU_OK;
}

/* The kernels of this element type. */
#define GRU__BW_GEMM(kn) ((kn)->SUF(bw_gemm))
#define GRU__BW_OUTER(kn) ((kn)->SUF(bw_outer))

/* gru_activation_grad of one row, with the common built-ins inline (the
 * expressions of activations_impl.h, so the same bits). dx may equal dy. */
static gru_status SUF(gru__bw_act_grad)(const gru_activation *act, size_t n,
                                        const T *restrict x, const T *restrict y, const T *dy,
                                        T *dx) {
    switch (act->kind) {
    case GRU_ACT_LINEAR:
        if (dx != dy) memcpy(dx, dy, n * sizeof(T));
        return GRU_OK;
    case GRU_ACT_TANH:
        for (size_t i = 0; i < n; i++) dx[i] = dy[i] * (1 - y[i] * y[i]);
        return GRU_OK;
    case GRU_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++) dx[i] = dy[i] * y[i] * (1 - y[i]);
        return GRU_OK;
    case GRU_ACT_HARD_SIGMOID: /* 0.2 where 0 <= 0.2x + 0.5 <= 1 */
        for (size_t i = 0; i < n; i++) {
            const T t = x[i] * (T)0.2 + (T)0.5;
            dx[i] = (t <= 1 && t >= 0) ? dy[i] * (T)0.2 : 0;
        }
        return GRU_OK;
    case GRU_ACT_HARD_SIGMOID_K3: /* 1/6 where 0 < x + 3 < 6 */
        for (size_t i = 0; i < n; i++) {
            const T u = x[i] + 3;
            dx[i] = (u > 0 && u < 6) ? dy[i] / 6 : 0;
        }
        return GRU_OK;
    default: return gru_activation_grad(act, GRU__DT, 1, n, x, y, dy, dx);
    }
}

/* The first half of backward_impl.h for one row: g = ds + dc (+ go), the
 * gradient reaching h'; dz = g ⊙ (h − hh), dhh = g ⊙ (1 − z), and ds
 * becomes g ⊙ z (h's direct share); dc is zeroed. */
static void SUF(gru__bw_split)(size_t U, T *restrict ds, T *restrict dc, const T *restrict go,
                               const T *restrict h, const T *restrict z, const T *restrict hh,
                               T *restrict dz, T *restrict dhh) {
    if (go)
        for (size_t j = 0; j < U; j++) {
            const T g = ds[j] + dc[j] + go[j];
            dz[j] = g * (h[j] - hh[j]);
            dhh[j] = g * ((T)1 - z[j]);
            ds[j] = g * z[j];
            dc[j] = 0;
        }
    else
        for (size_t j = 0; j < U; j++) {
            const T g = ds[j] + dc[j];
            dz[j] = g * (h[j] - hh[j]);
            dhh[j] = g * ((T)1 - z[j]);
            ds[j] = g * z[j];
            dc[j] = 0;
        }
}

/* Small element-wise loops, restrict-qualified so that they vectorise. */
static void SUF(gru__bw_add)(size_t n, const T *restrict a, T *restrict y) { /* y += a */
    for (size_t j = 0; j < n; j++) y[j] += a[j];
}
static void SUF(gru__bw_mul)(size_t n, const T *restrict a, const T *restrict b,
                             T *restrict y) { /* y = a ⊙ b */
    for (size_t j = 0; j < n; j++) y[j] = a[j] * b[j];
}
static void SUF(gru__bw_addmul)(size_t n, const T *restrict a, const T *restrict b,
                                T *restrict y) { /* y += a ⊙ b */
    for (size_t j = 0; j < n; j++) y[j] += a[j] * b[j];
}
/* reset_after: dr = dph ⊙ a, d a = dph ⊙ r */
static void SUF(gru__bw_ra)(size_t n, const T *restrict dph, const T *restrict a,
                            const T *restrict r, T *restrict dr, T *restrict da) {
    for (size_t j = 0; j < n; j++) {
        dr[j] = dph[j] * a[j];
        da[j] = dph[j] * r[j];
    }
}
/* Without reset_after, from dq = d(r ⊙ hs2) (hs2 = h ⊙ rm2, or h):
 * dr = dq ⊙ hs2, ds += (dq ⊙ r) ⊙ rm2, and q = r ⊙ hs2 for dR_h. */
static void SUF(gru__bw_q)(size_t n, const T *restrict dq, const T *restrict h,
                           const T *restrict rm2, const T *restrict r, T *restrict dr,
                           T *restrict ds, T *restrict q) {
    if (rm2)
        for (size_t j = 0; j < n; j++) {
            const T hs2 = h[j] * rm2[j];
            dr[j] = dq[j] * hs2;
            ds[j] += dq[j] * r[j] * rm2[j];
            q[j] = r[j] * hs2;
        }
    else
        for (size_t j = 0; j < n; j++) {
            dr[j] = dq[j] * h[j];
            ds[j] += dq[j] * r[j];
            q[j] = r[j] * h[j];
        }
}

/* Ask for n elements from p into the cache (a hint; nothing without GCC's
 * or Clang's builtin). */
static void SUF(gru__bw_prefetch)(const T *p, size_t n) {
#if defined(__GNUC__) || defined(__clang__)
    const char *c = (const char *)p;
    for (size_t i = 0; i < n * sizeof(T); i += 64) __builtin_prefetch(c + i, 0, 2);
#else
    (void)p, (void)n;
#endif
}

/* rows[i] = base + i * ld, i < n */
static void SUF(gru__rows)(size_t n, T *base, size_t ld, T **rows) {
    for (size_t i = 0; i < n; i++) rows[i] = base + i * ld;
}

/* The batched BPTT (see the top of the file). d pre of a step's valid row i
 * sits in dp + i * ld4 (ld4 = plan->ldd): d pre_z | d pre_r | d a | d pre_h
 * with reset_after (d a = d pre_h ⊙ r, the gradient of the recurrent
 * candidate term), else d pre_z | d pre_r | d pre_h; the blocks z, r and the
 * recurrent candidate (offA = 2U) are contiguous, as are R^T's rows, so
 * without recurrent dropout d h is one product over 3U (reset_after). The
 * weight gradients are rank-nv updates per step: each element's sum runs
 * over the rows in processing order, as the row-by-row path adds them. */
static gru_status SUF(gru__layer_bptt_batched)(const SUF(gru__bptt) *a) {
    const gru_layer *l = a->layer;
    const gru_cell *cell = l->cell;
    const gru_cell_config *c = &cell->cfg;
    const gru_kernels *kn = cell->kern;
    const bwd_plan *p = a->plan;
    const gru_seq *in = a->in;
    const size_t B = (size_t)in->batch, Tn = (size_t)in->steps, U = cell->U, F = cell->F;
    const size_t U3 = 3 * U, mx = U > F ? U : F, ldu = p->ldu, ldf = p->ldf;
    const int masked = in->mask || in->lengths, tm = l->cfg.time_major, ra = c->reset_after;
    const size_t ld4 = p->ldd, offA = 2 * U, offH = ra ? 3 * U : 2 * U;
    char *ws = a->ws;
    T *dstate = (T *)(ws + p->dstate), *dcarry = (T *)(ws + p->dcarry);
    T *rt = (T *)(ws + p->rt), *wt = (T *)(ws + p->wt), *dp = (T *)(ws + p->dp);
    T *tmp = (T *)(ws + p->tmp), *am = (T *)(ws + p->am);
    T *dz = (T *)(ws + p->rowt), *dhh = dz + U, *dr = dhh + U;
    T **pt = (T **)(void *)(ws + p->ptr), **pam = pt + B, **pds = pam + B, **pdx = pds + B;
    size_t *vrow = (size_t *)(void *)(ws + p->vrow);
    const T *W = (const T *)cell->kernel, *R = (const T *)cell->recurrent;
    T *gW = (T *)a->grads->kernel, *gR = (T *)a->grads->recurrent_kernel;
    T *gb = cell->bias ? (T *)a->grads->bias : NULL;
    const T *dout = (const T *)a->d_output, *rec = (const T *)a->rec, *X = (const T *)in->x;
    T *dx = (T *)a->d_x;
    const T *m[3], *rm[3];
    SUF(gru__row_masks)(cell, B, 0, (const T *)a->dp, (const T *)a->rdp, m, rm);
    const int has_m = m[0] != NULL, has_rm = rm[0] != NULL;
    gru_status s;

    /* The kernels read rows of R^T, W^T and dPre in whole vectors, past
     * their last column: the padding is zeroed, so it is defined. */
    memset(rt, 0, U3 * ldu * sizeof(T));
    memset(dp, 0, B * ld4 * sizeof(T) + 64);
    for (size_t k = 0; k < U; k++)
        for (size_t j = 0; j < U3; j++) rt[j * ldu + k] = R[k * U3 + j];
    if (dx) {
        memset(wt, 0, U3 * ldf * sizeof(T));
        for (size_t k = 0; k < F; k++)
            for (size_t j = 0; j < U3; j++) wt[j * ldf + k] = W[k * U3 + j];
    }
    if (a->d_state) memcpy(dstate, a->d_state, B * U * sizeof(T));
    else memset(dstate, 0, B * U * sizeof(T));
    memset(dcarry, 0, B * U * sizeof(T));
    if (dx) memset(dx, 0, B * Tn * F * sizeof(T));
    SUF(gru__rows)(B, tmp, mx, pt);
    SUF(gru__rows)(B, am, mx, pam);
    T **pq = pam; /* without reset_after: the rows r ⊙ hs2 */

    for (size_t pp = Tn; pp-- > 0;) {
        const size_t t = l->cfg.go_backwards ? Tn - 1 - pp : pp;
        size_t nv = 0;
        for (size_t b = 0; b < B; b++) {
            if (!masked || gru__step_valid(l, in, t, b)) {
                vrow[nv++] = b;
                continue;
            }
            T *dc = dcarry + b * U;
            if (l->cfg.zero_output_for_mask) {
                memset(dc, 0, U * sizeof(T)); /* the output was a constant 0 */
            } else {
                const T *go = NULL;
                if (l->cfg.return_sequences) go = dout + (tm ? (pp * B + b) : (b * Tn + pp)) * U;
                else if (pp == Tn - 1) go = dout + b * U;
                if (go)
                    for (size_t j = 0; j < U; j++) dc[j] += go[j]; /* out_p = out_{p-1} */
            }
        }
        if (!nv) continue;

        /* Elementwise, row by row (backward_impl.h's first half). */
        for (size_t i = 0; i < nv; i++) {
            const size_t b = vrow[i];
            const T *go = NULL;
            if (l->cfg.return_sequences) go = dout + (tm ? (pp * B + b) : (b * Tn + pp)) * U;
            else if (pp == Tn - 1) go = dout + b * U;
            const T *rc = rec + (pp * B + b) * GRU__REC_SLOTS * U;
            const T *h = rc + GRU__REC_H * U, *z = rc + GRU__REC_Z * U, *r = rc + GRU__REC_R * U;
            const T *hh = rc + GRU__REC_HH * U;
            T *ds = dstate + b * U, *di = dp + i * ld4;
            SUF(gru__bw_split)(U, ds, dcarry + b * U, go, h, z, hh, dz, dhh);
            s = SUF(gru__bw_act_grad)(&c->activation, U, rc + GRU__REC_PH * U, hh, dhh, di + offH);
            if (!s)
                s = SUF(gru__bw_act_grad)(&c->recurrent_activation, U, rc + GRU__REC_PZ * U, z, dz,
                                          di);
            if (s) return s;
            if (ra) {
                SUF(gru__bw_ra)(U, di + offH, rc + GRU__REC_AH * U, r, dr, di + offA);
                s = SUF(gru__bw_act_grad)(&c->recurrent_activation, U, rc + GRU__REC_PR * U, r,
                                          dr, di + U);
                if (s) return s;
            }
            pds[i] = ds;
            pdx[i] = dx ? dx + (tm ? (t * B + b) : (b * Tn + t)) * F : NULL;
        }

        /* The next step's records (contiguous), fetched during the products. */
        if (pp > 0) SUF(gru__bw_prefetch)(rec + (pp - 1) * B * GRU__REC_SLOTS * U,
                                          B * GRU__REC_SLOTS * U);

        /* Without reset_after, d r needs d q = d pre_h · R_h^T (q = r ⊙ hs2). */
        if (!ra) {
            GRU__BW_GEMM(kn)(nv, U, U, dp + offH, ld4, rt + 2 * U * ldu, ldu, pt, 0);
            for (size_t i = 0; i < nv; i++) {
                const size_t b = vrow[i];
                const T *rc = rec + (pp * B + b) * GRU__REC_SLOTS * U;
                const T *h = rc + GRU__REC_H * U, *r = rc + GRU__REC_R * U, *dq = tmp + i * mx;
                SUF(gru__row_masks)(cell, B, b, (const T *)a->dp, (const T *)a->rdp, m, rm);
                SUF(gru__bw_q)(U, dq, h, rm[2], r, dr, dstate + b * U, pq[i]);
                s = SUF(gru__bw_act_grad)(&c->recurrent_activation, U, rc + GRU__REC_PR * U, r,
                                          dr, dp + i * ld4 + U);
                if (s) return s;
            }
            GRU__BW_OUTER(kn)(nv, U, U, (const T *const *)pq, dp + offH, ld4, gR + 2 * U, U3);
        }

        /* d h through R, and dR (the gates whose term is R·(h ⊙ rm)). */
        const size_t ng = ra ? 3 : 2;
        if (!has_rm) {
            GRU__BW_GEMM(kn)(nv, ng * U, U, dp, ld4, rt, ldu, pds, 1);
            for (size_t i = 0; i < nv; i++)
                pam[i] = (T *)(rec + (pp * B + vrow[i]) * GRU__REC_SLOTS * U + GRU__REC_H * U);
            GRU__BW_OUTER(kn)(nv, U, ng * U, (const T *const *)pam, dp, ld4, gR, U3);
            SUF(gru__rows)(nv, am, mx, pam);
        } else {
            for (size_t g = 0; g < ng; g++) {
                GRU__BW_GEMM(kn)(nv, U, U, dp + g * U, ld4, rt + g * U * ldu, ldu, pt, 0);
                for (size_t i = 0; i < nv; i++) {
                    const size_t b = vrow[i];
                    const T *h = rec + (pp * B + b) * GRU__REC_SLOTS * U + GRU__REC_H * U;
                    const T *mr = (const T *)a->rdp + (g * B + b) * U, *th = tmp + i * mx;
                    SUF(gru__bw_addmul)(U, th, mr, dstate + b * U);
                    SUF(gru__bw_mul)(U, h, mr, am + i * mx);
                }
                GRU__BW_OUTER(kn)(nv, U, U, (const T *const *)pam, dp + g * U, ld4, gR + g * U, U3);
            }
        }

        /* Biases: input z | r | h, and with reset_after recurrent z | r | h. */
        if (gb)
            for (size_t i = 0; i < nv; i++) {
                const T *di = dp + i * ld4;
                SUF(gru__bw_add)(2 * U, di, gb);
                SUF(gru__bw_add)(U, di + offH, gb + 2 * U);
                if (ra) {
                    SUF(gru__bw_add)(2 * U, di, gb + U3);
                    SUF(gru__bw_add)(U, di + offA, gb + U3 + 2 * U);
                }
            }

        /* The input side: dW += X^T·dPre, d x = dPre·W^T (masked: per gate). */
        if (!has_m) {
            for (size_t i = 0; i < nv; i++) {
                const size_t b = vrow[i];
                pam[i] = (T *)(X + (tm ? (t * B + b) : (b * Tn + t)) * F);
            }
            if (!ra) {
                GRU__BW_OUTER(kn)(nv, F, U3, (const T *const *)pam, dp, ld4, gW, U3);
            } else {
                GRU__BW_OUTER(kn)(nv, F, 2 * U, (const T *const *)pam, dp, ld4, gW, U3);
                GRU__BW_OUTER(kn)(nv, F, U, (const T *const *)pam, dp + offH, ld4, gW + 2 * U, U3);
            }
            SUF(gru__rows)(nv, am, mx, pam);
            if (dx) {
                if (!ra) {
                    GRU__BW_GEMM(kn)(nv, U3, F, dp, ld4, wt, ldf, pdx, 0);
                } else {
                    GRU__BW_GEMM(kn)(nv, 2 * U, F, dp, ld4, wt, ldf, pdx, 0);
                    GRU__BW_GEMM(kn)(nv, U, F, dp + offH, ld4, wt + 2 * U * ldf, ldf, pdx, 1);
                }
            }
        } else {
            for (size_t g = 0; g < 3; g++) {
                const size_t off = g < 2 ? g * U : offH;
                for (size_t i = 0; i < nv; i++) {
                    const size_t b = vrow[i];
                    SUF(gru__row_masks)(cell, B, b, (const T *)a->dp, (const T *)a->rdp, m, rm);
                    const T *x = X + (tm ? (t * B + b) : (b * Tn + t)) * F;
                    SUF(gru__bw_mul)(F, x, m[g], am + i * mx);
                }
                GRU__BW_OUTER(kn)(nv, F, U, (const T *const *)pam, dp + off, ld4, gW + g * U, U3);
                if (dx) {
                    GRU__BW_GEMM(kn)(nv, U, F, dp + off, ld4, wt + g * U * ldf, ldf, pt, 0);
                    for (size_t i = 0; i < nv; i++) {
                        SUF(gru__row_masks)(cell, B, vrow[i], (const T *)a->dp,
                                            (const T *)a->rdp, m, rm);
                        SUF(gru__bw_addmul)(F, tmp + i * mx, m[g], pdx[i]);
                    }
                }
            }
        }
    }
    /* d carry now reaches the zeros out_{-1} started from: dropped. */
    if (a->d_init) memcpy(a->d_init, dstate, B * U * sizeof(T));
    return GRU_OK;
}
#undef GRU__BW_GEMM
#undef GRU__BW_OUTER

static gru_status SUF(gru__layer_bptt)(const SUF(gru__bptt) *a) {
    const gru_kernels *kn = a->layer->cell->kern;
    if (kn->SUF(bw_gemm) && kn->SUF(bw_outer)) return SUF(gru__layer_bptt_batched)(a);
    return SUF(gru__layer_bptt_rows)(a);
}
