/* Vectorised float32 gate activations for panel_impl.h (not a header of its
 * own): linear, relu (plain), hard_sigmoid (Keras 2), hard_sigmoid_k3,
 * sigmoid and tanh, on the vector layer's VF_* ops.
 *
 * Every variant evaluates the same operations in the same order (one
 * rounding per VF_ADD/SUB/MUL/DIV, one per VF_FMA; the generic layer uses
 * fmaf), and MIN/MAX/selects have the same semantics everywhere, so every
 * packed variant gives the same bits, lane by lane; a tail shorter than a
 * vector runs through a padded copy, so a lane's result does not depend on
 * its position either.
 *
 * relu, linear, hard_sigmoid and hard_sigmoid_k3 are exact: they round at
 * the very places the scalar (activations_impl.h) code does, so they equal
 * it bit for bit, NaN included.
 *
 * sigmoid: e / (1 + e), e = exp(x) (Eigen's form, as the scalar code), x
 * clamped to [-87, 16.6355324] (above: 1, as the scalar; below: e ~ 1.6e-38
 * instead of a smaller subnormal). exp: Cody-Waite reduction with fma
 * (n = rint(x log2 e) by the 1.5 * 2^23 trick; r = x - n ln2 in two fma
 * steps), Cephes' degree-5 polynomial for expf (Horner with fma), times 2^n
 * built from the exponent bits. Measured exhaustively over every float32 x
 * >= -87 against 1 / (1 + exp(-x)) in double: <= 2.41 ulp of the result
 * (relative <= 1.8e-7, absolute <= 9e-8; the worst case near x = -4.16,
 * where e / (1 + e) adds the division's and the sum's roundings to exp's).
 * NaN is passed through (the scalar code's clamp turns it into 1).
 *
 * tanh: |x| < 0.625: x + x w Q(w), w = x^2, Q a degree-5 least-squares fit
 * of (tanh(x)/x - 1)/w on [0, 0.625] (approximation error 0.02 ulp; Horner
 * with fma); otherwise 1 - 2 / (exp(2|x|) + 1) with |x| clamped to 9 (where
 * tanh rounds to 1), the exp above; sign copied from x, NaN passed through.
 * Measured exhaustively over every float32 against tanh in double: <= 1.33
 * ulp (relative <= 1.5e-7, absolute <= 8e-8; worst just above |x| = 0.625,
 * in the exp branch). The same run found the avx2, avx512 and generic
 * results identical for all 2^32 inputs, NaNs included (sigmoid too).
 * TF's own float32 tanh (Eigen's rational approximation) is of the same
 * order off the exact value, and the float32 cell goldens (2e-6 against Keras) hold with it; the scalar variant
 * keeps libm. Float64 keeps libm in every variant. */

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

/* exp(x) for x in [-87, 18] (see above). */
GRU__ALWAYS_INLINE gru__vf GRU__ISA(vexp)(gru__vf x) {
    const gru__vf magic = VF_SET1(12582912.0f); /* 1.5 * 2^23 */
    const gru__vf n = VF_SUB(VF_FMA(x, VF_SET1(1.44269504088896341f), magic), magic);
    gru__vf r = VF_FMA(n, VF_SET1(-0.693359375f), x);
    r = VF_FMA(n, VF_SET1(2.12194440e-4f), r);
    gru__vf p = VF_SET1(1.9875691500e-4f);
    p = VF_FMA(p, r, VF_SET1(1.3981999507e-3f));
    p = VF_FMA(p, r, VF_SET1(8.3334519073e-3f));
    p = VF_FMA(p, r, VF_SET1(4.1665795894e-2f));
    p = VF_FMA(p, r, VF_SET1(1.6666665459e-1f));
    p = VF_FMA(p, r, VF_SET1(5.0000001201e-1f));
    const gru__vf y = VF_ADD(VF_FMA(p, VF_MUL(r, r), r), VF_SET1(1.0f));
    return VF_MUL(y, VF_POW2I(n));
}

GRU__ALWAYS_INLINE gru__vf GRU__ISA(vsigmoid)(gru__vf x) {
    /* MIN(x, hi) gives hi for NaN, so exp sees a finite value */
    const gru__vf xc = VF_MAX(VF_MIN(x, VF_SET1(16.6355324f)), VF_SET1(-87.0f));
    const gru__vf e = GRU__ISA(vexp)(xc);
    return VF_NAN_SEL(x, VF_DIV(e, VF_ADD(VF_SET1(1.0f), e)));
}

