/* The backward pass of Bidirectional and of stacks against central finite
 * differences of the forward pass (float64): L = sum(c * output) (+ sum(c'
 * * output_backward) with merge None, + the final states with return_state)
 * w.r.t. x, the initial states and every weight of every layer. Every merge
 * mode, with and without return_sequences, masks, time_major, a custom
 * backward layer (different units with concat / None), recorded dropout
 * masks; stacks of 2-3 entries with a bidirectional one, masks and lengths.
 * Plus float32 against float64, accumulation into grads and rejections. */
#include <stdlib.h>

#include "runner.h"

enum { F = 3, B = 3, T = 4, FMAX = 10, UMAX = 5, NL = 6 };

static void fill(double *p, size_t n, unsigned seed, double scale) {
    gru_rng r;
    gru_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) p[i] = scale * (2.0 * gru_rng_uniform(&r) - 1.0);
}

static void *abuf(size_t n) { return aligned_alloc(64, (n + 63) / 64 * 64 + 64); }

/* sample 0 trailing gap, sample 1 leading and interior gaps, sample 2 fully
 * masked (read as (T,B) when time_major). */
static const uint8_t g_mask[B * T] = {1, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0};

/* One directional layer's weights, their gradients and the finite-difference
 * hook that writes the weights back. */
typedef struct lw {
    gru_layer *l;
    size_t nk, nr, nb;
    double k[FMAX * 3 * UMAX], r[UMAX * 3 * UMAX], b[6 * UMAX];
    double gk[FMAX * 3 * UMAX], gr[UMAX * 3 * UMAX], gb[6 * UMAX];
} lw;

static int lw_bind(lw *w, gru_layer *l, unsigned seed) {
    gru_layer_config c;
    if (gru_layer_get_config(l, &c)) return 0;
    const size_t Fi = (size_t)c.cell.input_dim, U = (size_t)c.cell.units;
    if (Fi > FMAX || U > UMAX) return 0;
    w->l = l;
    w->nk = Fi * 3 * U;
    w->nr = U * 3 * U;
    w->nb = (c.cell.reset_after ? 6 : 3) * U;
    fill(w->k, w->nk, seed, 0.7);
    fill(w->r, w->nr, seed + 1, 0.7);
    fill(w->b, w->nb, seed + 2, 0.3);
    gru_cell_grads g = {w->gk, w->gr, w->gb};
    return gru_cell_set_weights(gru_layer_cell(l), GRU_F64, w->k, w->r, w->b) == GRU_OK &&
           gru_cell_grads_zero(gru_layer_cell(l), &g) == GRU_OK;
}

static void lw_set(lw *w) { gru_cell_set_weights(gru_layer_cell(w->l), GRU_F64, w->k, w->r, w->b); }

static gru_cell_grads lw_grads(lw *w) {
    gru_cell_grads g = {w->gk, w->gr, w->gb};
    return g;
}

/* Central differences of loss(ctx) over arr[0..n), against grad. */
typedef double (*loss_fn)(void *ctx);
static void fd_check(tr_ctx *t_, loss_fn loss, void *ctx, double *arr, size_t n,
                     const double *grad, lw *setw, const char *name) {
    const double eps = 1e-6;
    for (size_t i = 0; i < n; i++) {
        const double save = arr[i];
        arr[i] = save + eps;
        if (setw) lw_set(setw);
        const double lp = loss(ctx);
        arr[i] = save - eps;
        if (setw) lw_set(setw);
        const double lm = loss(ctx);
        arr[i] = save;
        if (setw) lw_set(setw);
        const double fd = (lp - lm) / (2 * eps), e = fabs(fd - grad[i]) / fmax(1.0, fabs(fd));
        CHECK_MSG(e < 1e-6, "%s[%zu]: backward %.10g, finite difference %.10g", name, i, grad[i],
                  fd);
    }
}

static void fd_layers(tr_ctx *t_, loss_fn loss, void *ctx, lw *w, size_t nl) {
    for (size_t j = 0; j < nl && !t_->failed; j++) {
        char nk[48], nr[48], nb[48];
        snprintf(nk, sizeof nk, "layer%zu.kernel", j);
        snprintf(nr, sizeof nr, "layer%zu.recurrent", j);
        snprintf(nb, sizeof nb, "layer%zu.bias", j);
        fd_check(t_, loss, ctx, w[j].k, w[j].nk, w[j].gk, &w[j], nk);
        if (!t_->failed) fd_check(t_, loss, ctx, w[j].r, w[j].nr, w[j].gr, &w[j], nr);
        if (!t_->failed) fd_check(t_, loss, ctx, w[j].b, w[j].nb, w[j].gb, &w[j], nb);
    }
}

static void tag_case(tr_ctx *t_, const char *what, int k) {
    char m[96];
    snprintf(m, sizeof m, " [%s case %d]", what, k);
    strncat(t_->msg, m, sizeof t_->msg - strlen(t_->msg) - 1);
}

/* ---- Bidirectional ---------------------------------------------------------------- */

typedef struct bicase {
    gru_merge_mode merge;
    int seq, masked, tm, custom, rs, dropout;
} bicase;

typedef struct bictx {
    const bicase *c;
    gru_bidirectional *bi;
    gru_seq in;
    size_t nout, noutb, Ub, U;
    double x[B * T * F], h0[2][B * UMAX], c0[B * T * 2 * UMAX], c1[B * T * UMAX],
        cs[2][B * UMAX];
    double dm[2][3 * B * F], rm[2][3 * B * UMAX];
    void *ws;
    size_t nws;
} bictx;

