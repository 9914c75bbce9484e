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
