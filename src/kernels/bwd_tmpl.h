/* bwd_impl.h's kernels for one element type T (vector type V of VN lanes,
 * SFMA the scalar fused multiply-add). Not a header of its own.
 *
 * Both kernels give every output element the same chain of operations
 * whatever the block it falls in (2 vectors, 1 vector or the scalar column
 * tail) and whatever the other rows: a start value, then one fused
 * multiply-add per term in increasing order of the summed index. So a
 * result does not depend on M, on a row's position, on the vector width
 * or on the variant (the generic one uses C's fma()). */

/* nr (<= GRU__BW_RB) rows x nv (1 or 2) vectors of bw_gemm, columns n0.. */
GRU__ALWAYS_INLINE void TSUF(bw_gemm_blk)(size_t K, const T *a, size_t lda, const size_t nr,
                                          const T *b, size_t ldb, T *const *out, size_t n0,
                                          const size_t nv, const int accumulate) {
    V acc[GRU__BW_RB][2];
    for (size_t r = 0; r < nr; r++) {
        acc[r][0] = accumulate ? VLOAD(out[r] + n0) : VZERO();
        acc[r][1] = accumulate && nv > 1 ? VLOAD(out[r] + n0 + VN) : VZERO();
    }
    for (size_t k = 0; k < K; k++) {
        const T *bk = b + k * ldb + n0;
        const V w0 = VLOAD(bk), w1 = nv > 1 ? VLOAD(bk + VN) : w0;
        for (size_t r = 0; r < nr; r++) {
            const V s = VSET1(a[r * lda + k]);
            acc[r][0] = VFMA(s, w0, acc[r][0]);
            if (nv > 1) acc[r][1] = VFMA(s, w1, acc[r][1]);
        }
    }
    for (size_t r = 0; r < nr; r++) {
        VSTORE(out[r] + n0, acc[r][0]);
        if (nv > 1) VSTORE(out[r] + n0 + VN, acc[r][1]);
    }
}

#define GRU__BW_GEMM_ROWS(nv, ac)                                                             \
    do {                                                                                      \
        size_t m = 0;                                                                         \
        for (; m + GRU__BW_RB <= M; m += GRU__BW_RB)                                          \
            TSUF(bw_gemm_blk)(K, a + m * lda, lda, GRU__BW_RB, b, ldb, out + m, n0, (nv), (ac)); \
        switch (M - m) {                                                                      \
        case 3: TSUF(bw_gemm_blk)(K, a + m * lda, lda, 3, b, ldb, out + m, n0, (nv), (ac)); break; \
        case 2: TSUF(bw_gemm_blk)(K, a + m * lda, lda, 2, b, ldb, out + m, n0, (nv), (ac)); break; \
        case 1: TSUF(bw_gemm_blk)(K, a + m * lda, lda, 1, b, ldb, out + m, n0, (nv), (ac)); break; \
        default: break;                                                                       \
        }                                                                                     \
    } while (0)

/* kernels.h: bw_gemm. Columns outermost, so one column strip of b (K x 2VN)
 * serves every row block while it is in L1. */
static void TSUF(bw_gemm)(size_t M, size_t K, size_t N, const T *a, size_t lda, const T *b,
                          size_t ldb, T *const *out, int accumulate) {
    const int acc = accumulate != 0;
    size_t n0 = 0;
    for (; n0 + 2 * VN <= N; n0 += 2 * VN) {
        if (acc) GRU__BW_GEMM_ROWS(2, 1);
        else GRU__BW_GEMM_ROWS(2, 0);
    }
    if (n0 + VN <= N) {
        if (acc) GRU__BW_GEMM_ROWS(1, 1);
        else GRU__BW_GEMM_ROWS(1, 0);
        n0 += VN;
    }
    for (; n0 < N; n0++)
        for (size_t m = 0; m < M; m++) {
            T s = acc ? out[m][n0] : (T)0;
            for (size_t k = 0; k < K; k++) s = SFMA(a[m * lda + k], b[k * ldb + n0], s);
            out[m][n0] = s;
        }
}
#undef GRU__BW_GEMM_ROWS

/* nk (<= GRU__BW_RB) rows of g from k0 x nv (1 or 2) vectors of columns n0. */
GRU__ALWAYS_INLINE void TSUF(bw_outer_blk)(size_t M, const T *const *x, size_t k0, const size_t nk,
                                           const T *d, size_t ldd, T *g, size_t ldg, size_t n0,
                                           const size_t nv) {
    V acc[GRU__BW_RB][2];
    for (size_t r = 0; r < nk; r++) {
        acc[r][0] = VLOAD(g + (k0 + r) * ldg + n0);
        acc[r][1] = nv > 1 ? VLOAD(g + (k0 + r) * ldg + n0 + VN) : acc[r][0];
    }
    for (size_t m = 0; m < M; m++) {
        const T *dm = d + m * ldd + n0, *xm = x[m] + k0;
        const V d0 = VLOAD(dm), d1 = nv > 1 ? VLOAD(dm + VN) : d0;
        for (size_t r = 0; r < nk; r++) {
            const V s = VSET1(xm[r]);
            acc[r][0] = VFMA(s, d0, acc[r][0]);
            if (nv > 1) acc[r][1] = VFMA(s, d1, acc[r][1]);
        }
    }
    for (size_t r = 0; r < nk; r++) {
        VSTORE(g + (k0 + r) * ldg + n0, acc[r][0]);
        if (nv > 1) VSTORE(g + (k0 + r) * ldg + n0 + VN, acc[r][1]);
    }
}

#define GRU__BW_OUTER_ROWS(nv)                                                                \
    do {                                                                                      \
        size_t k0 = 0;                                                                        \
        for (; k0 + GRU__BW_RB <= K; k0 += GRU__BW_RB)                                        \
            TSUF(bw_outer_blk)(M, x, k0, GRU__BW_RB, d, ldd, g, ldg, n0, (nv));               \
        switch (K - k0) {                                                                     \
        case 3: TSUF(bw_outer_blk)(M, x, k0, 3, d, ldd, g, ldg, n0, (nv)); break;             \
        case 2: TSUF(bw_outer_blk)(M, x, k0, 2, d, ldd, g, ldg, n0, (nv)); break;             \
        case 1: TSUF(bw_outer_blk)(M, x, k0, 1, d, ldd, g, ldg, n0, (nv)); break;             \
        default: break;                                                                       \
        }                                                                                     \
    } while (0)

/* kernels.h: bw_outer. Columns outermost, so the strip of d (M x 2VN) stays
 * in L1 while every block of rows of g passes over it. */
static void TSUF(bw_outer)(size_t M, size_t K, size_t N, const T *const *x, const T *d,
                           size_t ldd, T *g, size_t ldg) {
    size_t n0 = 0;
    for (; n0 + 2 * VN <= N; n0 += 2 * VN) GRU__BW_OUTER_ROWS(2);
    if (n0 + VN <= N) {
        GRU__BW_OUTER_ROWS(1);
        n0 += VN;
    }
    for (; n0 < N; n0++)
        for (size_t k = 0; k < K; k++) {
            T s = g[k * ldg + n0];
            for (size_t m = 0; m < M; m++) s = SFMA(x[m][k], d[m * ldd + n0], s);
            g[k * ldg + n0] = s;
        }
}
#undef GRU__BW_OUTER_ROWS
