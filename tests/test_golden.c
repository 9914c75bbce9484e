/* Golden tests: libgru against numbers recorded from real tf-keras 2.21 by
 * tools/oracle/make_goldens.py. One reported test per golden case.
 *
 * Error metric, per element: |got - want| / max(|want|, 1), i.e. relative
 * for |want| >= 1 and absolute below (GRU outputs live in (-1, 1) for most
 * activations, where float32 cancellation in z*h + (1-z)*hh makes a pure
 * relative bound meaningless near 0). Bounds: float64 1e-12 everywhere.
 * float32: 1e-6 for activations, regularizers and constraints; 2e-6 for the
 * cell over three steps, because Keras' own float32 cell is not within 1e-6
 * of the exact result: evaluating the same float32 inputs and weights in
 * float64 (libgru's float64 path, which matches Keras float64 to ~1e-14)
 * puts Keras float32 up to 1.4e-6 away (gelu/tanh cases, 3 steps; Eigen's
 * float32 tanh/erf approximations and float32 matmul accumulation), and
 * libgru float32 up to 9.4e-7. Both roundings add up to the 1.7e-6 seen. */
#include <stdlib.h>

#include "golden.h"
#include "runner.h"

/* The bounds are GOLDEN_TOL_* in golden.h (shared with test_golden_layer.c). */
#define TOL_F64 GOLDEN_TOL_F64
#define TOL_F32 GOLDEN_TOL_F32
#define TOL_F32_CELL GOLDEN_TOL_F32_CELL
/* float32 activation gradients: TF differentiates mish = x*tanh(softplus(x))
 * by the chain rule in float32 with Eigen's approximate tanh; its dx is
 * up to 3.8e-6 from the exact derivative (x ~ 7.9, measured on the golden
 * inputs in float64), so 1e-6 against it is unreachable. */
#define TOL_F32_ACT_GRAD GOLDEN_TOL_F32_ACT_GRAD

/* ---- cell ---------------------------------------------------------------- */

