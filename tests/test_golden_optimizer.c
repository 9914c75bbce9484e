/* Golden tests of the optimizers (gru_optimizer_*) against tf-keras 2.21's
 * SGD, Adam, RMSprop and Adagrad, from the `optimizer` family written by
 * tools/oracle/optimizer_cases.py (format: tools/oracle/FORMAT.md). One
 * reported test per golden case.
 *
 * Each case is replayed as Keras ran it: the recorded initial variables,
 * the hyperparameters from meta (floatx float64 -> lr_dtype GRU_F64), the
 * variables' constraints, then one gru_optimizer_apply per recorded step
 * with the recorded gradients. The final variables and every Keras slot
 * variable (m, v, vhat, velocity, momentum, average_gradient, accumulator)
 * are compared. Error metric as tests/test_golden.c: max |got - want| /
 * max(|want|, 1). Bounds: tighter than the 1e-9 (float64) and 1e-5
 * (float32), so that a hyperparameter rounded the wrong way (e.g. Adam's
 * beta^t from the double beta instead of TF's float32 one: 1e-8 here)
 * fails: float64 1e-12 (measured worst 3.6e-16: TF's summation order in the
 * clip norms), float32 2e-6 (measured worst 2.4e-7: summation order and
 * Eigen's float32 rsqrt). */
#include <stdlib.h>

#include "golden.h"
#include "runner.h"

#define OPT_TOL_F64 1e-12
#define OPT_TOL_F32 2e-6
#define OPT_MAX_VARS 8

static const char *const SLOT_NAMES[] = {"m", "v", "vhat", "velocity", "momentum",
                                         "average_gradient", "accumulator"};

static double meta_or(const golden *g, const char *key, double def) {
    return golden_meta_num(g, key, def);
}

/* The shared hyperparameters (golden_optimizer_parse), then the ones only
 * this family records. */
static int parse_config(const golden *g, gru_optimizer_config *c, char *msg, size_t msglen) {
    if (!golden_optimizer_parse(g, c, "config", msg, msglen)) return 0;
    c->adaptive_epsilon = meta_or(g, "adaptive_epsilon", 0) != 0;
    c->clipnorm = meta_or(g, "clipnorm", 0);
    c->clipvalue = meta_or(g, "clipvalue", 0);
    c->global_clipnorm = meta_or(g, "global_clipnorm", 0);
    c->weight_decay = meta_or(g, "weight_decay", 0);
    return 1;
}

static int set_constraints(const golden *g, gru_optimizer *o, size_t i, const golden_array *a,
                           char *msg, size_t msglen) {
    char key[64];
    snprintf(key, sizeof key, "constraint_%zu", i);
    const char *name = golden_meta(g, key);
    if (!name || strcmp(name, "none") == 0) return 1;
    gru_constraint c;
    if (gru_constraint_from_name(name, &c)) {
        snprintf(msg, msglen, "constraint %s: %s", name, gru_last_error());
        return 0;
    }
    snprintf(key, sizeof key, "constraint_%zu_max_value", i);
    c.max_value = golden_meta_num(g, key, c.max_value);
    snprintf(key, sizeof key, "constraint_%zu_axis", i);
    c.axis = (int)golden_meta_num(g, key, c.axis);
    size_t shape[GOLDEN_MAX_DIMS];
    for (int d = 0; d < a->ndim; d++) shape[d] = a->dims[d];
    if (gru_optimizer_set_constraint(o, i, &c, (size_t)a->ndim, shape)) {
        snprintf(msg, msglen, "set_constraint: %s", gru_last_error());
        return 0;
    }
    return 1;
}

