/* Training helpers: the Fisher-Yates shuffle, the fit loop (batching,
 * epoch losses as Keras' weighted mean, validation, progress output, NaN
 * stop naming epoch and batch, no allocation), and a GRU + Dense model
 * trained through gru_fit. */
#include <stdlib.h>

#include "runner.h"

#ifdef GRU_TEST_WRAP_MALLOC
long tests_alloc_count(void);
#endif

TEST(shuffle_is_a_seeded_permutation) {
    enum { N = 1000 };
    static size_t a[N], b[N];
    gru_rng r1, r2;
    gru_rng_seed(&r1, 5);
    gru_rng_seed(&r2, 5);
    CHECK_OK(gru_shuffle(&r1, N, a));
    CHECK_OK(gru_shuffle(&r2, N, b));
    CHECK(memcmp(a, b, sizeof a) == 0);
    static unsigned char seen[N];
    memset(seen, 0, sizeof seen);
    size_t fixed = 0;
    for (size_t i = 0; i < N; i++) {
        CHECK(a[i] < N && !seen[a[i]]);
        seen[a[i]] = 1;
        fixed += a[i] == i;
    }
    CHECK(fixed < 10); /* a random permutation has ~1 fixed point */
    gru_rng_seed(&r2, 6);
    CHECK_OK(gru_shuffle(&r2, N, b));
    CHECK(memcmp(a, b, sizeof a) != 0);
    /* small n: every one of the 6 permutations of 3 appears */
    int count[6] = {0};
    for (int k = 0; k < 600; k++) {
        size_t p[3];
        CHECK_OK(gru_shuffle(&r1, 3, p));
        count[p[0] * 2 + (p[1] > p[2])]++;
    }
    for (int k = 0; k < 6; k++) CHECK_MSG(count[k] > 50, "permutation %d seen %d times", k, count[k]);
    size_t one[1] = {9};
    CHECK_OK(gru_shuffle(&r1, 1, one));
    CHECK(one[0] == 0);
    CHECK_OK(gru_shuffle(&r1, 0, NULL));
    CHECK_REJECT(gru_shuffle(NULL, 3, one), GRU_E_NULL, "rng");
    CHECK_REJECT(gru_shuffle(&r1, 3, NULL), GRU_E_NULL, "perm");
}

/* ---- a callback model: Dense(1) linear regression with plain SGD --------- */
enum { NS = 50, NF = 3, MAXB = 8 };
typedef struct toy {
    gru_dense *d;
    double lr;
    double y[MAXB], dpred[MAXB], gk[NF], gb[1];
    size_t calls, rows_seen;
    int nan_at; /* make the loss NaN at this call (1-based), 0 = never */
} toy;

static gru_status toy_eval(void *u, size_t b, const void *x, const void *y, double *loss) {
    toy *t = u;
    gru_loss_config c;
    gru_loss_config_init(&c, GRU_LOSS_MSE);
    gru_status s = gru_dense_forward(t->d, GRU_F64, b, x, t->y, NULL);
    return s ? s : gru_loss(&c, GRU_F64, b, 1, y, t->y, NULL, loss, NULL, t->dpred);
}

static gru_status toy_step(void *u, size_t b, const void *x, const void *y, double *loss) {
    toy *t = u;
    t->calls++;
    t->rows_seen += b;
    gru_status s = toy_eval(u, b, x, y, loss);
    if (s) return s;
    gru_dense_grads g = {t->gk, t->gb};
    if ((s = gru_dense_grads_zero(t->d, &g)) ||
        (s = gru_dense_backward(t->d, GRU_F64, b, x, NULL, NULL, t->dpred, NULL, &g)))
        return s;
    void *k, *bias;
    gru_dense_params(t->d, &k, &bias);
    for (int i = 0; i < NF; i++) ((double *)k)[i] -= t->lr * t->gk[i];
    ((double *)bias)[0] -= t->lr * t->gb[0];
    if (t->nan_at && t->calls == (size_t)t->nan_at) *loss = NAN;
    return GRU_OK;
}

