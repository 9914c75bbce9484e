/* _libgru: a thin CPython binding over libgru (include/gru.h).
 *
 * Handles are PyCapsules; arrays travel through the buffer protocol (numpy
 * arrays, C-contiguous, float32 or float64), so the extension needs no numpy
 * headers and never copies: the Python layer (libgru/__init__.py) makes the
 * arrays contiguous (np.ascontiguousarray copies only when it must) and
 * allocates the outputs. Every C status becomes a Python exception carrying
 * gru_last_error(): GRU_E_DTYPE -> TypeError, GRU_E_NOMEM -> MemoryError,
 * everything else -> ValueError (libgru.LibgruError, a ValueError subclass,
 * is raised for GRU_E_IO / GRU_E_FORMAT / GRU_E_UNSUPPORTED too). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>
#include <string.h>
#include <pythread.h>
#include "gru.h"

static PyObject *LibgruError; /* subclass of ValueError */

static PyObject *raise_status(gru_status s) {
    const char *msg = gru_last_error();
    if (!msg || !*msg) msg = gru_status_str(s);
    PyObject *exc = LibgruError;
    if (s == GRU_E_DTYPE) exc = PyExc_TypeError;
    else if (s == GRU_E_NOMEM) exc = PyExc_MemoryError;
    PyErr_Format(exc, "%s: %s", gru_status_name(s), msg);
    return NULL;
}
#define CHECK(call) do { gru_status s_ = (call); if (s_ != GRU_OK) return raise_status(s_); } while (0)

/* ---- threads ------------------------------------------------------------ */
/* One pool, owned by the module, made lazily by the first forward call after
 * set_num_threads(n > 1) and freed when n changes or at module teardown.
 * A pool serves one call at a time: a forward call of a GRU, Bidirectional
 * or Model takes g_lock without waiting (pool_enter); a call that finds it
 * taken runs on its own thread, as the C pool itself does when busy. While
 * holding g_lock the call lends the pool to its handle, sizes the workspace,
 * runs (GIL released) and takes the pool back (NULL) before letting go, so
 * no handle keeps a pointer to a pool that set_num_threads may free.
 * g_unpooled counts one-thread calls in flight: while any runs, a new call
 * does not lend the pool (one sized without it could otherwise meet the pool
 * on a shared handle). Both counters change with the GIL held. */
static PyThread_type_lock g_lock;
static gru_threadpool *g_pool;
static int g_nthreads = 1;
static long g_unpooled;

/* Returns the pool to lend (g_lock held) or NULL (one thread; g_unpooled
 * counted). *err is set (Python error raised) when making the pool failed. */
static gru_threadpool *pool_enter(int want, int *err) {
    *err = 0;
    if (want && g_nthreads > 1 && g_unpooled == 0 && g_lock &&
        PyThread_acquire_lock(g_lock, NOWAIT_LOCK)) {
        if (!g_pool && g_nthreads > 1) {
            gru_status s = gru_threadpool_create(g_nthreads, &g_pool);
            if (s != GRU_OK) {
                g_pool = NULL;
                PyThread_release_lock(g_lock);
                raise_status(s);
                *err = 1;
                return NULL;
            }
        }
        if (g_pool) return g_pool;
        PyThread_release_lock(g_lock);
    }
    g_unpooled++;
    return NULL;
}
static void pool_exit(gru_threadpool *p) {
    if (p) PyThread_release_lock(g_lock);
    else g_unpooled--;
}

static PyObject *py_set_num_threads(PyObject *self, PyObject *args) {
    (void)self;
    int n;
    if (!PyArg_ParseTuple(args, "i", &n)) return NULL;
    if (n < 1 || n > 1024) {
        PyErr_Format(PyExc_ValueError, "set_num_threads: n must be in [1, 1024], got %d", n);
        return NULL;
    }
    if (!g_lock) { PyErr_SetString(PyExc_RuntimeError, "no lock"); return NULL; }
    Py_BEGIN_ALLOW_THREADS
    PyThread_acquire_lock(g_lock, WAIT_LOCK); /* waits for a pooled call to end */
    Py_END_ALLOW_THREADS
    if (n != g_nthreads) {
        gru_threadpool_free(g_pool); /* no handle holds it: see pool_enter */
        g_pool = NULL;
        g_nthreads = n;
    }
    PyThread_release_lock(g_lock);
    Py_RETURN_NONE;
}

static PyObject *py_get_num_threads(PyObject *self, PyObject *args) {
    (void)self; (void)args;
    return PyLong_FromLong(g_nthreads);
}

static void pool_release_all(void) {
    gru_threadpool_free(g_pool);
    g_pool = NULL;
    g_nthreads = 1;
}
static void module_free(void *m) { (void)m; pool_release_all(); }

/* ---- capsules ----------------------------------------------------------- */
static void cap_cell(PyObject *c) { gru_cell_free(PyCapsule_GetPointer(c, "gru_cell")); }
static void cap_layer(PyObject *c) { gru_layer_free(PyCapsule_GetPointer(c, "gru_layer")); }
static void cap_bi(PyObject *c) { gru_bidirectional_free(PyCapsule_GetPointer(c, "gru_bidirectional")); }
static void cap_model(PyObject *c) { gru_model_free(PyCapsule_GetPointer(c, "gru_model")); }
static void cap_tape(PyObject *c) { free(PyCapsule_GetPointer(c, "gru_tape")); }

static void *get_handle(PyObject *o, const char *name) {
    void *p = PyCapsule_GetPointer(o, name);
    if (!p && !PyErr_Occurred()) PyErr_Format(PyExc_TypeError, "expected a %s handle", name);
    return p;
}

/* ---- buffers ------------------------------------------------------------ */
typedef struct { Py_buffer b; int have; } buf;

static size_t esize(int dtype) { return dtype == GRU_F64 ? 8 : 4; }

/* o may be None when optional. need: element count required (0: any). */
static int get_buf(PyObject *o, buf *out, int dtype, size_t need, int writable, int optional,
                   const char *what) {
    out->have = 0;
    if (o == Py_None) {
        if (optional) return 0;
        PyErr_Format(PyExc_TypeError, "%s is required", what);
        return -1;
    }
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(o, &out->b, flags) < 0) return -1;
    out->have = 1;
    if (dtype) {
        char f = out->b.format ? out->b.format[strlen(out->b.format) - 1] : 'B';
        char want = dtype == GRU_F64 ? 'd' : 'f';
        if (f != want || (size_t)out->b.itemsize != esize(dtype)) {
            PyErr_Format(PyExc_TypeError, "%s: expected %s data, got format '%s'", what,
                         dtype == GRU_F64 ? "float64" : "float32", out->b.format);
            PyBuffer_Release(&out->b); out->have = 0;
            return -1;
        }
        if (need && (size_t)out->b.len / esize(dtype) != need) {
            PyErr_Format(PyExc_ValueError, "%s: expected %zu elements, got %zd", what, need,
                         out->b.len / out->b.itemsize);
            PyBuffer_Release(&out->b); out->have = 0;
            return -1;
        }
    } else if (need && (size_t)out->b.len != need) {
        PyErr_Format(PyExc_ValueError, "%s: expected %zu bytes, got %zd", what, need, out->b.len);
        PyBuffer_Release(&out->b); out->have = 0;
        return -1;
    }
    return 0;
}
static void rel(buf *b) { if (b->have) { PyBuffer_Release(&b->b); b->have = 0; } }
static void *ptr(buf *b) { return b->have ? b->b.buf : NULL; }

static void *ws_alloc(size_t n) {
    size_t r = (n + 63) / 64 * 64;
    if (r == 0) r = 64;
    void *p = aligned_alloc(64, r);
    if (!p) PyErr_NoMemory();
    return p;
}

/* ---- configs (Keras JSON in and out) ------------------------------------ */
static PyObject *py_cell_create(PyObject *self, PyObject *args) {
    (void)self;
    const char *json; Py_ssize_t len; long long input_dim; int dtype, major;
    unsigned long long seed = 0; int has_seed = 0;
    if (!PyArg_ParseTuple(args, "s#Lii|Kp", &json, &len, &input_dim, &dtype, &major, &seed,
                          &has_seed)) return NULL;
    gru_cell_config cfg;
    CHECK(gru_keras_cell_config_from_json(json, (size_t)len, input_dim, major, &cfg));
    cfg.dtype = (gru_dtype)dtype;
    if (has_seed) cfg.seed = (uint64_t)seed;
    gru_cell *c;
    CHECK(gru_cell_create(&cfg, &c));
    return PyCapsule_New(c, "gru_cell", cap_cell);
}

static PyObject *py_layer_create(PyObject *self, PyObject *args) {
    (void)self;
    const char *json; Py_ssize_t len; long long input_dim; int dtype, major;
    unsigned long long seed = 0; int has_seed = 0;
    if (!PyArg_ParseTuple(args, "s#Lii|Kp", &json, &len, &input_dim, &dtype, &major, &seed,
                          &has_seed)) return NULL;
    gru_layer_config cfg;
    CHECK(gru_keras_layer_config_from_json(json, (size_t)len, input_dim, major, &cfg));
    cfg.cell.dtype = (gru_dtype)dtype;
    if (has_seed) cfg.cell.seed = (uint64_t)seed;
    gru_layer *l;
    CHECK(gru_layer_create(&cfg, &l));
    return PyCapsule_New(l, "gru_layer", cap_layer);
}

