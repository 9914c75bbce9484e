/* The backward pass's matrix kernels (kernels.h: bw_gemm, bw_outer), written
 * once in bwd_tmpl.h, which panel_impl.h includes for float and double
 * (beside panel_tmpl.h, after this file's register blocking), so every packed variant (avx2, avx512, neon, generic) gets
 * them from one source; the scalar variant has none (its BPTT runs row by
 * row, backward_impl.h, the reference).
 *
 * Error bound: each output is a chain of fused multiply-adds in T from its
 * start value (0, the output, or the gradient already there), so
 * |err| <= gamma_n * (|start| + sum |a_i b_i|), gamma_n ~ n * 2^-p (p = 24
 * for float, 53 for double), n the number of terms: K for bw_gemm (3U or
 * fewer), M for bw_outer (the rows of one time step). */

/* Register block: GRU__BW_RB rows x GRU__BW_NV vectors of sums (at most
 * 6 rows). With 32 vector registers (avx512, neon: GRU__RB 4) 4 x 4 = 16
 * sums, else (avx2's 16 registers, generic) 6 x 2 = 12, enough independent
 * chains to cover the FMA latency with room for the loads. */
#if GRU__RB >= 4
#define GRU__BW_RB 4
#define GRU__BW_NV 4
#else
#define GRU__BW_RB 6
#define GRU__BW_NV 2
#endif