static double g_x[NS * NF], g_y[NS];
static void make_data(void) {
    for (int i = 0; i < NS; i++) {
        double s = 0.5;
        for (int f = 0; f < NF; f++) {
            g_x[i * NF + f] = sin(1.0 + i * (f + 1) * 0.37);
            s += (f + 1) * 0.4 * g_x[i * NF + f];
        }
        g_y[i] = s;
    }
}

static gru_dense *toy_dense(void) {
    gru_dense_config c;
    gru_dense_config_init(&c, 1, NF);
    c.dtype = GRU_F64;
    c.seed = 3;
    gru_dense *d = NULL;
    gru_dense_create(&c, &d);
    return d;
}

static void *aligned_ws(size_t n) { return aligned_alloc(64, (n + 63) / 64 * 64 + 64); }

TEST(fit_trains_and_reports_epoch_losses) {
    make_data();
    toy t;
    memset(&t, 0, sizeof t);
    t.d = toy_dense();
    t.lr = 0.1;
    CHECK(t.d);
    gru_fit_config fc;
    CHECK_OK(gru_fit_config_init(&fc));
    CHECK(fc.epochs == 1 && fc.batch_size == 32 && fc.shuffle && fc.verbose == 1);
    fc.epochs = 40;
    fc.batch_size = MAXB;
    fc.seed = 11;
    gru_fit_data fd = {GRU_F64, NS - 10, NF, 1, g_x, g_y, 10, g_x + (NS - 10) * NF, g_y + NS - 10};
    size_t wsb;
    CHECK_OK(gru_fit_workspace_size(&fc, &fd, &wsb));
    void *ws = aligned_ws(wsb);
    double el[40], vl[40];
    int64_t done;
    CHECK_OK(gru_fit(&fc, &fd, toy_step, toy_eval, &t, ws, wsb, el, vl, &done));
    CHECK(done == 40);
    CHECK(t.calls == 40 * 5 && t.rows_seen == 40 * 40); /* 40 samples: 5 batches of 8 */
    CHECK_MSG(el[39] < 1e-3 * el[0], "loss %g -> %g", el[0], el[39]);
    CHECK_MSG(vl[39] < 1e-2 && !isnan(vl[0]), "val loss %g", vl[39]);
    free(ws);
    gru_dense_free(t.d);
}

/* constant loss per batch = batch size: epoch loss = sum(m^2)/n */
static gru_status const_step(void *u, size_t b, const void *x, const void *y, double *loss) {
    (void)x, (void)y;
    size_t *calls = u;
    (*calls)++;
    *loss = (double)b;
    return GRU_OK;
}

TEST(epoch_loss_is_the_batch_size_weighted_mean) {
    make_data();
    gru_fit_config fc;
    gru_fit_config_init(&fc);
    fc.epochs = 2;
    fc.batch_size = 16;
    fc.progress = NULL;
    gru_fit_data fd = {GRU_F64, 40, NF, 1, g_x, g_y, 0, NULL, NULL};
    size_t wsb, calls = 0;
    CHECK_OK(gru_fit_workspace_size(&fc, &fd, &wsb));
    void *ws = aligned_ws(wsb);
    double el[2], vl[2];
    CHECK_OK(gru_fit(&fc, &fd, const_step, NULL, &calls, ws, wsb, el, vl, NULL));
    CHECK(calls == 6);
    CHECK_NEAR(el[0], (16.0 * 16 + 16 * 16 + 8 * 8) / 40.0, 1e-12);
    CHECK(isnan(vl[1]));
    /* batch larger than the data: one batch per epoch */
    fc.batch_size = 1000;
    calls = 0;
    CHECK_OK(gru_fit_workspace_size(&fc, &fd, &wsb));
    free(ws);
    ws = aligned_ws(wsb);
    CHECK_OK(gru_fit(&fc, &fd, const_step, NULL, &calls, ws, wsb, el, NULL, NULL));
    CHECK(calls == 2 && el[1] == 40.0);
    free(ws);
}

