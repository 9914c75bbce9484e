/* The avx512 kernel variant: panel_impl.h compiled for this ISA. */
#if !defined(__AVX512F__) || !defined(__FMA__)
#error "avx512.c must be compiled with -mavx512f -mfma (CMakeLists.txt sets them for this file only)"
#endif
#include "vec_avx512.h"
#define GRU__ISA(n) n##_avx512
#define GRU__ISA_TAG avx512
#define GRU__ISA_NAME "avx512"
#include "panel_impl.h"
