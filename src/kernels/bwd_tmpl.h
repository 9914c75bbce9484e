/* bwd_impl.h's kernels for one element type T (vector type V of VN
 * lanes). Not a header of its own.
 *
 * Both kernels give every output element the same chain of operations
 * whatever the block it falls in (GRU__BW_NV vectors or fewer, or the
 * last partial vector) and whatever the other rows: a start value, then one
 * fused multiply-add per term in increasing order of the summed index. So a
 * result does not depend on M, on a row's position, on the vector width or
 * on the variant (the generic one uses C's fma()). */

/* nr (<= GRU__BW_RB) rows x nv (<= GRU__BW_NV) vectors of bw_gemm from
 * column n0; nr, nv and ac are constants at every call site. */
GRU__ALWAYS_INLINE void TSUF(bw_gemm_blk)(size_t K, const T *a, size_t lda, const size_t nr,
                                          const T *b, size_t ldb, T *const *out, size_t n0,
                                          const size_t nv, const int ac) {
    V acc[GRU__BW_RB][GRU__BW_NV];
    for (size_t r = 0; r < nr; r++)
        for (size_t v = 0; v < nv; v++) acc[r][v] = ac ? VLOAD(out[r] + n0 + v * VN) : VZERO();
    for (size_t k = 0; k < K; k++) {
        const T *bk = b + k * ldb + n0;
        V w[GRU__BW_NV];
        for (size_t v = 0; v < nv; v++) w[v] = VLOAD(bk + v * VN);
        for (size_t r = 0; r < nr; r++) {
            const V s = VSET1(a[r * lda + k]);
            for (size_t v = 0; v < nv; v++) acc[r][v] = VFMA(s, w[v], acc[r][v]);
        }
    }
    for (size_t r = 0; r < nr; r++)
        for (size_t v = 0; v < nv; v++) VSTORE(out[r] + n0 + v * VN, acc[r][v]);
}

/* The last rem (< VN) columns from n0 for nr rows: whole vectors, out
 * through a bounce buffer (b's rows are readable past N, kernels.h). */
GRU__ALWAYS_INLINE void TSUF(bw_gemm_tail)(size_t K, const T *a, size_t lda, const size_t nr,
                                           const T *b, size_t ldb, T *const *out, size_t n0,
                                           size_t rem, int ac) {
    T buf[VN];
    V acc[GRU__BW_RB];
    for (size_t r = 0; r < nr; r++) {
        for (size_t i = 0; i < VN; i++) buf[i] = ac && i < rem ? out[r][n0 + i] : (T)0;
        acc[r] = VLOAD(buf);
    }
    for (size_t k = 0; k < K; k++) {
        const V w = VLOAD(b + k * ldb + n0);
        for (size_t r = 0; r < nr; r++) acc[r] = VFMA(VSET1(a[r * lda + k]), w, acc[r]);
    }
    for (size_t r = 0; r < nr; r++) {
        VSTORE(buf, acc[r]);
        for (size_t i = 0; i < rem; i++) out[r][n0 + i] = buf[i];
    }
}

/* Every row of bw_gemm for nv vectors of columns from n0. */
GRU__ALWAYS_INLINE void TSUF(bw_gemm_cols)(size_t M, size_t K, const T *a, size_t lda,
                                           const T *b, size_t ldb, T *const *out, size_t n0,
                                           const size_t nv, const int ac) {
    size_t m = 0;
    for (; m + GRU__BW_RB <= M; m += GRU__BW_RB)
        TSUF(bw_gemm_blk)(K, a + m * lda, lda, GRU__BW_RB, b, ldb, out + m, n0, nv, ac);
    switch (M - m) {
#if GRU__BW_RB > 4
    case 5: TSUF(bw_gemm_blk)(K, a + m * lda, lda, 5, b, ldb, out + m, n0, nv, ac); break;
    case 4: TSUF(bw_gemm_blk)(K, a + m * lda, lda, 4, b, ldb, out + m, n0, nv, ac); break;
#endif
    case 3: TSUF(bw_gemm_blk)(K, a + m * lda, lda, 3, b, ldb, out + m, n0, nv, ac); break;
    case 2: TSUF(bw_gemm_blk)(K, a + m * lda, lda, 2, b, ldb, out + m, n0, nv, ac); break;
    case 1: TSUF(bw_gemm_blk)(K, a + m * lda, lda, 1, b, ldb, out + m, n0, nv, ac); break;
    default: break;
    }
}

