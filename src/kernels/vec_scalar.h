/* One-lane "vector" layer for panel_impl.h: plain C, fma() from libm, so the
 * generic variant rounds exactly as the SIMD ones do. */
#include <math.h>

#define GRU__RB 2 /* rows per register block */

typedef float gru__vf;
#define VF_N 1
#define VF_ZERO() 0.0f
#define VF_LOAD(p) (*(p))
#define VF_STORE(p, v) (*(p) = (v))
#define VF_SET1(x) (x)
#define VF_FMA(a, b, c) fmaf((a), (b), (c)) /* a*b + c, one rounding */

typedef double gru__vd;
#define VD_N 1
#define VD_ZERO() 0.0
#define VD_LOAD(p) (*(p))
#define VD_STORE(p, v) (*(p) = (v))
#define VD_SET1(x) (x)
#define VD_FMA(a, b, c) fma((a), (b), (c))
