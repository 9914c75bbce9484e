/* Golden tests of training: 20 optimizer steps of a GRU + Dense model in
 * libgru against the same 20 steps in tf-keras 2.21 (a GradientTape loop
 * with model.losses added and opt.apply_gradients), from the `train` family
 * written by tools/oracle/train_cases.py (format: tools/oracle/FORMAT.md).
 * One reported test per golden case.
 *
 * Each case is replayed from Keras' initial weights on Keras' 20 batches:
 *
 * A. step by step through the library's training pieces: gru_layer_forward_
 *    train with the dropout masks Keras drew in that step (gru_layer_io),
 *    gru_dense_forward, gru_loss (d_pred), gru_dense_backward,
 *    gru_layer_backward, the penalties (gru_cell_losses, gru_dense_losses)
 *    and their gradients (gru_cell_regularizer_grads,
 *    gru_dense_regularizer_grads), then one gru_optimizer_apply over the five
 *    variables in Keras' trainable_variables order (GRU kernel,
 *    recurrent_kernel, bias, Dense kernel, bias), the constraints given to
 *    the optimizer (gru_optimizer_set_constraint), as Keras' optimizer
 *    applies variable.constraint after the update, then
 *    gru_cell_sync_weights (the optimizer wrote the weights through raw
 *    pointers);
 * B. for cases without dropout, also through gru_fit driving
 *    gru_seq_model_step (one epoch over the 80 samples, batch 4, no
 *    shuffle = Keras' 20 batches), where the constraints are the layers'
 *    own (gru_cell_apply_constraints / gru_dense_apply_constraints inside
 *    the step). gru_seq_model_step draws its own dropout masks (its forward
 *    takes no gru_layer_io), so Keras' recorded masks cannot be fed to it:
 *    dropout cases run path A only.
 *
 * Compared: each step's loss (data loss + penalties, on the weights before
 * the update) and the final weights, with max |got - want| / max(|want|, 1)
 * <= 1e-9 (float64) and 1e-5 (float32), the bounds of the issue. */
#include <stdint.h>
#include <stdlib.h>

#include "golden.h"
#include "runner.h"

#define TRAIN_TOL_F64 1e-9
#define TRAIN_TOL_F32 1e-5
#define NW 5

static const char *const WNAMES[NW] = {"kernel", "recurrent", "bias", "dense_kernel",
                                       "dense_bias"};

static void *aligned64(golden_bufs *bb, size_t bytes) {
    return golden_keep(bb, aligned_alloc(64, (bytes + 63) / 64 * 64 + 64));
}

/* "none" or "l1l2:<l1>:<l2>" */
static int parse_reg(const golden *g, const char *w, gru_regularizer *r, char *msg,
                     size_t msglen) {
    char key[48];
    snprintf(key, sizeof key, "reg_%s", w);
    const char *v = golden_meta(g, key);
    memset(r, 0, sizeof *r);
    r->kind = GRU_REG_NONE;
    if (!v || strcmp(v, "none") == 0) return 1;
    double l1, l2;
    if (sscanf(v, "l1l2:%lf:%lf", &l1, &l2) != 2) {
        snprintf(msg, msglen, "bad meta %s %s", key, v);
        return 0;
    }
    r->kind = GRU_REG_L1L2;
    r->l1 = l1;
    r->l2 = l2;
    /* Keras casts the factors to floatx: float64 cases ran with floatx float64 */
    const char *fx = golden_meta(g, "floatx");
    r->floatx = fx && strcmp(fx, "float64") == 0 ? GRU_F64 : GRU_F32;
    return 1;
}

