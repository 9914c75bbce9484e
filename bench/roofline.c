/* The machine's roofline for one core (benchmark helper, not a test):
 *
 *   fma_peak   float32 FLOP/s of a loop of independent FMAs (12 accumulators,
 *              one FMA = 2 FLOPs; best of 50 trials of about 2 ms) in the widest vector ISA the CPU runs:
 *              AVX-512F, else AVX2+FMA, else scalar fmaf. The x86 variants
 *              are compiled with per-function target attributes and chosen
 *              at run time with __builtin_cpu_supports.
 *   bw_<level> read bandwidth: the best of 50 timed trials of summing a
 *              buffer of floats with 8 independent vector accumulators,
 *              about 0.1 GB read per trial (one pass for DRAM); buffer sizes are half of L1 and L2,
 *              a quarter of L3 (at most 8 MiB) and 256 MiB (at least 8 x L3)
 *              for DRAM. Cache sizes come from
 *              /sys/devices/system/cpu/cpu0/cache (fallback 32K/1M/32M).
 *
 * Times are this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so that the
 * roofline holds on a machine shared with other work.
 *
 * Prints CSV lines "key,value": isa, fma_peak_gflops, cache_<L>_bytes,
 * buf_<L>_bytes and bw_<L>_gbs for L in L1, L2, L3, DRAM. bench/run.sh reads
 * them to compute each shape's roofline. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define RL_X86 1
#include <immintrin.h>
#else
#define RL_X86 0
#endif

/* This thread's CPU time: time spent descheduled by other processes on a
 * shared machine does not count. */
static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- FMA peak ------------------------------------------------------------ */
/* Each kernel runs n iterations of 12 independent FMAs a = a * m + c and
 * returns a value that depends on all of them. */
typedef float (*fma_fn)(long n);

#if RL_X86
#define RL_FMA12(T, FMA)                                                                       \
    a0 = FMA(a0, m, c), a1 = FMA(a1, m, c), a2 = FMA(a2, m, c), a3 = FMA(a3, m, c),           \
    a4 = FMA(a4, m, c), a5 = FMA(a5, m, c), a6 = FMA(a6, m, c), a7 = FMA(a7, m, c),           \
    a8 = FMA(a8, m, c), a9 = FMA(a9, m, c), a10 = FMA(a10, m, c), a11 = FMA(a11, m, c)

__attribute__((target("avx512f"))) static float fma_avx512(long n) {
    const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-6f);
    __m512 a0 = _mm512_set1_ps(1.0f), a1 = _mm512_set1_ps(1.1f), a2 = _mm512_set1_ps(1.2f),
           a3 = _mm512_set1_ps(1.3f), a4 = _mm512_set1_ps(1.4f), a5 = _mm512_set1_ps(1.5f),
           a6 = _mm512_set1_ps(1.6f), a7 = _mm512_set1_ps(1.7f), a8 = _mm512_set1_ps(1.8f),
           a9 = _mm512_set1_ps(1.9f), a10 = _mm512_set1_ps(2.0f), a11 = _mm512_set1_ps(2.1f);
    for (long i = 0; i < n; i++) { RL_FMA12(__m512, _mm512_fmadd_ps); }
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                             _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
    s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)));
    return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) static float fma_avx2(long n) {
    const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-6f);
    __m256 a0 = _mm256_set1_ps(1.0f), a1 = _mm256_set1_ps(1.1f), a2 = _mm256_set1_ps(1.2f),
           a3 = _mm256_set1_ps(1.3f), a4 = _mm256_set1_ps(1.4f), a5 = _mm256_set1_ps(1.5f),
           a6 = _mm256_set1_ps(1.6f), a7 = _mm256_set1_ps(1.7f), a8 = _mm256_set1_ps(1.8f),
           a9 = _mm256_set1_ps(1.9f), a10 = _mm256_set1_ps(2.0f), a11 = _mm256_set1_ps(2.1f);
    for (long i = 0; i < n; i++) { RL_FMA12(__m256, _mm256_fmadd_ps); }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
    float t[8];
    _mm256_storeu_ps(t, s);
    return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}
#endif

static float fma_scalar(long n) {
    float a[12];
    for (int k = 0; k < 12; k++) a[k] = 1.0f + 0.1f * (float)k;
    for (long i = 0; i < n; i++)
        for (int k = 0; k < 12; k++) a[k] = fmaf(a[k], 0.999999f, 1e-6f);
    float s = 0;
    for (int k = 0; k < 12; k++) s += a[k];
    return s;
}

static volatile float sink;

/* Best GFLOP/s of TRIALS trials of about 2 ms of CPU time each: short
 * trials, best of many, so that other processes on a shared machine (which
 * also evict the caches) bias it less. */
#define TRIALS 50
static double fma_peak(fma_fn f, int lanes) {
    long n = 1 << 12;
    for (;;) { /* calibrate */
        double t0 = now_s();
        sink = f(n);
        if (now_s() - t0 > 0.002 || n > (1L << 40)) break;
        n *= 2;
    }
    double best = 0;
    for (int trial = 0; trial < TRIALS; trial++) {
        double t0 = now_s();
        sink = f(n);
        double dt = now_s() - t0;
        double g = (double)n * 12.0 * lanes * 2.0 / dt * 1e-9;
        if (g > best) best = g;
    }
    return best;
}

/* ---- Read bandwidth ------------------------------------------------------ */
typedef float (*sum_fn)(const float *p, size_t n); /* n: a multiple of 128 */

