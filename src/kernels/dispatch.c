/* Choosing a kernel variant: once per cell (at init), from the CPU, the
 * cell config's `kernel` name and GRU_KERNEL.
 *
 * x86-64: __builtin_cpu_supports (GCC's libgcc / clang's compiler-rt) reads
 * CPUID and, for AVX and AVX-512, also checks with xgetbv that the OS saves
 * the ymm / zmm state, so a variant is only used where it can run.
 * AArch64: ASIMD is part of the base ISA, so neon always runs there. */
#include <stdlib.h>
#include <string.h>

#include "gru.h"
#include "kernels.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define GRU__CPU_X86 1
#endif

static int runs_here(const gru_kernels *k) {
#ifdef GRU__CPU_X86
#ifdef GRU_HAVE_AVX2
    if (k == &gru__kernels_avx2)
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
#ifdef GRU_HAVE_AVX512
    if (k == &gru__kernels_avx512)
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") &&
               __builtin_cpu_supports("fma");
#endif
#endif
    (void)k;
    return 1; /* scalar, generic, and neon (built only for AArch64) */
}

/* Every built variant, best first. */
static const gru_kernels *const all[] = {
#ifdef GRU_HAVE_AVX512
    &gru__kernels_avx512,
#endif
#ifdef GRU_HAVE_AVX2
    &gru__kernels_avx2,
#endif
#ifdef GRU_HAVE_NEON
    &gru__kernels_neon,
#endif
    &gru__kernels_scalar,
    &gru__kernels_generic,
};
#define N_ALL (sizeof all / sizeof all[0])

const gru_kernels *gru__kernels_find(const char *name) {
    if (!name) return NULL;
    for (size_t i = 0; i < N_ALL; i++)
        if (strcmp(all[i]->name, name) == 0) return runs_here(all[i]) ? all[i] : NULL;
    return NULL;
}

const gru_kernels *gru__kernels_select(const char *force) {
    if (force && *force) return gru__kernels_find(force);
    const char *env = getenv("GRU_KERNEL");
    if (env && *env) {
        const gru_kernels *k = gru__kernels_find(env);
        if (k) return k;
    }
    for (size_t i = 0; i < N_ALL; i++)
        if (runs_here(all[i])) return all[i];
    return &gru__kernels_scalar;
}

const char *gru_kernel_variant(size_t index) {
    for (size_t i = 0, n = 0; i < N_ALL; i++)
        if (runs_here(all[i]) && n++ == index) return all[i]->name;
    return NULL;
}