/* "none", "max_norm:<max_value>:<axis>", "unit_norm:<axis>", "non_neg" */
static int parse_con(const golden *g, const char *w, gru_constraint *c, char *msg,
                     size_t msglen) {
    char key[48], name[32];
    snprintf(key, sizeof key, "con_%s", w);
    const char *v = golden_meta(g, key);
    gru_constraint_from_name(NULL, c);
    if (!v || strcmp(v, "none") == 0) return 1;
    size_t n = strcspn(v, ":");
    if (n >= sizeof name) n = sizeof name - 1;
    memcpy(name, v, n);
    name[n] = 0;
    if (gru_constraint_from_name(name, c)) {
        snprintf(msg, msglen, "meta %s %s: %s", key, v, gru_last_error());
        return 0;
    }
    int axis = 0;
    double mv = 0;
    if (c->kind == GRU_CONSTRAINT_MAX_NORM) {
        if (sscanf(v + n, ":%lf:%d", &mv, &axis) != 2) goto bad;
        c->max_value = mv;
        c->axis = axis;
    } else if (c->kind == GRU_CONSTRAINT_UNIT_NORM) {
        if (sscanf(v + n, ":%d", &axis) != 1) goto bad;
        c->axis = axis;
    } else if (c->kind != GRU_CONSTRAINT_NON_NEG) {
        goto bad;
    }
    return 1;
bad:
    snprintf(msg, msglen, "bad meta %s %s", key, v);
    return 0;
}

typedef struct train_case {
    gru_dtype dt;
    size_t B, T, F, U, D, steps;
    int dropout;
    gru_layer_config lc;
    gru_dense_config dc;
    gru_loss_config loss;
    gru_optimizer_config oc;
    gru_constraint con[NW];
    size_t ndim[NW], shape[NW][2];
    const golden_array *w0[NW], *wf[NW], *x, *y, *dp, *rdp, *loss_want;
} train_case;