static int run_cell_case(const golden *g, char *msg, size_t msglen, double *err_out) {
    gru_dtype dt = strcmp(golden_meta(g, "dtype"), "f32") == 0 ? GRU_F32 : GRU_F64;
    int64_t U = (int64_t)golden_meta_num(g, "units", 0), F = (int64_t)golden_meta_num(g, "input_dim", 0);
    int64_t B = (int64_t)golden_meta_num(g, "batch", 0), S = (int64_t)golden_meta_num(g, "steps", 0);
    gru_cell_config cfg;
    if (gru_cell_config_init(&cfg, U, F)) {
        snprintf(msg, msglen, "config: %s", gru_last_error());
        return 0;
    }
    cfg.dtype = dt;
    if (gru_activation_from_name(golden_meta(g, "activation"), &cfg.activation) ||
        gru_activation_from_name(golden_meta(g, "recurrent_activation"), &cfg.recurrent_activation)) {
        snprintf(msg, msglen, "activation: %s", gru_last_error());
        return 0;
    }
    cfg.use_bias = golden_meta_num(g, "use_bias", 1) != 0;
    cfg.reset_after = golden_meta_num(g, "reset_after", 0) != 0;
    cfg.implementation = (int)golden_meta_num(g, "implementation_requested", 1);
    cfg.dropout = golden_meta_num(g, "dropout", 0);
    cfg.recurrent_dropout = golden_meta_num(g, "recurrent_dropout", 0);
    gru_training tr = golden_meta_num(g, "training", 0) != 0 ? GRU_TRAINING_TRUE : GRU_TRAINING_FALSE;

    gru_cell *cell = NULL;
    void *k = NULL, *r = NULL, *b = NULL, *x = NULL, *h = NULL, *m = NULL;
    int ok = 0;
    if (gru_cell_create(&cfg, &cell)) {
        snprintf(msg, msglen, "create: %s", gru_last_error());
        goto done;
    }
    gru_cell_config eff;
    gru_cell_get_config(cell, &eff);
    if (eff.implementation != (int)golden_meta_num(g, "implementation", -1)) {
        snprintf(msg, msglen, "effective implementation %d, Keras %s", eff.implementation,
                 golden_meta(g, "implementation"));
        goto done;
    }
    const golden_array *gk = golden_get(g, "kernel"), *gr = golden_get(g, "recurrent_kernel"),
                       *gb = golden_get(g, "bias"), *gx = golden_get(g, "x"),
                       *gh0 = golden_get(g, "h0"), *gh = golden_get(g, "h");
    if (!gk || !gr || !gx || !gh0 || !gh || (cfg.use_bias && !gb)) {
        snprintf(msg, msglen, "golden lacks an array");
        goto done;
    }
    k = golden_to_dtype(gk, dt);
    r = golden_to_dtype(gr, dt);
    b = gb ? golden_to_dtype(gb, dt) : NULL;
    x = golden_to_dtype(gx, dt);
    h = golden_to_dtype(gh0, dt);
    if (!k || !r || !x || !h || (gb && !b)) goto done;
    if (gru_cell_set_weights(cell, dt, k, r, b)) {
        snprintf(msg, msglen, "set_weights: %s", gru_last_error());
        goto done;
    }
    const golden_array *gdp = golden_get(g, "dp_mask"), *grdp = golden_get(g, "rdp_mask");
    if (gdp) {
        m = golden_to_dtype(gdp, dt);
        if (!m || gru_cell_set_dropout_mask(cell, dt, B, m)) {
            snprintf(msg, msglen, "set_dropout_mask: %s", gru_last_error());
            goto done;
        }
        free(m);
        m = NULL;
    }
    if (grdp) {
        m = golden_to_dtype(grdp, dt);
        if (!m || gru_cell_set_recurrent_dropout_mask(cell, dt, B, m)) {
            snprintf(msg, msglen, "set_recurrent_dropout_mask: %s", gru_last_error());
            goto done;
        }
        free(m);
        m = NULL;
    }
    golden_err e = {0, 0};
    const size_t es = gru_dtype_size(dt), nrow = (size_t)(B * U);
    double *got = malloc(nrow * sizeof(double));
    if (!got) goto done;
    for (int64_t t = 0; t < S; t++) {
        const char *xt = (const char *)x + (size_t)(t * B * F) * es;
        if (gru_cell_call(cell, dt, B, xt, h, tr, h)) {
            snprintf(msg, msglen, "call step %lld: %s", (long long)t, gru_last_error());
            free(got);
            goto done;
        }
        for (size_t i = 0; i < nrow; i++) got[i] = golden_get_val(dt, h, i);
        golden_compare(got, gh->data + (size_t)t * nrow, nrow, &e);
    }
    free(got);
    *err_out = e.max_rel;
    double tol = dt == GRU_F32 ? TOL_F32_CELL : TOL_F64;
    ok = e.max_rel <= tol;
    if (!ok) snprintf(msg, msglen, "max error %.3g > %.1g (abs %.3g)", e.max_rel, tol, e.max_abs);
done:
    free(k), free(r), free(b), free(x), free(h), free(m);
    gru_cell_free(cell);
    return ok;
}

/* ---- activation ------------------------------------------------------------ */

