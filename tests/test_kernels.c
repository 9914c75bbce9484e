/* Kernel variants: every variant this CPU runs against the scalar one (the
 * reference, double accumulation) on random configurations of the cell,
 * the layer and the cell's backward pass: float32 within 1e-6 and float64
 * within 1e-12, relative to max(|ref|, 1). The packed variants (generic,
 * avx2, avx512, neon) sum in the same order with fma, so they must agree
 * with one another bit for bit, and each must keep batch-split invariance.
 * The goldens are rerun per variant by tools/test.sh (GRU_KERNEL=...). */
#include <stdlib.h>

#include "runner.h"

static double rnd(gru_rng *r) { return 2.0 * gru_rng_uniform(r) - 1.0; }

static void fill(gru_dtype dt, void *p, size_t n, gru_rng *r) {
    for (size_t i = 0; i < n; i++) {
        if (dt == GRU_F32) ((float *)p)[i] = (float)rnd(r);
        else ((double *)p)[i] = rnd(r);
    }
}

static double at(gru_dtype dt, const void *p, size_t i) {
    return dt == GRU_F32 ? (double)((const float *)p)[i] : ((const double *)p)[i];
}

/* Worst |a-b| / max(|b|, 1) over n elements. */
static double worst(gru_dtype dt, const void *a, const void *b, size_t n) {
    double w = 0.0;
    for (size_t i = 0; i < n; i++) {
        double x = at(dt, a, i), y = at(dt, b, i), d = fabs(x - y) / fmax(fabs(y), 1.0);
        if (!(d <= w)) w = isnan(d) ? (double)INFINITY : d;
    }
    return w;
}

static double tol(gru_dtype dt) { return dt == GRU_F32 ? 1e-6 : 1e-12; }

/* A random cell config (all the step's branches), deterministic in seed. */
static void random_cfg(gru_cell_config *c, gru_rng *r, int with_dropout) {
    static const int units[] = {1, 3, 8, 17, 33, 64, 70, 130};
    static const int inputs[] = {1, 2, 5, 16, 40};
    static const char *acts[] = {"tanh", "sigmoid", "hard_sigmoid", "relu", "linear", "softsign",
                                 "softmax"};
    static const char *racts[] = {"hard_sigmoid", "sigmoid", "tanh", "linear", "relu"};
    const int U = units[gru_rng_next(r) % 8], F = inputs[gru_rng_next(r) % 5];
    gru_cell_config_init(c, U, F);
    c->dtype = gru_rng_next(r) % 2 ? GRU_F64 : GRU_F32;
    gru_activation_from_name(acts[gru_rng_next(r) % 7], &c->activation);
    gru_activation_from_name(racts[gru_rng_next(r) % 5], &c->recurrent_activation);
    c->reset_after = gru_rng_next(r) % 2;
    c->implementation = 1 + (int)(gru_rng_next(r) % 2);
    c->use_bias = gru_rng_next(r) % 4 != 0;
    if (c->use_bias) gru_initializer_from_name("glorot_uniform", &c->bias_initializer);
    if (c->use_bias && !c->reset_after) gru_initializer_from_name("random_normal", &c->bias_initializer);
    if (with_dropout && gru_rng_next(r) % 2) {
        c->dropout = 0.3;
        if (gru_rng_next(r) % 2) c->recurrent_dropout = 0.25;
    }
    c->seed = gru_rng_next(r);
    c->max_batch = 8;
}

TEST(kernels_variants) {
    int has_scalar = 0;
    printf("kernel variants:");
    for (size_t i = 0; gru_kernel_variant(i); i++) {
        printf(" %s", gru_kernel_variant(i));
        has_scalar |= strcmp(gru_kernel_variant(i), "scalar") == 0;
    }
    printf("\n");
    CHECK(has_scalar);
}

/* One cell per variant, same config and seed (so the same weights). */
static int cell_for(const gru_cell_config *base, const char *variant, gru_cell **out) {
    gru_cell_config c = *base;
    c.kernel = variant;
    return gru_cell_create(&c, out) == GRU_OK;
}

