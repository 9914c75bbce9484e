/* The cell handle: config defaults and validation, memory layout,
 * create/init/free, weights, regularizer losses and constraints. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cell_internal.h"

/* ---- config -------------------------------------------------------------- */

gru_status gru_cell_config_init(gru_cell_config *cfg, int64_t units, int64_t input_dim) {
    if (!cfg) return gru__fail(GRU_E_NULL, NULL, "gru_cell_config_init: argument 'cfg' is NULL");
    memset(cfg, 0, sizeof *cfg);
    cfg->units = units;
    cfg->input_dim = input_dim;
    cfg->dtype = GRU_F32;
    gru_activation_from_name("tanh", &cfg->activation);
    gru_activation_from_name("hard_sigmoid", &cfg->recurrent_activation);
    cfg->use_bias = true;
    gru_initializer_from_name("glorot_uniform", &cfg->kernel_initializer);
    gru_initializer_from_name("orthogonal", &cfg->recurrent_initializer);
    gru_initializer_from_name("zeros", &cfg->bias_initializer);
    /* regularizers and constraints: zeroed = none */
    cfg->dropout = 0.0;
    cfg->recurrent_dropout = 0.0;
    cfg->reset_after = false;
    cfg->implementation = 1;
    cfg->seed = 0;
    cfg->max_batch = 256;
    if (units <= 0)
        return gru__fail(GRU_E_ARG, NULL,
                         "gru_cell_config_init: argument 'units' must be a positive integer, got %lld",
                         (long long)units);
    if (input_dim <= 0)
        return gru__fail(GRU_E_ARG, NULL,
                         "gru_cell_config_init: argument 'input_dim' must be a positive integer, got %lld",
                         (long long)input_dim);
    return GRU_OK;
}

static double clip01(double v) { return v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v; }

/* Validate cfg and compute the effective config and the memory layout. */
typedef struct layout {
    size_t total, kernel, recurrent, bias, dp, rdp, wpack, rpack, scratch, scratch_bytes;
    size_t n_kernel, n_recurrent, n_bias, n_dp, n_rdp, n_wpack, n_rpack;
    const gru_kernels *kern;
} layout;

