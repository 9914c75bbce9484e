/* Kernel table: the numeric primitives the core calls, one table per ISA
 * variant, chosen once when a cell is created. Kernels know nothing about
 * Keras; they take pointers and sizes.
 *
 * Variants: "scalar" (portable C, double accumulation: the reference every
 * other variant is tested against), "generic" (the packed-panel kernels of
 * panel_impl.h on the one-lane layer of vec_scalar.h: portable, slow, for
 * testing the ISA-neutral source anywhere), "avx2" (AVX2+FMA), "avx512"
 * (AVX-512F) and "neon" (AArch64 ASIMD). Each SIMD variant is the same
 * source, panel_impl.h, compiled by a tiny file (avx2.c, avx512.c, neon.c)
 * with its own flags; see dispatch.c for how one is chosen. */
#ifndef GRU_KERNELS_H
#define GRU_KERNELS_H

#include <stddef.h>

/* Upper bounds over all variants: panel width (elements) and rows per
 * register block of the panel product. Scratch is sized with these, so it
 * does not depend on the variant. */
#define GRU__PANEL_MAX 64
#define GRU__ROWS_MAX 4

/* Activations a variant may vectorise (act_f32). */
enum {
    GRU__VACT_NONE = 0,
    GRU__VACT_LINEAR,
    GRU__VACT_RELU, /* plain: alpha 0, no max_value, threshold 0 */
    GRU__VACT_SIGMOID,
    GRU__VACT_TANH,
    GRU__VACT_HARD_SIGMOID, /* Keras 2: clip(0.2x + 0.5, 0, 1) */
    GRU__VACT_HARD_SIGMOID_K3
};

/* The fused step's gate math for one row over one panel's n <= P units
 * (gates_f32 / gates_f64), in step_impl.h's order, one rounding per
 * operation (no contraction), so it gives the bits of the scalar loops
 * there, lane by lane, in every variant:
 *   GRU__GATES_RA (reset_after): pz = xz + (sz [+ bz]), pr = xr + (sr [+ br]),
 *     ah = sh [+ bh], z = ract(pz), r = ract(pr), ph = xh + r*ah,
 *     hh = act(ph), out = z*h + (1 - z)*hh; sums sz|sr|sh at s + {0,P,2P}
 *   GRU__GATES_ZR (without reset_after, pass 1): pz = xz + sz,
 *     pr = xr + sr, z = ract(pz), r = ract(pr); sums at s + {0, P}
 *   GRU__GATES_H (pass 2): ph = xh + s, hh = act(ph), out = z*h + (1-z)*hh
 * ract and act are GRU__VACT_* kinds the variant vectorises. Pointers
 * address the panel's first unit; out must not alias the inputs except
 * h (read before out is written, unit by unit). record 0: the values only
 * the backward record needs may be left unwritten (RA: all but out; ZR: pz
 * and pr; H: ph and hh). */
enum { GRU__GATES_RA = 0, GRU__GATES_ZR, GRU__GATES_H };
#define GRU__GATES_STRUCT(T, name)                                              \
    typedef struct name {                                                       \
        int ract, act, record;                                                  \
        size_t n, P;                                                            \
        const T *s, *xz, *xr, *xh, *bz, *br, *bh, *h;                           \
        T *pz, *pr, *ph, *z, *r, *hh, *ah, *out;                                \
    } name
GRU__GATES_STRUCT(float, gru__gates_f32);
GRU__GATES_STRUCT(double, gru__gates_f64);
#undef GRU__GATES_STRUCT