static int parse_case(const golden *g, train_case *c, char *msg, size_t msglen) {
    const char *dts = golden_meta(g, "dtype");
    const char *ls = golden_meta(g, "loss");
    if (!dts || !ls) {
        snprintf(msg, msglen, "golden lacks meta dtype or loss");
        return 0;
    }
    c->dt = strcmp(dts, "f32") == 0 ? GRU_F32 : GRU_F64;
    c->B = (size_t)golden_meta_num(g, "batch", 0);
    c->T = (size_t)golden_meta_num(g, "timesteps", 0);
    c->F = (size_t)golden_meta_num(g, "input_dim", 0);
    c->U = (size_t)golden_meta_num(g, "units", 0);
    c->D = (size_t)golden_meta_num(g, "units_out", 0);
    c->steps = (size_t)golden_meta_num(g, "steps", 0);
    if (!c->B || !c->T || !c->F || !c->U || !c->D || !c->steps) {
        snprintf(msg, msglen, "bad sizes in meta");
        return 0;
    }
    const double rate = golden_meta_num(g, "dropout", 0);
    const double rrate = golden_meta_num(g, "recurrent_dropout", 0);
    c->dropout = rate != 0 || rrate != 0;
    const int ra = golden_meta_num(g, "reset_after", 0) != 0;

    gru_layer_config *lc = &c->lc;
    gru_layer_config_init(lc, (int64_t)c->U, (int64_t)c->F);
    lc->cell.dtype = c->dt;
    lc->cell.reset_after = ra;
    lc->cell.dropout = rate;
    lc->cell.recurrent_dropout = rrate;
    lc->unroll = golden_meta_num(g, "unroll", 0) != 0;
    const char *act = golden_meta(g, "activation");
    const char *ract = golden_meta(g, "recurrent_activation");
    if (!act || !ract || gru_activation_from_name(act, &lc->cell.activation) ||
        gru_activation_from_name(ract, &lc->cell.recurrent_activation)) {
        snprintf(msg, msglen, "activations: %s", gru_last_error());
        return 0;
    }
    gru_dense_config *dc = &c->dc;
    gru_dense_config_init(dc, (int64_t)c->D, (int64_t)c->U);
    dc->dtype = c->dt;

    gru_regularizer *regs[NW] = {&lc->cell.kernel_regularizer,
                                 &lc->cell.recurrent_regularizer, &lc->cell.bias_regularizer,
                                 &dc->kernel_regularizer, &dc->bias_regularizer};
    gru_constraint *cons[NW] = {&lc->cell.kernel_constraint, &lc->cell.recurrent_constraint,
                                &lc->cell.bias_constraint, &dc->kernel_constraint,
                                &dc->bias_constraint};
    for (int i = 0; i < NW; i++) {
        if (!parse_reg(g, WNAMES[i], regs[i], msg, msglen)) return 0;
        if (!parse_con(g, WNAMES[i], &c->con[i], msg, msglen)) return 0;
        *cons[i] = c->con[i];
    }
    /* shapes in Keras' layout */
    const size_t U3 = 3 * c->U;
    size_t sh[NW][2] = {{c->F, U3}, {c->U, U3}, {ra ? 2 : U3, U3}, {c->U, c->D}, {c->D, 0}};
    size_t nd[NW] = {2, 2, (size_t)(ra ? 2 : 1), 2, 1};
    memcpy(c->shape, sh, sizeof sh);
    memcpy(c->ndim, nd, sizeof nd);

    gru_loss_kind lk;
    if (strcmp(ls, "mse") == 0) lk = GRU_LOSS_MSE;
    else if (strcmp(ls, "bce") == 0) lk = GRU_LOSS_BCE;
    else if (strcmp(ls, "cce") == 0) lk = GRU_LOSS_CCE;
    else {
        snprintf(msg, msglen, "unknown loss %s", ls);
        return 0;
    }
    gru_loss_config_init(&c->loss, lk);
    c->loss.from_logits = golden_meta_num(g, "from_logits", 0) != 0;
    if (!golden_optimizer_parse(g, &c->oc, "optimizer config", msg, msglen)) return 0;

    int bad = 0;
    char nm[32];
    for (int i = 0; i < NW; i++) {
        const size_t n = c->shape[i][0] * (c->ndim[i] == 2 ? c->shape[i][1] : 1);
        snprintf(nm, sizeof nm, "w0_%s", WNAMES[i]);
        c->w0[i] = golden_get_n(g, nm, n, msg, msglen, &bad);
        snprintf(nm, sizeof nm, "w_%s", WNAMES[i]);
        c->wf[i] = golden_get_n(g, nm, n, msg, msglen, &bad);
        if (!bad && (!c->w0[i] || !c->wf[i])) {
            snprintf(msg, msglen, "weights %s missing", WNAMES[i]);
            return 0;
        }
    }
    c->x = golden_get_n(g, "x", c->steps * c->B * c->T * c->F, msg, msglen, &bad);
    c->y = golden_get_n(g, "y", c->steps * c->B * c->D, msg, msglen, &bad);
    c->loss_want = golden_get_n(g, "loss", c->steps, msg, msglen, &bad);
    c->dp = golden_get_n(g, "dp_mask", c->steps * 3 * c->B * c->F, msg, msglen, &bad);
    c->rdp = golden_get_n(g, "rdp_mask", c->steps * 3 * c->B * c->U, msg, msglen, &bad);
    if (bad) return 0;
    if (!c->x || !c->y || !c->loss_want || (rate != 0 && !c->dp) || (rrate != 0 && !c->rdp)) {
        snprintf(msg, msglen, "arrays x, y, loss or the dropout masks missing");
        return 0;
    }
    return 1;
}

/* The model of a case, weights = Keras' initial ones. */
typedef struct train_model {
    gru_layer *layer;
    gru_dense *head;
    gru_optimizer *opt;
    gru_seq_model sm;
    void *params[NW];
    size_t sizes[NW], count;
} train_model;

static void model_free(train_model *m) {
    gru_optimizer_free(m->opt);
    gru_dense_free(m->head);
    gru_layer_free(m->layer);
    memset(m, 0, sizeof *m);
}