static PyObject *py_bi_create(PyObject *self, PyObject *args) {
    (void)self;
    const char *json, *bjson; Py_ssize_t len, blen; long long input_dim; int dtype, major, merge;
    unsigned long long seed = 0; int has_seed = 0;
    if (!PyArg_ParseTuple(args, "s#z#Liii|Kp", &json, &len, &bjson, &blen, &input_dim, &dtype,
                          &major, &merge, &seed, &has_seed)) return NULL;
    gru_bidirectional_config cfg;
    CHECK(gru_bidirectional_config_init(&cfg, 1, input_dim));
    CHECK(gru_keras_layer_config_from_json(json, (size_t)len, input_dim, major, &cfg.layer));
    cfg.layer.cell.dtype = (gru_dtype)dtype;
    if (has_seed) cfg.layer.cell.seed = (uint64_t)seed;
    if (bjson) {
        cfg.has_backward_layer = true;
        CHECK(gru_keras_layer_config_from_json(bjson, (size_t)blen, input_dim, major,
                                               &cfg.backward_layer));
        cfg.backward_layer.cell.dtype = (gru_dtype)dtype;
        if (has_seed) cfg.backward_layer.cell.seed = (uint64_t)seed ^ 0x9E3779B97F4A7C15ull;
    }
    cfg.merge_mode = (gru_merge_mode)merge;
    gru_bidirectional *b;
    CHECK(gru_bidirectional_create(&cfg, &b));
    return PyCapsule_New(b, "gru_bidirectional", cap_bi);
}

static PyObject *json_result(gru_status s, char *json) {
    if (s != GRU_OK) return raise_status(s);
    PyObject *r = PyUnicode_FromString(json);
    gru_keras_free(json);
    return r;
}

static PyObject *py_cell_config_json(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *h;
    if (!PyArg_ParseTuple(args, "O", &h)) return NULL;
    gru_cell *c = get_handle(h, "gru_cell");
    if (!c) return NULL;
    gru_cell_config cfg;
    CHECK(gru_cell_get_config(c, &cfg));
    char *json = NULL;
    gru_status st = gru_keras_cell_config_to_json(&cfg, &json);
    return json_result(st, json);
}

static PyObject *py_layer_config_json(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *h;
    if (!PyArg_ParseTuple(args, "O", &h)) return NULL;
    gru_layer *l = get_handle(h, "gru_layer");
    if (!l) return NULL;
    gru_layer_config cfg;
    CHECK(gru_layer_get_config(l, &cfg));
    char *json = NULL;
    gru_status st = gru_keras_layer_config_to_json(&cfg, &json);
    return json_result(st, json);
}

/* handles inside others: borrowed pointers, no destructor (the Python layer
 * keeps the owner alive). */
static PyObject *py_layer_cell(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *h;
    if (!PyArg_ParseTuple(args, "O", &h)) return NULL;
    gru_layer *l = get_handle(h, "gru_layer");
    if (!l) return NULL;
    return PyCapsule_New(gru_layer_cell(l), "gru_cell", NULL);
}
static PyObject *py_bi_layer(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *h; int which;
    if (!PyArg_ParseTuple(args, "Oi", &h, &which)) return NULL;
    gru_bidirectional *b = get_handle(h, "gru_bidirectional");
    if (!b) return NULL;
    gru_layer *l = gru_bidirectional_layer(b, which);
    if (!l) return raise_status(GRU_E_ARG);
    return PyCapsule_New(l, "gru_layer", NULL);
}
static PyObject *py_model_layer(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *h; Py_ssize_t i;
    if (!PyArg_ParseTuple(args, "On", &h, &i)) return NULL;
    gru_model *m = get_handle(h, "gru_model");
    if (!m) return NULL;
    gru_layer *l = gru_model_node_layer(m, (size_t)i);
    if (l) return PyCapsule_New(l, "gru_layer", NULL);
    gru_bidirectional *b = gru_model_node_bidirectional(m, (size_t)i);
    if (b) return PyCapsule_New(b, "gru_bidirectional", NULL);
    Py_RETURN_NONE;
}

/* ---- cell --------------------------------------------------------------- */
static PyObject *py_cell_info(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *h;
    if (!PyArg_ParseTuple(args, "O", &h)) return NULL;
    gru_cell *c = get_handle(h, "gru_cell");
    if (!c) return NULL;
    size_t k, r, b;
    CHECK(gru_cell_weight_sizes(c, &k, &r, &b));
    return Py_BuildValue("LLinnns", (long long)gru_cell_units(c), (long long)gru_cell_input_dim(c),
                         (int)gru_cell_dtype(c), (Py_ssize_t)k, (Py_ssize_t)r, (Py_ssize_t)b,
                         gru_cell_kernel_name(c));
}

static PyObject *weights_io(PyObject *args, int set) {
    PyObject *h, *ko, *ro, *bo; int dtype;
    if (!PyArg_ParseTuple(args, "OiOOO", &h, &dtype, &ko, &ro, &bo)) return NULL;
    gru_cell *c = get_handle(h, "gru_cell");
    if (!c) return NULL;
    size_t nk, nr, nb;
    CHECK(gru_cell_weight_sizes(c, &nk, &nr, &nb));
    buf k, r, b;
    if (get_buf(ko, &k, dtype, nk, !set, 0, "kernel") < 0) return NULL;
    if (get_buf(ro, &r, dtype, nr, !set, 0, "recurrent_kernel") < 0) { rel(&k); return NULL; }
    if (get_buf(bo, &b, dtype, nb, !set, nb == 0, "bias") < 0) { rel(&k); rel(&r); return NULL; }
    gru_status s = set ? gru_cell_set_weights(c, (gru_dtype)dtype, ptr(&k), ptr(&r), ptr(&b))
                       : gru_cell_get_weights(c, (gru_dtype)dtype, ptr(&k), ptr(&r), ptr(&b));
    rel(&k); rel(&r); rel(&b);
    if (s != GRU_OK) return raise_status(s);
    Py_RETURN_NONE;
}
static PyObject *py_cell_get_weights(PyObject *self, PyObject *args) { (void)self; return weights_io(args, 0); }
static PyObject *py_cell_set_weights(PyObject *self, PyObject *args) { (void)self; return weights_io(args, 1); }

static PyObject *py_cell_call(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *h, *xo, *ho, *oo; int dtype, training; long long B;
    if (!PyArg_ParseTuple(args, "OiLOOiO", &h, &dtype, &B, &xo, &ho, &training, &oo)) return NULL;
    gru_cell *c = get_handle(h, "gru_cell");
    if (!c) return NULL;
    if (B < 1) { PyErr_SetString(PyExc_ValueError, "batch must be >= 1"); return NULL; }
    size_t U = (size_t)gru_cell_units(c), F = (size_t)gru_cell_input_dim(c);
    buf x, hb, o;
    if (get_buf(xo, &x, dtype, (size_t)B * F, 0, 0, "inputs") < 0) return NULL;
    if (get_buf(ho, &hb, dtype, (size_t)B * U, 0, 0, "states") < 0) { rel(&x); return NULL; }
    if (get_buf(oo, &o, dtype, (size_t)B * U, 1, 0, "output") < 0) { rel(&x); rel(&hb); return NULL; }
    size_t n = 0;
    gru_status s = gru_cell_workspace_size(c, B, &n);
    void *ws = s == GRU_OK ? ws_alloc(n) : NULL;
    if (s == GRU_OK && !ws) { rel(&x); rel(&hb); rel(&o); return NULL; }
    if (s == GRU_OK) {
        Py_BEGIN_ALLOW_THREADS
        s = gru_cell_call_ws(c, (gru_dtype)dtype, B, ptr(&x), ptr(&hb), (gru_training)training,
                             ptr(&o), ws, n);
        Py_END_ALLOW_THREADS
    }
    free(ws);
    rel(&x); rel(&hb); rel(&o);
    if (s != GRU_OK) return raise_status(s);
    Py_RETURN_NONE;
}

