/* Optimizers: tf-keras 2.21's SGD, Adam, RMSprop and Adagrad (the new,
 * non-legacy tf_keras.optimizers), with clipnorm / clipvalue /
 * global_clipnorm, decoupled weight decay and per-variable constraints.
 * The handle: config defaults and validation, memory layout, create/init/
 * free, slots; the arithmetic of a step is in optimizers_impl.h, once for
 * float and double. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define GRU__OPT_MAGIC 0x6772756f70743031ull /* "gruopt01" */
#define GRU__OPT_MAX_NDIM 8

typedef struct gru__opt_con {
    gru_constraint c;
    size_t ndim;
    size_t shape[GRU__OPT_MAX_NDIM];
} gru__opt_con;

struct gru_optimizer {
    uint64_t magic;
    gru_optimizer_config cfg;
    gru_dtype dtype;
    size_t n_vars, total;  /* variables, their total element count       */
    size_t *sizes;         /* (n_vars) elements of each variable           */
    size_t *offsets;       /* (n_vars) element offset in the slot arrays   */
    gru__opt_con *cons;    /* (n_vars) constraints                         */
    int nslots;
    const char *slot_names[3];
    void *slots[3];        /* (total) each, in dtype                       */
    void *scratch;         /* (total) clipped gradients, NULL without clip */
    int64_t iterations;
    int owned;
    char msg[GRU_ERRMSG_MAX];
};

typedef enum { GRU__CLIP_NONE = 0, GRU__CLIP_NORM, GRU__CLIP_GLOBAL, GRU__CLIP_VALUE } gru__clip_mode;

/* The hyperparameters as TF turns them into tensors of the variable's
 * dtype, kept in double and converted to T (exactly) at use:
 * - tf.cast(python_float, dtype) goes through a float32 tensor: SGD's
 *   momentum, Adam's beta_1/beta_2 (in beta^t), weight_decay;
 * - the learning rate is a variable of Keras' floatx (cfg.lr_dtype);
 * - a Python float met in arithmetic with a tensor converts directly: the
 *   epsilons, (1 - beta) computed in double first, rho, RMSprop's momentum,
 *   the clip thresholds. */
typedef struct gru__opt_consts {
    gru__clip_mode mode;
    double clip;
    int weight_decay_on;
    double lr, wd, momentum, beta_1_cast, beta_2_cast, one_minus_beta_1, one_minus_beta_2;
    double epsilon, rho, one_minus_rho;
} gru__opt_consts;

static double via_f32(double x) { return (double)(float)x; }
/* A Python float converted directly to dtype. */
static double direct(gru_dtype dt, double x) { return dt == GRU_F32 ? (double)(float)x : x; }

static gru__opt_consts make_consts(const gru_optimizer *o) {
    const gru_optimizer_config *c = &o->cfg;
    const gru_dtype dt = o->dtype;
    gru__opt_consts k;
    memset(&k, 0, sizeof k);
    if (c->clipnorm > 0) {
        k.mode = GRU__CLIP_NORM;
        k.clip = direct(dt, c->clipnorm);
    } else if (c->global_clipnorm > 0) {
        k.mode = GRU__CLIP_GLOBAL;
        k.clip = direct(dt, c->global_clipnorm);
    } else if (c->clipvalue > 0) {
        k.mode = GRU__CLIP_VALUE;
        k.clip = direct(dt, c->clipvalue);
    }
    k.lr = (dt == GRU_F32 || c->lr_dtype == GRU_F32) ? via_f32(c->learning_rate) : c->learning_rate;
    k.weight_decay_on = c->weight_decay > 0;
    k.wd = via_f32(c->weight_decay);
    k.momentum = c->kind == GRU_OPT_SGD ? via_f32(c->momentum) : direct(dt, c->momentum);
    k.beta_1_cast = via_f32(c->beta_1);
    k.beta_2_cast = via_f32(c->beta_2);
    k.one_minus_beta_1 = direct(dt, 1.0 - c->beta_1);
    k.one_minus_beta_2 = direct(dt, 1.0 - c->beta_2);
    k.epsilon = direct(dt, c->epsilon);
    k.rho = direct(dt, c->rho);
    k.one_minus_rho = direct(dt, 1.0 - c->rho);
    return k;
}

