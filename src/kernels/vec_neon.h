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
#define VD_ADD(a, b) vaddq_f64((a), (b))

/* Element-wise float ops for act_tmpl.h. MIN/MAX follow x86's semantics
 * (a < b ? a : b, a > b ? a : b: the second operand when unordered), which
 * every layer implements exactly, so NaN handling matches too. */
#define VF_ADD(a, b) vaddq_f32((a), (b))
#define VF_SUB(a, b) vsubq_f32((a), (b))
#define VF_MUL(a, b) vmulq_f32((a), (b))
#define VF_DIV(a, b) vdivq_f32((a), (b))
#define VF_MIN(a, b) vbslq_f32(vcltq_f32((a), (b)), (a), (b))
#define VF_MAX(a, b) vbslq_f32(vcgtq_f32((a), (b)), (a), (b))
#define VF_ABS(a) vabsq_f32(a)
/* |m| with the sign of s */
#define VF_COPYSIGN(m, s) vbslq_f32(vdupq_n_u32(0x80000000u), (s), (m))
/* a < b ? x : y */
#define VF_LT_SEL(a, b, x, y) vbslq_f32(vcltq_f32((a), (b)), (x), (y))
/* a is NaN ? a : r */
#define VF_NAN_SEL(a, r) vbslq_f32(vceqq_f32((a), (a)), (r), (a))
/* 2^n for n an integral float in [-126, 127] */
#define VF_POW2I(n) \
    vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23))
