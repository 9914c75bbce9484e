/* Kernel table: the numeric primitives the core calls, one table per ISA
 * variant, chosen once when a cell is created. Kernels know nothing about
 * Keras; they take pointers and sizes. */
#ifndef GRU_KERNELS_H
#define GRU_KERNELS_H

#include <stddef.h>

typedef struct gru_kernels {
    const char *name;
    /* out[j] = round_T(sum_k x[k] * W[k*ldw + j]) (+ bias[j] when bias is not
     * NULL, added after rounding, as a bias_add after a matmul), j < N.
     * acc is scratch of N doubles: the sums are accumulated in double. */
    void (*vecmat_f32)(size_t K, size_t N, const float *x, const float *W, size_t ldw,
                       const float *bias, double *acc, float *out);
    void (*vecmat_f64)(size_t K, size_t N, const double *x, const double *W, size_t ldw,
                       const double *bias, double *acc, double *out);
} gru_kernels;

/* The scalar variant, always built. */
extern const gru_kernels gru__kernels_scalar;

/* The best variant for this CPU, or the one forced by GRU_KERNEL=<name>
 * in the environment (unknown names fall back to scalar). */
const gru_kernels *gru__kernels_select(void);

#endif
