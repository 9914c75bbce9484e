/*
 * libgru — the Keras GRU cell in C, exactly.
 *
 * This is the only public header. It reproduces
 * tf.compat.v1.keras.layers.GRUCell (tf-keras 2.21): every constructor
 * argument with Keras' meaning and the v1 defaults
 * (recurrent_activation = hard_sigmoid, reset_after = false,
 * implementation = 1), the call, the initial state and the four dropout-mask
 * methods, plus the initializers, regularizers and constraints that the
 * cell's arguments name.
 *
 * Usage (errors ignored for brevity; every function returns a gru_status):
 *
 *     gru_cell_config cfg;
 *     gru_cell_config_init(&cfg, 32, 16);        // units, input_dim
 *     gru_cell *cell;
 *     gru_cell_create(&cfg, &cell);               // weights initialised
 *     gru_cell_set_weights(cell, GRU_F32, kernel, recurrent, bias);
 *     float h[32] = {0}, h_new[32];
 *     gru_cell_call(cell, GRU_F32, 1, x, h, GRU_TRAINING_FALSE, h_new);
 *     gru_cell_free(cell);
 *
 * Conventions
 * - Every function returns GRU_OK (0) or a negative gru_status. On failure a
 *   message naming the argument, the expected and the received value is kept:
 *   per handle (gru_cell_last_error) and, for every call, in a thread-local
 *   buffer (gru_last_error). Nothing aborts on user input.
 * - Buffers are caller-owned, C (row-major) order, of the dtype named in the
 *   call. Shapes follow Keras: inputs (B, F), states (B, U), kernel (F, 3U),
 *   recurrent_kernel (U, 3U), bias (3U) or (2, 3U) when reset_after.
 *   Gate order on the 3U axis is z | r | h (update, reset, candidate).
 * - Handles have no hidden global state; distinct handles may be used from
 *   distinct threads at once. One handle must not be used from two threads
 *   at the same time.
 * - Allocation happens only in *_create (through the allocator in the
 *   config, or malloc). *_init places a handle in caller memory of
 *   *_size bytes. gru_cell_call never allocates.
 */
#ifndef GRU_H
#define GRU_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(GRU_SHARED)
#  ifdef GRU_BUILDING
#    define GRU_API __declspec(dllexport)
#  else
#    define GRU_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define GRU_API __attribute__((visibility("default")))
#else
#  define GRU_API
#endif

#define GRU_VERSION_MAJOR 0
#define GRU_VERSION_MINOR 1
#define GRU_VERSION_PATCH 0
GRU_API const char *gru_version(void);

/* ------------------------------------------------------------------------ */
/* Status codes: one X-macro table gives the enum and gru_status_str().      */
/* ------------------------------------------------------------------------ */
#define GRU_STATUS_MAP(XX)                                                  \
    XX(OK, 0, "success")                                                    \
    XX(E_NULL, -1, "a required pointer argument is NULL")                   \
    XX(E_ARG, -2, "an argument has an invalid value")                       \
    XX(E_SHAPE, -3, "a shape or size does not match")                       \
    XX(E_DTYPE, -4, "the dtype does not match")                             \
    XX(E_NAME, -5, "unknown name")                                          \
    XX(E_OVERFLOW, -6, "a size computation overflows")                      \
    XX(E_NOMEM, -7, "out of memory")                                        \
    XX(E_STATE, -8, "the object is not in a state that allows this call")   \
    XX(E_NUMERIC, -9, "a numeric value is not finite")                      \
    XX(E_IO, -10, "input/output error")                                     \
    XX(E_FORMAT, -11, "malformed data")                                     \
    XX(E_UNSUPPORTED, -12, "not supported")

typedef enum gru_status {
#define GRU__STATUS_ENUM(name, code, text) GRU_##name = code,
    GRU_STATUS_MAP(GRU__STATUS_ENUM)
#undef GRU__STATUS_ENUM
} gru_status;

/* Static text of a status ("success", ...); never NULL. */
GRU_API const char *gru_status_str(gru_status s);
/* Static name of a status ("GRU_E_ARG", ...); never NULL. */
GRU_API const char *gru_status_name(gru_status s);
/* Message of the last failed call on this thread ("" if none). The buffer
 * belongs to the thread and is overwritten by the next failing call. */
GRU_API const char *gru_last_error(void);

/* ------------------------------------------------------------------------ */
/* Element types and allocation.                                             */
/* ------------------------------------------------------------------------ */
typedef enum gru_dtype { GRU_F32 = 1, GRU_F64 = 2 } gru_dtype;

/* Size in bytes of one element of dtype, 0 for an invalid dtype. */
GRU_API size_t gru_dtype_size(gru_dtype dtype);

/* Optional allocator, used only by create/free functions. */
typedef struct gru_allocator {
    void *(*alloc)(size_t size, void *user); /* NULL: malloc */
    void (*free)(void *ptr, void *user);     /* NULL: free */
    void *user;
} gru_allocator;

/* ------------------------------------------------------------------------ */
/* Activations (tf-keras 2.21 activations.get and TF's kernels).             */
/* ------------------------------------------------------------------------ */
typedef enum gru_activation_kind {
    GRU_ACT_LINEAR = 0,     /* "linear", or None                            */
    GRU_ACT_TANH,           /* "tanh"                                       */
    GRU_ACT_SIGMOID,        /* "sigmoid"                                    */
    GRU_ACT_HARD_SIGMOID,   /* "hard_sigmoid": Keras 2 clip(0.2x+0.5, 0, 1) */
    GRU_ACT_HARD_SIGMOID_K3,/* "hard_sigmoid_k3": Keras 3 relu6(x+3)/6      */
    GRU_ACT_RELU,           /* "relu" with alpha, max_value, threshold      */
    GRU_ACT_RELU6,          /* "relu6": min(max(x,0),6)                     */
    GRU_ACT_LEAKY_RELU,     /* "leaky_relu": alpha default 0.2              */
    GRU_ACT_ELU,            /* "elu": alpha default 1                       */
    GRU_ACT_SELU,           /* "selu"                                       */
    GRU_ACT_SOFTPLUS,       /* "softplus" (TF's thresholds)                 */
    GRU_ACT_SOFTSIGN,       /* "softsign"                                   */
    GRU_ACT_EXPONENTIAL,    /* "exponential"                                */
    GRU_ACT_SWISH,          /* "swish" / "silu": x*sigmoid(x)               */
    GRU_ACT_GELU,           /* "gelu": exact erf form, approximate=false    */
    GRU_ACT_GELU_TANH,      /* gelu(approximate=True)                       */
    GRU_ACT_MISH,           /* "mish": x*tanh(softplus(x))                  */
    GRU_ACT_SOFTMAX,        /* "softmax" over the units axis                */
    GRU_ACT_LOG_SOFTMAX,    /* "log_softmax" over the units axis            */
    GRU_ACT_HARD_SILU,      /* "hard_silu"/"hard_swish" (Keras 3): x*hs_k3  */
    GRU_ACT_CUSTOM,         /* user callbacks, see below                    */
    GRU_ACT_COUNT_
} gru_activation_kind;

/* A custom activation: element-wise f(x) and its derivative f'(x), both
 * evaluated in double (the float32 path converts). Must be thread-safe if the
 * cell is used from several threads, and also when its layer, model,
 * Bidirectional or stack has a thread pool (gru_*_set_threadpool): the
 * pool's threads call it concurrently. */
typedef double (*gru_act_fn)(double x, void *user);

typedef struct gru_activation {
    gru_activation_kind kind;
    double alpha;     /* relu negative slope (0), leaky_relu (0.2), elu (1) */
    double max_value; /* relu cap; NAN or <0 means none                     */
    double threshold; /* relu threshold (0)                                 */
    gru_act_fn fn;    /* GRU_ACT_CUSTOM: the function                       */
    gru_act_fn deriv; /* GRU_ACT_CUSTOM: its derivative (may be NULL for
                         inference-only use)                                */
    void *user;       /* passed to fn and deriv                             */
} gru_activation;

/* Fill *out from a Keras name ("tanh", "hard_sigmoid", "silu", NULL or ""
 * -> linear, ...) with Keras' default options. GRU_E_NAME for an unknown
 * name. */
GRU_API gru_status gru_activation_from_name(const char *name, gru_activation *out);
/* Canonical Keras name of an activation kind ("custom" for callbacks). */
GRU_API const char *gru_activation_name(const gru_activation *act);
/* Apply along rows: x and y are (rows, n) of dtype; y may equal x.
 * Softmax and log_softmax normalise each row; others are element-wise. */
GRU_API gru_status gru_activation_apply(const gru_activation *act, gru_dtype dtype,
                                        size_t rows, size_t n, const void *x, void *y);
/* Vector-Jacobian product: given pre-activation x, output y = f(x) and the
 * upstream gradient dy, write dx = dy * df/dx (rows, n). Derivatives are the
 * ones TF's gradient registry gives (hard_sigmoid: 0.2 wherever the computed
 * 0.2x+0.5 lies in [0, 1], the edges x = +-2.5 included, 0 outside; relu: 0
 * at 0; elu: alpha at 0). A custom activation needs its deriv callback. */
GRU_API gru_status gru_activation_grad(const gru_activation *act, gru_dtype dtype,
                                       size_t rows, size_t n, const void *x,
                                       const void *y, const void *dy, void *dx);

/* ------------------------------------------------------------------------ */
/* Random numbers: one seeded generator, no global state.                    */
/* ------------------------------------------------------------------------ */
typedef struct gru_rng { uint64_t s[4]; } gru_rng;
GRU_API void gru_rng_seed(gru_rng *rng, uint64_t seed);
GRU_API uint64_t gru_rng_next(gru_rng *rng);
/* Uniform in [0, 1) with 53 random bits. */
GRU_API double gru_rng_uniform(gru_rng *rng);
/* Standard normal N(0, 1). */
GRU_API double gru_rng_normal(gru_rng *rng);

/* ------------------------------------------------------------------------ */
/* Initializers (tf-keras initializers, same distributions and fan rules).   */
/* ------------------------------------------------------------------------ */
typedef enum gru_init_kind {
    GRU_INIT_ZEROS = 0, GRU_INIT_ONES, GRU_INIT_CONSTANT,
    GRU_INIT_RANDOM_NORMAL, GRU_INIT_RANDOM_UNIFORM, GRU_INIT_TRUNCATED_NORMAL,
    GRU_INIT_VARIANCE_SCALING, /* glorot/he/lecun are presets of this */
    GRU_INIT_ORTHOGONAL, GRU_INIT_IDENTITY,
    GRU_INIT_COUNT_
} gru_init_kind;

typedef enum gru_fan_mode { GRU_FAN_IN = 0, GRU_FAN_OUT, GRU_FAN_AVG } gru_fan_mode;
typedef enum gru_distribution {
    GRU_DIST_TRUNCATED_NORMAL = 0, /* "truncated_normal" and "normal"       */
    GRU_DIST_UNTRUNCATED_NORMAL,   /* "untruncated_normal"                  */
    GRU_DIST_UNIFORM               /* "uniform"                             */
} gru_distribution;

typedef struct gru_initializer {
    gru_init_kind kind;
    double value;            /* constant                                    */
    double mean, stddev;     /* random_normal, truncated_normal             */
    double minval, maxval;   /* random_uniform                              */
    double scale;            /* variance_scaling (> 0)                      */
    gru_fan_mode mode;       /* variance_scaling                            */
    gru_distribution distribution; /* variance_scaling                      */
    double gain;             /* orthogonal, identity                        */
    uint64_t seed;           /* used when has_seed; else the cell's seed    */
    bool has_seed;
} gru_initializer;

/* Keras names and class names: "glorot_uniform", "GlorotUniform",
 * "he_normal", "orthogonal", "zeros"/"zero", "ones"/"one", "constant",
 * "random_normal"/"normal", "random_uniform"/"uniform", "truncated_normal",
 * "variance_scaling", "identity", ... with Keras' default options. */
GRU_API gru_status gru_initializer_from_name(const char *name, gru_initializer *out);
/* Fill data (dtype, shape[0..ndim-1], row-major) as Keras would for a
 * variable of that shape, drawing from rng. Keras' fan rules apply. */
GRU_API gru_status gru_initializer_fill(const gru_initializer *init, gru_rng *rng,
                                        gru_dtype dtype, size_t ndim,
                                        const size_t *shape, void *data);

/* ------------------------------------------------------------------------ */
/* Regularizers: a penalty of a weight (tf-keras regularizers).              */
/* ------------------------------------------------------------------------ */
typedef enum gru_reg_kind {
    GRU_REG_NONE = 0,
    GRU_REG_L1L2,       /* l1, l2, l1_l2 and L1L2: l1*sum|w| + l2*sum w^2 */
    GRU_REG_ORTHOGONAL  /* OrthogonalRegularizer(factor, mode)            */
} gru_reg_kind;
typedef enum gru_orth_mode { GRU_ORTH_ROWS = 0, GRU_ORTH_COLUMNS } gru_orth_mode;