TEST(kernels_cell_match_scalar) {
    gru_rng r;
    gru_rng_seed(&r, 7);
    enum { B = 5 };
    for (int it = 0; it < 60; it++) {
        gru_cell_config c;
        random_cfg(&c, &r, 1);
        const size_t U = (size_t)c.units, F = (size_t)c.input_dim, es = gru_dtype_size(c.dtype);
        void *x = malloc(B * F * es), *h = malloc(B * U * es), *ref = malloc(B * U * es),
             *out = malloc(B * U * es), *gen = malloc(B * U * es), *one = malloc(U * es);
        fill(c.dtype, x, B * F, &r);
        fill(c.dtype, h, B * U, &r);
        const gru_training tr = c.dropout > 0 ? GRU_TRAINING_TRUE : GRU_TRAINING_FALSE;
        gru_cell *s, *g;
        CHECK(cell_for(&c, "scalar", &s) && cell_for(&c, "generic", &g));
        CHECK_OK(gru_cell_call(s, c.dtype, B, x, h, tr, ref));
        CHECK_OK(gru_cell_call(g, c.dtype, B, x, h, tr, gen));
        for (size_t v = 0; gru_kernel_variant(v); v++) {
            const char *name = gru_kernel_variant(v);
            gru_cell *k;
            CHECK(cell_for(&c, name, &k));
            CHECK(strcmp(gru_cell_kernel_name(k), name) == 0);
            CHECK_OK(gru_cell_call(k, c.dtype, B, x, h, tr, out));
            const double w = worst(c.dtype, out, ref, B * U);
            CHECK_MSG(w <= tol(c.dtype), "%s vs scalar, config %d (U %zu F %zu %s ra %d impl %d): %g",
                      name, it, U, F, c.dtype == GRU_F32 ? "f32" : "f64", (int)c.reset_after,
                      c.implementation, w);
            if (strcmp(name, "scalar") != 0)
                CHECK_MSG(memcmp(out, gen, B * U * es) == 0, "%s differs from generic, config %d",
                          name, it);
            if (tr == GRU_TRAINING_FALSE) { /* batch-split invariance, bitwise */
                for (size_t b = 0; b < B; b++) {
                    CHECK_OK(gru_cell_call(k, c.dtype, 1, (char *)x + b * F * es,
                                           (char *)h + b * U * es, tr, one));
                    CHECK_MSG(memcmp(one, (char *)out + b * U * es, U * es) == 0,
                              "%s: row %zu alone differs from the batch, config %d", name, b, it);
                }
            }
            gru_cell_free(k);
        }
        gru_cell_free(s);
        gru_cell_free(g);
        free(x), free(h), free(ref), free(out), free(gen), free(one);
    }
}

/* Layer: hoisted input projections, masks (lengths), dropout, both
 * directions of time. */
static int run_layer(const gru_layer_config *base, const char *variant, const gru_seq *in,
                     gru_training tr, void *out) {
    gru_layer_config c = *base;
    c.cell.kernel = variant;
    gru_layer *l;
    if (gru_layer_create(&c, &l)) return 0;
    size_t n;
    void *ws = NULL;
    int ok = gru_layer_workspace_size(l, in->batch, in->steps, &n) == GRU_OK &&
             (ws = aligned_alloc(64, (n + 63) / 64 * 64)) != NULL &&
             gru_layer_forward(l, c.cell.dtype, in, NULL, tr, out, ws, n) == GRU_OK;
    free(ws);
    gru_layer_free(l);
    return ok;
}

/* A random layer (random_cfg's cell, dropout included) returning
 * sequences, in either direction of time. */
static void random_layer_cfg(gru_layer_config *lc, gru_rng *r) {
    gru_cell_config cc;
    random_cfg(&cc, r, 1);
    gru_layer_config_init(lc, cc.units, cc.input_dim);
    lc->cell = cc;
    lc->return_sequences = true;
    lc->go_backwards = gru_rng_next(r) % 2;
}

TEST(kernels_layer_match_scalar) {
    gru_rng r;
    gru_rng_seed(&r, 11);
    enum { B = 3, T = 6 };
    for (int it = 0; it < 30; it++) {
        gru_layer_config lc;
        random_layer_cfg(&lc, &r);
        const gru_cell_config cc = lc.cell;
        const size_t U = (size_t)cc.units, F = (size_t)cc.input_dim, es = gru_dtype_size(cc.dtype);
        void *x = malloc(B * T * F * es), *ref = malloc(B * T * U * es), *out = malloc(B * T * U * es);
        fill(cc.dtype, x, B * T * F, &r);
        int64_t lengths[B] = {T, 2, 5};
        gru_seq in = {B, T, x, NULL, gru_rng_next(&r) % 2 ? lengths : NULL};
        const gru_training tr = cc.dropout > 0 ? GRU_TRAINING_TRUE : GRU_TRAINING_FALSE;
        CHECK(run_layer(&lc, "scalar", &in, tr, ref));
        for (size_t v = 0; gru_kernel_variant(v); v++) {
            CHECK(run_layer(&lc, gru_kernel_variant(v), &in, tr, out));
            const double w = worst(cc.dtype, out, ref, B * T * U);
            CHECK_MSG(w <= tol(cc.dtype), "%s vs scalar, layer config %d: %g",
                      gru_kernel_variant(v), it, w);
        }
        free(x), free(ref), free(out);
    }
}

