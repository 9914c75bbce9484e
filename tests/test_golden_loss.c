/* Golden tests of the loss and dense families: gru_loss and gru_dense
 * against tf_keras.losses and tf_keras.layers.Dense (values and
 * tf.GradientTape gradients) recorded by tools/oracle/loss_cases.py.
 * Bounds: GOLDEN_TOL_F64 / GOLDEN_TOL_F32 (|got - want| / max(|want|, 1)). */
#include <stdlib.h>

#include "golden.h"
#include "runner.h"

static gru_dtype dtype_of(const golden *g) {
    return strcmp(golden_meta(g, "dtype"), "f32") == 0 ? GRU_F32 : GRU_F64;
}

/* compare n values of a dtype buffer with a golden array (bound tol); 0 on mismatch */
static int cmp(const char *what, gru_dtype dt, const void *got, const golden_array *want,
               size_t n, double tol, char *msg, size_t msglen, double *err) {
    if (!want || want->n != n) {
        snprintf(msg, msglen, "%s: golden array missing or of %zu values, want %zu", what,
                 want ? want->n : 0, n);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        const double a = golden_get_val(dt, got, i), b = want->data[i];
        const double e = fabs(a - b) / fmax(fabs(b), 1.0);
        if (e > *err || isnan(e)) *err = isnan(e) ? (double)INFINITY : e;
        if (!(e <= tol)) {
            snprintf(msg, msglen, "%s[%zu] = %.17g, Keras %.17g (err %.3g > %.3g)", what, i, a, b,
                     e, tol);
            return 0;
        }
    }
    return 1;
}

static int run_loss_case(const golden *g, char *msg, size_t msglen, double *err) {
    const gru_dtype dt = dtype_of(g);
    const char *k = golden_meta(g, "loss"), *red = golden_meta(g, "reduction");
    gru_loss_config c;
    gru_loss_config_init(&c, strcmp(k, "mse") == 0   ? GRU_LOSS_MSE
                             : strcmp(k, "bce") == 0 ? GRU_LOSS_BCE
                             : strcmp(k, "cce") == 0 ? GRU_LOSS_CCE
                                                     : GRU_LOSS_SPARSE_CCE);
    c.from_logits = golden_meta_num(g, "from_logits", 0) != 0;
    c.label_smoothing = golden_meta_num(g, "label_smoothing", 0);
    c.reduction = strcmp(red, "sum") == 0    ? GRU_REDUCTION_SUM
                  : strcmp(red, "none") == 0 ? GRU_REDUCTION_NONE
                                             : GRU_REDUCTION_SUM_OVER_BATCH_SIZE;
    const size_t rows = (size_t)golden_meta_num(g, "rows", 0), n = (size_t)golden_meta_num(g, "n", 0);
    const golden_array *gsw = golden_get(g, "sample_weight");
    void *yt = golden_to_dtype(golden_get(g, "y_true"), dt);
    void *yp = golden_to_dtype(golden_get(g, "y_pred"), dt);
    void *sw = gsw ? golden_to_dtype(gsw, dt) : NULL;
    void *dp = calloc(rows * n, sizeof(double));
    double *per = calloc(rows, sizeof(double));
    double loss = 0;
    int ok = 0;
    if (!yt || !yp || !dp || !per || (gsw && !sw)) {
        snprintf(msg, msglen, "golden lacks an array (or out of memory)");
        goto done;
    }
    if (gru_loss(&c, dt, rows, n, yt, yp, sw, &loss, per, dp)) {
        snprintf(msg, msglen, "gru_loss: %s", gru_last_error());
        goto done;
    }
    /* loss and per_row are doubles holding values of the dtype */
    const double tol = dt == GRU_F32 ? GOLDEN_TOL_F32 : GOLDEN_TOL_F64;
    const golden_array *gl = golden_get(g, "loss");
    double l1[1] = {loss};
    ok = (c.reduction == GRU_REDUCTION_NONE
              ? cmp("loss (per row)", GRU_F64, per, gl, rows, tol, msg, msglen, err)
              : cmp("loss", GRU_F64, l1, gl, 1, tol, msg, msglen, err)) &&
         cmp("per_row", GRU_F64, per, golden_get(g, "per_row"), rows, tol, msg, msglen, err) &&
         cmp("d_pred", dt, dp, golden_get(g, "d_pred"), rows * n, tol, msg, msglen, err);
done:
    free(yt);
    free(yp);
    free(sw);
    free(dp);
    free(per);
    return ok;
}