#define T float
#define SUF(n) n##_f32
#define SQRT sqrtf
#define POW powf
#include "optimizers_impl.h"
#undef T
#undef SUF
#undef SQRT
#undef POW
#define T double
#define SUF(n) n##_f64
#define SQRT sqrt
#define POW pow
#include "optimizers_impl.h"
#undef T
#undef SUF
#undef SQRT
#undef POW

/* ---- config -------------------------------------------------------------- */

static const char *kind_name(gru_optimizer_kind k) {
    switch (k) {
    case GRU_OPT_SGD: return "SGD";
    case GRU_OPT_ADAM: return "Adam";
    case GRU_OPT_RMSPROP: return "RMSprop";
    case GRU_OPT_ADAGRAD: return "Adagrad";
    }
    return "?";
}

gru_status gru_optimizer_config_init(gru_optimizer_config *cfg, gru_optimizer_kind kind) {
    if (!cfg)
        return gru__fail(GRU_E_NULL, NULL, "gru_optimizer_config_init: argument 'cfg' is NULL");
    memset(cfg, 0, sizeof *cfg);
    cfg->kind = kind;
    cfg->lr_dtype = GRU_F32;
    /* tf-keras 2.21 constructor defaults */
    cfg->learning_rate = kind == GRU_OPT_SGD ? 0.01 : 0.001;
    cfg->beta_1 = 0.9;
    cfg->beta_2 = 0.999;
    cfg->epsilon = 1e-7;
    cfg->rho = 0.9;
    cfg->initial_accumulator_value = 0.1;
    if (kind != GRU_OPT_SGD && kind != GRU_OPT_ADAM && kind != GRU_OPT_RMSPROP &&
        kind != GRU_OPT_ADAGRAD)
        return gru__fail(GRU_E_ARG, NULL,
                         "gru_optimizer_config_init: argument 'kind' must be GRU_OPT_SGD, "
                         "GRU_OPT_ADAM, GRU_OPT_RMSPROP or GRU_OPT_ADAGRAD, got %d", (int)kind);
    return GRU_OK;
}

static gru_status check_range(const char *fn, const char *name, double v, double lo, int lo_open,
                              double hi, int hi_open) {
    const int bad = isnan(v) || (lo_open ? v <= lo : v < lo) || (hi_open ? v >= hi : v > hi);
    if (!bad) return GRU_OK;
    char hs[32];
    if (isinf(hi)) snprintf(hs, sizeof hs, "inf");
    else snprintf(hs, sizeof hs, "%g", hi);
    return gru__fail(GRU_E_ARG, NULL, "%s: cfg.%s must be a number in %c%g, %s%c, got %.17g", fn,
                     name, lo_open ? '(' : '[', lo, hs, hi_open ? ')' : ']', v);
}

