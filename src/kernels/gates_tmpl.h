/* The fused step's float32 gate math (kernels.h: gates_f32) for
 * panel_impl.h, after act_tmpl.h (not a header of its own). Every operation
 * is one VF_ADD/SUB/MUL (one rounding, never contracted: the build is ISO C,
 * -ffp-contract=off) in step_impl.h's order, and the activations are
 * act_tmpl.h's, so a lane gives the bits of the scalar loops whatever the
 * variant or the lane's position; a tail shorter than a vector runs through
 * zero-padded copies. */

GRU__ALWAYS_INLINE gru__vf GRU__ISA(vact)(int kind, gru__vf x) {
    switch (kind) {
    case GRU__VACT_RELU: return GRU__ISA(vrelu)(x);
    case GRU__VACT_SIGMOID: return GRU__ISA(vsigmoid)(x);
    case GRU__VACT_TANH: return GRU__ISA(vtanh)(x);
    case GRU__VACT_HARD_SIGMOID: return GRU__ISA(vhsig)(x);
    case GRU__VACT_HARD_SIGMOID_K3: return GRU__ISA(vhsig3)(x);
    default: return x; /* linear */
    }
}

/* out = z*h + (1 - z)*hh */
GRU__ALWAYS_INLINE gru__vf GRU__ISA(vmix)(gru__vf z, gru__vf h, gru__vf hh) {
    return VF_ADD(VF_MUL(z, h), VF_MUL(VF_SUB(VF_SET1(1.0f), z), hh));
}

/* One vector of units at offset i (every pointer valid for VF_N there). */
GRU__ALWAYS_INLINE void GRU__ISA(gates_vec)(int stage, const gru__gates_f32 *g, size_t i) {
    const size_t P = g->P;
    if (stage == GRU__GATES_RA) {
        gru__vf sz = VF_LOAD(g->s + i), sr = VF_LOAD(g->s + P + i), ah = VF_LOAD(g->s + 2 * P + i);
        if (g->bz) {
            sz = VF_ADD(sz, VF_LOAD(g->bz + i));
            sr = VF_ADD(sr, VF_LOAD(g->br + i));
            ah = VF_ADD(ah, VF_LOAD(g->bh + i));
        }
        const gru__vf pz = VF_ADD(VF_LOAD(g->xz + i), sz), pr = VF_ADD(VF_LOAD(g->xr + i), sr);
        const gru__vf z = GRU__ISA(vact)(g->ract, pz), r = GRU__ISA(vact)(g->ract, pr);
        const gru__vf ph = VF_ADD(VF_LOAD(g->xh + i), VF_MUL(r, ah));
        const gru__vf hh = GRU__ISA(vact)(g->act, ph);
        const gru__vf out = GRU__ISA(vmix)(z, VF_LOAD(g->h + i), hh);
        if (g->record) { /* the backward pass wants them */
            VF_STORE(g->pz + i, pz);
            VF_STORE(g->pr + i, pr);
            VF_STORE(g->ah + i, ah);
            VF_STORE(g->z + i, z);
            VF_STORE(g->r + i, r);
            VF_STORE(g->ph + i, ph);
            VF_STORE(g->hh + i, hh);
        }
        VF_STORE(g->out + i, out);
    } else if (stage == GRU__GATES_ZR) {
        const gru__vf pz = VF_ADD(VF_LOAD(g->xz + i), VF_LOAD(g->s + i));
        const gru__vf pr = VF_ADD(VF_LOAD(g->xr + i), VF_LOAD(g->s + P + i));
        if (g->record) {
            VF_STORE(g->pz + i, pz);
            VF_STORE(g->pr + i, pr);
        }
        VF_STORE(g->z + i, GRU__ISA(vact)(g->ract, pz));
        VF_STORE(g->r + i, GRU__ISA(vact)(g->ract, pr));
    } else {
        const gru__vf ph = VF_ADD(VF_LOAD(g->xh + i), VF_LOAD(g->s + i));
        const gru__vf hh = GRU__ISA(vact)(g->act, ph);
        const gru__vf out = GRU__ISA(vmix)(VF_LOAD(g->z + i), VF_LOAD(g->h + i), hh);
        if (g->record) {
            VF_STORE(g->ph + i, ph);
            VF_STORE(g->hh + i, hh);
        }
        VF_STORE(g->out + i, out);
    }
}

static void GRU__ISA(gates_f32)(int stage, const gru__gates_f32 *g) {
    const size_t n = g->n;
    size_t i = 0;
    for (; i + VF_N <= n; i += VF_N) GRU__ISA(gates_vec)(stage, g, i);
    if (i == n) return;
    /* The tail: m < VF_N units through zero-padded copies (sums s keep
     * their panel layout, P apart). */
    const size_t m = n - i;
    enum { S, XZ, XR, XH, BZ, BR, BH, H, PZ, PR, PH, Z, R, HH, AH, OUT, NB };
    float buf[NB][3 * VF_N];
    memset(buf, 0, sizeof buf);
    gru__gates_f32 t = *g;
    t.P = VF_N;
    t.n = VF_N;
#define GRU__TAIL_IN(field, k)                                                 \
    do {                                                                       \
        if (g->field) {                                                        \
            memcpy(buf[k], g->field + i, m * sizeof(float));                   \
            t.field = buf[k];                                                  \
        }                                                                      \
    } while (0)
    for (size_t q = 0; q < 3; q++)
        if (stage == GRU__GATES_RA || q < (stage == GRU__GATES_ZR ? 2u : 1u))
            memcpy(buf[S] + q * VF_N, g->s + q * g->P + i, m * sizeof(float));
    t.s = buf[S];
    GRU__TAIL_IN(xz, XZ);
    GRU__TAIL_IN(xr, XR);
    GRU__TAIL_IN(xh, XH);
    GRU__TAIL_IN(bz, BZ);
    GRU__TAIL_IN(br, BR);
    GRU__TAIL_IN(bh, BH);
    GRU__TAIL_IN(h, H);
    if (stage == GRU__GATES_H) GRU__TAIL_IN(z, Z);
#undef GRU__TAIL_IN
    float *const outs[] = {g->pz, g->pr, g->ph, g->z, g->r, g->hh, g->ah, g->out};
    float **const touts[] = {&t.pz, &t.pr, &t.ph, &t.z, &t.r, &t.hh, &t.ah, &t.out};
    for (size_t k = 0; k < 8; k++)
        if (outs[k]) *touts[k] = buf[PZ + k];
    GRU__ISA(gates_vec)(stage, &t, 0);
    for (size_t k = 0; k < 8; k++) {
        const int written = stage == GRU__GATES_RA ? (k == 7 || g->record)
                            : stage == GRU__GATES_ZR ? (k == 3 || k == 4 || ((k == 0 || k == 1) && g->record))
                                                     : (k == 7 || ((k == 2 || k == 5) && g->record));
        if (outs[k] && written) memcpy(outs[k] + i, buf[PZ + k], m * sizeof(float));
    }
}