static gru_status plan(const gru_cell_config *in, gru_cell_config *eff, layout *L, const char *fn) {
    if (!in) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'cfg' is NULL", fn);
    *eff = *in;
    if (in->units <= 0)
        return gru__fail(GRU_E_ARG, NULL,
                         "%s: cfg.units must be a positive integer, got %lld", fn,
                         (long long)in->units);
    if (in->input_dim <= 0)
        return gru__fail(GRU_E_ARG, NULL,
                         "%s: cfg.input_dim must be a positive integer, got %lld", fn,
                         (long long)in->input_dim);
    if (!gru__dtype_ok(in->dtype))
        return gru__fail(GRU_E_DTYPE, NULL, "%s: cfg.dtype must be GRU_F32 or GRU_F64, got %d", fn,
                         (int)in->dtype);
    if (isnan(in->dropout))
        return gru__fail(GRU_E_ARG, NULL, "%s: cfg.dropout must be a number in [0, 1], got NaN", fn);
    if (isnan(in->recurrent_dropout))
        return gru__fail(GRU_E_ARG, NULL,
                         "%s: cfg.recurrent_dropout must be a number in [0, 1], got NaN", fn);
    char dummy[GRU_ERRMSG_MAX];
    gru_status s;
    if ((s = gru__activation_check(&in->activation, "cfg.activation", dummy))) return s;
    if ((s = gru__activation_check(&in->recurrent_activation, "cfg.recurrent_activation", dummy)))
        return s;
    if ((s = gru__initializer_check(&in->kernel_initializer, "cfg.kernel_initializer", dummy)))
        return s;
    if ((s = gru__initializer_check(&in->recurrent_initializer, "cfg.recurrent_initializer", dummy)))
        return s;
    if ((s = gru__initializer_check(&in->bias_initializer, "cfg.bias_initializer", dummy))) return s;
    if ((s = gru__regularizer_check(&in->kernel_regularizer, "cfg.kernel_regularizer", dummy)))
        return s;
    if ((s = gru__regularizer_check(&in->recurrent_regularizer, "cfg.recurrent_regularizer", dummy)))
        return s;
    if ((s = gru__regularizer_check(&in->bias_regularizer, "cfg.bias_regularizer", dummy))) return s;
    if ((s = gru__constraint_check(&in->kernel_constraint, "cfg.kernel_constraint", dummy))) return s;
    if ((s = gru__constraint_check(&in->recurrent_constraint, "cfg.recurrent_constraint", dummy)))
        return s;
    if ((s = gru__constraint_check(&in->bias_constraint, "cfg.bias_constraint", dummy))) return s;
    if ((in->allocator.alloc == NULL) != (in->allocator.free == NULL))
        return gru__fail(GRU_E_ARG, NULL,
                         "%s: cfg.allocator must set both alloc and free, or neither", fn);

    /* Initializers that need a rank-2 weight cannot fill the (3U,) bias of
     * reset_after=false (Keras raises when it builds the cell). */
    const gru_init_kind bk = in->bias_initializer.kind;
    if (in->use_bias && !in->reset_after && (bk == GRU_INIT_IDENTITY || bk == GRU_INIT_ORTHOGONAL))
        return gru__fail(GRU_E_SHAPE, NULL,
                         "%s: cfg.bias_initializer %s needs a weight of rank 2, but the bias of a "
                         "cell with reset_after=false has shape (3U,) (rank 1)", fn,
                         bk == GRU_INIT_IDENTITY ? "identity" : "orthogonal");

    /* Keras: rates clipped to [0, 1]; recurrent dropout forces mode 1. */
    eff->dropout = clip01(in->dropout);
    eff->recurrent_dropout = clip01(in->recurrent_dropout);
    if (eff->recurrent_dropout != 0.0 && in->implementation != 1) eff->implementation = 1;
    const int any_dropout = eff->dropout != 0.0 || eff->recurrent_dropout != 0.0;
    if (any_dropout && in->max_batch <= 0)
        return gru__fail(GRU_E_ARG, NULL,
                         "%s: cfg.max_batch (rows of the dropout-mask cache) must be > 0 when a "
                         "dropout rate is set, got %lld", fn, (long long)in->max_batch);

    if ((uint64_t)in->units > SIZE_MAX / 16 || (uint64_t)in->input_dim > SIZE_MAX / 16)
        return gru__fail(GRU_E_OVERFLOW, NULL, "%s: cfg.units or cfg.input_dim too large", fn);
    const size_t F = (size_t)in->input_dim, U = (size_t)in->units;
    const size_t elem = gru_dtype_size(in->dtype);
    memset(L, 0, sizeof *L);
    L->kern = gru__kernels_select(in->kernel);
    if (!L->kern) {
        char avail[64] = "";
        for (size_t i = 0; gru_kernel_variant(i); i++) {
            if (i) strncat(avail, ", ", sizeof avail - strlen(avail) - 1);
            strncat(avail, gru_kernel_variant(i), sizeof avail - strlen(avail) - 1);
        }
        return gru__fail(GRU_E_ARG, NULL,
                         "%s: cfg.kernel must name a kernel variant this build has and this CPU "
                         "runs (%s), got '%s'", fn, avail, in->kernel);
    }
    eff->kernel = (in->kernel && *in->kernel) ? L->kern->name : NULL;
    const size_t P = in->dtype == GRU_F32 ? L->kern->panel_f32 : L->kern->panel_f64;
    if (P) {
        L->n_wpack = gru__packed_elems(F, U, P);
        L->n_rpack = gru__packed_elems(U, U, P);
    }
    int ok = gru__mul_size(F, 3 * U, &L->n_kernel) && gru__mul_size(U, 3 * U, &L->n_recurrent);
    L->n_bias = in->use_bias ? (in->reset_after ? 6 * U : 3 * U) : 0;
    if (ok && any_dropout) {
        size_t rows = (size_t)in->max_batch;
        if ((uint64_t)in->max_batch > SIZE_MAX) ok = 0;
        size_t rows3 = 0;
        ok = ok && gru__mul_size(rows, 3, &rows3);
        if (ok && eff->dropout != 0.0) ok = gru__mul_size(rows3, F, &L->n_dp);
        if (ok && eff->recurrent_dropout != 0.0) ok = gru__mul_size(rows3, U, &L->n_rdp);
    }
    size_t off = gru__align64(sizeof(struct gru_cell)), b;
#define PLACE(field, count)                                                     \
    do {                                                                        \
        L->field = off;                                                         \
        ok = ok && gru__mul_size((count), elem, &b) && gru__add_size(off, b, &off); \
        if (ok) off = gru__align64(off);                                        \
    } while (0)
    PLACE(kernel, L->n_kernel);
    PLACE(recurrent, L->n_recurrent);
    PLACE(bias, L->n_bias);
    PLACE(dp, L->n_dp);
    PLACE(rdp, L->n_rdp);
    PLACE(wpack, L->n_wpack);
    PLACE(rpack, L->n_rpack);
#undef PLACE
    L->scratch = off;
    L->scratch_bytes = gru__step_scratch_bytes(F, U, elem);
    ok = ok && gru__add_size(off, L->scratch_bytes, &off) && off < SIZE_MAX - 64;
    if (!ok)
        return gru__fail(GRU_E_OVERFLOW, NULL,
                         "%s: the cell's memory size overflows size_t (units %lld, input_dim %lld, "
                         "max_batch %lld)", fn, (long long)in->units, (long long)in->input_dim,
                         (long long)in->max_batch);
    L->total = off;
    return GRU_OK;
}