/* records the first sample index seen in every batch (x holds the index) */
typedef struct order { double first[64]; size_t n; } order;
static gru_status order_step(void *u, size_t b, const void *x, const void *y, double *loss) {
    (void)b, (void)y;
    order *o = u;
    if (o->n < 64) o->first[o->n++] = ((const double *)x)[0];
    *loss = 1;
    return GRU_OK;
}

TEST(shuffle_flag_and_seed) {
    double idx[20];
    for (int i = 0; i < 20; i++) idx[i] = i;
    gru_fit_config fc;
    gru_fit_config_init(&fc);
    fc.epochs = 2;
    fc.batch_size = 5;
    gru_fit_data fd = {GRU_F64, 20, 1, 1, idx, idx, 0, NULL, NULL};
    size_t wsb;
    CHECK_OK(gru_fit_workspace_size(&fc, &fd, &wsb));
    void *ws = aligned_ws(wsb);
    order a = {{0}, 0}, b = {{0}, 0}, c = {{0}, 0};
    fc.seed = 1;
    CHECK_OK(gru_fit(&fc, &fd, order_step, NULL, &a, ws, wsb, NULL, NULL, NULL));
    CHECK_OK(gru_fit(&fc, &fd, order_step, NULL, &b, ws, wsb, NULL, NULL, NULL));
    CHECK(memcmp(a.first, b.first, sizeof a.first) == 0);
    CHECK(memcmp(a.first, a.first + 4, 4 * sizeof(double)) != 0); /* epochs differ */
    fc.shuffle = false;
    CHECK_OK(gru_fit(&fc, &fd, order_step, NULL, &c, ws, wsb, NULL, NULL, NULL));
    for (int i = 0; i < 8; i++) CHECK(c.first[i] == (i % 4) * 5);
    free(ws);
}

