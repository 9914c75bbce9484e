/* The neon kernel variant: panel_impl.h compiled for this ISA. */
#if !defined(__ARM_NEON) || !defined(__aarch64__)
#error "neon.c is for AArch64 (ASIMD is part of the base ISA there)"
#endif
#include "vec_neon.h"
#define GRU__ISA(n) n##_neon
#define GRU__ISA_TAG neon
#define GRU__ISA_NAME "neon"
#include "panel_impl.h"