gru_status gru_cell_size(const gru_cell_config *cfg, size_t *size) {
    if (!size) return gru__fail(GRU_E_NULL, NULL, "gru_cell_size: argument 'size' is NULL");
    gru_cell_config eff;
    layout L;
    gru_status s = plan(cfg, &eff, &L, "gru_cell_size");
    if (s) return s;
    *size = L.total;
    return GRU_OK;
}

gru_status gru__cell_check(const gru_cell *cell, const char *fn) {
    if (!cell) return gru__fail(GRU_E_NULL, NULL, "%s: argument 'cell' is NULL", fn);
    if (cell->magic != GRU__CELL_MAGIC)
        return gru__fail(GRU_E_STATE, NULL,
                         "%s: argument 'cell' is not an initialised cell (not made by "
                         "gru_cell_init/gru_cell_create, or already freed)", fn);
    return GRU_OK;
}

static gru_status init_weights(gru_cell *cell, uint64_t seed) {
    const size_t F = cell->F, U = cell->U;
    gru_rng rng;
    gru_rng_seed(&rng, seed);
    size_t ks[2] = {F, 3 * U}, rs[2] = {U, 3 * U}, bs[2] = {2, 3 * U};
    const char *what = "gru_cell_init: cfg.kernel_initializer";
    gru_status s = gru_initializer_fill(&cell->cfg.kernel_initializer, &rng, cell->cfg.dtype, 2,
                                        ks, cell->kernel);
    if (!s) {
        what = "gru_cell_init: cfg.recurrent_initializer";
        s = gru_initializer_fill(&cell->cfg.recurrent_initializer, &rng, cell->cfg.dtype, 2, rs,
                                 cell->recurrent);
    }
    if (!s && cell->bias) {
        what = "gru_cell_init: cfg.bias_initializer";
        if (cell->cfg.reset_after)
            s = gru_initializer_fill(&cell->cfg.bias_initializer, &rng, cell->cfg.dtype, 2, bs,
                                     cell->bias);
        else
            s = gru_initializer_fill(&cell->cfg.bias_initializer, &rng, cell->cfg.dtype, 1, bs + 1,
                                     cell->bias);
    }
    /* keep the initializer's message, prefixed with the argument */
    if (s) gru__fail_prefixed(s, cell->msg, what);
    gru__pack_cell(cell);
    return s;
}