static gru_status check_config(const gru_optimizer_config *c, const char *fn) {
    if (!c) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'cfg' is NULL", fn);
    if (c->kind != GRU_OPT_SGD && c->kind != GRU_OPT_ADAM && c->kind != GRU_OPT_RMSPROP &&
        c->kind != GRU_OPT_ADAGRAD)
        return gru__fail(GRU_E_ARG, NULL,
                         "%s: cfg.kind must be GRU_OPT_SGD, GRU_OPT_ADAM, GRU_OPT_RMSPROP or "
                         "GRU_OPT_ADAGRAD, got %d", fn, (int)c->kind);
    if (!(c->learning_rate > 0) || !isfinite(c->learning_rate))
        return gru__fail(GRU_E_ARG, NULL,
                         "%s: cfg.learning_rate must be a finite number > 0, got %.17g", fn,
                         c->learning_rate);
    const double inf = (double)INFINITY;
    gru_status s;
    switch (c->kind) {
    case GRU_OPT_SGD:
        /* Keras: "`momentum` must be between [0, 1]." */
        if ((s = check_range(fn, "momentum", c->momentum, 0, 0, 1, 0))) return s;
        break;
    case GRU_OPT_ADAM:
        if ((s = check_range(fn, "beta_1", c->beta_1, 0, 0, 1, 1))) return s;
        if ((s = check_range(fn, "beta_2", c->beta_2, 0, 0, 1, 1))) return s;
        if ((s = check_range(fn, "epsilon", c->epsilon, 0, 0, inf, 1))) return s;
        break;
    case GRU_OPT_RMSPROP:
        if ((s = check_range(fn, "rho", c->rho, 0, 0, 1, 1))) return s;
        if ((s = check_range(fn, "momentum", c->momentum, 0, 0, 1, 0))) return s;
        if ((s = check_range(fn, "epsilon", c->epsilon, 0, 0, inf, 1))) return s;
        break;
    case GRU_OPT_ADAGRAD:
        if ((s = check_range(fn, "initial_accumulator_value", c->initial_accumulator_value, 0,
                             0, inf, 1)))
            return s;
        if ((s = check_range(fn, "epsilon", c->epsilon, 0, 0, inf, 1))) return s;
        break;
    }
    if ((s = check_range(fn, "clipnorm", c->clipnorm, 0, 0, inf, 1))) return s;
    if ((s = check_range(fn, "clipvalue", c->clipvalue, 0, 0, inf, 1))) return s;
    if ((s = check_range(fn, "global_clipnorm", c->global_clipnorm, 0, 0, inf, 1))) return s;
    if ((s = check_range(fn, "weight_decay", c->weight_decay, 0, 0, inf, 1))) return s;
    if (c->clipnorm > 0 && c->global_clipnorm > 0)
        return gru__fail(GRU_E_ARG, NULL,
                         "%s: at most one of cfg.clipnorm and cfg.global_clipnorm can be set "
                         "(as Keras), got clipnorm=%g, global_clipnorm=%g", fn, c->clipnorm,
                         c->global_clipnorm);
    if (!gru__dtype_ok(c->lr_dtype))
        return gru__fail(GRU_E_DTYPE, NULL,
                         "%s: cfg.lr_dtype must be GRU_F32 (1) or GRU_F64 (2), got %d", fn,
                         (int)c->lr_dtype);
    if ((c->allocator.alloc == NULL) != (c->allocator.free == NULL))
        return gru__fail(GRU_E_ARG, NULL,
                         "%s: cfg.allocator must set both alloc and free, or neither", fn);
    return GRU_OK;
}

/* ---- layout ---------------------------------------------------------------- */

typedef struct opt_layout {
    size_t total_bytes, sizes, offsets, cons, slots[3], scratch;
    size_t total;
    int nslots;
    const char *names[3];
} opt_layout;

static int slot_names(const gru_optimizer_config *c, const char *names[3]) {
    int n = 0;
    switch (c->kind) {
    case GRU_OPT_SGD: names[n++] = "m"; break; /* Keras makes it even with momentum 0 */
    case GRU_OPT_ADAM:
        names[n++] = "m";
        names[n++] = "v";
        if (c->amsgrad) names[n++] = "vhat";
        break;
    case GRU_OPT_RMSPROP:
        names[n++] = "velocity";
        if (c->momentum > 0) names[n++] = "momentum";
        if (c->centered) names[n++] = "average_gradient";
        break;
    case GRU_OPT_ADAGRAD: names[n++] = "accumulator"; break;
    }
    return n;
}