static void bi_io(bictx *b, gru_layer_io io[2], double st[2][B * UMAX]) {
    for (int k = 0; k < 2; k++) {
        io[k].initial_state = b->h0[k];
        io[k].dropout_masks = b->dm[k];
        io[k].recurrent_dropout_masks = b->rm[k];
        io[k].state_out = b->c->rs ? st[k] : NULL;
    }
}

static double bi_loss(void *ctx) {
    bictx *b = ctx;
    double out[B * T * 2 * UMAX], outb[B * T * UMAX], st[2][B * UMAX];
    gru_layer_io io[2];
    bi_io(b, io, st);
    if (gru_bidirectional_forward(b->bi, GRU_F64, &b->in, io, GRU_TRAINING_TRUE, out,
                                  b->c->merge == GRU_MERGE_NONE ? outb : NULL, b->ws, b->nws))
        return NAN;
    double L = 0;
    for (size_t i = 0; i < b->nout; i++) L += b->c0[i] * out[i];
    for (size_t i = 0; i < b->noutb; i++) L += b->c1[i] * outb[i];
    if (b->c->rs)
        for (int k = 0; k < 2; k++)
            for (size_t i = 0; i < B * (k ? b->Ub : b->U); i++) L += b->cs[k][i] * st[k][i];
    return L;
}

static void check_bi_case(tr_ctx *t_, const bicase *c, int seed) {
    const size_t U = 3, Ub = c->custom && (c->merge == GRU_MERGE_CONCAT || c->merge == GRU_MERGE_NONE)
                                 ? 4 : 3;
    gru_bidirectional_config cfg;
    CHECK_OK(gru_bidirectional_config_init(&cfg, (int64_t)U, F));
    cfg.merge_mode = c->merge;
    cfg.layer.cell.dtype = GRU_F64;
    gru_activation_from_name("sigmoid", &cfg.layer.cell.recurrent_activation);
    cfg.layer.return_sequences = c->seq;
    cfg.layer.return_state = c->rs;
    cfg.layer.time_major = c->tm;
    cfg.layer.cell.dropout = c->dropout ? 0.3 : 0.0;
    cfg.layer.cell.recurrent_dropout = c->dropout ? 0.2 : 0.0;
    if (c->custom) {
        cfg.has_backward_layer = true;
        cfg.backward_layer = cfg.layer;
        cfg.backward_layer.go_backwards = true;
        cfg.backward_layer.cell.units = (int64_t)Ub;
        cfg.backward_layer.cell.reset_after = true;
        gru_activation_from_name("elu", &cfg.backward_layer.cell.activation);
    }
    bictx *b = calloc(1, sizeof *b);
    lw *w = calloc(2, sizeof *w);
    CHECK(b && w);
    b->c = c;
    b->U = U;
    b->Ub = Ub;
    CHECK_OK(gru_bidirectional_create(&cfg, &b->bi));
    for (int k = 0; k < 2; k++)
        CHECK(lw_bind(&w[k], gru_bidirectional_layer(b->bi, k), (unsigned)(100 + 10 * k + seed)));
    const size_t rows = c->seq ? B * T : B;
    const int64_t W = gru_bidirectional_output_width(b->bi);
    b->nout = rows * (size_t)W;
    b->noutb = c->merge == GRU_MERGE_NONE ? rows * Ub : 0;
    fill(b->x, B * T * F, 1u + (unsigned)seed, 1.0);
    fill(b->h0[0], B * U, 2, 0.5);
    fill(b->h0[1], B * Ub, 3, 0.5);
    fill(b->c0, b->nout, 4, 1.0);
    fill(b->c1, rows * Ub, 5, 1.0);
    fill(b->cs[0], B * U, 6, 1.0);
    fill(b->cs[1], B * Ub, 7, 1.0);
    for (int k = 0; k < 2; k++) {
        const size_t Uk = k ? Ub : U;
        for (size_t i = 0; i < 3 * B * F; i++) b->dm[k][i] = (i % 4 == (size_t)k) ? 0.0 : 1.0 / 0.7;
        for (size_t i = 0; i < 3 * B * Uk; i++) b->rm[k][i] = (i % 5 == 2) ? 0.0 : 1.0 / 0.8;
    }
    b->in = (gru_seq){B, T, b->x, c->masked ? g_mask : NULL, NULL};

    size_t ntape, nbw;
    CHECK_OK(gru_bidirectional_workspace_size(b->bi, B, T, &b->nws));
    CHECK_OK(gru_bidirectional_tape_size(b->bi, B, T, &ntape));
    CHECK_OK(gru_bidirectional_backward_workspace_size(b->bi, B, T, &nbw));
    b->ws = abuf(b->nws);
    void *tape = abuf(ntape), *bw = abuf(nbw);
    CHECK(b->ws && tape && bw);

    double out[B * T * 2 * UMAX], outb[B * T * UMAX], st[2][B * UMAX], ref[B * T * 2 * UMAX],
        refb[B * T * UMAX];
    gru_layer_io io[2];
    bi_io(b, io, st);
    void *ob = c->merge == GRU_MERGE_NONE ? outb : NULL;
    CHECK_OK(gru_bidirectional_forward_train(b->bi, GRU_F64, &b->in, io, GRU_TRAINING_TRUE, out,
                                             ob, tape, ntape));
    /* the training forward gives the plain forward's results */
    CHECK_OK(gru_bidirectional_forward(b->bi, GRU_F64, &b->in, io, GRU_TRAINING_TRUE, ref,
                                       c->merge == GRU_MERGE_NONE ? refb : NULL, b->ws, b->nws));
    CHECK(memcmp(out, ref, b->nout * sizeof(double)) == 0);
    CHECK(memcmp(outb, refb, b->noutb * sizeof(double)) == 0);

    double dx[B * T * F], dh[2][B * UMAX];
    const gru_cell_grads g[2] = {lw_grads(&w[0]), lw_grads(&w[1])};
    const void *const ds[2] = {b->cs[0], b->cs[1]};
    void *const dinit[2] = {dh[0], dh[1]};
    CHECK_OK(gru_bidirectional_backward(b->bi, GRU_F64, &b->in, tape, b->c0,
                                        c->merge == GRU_MERGE_NONE ? b->c1 : NULL,
                                        c->rs ? ds : NULL, dx, dinit, g, bw, nbw));
    fd_check(t_, bi_loss, b, b->x, B * T * F, dx, NULL, "x");
    if (!t_->failed) fd_check(t_, bi_loss, b, b->h0[0], B * U, dh[0], NULL, "h0_forward");
    if (!t_->failed) fd_check(t_, bi_loss, b, b->h0[1], B * Ub, dh[1], NULL, "h0_backward");
    if (!t_->failed) fd_layers(t_, bi_loss, b, w, 2);
    free(tape), free(bw), free(b->ws);
    gru_bidirectional_free(b->bi);
    free(b), free(w);
}