gru_status gru_cell_init(void *mem, size_t size, const gru_cell_config *cfg, gru_cell **out) {
    if (!out) return gru__fail(GRU_E_NULL, NULL, "gru_cell_init: argument 'out' is NULL");
    *out = NULL;
    if (!mem) return gru__fail(GRU_E_NULL, NULL, "gru_cell_init: argument 'mem' is NULL");
    if (((uintptr_t)mem % _Alignof(max_align_t)) != 0)
        return gru__fail(GRU_E_ARG, NULL,
                         "gru_cell_init: argument 'mem' must be aligned to %zu bytes",
                         (size_t)_Alignof(max_align_t));
    gru_cell_config eff;
    layout L;
    gru_status s = plan(cfg, &eff, &L, "gru_cell_init");
    if (s) return s;
    if (size < L.total)
        return gru__fail(GRU_E_SHAPE, NULL,
                         "gru_cell_init: argument 'size' is %zu bytes, gru_cell_size says %zu",
                         size, L.total);
    char *base = (char *)mem;
    memset(base, 0, L.total);
    gru_cell *cell = (gru_cell *)base;
    cell->cfg = eff;
    cell->F = (size_t)eff.input_dim;
    cell->U = (size_t)eff.units;
    cell->elem = gru_dtype_size(eff.dtype);
    cell->kernel = base + L.kernel;
    cell->recurrent = base + L.recurrent;
    cell->bias = L.n_bias ? base + L.bias : NULL;
    cell->dp.data = L.n_dp ? base + L.dp : NULL;
    cell->dp.width = cell->F;
    cell->rdp.data = L.n_rdp ? base + L.rdp : NULL;
    cell->rdp.width = cell->U;
    cell->scratch = base + L.scratch;
    cell->scratch_bytes = L.scratch_bytes;
    cell->kern = L.kern;
    cell->pw = eff.dtype == GRU_F32 ? L.kern->panel_f32 : L.kern->panel_f64;
    cell->wpack = L.n_wpack ? base + L.wpack : NULL;
    cell->rpack = L.n_rpack ? base + L.rpack : NULL;
    cell->fused = cell->pw != 0 && gru__act_elementwise(&eff.activation) &&
                  gru__act_elementwise(&eff.recurrent_activation);
    /* The dropout stream is split from the weight stream by a constant. */
    gru_rng_seed(&cell->rng, eff.seed ^ 0x9e3779b97f4a7c15ull);
    cell->magic = GRU__CELL_MAGIC;
    s = init_weights(cell, eff.seed);
    if (s) {
        cell->magic = 0;
        return s;
    }
    *out = cell;
    return GRU_OK;
}

gru_status gru_cell_create(const gru_cell_config *cfg, gru_cell **out) {
    if (!out) return gru__fail(GRU_E_NULL, NULL, "gru_cell_create: argument 'out' is NULL");
    *out = NULL;
    size_t size;
    gru_status s = gru_cell_size(cfg, &size);
    if (s) return s;
    void *mem = cfg->allocator.alloc ? cfg->allocator.alloc(size, cfg->allocator.user) : malloc(size);
    if (!mem)
        return gru__fail(GRU_E_NOMEM, NULL, "gru_cell_create: allocating %zu bytes failed", size);
    s = gru_cell_init(mem, size, cfg, out);
    if (s) {
        if (cfg->allocator.free) cfg->allocator.free(mem, cfg->allocator.user);
        else free(mem);
        return s;
    }
    (*out)->owned = 1;
    return GRU_OK;
}

void gru_cell_free(gru_cell *cell) {
    if (!cell || cell->magic != GRU__CELL_MAGIC || !cell->owned) return;
    gru_allocator a = cell->cfg.allocator;
    cell->magic = 0;
    if (a.free) a.free(cell, a.user);
    else free(cell);
}

const char *gru_cell_last_error(const gru_cell *cell) {
    if (!cell) return "argument 'cell' is NULL";
    if (cell->magic != GRU__CELL_MAGIC) return "argument 'cell' is not an initialised cell";
    return cell->msg;
}