#if RL_X86
__attribute__((target("avx512f"))) static float sum_avx512(const float *p, size_t n) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0,
           a7 = a0;
    for (size_t i = 0; i < n; i += 128) {
        a0 = _mm512_add_ps(a0, _mm512_load_ps(p + i));
        a1 = _mm512_add_ps(a1, _mm512_load_ps(p + i + 16));
        a2 = _mm512_add_ps(a2, _mm512_load_ps(p + i + 32));
        a3 = _mm512_add_ps(a3, _mm512_load_ps(p + i + 48));
        a4 = _mm512_add_ps(a4, _mm512_load_ps(p + i + 64));
        a5 = _mm512_add_ps(a5, _mm512_load_ps(p + i + 80));
        a6 = _mm512_add_ps(a6, _mm512_load_ps(p + i + 96));
        a7 = _mm512_add_ps(a7, _mm512_load_ps(p + i + 112));
    }
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                             _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
    return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2"))) static float sum_avx2(const float *p, size_t n) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0,
           a7 = a0;
    for (size_t i = 0; i < n; i += 64) {
        a0 = _mm256_add_ps(a0, _mm256_load_ps(p + i));
        a1 = _mm256_add_ps(a1, _mm256_load_ps(p + i + 8));
        a2 = _mm256_add_ps(a2, _mm256_load_ps(p + i + 16));
        a3 = _mm256_add_ps(a3, _mm256_load_ps(p + i + 24));
        a4 = _mm256_add_ps(a4, _mm256_load_ps(p + i + 32));
        a5 = _mm256_add_ps(a5, _mm256_load_ps(p + i + 40));
        a6 = _mm256_add_ps(a6, _mm256_load_ps(p + i + 48));
        a7 = _mm256_add_ps(a7, _mm256_load_ps(p + i + 56));
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    float t[8];
    _mm256_storeu_ps(t, s);
    return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}
#endif

static float sum_scalar(const float *p, size_t n) {
    float a[8] = {0};
    for (size_t i = 0; i < n; i += 8)
        for (int k = 0; k < 8; k++) a[k] += p[i + (size_t)k];
    return a[0] + a[1] + a[2] + a[3] + a[4] + a[5] + a[6] + a[7];
}

/* Best GB/s of TRIALS trials, each reading about 0.1 GB (at least one
 * pass). */
static double read_bw(sum_fn f, size_t bytes) {
    size_t n = bytes / sizeof(float) / 128 * 128;
    float *p = aligned_alloc(64, n * sizeof(float));
    if (!p) return 0;
    for (size_t i = 0; i < n; i++) p[i] = 1e-3f * (float)(i & 1023);
    long passes = (long)(0.1e9 / (double)(n * sizeof(float)));
    if (passes < 1) passes = 1;
    sink = f(p, n); /* warm the caches / fault the pages */
    double best = 0;
    for (int trial = 0; trial < TRIALS; trial++) {
        float acc = 0;
        double t0 = now_s();
        for (long r = 0; r < passes; r++) acc += f(p, n);
        double dt = now_s() - t0;
        sink = acc;
        double g = (double)passes * (double)(n * sizeof(float)) / dt * 1e-9;
        if (g > best) best = g;
    }
    free(p);
    return best;
}

/* Size in bytes of the data (or unified) cache of this level, 0 if unknown. */
static size_t cache_size(int level) {
    for (int idx = 0; idx < 8; idx++) {
        char path[128], buf[64];
        int lv = 0;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", idx);
        FILE *fp = fopen(path, "r");
        if (!fp) break;
        if (fscanf(fp, "%d", &lv) != 1) lv = 0;
        fclose(fp);
        if (lv != level) continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", idx);
        fp = fopen(path, "r");
        if (!fp) continue;
        if (!fgets(buf, sizeof buf, fp)) buf[0] = 0;
        fclose(fp);
        if (strncmp(buf, "Instruction", 11) == 0) continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", idx);
        fp = fopen(path, "r");
        if (!fp) continue;
        unsigned long v = 0;
        char unit = 0;
        int got = fscanf(fp, "%lu%c", &v, &unit);
        fclose(fp);
        if (got < 1) continue;
        if (unit == 'K') v <<= 10;
        else if (unit == 'M') v <<= 20;
        return (size_t)v;
    }
    return 0;
}

int main(void) {
    const char *isa = "scalar";
    fma_fn ffma = fma_scalar;
    sum_fn fsum = sum_scalar;
    int lanes = 1;
#if RL_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) {
        isa = "avx512f", ffma = fma_avx512, fsum = sum_avx512, lanes = 16;
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        isa = "avx2", ffma = fma_avx2, fsum = sum_avx2, lanes = 8;
    }
#endif
    printf("isa,%s\n", isa);
    printf("fma_peak_gflops,%.2f\n", fma_peak(ffma, lanes));
    fflush(stdout);
    size_t c1 = cache_size(1), c2 = cache_size(2), c3 = cache_size(3);
    if (!c1) c1 = 32 << 10;
    if (!c2) c2 = 1 << 20;
    if (!c3) c3 = 32 << 20;
    size_t b3 = c3 / 4 < ((size_t)8 << 20) ? c3 / 4 : ((size_t)8 << 20);
    size_t bd = (size_t)256 << 20;
    if (bd < 8 * c3) bd = 8 * c3;
    const char *names[4] = {"L1", "L2", "L3", "DRAM"};
    size_t caps[4] = {c1, c2, c3, 0}, bufs[4] = {c1 / 2, c2 / 2, b3, bd};
    for (int i = 0; i < 4; i++) {
        printf("cache_%s_bytes,%zu\n", names[i], caps[i]);
        printf("buf_%s_bytes,%zu\n", names[i], bufs[i]);
        printf("bw_%s_gbs,%.2f\n", names[i], read_bw(fsum, bufs[i]));
        fflush(stdout);
    }
    return 0;
}