TEST(bidirectional_backward_matches_finite_differences) {
    static const gru_merge_mode modes[5] = {GRU_MERGE_CONCAT, GRU_MERGE_SUM, GRU_MERGE_MUL,
                                            GRU_MERGE_AVE, GRU_MERGE_NONE};
    int n = 0;
    for (int m = 0; m < 5; m++)
        for (int k = 0; k < 8; k++, n++) {
            bicase c = {modes[m], k & 1, (k >> 1) & 1, (k >> 2) & 1, (k + m) % 3 != 1,
                        (k + m) % 2, k % 4 == 3};
            check_bi_case(t_, &c, n);
            if (t_->failed) {
                char what[64];
                snprintf(what, sizeof what, "merge %d seq %d masked %d tm %d custom %d rs %d", m,
                         c.seq, c.masked, c.tm, c.custom, c.rs);
                tag_case(t_, what, n);
                return;
            }
        }
}

/* ---- stacks ---------------------------------------------------------------------- */

typedef struct stctx {
    gru_stack *st;
    gru_seq in;
    size_t nout;
    double x[B * T * F], c[B * T * 2 * UMAX];
    void *ws;
    size_t nws;
} stctx;

static double st_loss(void *ctx) {
    stctx *s = ctx;
    double out[B * T * 2 * UMAX];
    if (gru_stack_forward(s->st, GRU_F64, &s->in, GRU_TRAINING_FALSE, out, s->ws, s->nws))
        return NAN;
    double L = 0;
    for (size_t i = 0; i < s->nout; i++) L += s->c[i] * out[i];
    return L;
}

static void layer_cfg(gru_layer_config *c, int64_t units, int64_t in, int seq, int tm) {
    gru_layer_config_init(c, units, in);
    c->cell.dtype = GRU_F64;
    gru_activation_from_name("sigmoid", &c->cell.recurrent_activation);
    c->return_sequences = seq;
    c->time_major = tm;
}

/* Stack k: 0 = [GRU(3), Bi(concat, 2+2), GRU(4, last)] masked;
 * 1 = [Bi(mul), GRU(3, sequences)] time_major with lengths;
 * 2 = [GRU(4, go_backwards), Bi(sum, last, custom backward)] masked;
 * 3 = [Bi(ave, custom backward), Bi(concat, 2+3, last)] time_major, masked. */
static int make_stack(int k, gru_stack_entry e[3], size_t *n) {
    memset(e, 0, 3 * sizeof *e);
    gru_bidirectional_config bc;
    switch (k) {
    case 0:
        layer_cfg(&e[0].layer, 3, F, 1, 0);
        e[1].bidirectional = true;
        gru_bidirectional_config_init(&bc, 2, 3);
        layer_cfg(&bc.layer, 2, 3, 1, 0);
        bc.layer.cell.reset_after = true;
        e[1].bi = bc;
        layer_cfg(&e[2].layer, 4, 4, 0, 0);
        *n = 3;
        return 1;
    case 1:
        e[0].bidirectional = true;
        gru_bidirectional_config_init(&bc, 3, F);
        layer_cfg(&bc.layer, 3, F, 1, 1);
        bc.merge_mode = GRU_MERGE_MUL;
        e[0].bi = bc;
        layer_cfg(&e[1].layer, 3, 3, 1, 1);
        *n = 2;
        return 2;
    case 2:
        layer_cfg(&e[0].layer, 4, F, 1, 0);
        e[0].layer.go_backwards = true;
        e[1].bidirectional = true;
        gru_bidirectional_config_init(&bc, 3, 4);
        layer_cfg(&bc.layer, 3, 4, 0, 0);
        bc.merge_mode = GRU_MERGE_SUM;
        bc.has_backward_layer = true;
        bc.backward_layer = bc.layer;
        bc.backward_layer.go_backwards = true;
        gru_activation_from_name("gelu", &bc.backward_layer.cell.activation);
        e[1].bi = bc;
        *n = 2;
        return 3;
    default:
        e[0].bidirectional = true;
        gru_bidirectional_config_init(&bc, 3, F);
        layer_cfg(&bc.layer, 3, F, 1, 1);
        bc.merge_mode = GRU_MERGE_AVE;
        bc.has_backward_layer = true;
        bc.backward_layer = bc.layer;
        bc.backward_layer.go_backwards = true;
        bc.backward_layer.cell.reset_after = true;
        e[0].bi = bc;
        e[1].bidirectional = true;
        gru_bidirectional_config_init(&bc, 2, 3);
        layer_cfg(&bc.layer, 2, 3, 0, 1);
        bc.has_backward_layer = true;
        bc.backward_layer = bc.layer;
        bc.backward_layer.go_backwards = true;
        bc.backward_layer.cell.units = 3;
        e[1].bi = bc;
        *n = 2;
        return 4;
    }
}