gru_status gru_cell_get_config(const gru_cell *cell, gru_cell_config *cfg) {
    gru_status s = gru__cell_check(cell, "gru_cell_get_config");
    if (s) return s;
    if (!cfg)
        return gru__fail(GRU_E_NULL, ((gru_cell *)cell)->msg,
                         "gru_cell_get_config: argument 'cfg' is NULL");
    *cfg = cell->cfg;
    return GRU_OK;
}

int64_t gru_cell_units(const gru_cell *cell) {
    return gru__cell_check(cell, "gru_cell_units") ? -1 : cell->cfg.units;
}
int64_t gru_cell_input_dim(const gru_cell *cell) {
    return gru__cell_check(cell, "gru_cell_input_dim") ? -1 : cell->cfg.input_dim;
}
gru_dtype gru_cell_dtype(const gru_cell *cell) {
    return gru__cell_check(cell, "gru_cell_dtype") ? (gru_dtype)0 : cell->cfg.dtype;
}
const char *gru_cell_kernel_name(const gru_cell *cell) {
    return gru__cell_check(cell, "gru_cell_kernel_name") ? "" : cell->kern->name;
}

/* ---- weights ------------------------------------------------------------- */

gru_status gru_cell_weight_sizes(const gru_cell *cell, size_t *kernel, size_t *recurrent,
                                 size_t *bias) {
    gru_status s = gru__cell_check(cell, "gru_cell_weight_sizes");
    if (s) return s;
    if (!kernel || !recurrent || !bias)
        return gru__fail(GRU_E_NULL, ((gru_cell *)cell)->msg,
                         "gru_cell_weight_sizes: argument '%s' is NULL",
                         !kernel ? "kernel" : !recurrent ? "recurrent" : "bias");
    *kernel = cell->F * 3 * cell->U;
    *recurrent = cell->U * 3 * cell->U;
    *bias = cell->bias ? (cell->cfg.reset_after ? 6 : 3) * cell->U : 0;
    return GRU_OK;
}

static void convert(gru_dtype to, void *dst, gru_dtype from, const void *src, size_t n) {
    if (to == from) {
        memcpy(dst, src, n * gru_dtype_size(to));
        return;
    }
    for (size_t i = 0; i < n; i++) gru__st(to, dst, i, gru__ld(from, src, i));
}

gru_status gru_cell_get_weights(const gru_cell *cell, gru_dtype dtype, void *kernel,
                                void *recurrent_kernel, void *bias) {
    gru_status s = gru__cell_check(cell, "gru_cell_get_weights");
    if (s) return s;
    char *msg = ((gru_cell *)cell)->msg;
    if (!gru__dtype_ok(dtype))
        return gru__fail(GRU_E_DTYPE, msg,
                         "gru_cell_get_weights: argument 'dtype' must be GRU_F32 or GRU_F64, got %d",
                         (int)dtype);
    if (!kernel) return gru__fail(GRU_E_NULL, msg, "gru_cell_get_weights: argument 'kernel' is NULL");
    if (!recurrent_kernel)
        return gru__fail(GRU_E_NULL, msg, "gru_cell_get_weights: argument 'recurrent_kernel' is NULL");
    if (cell->bias && !bias)
        return gru__fail(GRU_E_NULL, msg,
                         "gru_cell_get_weights: argument 'bias' is NULL but the cell has a bias");
    size_t nk, nr, nb;
    gru_cell_weight_sizes(cell, &nk, &nr, &nb);
    convert(dtype, kernel, cell->cfg.dtype, cell->kernel, nk);
    convert(dtype, recurrent_kernel, cell->cfg.dtype, cell->recurrent, nr);
    if (cell->bias) convert(dtype, bias, cell->cfg.dtype, cell->bias, nb);
    return GRU_OK;
}