typedef struct gru_regularizer {
    gru_reg_kind kind;
    double l1, l2;       /* L1L2                                          */
    double factor;       /* orthogonal                                    */
    gru_orth_mode mode;  /* orthogonal                                    */
    gru_dtype floatx;    /* Keras' floatx when the regularizer was built:
                            0 or GRU_F32 (Keras' default) rounds l1, l2 and
                            factor to float32 as Keras does; GRU_F64 (a
                            model built with floatx float64) keeps them  */
} gru_regularizer;

/* "l1", "l2", "l1_l2", "L1", "L2", "L1L2", "orthogonal_regularizer",
 * "OrthogonalRegularizer", NULL or "" -> none; Keras' default factors. */
GRU_API gru_status gru_regularizer_from_name(const char *name, gru_regularizer *out);
/* Penalty of a weight of dtype and shape, in double. GRU_E_SHAPE where Keras
 * raises (orthogonal on a tensor that is not rank 2). */
GRU_API gru_status gru_regularizer_penalty(const gru_regularizer *reg, gru_dtype dtype,
                                           size_t ndim, const size_t *shape,
                                           const void *w, double *penalty);
/* Gradient of the penalty, added (+=) into grad (same dtype and shape as w). */
GRU_API gru_status gru_regularizer_grad(const gru_regularizer *reg, gru_dtype dtype,
                                        size_t ndim, const size_t *shape,
                                        const void *w, void *grad);

/* ------------------------------------------------------------------------ */
/* Constraints: an in-place projection of a weight (tf-keras constraints).   */
/* ------------------------------------------------------------------------ */
typedef enum gru_constraint_kind {
    GRU_CONSTRAINT_NONE = 0, GRU_CONSTRAINT_MAX_NORM, GRU_CONSTRAINT_NON_NEG,
    GRU_CONSTRAINT_UNIT_NORM, GRU_CONSTRAINT_MIN_MAX_NORM, GRU_CONSTRAINT_RADIAL
} gru_constraint_kind;

typedef struct gru_constraint {
    gru_constraint_kind kind;
    double max_value;  /* max_norm (2), min_max_norm (1)                  */
    double min_value;  /* min_max_norm (0)                                */
    double rate;       /* min_max_norm (1)                                */
    int axis;          /* max_norm, unit_norm, min_max_norm (0); <0 counts
                          from the end as in Python                        */
} gru_constraint;

/* "max_norm"/"maxnorm"/"MaxNorm", "non_neg"/"nonneg"/"NonNeg",
 * "unit_norm"/"unitnorm"/"UnitNorm", "min_max_norm"/"MinMaxNorm",
 * "radial_constraint"/"RadialConstraint", NULL or "" -> none. */
GRU_API gru_status gru_constraint_from_name(const char *name, gru_constraint *out);
/* Project w in place. GRU_E_SHAPE where Keras raises (radial needs rank 4,
 * an axis out of range). */
GRU_API gru_status gru_constraint_apply(const gru_constraint *c, gru_dtype dtype,
                                        size_t ndim, const size_t *shape, void *w);

/* ------------------------------------------------------------------------ */
/* The cell.                                                                 */
/* ------------------------------------------------------------------------ */
typedef struct gru_cell_config {
    int64_t units;                    /* U > 0                                */
    int64_t input_dim;                /* F > 0 (Keras learns it in build)     */
    gru_dtype dtype;                  /* GRU_F32 (default) or GRU_F64         */
    gru_activation activation;        /* default tanh                         */
    gru_activation recurrent_activation; /* default hard_sigmoid (Keras 2)    */
    bool use_bias;                    /* default true                         */
    gru_initializer kernel_initializer;    /* default glorot_uniform          */
    gru_initializer recurrent_initializer; /* default orthogonal              */
    gru_initializer bias_initializer;      /* default zeros                   */
    gru_regularizer kernel_regularizer, recurrent_regularizer, bias_regularizer;
    gru_constraint kernel_constraint, recurrent_constraint, bias_constraint;
    double dropout;                   /* clipped to [0, 1] at create          */
    double recurrent_dropout;         /* clipped to [0, 1] at create          */
    bool reset_after;                 /* default false                        */
    int implementation;               /* default 1; any value != 1 is the
                                         fused mode 2; forced to 1 when
                                         recurrent_dropout != 0              */
    uint64_t seed;                    /* seeds initializers without a seed
                                         and the dropout RNG                 */
    int64_t max_batch;                /* rows of the dropout-mask cache
                                         (default 256); only reserved when a
                                         dropout rate is non-zero            */
    const char *kernel;               /* kernel variant ("scalar", "avx2",
                                         ...); NULL or "" (default): auto,
                                         see gru_cell_kernel_name            */
    gru_allocator allocator;          /* for gru_cell_create/free             */
} gru_cell_config;

/* Keras v1 defaults for the given units and input_dim. */
GRU_API gru_status gru_cell_config_init(gru_cell_config *cfg, int64_t units, int64_t input_dim);

typedef struct gru_cell gru_cell;

/* Bytes needed by gru_cell_init for this config (validates cfg). */
GRU_API gru_status gru_cell_size(const gru_cell_config *cfg, size_t *size);
/* Place a cell in mem (size bytes, aligned to 64 or at least to
 * max_align_t), initialise its weights with the configured initializers. The
 * cell keeps no pointer to cfg. Free nothing afterwards; just drop mem. */
GRU_API gru_status gru_cell_init(void *mem, size_t size, const gru_cell_config *cfg,
                                 gru_cell **out);
/* Allocate and init. Free with gru_cell_free. */
GRU_API gru_status gru_cell_create(const gru_cell_config *cfg, gru_cell **out);
/* NULL is a no-op. Only for cells from gru_cell_create. */
GRU_API void gru_cell_free(gru_cell *cell);
/* The message of the last failed call on this cell ("" if none). */
GRU_API const char *gru_cell_last_error(const gru_cell *cell);

/* The effective config (dropout clipped, implementation after forcing). */
GRU_API gru_status gru_cell_get_config(const gru_cell *cell, gru_cell_config *cfg);
GRU_API int64_t gru_cell_units(const gru_cell *cell);     /* state_size, output_size */
GRU_API int64_t gru_cell_input_dim(const gru_cell *cell);
GRU_API gru_dtype gru_cell_dtype(const gru_cell *cell);

/* Element counts of the weights: kernel F*3U, recurrent U*3U, bias 3U
 * (reset_after false), 6U (reset_after true, shape (2,3U)) or 0 (no bias). */
GRU_API gru_status gru_cell_weight_sizes(const gru_cell *cell, size_t *kernel,
                                         size_t *recurrent, size_t *bias);
/* Copy the weights out / in, in Keras layout, converting to/from dtype.
 * bias may be NULL only when use_bias is false. */
GRU_API gru_status gru_cell_get_weights(const gru_cell *cell, gru_dtype dtype, void *kernel,
                                        void *recurrent_kernel, void *bias);
GRU_API gru_status gru_cell_set_weights(gru_cell *cell, gru_dtype dtype, const void *kernel,
                                        const void *recurrent_kernel, const void *bias);
/* Re-run the initializers, drawing from a generator seeded with seed. */
GRU_API gru_status gru_cell_reset_weights(gru_cell *cell, uint64_t seed);

/* Penalties of the cell's regularizers on the current weights, as Keras'
 * cell.losses: out[0] kernel, out[1] recurrent_kernel, out[2] bias (0 where
 * no regularizer or no bias). *total gets their sum. Either may be NULL. */
GRU_API gru_status gru_cell_losses(const gru_cell *cell, double out[3], double *total);
/* Add the gradients of the cell's regularizer penalties into grads (the
 * layout of gru_cell_grads, declared with the backward pass below). */
struct gru_cell_grads;
GRU_API gru_status gru_cell_regularizer_grads(const gru_cell *cell,
                                              const struct gru_cell_grads *grads);
/* Apply the configured constraints to the weights in place. */
GRU_API gru_status gru_cell_apply_constraints(gru_cell *cell);

/* Keras' `training` argument: None resolves to the learning phase, which
 * is 0 outside fit, so it behaves as false. */
typedef enum gru_training {
    GRU_TRAINING_NONE = -1, GRU_TRAINING_FALSE = 0, GRU_TRAINING_TRUE = 1
} gru_training;

/* Workspace bytes gru_cell_call needs for a batch (it is held by the cell
 * for batch <= max_batch, so no workspace argument is needed; see
 * gru_cell_call_ws for caller-owned workspaces of any batch). */
GRU_API gru_status gru_cell_workspace_size(const gru_cell *cell, int64_t batch, size_t *bytes);

/* One step: x (B, F), h (B, U) -> h_new (B, U) (= output = new state).
 * Dropout masks are taken from the cache, drawn if it is empty (see below),
 * exactly as Keras' cell.call. h_new may alias h. Never allocates. Uses the
 * cell's internal workspace, so batch must be <= max_batch; use
 * gru_cell_call_ws for larger batches. */
GRU_API gru_status gru_cell_call(gru_cell *cell, gru_dtype dtype, int64_t batch, const void *x,
                                 const void *h, gru_training training, void *h_new);
/* The same with a caller-owned workspace of at least gru_cell_workspace_size
 * bytes, aligned at least as a double. */
GRU_API gru_status gru_cell_call_ws(gru_cell *cell, gru_dtype dtype, int64_t batch,
                                    const void *x, const void *h, gru_training training,
                                    void *h_new, void *workspace, size_t ws_bytes);

/* get_initial_state: zeros (B, U) written to state. */
GRU_API gru_status gru_cell_get_initial_state(const gru_cell *cell, gru_dtype dtype,
                                              int64_t batch, void *state);

/* ---- The four dropout-mask methods (DropoutRNNCellMixin) ----------------
 * get_dropout_mask_for_cell(inputs, training, count): if dropout == 0,
 * *has_mask = false and nothing is written (Keras returns None). Otherwise
 * the cached masks are returned, or drawn first if the cache is empty: each
 * element is 0 with probability `dropout`, else 1/(1-dropout) (computed in
 * float32 as TF does); when training is false the cached masks are all ones.
 * As in Keras, neither `training` nor `batch` is part of the cache key: a
 * cached mask is reused until reset. A cached mask of another batch size is
 * GRU_E_SHAPE. count is 1..3; masks are written to out as count arrays of
 * (B, F) (recurrent: (B, U)); out may be NULL to fill the cache only. */
GRU_API gru_status gru_cell_get_dropout_mask(gru_cell *cell, gru_dtype dtype, int64_t batch,
                                             gru_training training, int count, void *out,
                                             bool *has_mask);
GRU_API gru_status gru_cell_get_recurrent_dropout_mask(gru_cell *cell, gru_dtype dtype,
                                                       int64_t batch, gru_training training,
                                                       int count, void *out, bool *has_mask);
GRU_API gru_status gru_cell_reset_dropout_mask(gru_cell *cell);
GRU_API gru_status gru_cell_reset_recurrent_dropout_mask(gru_cell *cell);
/* Put caller-made masks in the cache (3 arrays of (B, F), or (B, U) for the
 * recurrent ones), e.g. masks recorded from Keras; the next calls use them
 * until reset. Values are used as given. */
GRU_API gru_status gru_cell_set_dropout_mask(gru_cell *cell, gru_dtype dtype, int64_t batch,
                                             const void *masks);
GRU_API gru_status gru_cell_set_recurrent_dropout_mask(gru_cell *cell, gru_dtype dtype,
                                                       int64_t batch, const void *masks);

/* ------------------------------------------------------------------------ */
/* The layer: tf.compat.v1.keras.layers.GRU / RNN(GRUCell) over sequences.   */
/* ------------------------------------------------------------------------ */
typedef struct gru_layer_config {
    gru_cell_config cell;       /* the cell, every GRUCell argument           */
    bool return_sequences;      /* output (B,T,U) instead of (B,U)            */
    bool return_state;          /* the caller must take the final state       */
    bool go_backwards;          /* process time reversed; outputs come in
                                   processing order, as Keras returns them    */
    bool stateful;              /* carry the final state into the next call   */
    bool time_major;            /* x (T,B,F), mask (T,B), output (T,B,U)      */
    bool zero_output_for_mask;  /* masked steps output 0 (else the previous
                                   output, which starts at 0)                 */
    bool unroll;                /* accepted; no numeric effect                */
    int64_t batch_size;         /* required (> 0) when stateful, as Keras'
                                   fixed batch size; else 0 = any batch       */
} gru_layer_config;

/* Keras v1 GRU layer defaults (all flags false) for units and input_dim. */
GRU_API gru_status gru_layer_config_init(gru_layer_config *cfg, int64_t units, int64_t input_dim);