typedef struct gru_kernels {
    const char *name;
    /* out[j] = round_T(sum_k x[k] * W[k*ldw + j]) (+ bias[j] when bias is not
     * NULL, added after rounding, as a bias_add after a matmul), j < N.
     * acc is scratch of N doubles: the sums are accumulated in double. */
    void (*vecmat_f32)(size_t K, size_t N, const float *x, const float *W, size_t ldw,
                       const float *bias, double *acc, float *out);
    void (*vecmat_f64)(size_t K, size_t N, const double *x, const double *W, size_t ldw,
                       const double *bias, double *acc, double *out);
    /* Panel width P of the packed layout (elements), or 0: the variant has
     * no packed path and the step uses vecmat on the Keras layout. */
    size_t panel_f32, panel_f64;
    /* Packed panel product, for r < nrows, g < ng (1..3), i < P:
     *   out[(r*ng + g)*P + i] = sum_{k<K} a[r*ng + g][k] * Wp[k*ng*P + g*P + i]
     * Wp is one panel: K rows of ng gate blocks of P columns each (see
     * gru__pack_panels in step.c). Each sum starts at +0 and adds its terms
     * in increasing k, one fused multiply-add (one rounding in T) per term.
     * So a row's result does not depend on nrows, on its position among the
     * rows, on P or on the variant: every packed variant gives the same
     * bits (the generic one uses C's fma()). */
    void (*panels_f32)(size_t K, size_t ng, const float *Wp, size_t nrows,
                       const float *const *a, float *out);
    void (*panels_f64)(size_t K, size_t ng, const double *Wp, size_t nrows,
                       const double *const *a, double *out);
    /* panels with ng = 3, the sums of row r, gate g stored to o[r*3 + g]
     * (P elements each), plus bias[g] (P elements; bias or bias[g] NULL:
     * none) after the sum, one rounding: the input projection written in
     * place (the layout and the bits of panels + a bias add). */
    void (*panels_out_f32)(size_t K, const float *Wp, size_t nrows, const float *const *a,
                           const float *const *bias, float *const *o);
    void (*panels_out_f64)(size_t K, const double *Wp, size_t nrows, const double *const *a,
                           const double *const *bias, double *const *o);
    /* y[i] = f(x[i]) for i < n and f the GRU__VACT_* kind; returns 1, or 0
     * (writing nothing) for a kind it does not vectorise. NULL: none (the
     * scalar variant). Every packed variant gives the same bits (see
     * act_tmpl.h for the methods and error bounds). y may equal x. */
    int (*act_f32)(int kind, size_t n, const float *x, float *y);
    /* The gate math above (NULL: none; float64 has none yet: its
     * activations are libm's). */
    void (*gates_f32)(int stage, const gru__gates_f32 *g);
    void (*gates_f64)(int stage, const gru__gates_f64 *g);
    /* The backward pass's products (bwd_tmpl.h; NULL in the scalar variant,
     * whose BPTT runs row by row). Each output element is a chain of fused
     * multiply-adds in T, terms in increasing order, from its start value, so
     * every variant gives the same bits and a row's result does not depend
     * on the other rows.
     * bw_gemm: for m < M, n < N:
     *   out[m][n] = (accumulate ? out[m][n] : 0) + sum_{k<K} a[m*lda + k] * b[k*ldb + n]
     * bw_outer (a rank-M update of a gradient block):
     *   g[k*ldg + n] += sum_{m<M} x[m][k] * d[m*ldd + n],  k < K, n < N
     * Rows of b and d are read in whole vectors: their elements from column
     * N up to N rounded up to 64 bytes must be readable (values ignored);
     * only columns < N of out and g are written. */
    void (*bw_gemm_f32)(size_t M, size_t K, size_t N, const float *a, size_t lda,
                        const float *b, size_t ldb, float *const *out, int accumulate);
    void (*bw_gemm_f64)(size_t M, size_t K, size_t N, const double *a, size_t lda,
                        const double *b, size_t ldb, double *const *out, int accumulate);
    void (*bw_outer_f32)(size_t M, size_t K, size_t N, const float *const *x, const float *d,
                         size_t ldd, float *g, size_t ldg);
    void (*bw_outer_f64)(size_t M, size_t K, size_t N, const double *const *x, const double *d,
                         size_t ldd, double *g, size_t ldg);
} gru_kernels;

/* The scalar vector-matrix products (vecmat_impl.h); every variant uses
 * them for vecmat (the Dense layer, the generic step path). */
void gru__vecmat_f32_scalar(size_t K, size_t N, const float *x, const float *W, size_t ldw,
                            const float *bias, double *acc, float *out);
void gru__vecmat_f64_scalar(size_t K, size_t N, const double *x, const double *W, size_t ldw,
                            const double *bias, double *acc, double *out);

/* The scalar and generic variants are always built; the others when the
 * compiler supports their flags (CMakeLists.txt defines GRU_HAVE_*). */
extern const gru_kernels gru__kernels_scalar;
extern const gru_kernels gru__kernels_generic;
#ifdef GRU_HAVE_AVX2
extern const gru_kernels gru__kernels_avx2;
#endif
#ifdef GRU_HAVE_AVX512
extern const gru_kernels gru__kernels_avx512;
#endif
#ifdef GRU_HAVE_NEON
extern const gru_kernels gru__kernels_neon;
#endif

/* The variant called `name` if it is built and this CPU runs it, else NULL. */
const gru_kernels *gru__kernels_find(const char *name);
/* force non-empty: gru__kernels_find(force) (NULL when unknown/unusable).
 * Otherwise GRU_KERNEL=<name> from the environment when that variant is
 * usable (an unknown or unusable name is ignored), else the best variant
 * for this CPU: avx512, avx2, neon, scalar, the first that runs. */
const gru_kernels *gru__kernels_select(const char *force);

#endif