/* A batch large enough that the layer runs it in row groups and step
 * chunks (layer_impl.h) gives each row the bits it gets alone, with masks,
 * in every variant. */
TEST(kernels_layer_groups_bitwise) {
    gru_rng r;
    gru_rng_seed(&r, 13);
    enum { B = 37, T = 5 };
    for (int dt = 0; dt < 2; dt++) {
        gru_layer_config lc;
        gru_layer_config_init(&lc, 260, 9);
        lc.cell.dtype = dt ? GRU_F64 : GRU_F32;
        lc.cell.reset_after = dt == 0;
        lc.return_sequences = true;
        const size_t U = 260, F = 9, es = gru_dtype_size(lc.cell.dtype);
        char *x = malloc(B * T * F * es), *all = malloc(B * T * U * es), *one = malloc(T * U * es);
        fill(lc.cell.dtype, x, B * T * F, &r);
        int64_t lengths[B];
        for (int b = 0; b < B; b++) lengths[b] = 1 + b % T;
        for (size_t v = 0; gru_kernel_variant(v); v++) {
            gru_seq in = {B, T, x, NULL, lengths};
            CHECK(run_layer(&lc, gru_kernel_variant(v), &in, GRU_TRAINING_FALSE, all));
            for (int b = 0; b < B; b += 6) {
                gru_seq in1 = {1, T, x + (size_t)b * T * F * es, NULL, lengths + b};
                CHECK(run_layer(&lc, gru_kernel_variant(v), &in1, GRU_TRAINING_FALSE, one));
                CHECK_MSG(memcmp(one, all + (size_t)b * T * U * es, T * U * es) == 0,
                          "%s: row %d alone differs from the batch of %d (%s)",
                          gru_kernel_variant(v), b, B, dt ? "f64" : "f32");
            }
        }
        free(x), free(all), free(one);
    }
}

/* The backward pass reads the forward record the fused step writes. */
TEST(kernels_cell_backward_match_scalar) {
    gru_rng r;
    gru_rng_seed(&r, 13);
    enum { B = 3 };
    for (int it = 0; it < 30; it++) {
        gru_cell_config c;
        random_cfg(&c, &r, 1);
        if (c.activation.kind == GRU_ACT_RELU) gru_activation_from_name("tanh", &c.activation);
        const size_t U = (size_t)c.units, F = (size_t)c.input_dim, es = gru_dtype_size(c.dtype);
        size_t nk, nr, nb;
        gru_cell *s;
        CHECK(cell_for(&c, "scalar", &s));
        CHECK_OK(gru_cell_weight_sizes(s, &nk, &nr, &nb));
        const size_t n = B * F + B * U + nk + nr + nb;
        char *x = malloc(B * F * es), *h = malloc(B * U * es), *dy = malloc(B * U * es);
        char *ref = calloc(n + 1, es), *got = calloc(n + 1, es);
        fill(c.dtype, x, B * F, &r);
        fill(c.dtype, h, B * U, &r);
        fill(c.dtype, dy, B * U, &r);
        const gru_training tr = c.dropout > 0 ? GRU_TRAINING_TRUE : GRU_TRAINING_FALSE;
        for (size_t v = 0; v == 0 || gru_kernel_variant(v - 1); v++) {
            gru_cell *k = s; /* v = 0: the scalar reference; then every variant */
            if (v > 0) CHECK(cell_for(&c, gru_kernel_variant(v - 1), &k));
            char *o = v == 0 ? ref : got;
            gru_cell_grads gr = {o + (B * F + B * U) * es, o + (B * F + B * U + nk) * es,
                                 nb ? o + (B * F + B * U + nk + nr) * es : NULL};
            CHECK_OK(gru_cell_grads_zero(k, &gr));
            CHECK_OK(gru_cell_backward(k, c.dtype, B, x, h, tr, dy, o, o + B * F * es, &gr));
            if (v > 0) {
                const double w = worst(c.dtype, got, ref, n);
                CHECK_MSG(w <= 10 * tol(c.dtype), "%s vs scalar, backward config %d: %g",
                          gru_kernel_variant(v - 1), it, w);
                gru_cell_free(k);
            }
        }
        gru_cell_free(s);
        free(x), free(h), free(dy), free(ref), free(got);
    }
}