static gru_status plan(const gru_optimizer_config *cfg, gru_dtype dtype, size_t n_vars,
                       const size_t *var_sizes, opt_layout *L, const char *fn) {
    gru_status s = check_config(cfg, fn);
    if (s) return s;
    if (!gru__dtype_ok(dtype))
        return gru__fail(GRU_E_DTYPE, NULL,
                         "%s: argument 'dtype' must be GRU_F32 (1) or GRU_F64 (2), got %d", fn,
                         (int)dtype);
    if (n_vars == 0)
        return gru__fail(GRU_E_ARG, NULL, "%s: argument 'n_vars' must be >= 1, got 0", fn);
    if (!var_sizes)
        return gru__fail(GRU_E_NULL, NULL, "%s: argument 'var_sizes' is NULL (n_vars = %zu)", fn,
                         n_vars);
    memset(L, 0, sizeof *L);
    const size_t elem = gru_dtype_size(dtype);
    int ok = 1;
    for (size_t i = 0; i < n_vars && ok; i++) ok = gru__add_size(L->total, var_sizes[i], &L->total);
    size_t slot_bytes = 0, b = 0;
    ok = ok && gru__mul_size(L->total, elem, &slot_bytes) && slot_bytes < SIZE_MAX / 8;
    ok = ok && n_vars < SIZE_MAX / (sizeof(gru__opt_con) + 2 * sizeof(size_t));
    if (!ok)
        return gru__fail(GRU_E_OVERFLOW, NULL,
                         "%s: the optimizer's memory size overflows size_t (%zu variables)", fn,
                         n_vars);
    L->nslots = slot_names(cfg, L->names);
    size_t off = gru__align64(sizeof(struct gru_optimizer));
    L->sizes = off;
    off = gru__align64(off + n_vars * sizeof(size_t));
    L->offsets = off;
    off = gru__align64(off + n_vars * sizeof(size_t));
    L->cons = off;
    off = gru__align64(off + n_vars * sizeof(gru__opt_con));
    for (int k = 0; k < L->nslots; k++) {
        L->slots[k] = off;
        ok = ok && gru__add_size(off, slot_bytes, &b);
        off = gru__align64(b);
    }
    const int clipping = cfg->clipnorm > 0 || cfg->global_clipnorm > 0 || cfg->clipvalue > 0;
    if (clipping) {
        L->scratch = off;
        ok = ok && gru__add_size(off, slot_bytes, &b);
        off = gru__align64(b);
    }
    if (!ok || off > SIZE_MAX - 64)
        return gru__fail(GRU_E_OVERFLOW, NULL,
                         "%s: the optimizer's memory size overflows size_t (%zu elements)", fn,
                         L->total);
    L->total_bytes = off;
    return GRU_OK;
}

static gru_status opt_check(const gru_optimizer *o, const char *fn) {
    if (!o) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'opt' is NULL", fn);
    if (o->magic != GRU__OPT_MAGIC)
        return gru__fail(GRU_E_STATE, NULL,
                         "%s: argument 'opt' is not an initialised optimizer (not made by "
                         "gru_optimizer_init/gru_optimizer_create, or already freed)", fn);
    return GRU_OK;
}

static void fill(gru_dtype dt, void *p, size_t n, double v) {
    for (size_t i = 0; i < n; i++) gru__st(dt, p, i, v);
}

static void reset_state(gru_optimizer *o) {
    const size_t elem = gru_dtype_size(o->dtype);
    for (int k = 0; k < o->nslots; k++) {
        if (o->cfg.kind == GRU_OPT_ADAGRAD)
            /* initializers.Constant(value)(shape, dtype): a direct conversion */
            fill(o->dtype, o->slots[k], o->total, o->cfg.initial_accumulator_value);
        else
            memset(o->slots[k], 0, o->total * elem);
    }
    o->iterations = 0;
}

/* ---- create / free ---------------------------------------------------------- */

gru_status gru_optimizer_size(const gru_optimizer_config *cfg, gru_dtype dtype, size_t n_vars,
                              const size_t *var_sizes, size_t *size) {
    if (!size) return gru__fail(GRU_E_NULL, NULL, "gru_optimizer_size: argument 'size' is NULL");
    opt_layout L;
    gru_status s = plan(cfg, dtype, n_vars, var_sizes, &L, "gru_optimizer_size");
    if (s) return s;
    *size = L.total_bytes;
    return GRU_OK;
}

gru_status gru_optimizer_init(void *mem, size_t size, const gru_optimizer_config *cfg,
                              gru_dtype dtype, size_t n_vars, const size_t *var_sizes,
                              gru_optimizer **out) {
    static const char fn[] = "gru_optimizer_init";
    if (!out) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'out' is NULL", fn);
    *out = NULL;
    if (!mem) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'mem' is NULL", fn);
    if (((uintptr_t)mem % _Alignof(max_align_t)) != 0)
        return gru__fail(GRU_E_ARG, NULL, "%s: argument 'mem' must be aligned to %zu bytes", fn,
                         (size_t)_Alignof(max_align_t));
    opt_layout L;
    gru_status s = plan(cfg, dtype, n_vars, var_sizes, &L, fn);
    if (s) return s;
    if (size < L.total_bytes)
        return gru__fail(GRU_E_SHAPE, NULL,
                         "%s: argument 'size' is %zu bytes, gru_optimizer_size says %zu", fn,
                         size, L.total_bytes);
    char *base = (char *)mem;
    memset(base, 0, L.total_bytes);
    gru_optimizer *o = (gru_optimizer *)base;
    o->cfg = *cfg;
    o->dtype = dtype;
    o->n_vars = n_vars;
    o->total = L.total;
    o->sizes = (size_t *)(base + L.sizes);
    o->offsets = (size_t *)(base + L.offsets);
    o->cons = (gru__opt_con *)(base + L.cons);
    size_t off = 0;
    for (size_t i = 0; i < n_vars; i++) {
        o->sizes[i] = var_sizes[i];
        o->offsets[i] = off;
        off += var_sizes[i];
        o->cons[i].c.kind = GRU_CONSTRAINT_NONE;
    }
    o->nslots = L.nslots;
    for (int k = 0; k < L.nslots; k++) {
        o->slot_names[k] = L.names[k];
        o->slots[k] = base + L.slots[k];
    }
    o->scratch = L.scratch ? base + L.scratch : NULL;
    reset_state(o);
    o->magic = GRU__OPT_MAGIC;
    *out = o;
    return GRU_OK;
}