/* backward of one call: d_h_new -> d_x, d_h, grads (added into gk, gr, gb). */
static PyObject *py_cell_backward(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *h, *xo, *ho, *dyo, *dxo, *dho, *gko, *gro, *gbo; int dtype, training; long long B;
    if (!PyArg_ParseTuple(args, "OiLOOiOOOOOO", &h, &dtype, &B, &xo, &ho, &training, &dyo, &dxo,
                          &dho, &gko, &gro, &gbo)) return NULL;
    gru_cell *c = get_handle(h, "gru_cell");
    if (!c) return NULL;
    size_t U = (size_t)gru_cell_units(c), F = (size_t)gru_cell_input_dim(c), nk, nr, nb;
    CHECK(gru_cell_weight_sizes(c, &nk, &nr, &nb));
    buf b[8]; memset(b, 0, sizeof b);
    int bad = get_buf(xo, &b[0], dtype, (size_t)B * F, 0, 0, "inputs") < 0 ||
              get_buf(ho, &b[1], dtype, (size_t)B * U, 0, 0, "states") < 0 ||
              get_buf(dyo, &b[2], dtype, (size_t)B * U, 0, 0, "d_output") < 0 ||
              get_buf(dxo, &b[3], dtype, (size_t)B * F, 1, 1, "d_inputs") < 0 ||
              get_buf(dho, &b[4], dtype, (size_t)B * U, 1, 1, "d_states") < 0 ||
              get_buf(gko, &b[5], dtype, nk, 1, 0, "d_kernel") < 0 ||
              get_buf(gro, &b[6], dtype, nr, 1, 0, "d_recurrent_kernel") < 0 ||
              get_buf(gbo, &b[7], dtype, nb, 1, nb == 0, "d_bias") < 0;
    gru_status s = GRU_OK;
    if (!bad) {
        gru_cell_grads g = {ptr(&b[5]), ptr(&b[6]), ptr(&b[7])};
        s = gru_cell_backward(c, (gru_dtype)dtype, B, ptr(&b[0]), ptr(&b[1]),
                              (gru_training)training, ptr(&b[2]), ptr(&b[3]), ptr(&b[4]), &g);
    }
    for (int i = 0; i < 8; i++) rel(&b[i]);
    if (bad) return NULL;
    if (s != GRU_OK) return raise_status(s);
    Py_RETURN_NONE;
}

/* which: 0 dropout, 1 recurrent. out: (3, B, F|U) buffer or None. Returns bool has_mask. */
static PyObject *py_cell_get_mask(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *h, *oo; int dtype, training, count, which; long long B;
    if (!PyArg_ParseTuple(args, "OiiLiiO", &h, &which, &dtype, &B, &training, &count, &oo)) return NULL;
    gru_cell *c = get_handle(h, "gru_cell");
    if (!c) return NULL;
    size_t w = which ? (size_t)gru_cell_units(c) : (size_t)gru_cell_input_dim(c);
    buf o;
    if (get_buf(oo, &o, dtype, (size_t)count * (size_t)B * w, 1, 1, "out") < 0) return NULL;
    bool has = false;
    gru_status s = which ? gru_cell_get_recurrent_dropout_mask(c, (gru_dtype)dtype, B, (gru_training)training, count, ptr(&o), &has)
                         : gru_cell_get_dropout_mask(c, (gru_dtype)dtype, B, (gru_training)training, count, ptr(&o), &has);
    rel(&o);
    if (s != GRU_OK) return raise_status(s);
    return PyBool_FromLong(has);
}
static PyObject *py_cell_set_mask(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *h, *mo; int dtype, which; long long B;
    if (!PyArg_ParseTuple(args, "OiiLO", &h, &which, &dtype, &B, &mo)) return NULL;
    gru_cell *c = get_handle(h, "gru_cell");
    if (!c) return NULL;
    size_t w = which ? (size_t)gru_cell_units(c) : (size_t)gru_cell_input_dim(c);
    buf m;
    if (get_buf(mo, &m, dtype, 3 * (size_t)B * w, 0, 0, "masks") < 0) return NULL;
    gru_status s = which ? gru_cell_set_recurrent_dropout_mask(c, (gru_dtype)dtype, B, ptr(&m))
                         : gru_cell_set_dropout_mask(c, (gru_dtype)dtype, B, ptr(&m));
    rel(&m);
    if (s != GRU_OK) return raise_status(s);
    Py_RETURN_NONE;
}
static PyObject *py_cell_reset_mask(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *h; int which;
    if (!PyArg_ParseTuple(args, "Oi", &h, &which)) return NULL;
    gru_cell *c = get_handle(h, "gru_cell");
    if (!c) return NULL;
    CHECK(which ? gru_cell_reset_recurrent_dropout_mask(c) : gru_cell_reset_dropout_mask(c));
    Py_RETURN_NONE;
}
static PyObject *py_cell_losses(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *h;
    if (!PyArg_ParseTuple(args, "O", &h)) return NULL;
    gru_cell *c = get_handle(h, "gru_cell");
    if (!c) return NULL;
    double out[3], total;
    CHECK(gru_cell_losses(c, out, &total));
    return Py_BuildValue("dddd", out[0], out[1], out[2], total);
}

/* ---- layer / bidirectional: forward, forward_train, backward ----------- */
/* Shared sequence args: x, mask (uint8 (B,T) or None). */
typedef struct { buf x, m; gru_seq seq; } seq_args;
static int get_seq(seq_args *a, PyObject *xo, PyObject *mo, int dtype, long long B, long long T,
                   size_t F) {
    memset(a, 0, sizeof *a);
    if (B < 1 || T < 1) { PyErr_SetString(PyExc_ValueError, "batch and steps must be >= 1"); return -1; }
    if (get_buf(xo, &a->x, dtype, (size_t)B * (size_t)T * F, 0, 0, "inputs") < 0) return -1;
    if (get_buf(mo, &a->m, 0, (size_t)B * (size_t)T, 0, 1, "mask") < 0) { rel(&a->x); return -1; }
    a->seq.batch = B; a->seq.steps = T; a->seq.x = ptr(&a->x);
    a->seq.mask = ptr(&a->m); a->seq.lengths = NULL;
    return 0;
}
static void rel_seq(seq_args *a) { rel(&a->x); rel(&a->m); }

static size_t layer_out_count(gru_layer *l, long long B, long long T) {
    gru_layer_config cfg;
    gru_layer_get_config(l, &cfg);
    return (size_t)B * (size_t)cfg.cell.units * (cfg.return_sequences ? (size_t)T : 1);
}

/* layer_forward(h, dtype, B, T, x, mask, init_state, training, out, state_out, train)
 * train=1 returns a tape capsule. */
static PyObject *py_layer_forward(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *h, *xo, *mo, *io_, *oo, *so; int dtype, training, train; long long B, T;
    if (!PyArg_ParseTuple(args, "OiLLOOOiOOi", &h, &dtype, &B, &T, &xo, &mo, &io_, &training,
                          &oo, &so, &train)) return NULL;
    gru_layer *l = get_handle(h, "gru_layer");
    if (!l) return NULL;
    gru_cell *c = gru_layer_cell(l);
    size_t U = (size_t)gru_cell_units(c), F = (size_t)gru_cell_input_dim(c);
    seq_args sa; buf ib, ob, sb;
    if (get_seq(&sa, xo, mo, dtype, B, T, F) < 0) return NULL;
    if (get_buf(io_, &ib, dtype, (size_t)B * U, 0, 1, "initial_state") < 0) { rel_seq(&sa); return NULL; }
    if (get_buf(oo, &ob, dtype, layer_out_count(l, B, T), 1, 0, "output") < 0) { rel_seq(&sa); rel(&ib); return NULL; }
    if (get_buf(so, &sb, dtype, (size_t)B * U, 1, 1, "state_out") < 0) { rel_seq(&sa); rel(&ib); rel(&ob); return NULL; }
    gru_layer_io io = {ptr(&ib), NULL, NULL, ptr(&sb)};
    int perr;
    gru_threadpool *pool = pool_enter(!train, &perr);
    if (perr) { rel_seq(&sa); rel(&ib); rel(&ob); rel(&sb); return NULL; }
    if (pool) gru_layer_set_threadpool(l, pool);
    size_t n = 0;
    gru_status s = train ? gru_layer_tape_size(l, B, T, &n) : gru_layer_workspace_size(l, B, T, &n);
    void *ws = NULL;
    if (s == GRU_OK) ws = ws_alloc(n);
    if (s == GRU_OK && ws) {
        Py_BEGIN_ALLOW_THREADS
        s = train ? gru_layer_forward_train(l, (gru_dtype)dtype, &sa.seq, &io, (gru_training)training, ptr(&ob), ws, n)
                  : gru_layer_forward(l, (gru_dtype)dtype, &sa.seq, &io, (gru_training)training, ptr(&ob), ws, n);
        Py_END_ALLOW_THREADS
    }
    if (pool) gru_layer_set_threadpool(l, NULL);
    pool_exit(pool);
    rel_seq(&sa); rel(&ib); rel(&ob); rel(&sb);
    if (s != GRU_OK) { free(ws); return raise_status(s); }
    if (!ws) return NULL;
    if (!train) { free(ws); Py_RETURN_NONE; }
    return PyCapsule_New(ws, "gru_tape", cap_tape);
}

