/* The packed-panel kernels, written once for every ISA. A variant file
 * (avx2.c, avx512.c, neon.c, generic.c) includes its vector layer
 * (vec_<isa>.h: gru__vf/gru__vd, VF_* / VD_*, GRU__RB), defines
 * GRU__ISA(name) (name##_<isa>) and GRU__ISA_NAME, then includes this file,
 * which defines the variant's table gru__kernels_<isa>, with the float32
 * gate activations of act_tmpl.h (same bits in every variant).
 *
 * A panel is P = 2 vector registers of output columns for each of ng gates
 * (z|r|h interleaved per panel row), so one pass over a panel of R gives all
 * three gate projections of P units. Rows (batch rows, or time steps of the
 * layer's input projection) are blocked by GRU__RB so that a weight load
 * serves several rows; each row still sums in the same order (k ascending,
 * one fma per term, separate accumulators), which keeps results independent
 * of the batch size and of a row's position, bit for bit.
 *
 * Error bound (float32): each output is a K-term dot product accumulated in
 * float with fma, so |err| <= gamma_K * sum_k |a_k w_k|, gamma_K ~ K * 2^-24
 * (worst case; ~sqrt(K) * 2^-24 typical), against the scalar variant's
 * double accumulation rounded once. For U = 512 and sum|a w| <= 8 that is
 * <= 2.4e-4 worst case and ~1e-6 typical; the goldens (Keras itself sums in
 * float32) and test_kernels hold these variants to 1e-6 relative. Float64
 * sums in double with fma: |err| <= K * 2^-53 * sum|a w|. */
#include <string.h>

#include "kernels.h"
#include "bwd_impl.h"

#if defined(__GNUC__) || defined(__clang__)
#define GRU__ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define GRU__ALWAYS_INLINE static inline
#endif

#define T float
#define V gru__vf
#define VN VF_N
#define VZERO VF_ZERO
#define VLOAD VF_LOAD
#define VSTORE VF_STORE
#define VSET1 VF_SET1
#define VFMA VF_FMA
#define VADD VF_ADD
#define TSUF(n) GRU__ISA(n##_f32)
#include "panel_tmpl.h"
#include "bwd_tmpl.h"
#undef T
#undef V
#undef VN
#undef VZERO
#undef VLOAD
#undef VSTORE
#undef VSET1
#undef VFMA
#undef VADD
#undef TSUF

#define T double
#define V gru__vd
#define VN VD_N
#define VZERO VD_ZERO
#define VLOAD VD_LOAD
#define VSTORE VD_STORE
#define VSET1 VD_SET1
#define VFMA VD_FMA
#define VADD VD_ADD
#define TSUF(n) GRU__ISA(n##_f64)
#include "panel_tmpl.h"
#include "bwd_tmpl.h"
#undef T
#undef V
#undef VN
#undef VZERO
#undef VLOAD
#undef VSTORE
#undef VSET1
#undef VFMA
#undef VADD
#undef TSUF

#include "act_tmpl.h"
#include "gates_tmpl.h"

#define GRU__CAT2(a, b) a##b
#define GRU__CAT(a, b) GRU__CAT2(a, b)
const gru_kernels GRU__CAT(gru__kernels_, GRU__ISA_TAG) = {
    GRU__ISA_NAME,
    gru__vecmat_f32_scalar,
    gru__vecmat_f64_scalar,
    2 * VF_N,
    2 * VD_N,
    GRU__ISA(panels_f32),
    GRU__ISA(panels_f64),
    GRU__ISA(panels_out_f32),
    GRU__ISA(panels_out_f64),
    GRU__ISA(act_f32),
    GRU__ISA(gates_f32),
    NULL,
    GRU__ISA(bw_gemm_f32),
    GRU__ISA(bw_gemm_f64),
    GRU__ISA(bw_outer_f32),
    GRU__ISA(bw_outer_f64),
};