/* One batch of sequences. */
typedef struct gru_seq {
    int64_t batch, steps;       /* B >= 1, T >= 1                             */
    const void *x;              /* (B,T,F), or (T,B,F) when time_major        */
    const uint8_t *mask;        /* (B,T) (or (T,B) when time_major), non-zero
                                   = step is valid; NULL = no mask           */
    const int64_t *lengths;     /* (B) valid steps per sample, right-padded;
                                   becomes a mask; NULL = none. Not together
                                   with mask.                                */
} gru_seq;

/* Per-call options and results of one directional layer. Any field may be
 * NULL. */
typedef struct gru_layer_io {
    const void *initial_state;  /* (B,U); NULL = zeros, or the stored state of
                                   a stateful layer. A stateful layer given
                                   one uses its stored state if that is
                                   non-zero anywhere (Keras' rule).           */
    const void *dropout_masks;  /* 3 x (B,F): use these instead of drawing
                                   (only when training is true and the rate
                                   is active), e.g. masks recorded in Keras   */
    const void *recurrent_dropout_masks; /* 3 x (B,U), likewise               */
    void *state_out;            /* (B,U): the final state (required when
                                   return_state)                             */
} gru_layer_io;

typedef struct gru_layer gru_layer;

GRU_API gru_status gru_layer_size(const gru_layer_config *cfg, size_t *size);
GRU_API gru_status gru_layer_init(void *mem, size_t size, const gru_layer_config *cfg,
                                  gru_layer **out);
GRU_API gru_status gru_layer_create(const gru_layer_config *cfg, gru_layer **out);
GRU_API void gru_layer_free(gru_layer *layer);
GRU_API const char *gru_layer_last_error(const gru_layer *layer);
GRU_API gru_status gru_layer_get_config(const gru_layer *layer, gru_layer_config *cfg);
/* The layer's cell (weights, config); owned by the layer. NULL if invalid. */
GRU_API gru_cell *gru_layer_cell(gru_layer *layer);

/* Workspace bytes for a forward call of this batch and length. */
GRU_API gru_status gru_layer_workspace_size(const gru_layer *layer, int64_t batch,
                                            int64_t steps, size_t *bytes);
/* Run the layer over in->x, as Keras' RNN.call: the cell's dropout masks are
 * reset and drawn once for the whole call (or taken from io), the input
 * projections of all steps are computed first, then the recurrence runs
 * step by step with the mask carry-over rule. output is (B,T,U) ((T,B,U)
 * when time_major) if return_sequences, else (B,U). Never allocates. */
GRU_API gru_status gru_layer_forward(gru_layer *layer, gru_dtype dtype, const gru_seq *in,
                                     const gru_layer_io *io, gru_training training,
                                     void *output, void *workspace, size_t ws_bytes);
/* Stateful layers: reset the stored state to zeros (states NULL) or to
 * states (batch_size, U); read it. */
GRU_API gru_status gru_layer_reset_states(gru_layer *layer, gru_dtype dtype, const void *states);
GRU_API gru_status gru_layer_get_states(const gru_layer *layer, gru_dtype dtype, void *states);

/* ------------------------------------------------------------------------ */
/* Bidirectional(GRU).                                                       */
/* ------------------------------------------------------------------------ */
typedef enum gru_merge_mode {
    GRU_MERGE_CONCAT = 0, /* [fwd, bwd] on the last axis: width 2U          */
    GRU_MERGE_SUM,        /* fwd + bwd                                       */
    GRU_MERGE_MUL,        /* fwd * bwd                                       */
    GRU_MERGE_AVE,        /* (fwd + bwd) / 2                                 */
    GRU_MERGE_NONE        /* two outputs: fwd and bwd                        */
} gru_merge_mode;

typedef struct gru_bidirectional_config {
    gru_layer_config layer;           /* the wrapped (forward) layer         */
    bool has_backward_layer;          /* false: the backward layer is `layer`
                                         with go_backwards flipped           */
    gru_layer_config backward_layer;  /* must differ in go_backwards and
                                         agree in stateful, return_sequences,
                                         return_state                         */
    gru_merge_mode merge_mode;        /* default concat                      */
} gru_bidirectional_config;

GRU_API gru_status gru_bidirectional_config_init(gru_bidirectional_config *cfg, int64_t units,
                                                 int64_t input_dim);
typedef struct gru_bidirectional gru_bidirectional;
GRU_API gru_status gru_bidirectional_create(const gru_bidirectional_config *cfg,
                                            gru_bidirectional **out);
GRU_API void gru_bidirectional_free(gru_bidirectional *bi);
GRU_API const char *gru_bidirectional_last_error(const gru_bidirectional *bi);
/* The two directional layers (owned by bi): 0 forward, 1 backward. */
GRU_API gru_layer *gru_bidirectional_layer(gru_bidirectional *bi, int which);
/* Width of the merged output's last axis (2U for concat, U otherwise). */
GRU_API int64_t gru_bidirectional_output_width(const gru_bidirectional *bi);
GRU_API gru_status gru_bidirectional_workspace_size(const gru_bidirectional *bi, int64_t batch,
                                                    int64_t steps, size_t *bytes);
/* As Keras' Bidirectional.call: both layers see the same input and mask;
 * with return_sequences the backward output is reversed in time before the
 * merge. io[0] and io[1] (either may be NULL) are the forward and backward
 * layers' options and states. output: merged (B,T,W) or (B,W); with
 * GRU_MERGE_NONE, output gets the forward and output_backward the backward
 * result (else output_backward must be NULL). */
GRU_API gru_status gru_bidirectional_forward(gru_bidirectional *bi, gru_dtype dtype,
                                             const gru_seq *in, const gru_layer_io io[2],
                                             gru_training training, void *output,
                                             void *output_backward, void *workspace,
                                             size_t ws_bytes);
GRU_API gru_status gru_bidirectional_reset_states(gru_bidirectional *bi);

/* ------------------------------------------------------------------------ */
/* Stacks: layers feeding each other, as a Keras Sequential of RNN layers.   */
/* ------------------------------------------------------------------------ */
typedef struct gru_stack_entry {
    bool bidirectional;               /* which of the two configs is used    */
    gru_layer_config layer;
    gru_bidirectional_config bi;
} gru_stack_entry;

typedef struct gru_stack gru_stack;
/* Every entry but the last must have return_sequences; entry i+1's
 * input_dim must equal entry i's output width. The mask is propagated to
 * every layer, as Keras does for return_sequences layers. */
GRU_API gru_status gru_stack_create(const gru_stack_entry *entries, size_t n, gru_stack **out);
GRU_API void gru_stack_free(gru_stack *stack);
GRU_API const char *gru_stack_last_error(const gru_stack *stack);
GRU_API size_t gru_stack_count(const gru_stack *stack);
/* Entry i's layer (NULL when it is bidirectional) or bidirectional wrapper. */
GRU_API gru_layer *gru_stack_layer(gru_stack *stack, size_t i);
GRU_API gru_bidirectional *gru_stack_bidirectional(gru_stack *stack, size_t i);
/* Width of the stack's output's last axis. */
GRU_API int64_t gru_stack_output_width(const gru_stack *stack);
GRU_API gru_status gru_stack_workspace_size(const gru_stack *stack, int64_t batch, int64_t steps,
                                            size_t *bytes);
/* Run all entries; output is the last entry's output. */
GRU_API gru_status gru_stack_forward(gru_stack *stack, gru_dtype dtype, const gru_seq *in,
                                     gru_training training, void *output, void *workspace,
                                     size_t ws_bytes);

/* ------------------------------------------------------------------------ */
/* Training: the backward pass (through time).                               */
/* ------------------------------------------------------------------------ */
/* Gradients of one cell's weights, in the weights' layout and the cell's
 * dtype: kernel (F,3U), recurrent_kernel (U,3U), bias (3U) or (2,3U) (NULL
 * without bias). Backward calls ADD into them (+=): zero them first
 * (gru_cell_grads_zero) and they can collect several calls. */
typedef struct gru_cell_grads {
    void *kernel;
    void *recurrent_kernel;
    void *bias;
} gru_cell_grads;

/* Zero the three arrays (sizes from gru_cell_weight_sizes). */
GRU_API gru_status gru_cell_grads_zero(const gru_cell *cell, const gru_cell_grads *grads);

/* Backward of one gru_cell_call with the same x, h and cached dropout masks
 * (call it after the forward call, before the masks are reset): given
 * d_h_new (B,U), add the weight gradients into grads and write d_x (B,F) and
 * d_h (B,U) (either may be NULL). Training-mode masks are applied as in the
 * forward call. Uses the cell's own scratch; never allocates. */
GRU_API gru_status gru_cell_backward(gru_cell *cell, gru_dtype dtype, int64_t batch,
                                     const void *x, const void *h, gru_training training,
                                     const void *d_h_new, void *d_x, void *d_h,
                                     const gru_cell_grads *grads);

/* Bytes of the tape a training forward of this batch and length records
 * (it also serves as that call's workspace). */
GRU_API gru_status gru_layer_tape_size(const gru_layer *layer, int64_t batch, int64_t steps,
                                       size_t *bytes);
/* gru_layer_forward that also records, in tape, what gru_layer_backward
 * needs (states, gates, pre-activations, this call's dropout masks). */
GRU_API gru_status gru_layer_forward_train(gru_layer *layer, gru_dtype dtype, const gru_seq *in,
                                           const gru_layer_io *io, gru_training training,
                                           void *output, void *tape, size_t tape_bytes);
/* Bytes of workspace gru_layer_backward needs. */
GRU_API gru_status gru_layer_backward_workspace_size(const gru_layer *layer, int64_t batch,
                                                     int64_t steps, size_t *bytes);
/* Backpropagation through time of the recorded forward (same in, same
 * layer, tape untouched since): d_output has the output's shape; d_state
 * (B,U) is the gradient of the final state (return_state; NULL = 0).
 * Writes d_x (x's shape) and d_initial_state (B,U) (either may be NULL) and
 * adds the weight gradients into grads. Masked steps pass gradients as
 * Keras' carry-over rule implies. Never allocates. */
GRU_API gru_status gru_layer_backward(gru_layer *layer, gru_dtype dtype, const gru_seq *in,
                                      const void *tape, const void *d_output,
                                      const void *d_state, void *d_x, void *d_initial_state,
                                      const gru_cell_grads *grads, void *workspace,
                                      size_t ws_bytes);

/* Bidirectional: the same pattern. The tape (caller-owned, 64-byte aligned)
 * holds both layers' tapes and the two directional outputs (the merge 'mul'
 * needs them); it also serves as the forward call's workspace. */
GRU_API gru_status gru_bidirectional_tape_size(const gru_bidirectional *bi, int64_t batch,
                                               int64_t steps, size_t *bytes);
/* gru_bidirectional_forward that also records, in tape, what
 * gru_bidirectional_backward needs. Never allocates. */
GRU_API gru_status gru_bidirectional_forward_train(gru_bidirectional *bi, gru_dtype dtype,
                                                   const gru_seq *in, const gru_layer_io io[2],
                                                   gru_training training, void *output,
                                                   void *output_backward, void *tape,
                                                   size_t tape_bytes);
GRU_API gru_status gru_bidirectional_backward_workspace_size(const gru_bidirectional *bi,
                                                             int64_t batch, int64_t steps,
                                                             size_t *bytes);
/* Backward of the recorded forward (same in, tape untouched since).
 * d_output has output's shape; with GRU_MERGE_NONE d_output_backward has
 * output_backward's (required), else it must be NULL. The merge is undone
 * (concat: split; sum: both get d; ave: both get d/2; mul: d*y_bwd to the
 * forward and d*y_fwd to the backward layer) and, with return_sequences, the
 * backward layer's gradient is reversed in time into its processing order.
 * d_states (NULL, or entries NULL = 0): gradients of the two final states
 * (B,U). Writes d_x (x's shape; the sum of both layers' input gradients) and
 * d_initial_states[k] (B,U) (d_x, d_initial_states and its entries may be
 * NULL). grads[0] / grads[1] (the forward / backward layer's cell) are added
 * into. workspace: gru_bidirectional_backward_workspace_size bytes, 64-byte
 * aligned. Never allocates. */
GRU_API gru_status gru_bidirectional_backward(gru_bidirectional *bi, gru_dtype dtype,
                                              const gru_seq *in, const void *tape,
                                              const void *d_output, const void *d_output_backward,
                                              const void *const d_states[2], void *d_x,
                                              void *const d_initial_states[2],
                                              const gru_cell_grads grads[2], void *workspace,
                                              size_t ws_bytes);

/* Stacks: the tape holds every entry's tape and every intermediate sequence
 * (entry i's output, the input of entry i+1), which backward reads again. */