gru_status gru_optimizer_create(const gru_optimizer_config *cfg, gru_dtype dtype, size_t n_vars,
                                const size_t *var_sizes, gru_optimizer **out) {
    static const char fn[] = "gru_optimizer_create";
    if (!out) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'out' is NULL", fn);
    *out = NULL;
    opt_layout L;
    gru_status s = plan(cfg, dtype, n_vars, var_sizes, &L, fn);
    if (s) return s;
    void *mem = cfg->allocator.alloc ? cfg->allocator.alloc(L.total_bytes, cfg->allocator.user)
                                     : malloc(L.total_bytes);
    if (!mem)
        return gru__fail(GRU_E_NOMEM, NULL, "%s: allocating %zu bytes failed", fn, L.total_bytes);
    s = gru_optimizer_init(mem, L.total_bytes, cfg, dtype, n_vars, var_sizes, out);
    if (s) {
        if (cfg->allocator.free) cfg->allocator.free(mem, cfg->allocator.user);
        else free(mem);
        return s;
    }
    (*out)->owned = 1;
    return GRU_OK;
}

void gru_optimizer_free(gru_optimizer *opt) {
    if (!opt || opt->magic != GRU__OPT_MAGIC || !opt->owned) return;
    opt->magic = 0;
    const gru_allocator a = opt->cfg.allocator;
    if (a.free) a.free(opt, a.user);
    else free(opt);
}

const char *gru_optimizer_last_error(const gru_optimizer *opt) {
    if (!opt || opt->magic != GRU__OPT_MAGIC) return "";
    return opt->msg;
}

gru_status gru_optimizer_get_config(const gru_optimizer *opt, gru_optimizer_config *cfg) {
    gru_status s = opt_check(opt, "gru_optimizer_get_config");
    if (s) return s;
    if (!cfg)
        return gru__fail(GRU_E_NULL, NULL, "gru_optimizer_get_config: argument 'cfg' is NULL");
    *cfg = opt->cfg;
    return GRU_OK;
}

/* ---- calls ------------------------------------------------------------------ */

