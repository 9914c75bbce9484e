/* The avx2 kernel variant: panel_impl.h compiled for this ISA. */
#if !defined(__AVX2__) || !defined(__FMA__)
#error "avx2.c must be compiled with -mavx2 -mfma (CMakeLists.txt sets them for this file only)"
#endif
#include "vec_avx2.h"
#define GRU__ISA(n) n##_avx2
#define GRU__ISA_TAG avx2
#define GRU__ISA_NAME "avx2"
#include "panel_impl.h"