GRU_API gru_status gru_stack_tape_size(const gru_stack *stack, int64_t batch, int64_t steps,
                                       size_t *bytes);
/* gru_stack_forward that also records, in tape (caller-owned, 64-byte
 * aligned; it is also the call's workspace), what gru_stack_backward needs.
 * Never allocates. */
GRU_API gru_status gru_stack_forward_train(gru_stack *stack, gru_dtype dtype, const gru_seq *in,
                                           gru_training training, void *output, void *tape,
                                           size_t tape_bytes);
GRU_API gru_status gru_stack_backward_workspace_size(const gru_stack *stack, int64_t batch,
                                                     int64_t steps, size_t *bytes);
/* Backward of the recorded forward (same in, tape untouched since):
 * d_output has output's shape; writes d_x (x's shape, NULL ok). grads holds
 * one gru_cell_grads per directional layer, in order: entry 0 (its forward
 * then backward layer if bidirectional), entry 1, ...; each is added into.
 * workspace: gru_stack_backward_workspace_size bytes, 64-byte aligned.
 * Never allocates. */
GRU_API gru_status gru_stack_backward(gru_stack *stack, gru_dtype dtype, const gru_seq *in,
                                      const void *tape, const void *d_output, void *d_x,
                                      const gru_cell_grads *grads, void *workspace,
                                      size_t ws_bytes);

/* ------------------------------------------------------------------------ */
/* Optimizers: tf-keras 2.21's (new, non-legacy) SGD, Adam, RMSprop, Adagrad. */
/* ------------------------------------------------------------------------ */
/* One optimizer updates a fixed list of variables (flat arrays of the
 * optimizer's dtype), one gru_optimizer_apply per Keras apply_gradients:
 *   1. gradient clipping (first of these that is > 0 wins, as Keras:
 *      clipnorm, per variable: g*c / max(||g||, c), applied even when
 *      ||g|| <= c; global_clipnorm: g * c*min(1/N, 1/c), N the global norm;
 *      clipvalue: min(max(g, -c), c) -- ignored when a norm clip is set);
 *   2. decoupled weight decay (weight_decay > 0): w -= w*wd*lr;
 *   3. the algorithm's update of every variable, with step t = iterations+1;
 *   4. iterations += 1, then each variable's constraint (if set).
 * Arithmetic is TF's, in the dtype, in TF's operation order. For float64
 * variables TF rounds some hyperparameters through float32: the learning
 * rate (a float32 variable when Keras' floatx is float32: lr_dtype), and
 * whatever Keras passes through tf.cast (SGD momentum, Adam's beta_1/beta_2
 * in beta^t, weight_decay); libgru does the same. Update rules (g the
 * clipped gradient; constants in the dtype):
 *   SGD:     m = -g*lr + m*momentum;  w += nesterov ? -g*lr + m*momentum : m
 *   Adam:    a = lr*sqrt(1-b2^t)/(1-b1^t); m += (g-m)*(1-b1);
 *            v += (g*g-v)*(1-b2); amsgrad: vhat = max(vhat, v), v = vhat;
 *            w -= (m*a)/(sqrt(v) + eps)  (eps*sqrt(1-b2^t) if adaptive)
 *   RMSprop: vel = rho*vel + (1-rho)*g*g; centered: ag = rho*ag + (1-rho)*g,
 *            d = vel - ag*ag + eps, else d = vel + eps; inc = lr*g/sqrt(d);
 *            momentum > 0: mom = momentum*mom + inc, w -= mom; else w -= inc
 *   Adagrad: acc += g*g (acc starts at initial_accumulator_value);
 *            w -= lr*g / sqrt(acc + eps)
 * Off values: clipnorm, clipvalue, global_clipnorm and weight_decay are off
 * when 0 (Keras' None). */
typedef enum gru_optimizer_kind {
    GRU_OPT_SGD = 0, GRU_OPT_ADAM, GRU_OPT_RMSPROP, GRU_OPT_ADAGRAD
} gru_optimizer_kind;

typedef struct gru_optimizer_config {
    gru_optimizer_kind kind;
    double learning_rate;    /* > 0, finite. SGD 0.01, others 0.001         */
    double momentum;         /* SGD, RMSprop: in [0, 1] (0)                 */
    bool nesterov;           /* SGD (false)                                 */
    double beta_1, beta_2;   /* Adam: in [0, 1) (0.9, 0.999)                */
    double epsilon;          /* Adam, RMSprop, Adagrad: >= 0 (1e-7)         */
    bool amsgrad;            /* Adam (false)                                */
    bool adaptive_epsilon;   /* Adam (false): eps*sqrt(1-b2^t)              */
    double rho;              /* RMSprop: in [0, 1) (0.9)                    */
    bool centered;           /* RMSprop (false)                             */
    double initial_accumulator_value; /* Adagrad: >= 0 (0.1)                */
    double clipnorm;         /* >= 0; 0 = off. Not with global_clipnorm    */
    double clipvalue;        /* >= 0; 0 = off                               */
    double global_clipnorm;  /* >= 0; 0 = off                               */
    double weight_decay;     /* >= 0; 0 = off                               */
    gru_dtype lr_dtype;      /* dtype of Keras' learning-rate variable
                                (floatx): GRU_F32 (default) rounds lr through
                                float32 for float64 variables; GRU_F64 does
                                not (floatx float64)                        */
    gru_allocator allocator; /* for gru_optimizer_create/free               */
} gru_optimizer_config;

/* Keras' defaults for kind (all clipping and weight decay off). */
GRU_API gru_status gru_optimizer_config_init(gru_optimizer_config *cfg, gru_optimizer_kind kind);

typedef struct gru_optimizer gru_optimizer;

/* Bytes gru_optimizer_init needs for n_vars variables of var_sizes[i]
 * elements (validates everything). */
GRU_API gru_status gru_optimizer_size(const gru_optimizer_config *cfg, gru_dtype dtype,
                                      size_t n_vars, const size_t *var_sizes, size_t *size);
/* Place an optimizer in mem (aligned at least to max_align_t). Its state
 * (slots, scratch for clipped gradients) is all inside. */
GRU_API gru_status gru_optimizer_init(void *mem, size_t size, const gru_optimizer_config *cfg,
                                      gru_dtype dtype, size_t n_vars, const size_t *var_sizes,
                                      gru_optimizer **out);
GRU_API gru_status gru_optimizer_create(const gru_optimizer_config *cfg, gru_dtype dtype,
                                        size_t n_vars, const size_t *var_sizes,
                                        gru_optimizer **out);
/* NULL is a no-op. Only for optimizers from gru_optimizer_create. */
GRU_API void gru_optimizer_free(gru_optimizer *opt);
GRU_API const char *gru_optimizer_last_error(const gru_optimizer *opt);
GRU_API gru_status gru_optimizer_get_config(const gru_optimizer *opt, gru_optimizer_config *cfg);

/* A constraint for variable var (shape: ndim <= 8 dims whose product is
 * its size), applied after every update as Keras does; kind NONE clears. */
GRU_API gru_status gru_optimizer_set_constraint(gru_optimizer *opt, size_t var,
                                                const gru_constraint *c, size_t ndim,
                                                const size_t *shape);

/* One step (Keras' apply_gradients) over all n_vars variables: vars[i] and
 * grads[i] have var_sizes[i] elements of dtype; grads are only read. A
 * non-finite gradient is GRU_E_NUMERIC (naming the variable and element)
 * and nothing is changed. Never allocates. */
GRU_API gru_status gru_optimizer_apply(gru_optimizer *opt, gru_dtype dtype, size_t n_vars,
                                       void *const *vars, const void *const *grads);
/* Steps applied so far (Keras' optimizer.iterations); -1 if opt is invalid. */
GRU_API int64_t gru_optimizer_iterations(const gru_optimizer *opt);
/* Keras' optimizer.learning_rate = lr (> 0, finite). */
GRU_API gru_status gru_optimizer_set_learning_rate(gru_optimizer *opt, double lr);
/* Zero iterations and every slot (Adagrad's accumulators back to
 * initial_accumulator_value), as a freshly built Keras optimizer. */
GRU_API gru_status gru_optimizer_reset(gru_optimizer *opt);

/* Keras' slot variables, by their Keras names: "m" (SGD, Adam), "v",
 * "vhat" (Adam with amsgrad), "velocity", "momentum" (RMSprop with
 * momentum > 0), "average_gradient" (centered RMSprop), "accumulator"
 * (Adagrad). Copy slot `name` of variable var out of / into the optimizer
 * (var_sizes[var] elements of dtype). GRU_E_NAME if this optimizer has no
 * such slot. */
GRU_API gru_status gru_optimizer_get_slot(const gru_optimizer *opt, const char *name,
                                          size_t var, gru_dtype dtype, void *out);
GRU_API gru_status gru_optimizer_set_slot(gru_optimizer *opt, const char *name, size_t var,
                                          gru_dtype dtype, const void *in);

/* ------------------------------------------------------------------------ */
/* Training around the GRU: a Dense head, losses, shuffling, a fit loop.     */
/* ------------------------------------------------------------------------ */
#include <stdio.h> /* FILE, for the fit loop's progress output */

/* tf_keras.layers.Dense: y = activation(x·kernel + bias), kernel (F, U),
 * bias (U). Applied to (rows, F) inputs; a (B, T, F) sequence is rows = B*T,
 * as Keras applies Dense to the last axis. */
typedef struct gru_dense_config {
    int64_t units;                    /* U > 0                                */
    int64_t input_dim;                /* F > 0                                */
    gru_dtype dtype;                  /* GRU_F32 (default) or GRU_F64         */
    gru_activation activation;        /* default linear                       */
    bool use_bias;                    /* default true                         */
    gru_initializer kernel_initializer; /* default glorot_uniform             */
    gru_initializer bias_initializer;   /* default zeros                      */
    gru_regularizer kernel_regularizer, bias_regularizer; /* default none     */
    gru_constraint kernel_constraint, bias_constraint;    /* default none     */
    uint64_t seed;                    /* seeds initializers without a seed    */
    gru_allocator allocator;          /* for create/free                      */
} gru_dense_config;

typedef struct gru_dense gru_dense;
/* Weight gradients, same layout and dtype as the weights (bias NULL without
 * bias). Backward ADDS into them. */
typedef struct gru_dense_grads { void *kernel; void *bias; } gru_dense_grads;

GRU_API gru_status gru_dense_config_init(gru_dense_config *cfg, int64_t units, int64_t input_dim);
GRU_API gru_status gru_dense_create(const gru_dense_config *cfg, gru_dense **out);
GRU_API void gru_dense_free(gru_dense *d);
GRU_API const char *gru_dense_last_error(const gru_dense *d);
GRU_API gru_status gru_dense_get_config(const gru_dense *d, gru_dense_config *cfg);
GRU_API gru_status gru_dense_get_weights(const gru_dense *d, gru_dtype dtype, void *kernel,
                                         void *bias);
GRU_API gru_status gru_dense_set_weights(gru_dense *d, gru_dtype dtype, const void *kernel,
                                         const void *bias);
/* The weights themselves (owned by d, its dtype), for optimizers that update
 * in place. bias is NULL without bias. */
GRU_API gru_status gru_dense_params(gru_dense *d, void **kernel, void **bias);
GRU_API gru_status gru_dense_grads_zero(const gru_dense *d, const gru_dense_grads *grads);
/* x (rows, F) -> y (rows, U). pre (rows, U), may be NULL: receives the
 * pre-activation x·kernel + bias that gru_dense_backward needs (not needed
 * when the activation is linear). y may alias pre. Never allocates. */
GRU_API gru_status gru_dense_forward(gru_dense *d, gru_dtype dtype, size_t rows, const void *x,
                                     void *y, void *pre);
/* Given x, pre and y of a forward call and dy (rows, U): write dx (rows, F;
 * NULL ok) and add the kernel/bias gradients into grads (NULL ok). pre may be
 * NULL for a linear activation. Uses the handle's scratch; never allocates. */
GRU_API gru_status gru_dense_backward(gru_dense *d, gru_dtype dtype, size_t rows, const void *x,
                                      const void *pre, const void *y, const void *dy, void *dx,
                                      const gru_dense_grads *grads);
/* Regularizer penalties (out[0] kernel, out[1] bias; either pointer NULL
 * ok), their gradients added into grads, and the constraints applied. */
GRU_API gru_status gru_dense_losses(const gru_dense *d, double out[2], double *total);
GRU_API gru_status gru_dense_regularizer_grads(const gru_dense *d, const gru_dense_grads *grads);
GRU_API gru_status gru_dense_apply_constraints(gru_dense *d);