gru_status gru_cell_set_weights(gru_cell *cell, gru_dtype dtype, const void *kernel,
                                const void *recurrent_kernel, const void *bias) {
    gru_status s = gru__cell_check(cell, "gru_cell_set_weights");
    if (s) return s;
    char *msg = cell->msg;
    if (!gru__dtype_ok(dtype))
        return gru__fail(GRU_E_DTYPE, msg,
                         "gru_cell_set_weights: argument 'dtype' must be GRU_F32 or GRU_F64, got %d",
                         (int)dtype);
    if (!kernel) return gru__fail(GRU_E_NULL, msg, "gru_cell_set_weights: argument 'kernel' is NULL");
    if (!recurrent_kernel)
        return gru__fail(GRU_E_NULL, msg, "gru_cell_set_weights: argument 'recurrent_kernel' is NULL");
    if (cell->bias && !bias)
        return gru__fail(GRU_E_NULL, msg,
                         "gru_cell_set_weights: argument 'bias' is NULL but the cell has a bias "
                         "(use_bias is true)");
    if (!cell->bias && bias)
        return gru__fail(GRU_E_ARG, msg,
                         "gru_cell_set_weights: argument 'bias' given but the cell has no bias "
                         "(use_bias is false); pass NULL");
    size_t nk, nr, nb;
    gru_cell_weight_sizes(cell, &nk, &nr, &nb);
    convert(cell->cfg.dtype, cell->kernel, dtype, kernel, nk);
    convert(cell->cfg.dtype, cell->recurrent, dtype, recurrent_kernel, nr);
    if (cell->bias) convert(cell->cfg.dtype, cell->bias, dtype, bias, nb);
    gru__pack_cell(cell);
    return GRU_OK;
}

gru_status gru_cell_sync_weights(gru_cell *cell) {
    gru_status s = gru__cell_check(cell, "gru_cell_sync_weights");
    if (s) return s;
    gru__pack_cell(cell);
    return GRU_OK;
}

gru_status gru_cell_reset_weights(gru_cell *cell, uint64_t seed) {
    gru_status s = gru__cell_check(cell, "gru_cell_reset_weights");
    if (s) return s;
    return init_weights(cell, seed);
}

/* ---- regularizers and constraints ----------------------------------------- */

/* Keras shapes of kernel (F,3U), recurrent_kernel (U,3U), bias (3U) or (2,3U). */
static void weight_shapes(const gru_cell *cell, size_t shapes[3][2], size_t ndims[3]) {
    const size_t F = cell->F, U = cell->U;
    shapes[0][0] = F, shapes[0][1] = 3 * U, ndims[0] = 2;
    shapes[1][0] = U, shapes[1][1] = 3 * U, ndims[1] = 2;
    if (cell->cfg.reset_after) shapes[2][0] = 2, shapes[2][1] = 3 * U, ndims[2] = 2;
    else shapes[2][0] = 3 * U, shapes[2][1] = 0, ndims[2] = 1;
}

gru_status gru_cell_losses(const gru_cell *cell, double out[3], double *total) {
    gru_status s = gru__cell_check(cell, "gru_cell_losses");
    if (s) return s;
    char *msg = ((gru_cell *)cell)->msg;
    const gru_regularizer *regs[3] = {&cell->cfg.kernel_regularizer,
                                      &cell->cfg.recurrent_regularizer, &cell->cfg.bias_regularizer};
    const void *w[3] = {cell->kernel, cell->recurrent, cell->bias};
    size_t shapes[3][2], ndims[3];
    weight_shapes(cell, shapes, ndims);
    double p[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        if (!w[i] || regs[i]->kind == GRU_REG_NONE) continue;
        s = gru_regularizer_penalty(regs[i], cell->cfg.dtype, ndims[i], shapes[i], w[i], &p[i]);
        if (s)
            return gru__fail_prefixed(s, msg, i == 0   ? "gru_cell_losses: kernel regularizer"
                                              : i == 1 ? "gru_cell_losses: recurrent regularizer"
                                                       : "gru_cell_losses: bias regularizer");
    }
    if (out) memcpy(out, p, sizeof p);
    if (total) *total = p[0] + p[1] + p[2];
    return GRU_OK;
}