/* The stack's directional layers in grads order. */
static size_t stack_layers(gru_stack *st, gru_layer *out[NL]) {
    size_t m = 0;
    for (size_t i = 0; i < gru_stack_count(st); i++) {
        gru_bidirectional *bi = gru_stack_bidirectional(st, i);
        if (bi) {
            out[m++] = gru_bidirectional_layer(bi, 0);
            out[m++] = gru_bidirectional_layer(bi, 1);
        } else {
            out[m++] = gru_stack_layer(st, i);
        }
    }
    return m;
}

static void check_stack_case(tr_ctx *t_, int k) {
    gru_stack_entry e[3];
    size_t n;
    make_stack(k, e, &n);
    stctx *s = calloc(1, sizeof *s);
    lw *w = calloc(NL, sizeof *w);
    CHECK(s && w);
    CHECK_OK(gru_stack_create(e, n, &s->st));
    gru_layer *ls[NL];
    const size_t nl = stack_layers(s->st, ls);
    for (size_t j = 0; j < nl; j++) CHECK(lw_bind(&w[j], ls[j], (unsigned)(200 + 10 * j + k)));
    const int64_t lens[B] = {4, 2, 0};
    const int seq_out = k == 1;
    s->nout = (seq_out ? B * T : B) * (size_t)gru_stack_output_width(s->st);
    fill(s->x, B * T * F, 30u + (unsigned)k, 1.0);
    fill(s->c, s->nout, 31, 1.0);
    s->in = (gru_seq){B, T, s->x, k == 1 ? NULL : g_mask, k == 1 ? lens : NULL};
    size_t ntape, nbw;
    CHECK_OK(gru_stack_workspace_size(s->st, B, T, &s->nws));
    CHECK_OK(gru_stack_tape_size(s->st, B, T, &ntape));
    CHECK_OK(gru_stack_backward_workspace_size(s->st, B, T, &nbw));
    s->ws = abuf(s->nws);
    void *tape = abuf(ntape), *bw = abuf(nbw);
    CHECK(s->ws && tape && bw);
    double out[B * T * 2 * UMAX], ref[B * T * 2 * UMAX], dx[B * T * F];
    CHECK_OK(gru_stack_forward_train(s->st, GRU_F64, &s->in, GRU_TRAINING_FALSE, out, tape, ntape));
    CHECK_OK(gru_stack_forward(s->st, GRU_F64, &s->in, GRU_TRAINING_FALSE, ref, s->ws, s->nws));
    CHECK(memcmp(out, ref, s->nout * sizeof(double)) == 0);
    gru_cell_grads g[NL];
    for (size_t j = 0; j < nl; j++) g[j] = lw_grads(&w[j]);
    CHECK_OK(gru_stack_backward(s->st, GRU_F64, &s->in, tape, s->c, dx, g, bw, nbw));
    fd_check(t_, st_loss, s, s->x, B * T * F, dx, NULL, "x");
    if (!t_->failed) fd_layers(t_, st_loss, s, w, nl);
    free(tape), free(bw), free(s->ws);
    gru_stack_free(s->st);
    free(s), free(w);
}

TEST(stack_backward_matches_finite_differences) {
    for (int k = 0; k < 4; k++) {
        check_stack_case(t_, k);
        if (t_->failed) {
            tag_case(t_, "stack", k);
            return;
        }
    }
}

/* ---- float32, accumulation ------------------------------------------------------- */

