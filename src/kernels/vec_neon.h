/* AArch64 ASIMD layer for panel_impl.h: 4 floats / 2 doubles per register,
 * 32 registers, so 4 rows per block. vfmaq_f32(c, a, b) = c + a*b fused. */
#include <arm_neon.h>

#define GRU__RB 4

typedef float32x4_t gru__vf;
#define VF_N 4
#define VF_ZERO() vdupq_n_f32(0.0f)
#define VF_LOAD(p) vld1q_f32(p)
#define VF_STORE(p, v) vst1q_f32((p), (v))
#define VF_SET1(x) vdupq_n_f32(x)
#define VF_FMA(a, b, c) vfmaq_f32((c), (a), (b))

typedef float64x2_t gru__vd;
#define VD_N 2
#define VD_ZERO() vdupq_n_f64(0.0)
#define VD_LOAD(p) vld1q_f64(p)
#define VD_STORE(p, v) vst1q_f64((p), (v))
#define VD_SET1(x) vdupq_n_f64(x)
#define VD_FMA(a, b, c) vfmaq_f64((c), (a), (b))