/* layer_backward(h, dtype, B, T, x, mask, tape, d_out, d_state, d_x, d_h0, gk, gr, gb) */
static PyObject *py_layer_backward(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *h, *xo, *mo, *to, *doo, *dso, *dxo, *dho, *gko, *gro, *gbo; int dtype; long long B, T;
    if (!PyArg_ParseTuple(args, "OiLLOOOOOOOOOO", &h, &dtype, &B, &T, &xo, &mo, &to, &doo, &dso,
                          &dxo, &dho, &gko, &gro, &gbo)) return NULL;
    gru_layer *l = get_handle(h, "gru_layer");
    void *tape = l ? get_handle(to, "gru_tape") : NULL;
    if (!tape) return NULL;
    gru_cell *c = gru_layer_cell(l);
    size_t U = (size_t)gru_cell_units(c), F = (size_t)gru_cell_input_dim(c), nk, nr, nb;
    CHECK(gru_cell_weight_sizes(c, &nk, &nr, &nb));
    seq_args sa;
    if (get_seq(&sa, xo, mo, dtype, B, T, F) < 0) return NULL;
    buf b[7]; memset(b, 0, sizeof b);
    int bad = get_buf(doo, &b[0], dtype, layer_out_count(l, B, T), 0, 0, "d_output") < 0 ||
              get_buf(dso, &b[1], dtype, (size_t)B * U, 0, 1, "d_state") < 0 ||
              get_buf(dxo, &b[2], dtype, (size_t)B * (size_t)T * F, 1, 1, "d_inputs") < 0 ||
              get_buf(dho, &b[3], dtype, (size_t)B * U, 1, 1, "d_initial_state") < 0 ||
              get_buf(gko, &b[4], dtype, nk, 1, 0, "d_kernel") < 0 ||
              get_buf(gro, &b[5], dtype, nr, 1, 0, "d_recurrent_kernel") < 0 ||
              get_buf(gbo, &b[6], dtype, nb, 1, nb == 0, "d_bias") < 0;
    gru_status s = GRU_OK;
    void *ws = NULL;
    size_t n = 0;
    if (!bad) {
        s = gru_layer_backward_workspace_size(l, B, T, &n);
        if (s == GRU_OK) { ws = ws_alloc(n); if (!ws) bad = 1; }
    }
    if (!bad && s == GRU_OK) {
        gru_cell_grads g = {ptr(&b[4]), ptr(&b[5]), ptr(&b[6])};
        Py_BEGIN_ALLOW_THREADS
        s = gru_layer_backward(l, (gru_dtype)dtype, &sa.seq, tape, ptr(&b[0]), ptr(&b[1]),
                               ptr(&b[2]), ptr(&b[3]), &g, ws, n);
        Py_END_ALLOW_THREADS
    }
    free(ws);
    rel_seq(&sa);
    for (int i = 0; i < 7; i++) rel(&b[i]);
    if (bad) return NULL;
    if (s != GRU_OK) return raise_status(s);
    Py_RETURN_NONE;
}

static PyObject *py_layer_reset_states(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *h, *so; int dtype;
    if (!PyArg_ParseTuple(args, "OiO", &h, &dtype, &so)) return NULL;
    gru_layer *l = get_handle(h, "gru_layer");
    if (!l) return NULL;
    buf sb;
    if (get_buf(so, &sb, dtype, 0, 0, 1, "states") < 0) return NULL;
    gru_status s = gru_layer_reset_states(l, (gru_dtype)dtype, ptr(&sb));
    rel(&sb);
    if (s != GRU_OK) return raise_status(s);
    Py_RETURN_NONE;
}
static PyObject *py_layer_get_states(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *h, *so; int dtype;
    if (!PyArg_ParseTuple(args, "OiO", &h, &dtype, &so)) return NULL;
    gru_layer *l = get_handle(h, "gru_layer");
    if (!l) return NULL;
    gru_layer_config cfg;
    CHECK(gru_layer_get_config(l, &cfg));
    buf sb;
    if (get_buf(so, &sb, dtype, (size_t)cfg.batch_size * (size_t)cfg.cell.units, 1, 0, "states") < 0) return NULL;
    gru_status s = gru_layer_get_states(l, (gru_dtype)dtype, ptr(&sb));
    rel(&sb);
    if (s != GRU_OK) return raise_status(s);
    Py_RETURN_NONE;
}

static PyObject *py_bi_info(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *h;
    if (!PyArg_ParseTuple(args, "O", &h)) return NULL;
    gru_bidirectional *b = get_handle(h, "gru_bidirectional");
    if (!b) return NULL;
    return PyLong_FromLongLong((long long)gru_bidirectional_output_width(b));
}

/* bi_forward(h, dtype, B, T, x, mask, s0f, s0b, training, out, out_b, sf, sb, train) */
static PyObject *py_bi_forward(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *h, *xo, *mo, *i0, *i1, *oo, *obo, *s0, *s1; int dtype, training, train; long long B, T;
    if (!PyArg_ParseTuple(args, "OiLLOOOOiOOOOi", &h, &dtype, &B, &T, &xo, &mo, &i0, &i1,
                          &training, &oo, &obo, &s0, &s1, &train)) return NULL;
    gru_bidirectional *bi = get_handle(h, "gru_bidirectional");
    if (!bi) return NULL;
    gru_cell *c = gru_layer_cell(gru_bidirectional_layer(bi, 0));
    size_t U = (size_t)gru_cell_units(c), F = (size_t)gru_cell_input_dim(c);
    seq_args sa;
    if (get_seq(&sa, xo, mo, dtype, B, T, F) < 0) return NULL;
    buf b[6]; memset(b, 0, sizeof b);
    int bad = get_buf(i0, &b[0], dtype, (size_t)B * U, 0, 1, "initial_state[0]") < 0 ||
              get_buf(i1, &b[1], dtype, (size_t)B * U, 0, 1, "initial_state[1]") < 0 ||
              get_buf(oo, &b[2], dtype, 0, 1, 0, "output") < 0 ||
              get_buf(obo, &b[3], dtype, 0, 1, 1, "output_backward") < 0 ||
              get_buf(s0, &b[4], dtype, (size_t)B * U, 1, 1, "state_out[0]") < 0 ||
              get_buf(s1, &b[5], dtype, (size_t)B * U, 1, 1, "state_out[1]") < 0;
    gru_status s = GRU_OK;
    void *ws = NULL;
    size_t n = 0;
    gru_threadpool *pool = NULL;
    int perr = 0, entered = 0;
    if (!bad) {
        pool = pool_enter(!train, &perr);
        if (perr) bad = 1;
        else entered = 1;
        if (pool) gru_bidirectional_set_threadpool(bi, pool);
    }
    if (!bad) {
        s = train ? gru_bidirectional_tape_size(bi, B, T, &n) : gru_bidirectional_workspace_size(bi, B, T, &n);
        if (s == GRU_OK) { ws = ws_alloc(n); if (!ws) bad = 1; }
    }
    if (!bad && s == GRU_OK) {
        gru_layer_io io[2] = {{ptr(&b[0]), NULL, NULL, ptr(&b[4])}, {ptr(&b[1]), NULL, NULL, ptr(&b[5])}};
        Py_BEGIN_ALLOW_THREADS
        s = train ? gru_bidirectional_forward_train(bi, (gru_dtype)dtype, &sa.seq, io, (gru_training)training, ptr(&b[2]), ptr(&b[3]), ws, n)
                  : gru_bidirectional_forward(bi, (gru_dtype)dtype, &sa.seq, io, (gru_training)training, ptr(&b[2]), ptr(&b[3]), ws, n);
        Py_END_ALLOW_THREADS
    }
    if (pool) gru_bidirectional_set_threadpool(bi, NULL);
    if (entered) pool_exit(pool);
    rel_seq(&sa);
    for (int i = 0; i < 6; i++) rel(&b[i]);
    if (bad) { free(ws); return NULL; }
    if (s != GRU_OK) { free(ws); return raise_status(s); }
    if (!train) { free(ws); Py_RETURN_NONE; }
    return PyCapsule_New(ws, "gru_tape", cap_tape);
}

/* bi_backward(h, dtype, B, T, x, mask, tape, d_out, d_out_b, ds0, ds1, d_x, dh0, dh1,
 *             (gk0, gr0, gb0), (gk1, gr1, gb1)) */