TEST(progress_output) {
    make_data();
    toy t;
    memset(&t, 0, sizeof t);
    t.d = toy_dense();
    t.lr = 0.05;
    FILE *f = tmpfile();
    CHECK(f && t.d);
    gru_fit_config fc;
    gru_fit_config_init(&fc);
    fc.epochs = 3;
    fc.batch_size = 8;
    fc.progress = f;
    gru_fit_data fd = {GRU_F64, 40, NF, 1, g_x, g_y, 10, g_x + 40 * NF, g_y + 40};
    size_t wsb;
    CHECK_OK(gru_fit_workspace_size(&fc, &fd, &wsb));
    void *ws = aligned_ws(wsb);
    CHECK_OK(gru_fit(&fc, &fd, toy_step, toy_eval, &t, ws, wsb, NULL, NULL, NULL));
    fc.verbose = 2;
    CHECK_OK(gru_fit(&fc, &fd, toy_step, toy_eval, &t, ws, wsb, NULL, NULL, NULL));
    char buf[4096];
    rewind(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    CHECK(strstr(buf, "Epoch 1/3\n") && strstr(buf, "Epoch 3/3\n"));
    CHECK(strstr(buf, "5/5 [==============================] - loss: "));
    CHECK(strstr(buf, "\r2/5 ["));
    CHECK(strstr(buf, " - val_loss: "));
    CHECK(strstr(buf, "\n5/5 - loss: ")); /* verbose 2: no bar */
    free(ws);
    gru_dense_free(t.d);
}

TEST(fit_performs_zero_allocations) {
#ifndef GRU_TEST_WRAP_MALLOC
    CHECK_MSG(0, "cannot prove it: the runner is not linked with --wrap=malloc");
#else
    make_data();
    toy t;
    memset(&t, 0, sizeof t);
    t.d = toy_dense();
    t.lr = 0.05;
    gru_fit_config fc;
    gru_fit_config_init(&fc);
    fc.epochs = 3;
    fc.batch_size = 8;
    gru_fit_data fd = {GRU_F64, 40, NF, 1, g_x, g_y, 10, g_x + 40 * NF, g_y + 40};
    size_t wsb;
    CHECK_OK(gru_fit_workspace_size(&fc, &fd, &wsb));
    void *ws = aligned_ws(wsb);
    const long before = tests_alloc_count();
    CHECK_OK(gru_fit(&fc, &fd, toy_step, toy_eval, &t, ws, wsb, NULL, NULL, NULL));
    CHECK_MSG(tests_alloc_count() == before, "%ld allocations", tests_alloc_count() - before);
    free(ws);
    gru_dense_free(t.d);
#endif
}

/* ---- rejections ------------------------------------------------------------ */

TEST(reject_nan_loss_naming_epoch_and_batch) {
    make_data();
    toy t;
    memset(&t, 0, sizeof t);
    t.d = toy_dense();
    t.lr = 0.05;
    t.nan_at = 7; /* 5 batches per epoch: epoch 2, batch 2 */
    gru_fit_config fc;
    gru_fit_config_init(&fc);
    fc.epochs = 4;
    fc.batch_size = 8;
    gru_fit_data fd = {GRU_F64, 40, NF, 1, g_x, g_y, 0, NULL, NULL};
    size_t wsb;
    CHECK_OK(gru_fit_workspace_size(&fc, &fd, &wsb));
    void *ws = aligned_ws(wsb);
    double el[4] = {0};
    int64_t done = -1;
    CHECK_REJECT(gru_fit(&fc, &fd, toy_step, NULL, &t, ws, wsb, el, NULL, &done), GRU_E_NUMERIC,
                 "NaN at epoch 2, batch 2 of 5");
    CHECK(done == 1 && el[0] > 0);
    free(ws);
    gru_dense_free(t.d);
}

static gru_status failing_step(void *u, size_t b, const void *x, const void *y, double *loss) {
    (void)u, (void)b, (void)x, (void)y, (void)loss;
    gru_loss_config c;
    gru_loss_config_init(&c, GRU_LOSS_MSE);
    return gru_loss(&c, GRU_F64, 0, 1, x, y, NULL, NULL, NULL, NULL); /* rows 0 */
}

TEST(reject_bad_fit_arguments) {
    make_data();
    gru_fit_config fc;
    gru_fit_config_init(&fc);
    gru_fit_data fd = {GRU_F64, 40, NF, 1, g_x, g_y, 0, NULL, NULL};
    size_t wsb, calls = 0;
    CHECK_OK(gru_fit_workspace_size(&fc, &fd, &wsb));
    void *ws = aligned_ws(wsb);
    fc.epochs = 0;
    CHECK_REJECT(gru_fit(&fc, &fd, const_step, NULL, &calls, ws, wsb, NULL, NULL, NULL), GRU_E_ARG,
                 "cfg.epochs");
    fc.epochs = 1;
    fc.batch_size = -3;
    CHECK_REJECT(gru_fit(&fc, &fd, const_step, NULL, &calls, ws, wsb, NULL, NULL, NULL), GRU_E_ARG,
                 "cfg.batch_size");
    fc.batch_size = 8;
    fc.verbose = 3;
    CHECK_REJECT(gru_fit(&fc, &fd, const_step, NULL, &calls, ws, wsb, NULL, NULL, NULL), GRU_E_ARG,
                 "cfg.verbose");
    fc.verbose = 1;
    CHECK_REJECT(gru_fit(&fc, &fd, NULL, NULL, &calls, ws, wsb, NULL, NULL, NULL), GRU_E_NULL,
                 "step");
    CHECK_REJECT(gru_fit(&fc, &fd, const_step, NULL, &calls, NULL, wsb, NULL, NULL, NULL),
                 GRU_E_NULL, "workspace");
    CHECK_REJECT(gru_fit(&fc, &fd, const_step, NULL, &calls, ws, 8, NULL, NULL, NULL), GRU_E_SHAPE,
                 "ws_bytes");
    CHECK_REJECT(gru_fit(&fc, &fd, const_step, NULL, &calls, (char *)ws + 1, wsb, NULL, NULL, NULL),
                 GRU_E_ARG, "aligned");
    CHECK_REJECT(gru_fit(NULL, &fd, const_step, NULL, &calls, ws, wsb, NULL, NULL, NULL),
                 GRU_E_NULL, "cfg");
    CHECK_REJECT(gru_fit_workspace_size(&fc, &fd, NULL), GRU_E_NULL, "bytes");
    gru_fit_data bad = fd;
    bad.n = 0;
    CHECK_REJECT(gru_fit_workspace_size(&fc, &bad, &wsb), GRU_E_SHAPE, "data.n");
    bad = fd;
    bad.x_size = 0;
    CHECK_REJECT(gru_fit_workspace_size(&fc, &bad, &wsb), GRU_E_SHAPE, "x_size");
    bad = fd;
    bad.dtype = (gru_dtype)0;
    CHECK_REJECT(gru_fit_workspace_size(&fc, &bad, &wsb), GRU_E_DTYPE, "data.dtype");
    bad = fd;
    bad.y = NULL;
    CHECK_REJECT(gru_fit_workspace_size(&fc, &bad, &wsb), GRU_E_NULL, "data.x and data.y");
    bad = fd;
    bad.n_val = 4;
    CHECK_REJECT(gru_fit_workspace_size(&fc, &bad, &wsb), GRU_E_NULL, "x_val");
    bad = fd;
    bad.n = SIZE_MAX / 4;
    CHECK_REJECT(gru_fit_workspace_size(&fc, &bad, &wsb), GRU_E_OVERFLOW, "overflows");
    /* a failing step: its status and message come through, prefixed */
    CHECK_REJECT(gru_fit(&fc, &fd, failing_step, NULL, &calls, ws, wsb, NULL, NULL, NULL),
                 GRU_E_SHAPE, "gru_fit: the step failed at epoch 1, batch 1 of 5: gru_loss: argument 'rows'");
    CHECK_REJECT(gru_fit_config_init(NULL), GRU_E_NULL, "cfg");
    free(ws);
}


/* ---- GRU + Dense through gru_seq_model ------------------------------------ */
enum { SF = 2, SU = 3, ST = 5, SB = 4 };

typedef struct grab {
    double g[5][64];
    size_t sizes[5], count;
} grab;
static gru_status grab_update(void *u, size_t count, void *const params[], const void *const g[],
                              const size_t sizes[]) {
    grab *gr = u;
    (void)params;
    gr->count = count;
    for (size_t i = 0; i < count; i++) {
        gr->sizes[i] = sizes[i];
        memcpy(gr->g[i], g[i], sizes[i] * sizeof(double));
    }
    return GRU_OK;
}

static int make_seq(gru_seq_model *m, gru_layer **l, gru_dense **d, gru_loss_kind lk,
                    int64_t uo, const char *act, size_t maxb) {
    gru_layer_config lc;
    gru_layer_config_init(&lc, SU, SF);
    lc.cell.dtype = GRU_F64;
    lc.cell.seed = 4;
    gru_initializer_from_name("random_uniform", &lc.cell.bias_initializer);
    gru_dense_config dc;
    gru_dense_config_init(&dc, uo, SU);
    dc.dtype = GRU_F64;
    gru_activation_from_name(act, &dc.activation);
    gru_initializer_from_name("random_uniform", &dc.bias_initializer);
    if (gru_layer_create(&lc, l) || gru_dense_create(&dc, d)) return 0;
    memset(m, 0, sizeof *m);
    m->layer = *l;
    m->head = *d;
    gru_loss_config_init(&m->loss, lk);
    m->steps = ST;
    m->max_batch = maxb;
    if (gru_seq_model_workspace_size(m, maxb, &m->ws_bytes)) return 0;
    m->workspace = aligned_ws(m->ws_bytes);
    return m->workspace != NULL;
}

TEST(seq_model_gradients_match_finite_differences) {
    gru_seq_model m;
    gru_layer *l = NULL;
    gru_dense *d = NULL;
    CHECK_MSG(make_seq(&m, &l, &d, GRU_LOSS_CCE, 3, "softmax", SB), "%s", gru_last_error());
    grab gr;
    memset(&gr, 0, sizeof gr);
    m.update = grab_update;
    m.update_user = &gr;
    double x[SB * ST * SF], y[SB * 3] = {0};
    for (int i = 0; i < SB * ST * SF; i++) x[i] = sin(0.9 * i + 0.3);
    for (int b = 0; b < SB; b++) y[b * 3 + b % 3] = 1;
    double l0;
    CHECK_OK(gru_seq_model_step(&m, SB, x, y, &l0));
    void *params[5];
    size_t sizes[5], count;
    CHECK_OK(gru_seq_model_params(&m, params, sizes, &count));
    CHECK(count == 5 && gr.count == 5);
    CHECK(sizes[0] == SF * 3 * SU && sizes[1] == SU * 3 * SU && sizes[2] == 3 * SU &&
          sizes[3] == SU * 3 && sizes[4] == 3);
    const double h = 1e-6;
    for (size_t v = 0; v < count; v++)
        for (size_t i = 0; i < sizes[v]; i++) {
            double *w = (double *)params[v] + i, w0 = *w, lp, lm;
            *w = w0 + h;
            CHECK_OK(gru_seq_model_eval(&m, SB, x, y, &lp));
            *w = w0 - h;
            CHECK_OK(gru_seq_model_eval(&m, SB, x, y, &lm));
            *w = w0;
            const double fd = (lp - lm) / (2 * h);
            CHECK_MSG(fabs(fd - gr.g[v][i]) < 1e-7, "param %zu[%zu]: fd %.10g, backward %.10g", v,
                      i, fd, gr.g[v][i]);
        }
    double yp[SB * 3];
    CHECK_OK(gru_seq_model_predict(&m, SB, x, yp));
    CHECK_NEAR(yp[0] + yp[1] + yp[2], 1.0, 1e-12);
    free(m.workspace);
    gru_layer_free(l);
    gru_dense_free(d);
}

TEST(seq_model_learns_with_adam_without_allocating) {
    enum { NSEQ = 64 };
    static double xs[NSEQ * ST * SF], ys[NSEQ];
    for (int n = 0; n < NSEQ; n++) {
        double s = 0;
        for (int t = 0; t < ST; t++) {
            xs[(n * ST + t) * SF] = sin(0.37 * n + 0.8 * t);
            xs[(n * ST + t) * SF + 1] = cos(0.11 * n * t);
            s += xs[(n * ST + t) * SF] * (t + 1) / ST;
        }
        ys[n] = 0.5 * s;
    }
    gru_seq_model m;
    gru_layer *l = NULL;
    gru_dense *d = NULL;
    CHECK_MSG(make_seq(&m, &l, &d, GRU_LOSS_MSE, 1, "linear", 16), "%s", gru_last_error());
    void *params[5];
    size_t sizes[5], count;
    CHECK_OK(gru_seq_model_params(&m, params, sizes, &count));
    gru_optimizer_config oc;
    CHECK_OK(gru_optimizer_config_init(&oc, GRU_OPT_ADAM));
    oc.learning_rate = 0.02;
    gru_optimizer *opt = NULL;
    CHECK_OK(gru_optimizer_create(&oc, GRU_F64, count, sizes, &opt));
    m.optimizer = opt;
    gru_fit_config fc;
    gru_fit_config_init(&fc);
    fc.epochs = 30;
    fc.batch_size = 16;
    gru_fit_data fd = {GRU_F64, 48, ST * SF, 1, xs, ys, 16, xs + 48 * ST * SF, ys + 48};
    size_t wsb;
    CHECK_OK(gru_fit_workspace_size(&fc, &fd, &wsb));
    void *ws = aligned_ws(wsb);
    double el[30], vl[30];
#ifdef GRU_TEST_WRAP_MALLOC
    const long before = tests_alloc_count();
#endif
    CHECK_OK(gru_fit(&fc, &fd, gru_seq_model_step, gru_seq_model_eval, &m, ws, wsb, el, vl, NULL));
#ifdef GRU_TEST_WRAP_MALLOC
    CHECK_MSG(tests_alloc_count() == before, "%ld allocations", tests_alloc_count() - before);
#endif
    CHECK_MSG(el[29] < 0.2 * el[0] && vl[29] < 0.3 * vl[0], "loss %g -> %g, val %g -> %g", el[0],
              el[29], vl[0], vl[29]);
    CHECK(gru_optimizer_iterations(opt) == 30 * 3);
    free(ws);
    free(m.workspace);
    gru_optimizer_free(opt);
    gru_layer_free(l);
    gru_dense_free(d);
}

TEST(reject_bad_seq_model) {
    gru_seq_model m;
    gru_layer *l = NULL;
    gru_dense *d = NULL;
    CHECK(make_seq(&m, &l, &d, GRU_LOSS_MSE, 1, "linear", 4));
    double x[8 * ST * SF] = {0}, y[8] = {0}, loss;
    size_t b;
    CHECK_REJECT(gru_seq_model_step(&m, 2, x, y, &loss), GRU_E_NULL, "model.optimizer");
    m.update = grab_update;
    grab gr;
    m.update_user = &gr;
    CHECK_REJECT(gru_seq_model_step(&m, 5, x, y, &loss), GRU_E_SHAPE, "max_batch");
    CHECK_REJECT(gru_seq_model_step(&m, 2, NULL, y, &loss), GRU_E_NULL, "'x'");
    CHECK_REJECT(gru_seq_model_eval(&m, 2, x, NULL, &loss), GRU_E_NULL, "'y'");
    const size_t wsb = m.ws_bytes;
    m.ws_bytes = 16;
    CHECK_REJECT(gru_seq_model_step(&m, 2, x, y, &loss), GRU_E_SHAPE, "ws_bytes");
    m.ws_bytes = wsb;
    m.steps = 0;
    CHECK_REJECT(gru_seq_model_workspace_size(&m, 4, &b), GRU_E_ARG, "model.steps");
    m.steps = ST;
    CHECK_REJECT(gru_seq_model_workspace_size(&m, 0, &b), GRU_E_ARG, "batch size");
    gru_dense *d2 = NULL;
    gru_dense_config dc;
    gru_dense_config_init(&dc, 1, SU + 1);
    dc.dtype = GRU_F64;
    CHECK_OK(gru_dense_create(&dc, &d2));
    m.head = d2;
    CHECK_REJECT(gru_seq_model_workspace_size(&m, 4, &b), GRU_E_SHAPE, "input_dim");
    m.head = NULL;
    CHECK_REJECT(gru_seq_model_workspace_size(&m, 4, &b), GRU_E_NULL, "model.layer and model.head");
    m.head = d;
    /* a NaN input gives GRU_E_NUMERIC from the loss, through the step */
    x[3] = NAN;
    CHECK_REJECT(gru_seq_model_step(&m, 2, x, y, &loss), GRU_E_NUMERIC, "NaN");
    free(m.workspace);
    gru_dense_free(d2);
    gru_layer_free(l);
    gru_dense_free(d);
}

void tests_train(void) {
    TR_RUN(shuffle_is_a_seeded_permutation);
    TR_RUN(fit_trains_and_reports_epoch_losses);
    TR_RUN(epoch_loss_is_the_batch_size_weighted_mean);
    TR_RUN(shuffle_flag_and_seed);
    TR_RUN(progress_output);
    TR_RUN(fit_performs_zero_allocations);
    TR_RUN(reject_nan_loss_naming_epoch_and_batch);
    TR_RUN(reject_bad_fit_arguments);
    TR_RUN(seq_model_gradients_match_finite_differences);
    TR_RUN(seq_model_learns_with_adam_without_allocating);
    TR_RUN(reject_bad_seq_model);
}