#define GRU__BW_GEMM_COLS(nv)                                                        \
    do {                                                                             \
        if (acc) TSUF(bw_gemm_cols)(M, K, a, lda, b, ldb, out, n0, (nv), 1);         \
        else TSUF(bw_gemm_cols)(M, K, a, lda, b, ldb, out, n0, (nv), 0);             \
        n0 += (nv) * VN;                                                             \
    } while (0)

/* kernels.h: bw_gemm. Columns outermost, so one column strip of b serves
 * every block of rows while it is in cache. */
static void TSUF(bw_gemm)(size_t M, size_t K, size_t N, const T *a, size_t lda, const T *b,
                          size_t ldb, T *const *out, int accumulate) {
    const int acc = accumulate != 0;
    size_t n0 = 0;
    while (n0 + GRU__BW_NV * VN <= N) GRU__BW_GEMM_COLS(GRU__BW_NV);
    switch ((N - n0) / VN) {
#if GRU__BW_NV > 3
    case 3: GRU__BW_GEMM_COLS(3); break;
#endif
#if GRU__BW_NV > 2
    case 2: GRU__BW_GEMM_COLS(2); break;
#endif
    case 1: GRU__BW_GEMM_COLS(1); break;
    default: break;
    }
    if (n0 < N) {
        size_t m = 0;
        for (; m + GRU__BW_RB <= M; m += GRU__BW_RB)
            TSUF(bw_gemm_tail)(K, a + m * lda, lda, GRU__BW_RB, b, ldb, out + m, n0, N - n0, acc);
        for (; m < M; m++) TSUF(bw_gemm_tail)(K, a + m * lda, lda, 1, b, ldb, out + m, n0, N - n0, acc);
    }
}
#undef GRU__BW_GEMM_COLS

/* nk (<= GRU__BW_RB) rows of g from k0 x nv (<= GRU__BW_NV) vectors of
 * columns from n0; nk and nv are constants at every call site. */
GRU__ALWAYS_INLINE void TSUF(bw_outer_blk)(size_t M, const T *const *x, size_t k0, const size_t nk,
                                           const T *d, size_t ldd, T *g, size_t ldg, size_t n0,
                                           const size_t nv) {
    V acc[GRU__BW_RB][GRU__BW_NV];
    for (size_t r = 0; r < nk; r++)
        for (size_t v = 0; v < nv; v++) acc[r][v] = VLOAD(g + (k0 + r) * ldg + n0 + v * VN);
    for (size_t m = 0; m < M; m++) {
        const T *dm = d + m * ldd + n0, *xm = x[m] + k0;
        V dv[GRU__BW_NV];
        for (size_t v = 0; v < nv; v++) dv[v] = VLOAD(dm + v * VN);
        for (size_t r = 0; r < nk; r++) {
            const V s = VSET1(xm[r]);
            for (size_t v = 0; v < nv; v++) acc[r][v] = VFMA(s, dv[v], acc[r][v]);
        }
    }
    for (size_t r = 0; r < nk; r++)
        for (size_t v = 0; v < nv; v++) VSTORE(g + (k0 + r) * ldg + n0 + v * VN, acc[r][v]);
}

/* The last rem (< VN) columns from n0 of nk rows of g from k0: whole
 * vectors, g through a bounce buffer (d's rows are readable past N). */
