/* The scalar kernel variant: portable C, the reference for every other one. */
#include "kernels.h"

#define T float
#define GRU__VM_NAME gru__vecmat_f32_scalar
#include "vecmat_impl.h"
#undef T
#undef GRU__VM_NAME

#define T double
#define GRU__VM_NAME gru__vecmat_f64_scalar
#include "vecmat_impl.h"
#undef T
#undef GRU__VM_NAME

const gru_kernels gru__kernels_scalar = {
    "scalar", gru__vecmat_f32_scalar, gru__vecmat_f64_scalar, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL, /* bw_*: BPTT row by row */
};