TEST(wrappers_backward_float32_agrees_with_float64_and_accumulates) {
    gru_stack_entry e[3];
    size_t n;
    make_stack(1, e, &n); /* Bi(mul) then a GRU, time_major, lengths */
    gru_stack *s64, *s32;
    CHECK_OK(gru_stack_create(e, n, &s64));
    e[0].bi.layer.cell.dtype = GRU_F32;
    e[1].layer.cell.dtype = GRU_F32;
    CHECK_OK(gru_stack_create(e, n, &s32));
    gru_layer *l64[NL], *l32[NL];
    const size_t nl = stack_layers(s64, l64);
    CHECK(stack_layers(s32, l32) == nl);
    lw *w = calloc(2 * NL, sizeof *w);
    CHECK(w);
    for (size_t j = 0; j < nl; j++) {
        CHECK(lw_bind(&w[j], l64[j], (unsigned)(300 + 10 * j)));
        CHECK_OK(gru_cell_set_weights(gru_layer_cell(l32[j]), GRU_F64, w[j].k, w[j].r, w[j].b));
    }
    double x[B * T * F], d[B * T * 3], dx[B * T * F], out[B * T * 3];
    float xf[B * T * F], df[B * T * 3], dxf[B * T * F], outf[B * T * 3];
    float gk[NL][FMAX * 3 * UMAX], gr[NL][UMAX * 3 * UMAX], gb[NL][6 * UMAX];
    fill(x, B * T * F, 40, 1.0);
    fill(d, B * T * 3, 41, 1.0);
    for (int i = 0; i < B * T * F; i++) xf[i] = (float)x[i], x[i] = xf[i];
    for (int i = 0; i < B * T * 3; i++) df[i] = (float)d[i], d[i] = df[i];
    gru_cell_grads g64[NL], g32[NL];
    for (size_t j = 0; j < nl; j++) {
        g64[j] = lw_grads(&w[j]);
        g32[j] = (gru_cell_grads){gk[j], gr[j], gb[j]};
        CHECK_OK(gru_cell_grads_zero(gru_layer_cell(l32[j]), &g32[j]));
    }
    size_t ntape, nbw;
    CHECK_OK(gru_stack_tape_size(s64, B, T, &ntape));
    CHECK_OK(gru_stack_backward_workspace_size(s64, B, T, &nbw));
    void *tape = abuf(ntape), *bw = abuf(nbw);
    CHECK(tape && bw);
    const int64_t lens[B] = {4, 3, 1};
    gru_seq in64 = {B, T, x, NULL, lens}, in32 = {B, T, xf, NULL, lens};
    CHECK_OK(gru_stack_forward_train(s64, GRU_F64, &in64, GRU_TRAINING_FALSE, out, tape, ntape));
    CHECK_OK(gru_stack_backward(s64, GRU_F64, &in64, tape, d, dx, g64, bw, nbw));
    CHECK_OK(gru_stack_forward_train(s32, GRU_F32, &in32, GRU_TRAINING_FALSE, outf, tape, ntape));
    CHECK_OK(gru_stack_backward(s32, GRU_F32, &in32, tape, df, dxf, g32, bw, nbw));
    for (int i = 0; i < B * T * F; i++) CHECK_NEAR(dxf[i], dx[i], 1e-5 * fmax(1, fabs(dx[i])));
    for (size_t j = 0; j < nl; j++)
        for (size_t i = 0; i < w[j].nr; i++)
            CHECK_NEAR(gr[j][i], w[j].gr[i], 1e-5 * fmax(1, fabs(w[j].gr[i])));
    /* A second backward (of a fresh recording: the tape held the float32
     * call) adds the same gradients again. */
    double first[UMAX * 3 * UMAX];
    memcpy(first, w[0].gr, w[0].nr * sizeof(double));
    CHECK_OK(gru_stack_forward_train(s64, GRU_F64, &in64, GRU_TRAINING_FALSE, out, tape, ntape));
    CHECK_OK(gru_stack_backward(s64, GRU_F64, &in64, tape, d, NULL, g64, bw, nbw));
    for (size_t i = 0; i < w[0].nr; i++) CHECK_NEAR(w[0].gr[i], 2 * first[i], 1e-12);
    free(tape), free(bw), free(w);
    gru_stack_free(s32);
    gru_stack_free(s64);
}

TEST(bidirectional_backward_float32_agrees_with_float64) {
    gru_bidirectional_config c;
    CHECK_OK(gru_bidirectional_config_init(&c, 3, F));
    c.merge_mode = GRU_MERGE_MUL;
    c.layer.return_sequences = true;
    c.layer.cell.dtype = GRU_F64;
    gru_bidirectional *b64, *b32;
    CHECK_OK(gru_bidirectional_create(&c, &b64));
    c.layer.cell.dtype = GRU_F32;
    CHECK_OK(gru_bidirectional_create(&c, &b32));
    lw w[2];
    for (int k = 0; k < 2; k++) {
        CHECK(lw_bind(&w[k], gru_bidirectional_layer(b64, k), (unsigned)(400 + k * 10)));
        CHECK_OK(gru_cell_set_weights(gru_layer_cell(gru_bidirectional_layer(b32, k)), GRU_F64,
                                      w[k].k, w[k].r, w[k].b));
    }
    double x[B * T * F], d[B * T * 3], dx[B * T * F], out[B * T * 3];
    float xf[B * T * F], df[B * T * 3], dxf[B * T * F], outf[B * T * 3];
    float gk[2][F * 9], gr[2][27], gb[2][9];
    fill(x, B * T * F, 50, 1.0);
    fill(d, B * T * 3, 51, 1.0);
    for (int i = 0; i < B * T * F; i++) xf[i] = (float)x[i], x[i] = xf[i];
    for (int i = 0; i < B * T * 3; i++) df[i] = (float)d[i], d[i] = df[i];
    gru_cell_grads g64[2] = {lw_grads(&w[0]), lw_grads(&w[1])};
    gru_cell_grads g32[2] = {{gk[0], gr[0], gb[0]}, {gk[1], gr[1], gb[1]}};
    for (int k = 0; k < 2; k++)
        CHECK_OK(gru_cell_grads_zero(gru_layer_cell(gru_bidirectional_layer(b32, k)), &g32[k]));
    size_t ntape, nbw;
    CHECK_OK(gru_bidirectional_tape_size(b64, B, T, &ntape));
    CHECK_OK(gru_bidirectional_backward_workspace_size(b64, B, T, &nbw));
    void *tape = abuf(ntape), *bw = abuf(nbw);
    CHECK(tape && bw);
    gru_seq in64 = {B, T, x, g_mask, NULL}, in32 = {B, T, xf, g_mask, NULL};
    CHECK_OK(gru_bidirectional_forward_train(b64, GRU_F64, &in64, NULL, GRU_TRAINING_FALSE, out,
                                             NULL, tape, ntape));
    CHECK_OK(gru_bidirectional_backward(b64, GRU_F64, &in64, tape, d, NULL, NULL, dx, NULL, g64,
                                        bw, nbw));
    CHECK_OK(gru_bidirectional_forward_train(b32, GRU_F32, &in32, NULL, GRU_TRAINING_FALSE, outf,
                                             NULL, tape, ntape));
    CHECK_OK(gru_bidirectional_backward(b32, GRU_F32, &in32, tape, df, NULL, NULL, dxf, NULL, g32,
                                        bw, nbw));
    for (int i = 0; i < B * T * F; i++) CHECK_NEAR(dxf[i], dx[i], 1e-5 * fmax(1, fabs(dx[i])));
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < w[k].nk; i++)
            CHECK_NEAR(gk[k][i], w[k].gk[i], 1e-5 * fmax(1, fabs(w[k].gk[i])));
    free(tape), free(bw);
    gru_bidirectional_free(b32);
    gru_bidirectional_free(b64);
}