static int run_activation_case(const golden *g, char *msg, size_t msglen, double *err_out) {
    gru_dtype dt = strcmp(golden_meta(g, "dtype"), "f32") == 0 ? GRU_F32 : GRU_F64;
    gru_activation act;
    if (gru_activation_from_name(golden_meta(g, "name"), &act)) {
        snprintf(msg, msglen, "%s", gru_last_error());
        return 0;
    }
    const golden_array *gx = golden_get(g, "x"), *gy = golden_get(g, "y"), *gdy = golden_get(g, "dy"),
                       *gdx = golden_get(g, "dx");
    if (!gx || !gy || !gdy || !gdx || gx->ndim != 2) {
        snprintf(msg, msglen, "golden lacks an array");
        return 0;
    }
    size_t rows = gx->dims[0], n = gx->dims[1];
    void *x = golden_to_dtype(gx, dt), *dy = golden_to_dtype(gdy, dt);
    void *y = golden_to_dtype(gy, dt), *dx = golden_to_dtype(gy, dt);
    double *got = malloc(gx->n * sizeof(double));
    int ok = 0;
    if (!x || !dy || !y || !dx || !got) goto done;
    golden_err ey = {0, 0}, ed = {0, 0};
    if (gru_activation_apply(&act, dt, rows, n, x, y)) {
        snprintf(msg, msglen, "apply: %s", gru_last_error());
        goto done;
    }
    for (size_t i = 0; i < gx->n; i++) got[i] = golden_get_val(dt, y, i);
    golden_compare(got, gy->data, gx->n, &ey);
    /* the gradient is checked given Keras' own y, so it is independent of
     * forward rounding */
    void *ky = golden_to_dtype(gy, dt);
    if (!ky) goto done;
    gru_status s = gru_activation_grad(&act, dt, rows, n, x, ky, dy, dx);
    free(ky);
    if (s) {
        snprintf(msg, msglen, "grad: %s", gru_last_error());
        goto done;
    }
    for (size_t i = 0; i < gx->n; i++) got[i] = golden_get_val(dt, dx, i);
    golden_compare(got, gdx->data, gx->n, &ed);
    double tol = dt == GRU_F32 ? TOL_F32 : TOL_F64;
    double tol_dx = dt == GRU_F32 ? TOL_F32_ACT_GRAD : TOL_F64;
    *err_out = ey.max_rel;
    ok = ey.max_rel <= tol && ed.max_rel <= tol_dx;
    if (!ok)
        snprintf(msg, msglen, "y error %.3g (bound %.1g), dx error %.3g (bound %.1g)", ey.max_rel,
                 tol, ed.max_rel, tol_dx);
done:
    free(x), free(dy), free(y), free(dx), free(got);
    return ok;
}

/* ---- regularizer ------------------------------------------------------------ */

static void shape_of(const golden_array *a, size_t *shape) {
    for (int d = 0; d < a->ndim; d++) shape[d] = a->dims[d];
}

static int run_regularizer_case(const golden *g, char *msg, size_t msglen, double *err_out) {
    gru_dtype dt = strcmp(golden_meta(g, "dtype"), "f32") == 0 ? GRU_F32 : GRU_F64;
    gru_regularizer reg;
    if (gru_regularizer_from_name(golden_meta(g, "name"), &reg)) {
        snprintf(msg, msglen, "%s", gru_last_error());
        return 0;
    }
    reg.l1 = golden_meta_num(g, "l1", reg.l1);
    reg.l2 = golden_meta_num(g, "l2", reg.l2);
    reg.factor = golden_meta_num(g, "factor", reg.factor);
    const char *mode = golden_meta(g, "mode");
    if (mode && strcmp(mode, "columns") == 0) reg.mode = GRU_ORTH_COLUMNS;
    if (mode && strcmp(mode, "rows") == 0) reg.mode = GRU_ORTH_ROWS;
    const golden_array *gw = golden_get(g, "w");
    if (!gw) return snprintf(msg, msglen, "no w"), 0;
    size_t shape[GOLDEN_MAX_DIMS];
    shape_of(gw, shape);
    void *w = golden_to_dtype(gw, dt), *grad = golden_to_dtype(gw, dt);
    int ok = 0;
    if (!w || !grad) goto done;
    double pen = 0;
    gru_status s = gru_regularizer_penalty(&reg, dt, (size_t)gw->ndim, shape, w, &pen);
    if (golden_meta_num(g, "error", 0) != 0) {
        ok = s != GRU_OK;
        if (!ok) snprintf(msg, msglen, "Keras raised, libgru returned a penalty %g", pen);
        goto done;
    }
    if (s) {
        snprintf(msg, msglen, "penalty: %s", gru_last_error());
        goto done;
    }
    memset(grad, 0, gw->n * gru_dtype_size(dt));
    if (gru_regularizer_grad(&reg, dt, (size_t)gw->ndim, shape, w, grad)) {
        snprintf(msg, msglen, "grad: %s", gru_last_error());
        goto done;
    }
    const golden_array *gp = golden_get(g, "penalty"), *gg = golden_get(g, "grad");
    if (!gp || !gg) goto done;
    golden_err ep = {0, 0}, eg = {0, 0};
    golden_compare(&pen, gp->data, 1, &ep);
    double *got = malloc(gw->n * sizeof(double));
    if (!got) goto done;
    for (size_t i = 0; i < gw->n; i++) got[i] = golden_get_val(dt, grad, i);
    golden_compare(got, gg->data, gw->n, &eg);
    free(got);
    double tol = dt == GRU_F32 ? TOL_F32 : TOL_F64;
    *err_out = fmax(ep.max_rel, eg.max_rel);
    ok = ep.max_rel <= tol && eg.max_rel <= tol;
    if (!ok)
        snprintf(msg, msglen, "penalty %.10g vs %.10g (err %.3g), grad err %.3g > %.1g", pen,
                 gp->data[0], ep.max_rel, eg.max_rel, tol);
done:
    free(w), free(grad);
    return ok;
}

