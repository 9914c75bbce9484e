/* oneDNN peer for bench/gru_bench.c (benchmark, not a test): a
 * unidirectional one-layer GRU forward (inference) in oneDNN's C API (v2.x,
 * Debian's libdnnl-dev), float32, one thread, on the same shapes:
 *
 *     gru      dnnl_vanilla_gru (linear_before_reset = false; the v1 /
 *              reset_after = false formulation, sigmoid gates)
 *     lbr_gru  dnnl_lbr_gru (linear_before_reset = true; the reset_after
 *              formulation)
 *
 * Weights are given with format "any" and reordered once, outside the
 * timing, into the layout the primitive picks (as frameworks do). The timed
 * call is one primitive execution over the whole sequence (T steps),
 * followed by dnnl_stream_wait. Timing and the CSV line are those of
 * gru_bench.c:
 *
 *     onednn-X.Y.Z/gru|lbr_gru,v1|reset_after,B,T,F,U,reps,wall_ns,cpu_ns
 *
 * oneDNN's threads come from OpenMP; OMP_NUM_THREADS is read when the
 * runtime loads, so when it is unset the program re-executes itself with
 * OMP_NUM_THREADS=1.
 *
 *     gru_onednn_bench [budget_seconds] [B:T:F:U ...] */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_clock.h"
#include <unistd.h>

#include <dnnl.h>

#define MIN_REPS 3
#define MAX_REPS 51

#define CHK(expr)                                                               \
    do {                                                                        \
        dnnl_status_t s_ = (expr);                                              \
        if (s_ != dnnl_success) {                                               \
            fprintf(stderr, "%s:%d: %s failed (%d)\n", __FILE__, __LINE__, #expr, \
                    (int)s_);                                                   \
            exit(1);                                                            \
        }                                                                       \
    } while (0)

static unsigned long long rng_state = 88172645463325252ULL;
static float frand(void) { /* xorshift64, uniform in [-1, 1) */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (float)((double)(rng_state >> 11) * (2.0 / 9007199254740992.0) - 1.0);
}

static dnnl_memory_t make_mem(dnnl_engine_t eng, const dnnl_memory_desc_t *md, float scale) {
    dnnl_memory_t m;
    CHK(dnnl_memory_create(&m, md, eng, DNNL_MEMORY_ALLOCATE));
    void *p;
    CHK(dnnl_memory_get_data_handle(m, &p));
    size_t n = dnnl_memory_desc_get_size(md) / sizeof(float);
    for (size_t i = 0; i < n; i++) ((float *)p)[i] = scale * frand();
    return m;
}

/* Memory in the primitive's layout want, filled from random values in the
 * plain layout user (reordered). */
static dnnl_memory_t make_weights(dnnl_engine_t eng, dnnl_stream_t st,
                                  const dnnl_memory_desc_t *user, const dnnl_memory_desc_t *want,
                                  float scale) {
    dnnl_memory_t src = make_mem(eng, user, scale), dst;
    CHK(dnnl_memory_create(&dst, want, eng, DNNL_MEMORY_ALLOCATE));
    dnnl_primitive_desc_t rpd;
    CHK(dnnl_reorder_primitive_desc_create(&rpd, user, eng, want, eng, NULL));
    dnnl_primitive_t r;
    CHK(dnnl_primitive_create(&r, rpd));
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}};
    CHK(dnnl_primitive_execute(r, st, 2, args));
    CHK(dnnl_stream_wait(st));
    dnnl_primitive_destroy(r);
    dnnl_primitive_desc_destroy(rpd);
    dnnl_memory_destroy(src);
    return dst;
}

typedef struct timing {
    double wall, cpu; /* medians, seconds per call */
    int reps;         /* timed calls */
} timing;