static double tanh_cb(double v, void *user) {
    (void)user;
    return tanh(v);
}

/* ---- rejections ----------------------------------------------------------------- */

TEST(bidirectional_backward_rejects_bad_input) {
    gru_bidirectional_config c;
    CHECK_OK(gru_bidirectional_config_init(&c, 3, F));
    c.layer.return_sequences = true;
    gru_bidirectional *bi, *bn;
    CHECK_OK(gru_bidirectional_create(&c, &bi));
    c.merge_mode = GRU_MERGE_NONE;
    CHECK_OK(gru_bidirectional_create(&c, &bn));
    size_t nt, nb;
    CHECK_OK(gru_bidirectional_tape_size(bi, B, T, &nt));
    CHECK_OK(gru_bidirectional_backward_workspace_size(bi, B, T, &nb));
    size_t nt2, nb2;
    CHECK_OK(gru_bidirectional_tape_size(bn, B, T, &nt2));
    CHECK_OK(gru_bidirectional_backward_workspace_size(bn, B, T, &nb2));
    if (nt2 > nt) nt = nt2;
    if (nb2 > nb) nb = nb2;
    char *tape = abuf(nt), *bw = abuf(nb);
    CHECK(tape && bw);
    memset(tape, 0, nt);
    float x[B * T * F] = {0}, o[B * T * 6], ob[B * T * 3], d[B * T * 6] = {0};
    float gk[2][F * 9], gr[2][27], gb[2][9];
    gru_cell_grads g[2] = {{gk[0], gr[0], gb[0]}, {gk[1], gr[1], gb[1]}};
    gru_cell_grads nobias[2] = {{gk[0], gr[0], gb[0]}, {gk[1], gr[1], NULL}};
    gru_seq in = {B, T, x, NULL, NULL};
    const int64_t lens[B] = {1, 2, 3};
    gru_seq both = {B, T, x, g_mask, lens}, shorter = {B, T - 1, x, NULL, NULL};

    CHECK_REJECT(gru_bidirectional_backward(bi, GRU_F32, &in, tape, d, NULL, NULL, NULL, NULL, g,
                                            bw, nb), GRU_E_STATE, "no recorded forward");
    CHECK_REJECT(gru_bidirectional_forward_train(bi, GRU_F32, &in, NULL, GRU_TRAINING_TRUE, o, NULL,
                                                 tape, nt - 1), GRU_E_SHAPE, "tape has");
    CHECK_REJECT(gru_bidirectional_forward_train(bi, GRU_F32, &in, NULL, GRU_TRAINING_TRUE, o, NULL,
                                                 tape + 8, nt - 64), GRU_E_ARG, "aligned");
    CHECK_REJECT(gru_bidirectional_forward_train(bi, GRU_F32, &in, NULL, GRU_TRAINING_TRUE, o, NULL,
                                                 NULL, nt), GRU_E_NULL, "'tape'");
    CHECK_REJECT(gru_bidirectional_forward_train(bi, GRU_F32, &in, NULL, GRU_TRAINING_TRUE, o, ob,
                                                 tape, nt), GRU_E_ARG, "output_backward");
    CHECK_REJECT(gru_bidirectional_forward_train(bi, GRU_F64, &in, NULL, GRU_TRAINING_TRUE, o, NULL,
                                                 tape, nt), GRU_E_DTYPE, "dtype");
    CHECK_OK(gru_bidirectional_forward_train(bi, GRU_F32, &in, NULL, GRU_TRAINING_TRUE, o, NULL,
                                             tape, nt));
    CHECK_REJECT(gru_bidirectional_backward(NULL, GRU_F32, &in, tape, d, NULL, NULL, NULL, NULL, g,
                                            bw, nb), GRU_E_NULL, "'bi'");
    CHECK_REJECT(gru_bidirectional_backward(bi, GRU_F32, NULL, tape, d, NULL, NULL, NULL, NULL, g,
                                            bw, nb), GRU_E_NULL, "'in'");
    CHECK_REJECT(gru_bidirectional_backward(bi, GRU_F32, &in, NULL, d, NULL, NULL, NULL, NULL, g,
                                            bw, nb), GRU_E_NULL, "'tape'");
    CHECK_REJECT(gru_bidirectional_backward(bi, GRU_F32, &in, tape, NULL, NULL, NULL, NULL, NULL, g,
                                            bw, nb), GRU_E_NULL, "'d_output'");
    CHECK_REJECT(gru_bidirectional_backward(bi, GRU_F32, &in, tape, d, d, NULL, NULL, NULL, g, bw,
                                            nb), GRU_E_ARG, "'d_output_backward' must be NULL");
    CHECK_REJECT(gru_bidirectional_backward(bi, GRU_F32, &in, tape, d, NULL, NULL, NULL, NULL, NULL,
                                            bw, nb), GRU_E_NULL, "'grads'");
    CHECK_REJECT(gru_bidirectional_backward(bi, GRU_F32, &in, tape, d, NULL, NULL, NULL, NULL, g,
                                            NULL, nb), GRU_E_NULL, "'workspace'");
    CHECK_REJECT(gru_bidirectional_backward(bi, GRU_F64, &in, tape, d, NULL, NULL, NULL, NULL, g,
                                            bw, nb), GRU_E_DTYPE, "dtype");
    CHECK_REJECT(gru_bidirectional_backward(bi, GRU_F32, &shorter, tape, d, NULL, NULL, NULL, NULL,
                                            g, bw, nb), GRU_E_SHAPE, "tape recorded");
    CHECK_REJECT(gru_bidirectional_backward(bi, GRU_F32, &both, tape, d, NULL, NULL, NULL, NULL, g,
                                            bw, nb), GRU_E_ARG, "not both");
    /* grads[1] is bad: nothing is added into grads[0] */
    memset(gk, 0, sizeof gk);
    CHECK_REJECT(gru_bidirectional_backward(bi, GRU_F32, &in, tape, d, NULL, NULL, NULL, NULL,
                                            nobias, bw, nb), GRU_E_NULL, "grads[1]");
    CHECK_REJECT(gru_bidirectional_backward(bi, GRU_F32, &in, tape, d, NULL, NULL, NULL, NULL, g,
                                            bw, 64), GRU_E_SHAPE, "workspace has");
    CHECK_REJECT(gru_bidirectional_backward(bi, GRU_F32, &in, tape, d, NULL, NULL, NULL, NULL, g,
                                            bw + 8, nb), GRU_E_ARG, "aligned");
    for (size_t i = 0; i < sizeof gk[0] / sizeof gk[0][0]; i++) CHECK(gk[0][i] == 0.0f);
    CHECK_REJECT(gru_bidirectional_tape_size(bi, 0, T, &nt2), GRU_E_ARG, "batch");
    CHECK_REJECT(gru_bidirectional_tape_size(bi, B, T, NULL), GRU_E_NULL, "bytes");
    CHECK_REJECT(gru_bidirectional_backward_workspace_size(bi, B, -1, &nb2), GRU_E_ARG, "steps");
    CHECK_REJECT(gru_bidirectional_backward_workspace_size(NULL, B, T, &nb2), GRU_E_NULL, "'bi'");
    CHECK_REJECT(gru_bidirectional_tape_size(bi, INT64_MAX, INT64_MAX, &nt2), GRU_E_OVERFLOW,
                 "overflows");
    /* merge None: d_output_backward is required */
    CHECK_OK(gru_bidirectional_forward_train(bn, GRU_F32, &in, NULL, GRU_TRAINING_TRUE, o, ob, tape,
                                             nt));
    CHECK_REJECT(gru_bidirectional_backward(bn, GRU_F32, &in, tape, d, NULL, NULL, NULL, NULL, g,
                                            bw, nb), GRU_E_NULL, "d_output_backward");
    CHECK_OK(gru_bidirectional_backward(bn, GRU_F32, &in, tape, d, d, NULL, NULL, NULL, g, bw, nb));
    /* a bidirectional tape is not a layer tape, and the reverse */
    CHECK_REJECT(gru_layer_backward(gru_bidirectional_layer(bn, 0), GRU_F32, &in, tape, d, NULL,
                                    NULL, NULL, &g[0], bw, nb), GRU_E_STATE, "no recorded forward");
    free(tape), free(bw);
    gru_bidirectional_free(bn);
    gru_bidirectional_free(bi);
    /* a custom activation without a derivative cannot be trained */
    gru_bidirectional_config cc;
    CHECK_OK(gru_bidirectional_config_init(&cc, 3, F));
    cc.has_backward_layer = true;
    cc.backward_layer.cell.activation.kind = GRU_ACT_CUSTOM;
    cc.backward_layer.cell.activation.fn = tanh_cb;
    CHECK_OK(gru_bidirectional_create(&cc, &bi));
    CHECK_OK(gru_bidirectional_tape_size(bi, B, T, &nt));
    CHECK_OK(gru_bidirectional_backward_workspace_size(bi, B, T, &nb));
    tape = abuf(nt), bw = abuf(nb);
    CHECK(tape && bw);
    CHECK_OK(gru_bidirectional_forward_train(bi, GRU_F32, &in, NULL, GRU_TRAINING_FALSE, o, NULL,
                                             tape, nt));
    CHECK_REJECT(gru_bidirectional_backward(bi, GRU_F32, &in, tape, d, NULL, NULL, NULL, NULL, g,
                                            bw, nb), GRU_E_NULL, "deriv");
    free(tape), free(bw);
    gru_bidirectional_free(bi);
}

