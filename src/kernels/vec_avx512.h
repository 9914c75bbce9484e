/* AVX-512F layer for panel_impl.h: 16 floats / 8 doubles per register,
 * 32 registers, so 4 rows per block (4 x 3 gates x 2 = 24 sums). */
#include <immintrin.h>

#define GRU__RB 4

typedef __m512 gru__vf;
#define VF_N 16
#define VF_ZERO() _mm512_setzero_ps()
#define VF_LOAD(p) _mm512_loadu_ps(p)
#define VF_STORE(p, v) _mm512_storeu_ps((p), (v))
#define VF_SET1(x) _mm512_set1_ps(x)
#define VF_FMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))

typedef __m512d gru__vd;
#define VD_N 8
#define VD_ZERO() _mm512_setzero_pd()
#define VD_LOAD(p) _mm512_loadu_pd(p)
#define VD_STORE(p, v) _mm512_storeu_pd((p), (v))
#define VD_SET1(x) _mm512_set1_pd(x)
#define VD_FMA(a, b, c) _mm512_fmadd_pd((a), (b), (c))
#define VD_ADD(a, b) _mm512_add_pd((a), (b))

/* Element-wise float ops for act_tmpl.h. MIN/MAX are x86's: a < b ? a : b
 * and a > b ? a : b, the second operand when unordered (every layer
 * implements exactly these semantics). AVX-512F only: bit ops on epi32. */
#define VF_ADD(a, b) _mm512_add_ps((a), (b))
#define VF_SUB(a, b) _mm512_sub_ps((a), (b))
#define VF_MUL(a, b) _mm512_mul_ps((a), (b))
#define VF_DIV(a, b) _mm512_div_ps((a), (b))
#define VF_MIN(a, b) _mm512_min_ps((a), (b))
#define VF_MAX(a, b) _mm512_max_ps((a), (b))
#define VF_ABS(a) _mm512_abs_ps(a)
/* |m| with the sign of s */
#define VF_COPYSIGN(m, s)                                                          \
    _mm512_castsi512_ps(_mm512_or_epi32(_mm512_castps_si512(_mm512_abs_ps(m)),     \
                                        _mm512_and_epi32(_mm512_castps_si512(s),   \
                                                         _mm512_set1_epi32((int)0x80000000u))))
/* a < b ? x : y */
#define VF_LT_SEL(a, b, x, y) _mm512_mask_blend_ps(_mm512_cmp_ps_mask((a), (b), _CMP_LT_OQ), (y), (x))
/* a is NaN ? a : r */
#define VF_NAN_SEL(a, r) _mm512_mask_blend_ps(_mm512_cmp_ps_mask((a), (a), _CMP_UNORD_Q), (r), (a))
/* 2^n for n an integral float in [-126, 127] */
#define VF_POW2I(n) \
    _mm512_castsi512_ps(_mm512_slli_epi32( \
        _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23))