static PyObject *py_bi_backward(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *h, *xo, *mo, *to, *doo, *dbo, *d0, *d1, *dxo, *h0, *h1, *g0[3], *g1[3];
    int dtype; long long B, T;
    if (!PyArg_ParseTuple(args, "OiLLOOOOOOOOOO(OOO)(OOO)", &h, &dtype, &B, &T, &xo, &mo, &to,
                          &doo, &dbo, &d0, &d1, &dxo, &h0, &h1, &g0[0], &g0[1], &g0[2], &g1[0],
                          &g1[1], &g1[2])) return NULL;
    gru_bidirectional *bi = get_handle(h, "gru_bidirectional");
    void *tape = bi ? get_handle(to, "gru_tape") : NULL;
    if (!tape) return NULL;
    gru_cell *c = gru_layer_cell(gru_bidirectional_layer(bi, 0));
    size_t U = (size_t)gru_cell_units(c), F = (size_t)gru_cell_input_dim(c);
    seq_args sa;
    if (get_seq(&sa, xo, mo, dtype, B, T, F) < 0) return NULL;
    buf b[14]; memset(b, 0, sizeof b);
    int bad = get_buf(doo, &b[0], dtype, 0, 0, 0, "d_output") < 0 ||
              get_buf(dbo, &b[1], dtype, 0, 0, 1, "d_output_backward") < 0 ||
              get_buf(d0, &b[2], dtype, (size_t)B * U, 0, 1, "d_state[0]") < 0 ||
              get_buf(d1, &b[3], dtype, (size_t)B * U, 0, 1, "d_state[1]") < 0 ||
              get_buf(dxo, &b[4], dtype, (size_t)B * (size_t)T * F, 1, 1, "d_inputs") < 0 ||
              get_buf(h0, &b[5], dtype, (size_t)B * U, 1, 1, "d_initial_state[0]") < 0 ||
              get_buf(h1, &b[6], dtype, (size_t)B * U, 1, 1, "d_initial_state[1]") < 0;
    for (int k = 0; k < 2 && !bad; k++) {
        gru_cell *ck = gru_layer_cell(gru_bidirectional_layer(bi, k));
        size_t nk, nr, nb;
        gru_cell_weight_sizes(ck, &nk, &nr, &nb);
        PyObject **g = k ? g1 : g0;
        bad = get_buf(g[0], &b[7 + 3 * k], dtype, nk, 1, 0, "d_kernel") < 0 ||
              get_buf(g[1], &b[8 + 3 * k], dtype, nr, 1, 0, "d_recurrent_kernel") < 0 ||
              get_buf(g[2], &b[9 + 3 * k], dtype, nb, 1, nb == 0, "d_bias") < 0;
    }
    gru_status s = GRU_OK;
    void *ws = NULL;
    size_t n = 0;
    if (!bad) {
        s = gru_bidirectional_backward_workspace_size(bi, B, T, &n);
        if (s == GRU_OK) { ws = ws_alloc(n); if (!ws) bad = 1; }
    }
    if (!bad && s == GRU_OK) {
        const void *const ds[2] = {ptr(&b[2]), ptr(&b[3])};
        void *const dh[2] = {ptr(&b[5]), ptr(&b[6])};
        gru_cell_grads g[2] = {{ptr(&b[7]), ptr(&b[8]), ptr(&b[9])}, {ptr(&b[10]), ptr(&b[11]), ptr(&b[12])}};
        Py_BEGIN_ALLOW_THREADS
        s = gru_bidirectional_backward(bi, (gru_dtype)dtype, &sa.seq, tape, ptr(&b[0]), ptr(&b[1]),
                                       ds, ptr(&b[4]), dh, g, ws, n);
        Py_END_ALLOW_THREADS
    }
    free(ws);
    rel_seq(&sa);
    for (int i = 0; i < 14; i++) rel(&b[i]);
    if (bad) return NULL;
    if (s != GRU_OK) return raise_status(s);
    Py_RETURN_NONE;
}

static PyObject *py_bi_reset_states(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *h;
    if (!PyArg_ParseTuple(args, "O", &h)) return NULL;
    gru_bidirectional *b = get_handle(h, "gru_bidirectional");
    if (!b) return NULL;
    CHECK(gru_bidirectional_reset_states(b));
    Py_RETURN_NONE;
}

/* ---- models ------------------------------------------------------------- */
/* model_load(kind, path, dtype): kind "native", "keras", "torch", "onnx". */
static PyObject *py_model_load(PyObject *self, PyObject *args) {
    (void)self;
    const char *kind, *path, *wpath = NULL; int dtype;
    if (!PyArg_ParseTuple(args, "ssi|z", &kind, &path, &dtype, &wpath)) return NULL;
    char *json = NULL; size_t jlen = 0;
    if (!strcmp(kind, "keras_json")) {   /* model.to_json() file + save_weights() .h5 */
        FILE *f = fopen(path, "rb");
        if (!f) return PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
        fseek(f, 0, SEEK_END);
        long L = ftell(f);
        fseek(f, 0, SEEK_SET);
        json = malloc(L > 0 ? (size_t)L : 1);
        if (json) jlen = fread(json, 1, L > 0 ? (size_t)L : 0, f);
        fclose(f);
        if (!json) return PyErr_NoMemory();
    }
    gru_model *m = NULL;
    gru_status s;
    Py_BEGIN_ALLOW_THREADS
    if (!strcmp(kind, "native")) {
        s = gru_model_load_path(path, &m);
    } else if (!strcmp(kind, "keras")) {
        s = gru_keras_load(path, (gru_dtype)dtype, NULL, &m, NULL);
    } else if (!strcmp(kind, "keras_json")) {
        s = gru_keras_config_to_model(json, jlen, (gru_dtype)dtype, NULL, &m, NULL);
        if (s == GRU_OK && wpath) {
            s = gru_keras_load_weights_h5(m, wpath);
            if (s != GRU_OK) { gru_model_free(m); m = NULL; }
        }
    } else if (!strcmp(kind, "torch")) {
        gru_torch_options opt;
        gru_torch_options_init(&opt);
        s = gru_torch_load_safetensors(path, &opt, (gru_dtype)dtype, &m, NULL);
    } else if (!strcmp(kind, "onnx")) {
        gru_onnx *o = NULL;
        s = gru_onnx_load(path, (gru_dtype)dtype, &o);
        if (s == GRU_OK) { m = gru_onnx_take_model(o); gru_onnx_free(o); }
    } else {
        s = GRU_E_NAME;
    }
    Py_END_ALLOW_THREADS
    free(json);
    if (s != GRU_OK) return raise_status(s);
    return PyCapsule_New(m, "gru_model", cap_model);
}

/* model_save(h, path): libgru's native .grum */
static PyObject *py_model_save(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *h; const char *path;
    if (!PyArg_ParseTuple(args, "Os", &h, &path)) return NULL;
    gru_model *m = get_handle(h, "gru_model");
    if (!m) return NULL;
    CHECK(gru_model_save_path(m, path));
    Py_RETURN_NONE;
}

static PyObject *py_model_info(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *h; long long B, T;
    if (!PyArg_ParseTuple(args, "OLL", &h, &B, &T)) return NULL;
    gru_model *m = get_handle(h, "gru_model");
    if (!m) return NULL;
    size_t ni = gru_model_input_count(m), no = gru_model_output_count(m);
    PyObject *ins = PyList_New(0), *outs = PyList_New(0), *nodes = PyList_New(0);
    for (size_t k = 0; k < ni + no; k++) {
        int64_t dims[GRU_MODEL_MAX_RANK + 1]; size_t nd; bool is_int = false;
        gru_status s = k < ni ? gru_model_input_shape(m, k, B, T, dims, &nd, &is_int)
                              : gru_model_output_shape(m, k - ni, B, T, dims, &nd);
        if (s != GRU_OK) { Py_DECREF(ins); Py_DECREF(outs); Py_DECREF(nodes); return raise_status(s); }
        PyObject *t = PyTuple_New((Py_ssize_t)nd);
        for (size_t j = 0; j < nd; j++) PyTuple_SET_ITEM(t, j, PyLong_FromLongLong(dims[j]));
        PyObject *e = Py_BuildValue("(NO)", t, is_int ? Py_True : Py_False);
        PyList_Append(k < ni ? ins : outs, e);
        Py_DECREF(e);
    }
    for (size_t i = 0; i < gru_model_node_count(m); i++) {
        gru_model_node_info info;
        if (gru_model_node_info_get(m, i, &info) != GRU_OK) continue;
        PyObject *e = Py_BuildValue("(ssn)", gru_node_kind_name(info.kind), info.name, (Py_ssize_t)info.n_weights);
        PyList_Append(nodes, e);
        Py_DECREF(e);
    }
    return Py_BuildValue("(NNNi)", ins, outs, nodes, (int)gru_model_dtype(m));
}

static PyObject *py_model_forward(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *h, *ilist, *olist; long long B, T;
    if (!PyArg_ParseTuple(args, "OLLO!O!", &h, &B, &T, &PyList_Type, &ilist, &PyList_Type, &olist)) return NULL;
    gru_model *m = get_handle(h, "gru_model");
    if (!m) return NULL;
    int dtype = (int)gru_model_dtype(m);
    size_t ni = gru_model_input_count(m), no = gru_model_output_count(m);
    if ((size_t)PyList_GET_SIZE(ilist) != ni || (size_t)PyList_GET_SIZE(olist) != no) {
        PyErr_Format(PyExc_ValueError, "the model takes %zu inputs and gives %zu outputs", ni, no);
        return NULL;
    }
    buf *b = calloc(ni + no + 1, sizeof *b);
    const void **ip = calloc(ni + 1, sizeof *ip);
    void **op = calloc(no + 1, sizeof *op);
    int bad = !b || !ip || !op;
    for (size_t k = 0; k < ni + no && !bad; k++) {
        int64_t dims[GRU_MODEL_MAX_RANK + 1]; size_t nd; bool is_int = false;
        gru_status s = k < ni ? gru_model_input_shape(m, k, B, T, dims, &nd, &is_int)
                              : gru_model_output_shape(m, k - ni, B, T, dims, &nd);
        if (s != GRU_OK) { raise_status(s); bad = 1; break; }
        size_t cnt = 1;
        for (size_t j = 0; j < nd; j++) cnt *= (size_t)dims[j];
        PyObject *o = k < ni ? PyList_GET_ITEM(ilist, k) : PyList_GET_ITEM(olist, k - ni);
        if (is_int) bad = get_buf(o, &b[k], 0, cnt * 8, 0, 0, "int64 ids") < 0;
        else bad = get_buf(o, &b[k], dtype, cnt, k >= ni, 0, k < ni ? "input" : "output") < 0;
        if (!bad) { if (k < ni) ip[k] = ptr(&b[k]); else op[k - ni] = ptr(&b[k]); }
    }
    gru_status s = GRU_OK;
    void *ws = NULL;
    size_t n = 0;
    gru_threadpool *pool = NULL;
    int perr = 0, entered = 0;
    if (!bad) {
        pool = pool_enter(1, &perr);
        if (perr) bad = 1;
        else entered = 1;
        if (pool) gru_model_set_threadpool(m, pool);
    }
    if (!bad) {
        s = gru_model_workspace_size(m, B, T, &n);
        if (s == GRU_OK) { ws = ws_alloc(n); if (!ws) bad = 1; }
    }
    if (!bad && s == GRU_OK) {
        Py_BEGIN_ALLOW_THREADS
        s = gru_model_forward(m, (gru_dtype)dtype, B, T, ip, op, ws, n);
        Py_END_ALLOW_THREADS
    }
    if (pool) gru_model_set_threadpool(m, NULL);
    if (entered) pool_exit(pool);
    free(ws);
    if (b) for (size_t k = 0; k < ni + no; k++) rel(&b[k]);
    free(b); free(ip); free(op);
    if (bad) { if (!PyErr_Occurred()) PyErr_NoMemory(); return NULL; }
    if (s != GRU_OK) return raise_status(s);
    Py_RETURN_NONE;
}