/* ---- constraint ------------------------------------------------------------- */

static int run_constraint_case(const golden *g, char *msg, size_t msglen, double *err_out) {
    gru_dtype dt = strcmp(golden_meta(g, "dtype"), "f32") == 0 ? GRU_F32 : GRU_F64;
    gru_constraint c;
    if (gru_constraint_from_name(golden_meta(g, "name"), &c)) {
        snprintf(msg, msglen, "%s", gru_last_error());
        return 0;
    }
    c.max_value = golden_meta_num(g, "max_value", c.max_value);
    c.min_value = golden_meta_num(g, "min_value", c.min_value);
    c.rate = golden_meta_num(g, "rate", c.rate);
    c.axis = (int)golden_meta_num(g, "axis", c.axis);
    const golden_array *gw = golden_get(g, "w");
    if (!gw) return snprintf(msg, msglen, "no w"), 0;
    size_t shape[GOLDEN_MAX_DIMS];
    shape_of(gw, shape);
    void *w = golden_to_dtype(gw, dt);
    int ok = 0;
    if (!w) goto done;
    gru_status s = gru_constraint_apply(&c, dt, (size_t)gw->ndim, shape, w);
    if (golden_meta_num(g, "error", 0) != 0) {
        ok = s != GRU_OK;
        if (!ok) snprintf(msg, msglen, "Keras raised, libgru accepted");
        goto done;
    }
    if (s) {
        snprintf(msg, msglen, "apply: %s", gru_last_error());
        goto done;
    }
    const golden_array *go = golden_get(g, "out");
    if (!go || go->n != gw->n) goto done;
    double *got = malloc(gw->n * sizeof(double));
    if (!got) goto done;
    for (size_t i = 0; i < gw->n; i++) got[i] = golden_get_val(dt, w, i);
    golden_err e = {0, 0};
    golden_compare(got, go->data, gw->n, &e);
    free(got);
    double tol = dt == GRU_F32 ? TOL_F32 : TOL_F64;
    *err_out = e.max_rel;
    ok = e.max_rel <= tol;
    if (!ok) snprintf(msg, msglen, "error %.3g > %.1g", e.max_rel, tol);
done:
    free(w);
    return ok;
}

/* ---- driver ----------------------------------------------------------------- */

void golden_run_family(const char *family, golden_case_fn fn, golden_worst *w, int required) {
    char dir[600], name[300];
    snprintf(dir, sizeof dir, "%s/%s", tr_golden_dir(), family);
    char **paths;
    size_t n = golden_list(dir, &paths);
    if (n == 0 && required) {
        snprintf(name, sizeof name, "golden/%s", family);
        if (tr_selected(name)) tr_report(name, 0, "no golden files found (run tools/oracle)");
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof name, "golden/%s/%s", family, golden_base_name(paths[i]));
        if (!tr_selected(name)) continue;
        golden g;
        char msg[400] = "";
        int ok = 0;
        double err = 0;
        if (golden_load(paths[i], &g, msg, sizeof msg) == 0) {
            ok = fn(&g, msg, sizeof msg, &err);
            const char *dts = golden_meta(&g, "dtype");
            if (ok && dts) golden_note_worst(w, strcmp(dts, "f32") == 0, err, name);
            golden_free(&g);
        }
        tr_report(name, ok, msg);
    }
    golden_list_free(paths, n);
}

void tests_golden(void);
void tests_golden(void) {
    golden_worst w;
    memset(&w, 0, sizeof w);
    golden_run_family("cell", run_cell_case, &w, 1);
    golden_run_family("activation", run_activation_case, &w, 1);
    golden_run_family("regularizer", run_regularizer_case, &w, 1);
    golden_run_family("constraint", run_constraint_case, &w, 1);
    printf("golden: worst float32 error %.3g (%s), worst float64 error %.3g (%s)\n", w.f32,
           w.f32_case, w.f64, w.f64_case);
}