/* Losses, as tf_keras.losses' classes called on (rows, n) tensors. Each row
 * gives one loss value (MSE/BCE: the mean over n; CCE: the sum over the n
 * classes), then the reduction. Arithmetic follows tf-keras/TF: BCE and CCE
 * clip probabilities to [eps, 1-eps] with eps = backend.epsilon() = 1e-7
 * (in the dtype), BCE takes log(p + eps) and log(1 - p + eps), CCE first
 * divides p by its row sum; from_logits uses TF's fused logistic/softmax
 * cross-entropy. Gradients are TF's (clip passes the gradient on the closed
 * interval; the softmax kernels give softmax - labels). */
typedef enum gru_loss_kind {
    GRU_LOSS_MSE = 0,         /* MeanSquaredError                             */
    GRU_LOSS_BCE,             /* BinaryCrossentropy                           */
    GRU_LOSS_CCE,             /* CategoricalCrossentropy (one-hot y_true)     */
    GRU_LOSS_SPARSE_CCE       /* SparseCategoricalCrossentropy: y_true (rows)
                                 holds class indices as values of the call's
                                 dtype, each an integer in [0, n)           */
} gru_loss_kind;
typedef enum gru_reduction {
    GRU_REDUCTION_SUM_OVER_BATCH_SIZE = 0, /* sum / rows (Keras' default)    */
    GRU_REDUCTION_SUM,                     /* sum over rows                  */
    GRU_REDUCTION_NONE                     /* per-row losses; *loss = sum    */
} gru_reduction;
typedef struct gru_loss_config {
    gru_loss_kind kind;
    bool from_logits;         /* BCE, CCE, sparse CCE (default false)         */
    double label_smoothing;   /* BCE, CCE: in [0, 1] (default 0)              */
    gru_reduction reduction;
} gru_loss_config;

GRU_API gru_status gru_loss_config_init(gru_loss_config *cfg, gru_loss_kind kind);
/* y_true (rows, n) ((rows) for sparse CCE), y_pred (rows, n), sample_weight
 * (rows) or NULL, all of dtype. *loss: the reduced loss (NULL ok); per_row
 * (rows, NULL ok): each row's weighted loss; d_pred (rows, n, NULL ok): the
 * gradient of *loss with respect to y_pred. Never allocates. GRU_E_NUMERIC
 * when the loss is NaN or infinite (the outputs are still written). */
GRU_API gru_status gru_loss(const gru_loss_config *cfg, gru_dtype dtype, size_t rows, size_t n,
                            const void *y_true, const void *y_pred, const void *sample_weight,
                            double *loss, double *per_row, void *d_pred);

/* Fisher-Yates shuffle: perm becomes a permutation of 0..n-1 drawn from rng
 * (same seed, same permutation on every platform). */
GRU_API gru_status gru_shuffle(gru_rng *rng, size_t n, size_t *perm);

/* The fit loop, as Keras' Model.fit: per epoch, optionally shuffle, cut the
 * samples into mini-batches of batch_size (the last may be smaller), call
 * `step` on each, and report the epoch loss = the mean of the batch losses
 * weighted by batch size (Keras' loss tracker). Samples are rows of x
 * (x_size elements each, e.g. T*F) and y (y_size elements each). */
typedef struct gru_fit_data {
    gru_dtype dtype;
    size_t n;                 /* training samples (> 0)                       */
    size_t x_size, y_size;    /* elements per sample of x and y (> 0)         */
    const void *x, *y;        /* (n, x_size), (n, y_size)                     */
    size_t n_val;             /* validation samples (0 = none)                */
    const void *x_val, *y_val;/* (n_val, x_size), (n_val, y_size)             */
} gru_fit_data;

/* One training step on a gathered mini-batch: forward, loss, backward and the
 * optimizer update. Writes the batch's (reduced) loss. Must not allocate if
 * the whole loop is to stay allocation-free. A non-OK status stops fit. */
typedef gru_status (*gru_fit_step_fn)(void *user, size_t batch, const void *x, const void *y,
                                      double *loss);
/* Loss of a batch without updating (validation). */
typedef gru_status (*gru_fit_eval_fn)(void *user, size_t batch, const void *x, const void *y,
                                      double *loss);

typedef struct gru_fit_config {
    int64_t epochs;           /* > 0 (default 1)                              */
    int64_t batch_size;       /* > 0 (default 32)                             */
    bool shuffle;             /* reshuffle every epoch (default true)         */
    uint64_t seed;            /* shuffle seed                                 */
    FILE *progress;           /* progress bar and epoch lines; NULL = silent  */
    int verbose;              /* 1 = bar + epoch line, 2 = epoch line only    */
} gru_fit_config;

GRU_API gru_status gru_fit_config_init(gru_fit_config *cfg);
/* Workspace of gru_fit: the permutation and one gathered batch of x and y. */
GRU_API gru_status gru_fit_workspace_size(const gru_fit_config *cfg, const gru_fit_data *data,
                                          size_t *bytes);
/* Run the loop. epoch_loss and val_loss (epochs each, NULL ok) receive the
 * per-epoch training and validation losses (val_loss needs eval and
 * validation data; NaN where absent). A NaN or infinite batch loss stops with
 * GRU_E_NUMERIC naming the epoch and batch. *epochs_done (NULL ok) counts the
 * completed epochs. Never allocates. */
GRU_API gru_status gru_fit(const gru_fit_config *cfg, const gru_fit_data *data,
                           gru_fit_step_fn step, gru_fit_eval_fn eval, void *user,
                           void *workspace, size_t ws_bytes, double *epoch_loss,
                           double *val_loss, int64_t *epochs_done);

/* A GRU layer with a Dense head, as a Keras Sequential([GRU, Dense]), in the
 * shape gru_fit drives: pass gru_seq_model_step / gru_seq_model_eval as step
 * and eval and the model as user. Samples: x (T, F) (x_size = T*F; the layer
 * must not be time_major), y (y_size = Uo, or T*Uo when the layer returns
 * sequences; sparse CCE: 1 or T). The weights are updated by `optimizer`
 * (created for the sizes gru_seq_model_params gives) or by `update`, a
 * caller-written step over the same parameters. The loss includes the regularizer penalties, and
 * constraints are applied after each update, as in Keras. */
typedef gru_status (*gru_update_fn)(void *user, size_t count, void *const params[],
                                    const void *const grads[], const size_t sizes[]);
/* Data-parallel training: `size` ranks each hold the same model and call
 * gru_seq_model_step / gru_seq_model_eval with the same global mini-batch
 * (gru_fit with the same cfg.seed gathers the same batch on every rank).
 * Rank r works on its shard, rows gru_shard(batch, r, size) of that batch:
 * it computes the gradient of (its rows' summed loss / the global batch's
 * loss denominator), so the sum over ranks is the whole batch's gradient.
 * All gradients, the shard's loss sum and a failure count are packed in one
 * contiguous buffer of `count` elements of dtype, which `reduce` must
 * replace by its element-wise sum over all ranks (MPI_Allreduce(MPI_SUM)),
 * the same bits on every rank. Then every rank adds the regularizer
 * gradients once, clips and applies the same optimizer update, so the
 * weights stay identical. A rank that fails locally (a non-finite loss)
 * still takes part in the reduction, and every rank then fails. reduce
 * NULL (memset 0) is single-process training, bit for bit as before. */
typedef struct gru_grad_reducer {
    gru_status (*reduce)(void *user, gru_dtype dtype, void *buf, size_t count);
    void *user;
    int rank;                 /* in [0, size)                                 */
    int size;                 /* ranks (> 0)                                  */
} gru_grad_reducer;
/* The sharding rule: rank gets rows [batch*rank/size, batch*(rank+1)/size)
 * (contiguous, sizes differ by at most one, an empty shard when
 * batch < size). GRU_E_ARG unless 0 <= rank < size. */
GRU_API gru_status gru_shard(size_t batch, int rank, int size, size_t *begin, size_t *count);
typedef struct gru_seq_model {
    gru_layer *layer;         /* not owned; a single directional layer        */
    gru_dense *head;          /* not owned; input_dim = the layer's units     */
    gru_loss_config loss;
    int64_t steps;            /* T of every sample                            */
    gru_optimizer *optimizer; /* the optimizer step (gru_optimizer_apply over
                                 the parameters), or NULL: then `update`   */
    gru_update_fn update;     /* a caller-written optimizer step            */
    void *update_user;
    void *workspace;          /* gru_seq_model_workspace_size bytes, aligned
                                 to 64 (set by the caller)                  */
    size_t ws_bytes;
    size_t max_batch;         /* the largest batch the workspace was sized for
                                 (with a reducer: the largest shard,
                                 ceil(batch / size))                        */
    gru_grad_reducer reducer; /* data-parallel training; reduce NULL = off  */
} gru_seq_model;

/* Parameters in update order (cell kernel, recurrent kernel, [cell bias],
 * dense kernel, [dense bias]): up to 5 pointers into the handles' weights,
 * their element counts, and *count. */
GRU_API gru_status gru_seq_model_params(const gru_seq_model *m, void *params[5],
                                        size_t sizes[5], size_t *count);
GRU_API gru_status gru_seq_model_workspace_size(const gru_seq_model *m, size_t max_batch,
                                                size_t *bytes);
/* gru_fit_step_fn / gru_fit_eval_fn for user = a gru_seq_model. The step
 * runs the layer with training true (dropout active). Never allocate. With
 * model.reducer set, both work on this rank's shard of the batch and call
 * reduce once (a collective: every rank must make the same calls); the
 * loss they write is the whole batch's. */
GRU_API gru_status gru_seq_model_step(void *model, size_t batch, const void *x, const void *y,
                                      double *loss);
GRU_API gru_status gru_seq_model_eval(void *model, size_t batch, const void *x, const void *y,
                                      double *loss);
/* Inference: y_pred (batch, Uo) or (batch, T, Uo), the head's output. */
GRU_API gru_status gru_seq_model_predict(gru_seq_model *m, size_t batch, const void *x,
                                         void *y_pred);

/* Dropout draws of a cell from stream `stream` of its seed: reseeds the
 * cell's dropout generator (stream 0 is the one gru_cell_create seeds) and
 * empties the mask caches. Data-parallel ranks use stream = rank, so that a
 * run's masks depend only on (seed, number of ranks). */
GRU_API gru_status gru_cell_set_dropout_stream(gru_cell *cell, uint64_t stream);

/* ------------------------------------------------------------------------ */
/* Data-parallel training over MPI (mpi/gru_mpi.c).                          */
/* ------------------------------------------------------------------------ */
/* Built when CMake finds MPI (GRU_WITH_MPI, default ON; Debian's
 * libopenmpi-dev); without it these functions exist and return
 * GRU_E_UNSUPPORTED ("libgru was built without MPI"). This header never
 * includes mpi.h: a communicator is passed as `const void *comm` pointing
 * at an MPI_Comm (NULL: MPI_COMM_WORLD). Usage, unchanged under
 * `mpirun -np N` (every rank runs the same program on the same data):
 *
 *     gru_mpi_init(&argc, &argv);          // MPI_Init unless already done
 *     gru_mpi *mpi;  gru_mpi_create(NULL, &mpi);
 *     ... build the model with the same seeds on every rank ...
 *     gru_mpi_attach(mpi, &model);         // model.reducer, dropout stream
 *     gru_fit(&fc, &fd, gru_seq_model_step, gru_seq_model_eval, &model, ...);
 *     gru_mpi_save_model(mpi, saved, "model.grum");  // rank 0 writes
 *     gru_mpi_free(mpi);  gru_mpi_finalize();
 *
 * Each step sends one buffer through one MPI_Allreduce: the gradients of
 * all weight tensors (each padded to a multiple of 64 bytes) and 2
 * elements, in the model's dtype (about 4 bytes per parameter in float32);
 * each eval call sends 2 elements. The sum runs in the dtype in the MPI
 * library's order, which gives the same bits on every rank (Open MPI does;
 * tests/mpi checks it). A gru_mpi handle must be used by one thread at a
 * time, and its collective calls made in the same order on every rank of
 * its communicator. */
typedef struct gru_mpi gru_mpi;
struct gru_model; /* below */
/* Counters of the reductions made through a handle's reducer. */
typedef struct gru_mpi_stats {
    uint64_t calls;           /* MPI_Allreduce calls                          */
    uint64_t bytes;           /* bytes this rank contributed, summed          */
    double seconds;           /* wall time inside MPI_Allreduce, summed       */
} gru_mpi_stats;

/* MPI_Init (argc, argv may be NULL) unless MPI is already initialized. A
 * program run without mpirun is a world of one rank. */
GRU_API gru_status gru_mpi_init(int *argc, char ***argv);
/* MPI_Finalize if MPI is initialized and not yet finalized. */
GRU_API gru_status gru_mpi_finalize(void);
/* A handle on a duplicate of *comm (an MPI_Comm; NULL: MPI_COMM_WORLD).
 * MPI must be initialized. Allocates (malloc); free with gru_mpi_free. */