static timing bench(dnnl_engine_t eng, dnnl_stream_t st, int lbr, double budget, int64_t B,
                    int64_t T, int64_t F, int64_t U) {
    const int64_t G = 3, GB = lbr ? 4 : 3;
    dnnl_dims_t d_src = {T, B, F}, d_dst = {T, B, U};
    dnnl_dims_t d_wl = {1, 1, F, G, U}, d_wi = {1, 1, U, G, U}, d_b = {1, 1, GB, U};
    dnnl_memory_desc_t src_md, dst_md, wl_any, wi_any, wl_user, wi_user, b_md;
    CHK(dnnl_memory_desc_init_by_tag(&src_md, 3, d_src, dnnl_f32, dnnl_tnc));
    CHK(dnnl_memory_desc_init_by_tag(&dst_md, 3, d_dst, dnnl_f32, dnnl_tnc));
    CHK(dnnl_memory_desc_init_by_tag(&wl_any, 5, d_wl, dnnl_f32, dnnl_format_tag_any));
    CHK(dnnl_memory_desc_init_by_tag(&wi_any, 5, d_wi, dnnl_f32, dnnl_format_tag_any));
    CHK(dnnl_memory_desc_init_by_tag(&wl_user, 5, d_wl, dnnl_f32, dnnl_ldigo));
    CHK(dnnl_memory_desc_init_by_tag(&wi_user, 5, d_wi, dnnl_f32, dnnl_ldigo));
    CHK(dnnl_memory_desc_init_by_tag(&b_md, 4, d_b, dnnl_f32, dnnl_ldgo));
    dnnl_rnn_desc_t rd;
    if (lbr)
        CHK(dnnl_lbr_gru_forward_desc_init(&rd, dnnl_forward_inference,
                                           dnnl_unidirectional_left2right, &src_md, NULL,
                                           &wl_any, &wi_any, &b_md, &dst_md, NULL, 0));
    else
        CHK(dnnl_gru_forward_desc_init(&rd, dnnl_forward_inference,
                                       dnnl_unidirectional_left2right, &src_md, NULL, &wl_any,
                                       &wi_any, &b_md, &dst_md, NULL, 0));
    dnnl_primitive_desc_t pd;
    CHK(dnnl_primitive_desc_create(&pd, &rd, NULL, eng, NULL));
    const dnnl_memory_desc_t *wl_md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *wi_md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 1);
    const dnnl_memory_desc_t *sp_md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    dnnl_memory_t src = make_mem(eng, &src_md, 1.0f), dst = make_mem(eng, &dst_md, 0.0f);
    dnnl_memory_t bias = make_mem(eng, &b_md, 0.1f);
    float wscale = 1.0f / (float)U;
    dnnl_memory_t wl = make_weights(eng, st, &wl_user, wl_md, wscale);
    dnnl_memory_t wi = make_weights(eng, st, &wi_user, wi_md, wscale);
    dnnl_memory_t sp = NULL;
    int nargs = 5;
    dnnl_exec_arg_t args[6] = {{DNNL_ARG_SRC_LAYER, src},   {DNNL_ARG_WEIGHTS_LAYER, wl},
                               {DNNL_ARG_WEIGHTS_ITER, wi}, {DNNL_ARG_BIAS, bias},
                               {DNNL_ARG_DST_LAYER, dst},   {DNNL_ARG_SCRATCHPAD, NULL}};
    if (sp_md && dnnl_memory_desc_get_size(sp_md) > 0) {
        CHK(dnnl_memory_create(&sp, sp_md, eng, DNNL_MEMORY_ALLOCATE));
        args[nargs++].memory = sp;
    }
    dnnl_primitive_t prim;
    CHK(dnnl_primitive_create(&prim, pd));

    double ts[MAX_REPS], cs[MAX_REPS];
    int reps = 0;
    double start = now_s();
    CHK(dnnl_primitive_execute(prim, st, nargs, args)); /* warm-up */
    CHK(dnnl_stream_wait(st));
    int min_reps = now_s() - start > budget ? 1 : MIN_REPS; /* slow: time one call */
    start = now_s();
    while (reps < MAX_REPS && (reps < min_reps || now_s() - start < budget)) {
        double t0 = now_s(), c0 = cpu_s();
        CHK(dnnl_primitive_execute(prim, st, nargs, args));
        CHK(dnnl_stream_wait(st));
        cs[reps] = cpu_s() - c0;
        ts[reps++] = now_s() - t0;
    }
    qsort(ts, (size_t)reps, sizeof *ts, cmp_d);
    qsort(cs, (size_t)reps, sizeof *cs, cmp_d);
    timing tm = {ts[reps / 2], cs[reps / 2], reps};
    dnnl_primitive_destroy(prim);
    dnnl_primitive_desc_destroy(pd);
    dnnl_memory_destroy(src), dnnl_memory_destroy(dst), dnnl_memory_destroy(bias);
    dnnl_memory_destroy(wl), dnnl_memory_destroy(wi);
    if (sp) dnnl_memory_destroy(sp);
    return tm;
}

int main(int argc, char **argv) {
    if (!getenv("OMP_NUM_THREADS")) { /* one thread: the runtime reads it at load */
        setenv("OMP_NUM_THREADS", "1", 1);
        execv("/proc/self/exe", argv);
        perror("execv /proc/self/exe (set OMP_NUM_THREADS=1 yourself)");
    }
    double budget = argc > 1 ? atof(argv[1]) : 1.0;
    if (!(budget > 0)) budget = 1.0;
    static const char *const defaults[] = {
        "1:100:32:32",    "1:100:64:64",    "1:100:128:128",    "1:100:256:256",
        "1:100:512:512",  "64:100:32:32",   "64:100:64:64",     "64:100:128:128",
        "64:100:256:256", "64:100:512:512", "256:100:32:32",    "256:100:64:64",
        "256:100:128:128", "256:100:256:256", "256:100:512:512"};
    int nshapes = argc > 2 ? argc - 2 : (int)(sizeof defaults / sizeof defaults[0]);
    const dnnl_version_t *v = dnnl_version();
    char peer[64];
    dnnl_engine_t eng;
    dnnl_stream_t st;
    CHK(dnnl_engine_create(&eng, dnnl_cpu, 0));
    CHK(dnnl_stream_create(&st, eng, dnnl_stream_default_flags));
    for (int i = 0; i < nshapes; i++) {
        const char *s = argc > 2 ? argv[i + 2] : defaults[i];
        long long B, T, F, U;
        if (sscanf(s, "%lld:%lld:%lld:%lld", &B, &T, &F, &U) != 4 || B < 1 || T < 1 || F < 1 ||
            U < 1) {
            fprintf(stderr, "bad shape %s (want B:T:F:U)\n", s);
            return 2;
        }
        for (int lbr = 0; lbr <= 1; lbr++) {
            timing tm = bench(eng, st, lbr, budget, B, T, F, U);
            snprintf(peer, sizeof peer, "onednn-%d.%d.%d/%s", v->major, v->minor, v->patch,
                     lbr ? "lbr_gru" : "gru");
            printf("%s,%s,%lld,%lld,%lld,%lld,%d,%.1f,%.1f\n", peer, lbr ? "reset_after" : "v1", B,
                   T, F, U, tm.reps, tm.wall * 1e9 / (double)T, tm.cpu * 1e9 / (double)T);
            fflush(stdout);
        }
    }
    dnnl_stream_destroy(st);
    dnnl_engine_destroy(eng);
    return 0;
}