GRU__ALWAYS_INLINE void TSUF(bw_outer_tail)(size_t M, const T *const *x, size_t k0,
                                            const size_t nk, const T *d, size_t ldd, T *g,
                                            size_t ldg, size_t n0, size_t rem) {
    T buf[VN];
    V acc[GRU__BW_RB];
    for (size_t r = 0; r < nk; r++) {
        for (size_t i = 0; i < VN; i++) buf[i] = i < rem ? g[(k0 + r) * ldg + n0 + i] : (T)0;
        acc[r] = VLOAD(buf);
    }
    for (size_t m = 0; m < M; m++) {
        const V dv = VLOAD(d + m * ldd + n0);
        const T *xm = x[m] + k0;
        for (size_t r = 0; r < nk; r++) acc[r] = VFMA(VSET1(xm[r]), dv, acc[r]);
    }
    for (size_t r = 0; r < nk; r++) {
        VSTORE(buf, acc[r]);
        for (size_t i = 0; i < rem; i++) g[(k0 + r) * ldg + n0 + i] = buf[i];
    }
}

/* Every row of g for nv vectors of columns from n0. */
GRU__ALWAYS_INLINE void TSUF(bw_outer_cols)(size_t M, size_t K, const T *const *x, const T *d,
                                            size_t ldd, T *g, size_t ldg, size_t n0,
                                            const size_t nv) {
    size_t k0 = 0;
    for (; k0 + GRU__BW_RB <= K; k0 += GRU__BW_RB)
        TSUF(bw_outer_blk)(M, x, k0, GRU__BW_RB, d, ldd, g, ldg, n0, nv);
    switch (K - k0) {
#if GRU__BW_RB > 4
    case 5: TSUF(bw_outer_blk)(M, x, k0, 5, d, ldd, g, ldg, n0, nv); break;
    case 4: TSUF(bw_outer_blk)(M, x, k0, 4, d, ldd, g, ldg, n0, nv); break;
#endif
    case 3: TSUF(bw_outer_blk)(M, x, k0, 3, d, ldd, g, ldg, n0, nv); break;
    case 2: TSUF(bw_outer_blk)(M, x, k0, 2, d, ldd, g, ldg, n0, nv); break;
    case 1: TSUF(bw_outer_blk)(M, x, k0, 1, d, ldd, g, ldg, n0, nv); break;
    default: break;
    }
}

/* kernels.h: bw_outer. Columns outermost, so the strip of d stays in L1
 * while every block of rows of g passes over it. */
static void TSUF(bw_outer)(size_t M, size_t K, size_t N, const T *const *x, const T *d,
                           size_t ldd, T *g, size_t ldg) {
    size_t n0 = 0;
    for (; n0 + GRU__BW_NV * VN <= N; n0 += GRU__BW_NV * VN)
        TSUF(bw_outer_cols)(M, K, x, d, ldd, g, ldg, n0, GRU__BW_NV);
    switch ((N - n0) / VN) {
#if GRU__BW_NV > 3
    case 3: TSUF(bw_outer_cols)(M, K, x, d, ldd, g, ldg, n0, 3); n0 += 3 * VN; break;
#endif
#if GRU__BW_NV > 2
    case 2: TSUF(bw_outer_cols)(M, K, x, d, ldd, g, ldg, n0, 2); n0 += 2 * VN; break;
#endif
    case 1: TSUF(bw_outer_cols)(M, K, x, d, ldd, g, ldg, n0, 1); n0 += VN; break;
    default: break;
    }
    if (n0 < N) {
        size_t k0 = 0;
        for (; k0 + GRU__BW_RB <= K; k0 += GRU__BW_RB)
            TSUF(bw_outer_tail)(M, x, k0, GRU__BW_RB, d, ldd, g, ldg, n0, N - n0);
        for (; k0 < K; k0++) TSUF(bw_outer_tail)(M, x, k0, 1, d, ldd, g, ldg, n0, N - n0);
    }
}