gru_status gru_optimizer_set_constraint(gru_optimizer *opt, size_t var, const gru_constraint *c,
                                        size_t ndim, const size_t *shape) {
    static const char fn[] = "gru_optimizer_set_constraint";
    gru_status s = opt_check(opt, fn);
    if (s) return s;
    if (var >= opt->n_vars)
        return gru__fail(GRU_E_ARG, opt->msg, "%s: argument 'var' must be < n_vars = %zu, got %zu",
                         fn, opt->n_vars, var);
    if (!c) return gru__fail(GRU_E_NULL, opt->msg, "%s: argument 'c' is NULL", fn);
    if ((s = gru__constraint_check(c, "gru_optimizer_set_constraint: c", opt->msg))) return s;
    if (c->kind == GRU_CONSTRAINT_NONE) {
        memset(&opt->cons[var], 0, sizeof opt->cons[var]);
        opt->cons[var].c.kind = GRU_CONSTRAINT_NONE;
        return GRU_OK;
    }
    if (ndim > GRU__OPT_MAX_NDIM)
        return gru__fail(GRU_E_SHAPE, opt->msg, "%s: argument 'ndim' must be <= %d, got %zu", fn,
                         GRU__OPT_MAX_NDIM, ndim);
    if (ndim > 0 && !shape)
        return gru__fail(GRU_E_NULL, opt->msg, "%s: argument 'shape' is NULL (ndim = %zu)", fn,
                         ndim);
    int ok;
    const size_t n = gru__shape_count(ndim, shape, &ok);
    if (!ok || n != opt->sizes[var])
        return gru__fail(GRU_E_SHAPE, opt->msg,
                         "%s: argument 'shape' must have var_sizes[%zu] = %zu elements, got %zu",
                         fn, var, opt->sizes[var], ok ? n : (size_t)0);
    /* Reject now what gru_constraint_apply would reject at every step. */
    gru__opt_con e;
    memset(&e, 0, sizeof e);
    e.c = *c;
    e.ndim = ndim;
    for (size_t d = 0; d < ndim; d++) e.shape[d] = shape[d];
    if (c->kind == GRU_CONSTRAINT_RADIAL && ndim != 4)
        return gru__fail(GRU_E_SHAPE, opt->msg,
                         "%s: a radial constraint needs a variable of rank 4, got rank %zu", fn,
                         ndim);
    if (c->kind == GRU_CONSTRAINT_MAX_NORM || c->kind == GRU_CONSTRAINT_UNIT_NORM ||
        c->kind == GRU_CONSTRAINT_MIN_MAX_NORM) {
        const long long nd = (long long)ndim;
        const long long ax = c->axis < 0 ? (long long)c->axis + nd : (long long)c->axis;
        if (ndim == 0 || ax < 0 || ax >= nd)
            return gru__fail(GRU_E_SHAPE, opt->msg,
                             "%s: argument 'c.axis' must be in [-%zu, %zu) for a variable of "
                             "rank %zu, got %d", fn, ndim, ndim, ndim, c->axis);
    }
    opt->cons[var] = e;
    return GRU_OK;
}

gru_status gru_optimizer_apply(gru_optimizer *opt, gru_dtype dtype, size_t n_vars,
                               void *const *vars, const void *const *grads) {
    static const char fn[] = "gru_optimizer_apply";
    gru_status s = opt_check(opt, fn);
    if (s) return s;
    if (dtype != opt->dtype)
        return gru__fail(GRU_E_DTYPE, opt->msg,
                         "%s: argument 'dtype' must be the optimizer's dtype %s, got %d", fn,
                         opt->dtype == GRU_F32 ? "GRU_F32" : "GRU_F64", (int)dtype);
    if (n_vars != opt->n_vars)
        return gru__fail(GRU_E_SHAPE, opt->msg,
                         "%s: argument 'n_vars' must be %zu (as at create), got %zu", fn,
                         opt->n_vars, n_vars);
    if (!vars) return gru__fail(GRU_E_NULL, opt->msg, "%s: argument 'vars' is NULL", fn);
    if (!grads) return gru__fail(GRU_E_NULL, opt->msg, "%s: argument 'grads' is NULL", fn);
    for (size_t i = 0; i < n_vars; i++) {
        if (opt->sizes[i] == 0) continue;
        if (!vars[i])
            return gru__fail(GRU_E_NULL, opt->msg, "%s: vars[%zu] is NULL (%zu elements)", fn, i,
                             opt->sizes[i]);
        if (!grads[i])
            return gru__fail(GRU_E_NULL, opt->msg, "%s: grads[%zu] is NULL (%zu elements)", fn,
                             i, opt->sizes[i]);
    }
    size_t bad_var = 0, bad_elem = 0;
    double bad = 0;
    const int nonfinite = dtype == GRU_F32
                              ? find_nonfinite_f32(opt, grads, &bad_var, &bad_elem, &bad)
                              : find_nonfinite_f64(opt, grads, &bad_var, &bad_elem, &bad);
    if (nonfinite)
        return gru__fail(GRU_E_NUMERIC, opt->msg,
                         "%s: grads[%zu][%zu] must be finite, got %g (variable %zu; nothing "
                         "was updated)", fn, bad_var, bad_elem, bad, bad_var);
    const gru__opt_consts k = make_consts(opt);
    if (dtype == GRU_F32) opt_step_f32(opt, &k, vars, grads);
    else opt_step_f64(opt, &k, vars, grads);
    opt->iterations++;
    /* Keras: constraints after the update (variable.assign(constraint(v))). */
    for (size_t i = 0; i < n_vars; i++) {
        const gru__opt_con *e = &opt->cons[i];
        if (e->c.kind == GRU_CONSTRAINT_NONE || opt->sizes[i] == 0) continue;
        s = gru_constraint_apply(&e->c, dtype, e->ndim, e->shape, vars[i]);
        if (s) return gru__fail_prefixed(s, opt->msg, "gru_optimizer_apply: constraint");
    }
    return GRU_OK;
}