static PyObject *py_model_reset_states(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *h;
    if (!PyArg_ParseTuple(args, "O", &h)) return NULL;
    gru_model *m = get_handle(h, "gru_model");
    if (!m) return NULL;
    CHECK(gru_model_reset_states(m));
    Py_RETURN_NONE;
}

/* ---- training: Dense head, optimizers, losses, the C fit loop ----------- */
static void cap_dense(PyObject *c) { gru_dense_free(PyCapsule_GetPointer(c, "gru_dense")); }
static void cap_opt(PyObject *c) { gru_optimizer_free(PyCapsule_GetPointer(c, "gru_optimizer")); }

/* A regularizer from (l1, l2) or None; floatx: Keras' floatx code. */
static int reg_from(PyObject *o, int floatx, gru_regularizer *r) {
    memset(r, 0, sizeof *r);
    r->kind = GRU_REG_NONE;
    if (o == Py_None) return 0;
    if (!PyArg_ParseTuple(o, "dd", &r->l1, &r->l2)) return -1;
    r->kind = GRU_REG_L1L2;
    r->floatx = (gru_dtype)floatx;
    return 0;
}
static int con_from(const char *name, gru_constraint *c) {
    if (!name) { memset(c, 0, sizeof *c); return 0; }
    gru_status s = gru_constraint_from_name(name, c);
    if (s != GRU_OK) { raise_status(s); return -1; }
    return 0;
}

/* dense_create(units, input_dim, dtype, activation, use_bias, kernel_init, bias_init, seed,
 *              kernel_reg (l1,l2)|None, bias_reg, kernel_con name|None, bias_con, floatx) */
static PyObject *py_dense_create(PyObject *self, PyObject *args) {
    (void)self;
    long long units, input_dim; int dtype, use_bias, floatx;
    const char *act, *kinit, *binit, *kcon, *bcon; unsigned long long seed;
    PyObject *kreg, *breg;
    if (!PyArg_ParseTuple(args, "LLizpssKOOzzi", &units, &input_dim, &dtype, &act, &use_bias,
                          &kinit, &binit, &seed, &kreg, &breg, &kcon, &bcon, &floatx)) return NULL;
    gru_dense_config cfg;
    CHECK(gru_dense_config_init(&cfg, units, input_dim));
    cfg.dtype = (gru_dtype)dtype;
    CHECK(gru_activation_from_name(act, &cfg.activation));
    cfg.use_bias = use_bias;
    CHECK(gru_initializer_from_name(kinit, &cfg.kernel_initializer));
    CHECK(gru_initializer_from_name(binit, &cfg.bias_initializer));
    cfg.seed = (uint64_t)seed;
    if (reg_from(kreg, floatx, &cfg.kernel_regularizer) < 0 ||
        reg_from(breg, floatx, &cfg.bias_regularizer) < 0 ||
        con_from(kcon, &cfg.kernel_constraint) < 0 || con_from(bcon, &cfg.bias_constraint) < 0)
        return NULL;
    gru_dense *d;
    CHECK(gru_dense_create(&cfg, &d));
    return PyCapsule_New(d, "gru_dense", cap_dense);
}

/* dense_weights(h, dtype, kernel, bias|None, set) */
static PyObject *py_dense_weights(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *h, *ko, *bo; int dtype, set;
    if (!PyArg_ParseTuple(args, "OiOOp", &h, &dtype, &ko, &bo, &set)) return NULL;
    gru_dense *d = get_handle(h, "gru_dense");
    if (!d) return NULL;
    gru_dense_config c;
    CHECK(gru_dense_get_config(d, &c));
    buf kb, bb;
    if (get_buf(ko, &kb, dtype, (size_t)(c.units * c.input_dim), !set, 0, "kernel") < 0) return NULL;
    if (get_buf(bo, &bb, dtype, (size_t)c.units, !set, 1, "bias") < 0) { rel(&kb); return NULL; }
    gru_status s = set ? gru_dense_set_weights(d, (gru_dtype)dtype, ptr(&kb), ptr(&bb))
                       : gru_dense_get_weights(d, (gru_dtype)dtype, ptr(&kb), ptr(&bb));
    rel(&kb); rel(&bb);
    if (s != GRU_OK) return raise_status(s);
    Py_RETURN_NONE;
}

/* dense_forward(h, dtype, rows, x, y) */
static PyObject *py_dense_forward(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *h, *xo, *yo; int dtype; long long rows;
    if (!PyArg_ParseTuple(args, "OiLOO", &h, &dtype, &rows, &xo, &yo)) return NULL;
    gru_dense *d = get_handle(h, "gru_dense");
    if (!d) return NULL;
    gru_dense_config c;
    CHECK(gru_dense_get_config(d, &c));
    buf xb, yb;
    if (get_buf(xo, &xb, dtype, (size_t)(rows * c.input_dim), 0, 0, "inputs") < 0) return NULL;
    if (get_buf(yo, &yb, dtype, (size_t)(rows * c.units), 1, 0, "output") < 0) { rel(&xb); return NULL; }
    gru_status s = gru_dense_forward(d, (gru_dtype)dtype, (size_t)rows, ptr(&xb), ptr(&yb), NULL);
    rel(&xb); rel(&yb);
    if (s != GRU_OK) return raise_status(s);
    Py_RETURN_NONE;
}

static int dict_d(PyObject *d, const char *k, double *v) {
    PyObject *o = PyDict_GetItemString(d, k);
    if (!o || o == Py_None) return 0;
    double x = PyFloat_AsDouble(o);
    if (x == -1.0 && PyErr_Occurred()) return -1;
    *v = x;
    return 0;
}
static int dict_b(PyObject *d, const char *k, bool *v) {
    PyObject *o = PyDict_GetItemString(d, k);
    if (!o || o == Py_None) return 0;
    int t = PyObject_IsTrue(o);
    if (t < 0) return -1;
    *v = t;
    return 0;
}

/* optimizer_create(kind, dtype, sizes (tuple of ints), params dict, lr_dtype) */
static PyObject *py_optimizer_create(PyObject *self, PyObject *args) {
    (void)self;
    int kind, dtype, lr_dtype; PyObject *sizes, *p;
    if (!PyArg_ParseTuple(args, "iiO!O!i", &kind, &dtype, &PyTuple_Type, &sizes, &PyDict_Type,
                          &p, &lr_dtype)) return NULL;
    gru_optimizer_config cfg;
    CHECK(gru_optimizer_config_init(&cfg, (gru_optimizer_kind)kind));
    if (dict_d(p, "learning_rate", &cfg.learning_rate) || dict_d(p, "momentum", &cfg.momentum) ||
        dict_b(p, "nesterov", &cfg.nesterov) || dict_d(p, "beta_1", &cfg.beta_1) ||
        dict_d(p, "beta_2", &cfg.beta_2) || dict_d(p, "epsilon", &cfg.epsilon) ||
        dict_b(p, "amsgrad", &cfg.amsgrad) || dict_d(p, "rho", &cfg.rho) ||
        dict_b(p, "centered", &cfg.centered) ||
        dict_d(p, "initial_accumulator_value", &cfg.initial_accumulator_value) ||
        dict_d(p, "clipnorm", &cfg.clipnorm) || dict_d(p, "clipvalue", &cfg.clipvalue) ||
        dict_d(p, "global_clipnorm", &cfg.global_clipnorm) ||
        dict_d(p, "weight_decay", &cfg.weight_decay))
        return NULL;
    cfg.lr_dtype = (gru_dtype)lr_dtype;
    Py_ssize_t n = PyTuple_GET_SIZE(sizes);
    size_t sz[16];
    if (n < 1 || n > 16) { PyErr_SetString(PyExc_ValueError, "1 to 16 variables"); return NULL; }
    for (Py_ssize_t i = 0; i < n; i++) {
        sz[i] = PyLong_AsSize_t(PyTuple_GET_ITEM(sizes, i));
        if (PyErr_Occurred()) return NULL;
    }
    gru_optimizer *o;
    CHECK(gru_optimizer_create(&cfg, (gru_dtype)dtype, (size_t)n, sz, &o));
    return PyCapsule_New(o, "gru_optimizer", cap_opt);
}