GRU_API gru_status gru_mpi_create(const void *comm, gru_mpi **out);
/* NULL is a no-op. Collective (frees the duplicate communicator). */
GRU_API void gru_mpi_free(gru_mpi *mpi);
GRU_API gru_status gru_mpi_rank(const gru_mpi *mpi, int *rank, int *size);
/* A reducer that sums over the handle's communicator with MPI_Allreduce
 * (MPI_FLOAT / MPI_DOUBLE, MPI_SUM, in place) and counts in the stats. */
GRU_API gru_status gru_mpi_reducer(gru_mpi *mpi, gru_grad_reducer *out);
/* model->reducer = gru_mpi_reducer(mpi), and the layer's cell draws its
 * dropout masks from stream `rank` (gru_cell_set_dropout_stream; rank 0
 * keeps the stream a single process uses). Local, not collective. */
GRU_API gru_status gru_mpi_attach(gru_mpi *mpi, gru_seq_model *model);
GRU_API gru_status gru_mpi_get_stats(const gru_mpi *mpi, gru_mpi_stats *out);
GRU_API gru_status gru_mpi_reset_stats(gru_mpi *mpi);
/* Collective helpers. barrier: MPI_Barrier. bcast: bytes from root to all.
 * same: *same = whether every rank holds the same bytes (byte count and a
 * 64-bit FNV-1a hash compared with MPI_Allreduce MIN/MAX). */
GRU_API gru_status gru_mpi_barrier(gru_mpi *mpi);
GRU_API gru_status gru_mpi_bcast(gru_mpi *mpi, void *buf, size_t bytes, int root);
GRU_API gru_status gru_mpi_same(gru_mpi *mpi, const void *buf, size_t bytes, bool *same);
/* A checkpoint written once: rank 0 saves with gru_model_save_path (a
 * temporary file renamed over path, so readers never see a partial file),
 * the other ranks pass NULL or any model and wait; every rank returns rank
 * 0's status (its message on rank 0). Collective. */
GRU_API gru_status gru_mpi_save_model(gru_mpi *mpi, const struct gru_model *model,
                                      const char *path);

/* ------------------------------------------------------------------------ */
/* Models: an inference graph of Keras layers (Sequential or functional).    */
/* ------------------------------------------------------------------------ */
/* A model is an array of nodes in topological order: node i reads tensors
 * made by nodes before it. Each node is one Keras layer call; a tensor is
 * named by (node, port), port being the index in the list of tensors that
 * Keras' call returns (0 for single-output layers; GRU with return_state:
 * 1 = state; Bidirectional: [y, h_fwd, h_bwd], or with merge_mode None
 * [y_fwd, y_bwd, h_fwd, h_bwd]). Shapes exclude the batch axis, which every
 * tensor has first. An Input may leave its first axis (the time axis) open
 * as -1: it takes the length `steps` given at each call (one length for all
 * such inputs). Inference only: Dropout / SpatialDropout1D are identities,
 * GRU dropout is off.
 *
 * Masks follow tf-keras 2.21: Masking makes mask = any(x != mask_value over
 * the last axis) and multiplies x by it; Embedding(mask_zero) makes
 * mask = (id != 0); Dense, TimeDistributed(Dense), Activation, Dropout and
 * SpatialDropout1D pass the mask on; GRU and Bidirectional consume it (both
 * directions get the same mask) and pass it on only with return_sequences
 * (states get none); Concatenate on the last axis ANDs the masks present, on
 * another axis concatenates them (an unmasked input counts as all valid,
 * which Keras allows only when its last axis is 1); Add and Multiply AND the
 * masks present; GlobalAveragePooling1D averages the valid steps only
 * (sum(x*m)/sum(m), NaN when no step is valid, as Keras) and drops the mask;
 * GlobalMaxPooling1D, Flatten, Reshape and RepeatVector ignore and drop it.
 * A mask covers every axis but the last of its tensor. */
typedef enum gru_node_kind {
    GRU_NODE_INPUT = 0,          /* InputLayer: input.shape, input.int_ids   */
    GRU_NODE_MASKING,            /* Masking(mask_value)                      */
    GRU_NODE_EMBEDDING,          /* Embedding(input_dim, output_dim, mask_zero) */
    GRU_NODE_GRU,                /* GRU / RNN(GRUCell): gru                  */
    GRU_NODE_BIDIRECTIONAL,      /* Bidirectional(GRU[, backward_layer])     */
    GRU_NODE_DENSE,              /* Dense on the last axis (rank >= 2)       */
    GRU_NODE_TIME_DISTRIBUTED_DENSE, /* TimeDistributed(Dense) (rank >= 3)   */
    GRU_NODE_DROPOUT,            /* Dropout: identity at inference           */
    GRU_NODE_SPATIAL_DROPOUT1D,  /* SpatialDropout1D: identity (rank 3)      */
    GRU_NODE_ACTIVATION,         /* Activation: on the last axis             */
    GRU_NODE_CONCATENATE,        /* Concatenate(axis)                        */
    GRU_NODE_ADD,                /* Add: equal shapes                        */
    GRU_NODE_MULTIPLY,           /* Multiply: equal shapes                   */
    GRU_NODE_GLOBAL_AVERAGE_POOLING1D, /* channels_last, keepdims            */
    GRU_NODE_GLOBAL_MAX_POOLING1D,     /* channels_last, keepdims            */
    GRU_NODE_FLATTEN,            /* Flatten                                  */
    GRU_NODE_RESHAPE,            /* Reshape(target_shape), one entry may be -1 */
    GRU_NODE_REPEAT_VECTOR,      /* RepeatVector(n): (F) -> (n, F)           */
    GRU_NODE_KIND_COUNT_
} gru_node_kind;

#define GRU_MODEL_MAX_INPUTS 8   /* inputs of one node                       */
#define GRU_MODEL_MAX_RANK 8     /* dims of a tensor, batch excluded         */
#define GRU_MODEL_MAX_WEIGHTS 6  /* weight arrays of one node                */

/* A tensor: output `port` of node `node`. */
typedef struct gru_model_ref { size_t node; size_t port; } gru_model_ref;

/* One node. Only the fields of its kind are read. gru_model_node_init sets
 * Keras' defaults. GRU inputs: [x] or [x, initial_state]; Bidirectional:
 * [x] or [x, initial_state_fwd, initial_state_bwd]. The layers' input_dim
 * and dtype fields are ignored: the model infers input_dim from the input's
 * last axis and uses its own dtype. */
typedef struct gru_model_node {
    gru_node_kind kind;
    const char *name;                 /* Keras layer name, for messages; may be
                                         NULL (not copied: only read at create) */
    size_t n_inputs;
    gru_model_ref inputs[GRU_MODEL_MAX_INPUTS];
    struct {
        size_t rank;                  /* >= 1                                 */
        int64_t shape[GRU_MODEL_MAX_RANK]; /* > 0; shape[0] may be -1 (steps) */
        bool int_ids;                 /* int64 ids (for Embedding) instead of
                                         the model's float dtype              */
    } input;
    double mask_value;                /* Masking (default 0)                  */
    struct {
        int64_t input_dim;            /* vocabulary size (> 0)                */
        int64_t output_dim;           /* > 0                                  */
        bool mask_zero;               /* default false                        */
    } embedding;
    gru_layer_config gru;             /* GRU; time_major is unsupported       */
    gru_bidirectional_config bidirectional;
    struct {
        int64_t units;                /* > 0                                  */
        gru_activation activation;    /* default linear                       */
        bool use_bias;                /* default true                         */
    } dense;                          /* Dense, TimeDistributed(Dense)        */
    gru_activation activation;        /* Activation (default linear)          */
    int64_t axis;                     /* Concatenate (default -1; not 0)      */
    struct {
        size_t rank;
        int64_t shape[GRU_MODEL_MAX_RANK];
    } reshape;                        /* Reshape target_shape                 */
    int64_t repeat_n;                 /* RepeatVector n (> 0)                 */
    bool keepdims;                    /* global pooling (default false)       */
} gru_model_node;

/* Zero node, set kind, name and the kind's Keras defaults (gru and
 * bidirectional: gru_layer_config_init / gru_bidirectional_config_init with
 * units 1; set units and the rest afterwards). */
GRU_API gru_status gru_model_node_init(gru_model_node *node, gru_node_kind kind,
                                       const char *name);
/* Keras class name of a kind ("GRU", "TimeDistributed", ...; "?" if bad). */
GRU_API const char *gru_node_kind_name(gru_node_kind kind);

typedef struct gru_model gru_model;

/* Validate the graph (references, ranks, widths, options: an unsupported
 * combination is GRU_E_UNSUPPORTED naming the node and the option), infer
 * every shape and mask, and create the layers (weights initialised as their
 * configs say; set them with gru_model_set_node_weights). Model inputs are
 * the Input nodes in node order; outputs[0..n_out-1] are the model outputs.
 * Messages name the node as "node 3 ('gru_1', GRU)". */
GRU_API gru_status gru_model_create(const gru_model_node *nodes, size_t n,
                                    const gru_model_ref *outputs, size_t n_out,
                                    gru_dtype dtype, gru_model **out);
GRU_API void gru_model_free(gru_model *model);
GRU_API const char *gru_model_last_error(const gru_model *model);
GRU_API gru_dtype gru_model_dtype(const gru_model *model);
GRU_API size_t gru_model_node_count(const gru_model *model);
GRU_API size_t gru_model_input_count(const gru_model *model);
GRU_API size_t gru_model_output_count(const gru_model *model);

/* What a loader needs to know about node i. Weights are Keras'
 * get_weights() order: GRU kernel (F,3U), recurrent_kernel (U,3U), [bias];
 * Bidirectional the forward layer's then the backward layer's; Dense and
 * TimeDistributed(Dense) kernel (F,U), [bias (U)]; Embedding embeddings
 * (input_dim, output_dim). */
typedef struct gru_model_node_info {
    gru_node_kind kind;
    const char *name;                 /* "" when none was given (owned by the
                                         model)                              */
    size_t n_inputs, n_outputs;       /* tensors read / made                  */
    size_t n_weights;                 /* weight arrays                        */
    const char *weight_names[GRU_MODEL_MAX_WEIGHTS]; /* "kernel",
                                         "recurrent_kernel", "bias",
                                         "embeddings"; Bidirectional:
                                         "forward_layer/kernel", ...       */
    size_t weight_ndim[GRU_MODEL_MAX_WEIGHTS];
    size_t weight_shape[GRU_MODEL_MAX_WEIGHTS][2];
    size_t weight_count[GRU_MODEL_MAX_WEIGHTS];
    size_t param_count;               /* sum of weight_count                  */
    bool output_masked[4];            /* whether output port k has a mask     */
} gru_model_node_info;
GRU_API gru_status gru_model_node_info_get(const gru_model *model, size_t i,
                                           gru_model_node_info *info);
/* Set / read node i's weights: n_arrays arrays of dtype with counts[k]
 * elements each (checked against gru_model_node_info_get). */
GRU_API gru_status gru_model_set_node_weights(gru_model *model, size_t i, gru_dtype dtype,
                                              size_t n_arrays, const void *const *arrays,
                                              const size_t *counts);
GRU_API gru_status gru_model_get_node_weights(const gru_model *model, size_t i, gru_dtype dtype,
                                              size_t n_arrays, void *const *arrays,
                                              const size_t *counts);
/* The handles inside node i (owned by the model), NULL for other kinds. */
GRU_API gru_layer *gru_model_node_layer(gru_model *model, size_t i);
GRU_API gru_bidirectional *gru_model_node_bidirectional(gru_model *model, size_t i);
GRU_API gru_dense *gru_model_node_dense(gru_model *model, size_t i);

/* Shapes for a call with this batch and steps (steps: the length of inputs
 * whose shape[0] is -1; ignored when there are none): dims[0] = batch, then
 * the tensor's dims; *ndim = rank including the batch axis. *is_int (NULL
 * ok): the input takes int64 ids. */
GRU_API gru_status gru_model_input_shape(const gru_model *model, size_t k, int64_t batch,
                                         int64_t steps, int64_t dims[GRU_MODEL_MAX_RANK + 1],
                                         size_t *ndim, bool *is_int);
GRU_API gru_status gru_model_output_shape(const gru_model *model, size_t k, int64_t batch,
                                          int64_t steps, int64_t dims[GRU_MODEL_MAX_RANK + 1],
                                          size_t *ndim);
/* Bytes of workspace gru_model_forward needs for this batch and steps. */
GRU_API gru_status gru_model_workspace_size(const gru_model *model, int64_t batch, int64_t steps,
                                            size_t *bytes);
