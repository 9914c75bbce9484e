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