/* optimizer_apply(opt, dtype, vars list, grads list): vars updated in place */
static PyObject *py_optimizer_apply(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *h, *vl, *gl; int dtype;
    if (!PyArg_ParseTuple(args, "OiO!O!", &h, &dtype, &PyList_Type, &vl, &PyList_Type, &gl)) return NULL;
    gru_optimizer *o = get_handle(h, "gru_optimizer");
    if (!o) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(vl);
    if (n != PyList_GET_SIZE(gl) || n < 1 || n > 16) {
        PyErr_SetString(PyExc_ValueError, "as many gradients as variables (1 to 16)");
        return NULL;
    }
    buf vb[16], gb[16];
    void *vp[16]; const void *gp[16];
    Py_ssize_t k = 0; int bad = 0;
    for (; k < n; k++) {
        if (get_buf(PyList_GET_ITEM(vl, k), &vb[k], dtype, 0, 1, 0, "variable") < 0) { bad = 1; break; }
        if (get_buf(PyList_GET_ITEM(gl, k), &gb[k], dtype, (size_t)vb[k].b.len / esize(dtype), 0, 0,
                    "gradient") < 0) { rel(&vb[k]); bad = 1; break; }
        vp[k] = ptr(&vb[k]); gp[k] = ptr(&gb[k]);
    }
    gru_status s = GRU_OK;
    if (!bad) s = gru_optimizer_apply(o, (gru_dtype)dtype, (size_t)n, vp, gp);
    for (Py_ssize_t j = 0; j < k; j++) { rel(&vb[j]); rel(&gb[j]); }
    if (bad) return NULL;
    if (s != GRU_OK) return raise_status(s);
    return PyLong_FromLongLong(gru_optimizer_iterations(o));
}

static PyObject *py_optimizer_iterations(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *h;
    if (!PyArg_ParseTuple(args, "O", &h)) return NULL;
    gru_optimizer *o = get_handle(h, "gru_optimizer");
    if (!o) return NULL;
    return PyLong_FromLongLong(gru_optimizer_iterations(o));
}

static PyObject *py_optimizer_set_lr(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *h; double lr;
    if (!PyArg_ParseTuple(args, "Od", &h, &lr)) return NULL;
    gru_optimizer *o = get_handle(h, "gru_optimizer");
    if (!o) return NULL;
    CHECK(gru_optimizer_set_learning_rate(o, lr));
    Py_RETURN_NONE;
}

/* loss(kind, from_logits, label_smoothing, dtype, rows, n, y_true, y_pred, d_pred|None) -> loss */
static PyObject *py_loss(PyObject *self, PyObject *args) {
    (void)self;
    int kind, logits, dtype; double ls; long long rows, n; PyObject *yt, *yp, *dp;
    if (!PyArg_ParseTuple(args, "ipdiLLOOO", &kind, &logits, &ls, &dtype, &rows, &n, &yt, &yp, &dp))
        return NULL;
    gru_loss_config cfg;
    CHECK(gru_loss_config_init(&cfg, (gru_loss_kind)kind));
    cfg.from_logits = logits;
    cfg.label_smoothing = ls;
    size_t nt = (size_t)rows * (kind == GRU_LOSS_SPARSE_CCE ? 1 : (size_t)n);
    buf tb, pb, db;
    if (get_buf(yt, &tb, dtype, nt, 0, 0, "y_true") < 0) return NULL;
    if (get_buf(yp, &pb, dtype, (size_t)(rows * n), 0, 0, "y_pred") < 0) { rel(&tb); return NULL; }
    if (get_buf(dp, &db, dtype, (size_t)(rows * n), 1, 1, "d_pred") < 0) { rel(&tb); rel(&pb); return NULL; }
    double loss = 0;
    gru_status s = gru_loss(&cfg, (gru_dtype)dtype, (size_t)rows, (size_t)n, ptr(&tb), ptr(&pb),
                            NULL, &loss, NULL, ptr(&db));
    rel(&tb); rel(&pb); rel(&db);
    if (s != GRU_OK) return raise_status(s);
    return PyFloat_FromDouble(loss);
}

/* The seq model (layer + head + loss) for fit / evaluate / predict. */
static int seq_model_from(gru_seq_model *m, PyObject *lh, PyObject *dh, int kind, int logits,
                          double ls, long long T) {
    memset(m, 0, sizeof *m);
    m->layer = get_handle(lh, "gru_layer");
    if (!m->layer) return -1;
    m->head = get_handle(dh, "gru_dense");
    if (!m->head) return -1;
    gru_status s = gru_loss_config_init(&m->loss, (gru_loss_kind)kind);
    if (s != GRU_OK) { raise_status(s); return -1; }
    m->loss.from_logits = logits;
    m->loss.label_smoothing = ls;
    m->steps = T;
    return 0;
}
static int seq_model_ws(gru_seq_model *m, size_t max_batch) {
    gru_status s = gru_seq_model_workspace_size(m, max_batch, &m->ws_bytes);
    if (s != GRU_OK) { raise_status(s); return -1; }
    m->workspace = ws_alloc(m->ws_bytes);
    m->max_batch = max_batch;
    return m->workspace ? 0 : -1;
}

/* seq_fit(layer, dense, loss_kind, from_logits, label_smoothing, opt, dtype, T, n, x_size,
 *         y_size, x, y, n_val, x_val|None, y_val|None, epochs, batch_size, shuffle, seed,
 *         verbose) -> (losses, val_losses, epochs_done) */
static PyObject *py_seq_fit(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *lh, *dh, *oh, *xo, *yo, *xvo, *yvo; int kind, logits, dtype, shuffle, verbose;
    double ls; long long T, n, xs, ys, nv, epochs, bs; unsigned long long seed;
    if (!PyArg_ParseTuple(args, "OOipdOiLLLLOOLOOLLpKi", &lh, &dh, &kind, &logits, &ls, &oh,
                          &dtype, &T, &n, &xs, &ys, &xo, &yo, &nv, &xvo, &yvo, &epochs, &bs,
                          &shuffle, &seed, &verbose)) return NULL;
    gru_seq_model m;
    if (seq_model_from(&m, lh, dh, kind, logits, ls, T) < 0) return NULL;
    m.optimizer = get_handle(oh, "gru_optimizer");
    if (!m.optimizer) return NULL;
    if (n < 1 || epochs < 1 || bs < 1 || nv < 0) {
        PyErr_SetString(PyExc_ValueError, "n, epochs and batch_size must be >= 1");
        return NULL;
    }
    gru_fit_config fc;
    CHECK(gru_fit_config_init(&fc));
    fc.epochs = epochs; fc.batch_size = bs; fc.shuffle = shuffle; fc.seed = (uint64_t)seed;
    fc.progress = verbose ? stdout : NULL;
    fc.verbose = verbose;
    buf xb, yb, xvb, yvb;
    memset(&xvb, 0, sizeof xvb); memset(&yvb, 0, sizeof yvb);
    if (get_buf(xo, &xb, dtype, (size_t)(n * xs), 0, 0, "x") < 0) return NULL;
    if (get_buf(yo, &yb, dtype, (size_t)(n * ys), 0, 0, "y") < 0) { rel(&xb); return NULL; }
    if (nv > 0 && (get_buf(xvo, &xvb, dtype, (size_t)(nv * xs), 0, 0, "x_val") < 0 ||
                   get_buf(yvo, &yvb, dtype, (size_t)(nv * ys), 0, 0, "y_val") < 0)) {
        rel(&xb); rel(&yb); rel(&xvb); return NULL;
    }
    gru_fit_data fd = {(gru_dtype)dtype, (size_t)n, (size_t)xs, (size_t)ys, ptr(&xb), ptr(&yb),
                       (size_t)nv, ptr(&xvb), ptr(&yvb)};
    size_t wsb = 0;
    double *el = calloc((size_t)epochs, sizeof *el), *vl = calloc((size_t)epochs, sizeof *vl);
    void *ws = NULL;
    int64_t done = 0;
    gru_status s = gru_fit_workspace_size(&fc, &fd, &wsb);
    int bad = !el || !vl;
    if (!bad && s == GRU_OK) {
        size_t mb = (size_t)bs < (size_t)(n > nv ? n : nv) ? (size_t)bs : (size_t)(n > nv ? n : nv);
        if (seq_model_ws(&m, mb) < 0) bad = 1;
        else if (!(ws = ws_alloc(wsb))) bad = 1;
    }
    if (!bad && s == GRU_OK) {
        Py_BEGIN_ALLOW_THREADS
        s = gru_fit(&fc, &fd, gru_seq_model_step, nv > 0 ? gru_seq_model_eval : NULL, &m, ws, wsb,
                    el, vl, &done);
        fflush(stdout);
        Py_END_ALLOW_THREADS
    }
    free(ws); free(m.workspace);
    rel(&xb); rel(&yb); rel(&xvb); rel(&yvb);
    PyObject *res = NULL;
    if (bad) { if (!PyErr_Occurred()) PyErr_NoMemory(); }
    else if (s != GRU_OK) raise_status(s);
    else {
        PyObject *a = PyList_New(done), *b = PyList_New(done);
        for (int64_t e = 0; e < done; e++) {
            PyList_SET_ITEM(a, e, PyFloat_FromDouble(el[e]));
            PyList_SET_ITEM(b, e, PyFloat_FromDouble(vl[e]));
        }
        res = Py_BuildValue("(NNL)", a, b, (long long)done);
    }
    free(el); free(vl);
    return res;
}

