/* AVX2 + FMA layer for panel_impl.h: 8 floats / 4 doubles per register,
 * 16 registers, so 2 rows per block (2 rows x 3 gates x 2 = 12 sums). */
#include <immintrin.h>

#define GRU__RB 2

typedef __m256 gru__vf;
#define VF_N 8
#define VF_ZERO() _mm256_setzero_ps()
#define VF_LOAD(p) _mm256_loadu_ps(p)
#define VF_STORE(p, v) _mm256_storeu_ps((p), (v))
#define VF_SET1(x) _mm256_set1_ps(x)
#define VF_FMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))

typedef __m256d gru__vd;
#define VD_N 4
#define VD_ZERO() _mm256_setzero_pd()
#define VD_LOAD(p) _mm256_loadu_pd(p)
#define VD_STORE(p, v) _mm256_storeu_pd((p), (v))
#define VD_SET1(x) _mm256_set1_pd(x)
#define VD_FMA(a, b, c) _mm256_fmadd_pd((a), (b), (c))
#define VD_ADD(a, b) _mm256_add_pd((a), (b))

/* Element-wise float ops for act_tmpl.h. MIN/MAX are x86's: a < b ? a : b
 * and a > b ? a : b, the second operand when unordered (every layer
 * implements exactly these semantics). */
#define VF_ADD(a, b) _mm256_add_ps((a), (b))
#define VF_SUB(a, b) _mm256_sub_ps((a), (b))
#define VF_MUL(a, b) _mm256_mul_ps((a), (b))
#define VF_DIV(a, b) _mm256_div_ps((a), (b))
#define VF_MIN(a, b) _mm256_min_ps((a), (b))
#define VF_MAX(a, b) _mm256_max_ps((a), (b))
#define VF_ABS(a) _mm256_andnot_ps(_mm256_set1_ps(-0.0f), (a))
/* |m| with the sign of s */
#define VF_COPYSIGN(m, s) \
    _mm256_or_ps(VF_ABS(m), _mm256_and_ps(_mm256_set1_ps(-0.0f), (s)))
/* a < b ? x : y */
#define VF_LT_SEL(a, b, x, y) _mm256_blendv_ps((y), (x), _mm256_cmp_ps((a), (b), _CMP_LT_OQ))
/* a is NaN ? a : r */
#define VF_NAN_SEL(a, r) _mm256_blendv_ps((r), (a), _mm256_cmp_ps((a), (a), _CMP_UNORD_Q))
/* 2^n for n an integral float in [-126, 127] */
#define VF_POW2I(n) \
    _mm256_castsi256_ps(_mm256_slli_epi32( \
        _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23))
