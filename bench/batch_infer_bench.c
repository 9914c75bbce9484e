/* Batch inference benchmark (not a test): gru_model_forward of a Keras-style
 * model on a large batch, float32, on 1 thread and on pools of N threads
 * (gru_threadpool_create + gru_model_set_threadpool: the batch rows are
 * split between the threads), reporting sequences per second and the
 * speed-up over one thread. Two models, each Input (T, F) -> recurrent ->
 * Dense(1):
 *
 *     gru    GRU(U)                         (Keras v1 defaults)
 *     bidi   Bidirectional(GRU(U), concat)
 *
 * The thread counts are measured interleaved (one call each, in turn, per
 * round), so load from other work on a shared machine falls on all of them
 * alike; each is the median wall time of `rounds` calls after one warm-up
 * call each. The outputs of every thread count are compared with one
 * thread's (memcmp): the program fails if they differ.
 *
 *     gru_batch_infer_bench [-t N[,N...]] [-r rounds] [B:T:F:U]
 *
 * Defaults: -t 1,2, -r 7, 1024:100:32:128. One CSV line per model and
 * thread count:
 *
 *     model,kernel,B,T,F,U,threads,rounds,median_s,seq_per_s,speedup
 *
 * speedup = seq_per_s / seq_per_s of the first thread count (normally 1). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_clock.h"
#include "bench_try.h"

#include "gru.h"

#define MAX_T 8
#define MAX_ROUNDS 101

static gru_model *build(int bidi, int64_t F, int64_t U) {
    gru_model_node nd[3];
    TRY(gru_model_node_init(&nd[0], GRU_NODE_INPUT, "x"));
    nd[0].input.rank = 2;
    nd[0].input.shape[0] = -1;
    nd[0].input.shape[1] = F;
    if (bidi) {
        TRY(gru_model_node_init(&nd[1], GRU_NODE_BIDIRECTIONAL, "bi"));
        TRY(gru_bidirectional_config_init(&nd[1].bidirectional, U, F));
    } else {
        TRY(gru_model_node_init(&nd[1], GRU_NODE_GRU, "gru"));
        TRY(gru_layer_config_init(&nd[1].gru, U, F));
    }
    TRY(gru_model_node_init(&nd[2], GRU_NODE_DENSE, "head"));
    nd[2].dense.units = 1;
    for (size_t i = 1; i < 3; i++) {
        nd[i].n_inputs = 1;
        nd[i].inputs[0].node = i - 1;
        nd[i].inputs[0].port = 0;
    }
    gru_model_ref out = {2, 0};
    gru_model *m = NULL;
    TRY(gru_model_create(nd, 3, &out, 1, GRU_F32, &m));
    return m;
}

static const char *kernel_of(gru_model *m, int bidi) {
    gru_layer *l = bidi ? gru_bidirectional_layer(gru_model_node_bidirectional(m, 1), 0)
                        : gru_model_node_layer(m, 1);
    return gru_cell_kernel_name(gru_layer_cell(l));
}

static int parse_threads(const char *s, int *t, int *nt) {
    *nt = 0;
    while (*s) {
        char *end;
        const long v = strtol(s, &end, 10);
        if (end == s || v < 1 || v > 1024 || *nt == MAX_T) return 0;
        t[(*nt)++] = (int)v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return 0;
    }
    return *nt > 0;
}

int main(int argc, char **argv) {
    int threads[MAX_T] = {1, 2}, nt = 2, rounds = 7;
    long long B = 1024, T = 100, F = 32, U = 128;
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "-t") == 0 && a + 1 < argc) {
            if (!parse_threads(argv[++a], threads, &nt)) {
                fprintf(stderr, "-t: thread counts in [1, 1024], comma-separated (at most %d)\n",
                        MAX_T);
                return 2;
            }
        } else if (strcmp(argv[a], "-r") == 0 && a + 1 < argc) {
            rounds = atoi(argv[++a]);
            if (rounds < 1 || rounds > MAX_ROUNDS) {
                fprintf(stderr, "-r: rounds in [1, %d]\n", MAX_ROUNDS);
                return 2;
            }
        } else if (sscanf(argv[a], "%lld:%lld:%lld:%lld", &B, &T, &F, &U) != 4 || B < 1 ||
                   T < 1 || F < 1 || U < 1) {
            fprintf(stderr, "usage: %s [-t N[,N...]] [-r rounds] [B:T:F:U]\n", argv[0]);
            return 2;
        }
    }
    gru_threadpool *pool[MAX_T] = {0};
    for (int k = 0; k < nt; k++)
        if (threads[k] > 1) TRY(gru_threadpool_create(threads[k], &pool[k]));
    const size_t nx = (size_t)(B * T * F);
    float *x = malloc(nx * sizeof *x);
    float *y[MAX_T];
    if (!x) return 1;
    gru_rng rng;
    gru_rng_seed(&rng, 42);
    for (size_t i = 0; i < nx; i++) x[i] = (float)(2.0 * gru_rng_uniform(&rng) - 1.0);
    printf("model,kernel,B,T,F,U,threads,rounds,median_s,seq_per_s,speedup\n");
    int rc = 0;
    for (int bidi = 0; bidi < 2; bidi++) {
        gru_model *m = build(bidi, F, U);
        size_t wsb[MAX_T], wmax = 0;
        for (int k = 0; k < nt; k++) {
            TRY(gru_model_set_threadpool(m, pool[k]));
            TRY(gru_model_workspace_size(m, B, T, &wsb[k]));
            if (wsb[k] > wmax) wmax = wsb[k];
            y[k] = calloc((size_t)B, sizeof(float));
            if (!y[k]) return 1;
        }
        void *ws = aligned_alloc(64, (wmax + 63) / 64 * 64);
        if (!ws) return 1;
        const void *ins[1] = {x};
        double t[MAX_T][MAX_ROUNDS];
        for (int r = -1; r < rounds; r++) /* round -1: the warm-up calls */
            for (int k = 0; k < nt; k++) {
                void *outs[1] = {y[k]};
                TRY(gru_model_set_threadpool(m, pool[k]));
                const double t0 = now_s();
                TRY(gru_model_forward(m, GRU_F32, B, T, ins, outs, ws, wsb[k]));
                if (r >= 0) t[k][r] = now_s() - t0;
            }
        double base = 0.0;
        for (int k = 0; k < nt; k++) {
            qsort(t[k], (size_t)rounds, sizeof(double), cmp_d);
            const double med = t[k][rounds / 2], sps = (double)B / med;
            if (k == 0) base = sps;
            printf("%s,%s,%lld,%lld,%lld,%lld,%d,%d,%.6f,%.1f,%.3f\n", bidi ? "bidi" : "gru",
                   kernel_of(m, bidi), B, T, F, U, threads[k], rounds, med, sps, sps / base);
            if (memcmp(y[k], y[0], (size_t)B * sizeof(float)) != 0) {
                fprintf(stderr, "%s: the outputs of %d threads differ from %d thread(s)\n",
                        bidi ? "bidi" : "gru", threads[k], threads[0]);
                rc = 1;
            }
        }
        fflush(stdout);
        for (int k = 0; k < nt; k++) free(y[k]);
        free(ws);
        gru_model_free(m);
    }
    free(x);
    for (int k = 0; k < nt; k++) gru_threadpool_free(pool[k]);
    return rc;
}