static int model_build(const train_case *c, golden_bufs *bb, int opt_constraints,
                       train_model *m, char *msg, size_t msglen) {
    memset(m, 0, sizeof *m);
    void *w[NW];
    for (int i = 0; i < NW; i++)
        if (!(w[i] = golden_keep(bb, golden_to_dtype(c->w0[i], c->dt)))) {
            snprintf(msg, msglen, "out of memory");
            return 0;
        }
    if (gru_layer_create(&c->lc, &m->layer) || gru_dense_create(&c->dc, &m->head) ||
        gru_cell_set_weights(gru_layer_cell(m->layer), c->dt, w[0], w[1], w[2]) ||
        gru_dense_set_weights(m->head, c->dt, w[3], w[4])) {
        snprintf(msg, msglen, "build: %s", gru_last_error());
        return 0;
    }
    m->sm.layer = m->layer;
    m->sm.head = m->head;
    m->sm.loss = c->loss;
    m->sm.steps = (int64_t)c->T;
    if (gru_seq_model_params(&m->sm, m->params, m->sizes, &m->count) || m->count != NW) {
        snprintf(msg, msglen, "gru_seq_model_params: %s (count %zu)", gru_last_error(),
                 m->count);
        return 0;
    }
    for (int i = 0; i < NW; i++)
        if (m->sizes[i] != c->w0[i]->n) {
            snprintf(msg, msglen, "parameter %d has %zu elements, Keras %zu", i, m->sizes[i],
                     c->w0[i]->n);
            return 0;
        }
    if (gru_optimizer_create(&c->oc, c->dt, NW, m->sizes, &m->opt)) {
        snprintf(msg, msglen, "optimizer: %s", gru_last_error());
        return 0;
    }
    m->sm.optimizer = m->opt;
    if (opt_constraints)
        for (int i = 0; i < NW; i++)
            if (c->con[i].kind != GRU_CONSTRAINT_NONE &&
                gru_optimizer_set_constraint(m->opt, (size_t)i, &c->con[i], c->ndim[i],
                                             c->shape[i])) {
                snprintf(msg, msglen, "set_constraint %s: %s", WNAMES[i], gru_last_error());
                return 0;
            }
    return 1;
}

/* Errors of one run, with where the worst one is. */
typedef struct train_err {
    double loss, weights;
    size_t loss_step;
    int weight_var;
} train_err;

static void compare_final(const train_case *c, const train_model *m, train_err *e) {
    for (int i = 0; i < NW; i++) {
        golden_err ge = {0, 0};
        for (size_t j = 0; j < m->sizes[i]; j++) {
            const double got = golden_get_val(c->dt, m->params[i], j);
            golden_compare(&got, &c->wf[i]->data[j], 1, &ge);
        }
        if (ge.max_rel > e->weights || e->weight_var < 0) {
            e->weights = ge.max_rel;
            e->weight_var = i;
        }
    }
}

static void note_loss(const train_case *c, size_t t, double got, train_err *e) {
    golden_err ge = {0, 0};
    golden_compare(&got, &c->loss_want->data[t], 1, &ge);
    if (ge.max_rel > e->loss) {
        e->loss = ge.max_rel;
        e->loss_step = t;
    }
}