TEST(stack_backward_rejects_bad_input) {
    gru_stack_entry e[3];
    size_t n;
    make_stack(0, e, &n);
    gru_stack *st;
    CHECK_OK(gru_stack_create(e, n, &st));
    gru_layer *ls[NL];
    const size_t nl = stack_layers(st, ls);
    CHECK(nl == 4);
    size_t nt, nb, tmp;
    CHECK_OK(gru_stack_tape_size(st, B, T, &nt));
    CHECK_OK(gru_stack_backward_workspace_size(st, B, T, &nb));
    char *tape = abuf(nt), *bw = abuf(nb);
    CHECK(tape && bw);
    memset(tape, 0, nt);
    lw *w = calloc(NL, sizeof *w);
    CHECK(w);
    gru_cell_grads g[NL], bad[NL];
    for (size_t j = 0; j < nl; j++) {
        CHECK(lw_bind(&w[j], ls[j], (unsigned)j));
        g[j] = bad[j] = lw_grads(&w[j]);
    }
    bad[2].bias = NULL;
    double x[B * T * F] = {0}, o[B * 4], d[B * 4] = {0};
    gru_seq in = {B, T, x, NULL, NULL}, shorter = {B, T - 1, x, NULL, NULL};
    const int64_t lens[B] = {1, 2, 3};
    gru_seq both = {B, T, x, g_mask, lens};
    CHECK_REJECT(gru_stack_backward(st, GRU_F64, &in, tape, d, NULL, g, bw, nb), GRU_E_STATE,
                 "no recorded forward");
    CHECK_REJECT(gru_stack_forward_train(st, GRU_F64, &in, GRU_TRAINING_FALSE, o, tape, nt - 1),
                 GRU_E_SHAPE, "tape has");
    CHECK_REJECT(gru_stack_forward_train(st, GRU_F64, &in, GRU_TRAINING_FALSE, o, tape + 8, nt - 64),
                 GRU_E_ARG, "aligned");
    CHECK_REJECT(gru_stack_forward_train(st, GRU_F64, &in, GRU_TRAINING_FALSE, o, NULL, nt),
                 GRU_E_NULL, "'tape'");
    CHECK_REJECT(gru_stack_forward_train(st, GRU_F32, &in, GRU_TRAINING_FALSE, o, tape, nt),
                 GRU_E_DTYPE, "dtype");
    CHECK_OK(gru_stack_forward_train(st, GRU_F64, &in, GRU_TRAINING_FALSE, o, tape, nt));
    CHECK_REJECT(gru_stack_backward(NULL, GRU_F64, &in, tape, d, NULL, g, bw, nb), GRU_E_NULL,
                 "'stack'");
    CHECK_REJECT(gru_stack_backward(st, GRU_F64, NULL, tape, d, NULL, g, bw, nb), GRU_E_NULL, "'in'");
    CHECK_REJECT(gru_stack_backward(st, GRU_F64, &in, NULL, d, NULL, g, bw, nb), GRU_E_NULL,
                 "'tape'");
    CHECK_REJECT(gru_stack_backward(st, GRU_F64, &in, tape, NULL, NULL, g, bw, nb), GRU_E_NULL,
                 "'d_output'");
    CHECK_REJECT(gru_stack_backward(st, GRU_F64, &in, tape, d, NULL, NULL, bw, nb), GRU_E_NULL,
                 "'grads'");
    CHECK_REJECT(gru_stack_backward(st, GRU_F64, &in, tape, d, NULL, g, NULL, nb), GRU_E_NULL,
                 "'workspace'");
    CHECK_REJECT(gru_stack_backward(st, GRU_F32, &in, tape, d, NULL, g, bw, nb), GRU_E_DTYPE,
                 "dtype");
    CHECK_REJECT(gru_stack_backward(st, GRU_F64, &shorter, tape, d, NULL, g, bw, nb), GRU_E_SHAPE,
                 "tape recorded");
    CHECK_REJECT(gru_stack_backward(st, GRU_F64, &both, tape, d, NULL, g, bw, nb), GRU_E_ARG,
                 "not both");
    CHECK_REJECT(gru_stack_backward(st, GRU_F64, &in, tape, d, NULL, bad, bw, nb), GRU_E_NULL,
                 "grads[2] (entries[1], backward layer)");
    CHECK_REJECT(gru_stack_backward(st, GRU_F64, &in, tape, d, NULL, g, bw, nb - 1), GRU_E_SHAPE,
                 "workspace has");
    CHECK_REJECT(gru_stack_backward(st, GRU_F64, &in, tape, d, NULL, g, bw + 8, nb), GRU_E_ARG,
                 "aligned");
    /* nothing was added into any layer's grads by the rejected calls */
    for (size_t j = 0; j < nl; j++)
        for (size_t i = 0; i < w[j].nr; i++) CHECK(w[j].gr[i] == 0.0);
    CHECK_REJECT(gru_stack_tape_size(st, 0, T, &tmp), GRU_E_ARG, "batch");
    CHECK_REJECT(gru_stack_tape_size(st, B, T, NULL), GRU_E_NULL, "bytes");
    CHECK_REJECT(gru_stack_backward_workspace_size(st, B, 0, &tmp), GRU_E_ARG, "steps");
    CHECK_REJECT(gru_stack_backward_workspace_size(NULL, B, T, &tmp), GRU_E_NULL, "'stack'");
    CHECK_REJECT(gru_stack_tape_size(st, INT64_MAX, INT64_MAX, &tmp), GRU_E_OVERFLOW, "overflows");
    CHECK_OK(gru_stack_backward(st, GRU_F64, &in, tape, d, NULL, g, bw, nb));
    free(tape), free(bw), free(w);
    gru_stack_free(st);
}

void tests_backward_wrappers(void);
void tests_backward_wrappers(void) {
    TR_RUN(bidirectional_backward_matches_finite_differences);
    TR_RUN(stack_backward_matches_finite_differences);
    TR_RUN(wrappers_backward_float32_agrees_with_float64_and_accumulates);
    TR_RUN(bidirectional_backward_float32_agrees_with_float64);
    TR_RUN(bidirectional_backward_rejects_bad_input);
    TR_RUN(stack_backward_rejects_bad_input);
}
