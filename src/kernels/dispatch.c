/* Choosing a kernel variant: once per cell, from the CPU and GRU_KERNEL. */
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

const gru_kernels *gru__kernels_select(void) {
    static const gru_kernels *const all[] = {&gru__kernels_scalar};
    const char *force = getenv("GRU_KERNEL");
    if (force && *force) {
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
            if (strcmp(all[i]->name, force) == 0) return all[i];
    }
    /* SIMD variants (chosen from CPUID) come with the speed work. */
    return &gru__kernels_scalar;
}
