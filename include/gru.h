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
 * cell is used from several threads. */
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
    double l1, l2;       /* L1L2; Keras stores them as float32            */
    double factor;       /* orthogonal                                    */
    gru_orth_mode mode;  /* orthogonal                                    */
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

/* @@OPTIMIZERS@@ (optimizers section goes here) */

/* @@TRAINING@@ (dense, losses, training loop section goes here) */

/* ------------------------------------------------------------------------ */
/* Kernel variants (SIMD); only "scalar" exists so far.                      */
/* ------------------------------------------------------------------------ */
/* Name of the kernel variant the cell uses ("scalar", ...). */
GRU_API const char *gru_cell_kernel_name(const gru_cell *cell);

#ifdef __cplusplus
}
#endif
#endif /* GRU_H */