static int run_optimizer_case(const golden *g, char *msg, size_t msglen, double *err_out) {
    const char *dts = golden_meta(g, "dtype");
    if (!dts) {
        snprintf(msg, msglen, "golden lacks meta dtype");
        return 0;
    }
    const gru_dtype dt = strcmp(dts, "f32") == 0 ? GRU_F32 : GRU_F64;
    const size_t nv = (size_t)golden_meta_num(g, "n_vars", 0);
    const size_t steps = (size_t)golden_meta_num(g, "steps", 0);
    if (nv == 0 || nv > OPT_MAX_VARS || steps == 0) {
        snprintf(msg, msglen, "bad n_vars %zu or steps %zu", nv, steps);
        return 0;
    }
    gru_optimizer_config cfg;
    if (!parse_config(g, &cfg, msg, msglen)) return 0;

    const golden_array *init[OPT_MAX_VARS], *grads[OPT_MAX_VARS], *fin[OPT_MAX_VARS];
    void *vars[OPT_MAX_VARS] = {0}, *gbuf[OPT_MAX_VARS] = {0};
    size_t sizes[OPT_MAX_VARS];
    gru_optimizer *o = NULL;
    void *slotbuf = NULL;
    int ok = 0;
    for (size_t i = 0; i < nv; i++) {
        char name[32];
        snprintf(name, sizeof name, "var%zu_init", i);
        init[i] = golden_get(g, name);
        snprintf(name, sizeof name, "grads%zu", i);
        grads[i] = golden_get(g, name);
        snprintf(name, sizeof name, "var%zu_final", i);
        fin[i] = golden_get(g, name);
        if (!init[i] || !grads[i] || !fin[i] || grads[i]->n != steps * init[i]->n ||
            fin[i]->n != init[i]->n) {
            snprintf(msg, msglen, "variable %zu: arrays missing or of the wrong size", i);
            goto done;
        }
        sizes[i] = init[i]->n;
        vars[i] = golden_to_dtype(init[i], dt);
        gbuf[i] = golden_to_dtype(grads[i], dt);
        if (!vars[i] || !gbuf[i]) {
            snprintf(msg, msglen, "out of memory");
            goto done;
        }
    }
    if (gru_optimizer_create(&cfg, dt, nv, sizes, &o)) {
        snprintf(msg, msglen, "create: %s", gru_last_error());
        goto done;
    }
    for (size_t i = 0; i < nv; i++)
        if (!set_constraints(g, o, i, init[i], msg, msglen)) goto done;

    const size_t es = gru_dtype_size(dt);
    for (size_t t = 0; t < steps; t++) {
        const void *gs[OPT_MAX_VARS];
        for (size_t i = 0; i < nv; i++) gs[i] = (const char *)gbuf[i] + t * sizes[i] * es;
        if (gru_optimizer_apply(o, dt, nv, vars, gs)) {
            snprintf(msg, msglen, "step %zu: %s", t, gru_last_error());
            goto done;
        }
    }
    if (gru_optimizer_iterations(o) != (int64_t)meta_or(g, "iterations", (double)steps)) {
        snprintf(msg, msglen, "iterations %lld", (long long)gru_optimizer_iterations(o));
        goto done;
    }

    golden_err e = {0, 0};
    char worst[64] = "";
    double worst_v = -1;
    size_t maxn = 0;
    for (size_t i = 0; i < nv; i++) maxn = sizes[i] > maxn ? sizes[i] : maxn;
    slotbuf = malloc(maxn * sizeof(double));
    if (!slotbuf) {
        snprintf(msg, msglen, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < nv; i++) {
        double *got = slotbuf;
        for (size_t j = 0; j < sizes[i]; j++) got[j] = golden_get_val(dt, vars[i], j);
        golden_compare(got, fin[i]->data, sizes[i], &e);
        if (e.max_rel > worst_v) {
            worst_v = e.max_rel;
            snprintf(worst, sizeof worst, "var%zu", i);
        }
    }
    int nslots = 0;
    for (size_t s = 0; s < sizeof SLOT_NAMES / sizeof *SLOT_NAMES; s++) {
        for (size_t i = 0; i < nv; i++) {
            char name[32];
            snprintf(name, sizeof name, "slot_%s_%zu", SLOT_NAMES[s], i);
            const golden_array *want = golden_get(g, name);
            if (!want) continue;
            nslots++;
            if (want->n != sizes[i] ||
                gru_optimizer_get_slot(o, SLOT_NAMES[s], i, GRU_F64, slotbuf)) {
                snprintf(msg, msglen, "slot %s: %s", name, gru_last_error());
                goto done;
            }
            golden_compare(slotbuf, want->data, sizes[i], &e);
            if (e.max_rel > worst_v) {
                worst_v = e.max_rel;
                snprintf(worst, sizeof worst, "%s", name);
            }
        }
    }
    if (nslots == 0) {
        snprintf(msg, msglen, "no slot arrays in the golden");
        goto done;
    }
    const double tol = dt == GRU_F32 ? OPT_TOL_F32 : OPT_TOL_F64;
    *err_out = e.max_rel;
    ok = e.max_rel <= tol;
    if (!ok)
        snprintf(msg, msglen, "max error %.3g > %.1g (abs %.3g), worst in %s", e.max_rel, tol,
                 e.max_abs, worst);
done:
    free(slotbuf);
    for (size_t i = 0; i < nv && i < OPT_MAX_VARS; i++) {
        free(vars[i]);
        free(gbuf[i]);
    }
    gru_optimizer_free(o);
    return ok;
}

void tests_golden_optimizer(void);
void tests_golden_optimizer(void) {
    golden_worst w;
    memset(&w, 0, sizeof w);
    golden_run_family("optimizer", run_optimizer_case, &w, 1);
    printf("golden optimizer: worst float32 error %.3g (%s), worst float64 error %.3g (%s)\n",
           w.f32, w.f32_case, w.f64, w.f64_case);
}