/* Path A: the training pieces, step by step, with Keras' dropout masks. */
static int run_pieces(const train_case *c, golden_bufs *bb, train_err *e, char *msg,
                      size_t msglen) {
    train_model m;
    int ok = 0;
    if (!model_build(c, bb, 1, &m, msg, msglen)) goto done;
    const gru_dtype dt = c->dt;
    const size_t es = gru_dtype_size(dt);
    const size_t B = c->B, T = c->T, F = c->F, U = c->U, D = c->D;
    size_t tape_b, bws_b;
    if (gru_layer_tape_size(m.layer, (int64_t)B, (int64_t)T, &tape_b) ||
        gru_layer_backward_workspace_size(m.layer, (int64_t)B, (int64_t)T, &bws_b)) {
        snprintf(msg, msglen, "sizes: %s", gru_last_error());
        goto done;
    }
    void *tape = aligned64(bb, tape_b), *bws = aligned64(bb, bws_b);
    void *xs = golden_keep(bb, golden_to_dtype(c->x, dt));
    void *ys = golden_keep(bb, golden_to_dtype(c->y, dt));
    void *dps = c->dp ? golden_keep(bb, golden_to_dtype(c->dp, dt)) : NULL;
    void *rdps = c->rdp ? golden_keep(bb, golden_to_dtype(c->rdp, dt)) : NULL;
    void *h = aligned64(bb, B * U * es), *pre = aligned64(bb, B * D * es);
    void *pred = aligned64(bb, B * D * es), *dpred = aligned64(bb, B * D * es);
    void *dh = aligned64(bb, B * U * es), *xt = aligned64(bb, B * T * F * es);
    void *gr[NW];
    for (int i = 0; i < NW; i++) gr[i] = aligned64(bb, m.sizes[i] * es);
    if (!tape || !bws || !xs || !ys || !h || !pre || !pred || !dpred || !dh || !xt || !gr[4] ||
        (c->dp && !dps) || (c->rdp && !rdps)) {
        snprintf(msg, msglen, "out of memory");
        goto done;
    }
    gru_cell *cell = gru_layer_cell(m.layer);
    const gru_cell_grads cg = {gr[0], gr[1], gr[2]};
    const gru_dense_grads dg = {gr[3], gr[4]};
    for (size_t t = 0; t < c->steps; t++) {
        gru_seq in;
        memset(&in, 0, sizeof in);
        in.batch = (int64_t)B;
        in.steps = (int64_t)T;
        memcpy(xt, (const char *)xs + t * B * T * F * es, B * T * F * es);
        in.x = xt;
        gru_layer_io io;
        memset(&io, 0, sizeof io);
        if (dps) io.dropout_masks = (const char *)dps + t * 3 * B * F * es;
        if (rdps) io.recurrent_dropout_masks = (const char *)rdps + t * 3 * B * U * es;
        const void *y = (const char *)ys + t * B * D * es;
        double l = 0, pc = 0, pd = 0;
        gru_status s = gru_layer_forward_train(m.layer, dt, &in, &io, GRU_TRAINING_TRUE, h,
                                               tape, tape_b);
        if (!s) s = gru_dense_forward(m.head, dt, B, h, pred, pre);
        if (!s) s = gru_loss(&c->loss, dt, B, D, y, pred, NULL, &l, NULL, dpred);
        if (!s) s = gru_cell_losses(cell, NULL, &pc);
        if (!s) s = gru_dense_losses(m.head, NULL, &pd);
        if (!s) s = gru_cell_grads_zero(cell, &cg);
        if (!s) s = gru_dense_grads_zero(m.head, &dg);
        if (!s) s = gru_dense_backward(m.head, dt, B, h, pre, pred, dpred, dh, &dg);
        if (!s)
            s = gru_layer_backward(m.layer, dt, &in, tape, dh, NULL, NULL, NULL, &cg, bws,
                                   bws_b);
        if (!s) s = gru_cell_regularizer_grads(cell, &cg);
        if (!s) s = gru_dense_regularizer_grads(m.head, &dg);
        if (!s) s = gru_optimizer_apply(m.opt, dt, NW, m.params, (const void *const *)gr);
        /* the optimizer wrote the cell's weights through raw pointers:
         * refresh the packed copy the SIMD kernel variants read */
        if (!s) s = gru_cell_sync_weights(cell);
        if (s) {
            snprintf(msg, msglen, "pieces, step %zu: %s", t, gru_last_error());
            goto done;
        }
        note_loss(c, t, l + pc + pd, e);
    }
    compare_final(c, &m, e);
    ok = 1;
done:
    model_free(&m);
    return ok;
}

/* Path B: gru_fit driving gru_seq_model_step (no dropout). */
typedef struct fit_rec {
    gru_seq_model *sm;
    double loss[64];
    size_t n;
} fit_rec;

static gru_status rec_step(void *user, size_t batch, const void *x, const void *y,
                           double *loss) {
    fit_rec *r = user;
    gru_status s = gru_seq_model_step(r->sm, batch, x, y, loss);
    if (!s && r->n < 64) r->loss[r->n] = *loss;
    r->n++;
    return s;
}