static int run_dense_case(const golden *g, char *msg, size_t msglen, double *err) {
    const gru_dtype dt = dtype_of(g);
    const int64_t F = (int64_t)golden_meta_num(g, "input_dim", 0);
    const int64_t U = (int64_t)golden_meta_num(g, "units", 0);
    const size_t rows = (size_t)golden_meta_num(g, "rows", 0);
    gru_dense_config c;
    gru_dense *d = NULL;
    int ok = 0;
    void *k = NULL, *b = NULL, *x = NULL, *dy = NULL, *y = NULL, *pre = NULL, *dx = NULL,
         *gk = NULL, *gb = NULL;
    if (gru_dense_config_init(&c, U, F) ||
        gru_activation_from_name(golden_meta(g, "activation"), &c.activation)) {
        snprintf(msg, msglen, "config: %s", gru_last_error());
        return 0;
    }
    c.dtype = dt;
    c.use_bias = golden_meta_num(g, "use_bias", 1) != 0;
    if (gru_dense_create(&c, &d)) {
        snprintf(msg, msglen, "create: %s", gru_last_error());
        return 0;
    }
    const size_t e = gru_dtype_size(dt), nu = (size_t)U, nf = (size_t)F;
    k = golden_to_dtype(golden_get(g, "kernel"), dt);
    b = c.use_bias ? golden_to_dtype(golden_get(g, "bias"), dt) : NULL;
    x = golden_to_dtype(golden_get(g, "x"), dt);
    dy = golden_to_dtype(golden_get(g, "dy"), dt);
    y = calloc(rows * nu, e);
    pre = calloc(rows * nu, e);
    dx = calloc(rows * nf, e);
    gk = calloc(nf * nu, e);
    gb = calloc(nu, e);
    if (!k || !x || !dy || !y || !pre || !dx || !gk || !gb || (c.use_bias && !b)) {
        snprintf(msg, msglen, "golden lacks an array (or out of memory)");
        goto done;
    }
    gru_dense_grads grads = {gk, c.use_bias ? gb : NULL};
    if (gru_dense_set_weights(d, dt, k, b) || gru_dense_forward(d, dt, rows, x, y, pre) ||
        gru_dense_backward(d, dt, rows, x, pre, y, dy, dx, &grads)) {
        snprintf(msg, msglen, "dense: %s", gru_last_error());
        goto done;
    }
    const double tol = dt == GRU_F32 ? GOLDEN_TOL_F32 : GOLDEN_TOL_F64;
    ok = cmp("y", dt, y, golden_get(g, "y"), rows * nu, tol, msg, msglen, err) &&
         cmp("dx", dt, dx, golden_get(g, "dx"), rows * nf, tol, msg, msglen, err) &&
         cmp("d_kernel", dt, gk, golden_get(g, "d_kernel"), nf * nu, tol, msg, msglen, err) &&
         (!c.use_bias ||
          cmp("d_bias", dt, gb, golden_get(g, "d_bias"), nu, tol, msg, msglen, err));
done:
    free(k);
    free(b);
    free(x);
    free(dy);
    free(y);
    free(pre);
    free(dx);
    free(gk);
    free(gb);
    gru_dense_free(d);
    return ok;
}

void tests_golden_loss(void) {
    golden_worst w;
    memset(&w, 0, sizeof w);
    golden_run_family("loss", run_loss_case, &w, 1);
    golden_run_family("dense", run_dense_case, &w, 1);
    printf("golden loss/dense: worst float32 error %.3g (%s), worst float64 error %.3g (%s)\n",
           w.f32, w.f32_case, w.f64, w.f64_case);
}