/* seq_eval(layer, dense, kind, logits, ls, dtype, T, n, x, y, y_size, batch) -> mean loss
 * seq_predict(layer, dense, dtype, T, n, x, out, batch) */
static PyObject *py_seq_eval(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *lh, *dh, *xo, *yo; int kind, logits, dtype; double ls; long long T, n, ys, bs;
    if (!PyArg_ParseTuple(args, "OOipdiLLOOLL", &lh, &dh, &kind, &logits, &ls, &dtype, &T, &n,
                          &xo, &yo, &ys, &bs)) return NULL;
    gru_seq_model m;
    if (seq_model_from(&m, lh, dh, kind, logits, ls, T) < 0) return NULL;
    size_t F = (size_t)gru_cell_input_dim(gru_layer_cell(m.layer));
    if (n < 1 || bs < 1) { PyErr_SetString(PyExc_ValueError, "n and batch_size must be >= 1"); return NULL; }
    buf xb, yb;
    if (get_buf(xo, &xb, dtype, (size_t)(n * T) * F, 0, 0, "x") < 0) return NULL;
    if (get_buf(yo, &yb, dtype, (size_t)(n * ys), 0, 0, "y") < 0) { rel(&xb); return NULL; }
    size_t mb = (size_t)(bs < n ? bs : n);
    double tot = 0;
    gru_status s = GRU_OK;
    if (seq_model_ws(&m, mb) == 0) {
        size_t es = esize(dtype);
        Py_BEGIN_ALLOW_THREADS
        for (size_t i = 0; i < (size_t)n && s == GRU_OK; i += mb) {
            size_t b = (size_t)n - i < mb ? (size_t)n - i : mb;
            double l = 0;
            s = gru_seq_model_eval(&m, b, (char *)ptr(&xb) + i * (size_t)T * F * es,
                                   (char *)ptr(&yb) + i * (size_t)ys * es, &l);
            tot += l * (double)b;
        }
        Py_END_ALLOW_THREADS
    } else s = GRU_E_NOMEM;
    int noalloc = m.workspace == NULL;
    free(m.workspace);
    rel(&xb); rel(&yb);
    if (noalloc) return NULL;
    if (s != GRU_OK) return raise_status(s);
    return PyFloat_FromDouble(tot / (double)n);
}

static PyObject *py_seq_predict(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *lh, *dh, *xo, *oo; int dtype; long long T, n, bs;
    if (!PyArg_ParseTuple(args, "OOiLLOOL", &lh, &dh, &dtype, &T, &n, &xo, &oo, &bs)) return NULL;
    gru_seq_model m;
    if (seq_model_from(&m, lh, dh, GRU_LOSS_MSE, 0, 0.0, T) < 0) return NULL;
    size_t F = (size_t)gru_cell_input_dim(gru_layer_cell(m.layer));
    gru_layer_config lc; gru_dense_config dc;
    CHECK(gru_layer_get_config(m.layer, &lc));
    CHECK(gru_dense_get_config(m.head, &dc));
    size_t ys = (size_t)dc.units * (lc.return_sequences ? (size_t)T : 1);
    if (n < 1 || bs < 1) { PyErr_SetString(PyExc_ValueError, "n and batch_size must be >= 1"); return NULL; }
    buf xb, ob;
    if (get_buf(xo, &xb, dtype, (size_t)(n * T) * F, 0, 0, "x") < 0) return NULL;
    if (get_buf(oo, &ob, dtype, (size_t)n * ys, 1, 0, "output") < 0) { rel(&xb); return NULL; }
    size_t mb = (size_t)(bs < n ? bs : n);
    gru_status s = GRU_OK;
    if (seq_model_ws(&m, mb) == 0) {
        size_t es = esize(dtype);
        Py_BEGIN_ALLOW_THREADS
        for (size_t i = 0; i < (size_t)n && s == GRU_OK; i += mb) {
            size_t b = (size_t)n - i < mb ? (size_t)n - i : mb;
            s = gru_seq_model_predict(&m, b, (char *)ptr(&xb) + i * (size_t)T * F * es,
                                      (char *)ptr(&ob) + i * ys * es);
        }
        Py_END_ALLOW_THREADS
    }
    int noalloc = m.workspace == NULL;
    free(m.workspace);
    rel(&xb); rel(&ob);
    if (noalloc) return NULL;
    if (s != GRU_OK) return raise_status(s);
    Py_RETURN_NONE;
}

static PyObject *py_version(PyObject *self, PyObject *args) {
    (void)self; (void)args;
    return PyUnicode_FromString(gru_version());
}

static PyMethodDef methods[] = {
    {"version", py_version, METH_NOARGS, NULL},
    {"set_num_threads", py_set_num_threads, METH_VARARGS, NULL},
    {"get_num_threads", py_get_num_threads, METH_NOARGS, NULL},
    {"cell_create", py_cell_create, METH_VARARGS, NULL},
    {"layer_create", py_layer_create, METH_VARARGS, NULL},
    {"bi_create", py_bi_create, METH_VARARGS, NULL},
    {"cell_config_json", py_cell_config_json, METH_VARARGS, NULL},
    {"layer_config_json", py_layer_config_json, METH_VARARGS, NULL},
    {"layer_cell", py_layer_cell, METH_VARARGS, NULL},
    {"bi_layer", py_bi_layer, METH_VARARGS, NULL},
    {"model_layer", py_model_layer, METH_VARARGS, NULL},
    {"cell_info", py_cell_info, METH_VARARGS, NULL},
    {"cell_get_weights", py_cell_get_weights, METH_VARARGS, NULL},
    {"cell_set_weights", py_cell_set_weights, METH_VARARGS, NULL},
    {"cell_call", py_cell_call, METH_VARARGS, NULL},
    {"cell_backward", py_cell_backward, METH_VARARGS, NULL},
    {"cell_get_mask", py_cell_get_mask, METH_VARARGS, NULL},
    {"cell_set_mask", py_cell_set_mask, METH_VARARGS, NULL},
    {"cell_reset_mask", py_cell_reset_mask, METH_VARARGS, NULL},
    {"cell_losses", py_cell_losses, METH_VARARGS, NULL},
    {"layer_forward", py_layer_forward, METH_VARARGS, NULL},
    {"layer_backward", py_layer_backward, METH_VARARGS, NULL},
    {"layer_reset_states", py_layer_reset_states, METH_VARARGS, NULL},
    {"layer_get_states", py_layer_get_states, METH_VARARGS, NULL},
    {"bi_info", py_bi_info, METH_VARARGS, NULL},
    {"bi_forward", py_bi_forward, METH_VARARGS, NULL},
    {"bi_backward", py_bi_backward, METH_VARARGS, NULL},
    {"bi_reset_states", py_bi_reset_states, METH_VARARGS, NULL},
    {"model_load", py_model_load, METH_VARARGS, NULL},
    {"model_info", py_model_info, METH_VARARGS, NULL},
    {"model_save", py_model_save, METH_VARARGS, NULL},
    {"model_forward", py_model_forward, METH_VARARGS, NULL},
    {"model_reset_states", py_model_reset_states, METH_VARARGS, NULL},
    {"dense_create", py_dense_create, METH_VARARGS, NULL},
    {"dense_weights", py_dense_weights, METH_VARARGS, NULL},
    {"dense_forward", py_dense_forward, METH_VARARGS, NULL},
    {"optimizer_create", py_optimizer_create, METH_VARARGS, NULL},
    {"optimizer_apply", py_optimizer_apply, METH_VARARGS, NULL},
    {"optimizer_iterations", py_optimizer_iterations, METH_VARARGS, NULL},
    {"optimizer_set_lr", py_optimizer_set_lr, METH_VARARGS, NULL},
    {"loss", py_loss, METH_VARARGS, NULL},
    {"seq_fit", py_seq_fit, METH_VARARGS, NULL},
    {"seq_eval", py_seq_eval, METH_VARARGS, NULL},
    {"seq_predict", py_seq_predict, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef moddef = {PyModuleDef_HEAD_INIT, "_libgru", "libgru C binding", -1,
                                    methods, NULL, NULL, NULL, module_free};

PyMODINIT_FUNC PyInit__libgru(void) {
    PyObject *m = PyModule_Create(&moddef);
    if (!m) return NULL;
    if (!g_lock) g_lock = PyThread_allocate_lock();
    if (!g_lock) { Py_DECREF(m); return PyErr_NoMemory(); }
    Py_AtExit(pool_release_all); /* single-phase modules may never be freed */
    LibgruError = PyErr_NewException("libgru.LibgruError", PyExc_ValueError, NULL);
    Py_INCREF(LibgruError);
    PyModule_AddObject(m, "LibgruError", LibgruError);
    return m;
}
