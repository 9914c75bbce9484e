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
#define VD_ADD(a, b) ((a) + (b))

/* Element-wise float ops for act_tmpl.h, with the SIMD layers' semantics:
 * MIN/MAX are x86's (a < b ? a : b, a > b ? a : b: the second operand when
 * unordered). */
#include <stdint.h>
#include <string.h>
#define VF_ADD(a, b) ((a) + (b))
#define VF_SUB(a, b) ((a) - (b))
#define VF_MUL(a, b) ((a) * (b))
#define VF_DIV(a, b) ((a) / (b))
static inline float gru__vf_min(float a, float b) { return a < b ? a : b; }
static inline float gru__vf_max(float a, float b) { return a > b ? a : b; }
static inline float gru__vf_lt_sel(float a, float b, float x, float y) { return a < b ? x : y; }
static inline float gru__vf_nan_sel(float a, float r) { return a != a ? a : r; }
static inline float gru__vf_pow2i(float n) {
    const uint32_t u = (uint32_t)((int32_t)n + 127) << 23;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}
#define VF_MIN(a, b) gru__vf_min((a), (b))
#define VF_MAX(a, b) gru__vf_max((a), (b))
#define VF_ABS(a) fabsf(a)
#define VF_COPYSIGN(m, s) copysignf((m), (s)) /* |m| with the sign of s */
#define VF_LT_SEL(a, b, x, y) gru__vf_lt_sel((a), (b), (x), (y)) /* a < b ? x : y */
#define VF_NAN_SEL(a, r) gru__vf_nan_sel((a), (r))             /* a is NaN ? a : r */
#define VF_POW2I(n) gru__vf_pow2i(n) /* 2^n, n an integral float in [-126, 127] */
