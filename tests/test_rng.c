/* gru_rng: published known answers for xoshiro256** and splitmix64, seeding,
 * determinism, and the ranges and moments of the uniform and normal draws.
 * Statistical tolerances are about 5 standard errors (the seeds are fixed,
 * so the tests are deterministic anyway). */
#include "runner.h"

#include <stdint.h>

void tests_rng(void);

/* xoshiro256** from state {1, 2, 3, 4}: the first outputs of the reference
 * implementation. */
TEST(rng_xoshiro_known_answer) {
    gru_rng r = {{1, 2, 3, 4}};
    const uint64_t want[4] = {UINT64_C(11520), UINT64_C(0), UINT64_C(1509978240),
                              UINT64_C(1215971899390074240)};
    for (int i = 0; i < 4; i++) {
        uint64_t got = gru_rng_next(&r);
        CHECK_MSG(got == want[i], "output %d: got %llu, want %llu", i, (unsigned long long)got,
                  (unsigned long long)want[i]);
    }
}

/* Seeding fills the state with the first four splitmix64 outputs of the seed
 * (published splitmix64 sequence for seed 0). */
TEST(rng_seed_splitmix_known_answer) {
    gru_rng r;
    gru_rng_seed(&r, 0);
    const uint64_t want[4] = {UINT64_C(0xe220a8397b1dcdaf), UINT64_C(0x6e789e6aa1b965f4),
                              UINT64_C(0x06c45d188009454f), UINT64_C(0xf88bb8a8724c81ec)};
    for (int i = 0; i < 4; i++)
        CHECK_MSG(r.s[i] == want[i], "s[%d] = %016llx, want %016llx", i,
                  (unsigned long long)r.s[i], (unsigned long long)want[i]);
}

TEST(rng_seed_never_zero_state) {
    const uint64_t seeds[] = {0, 1, 2, UINT64_MAX, UINT64_C(0x9E3779B97F4A7C15),
                              (uint64_t)0 - UINT64_C(0x9E3779B97F4A7C15), UINT64_C(42)};
    for (size_t k = 0; k < sizeof seeds / sizeof seeds[0]; k++) {
        gru_rng r;
        gru_rng_seed(&r, seeds[k]);
        CHECK((r.s[0] | r.s[1] | r.s[2] | r.s[3]) != 0);
        /* and the generator moves */
        uint64_t a = gru_rng_next(&r), b = gru_rng_next(&r), c = gru_rng_next(&r);
        CHECK(!(a == b && b == c));
    }
}

TEST(rng_determinism) {
    gru_rng a, b, c;
    gru_rng_seed(&a, 1234);
    gru_rng_seed(&b, 1234);
    gru_rng_seed(&c, 1235);
    int same_c = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = gru_rng_next(&a), y = gru_rng_next(&b), z = gru_rng_next(&c);
        CHECK(x == y);
        same_c += (x == z);
    }
    CHECK(same_c == 0);
    /* uniform and normal are functions of the stream too */
    gru_rng_seed(&a, 99);
    gru_rng_seed(&b, 99);
    for (int i = 0; i < 100; i++) {
        CHECK(gru_rng_uniform(&a) == gru_rng_uniform(&b));
        CHECK(gru_rng_normal(&a) == gru_rng_normal(&b));
    }
}

/* Each of the 64 output bits is set about half the time. */
TEST(rng_bit_balance) {
    gru_rng r;
    gru_rng_seed(&r, 7);
    enum { N = 100000 };
    long ones[64] = {0};
    for (int i = 0; i < N; i++) {
        uint64_t v = gru_rng_next(&r);
        for (int b = 0; b < 64; b++) ones[b] += (long)((v >> b) & 1u);
    }
    double sd = sqrt(N * 0.25);
    for (int b = 0; b < 64; b++)
        CHECK_MSG(fabs((double)ones[b] - N * 0.5) < 5.0 * sd, "bit %d set %ld times of %d", b,
                  ones[b], N);
}

