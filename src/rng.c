/* Random numbers: xoshiro256** seeded through splitmix64.
 *
 * Written from the published algorithm descriptions (Blackman & Vigna,
 * "Scrambled linear pseudorandom number generators", 2018, for xoshiro256**;
 * Steele, Lea & Flood, "Fast splittable pseudorandom number generators", 2014,
 * for the splitmix64 output function). No global state: everything lives in
 * the caller's gru_rng.
 *
 * NULL handling: these functions return no status, so a NULL generator is a
 * no-op (seed) or yields 0 (next, uniform, normal). */
#include "internal.h"

#include <math.h>

/* One splitmix64 step: advances *x by the golden-ratio increment and returns
 * the mixed value. */
static uint64_t gru__splitmix64(uint64_t *x) {
    uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static uint64_t gru__rotl64(uint64_t v, unsigned k) { return (v << k) | (v >> (64u - k)); }

void gru_rng_seed(gru_rng *rng, uint64_t seed) {
    if (!rng) return;
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) rng->s[i] = gru__splitmix64(&x);
    /* xoshiro's only forbidden state. splitmix64 is a bijection of its
     * counter, so four consecutive outputs cannot all be zero, but keep the
     * guarantee explicit. */
    if ((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) == 0) rng->s[0] = UINT64_C(0x9E3779B97F4A7C15);
}

uint64_t gru_rng_next(gru_rng *rng) {
    if (!rng) return 0;
    uint64_t *s = rng->s;
    const uint64_t result = gru__rotl64(s[1] * 5u, 7) * 9u;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = gru__rotl64(s[3], 45);
    return result;
}

double gru_rng_uniform(gru_rng *rng) {
    if (!rng) return 0.0;
    /* Top 53 bits, scaled by 2^-53: every multiple of 2^-53 in [0, 1). */
    return (double)(gru_rng_next(rng) >> 11) * 0x1.0p-53;
}

double gru_rng_normal(gru_rng *rng) {
    if (!rng) return 0.0;
    /* Box-Muller, cosine branch only (the sine variate is discarded so that
     * no second value has to be cached): with U1 uniform on (0, 1] and U2
     * uniform on [0, 1), sqrt(-2 ln U1) cos(2 pi U2) is exactly N(0, 1). */
    const double two_pi = 6.283185307179586476925286766559;
    double u1 = 1.0 - gru_rng_uniform(rng); /* (0, 1]: log is finite */
    double u2 = gru_rng_uniform(rng);
    return sqrt(-2.0 * log(u1)) * cos(two_pi * u2);
}