gru_status gru_cell_regularizer_grads(const gru_cell *cell, const gru_cell_grads *grads) {
    static const char fn[] = "gru_cell_regularizer_grads";
    gru_status s = gru__cell_check(cell, fn);
    if (s) return s;
    char *msg = ((gru_cell *)cell)->msg;
    if (!grads || !grads->kernel || !grads->recurrent_kernel || (cell->bias && !grads->bias))
        return gru__fail(GRU_E_NULL, msg, "%s: argument 'grads' (or one of its arrays) is NULL", fn);
    const gru_regularizer *regs[3] = {&cell->cfg.kernel_regularizer,
                                      &cell->cfg.recurrent_regularizer, &cell->cfg.bias_regularizer};
    const void *w[3] = {cell->kernel, cell->recurrent, cell->bias};
    void *g[3] = {grads->kernel, grads->recurrent_kernel, grads->bias};
    size_t shapes[3][2], ndims[3];
    weight_shapes(cell, shapes, ndims);
    for (int i = 0; i < 3; i++) {
        if (!w[i] || regs[i]->kind == GRU_REG_NONE) continue;
        s = gru_regularizer_grad(regs[i], cell->cfg.dtype, ndims[i], shapes[i], w[i], g[i]);
        if (s)
            return gru__fail_prefixed(s, msg, i == 0   ? "gru_cell_regularizer_grads: kernel"
                                              : i == 1 ? "gru_cell_regularizer_grads: recurrent"
                                                       : "gru_cell_regularizer_grads: bias");
    }
    return GRU_OK;
}

gru_status gru_cell_apply_constraints(gru_cell *cell) {
    gru_status s = gru__cell_check(cell, "gru_cell_apply_constraints");
    if (s) return s;
    const gru_constraint *cs[3] = {&cell->cfg.kernel_constraint, &cell->cfg.recurrent_constraint,
                                   &cell->cfg.bias_constraint};
    void *w[3] = {cell->kernel, cell->recurrent, cell->bias};
    size_t shapes[3][2], ndims[3];
    weight_shapes(cell, shapes, ndims);
    for (int i = 0; i < 3; i++) {
        if (!w[i] || cs[i]->kind == GRU_CONSTRAINT_NONE) continue;
        s = gru_constraint_apply(cs[i], cell->cfg.dtype, ndims[i], shapes[i], w[i]);
        if (s)
            return gru__fail_prefixed(s, cell->msg,
                                      i == 0   ? "gru_cell_apply_constraints: kernel constraint"
                                      : i == 1 ? "gru_cell_apply_constraints: recurrent constraint"
                                               : "gru_cell_apply_constraints: bias constraint");
    }
    gru__pack_cell(cell);
    return GRU_OK;
}

gru_status gru_cell_get_initial_state(const gru_cell *cell, gru_dtype dtype, int64_t batch,
                                      void *state) {
    gru_status s = gru__cell_check(cell, "gru_cell_get_initial_state");
    if (s) return s;
    char *msg = ((gru_cell *)cell)->msg;
    if (!state)
        return gru__fail(GRU_E_NULL, msg, "gru_cell_get_initial_state: argument 'state' is NULL");
    if (!gru__dtype_ok(dtype))
        return gru__fail(GRU_E_DTYPE, msg,
                         "gru_cell_get_initial_state: argument 'dtype' must be GRU_F32 or GRU_F64, "
                         "got %d (Keras: batch_size and dtype cannot be None)", (int)dtype);
    if (batch <= 0)
        return gru__fail(GRU_E_ARG, msg,
                         "gru_cell_get_initial_state: argument 'batch' must be > 0, got %lld",
                         (long long)batch);
    size_t n;
    if ((uint64_t)batch > SIZE_MAX || !gru__mul_size((size_t)batch, cell->U, &n) ||
        !gru__mul_size(n, gru_dtype_size(dtype), &n))
        return gru__fail(GRU_E_OVERFLOW, msg,
                         "gru_cell_get_initial_state: batch %lld x units overflows", (long long)batch);
    memset(state, 0, n); /* all-zero bits are 0.0 in IEEE 754 */
    return GRU_OK;
}