static int run_fit(const train_case *c, golden_bufs *bb, train_err *e, char *msg,
                   size_t msglen) {
    train_model m;
    int ok = 0;
    if (!model_build(c, bb, 0, &m, msg, msglen)) goto done;
    const gru_dtype dt = c->dt;
    size_t ws_b = 0, fit_b = 0;
    if (gru_seq_model_workspace_size(&m.sm, c->B, &ws_b)) {
        snprintf(msg, msglen, "fit: %s", gru_last_error());
        goto done;
    }
    m.sm.workspace = aligned64(bb, ws_b);
    m.sm.ws_bytes = ws_b;
    m.sm.max_batch = c->B;
    gru_fit_data data;
    memset(&data, 0, sizeof data);
    data.dtype = dt;
    data.n = c->steps * c->B; /* Keras' batch t = samples t*B .. t*B+B-1 */
    data.x_size = c->T * c->F;
    data.y_size = c->D;
    data.x = golden_keep(bb, golden_to_dtype(c->x, dt));
    data.y = golden_keep(bb, golden_to_dtype(c->y, dt));
    gru_fit_config fc;
    gru_fit_config_init(&fc);
    fc.epochs = 1;
    fc.batch_size = (int64_t)c->B;
    fc.shuffle = false;
    fc.progress = NULL;
    if (!m.sm.workspace || !data.x || !data.y ||
        gru_fit_workspace_size(&fc, &data, &fit_b)) {
        snprintf(msg, msglen, "fit setup: %s", gru_last_error());
        goto done;
    }
    void *fws = aligned64(bb, fit_b);
    fit_rec rec;
    memset(&rec, 0, sizeof rec);
    rec.sm = &m.sm;
    double epoch_loss = 0;
    int64_t done_epochs = 0;
    if (!fws || gru_fit(&fc, &data, rec_step, gru_seq_model_eval, &rec, fws, fit_b,
                        &epoch_loss, NULL, &done_epochs)) {
        snprintf(msg, msglen, "gru_fit: %s", gru_last_error());
        goto done;
    }
    if (rec.n != c->steps || done_epochs != 1 ||
        gru_optimizer_iterations(m.opt) != (int64_t)c->steps) {
        snprintf(msg, msglen, "gru_fit ran %zu steps, %lld epochs, %lld iterations", rec.n,
                 (long long)done_epochs, (long long)gru_optimizer_iterations(m.opt));
        goto done;
    }
    for (size_t t = 0; t < c->steps; t++) note_loss(c, t, rec.loss[t], e);
    compare_final(c, &m, e);
    ok = 1;
done:
    model_free(&m);
    return ok;
}

static int run_train_case(const golden *g, char *msg, size_t msglen, double *err_out) {
    train_case c;
    memset(&c, 0, sizeof c);
    if (!parse_case(g, &c, msg, msglen)) return 0;
    if (c.steps > 64) {
        snprintf(msg, msglen, "more than 64 steps");
        return 0;
    }
    golden_bufs bb = {{0}, 0};
    train_err ea = {0, 0, 0, -1}, eb = {0, 0, 0, -1};
    int ok = run_pieces(&c, &bb, &ea, msg, msglen);
    if (ok && !c.dropout) ok = run_fit(&c, &bb, &eb, msg, msglen);
    golden_free_all(&bb);
    if (!ok) return 0;
    const double tol = c.dt == GRU_F32 ? TRAIN_TOL_F32 : TRAIN_TOL_F64;
    double worst = ea.loss;
    if (ea.weights > worst) worst = ea.weights;
    if (eb.loss > worst) worst = eb.loss;
    if (eb.weights > worst) worst = eb.weights;
    *err_out = worst;
    if (worst <= tol) return 1;
    char fitmsg[160] = "gru_fit: not run (dropout)";
    if (!c.dropout)
        snprintf(fitmsg, sizeof fitmsg, "gru_fit: loss %.3g (step %zu), weights %.3g (%s)",
                 eb.loss, eb.loss_step, eb.weights,
                 eb.weight_var >= 0 ? WNAMES[eb.weight_var] : "-");
    snprintf(msg, msglen,
             "max error %.3g > %.1g: pieces: loss %.3g (step %zu), weights %.3g (%s); %s", worst,
             tol, ea.loss, ea.loss_step, ea.weights,
             ea.weight_var >= 0 ? WNAMES[ea.weight_var] : "-", fitmsg);
    return 0;
}

void tests_golden_train(void);
void tests_golden_train(void) {
    golden_worst w;
    memset(&w, 0, sizeof w);
    golden_run_family("train", run_train_case, &w, 1);
    printf("golden train: worst float32 error %.3g (%s), worst float64 error %.3g (%s)\n",
           w.f32, w.f32_case, w.f64, w.f64_case);
}