/* The layer's backward pass (whole steps of rows through the variant's
 * products) against the scalar variant's row-by-row one: d_x, d_initial
 * and the weight gradients, with masks, dropout and odd sizes. */
static int layer_grads(const gru_layer_config *base, const char *variant, const gru_seq *in,
                       gru_training tr, const void *dy, char *o, size_t *n_out) {
    gru_layer_config c = *base;
    c.cell.kernel = variant;
    gru_layer *l;
    if (gru_layer_create(&c, &l)) return 0;
    const size_t B = (size_t)in->batch, T = (size_t)in->steps, U = (size_t)c.cell.units,
                 F = (size_t)c.cell.input_dim, es = gru_dtype_size(c.cell.dtype);
    size_t nk, nr, nb, tb, wb;
    void *tape = NULL, *ws = NULL, *y = malloc(B * T * U * es);
    int ok = gru_cell_weight_sizes(gru_layer_cell(l), &nk, &nr, &nb) == GRU_OK &&
             gru_layer_tape_size(l, (int64_t)B, (int64_t)T, &tb) == GRU_OK &&
             gru_layer_backward_workspace_size(l, (int64_t)B, (int64_t)T, &wb) == GRU_OK &&
             (tape = aligned_alloc(64, (tb + 63) / 64 * 64)) != NULL &&
             (ws = aligned_alloc(64, (wb + 63) / 64 * 64)) != NULL && y;
    if (ok) {
        char *dx = o, *dh0 = o + B * T * F * es, *g = dh0 + B * U * es;
        gru_cell_grads gr = {g, g + nk * es, nb ? g + (nk + nr) * es : NULL};
        *n_out = B * T * F + B * U + nk + nr + nb;
        ok = gru_cell_grads_zero(gru_layer_cell(l), &gr) == GRU_OK &&
             gru_layer_forward_train(l, c.cell.dtype, in, NULL, tr, y, tape, tb) == GRU_OK &&
             gru_layer_backward(l, c.cell.dtype, in, tape, dy, NULL, dx, dh0, &gr, ws, wb) ==
                 GRU_OK;
    }
    free(tape), free(ws), free(y);
    gru_layer_free(l);
    return ok;
}

TEST(kernels_layer_backward_match_scalar) {
    gru_rng r;
    gru_rng_seed(&r, 17);
    enum { B = 5, T = 4 };
    for (int it = 0; it < 24; it++) {
        gru_layer_config lc;
        random_layer_cfg(&lc, &r);
        const gru_cell_config cc = lc.cell;
        const size_t U = (size_t)cc.units, F = (size_t)cc.input_dim, es = gru_dtype_size(cc.dtype);
        const size_t cap = B * T * F + B * U + 3 * F * U + 3 * U * U + 6 * U + 1;
        char *x = malloc(B * T * F * es), *dy = malloc(B * T * U * es);
        char *ref = calloc(cap, es), *got = calloc(cap, es);
        fill(cc.dtype, x, B * T * F, &r);
        fill(cc.dtype, dy, B * T * U, &r);
        int64_t lengths[B] = {T, 2, 3, 1, T};
        gru_seq in = {B, T, x, NULL, gru_rng_next(&r) % 2 ? lengths : NULL};
        const gru_training tr = cc.dropout > 0 ? GRU_TRAINING_TRUE : GRU_TRAINING_FALSE;
        size_t n = 0, n2 = 0;
        CHECK(layer_grads(&lc, "scalar", &in, tr, dy, ref, &n));
        for (size_t v = 0; gru_kernel_variant(v); v++) {
            CHECK(layer_grads(&lc, gru_kernel_variant(v), &in, tr, dy, got, &n2));
            CHECK(n2 == n && n <= cap);
            const double w = worst(cc.dtype, got, ref, n);
            CHECK_MSG(w <= 10 * tol(cc.dtype), "%s vs scalar, layer backward config %d (U %zu F %zu %s): %g",
                      gru_kernel_variant(v), it, U, F, cc.dtype == GRU_F32 ? "f32" : "f64", w);
        }
        free(x), free(dy), free(ref), free(got);
    }
}

void tests_kernels(void);
void tests_kernels(void) {
    TR_RUN(kernels_variants);
    TR_RUN(kernels_cell_match_scalar);
    TR_RUN(kernels_layer_match_scalar);
    TR_RUN(kernels_layer_groups_bitwise);
    TR_RUN(kernels_cell_backward_match_scalar);
    TR_RUN(kernels_layer_backward_match_scalar);
}