int64_t gru_optimizer_iterations(const gru_optimizer *opt) {
    if (!opt || opt->magic != GRU__OPT_MAGIC) return -1;
    return opt->iterations;
}

gru_status gru_optimizer_set_learning_rate(gru_optimizer *opt, double lr) {
    static const char fn[] = "gru_optimizer_set_learning_rate";
    gru_status s = opt_check(opt, fn);
    if (s) return s;
    if (!(lr > 0) || !isfinite(lr))
        return gru__fail(GRU_E_ARG, opt->msg,
                         "%s: argument 'lr' must be a finite number > 0, got %.17g", fn, lr);
    opt->cfg.learning_rate = lr;
    return GRU_OK;
}

gru_status gru_optimizer_reset(gru_optimizer *opt) {
    gru_status s = opt_check(opt, "gru_optimizer_reset");
    if (s) return s;
    reset_state(opt);
    return GRU_OK;
}

/* msg: the handle's message buffer, NULL for a const handle. */
static gru_status slot_args(const gru_optimizer *opt, char *msg, const char *name, size_t var,
                            gru_dtype dtype, const void *buf, const char *bufname,
                            const char *fn, int *which) {
    gru_status s = opt_check(opt, fn);
    if (s) return s;
    if (!name) return gru__fail(GRU_E_NULL, msg, "%s: argument 'name' is NULL", fn);
    if (!gru__dtype_ok(dtype))
        return gru__fail(GRU_E_DTYPE, msg,
                         "%s: argument 'dtype' must be GRU_F32 (1) or GRU_F64 (2), got %d", fn,
                         (int)dtype);
    if (var >= opt->n_vars)
        return gru__fail(GRU_E_ARG, msg, "%s: argument 'var' must be < n_vars = %zu, got %zu", fn,
                         opt->n_vars, var);
    if (!buf && opt->sizes[var] > 0)
        return gru__fail(GRU_E_NULL, msg, "%s: argument '%s' is NULL", fn, bufname);
    for (int k = 0; k < opt->nslots; k++) {
        if (strcmp(opt->slot_names[k], name) == 0) {
            *which = k;
            return GRU_OK;
        }
    }
    char have[64] = "";
    for (int k = 0; k < opt->nslots; k++) {
        strncat(have, k ? ", " : "", sizeof have - strlen(have) - 1);
        strncat(have, opt->slot_names[k], sizeof have - strlen(have) - 1);
    }
    return gru__fail(GRU_E_NAME, msg, "%s: argument 'name' must be a slot of this %s (%s), got \"%s\"",
                     fn, kind_name(opt->cfg.kind), have, name);
}

gru_status gru_optimizer_get_slot(const gru_optimizer *opt, const char *name, size_t var,
                                  gru_dtype dtype, void *out) {
    int k;
    gru_status s = slot_args(opt, NULL, name, var, dtype, out, "out", "gru_optimizer_get_slot", &k);
    if (s) return s;
    for (size_t j = 0; j < opt->sizes[var]; j++)
        gru__st(dtype, out, j, gru__ld(opt->dtype, opt->slots[k], opt->offsets[var] + j));
    return GRU_OK;
}

gru_status gru_optimizer_set_slot(gru_optimizer *opt, const char *name, size_t var,
                                  gru_dtype dtype, const void *in) {
    int k;
    gru_status s = slot_args(opt, opt ? opt->msg : NULL, name, var, dtype, in, "in", "gru_optimizer_set_slot", &k);
    if (s) return s;
    for (size_t j = 0; j < opt->sizes[var]; j++)
        gru__st(opt->dtype, opt->slots[k], opt->offsets[var] + j, gru__ld(dtype, in, j));
    return GRU_OK;
}