/* Run the model (Keras' model(x, training=False)). inputs[k]: model input k,
 * C order, of dtype, or int64_t ids for an int_ids input (an id outside
 * [0, input_dim) is GRU_E_ARG, as Keras' lookup raises; an Embedding fed a
 * float tensor truncates it to an integer as Keras' cast does). outputs[k]:
 * model output k (gru_model_output_shape). workspace: aligned to 64 bytes.
 * Stateful GRUs carry their state to the next call. Never allocates. */
GRU_API gru_status gru_model_forward(gru_model *model, gru_dtype dtype, int64_t batch,
                                     int64_t steps, const void *const *inputs,
                                     void *const *outputs, void *workspace, size_t ws_bytes);
/* Reset every stateful GRU's state to zeros (Keras' model.reset_states()). */
GRU_API gru_status gru_model_reset_states(gru_model *model);

/* ------------------------------------------------------------------------ */
/* Model files: libgru's native format (docs/FORMAT-native.md).             */
/* ------------------------------------------------------------------------ */
/* A ".grum" file holds a whole gru_model: every node's config (activations
 * by kind and parameters, so Keras 2's and Keras 3's hard_sigmoid stay
 * apart; regularizers, constraints, flags; not the initializers, since the
 * weights are stored), the graph (inputs, refs, outputs), the dtype and all
 * weights in gru_model_get_node_weights order, behind a magic "GRUM", a
 * format version and a CRC-32 of the payload. Little-endian everywhere.
 *
 * Loading validates every count and size against the bytes that remain and
 * against fixed limits before allocating, so a damaged or hostile file is
 * refused (GRU_E_FORMAT, GRU_E_UNSUPPORTED for a newer major version,
 * GRU_E_IO for a read error) with a message naming the section, node and
 * weight, and what was expected and found; it never crashes. The loaded
 * model is a new gru_model (free it with gru_model_free); its GRU layers'
 * initializer configs read zeros. */
GRU_API gru_status gru_model_load_buffer(const void *buf, size_t len, gru_model **out);
/* Read one model from f (from its current position; the stream is left just
 * after the model's last byte). */
GRU_API gru_status gru_model_load_file(FILE *f, gru_model **out);
/* Open path and load it; the file must hold exactly one model. */
GRU_API gru_status gru_model_load_path(const char *path, gru_model **out);
/* Bytes gru_model_save_buffer writes for this model. GRU_E_UNSUPPORTED if
 * the model cannot be stored (a custom activation callback). */
GRU_API gru_status gru_model_save_buffer_size(const gru_model *model, size_t *bytes);
/* Write the model into buf (cap bytes; GRU_E_SHAPE if too small). *written
 * (NULL ok) gets the byte count. Allocates a weight-sized scratch. */
GRU_API gru_status gru_model_save_buffer(const gru_model *model, void *buf, size_t cap,
                                         size_t *written);
/* Write the model to f at its position (fflush'd, not closed). */
GRU_API gru_status gru_model_save_file(const gru_model *model, FILE *f);
/* Write to a temporary file in path's directory, flush it to the disk
 * (fsync where POSIX has it), then rename it over path: a crash or a failure
 * leaves the old file (or none) in place, never half a file. */
GRU_API gru_status gru_model_save_path(const gru_model *model, const char *path);
/* What a writer needs to read back: node i as given to gru_model_create
 * (its name points into the model, valid until gru_model_free; allocators
 * cleared), and the tensor of model output k. */
GRU_API gru_status gru_model_node_config(const gru_model *model, size_t i, gru_model_node *node);
GRU_API gru_status gru_model_output_ref(const gru_model *model, size_t k, gru_model_ref *ref);
/* The shape of output `port` of node i, batch excluded: rank dims, each
 * >= 0 a fixed size or < 0 meaning -dims[j] times the call's steps. */
GRU_API gru_status gru_model_node_output_dims(const gru_model *model, size_t i, size_t port,
                                              int64_t dims[GRU_MODEL_MAX_RANK], size_t *rank);

/* ------------------------------------------------------------------------ */
/* Keras files (io/). Each reader needs an optional dependency, chosen at    */
/* build time: JSON configs need cJSON, .h5 files HDF5, .keras zips libzip   */
/* (plus the other two). Built without one, the functions that need it       */
/* return GRU_E_UNSUPPORTED ("libgru was built without HDF5").               */
/* ------------------------------------------------------------------------ */
/* Which Keras wrote a file: 'hard_sigmoid' means clip(0.2x+0.5, 0, 1) in
 * Keras 1/2 and tf-keras, relu6(x+3)/6 (GRU_ACT_HARD_SIGMOID_K3) in Keras 3. */
typedef struct gru_keras_file_info {
    char keras_version[32]; /* "2.21.0", "3.15.1"; "" when the file has none */
    int keras_major;        /* 1, 2 or 3: the Keras whose meaning was used   */
    char format[24];        /* "h5-model", "h5-weights", "keras-v3-weights",
                               "keras-zip", "json"                           */
} gru_keras_file_info;

typedef struct gru_keras_options {
    int keras_major;        /* 0: from the file (keras_version, metadata.json,
                               the config's shape); 2 or 3 forces it         */
    const char *const *extra_outputs; /* Keras layer names whose output
                               (port 0) become model outputs after the
                               model's own, e.g. to check each GRU layer     */
    size_t n_extra_outputs;
} gru_keras_options;

/* A model from a Keras model config: model.to_json(), the model_config
 * attribute of a model.save('x.h5') file, or config.json of a .keras zip
 * (both serializer shapes; Sequential and Functional). opt and info may be
 * NULL. Weights are as the initializers say; load them with
 * gru_keras_load_weights_h5. An unsupported layer or option is
 * GRU_E_UNSUPPORTED naming the layer and the option; a wrong type is
 * GRU_E_FORMAT naming the key; unknown keys are ignored. */
GRU_API gru_status gru_keras_config_to_model(const char *json, size_t len, gru_dtype dtype,
                                             const gru_keras_options *opt, gru_model **out,
                                             gru_keras_file_info *info);
/* Load weights from an HDF5 file into a model built from the matching
 * config: model.save_weights('x.h5') / model.save('x.h5') (tf.keras,
 * tf-keras, standalone Keras 2, Keras 3 legacy .h5: layers matched by name,
 * else in order; numbered attribute chunks; CuDNNGRU weights converted) or
 * Keras 3's / tf-keras' 'x.weights.h5' (layers/<class>/...). Every weight is
 * checked (count, name, shape); a mismatch names the layer and the weight. */
GRU_API gru_status gru_keras_load_weights_h5(gru_model *model, const char *path);
/* Load a whole model: an .h5 written by model.save (model_config + weights)
 * or a .keras zip (config.json + model.weights.h5), told apart by content. */
GRU_API gru_status gru_keras_load(const char *path, gru_dtype dtype,
                                  const gru_keras_options *opt, gru_model **out,
                                  gru_keras_file_info *info);
/* get_config / from_config of the cell and the layer. from_json takes the
 * config dict, or {"class_name": ..., "config": {...}}; keys absent keep
 * Keras' v1 defaults (gru_cell_config_init); input_dim (> 0) is the cell's
 * input width, which Keras' config does not hold. keras_major 3 reads
 * 'hard_sigmoid' as Keras 3's (0 or 2: Keras 2's). to_json writes tf-keras'
 * get_config() shape into *json (malloc'd; free with gru_keras_free). */
GRU_API gru_status gru_keras_cell_config_from_json(const char *json, size_t len,
                                                   int64_t input_dim, int keras_major,
                                                   gru_cell_config *cfg);
GRU_API gru_status gru_keras_layer_config_from_json(const char *json, size_t len,
                                                    int64_t input_dim, int keras_major,
                                                    gru_layer_config *cfg);
GRU_API gru_status gru_keras_cell_config_to_json(const gru_cell_config *cfg, char **json);
GRU_API gru_status gru_keras_layer_config_to_json(const gru_layer_config *cfg, char **json);
GRU_API void gru_keras_free(void *p);

/* ------------------------------------------------------------------------ */
/* PyTorch (safetensors) and ONNX readers (optional io/ layer).              */
/* ------------------------------------------------------------------------ */
/*
 * libgru — PyTorch nn.GRU / nn.GRUCell weights from a .safetensors file.
 *
 * Part of the optional io/ layer (library gru_io_torch_onnx). The JSON header
 * of a safetensors file is read with cJSON; a libgru built without it
 * (GRU_WITH_JSON=OFF, or libcjson-dev absent) returns GRU_E_UNSUPPORTED
 * "libgru was built without cJSON ...".
 *
 *     gru_torch_options opt;
 *     gru_torch_options_init(&opt);
 *     gru_model *m;
 *     gru_torch_info info;
 *     gru_torch_load_safetensors("gru.safetensors", &opt, GRU_F32, &m, &info);
 *     ... gru_model_forward(m, GRU_F32, batch, steps, inputs, outputs, ws, n);
 *     gru_model_free(m);
 *
 * Names (a state_dict, optionally under opt.prefix): nn.GRU
 * weight_ih_l{k}[_reverse] (3H, in), weight_hh_l{k}[_reverse] (3H, H),
 * bias_ih_l{k}[_reverse] (3H), bias_hh_l{k}[_reverse] (3H); nn.GRUCell the
 * same without "_l{k}". The number of layers comes from the names, the
 * direction count from "_reverse", bias presence from bias_ih_l0, H from
 * weight_hh_l0 and the input size from weight_ih_l0. Every tensor must be F32
 * or F64 (F16, BF16, integer dtypes are refused naming the tensor); a missing
 * or unexpected tensor and a wrong shape are refused naming the tensor.
 *
 * Mapping (docs/spec §11.1): each PyTorch layer becomes a Keras GRU with
 * reset_after = true, activation tanh, recurrent_activation sigmoid,
 * use_bias = bias; gate blocks r,z,n are reordered to z,r,h and transposed;
 * bias = [bias_ih; bias_hh] as (2, 3H). A bidirectional layer becomes
 * Bidirectional(GRU, merge_mode concat) — PyTorch's output is [fwd, bwd] on
 * the last axis, which is concat.
 *
 * The model built:
 *   inputs : x (batch, steps, input_size), steps open (-1); with
 *            opt.initial_state also h0[j] (batch, H) for j = 0..L*D-1 in
 *            PyTorch's h_0 order (layer-major, forward before reverse);
 *   outputs: 0: output (batch, steps, D*H)   = PyTorch `output` (batch_first)
 *            1 + j: h_n[j] (batch, H)       = PyTorch `h_n[j]`.
 * nn.GRUCell: the same with L = D = 1; call it with steps = 1 for one cell
 * step (h' = output 1), or with steps > 1 for the cell applied in a loop.
 * gru_model tensors are batch-major: for a module built with
 * batch_first=False, swap the first two axes of x (and of the output) with
 * gru_torch_transpose01. PyTorch's dropout between layers is a training-time
 * feature and is ignored (inference).
 */
typedef struct gru_torch_options {
    const char *prefix;   /* key prefix, e.g. "encoder.rnn." (NULL or "": none).
                             With a prefix, keys outside it are ignored (other
                             modules of the state_dict); keys under it must all
                             be GRU parameters                                */
    bool batch_first;     /* the module's batch_first, recorded in the info
                             (the model itself is always batch-major)         */
    bool initial_state;   /* add an h0 Input per layer and direction          */
    bool cell;            /* require nn.GRUCell names (false: either kind)   */
} gru_torch_options;

/* Defaults: no prefix, batch_first false, no initial-state inputs. */
GRU_API gru_status gru_torch_options_init(gru_torch_options *opt);

/* What the file held. */
typedef struct gru_torch_info {
    bool is_cell;              /* nn.GRUCell names                          */
    size_t num_layers;         /* L                                         */
    size_t num_directions;     /* D: 1, or 2 with "_reverse" tensors        */
    int64_t input_size;        /* in of layer 0                             */
    int64_t hidden_size;       /* H                                         */
    bool bias;                 /* bias_ih/bias_hh present                   */
    bool batch_first;          /* copied from the options                   */
    size_t n_tensors;          /* tensors used                              */
} gru_torch_info;

/* Load from a file (read whole) or a buffer (only read during the call).
 * dtype: the model's dtype (F32 or F64 file data is converted). *out gets a
 * model to free with gru_model_free; info (NULL ok) is filled on success.
 * Errors: GRU_E_IO (file), GRU_E_FORMAT (malformed safetensors: header
 * length, JSON, offsets out of the data, overlapping or leaving holes,
 * byte counts not matching shape x dtype), GRU_E_NAME (a missing or an
 * unexpected tensor), GRU_E_SHAPE (inconsistent shapes), GRU_E_DTYPE (a
 * tensor neither F32 nor F64), GRU_E_UNSUPPORTED (built without cJSON). */
GRU_API gru_status gru_torch_load_safetensors(const char *path, const gru_torch_options *opt,
                                              gru_dtype dtype, gru_model **out,
                                              gru_torch_info *info);