TEST(rng_uniform_range_and_moments) {
    gru_rng r;
    gru_rng_seed(&r, 2024);
    enum { N = 1000000, BINS = 10 };
    double sum = 0, sum2 = 0, mn = 1, mx = 0;
    long bins[BINS] = {0};
    for (int i = 0; i < N; i++) {
        double u = gru_rng_uniform(&r);
        CHECK_MSG(u >= 0.0 && u < 1.0, "u = %.17g out of [0, 1)", u);
        /* 53 bits: an integer multiple of 2^-53 */
        double k = u * 9007199254740992.0;
        CHECK(k == floor(k));
        sum += u;
        sum2 += u * u;
        if (u < mn) mn = u;
        if (u > mx) mx = u;
        bins[(int)(u * BINS)]++;
    }
    double mean = sum / N, var = sum2 / N - mean * mean;
    CHECK_NEAR(mean, 0.5, 5.0 * sqrt(1.0 / 12.0 / N));
    /* var of the sample variance of U(0,1): (1/80 - 1/144) / N */
    CHECK_NEAR(var, 1.0 / 12.0, 5.0 * sqrt((1.0 / 80.0 - 1.0 / 144.0) / N));
    CHECK(mn < 1e-4 && mx > 1.0 - 1e-4);
    double p = 1.0 / BINS, bsd = sqrt(N * p * (1 - p));
    for (int b = 0; b < BINS; b++)
        CHECK_MSG(fabs((double)bins[b] - N * p) < 5.0 * bsd, "bin %d: %ld", b, bins[b]);
}

TEST(rng_normal_moments) {
    gru_rng r;
    gru_rng_seed(&r, 31337);
    enum { N = 1000000 };
    double s1 = 0, s2 = 0, s3 = 0, s4 = 0;
    long within1 = 0, below2 = 0;
    for (int i = 0; i < N; i++) {
        double z = gru_rng_normal(&r);
        CHECK(isfinite(z));
        s1 += z;
        s2 += z * z;
        s3 += z * z * z;
        s4 += z * z * z * z;
        within1 += fabs(z) < 1.0;
        below2 += z < -2.0;
    }
    double mean = s1 / N, m2 = s2 / N, m3 = s3 / N, m4 = s4 / N;
    CHECK_NEAR(mean, 0.0, 5.0 / sqrt((double)N));
    CHECK_NEAR(m2, 1.0, 5.0 * sqrt(2.0 / N));
    CHECK_NEAR(m3, 0.0, 5.0 * sqrt(15.0 / N));
    CHECK_NEAR(m4, 3.0, 5.0 * sqrt(96.0 / N));
    /* P(|Z| < 1) = erf(1/sqrt 2), P(Z < -2) = erfc(sqrt 2)/2 */
    double p1 = erf(1.0 / sqrt(2.0)), p2 = 0.5 * erfc(sqrt(2.0));
    CHECK_NEAR((double)within1 / N, p1, 5.0 * sqrt(p1 * (1 - p1) / N));
    CHECK_NEAR((double)below2 / N, p2, 5.0 * sqrt(p2 * (1 - p2) / N));
}

/* Bad input: the functions return no status, so NULL must be a harmless
 * no-op (0 for the draws). */
TEST(rng_null_is_harmless) {
    gru_rng_seed(NULL, 1);
    CHECK(gru_rng_next(NULL) == 0);
    CHECK(gru_rng_uniform(NULL) == 0.0);
    CHECK(gru_rng_normal(NULL) == 0.0);
}

void tests_rng(void) {
    TR_RUN(rng_xoshiro_known_answer);
    TR_RUN(rng_seed_splitmix_known_answer);
    TR_RUN(rng_seed_never_zero_state);
    TR_RUN(rng_determinism);
    TR_RUN(rng_bit_balance);
    TR_RUN(rng_uniform_range_and_moments);
    TR_RUN(rng_normal_moments);
    TR_RUN(rng_null_is_harmless);
}