GRU__ALWAYS_INLINE gru__vf GRU__ISA(vtanh)(gru__vf x) {
    const gru__vf ax = VF_ABS(x), w = VF_MUL(ax, ax);
    gru__vf q = VF_SET1(2.182707889e-3f);
    q = VF_FMA(q, w, VF_SET1(-8.220166899e-3f));
    q = VF_FMA(q, w, VF_SET1(2.171768993e-2f));
    q = VF_FMA(q, w, VF_SET1(-5.394979566e-2f));
    q = VF_FMA(q, w, VF_SET1(1.333322972e-1f));
    q = VF_FMA(q, w, VF_SET1(-3.333333135e-1f));
    const gru__vf small = VF_FMA(VF_MUL(ax, w), q, ax);
    const gru__vf ac = VF_MIN(ax, VF_SET1(9.0f)); /* 9 for NaN */
    const gru__vf e = GRU__ISA(vexp)(VF_ADD(ac, ac));
    const gru__vf big = VF_SUB(VF_SET1(1.0f), VF_DIV(VF_SET1(2.0f), VF_ADD(e, VF_SET1(1.0f))));
    const gru__vf t = VF_LT_SEL(ax, VF_SET1(0.625f), small, big);
    return VF_NAN_SEL(x, VF_COPYSIGN(t, x));
}

/* Keras 2 hard_sigmoid: x*0.2 + 0.5 (two roundings), min(., 1), max(., 0). */
GRU__ALWAYS_INLINE gru__vf GRU__ISA(vhsig)(gru__vf x) {
    const gru__vf t = VF_ADD(VF_MUL(x, VF_SET1(0.2f)), VF_SET1(0.5f));
    return VF_MAX(VF_MIN(t, VF_SET1(1.0f)), VF_SET1(0.0f));
}

/* Keras 3 hard_sigmoid: relu6(x + 3) / 6. */
GRU__ALWAYS_INLINE gru__vf GRU__ISA(vhsig3)(gru__vf x) {
    const gru__vf u = VF_ADD(x, VF_SET1(3.0f));
    const gru__vf v = VF_MIN(VF_MAX(u, VF_SET1(0.0f)), VF_SET1(6.0f));
    return VF_DIV(v, VF_SET1(6.0f));
}

GRU__ALWAYS_INLINE gru__vf GRU__ISA(vrelu)(gru__vf x) { return VF_MAX(x, VF_SET1(0.0f)); }

#define GRU__ACT_LOOP(fn)                                                      \
    do {                                                                       \
        size_t i = 0;                                                          \
        for (; i + VF_N <= n; i += VF_N) VF_STORE(y + i, fn(VF_LOAD(x + i)));  \
        if (i < n) {                                                           \
            float buf[VF_N] = {0};                                             \
            memcpy(buf, x + i, (n - i) * sizeof(float));                       \
            VF_STORE(buf, fn(VF_LOAD(buf)));                                   \
            memcpy(y + i, buf, (n - i) * sizeof(float));                       \
        }                                                                      \
    } while (0)

static int GRU__ISA(act_f32)(int kind, size_t n, const float *x, float *y) {
    switch (kind) {
    case GRU__VACT_LINEAR:
        if (y != x) memmove(y, x, n * sizeof *y);
        return 1;
    case GRU__VACT_RELU: GRU__ACT_LOOP(GRU__ISA(vrelu)); return 1;
    case GRU__VACT_SIGMOID: GRU__ACT_LOOP(GRU__ISA(vsigmoid)); return 1;
    case GRU__VACT_TANH: GRU__ACT_LOOP(GRU__ISA(vtanh)); return 1;
    case GRU__VACT_HARD_SIGMOID: GRU__ACT_LOOP(GRU__ISA(vhsig)); return 1;
    case GRU__VACT_HARD_SIGMOID_K3: GRU__ACT_LOOP(GRU__ISA(vhsig3)); return 1;
    default: return 0;
    }
}
#undef GRU__ACT_LOOP