GRU_API gru_status gru_torch_load_safetensors_buffer(const void *data, size_t size,
                                                     const gru_torch_options *opt,
                                                     gru_dtype dtype, gru_model **out,
                                                     gru_torch_info *info);

/* dst (d1, d0, inner) = src (d0, d1, inner) with the first two axes swapped
 * (time-major <-> batch-major). src and dst must not overlap. */
GRU_API gru_status gru_torch_transpose01(gru_dtype dtype, size_t d0, size_t d1, size_t inner,
                                         const void *src, void *dst);

/*
 * libgru — ONNX models whose graph is a GRU (or a chain of GRUs, as
 * torch.onnx.export writes nn.GRU), read with protobuf-c.
 *
 * Part of the optional io/ layer (library gru_io_torch_onnx). A libgru built
 * without protobuf-c (GRU_WITH_ONNX=OFF, or libprotobuf-c-dev /
 * protobuf-c-compiler absent) returns GRU_E_UNSUPPORTED "libgru was built
 * without protobuf-c ...".
 *
 *     gru_onnx *o;
 *     gru_onnx_load("gru.onnx", GRU_F32, &o);
 *     // graph inputs in graph order: X (dtype), [sequence_lens (int32_t)],
 *     // [initial_h (dtype)]; graph outputs in graph order, ONNX layouts
 *     gru_onnx_forward(o, GRU_F32, batch, steps, inputs, outputs);
 *     gru_onnx_free(o);
 *
 * What is read. Exactly the ONNX GRU operator (opsets 7..22): inputs X, W,
 * R, B, sequence_lens, initial_h; attributes hidden_size, direction
 * (forward, reverse, bidirectional), linear_before_reset, layout (0, 1),
 * activations with activation_alpha/activation_beta. W, R, B must be
 * initializers (or Constant nodes), float or double. sequence_lens and
 * initial_h may be absent, graph inputs or initializers; initial_h may also
 * be a zero tensor computed by Shape/ConstantOfShape/Slice (torch.onnx.export).
 * Around the GRU nodes only the layout plumbing torch.onnx.export emits is
 * accepted: Transpose of X (batch_first), Transpose(0,2,1,3) + Reshape(0,0,-1)
 * or Squeeze(axis 1) between layers and at the end, Concat of Y_h's on axis
 * 0, Identity, and integer shape arithmetic (Shape, Gather, Unsqueeze,
 * Concat, Slice, Cast, Constant). Any other op is GRU_E_UNSUPPORTED naming
 * the op and node; so are clip, unknown attributes and activations with no
 * Keras equivalent.
 *
 * Mapping to Keras (per layer): gate order is z, r, h in both; kernel =
 * W[d]^T (in, 3H), recurrent_kernel = R[d]^T (H, 3H).
 *   linear_before_reset = 1 -> reset_after = true, bias = [Wb; Rb] (2, 3H).
 *   linear_before_reset = 0 -> reset_after = false, bias = Wb + Rb (3H): the
 *     ONNX equations add Rbz, Rbr next to Wbz, Wbr, and Rbh outside
 *     r (.) (H Rh^T), so every recurrent bias folds into the input bias.
 *   activations [f, g] per direction -> recurrent_activation f, activation g:
 *     Sigmoid, Tanh, Relu, LeakyRelu(alpha, default 0.01), Elu(alpha, 1),
 *     Softsign, Softplus, HardSigmoid(alpha, beta) for (0.2, 0.5) = Keras 2
 *     hard_sigmoid and (1/6, 0.5) = Keras 3 hard_sigmoid; others refused.
 *   direction forward -> GRU, reverse -> GRU(go_backwards), bidirectional ->
 *     Bidirectional(merge_mode None); sequence_lens -> lengths (right padding
 *     masked; padded outputs 0, Y_h the state at the last valid step, as
 *     ONNX).
 *
 * The gru_model (gru_onnx_model) has Keras conventions: input x (batch,
 * steps, F); per layer an Input for each direction's initial state when the
 * graph takes initial_h; outputs: the last layer's y per direction (batch,
 * steps, H; a reverse-only layer's in processing order, as Keras) then its
 * final state per direction (batch, H). It has no sequence_lens: use
 * gru_onnx_forward for exact ONNX inputs and outputs.
 */
typedef struct gru_onnx gru_onnx;

/* Load from a path or a buffer (only read during the call). dtype is the
 * computation dtype (weights are converted). Free with gru_onnx_free.
 * GRU_E_IO, GRU_E_FORMAT (not a ModelProto, malformed tensors), GRU_E_SHAPE,
 * GRU_E_DTYPE, GRU_E_UNSUPPORTED (ops, attributes; or no protobuf-c). */
GRU_API gru_status gru_onnx_load(const char *path, gru_dtype dtype, gru_onnx **out);
GRU_API gru_status gru_onnx_load_buffer(const void *data, size_t size, gru_dtype dtype,
                                        gru_onnx **out);
GRU_API void gru_onnx_free(gru_onnx *o);
/* The Keras-convention model (owned by o). */
GRU_API gru_model *gru_onnx_model(gru_onnx *o);
/* Hand the model to the caller (free it with gru_model_free); o keeps the
 * ONNX metadata but gru_onnx_forward then fails with GRU_E_STATE. */
GRU_API gru_model *gru_onnx_take_model(gru_onnx *o);

typedef enum gru_onnx_role {
    GRU_ONNX_X = 0,       /* X: (T,B,F), or (B,T,F) when batch_major        */
    GRU_ONNX_SEQUENCE_LENS, /* int32_t (B)                                  */
    GRU_ONNX_INITIAL_H    /* (D,B,H), or (B,D,H) for layout 1               */
} gru_onnx_role;

/* Graph inputs (initializers excluded) and outputs, in graph order. */
GRU_API size_t gru_onnx_input_count(const gru_onnx *o);
GRU_API size_t gru_onnx_output_count(const gru_onnx *o);
GRU_API const char *gru_onnx_input_name(const gru_onnx *o, size_t k);
GRU_API const char *gru_onnx_output_name(const gru_onnx *o, size_t k);
/* Role of input k; *layer: the GRU (0-based chain position) it feeds. */
GRU_API gru_status gru_onnx_input_info(const gru_onnx *o, size_t k, gru_onnx_role *role,
                                       size_t *layer, bool *batch_major);
/* Dims of input / output k for a call (ndim <= 4). */
GRU_API gru_status gru_onnx_input_shape(const gru_onnx *o, size_t k, int64_t batch,
                                        int64_t steps, int64_t dims[4], size_t *ndim);
GRU_API gru_status gru_onnx_output_shape(const gru_onnx *o, size_t k, int64_t batch,
                                         int64_t steps, int64_t dims[4], size_t *ndim);
/* Run the graph: inputs[k] / outputs[k] in graph order, ONNX layouts, C
 * order, of dtype (sequence_lens: int32_t, each in [0, steps]). Allocates its
 * scratch (io/ code; the core's forward calls never allocate). */
GRU_API gru_status gru_onnx_forward(gru_onnx *o, gru_dtype dtype, int64_t batch, int64_t steps,
                                    const void *const *inputs, void *const *outputs);

/* ------------------------------------------------------------------------ */
/* Threads: a pool the caller creates and lends to a layer (opt-in).         */
/* ------------------------------------------------------------------------ */
/* libgru never starts threads of its own. gru_threadpool_create starts
 * n_threads - 1 workers (the calling thread is the n-th), which sleep
 * between calls; a layer given the pool (gru_layer_set_threadpool) splits
 * its forward call over them:
 *   batch > 1: the batch rows (each thread runs whole rows);
 *   batch 1:   the units of the recurrent product and gate math (each
 *              thread owns a contiguous range of the packed recurrent
 *              weights, which stays in its core's cache; the threads meet at
 *              a spin-wait barrier once per time step, twice when
 *              reset_after is false). Needs a SIMD kernel variant; the
 *              scalar one runs batch 1 on one thread.
 * Every output element is computed by one thread with the operations and
 * order of the one-thread call, so the results are bitwise the same as
 * without a pool. The forward call stays allocation-free: the threads'
 * scratch is part of the workspace, so query gru_layer_workspace_size (or
 * the enclosing object's) after attaching the pool; a workspace sized for
 * one thread is accepted and runs on one thread. gru_layer_forward_train
 * (the backward tape) runs on one thread.
 * A pool serves one call at a time: a call that finds it busy (another
 * thread's call holds it) runs on its own thread. Free the pool only after
 * the layers that use it are done (or detached).
 * Without pthreads (no Threads package at build time) create returns
 * GRU_E_UNSUPPORTED. */
typedef struct gru_threadpool gru_threadpool;
/* n_threads in [1, 1024] (1: no workers). GRU_E_ARG, GRU_E_NULL,
 * GRU_E_NOMEM (allocation or thread start failed), GRU_E_UNSUPPORTED. */
GRU_API gru_status gru_threadpool_create(int n_threads, gru_threadpool **out);
/* Stop and join the workers, free the pool. NULL: no-op. */
GRU_API void gru_threadpool_free(gru_threadpool *pool);
/* Threads of a pool (workers + caller); 1 for NULL. */
GRU_API int gru_threadpool_threads(const gru_threadpool *pool);
/* Lend pool to the layer's forward calls (NULL: one thread). The layer does
 * not own the pool. */
GRU_API gru_status gru_layer_set_threadpool(gru_layer *layer, gru_threadpool *pool);
/* Lend pool to both layers of a Bidirectional (they run one after the
 * other, each split as above; the merge runs on the calling thread), or to
 * every layer of a stack. NULL: one thread. Query the workspace size after
 * attaching: unlike a layer's, a Bidirectional's or stack's workspace sized
 * without the pool is GRU_E_SHAPE. The handle does not own the pool. */
GRU_API gru_status gru_bidirectional_set_threadpool(gru_bidirectional *bi, gru_threadpool *pool);
GRU_API gru_status gru_stack_set_threadpool(gru_stack *stack, gru_threadpool *pool);
/* Lend pool to a model's batch call (gru_model_forward; NULL: one thread).
 * The pool goes down to the layers, not around the graph: every GRU and
 * Bidirectional node is split as a layer is (batch rows; a batch of 1 by the
 * recurrent weights' panels), and Dense / TimeDistributed(Dense) nodes split
 * their rows (each row on one thread with the one-thread kernel and order);
 * the light nodes (Masking, Embedding, Activation, pooling, merges, copies)
 * run on the calling thread. No element depends on how rows are shared out,
 * so the results are bitwise those of one thread for every batch size and
 * thread count, a batch of 1 is split too, and a stateful GRU keeps one
 * state per row as without a pool. (Running the whole graph once per chunk
 * of rows would give the same bits but would leave a batch of 1, and
 * stateful layers, on one thread.) Sets the pool on all the model's layers,
 * replacing a pool lent to a gru_model_node_layer / _bidirectional handle.
 * gru_model_workspace_size grows with the pool (per-thread scratch): query it
 * after attaching; a workspace sized without the pool is GRU_E_SHAPE. The
 * call stays allocation-free. The model does not own the pool: free the
 * pool after the model's last call (or after detaching it). */
GRU_API gru_status gru_model_set_threadpool(gru_model *model, gru_threadpool *pool);

/* ------------------------------------------------------------------------ */
/* Kernel variants (SIMD).                                                   */
/* ------------------------------------------------------------------------ */
/* Variants: "scalar" (portable, sums in double: the reference), "avx2"
 * (AVX2+FMA), "avx512" (AVX-512F), "neon" (AArch64), and "generic" (the
 * SIMD variants' source on a portable one-lane layer; slow, for tests).
 * A cell picks its variant once, at init: cfg.kernel when set (GRU_E_ARG if
 * that variant is not built or this CPU cannot run it), else the
 * environment variable GRU_KERNEL (a name that is unknown or cannot run here
 * is ignored), else the best one this CPU runs (avx512, avx2, neon, scalar).
 * The SIMD variants keep a packed copy of the weights, made at init,
 * set_weights, reset_weights and apply_constraints, sum in T with fused
 * multiply-adds (float32: within the goldens' 1e-6 of Keras, not bitwise
 * equal to scalar) and give the same bits as one another. */
/* Name of the kernel variant the cell uses ("scalar", "avx2", ...). */
GRU_API const char *gru_cell_kernel_name(const gru_cell *cell);
/* The variants this build has and this CPU runs, best first: index 0, 1,
 * ... until NULL. */
GRU_API const char *gru_kernel_variant(size_t index);
/* After writing a cell's weights through raw pointers (gru_seq_model_params
 * outside gru_seq_model_step), refresh the packed copy the SIMD variants
 * read. Never allocates. */
GRU_API gru_status gru_cell_sync_weights(gru_cell *cell);

#ifdef __cplusplus
}
#endif
#endif /* GRU_H */
