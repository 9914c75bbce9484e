/* panel_impl.h's kernels for one element type T (vector type V of VN
 * lanes). Not a header of its own. */

/* nr rows (<= GRU__RB) x ng gates of one panel; ng, nr and direct are
 * constants at every call site, so the accumulators live in registers.
 * direct = 0: the sums go to out (panels' layout); 1: to o[r*ng + g], plus
 * bias[g] when given (panels_out). */
GRU__ALWAYS_INLINE void TSUF(block)(size_t K, const size_t ng, const T *Wp, const size_t nr,
                                    const T *const *a, T *out, const int direct,
                                    T *const *o, const T *const *bias) {
    const size_t P = 2 * VN, st = ng * P;
    V acc[GRU__RB][3][2];
    for (size_t r = 0; r < nr; r++)
        for (size_t g = 0; g < ng; g++) acc[r][g][0] = acc[r][g][1] = VZERO();
    for (size_t k = 0; k < K; k++) {
        const T *w = Wp + k * st;
        for (size_t g = 0; g < ng; g++) {
            const V w0 = VLOAD(w + g * P), w1 = VLOAD(w + g * P + VN);
            for (size_t r = 0; r < nr; r++) {
                const V b = VSET1(a[r * ng + g][k]);
                acc[r][g][0] = VFMA(b, w0, acc[r][g][0]);
                acc[r][g][1] = VFMA(b, w1, acc[r][g][1]);
            }
        }
    }
    for (size_t r = 0; r < nr; r++)
        for (size_t g = 0; g < ng; g++) {
            if (!direct) {
                VSTORE(out + (r * ng + g) * P, acc[r][g][0]);
                VSTORE(out + (r * ng + g) * P + VN, acc[r][g][1]);
            } else if (bias && bias[g]) {
                VSTORE(o[r * ng + g], VADD(acc[r][g][0], VLOAD(bias[g])));
                VSTORE(o[r * ng + g] + VN, VADD(acc[r][g][1], VLOAD(bias[g] + VN)));
            } else {
                VSTORE(o[r * ng + g], acc[r][g][0]);
                VSTORE(o[r * ng + g] + VN, acc[r][g][1]);
            }
        }
}

#define GRU__BLOCK_NG(nr)                                                      \
    do {                                                                       \
        if (ng == 3) TSUF(block)(K, 3, Wp, (nr), a, out, 0, NULL, NULL);          \
        else if (ng == 2) TSUF(block)(K, 2, Wp, (nr), a, out, 0, NULL, NULL);     \
        else TSUF(block)(K, 1, Wp, (nr), a, out, 0, NULL, NULL);                  \
    } while (0)

static void TSUF(panels)(size_t K, size_t ng, const T *Wp, size_t nrows, const T *const *a,
                         T *out) {
    const size_t P = 2 * VN;
    while (nrows >= GRU__RB) {
        GRU__BLOCK_NG(GRU__RB);
        a += GRU__RB * ng;
        out += GRU__RB * ng * P;
        nrows -= GRU__RB;
    }
    switch (nrows) {
#if GRU__RB > 3
    case 3: GRU__BLOCK_NG(3); break;
#endif
#if GRU__RB > 2
    case 2: GRU__BLOCK_NG(2); break;
#endif
#if GRU__RB > 1
    case 1: GRU__BLOCK_NG(1); break;
#endif
    default: break;
    }
}
#undef GRU__BLOCK_NG

/* The input projection's form (kernels.h: panels_out): 3 gates, each sum
 * (+ bias[g][i] after it, one rounding) stored straight to o[r*3 + g]. */
static void TSUF(panels_out)(size_t K, const T *Wp, size_t nrows, const T *const *a,
                             const T *const *bias, T *const *o) {
    while (nrows >= GRU__RB) {
        TSUF(block)(K, 3, Wp, GRU__RB, a, NULL, 1, o, bias);
        a += GRU__RB * 3;
        o += GRU__RB * 3;
        nrows -= GRU__RB;
    }
    switch (nrows) {
#if GRU__RB > 3
    case 3: TSUF(block)(K, 3, Wp, 3, a, NULL, 1, o, bias); break;
#endif
#if GRU__RB > 2
    case 2: TSUF(block)(K, 3, Wp, 2, a, NULL, 1, o, bias); break;
#endif
#if GRU__RB > 1
    case 1: TSUF(block)(K, 3, Wp, 1, a, NULL, 1, o, bias); break;
#endif
    default: break;
    }
}
