/* The generic kernel variant: panel_impl.h compiled for this ISA. */
/* Portable: no ISA macro needed. */
#include "vec_scalar.h"
#define GRU__ISA(n) n##_generic
#define GRU__ISA_TAG generic
#define GRU__ISA_NAME "generic"
#include "panel_impl.h"
