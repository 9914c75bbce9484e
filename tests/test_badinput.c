/* Bad input to every public function: one test per rejection.
 *
 * The issue: "Every public function validates its arguments (NULL pointers,
 * units <= 0, sizes that overflow, unknown names, NaN rates, shape or dtype
 * mismatch, a call before weights exist) and returns a status plus a message
 * that names the argument, what was expected and what was received. Nothing
 * aborts, nothing reads out of bounds."
 *
 * Layout of this file:
 *   1. a fixture in static memory (cells placed with gru_cell_init, so that a
 *      failing CHECK that returns early can never leak);
 *   2. the NULL sweep: every pointer argument of every public function, once
 *      NULL with the others valid (X-macro table: one test per row);
 *   3. the "not a cell" sweep: every handle function given memory that is
 *      not an initialised cell (a call before weights exist);
 *   4. functions that return values or nothing (no status): NULL and bad
 *      values must be harmless;
 *   5. invalid enum values: dtype 0/3/-1, every kind out of range, training
 *      out of range, for every function that takes them;
 *   6. remaining bad values: sizes, overflow, NaN, shapes, state;
 *   7. documented exceptions (NULL allowed) that must keep working.
 * Tests marked "BUG:" expect the correct behaviour and fail until the library
 * is fixed. Every test name starts with "badinput_". */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include "runner.h"

void tests_badinput(void);

/* ------------------------------------------------------------------------ */
/* 1. Fixture.                                                               */
/* ------------------------------------------------------------------------ */
enum { FX_U = 3, FX_F = 2, FX_MB = 4, FX_MEM = 16384 };

static _Alignas(64) unsigned char fx_mem_plain[FX_MEM];  /* no dropout        */
static _Alignas(64) unsigned char fx_mem_drop[FX_MEM];   /* both dropouts 0.5 */
static _Alignas(64) unsigned char fx_mem_nobias[FX_MEM]; /* use_bias false    */
static _Alignas(64) unsigned char fx_mem_spare[FX_MEM];  /* for init tests    */
static _Alignas(64) unsigned char fx_junk_mem[FX_MEM];   /* zeros: not a cell */
static _Alignas(64) unsigned char fx_ws[FX_MEM];         /* call_ws workspace */

static gru_cell *P, *D, *N; /* plain, dropout, no-bias */
static gru_cell *J;         /* junk: never initialised */
static size_t fx_ws_bytes;

static float fx_x[FX_MB * FX_F], fx_h[FX_MB * FX_U], fx_o[FX_MB * FX_U];
static float fx_k[FX_F * 3 * FX_U], fx_r[FX_U * 3 * FX_U], fx_b[6 * FX_U];
static float fx_m[3 * FX_MB * FX_U]; /* 3 masks of (B, max(F, U)) */
static size_t fx_s1, fx_s2, fx_s3;
static bool fx_has;
static gru_cell_config fx_cfg, fx_cfg_out;
static gru_cell *fx_out;

/* Tensor-function fixture: a (2, 2) float64 weight. */
static const size_t fx_shape[2] = {2, 2};
static double fx_w[4], fx_g[4], fx_y[4], fx_dy[4], fx_dx[4], fx_pen;
static gru_activation fx_act;
static gru_initializer fx_init;
static gru_regularizer fx_reg;
static gru_constraint fx_con;
static gru_rng fx_rng;

static const gru_dtype k_bad_dtypes[3] = {(gru_dtype)0, (gru_dtype)3, (gru_dtype)-1};

static int fx_place(unsigned char *mem, const gru_cell_config *c, gru_cell **out) {
    size_t need;
    if (gru_cell_size(c, &need) != GRU_OK || need > FX_MEM) return 0;
    return gru_cell_init(mem, FX_MEM, c, out) == GRU_OK;
}

/* Fresh state for every test: three cells, buffers, option structs. */
static int fx_setup(void) {
    gru_cell_config c;
    if (gru_cell_config_init(&c, FX_U, FX_F) != GRU_OK) return 0;
    c.max_batch = FX_MB;
    if (!fx_place(fx_mem_plain, &c, &P)) return 0;
    c.dropout = 0.5;
    c.recurrent_dropout = 0.5;
    if (!fx_place(fx_mem_drop, &c, &D)) return 0;
    c.dropout = c.recurrent_dropout = 0.0;
    c.use_bias = false;
    if (!fx_place(fx_mem_nobias, &c, &N)) return 0;
    memset(fx_junk_mem, 0, sizeof fx_junk_mem);
    J = (gru_cell *)(void *)fx_junk_mem;
    if (gru_cell_workspace_size(P, 1, &fx_ws_bytes) != GRU_OK || fx_ws_bytes > FX_MEM) return 0;
    for (size_t i = 0; i < sizeof fx_x / sizeof fx_x[0]; i++) fx_x[i] = 0.25f;
    for (size_t i = 0; i < sizeof fx_h / sizeof fx_h[0]; i++) fx_h[i] = -0.5f;
    for (size_t i = 0; i < sizeof fx_m / sizeof fx_m[0]; i++) fx_m[i] = 1.0f;
    memset(fx_k, 0, sizeof fx_k);
    memset(fx_r, 0, sizeof fx_r);
    memset(fx_b, 0, sizeof fx_b);
    for (int i = 0; i < 4; i++) {
        fx_w[i] = 0.5 * (i + 1);
        fx_g[i] = 0.0;
        fx_y[i] = 0.0;
        fx_dy[i] = 1.0;
    }
    if (gru_cell_config_init(&fx_cfg, FX_U, FX_F) != GRU_OK) return 0;
    if (gru_activation_from_name("tanh", &fx_act) != GRU_OK) return 0;
    if (gru_initializer_from_name("glorot_uniform", &fx_init) != GRU_OK) return 0;
    if (gru_regularizer_from_name("l1_l2", &fx_reg) != GRU_OK) return 0;
    if (gru_constraint_from_name("max_norm", &fx_con) != GRU_OK) return 0;
    gru_rng_seed(&fx_rng, 7);
    fx_out = NULL;
    return 1;
}

/* gru_cell_create that never leaks: a cell made against expectations is
 * freed at once and the status still reported. */
static gru_status create_chk(const gru_cell_config *c) {
    gru_cell *cell = NULL;
    gru_status s = gru_cell_create(c, &cell);
    if (s == GRU_OK) gru_cell_free(cell);
    return s;
}

/* The three entry points that take a config must all reject it. */
#define CFG_REJECT(cfgp, want, needle)                                                  \
    do {                                                                                \
        CHECK_REJECT(gru_cell_size((cfgp), &fx_s1), want, needle);                      \
        CHECK_REJECT(gru_cell_init(fx_mem_spare, FX_MEM, (cfgp), &fx_out), want, needle); \
        CHECK(fx_out == NULL);                                                          \
        CHECK_REJECT(create_chk(cfgp), want, needle);                                   \
    } while (0)

/* One rejection per test: the X-macro rows below become TEST functions. */
#define BAD_DEF(name, want, needle, ...)                                                \
    TEST(name) {                                                                        \
        CHECK(fx_setup());                                                              \
        CHECK_REJECT((__VA_ARGS__), want, needle);                                      \
    }
#define BAD_RUN(name, want, needle, ...) TR_RUN(name);

/* ------------------------------------------------------------------------ */
/* 2. NULL for every pointer argument (others valid).                        */
/* ------------------------------------------------------------------------ */
#define NULL_CASES(X)                                                                              \
    /* activations */                                                                              \
    X(badinput_null_act_from_name_out, GRU_E_NULL, "out",                                          \
      gru_activation_from_name("tanh", NULL))                                                      \
    X(badinput_null_act_apply_act, GRU_E_NULL, "act",                                              \
      gru_activation_apply(NULL, GRU_F64, 2, 2, fx_w, fx_y))                                       \
    X(badinput_null_act_apply_x, GRU_E_NULL, "x is NULL",                                          \
      gru_activation_apply(&fx_act, GRU_F64, 2, 2, NULL, fx_y))                                    \
    X(badinput_null_act_apply_y, GRU_E_NULL, "y is NULL",                                          \
      gru_activation_apply(&fx_act, GRU_F64, 2, 2, fx_w, NULL))                                    \
    X(badinput_null_act_grad_act, GRU_E_NULL, "act",                                               \
      gru_activation_grad(NULL, GRU_F64, 2, 2, fx_w, fx_y, fx_dy, fx_dx))                          \
    X(badinput_null_act_grad_x, GRU_E_NULL, "x is NULL",                                           \
      gru_activation_grad(&fx_act, GRU_F64, 2, 2, NULL, fx_y, fx_dy, fx_dx))                       \
    X(badinput_null_act_grad_y, GRU_E_NULL, "y is NULL",                                           \
      gru_activation_grad(&fx_act, GRU_F64, 2, 2, fx_w, NULL, fx_dy, fx_dx))                       \
    X(badinput_null_act_grad_dy, GRU_E_NULL, "dy is NULL",                                         \
      gru_activation_grad(&fx_act, GRU_F64, 2, 2, fx_w, fx_y, NULL, fx_dx))                        \
    X(badinput_null_act_grad_dx, GRU_E_NULL, "dx is NULL",                                         \
      gru_activation_grad(&fx_act, GRU_F64, 2, 2, fx_w, fx_y, fx_dy, NULL))                        \
    /* initializers */                                                                             \
    X(badinput_null_init_from_name_name, GRU_E_NULL, "name",                                       \
      gru_initializer_from_name(NULL, &fx_init))                                                   \
    X(badinput_null_init_from_name_out, GRU_E_NULL, "out",                                         \
      gru_initializer_from_name("zeros", NULL))                                                    \
    X(badinput_null_init_fill_init, GRU_E_NULL, "init",                                            \
      gru_initializer_fill(NULL, &fx_rng, GRU_F64, 2, fx_shape, fx_w))                             \
    X(badinput_null_init_fill_rng, GRU_E_NULL, "rng",                                              \
      gru_initializer_fill(&fx_init, NULL, GRU_F64, 2, fx_shape, fx_w))                            \
    X(badinput_null_init_fill_shape, GRU_E_NULL, "shape",                                          \
      gru_initializer_fill(&fx_init, &fx_rng, GRU_F64, 2, NULL, fx_w))                             \
    X(badinput_null_init_fill_data, GRU_E_NULL, "data",                                            \
      gru_initializer_fill(&fx_init, &fx_rng, GRU_F64, 2, fx_shape, NULL))                         \
    /* regularizers */                                                                             \
    X(badinput_null_reg_from_name_out, GRU_E_NULL, "`out`",                                        \
      gru_regularizer_from_name("l2", NULL))                                                       \
    X(badinput_null_reg_penalty_reg, GRU_E_NULL, "`reg`",                                          \
      gru_regularizer_penalty(NULL, GRU_F64, 2, fx_shape, fx_w, &fx_pen))                          \
    X(badinput_null_reg_penalty_shape, GRU_E_NULL, "`shape`",                                      \
      gru_regularizer_penalty(&fx_reg, GRU_F64, 2, NULL, fx_w, &fx_pen))                           \
    X(badinput_null_reg_penalty_w, GRU_E_NULL, "`w`",                                              \
      gru_regularizer_penalty(&fx_reg, GRU_F64, 2, fx_shape, NULL, &fx_pen))                       \
    X(badinput_null_reg_penalty_penalty, GRU_E_NULL, "`penalty`",                                  \
      gru_regularizer_penalty(&fx_reg, GRU_F64, 2, fx_shape, fx_w, NULL))                          \
    X(badinput_null_reg_grad_reg, GRU_E_NULL, "`reg`",                                             \
      gru_regularizer_grad(NULL, GRU_F64, 2, fx_shape, fx_w, fx_g))                                \
    X(badinput_null_reg_grad_shape, GRU_E_NULL, "`shape`",                                         \
      gru_regularizer_grad(&fx_reg, GRU_F64, 2, NULL, fx_w, fx_g))                                 \
    X(badinput_null_reg_grad_w, GRU_E_NULL, "`w`",                                                 \
      gru_regularizer_grad(&fx_reg, GRU_F64, 2, fx_shape, NULL, fx_g))                             \
    X(badinput_null_reg_grad_grad, GRU_E_NULL, "`grad`",                                           \
      gru_regularizer_grad(&fx_reg, GRU_F64, 2, fx_shape, fx_w, NULL))                             \
    /* constraints */                                                                              \
    X(badinput_null_con_from_name_out, GRU_E_NULL, "`out`",                                        \
      gru_constraint_from_name("max_norm", NULL))                                                  \
    X(badinput_null_con_apply_c, GRU_E_NULL, "`c`",                                                \
      gru_constraint_apply(NULL, GRU_F64, 2, fx_shape, fx_w))                                      \
    X(badinput_null_con_apply_shape, GRU_E_NULL, "`shape`",                                        \
      gru_constraint_apply(&fx_con, GRU_F64, 2, NULL, fx_w))                                       \
    X(badinput_null_con_apply_w, GRU_E_NULL, "`w`",                                                \
      gru_constraint_apply(&fx_con, GRU_F64, 2, fx_shape, NULL))                                   \
    /* config, size, init, create */                                                               \
    X(badinput_null_config_init_cfg, GRU_E_NULL, "'cfg'", gru_cell_config_init(NULL, 3, 2))        \
    X(badinput_null_size_cfg, GRU_E_NULL, "'cfg'", gru_cell_size(NULL, &fx_s1))                    \
    X(badinput_null_size_size, GRU_E_NULL, "'size'", gru_cell_size(&fx_cfg, NULL))                 \
    X(badinput_null_init_mem, GRU_E_NULL, "'mem'",                                                 \
      gru_cell_init(NULL, FX_MEM, &fx_cfg, &fx_out))                                               \
    X(badinput_null_init_cfg, GRU_E_NULL, "'cfg'",                                                 \
      gru_cell_init(fx_mem_spare, FX_MEM, NULL, &fx_out))                                          \
    X(badinput_null_init_out, GRU_E_NULL, "'out'",                                                 \
      gru_cell_init(fx_mem_spare, FX_MEM, &fx_cfg, NULL))                                          \
    X(badinput_null_create_cfg, GRU_E_NULL, "'cfg'", gru_cell_create(NULL, &fx_out))               \
    X(badinput_null_create_out, GRU_E_NULL, "'out'", gru_cell_create(&fx_cfg, NULL))               \
    /* handle accessors */                                                                         \
    X(badinput_null_get_config_cell, GRU_E_NULL, "'cell'", gru_cell_get_config(NULL, &fx_cfg_out)) \
    X(badinput_null_get_config_cfg, GRU_E_NULL, "'cfg'", gru_cell_get_config(P, NULL))             \
    X(badinput_null_weight_sizes_cell, GRU_E_NULL, "'cell'",                                       \
      gru_cell_weight_sizes(NULL, &fx_s1, &fx_s2, &fx_s3))                                         \
    X(badinput_null_weight_sizes_kernel, GRU_E_NULL, "'kernel'",                                   \
      gru_cell_weight_sizes(P, NULL, &fx_s2, &fx_s3))                                              \
    X(badinput_null_weight_sizes_recurrent, GRU_E_NULL, "'recurrent'",                             \
      gru_cell_weight_sizes(P, &fx_s1, NULL, &fx_s3))                                              \
    X(badinput_null_weight_sizes_bias, GRU_E_NULL, "'bias'",                                       \
      gru_cell_weight_sizes(P, &fx_s1, &fx_s2, NULL))                                              \
    /* weights */                                                                                  \
    X(badinput_null_get_weights_cell, GRU_E_NULL, "'cell'",                                        \
      gru_cell_get_weights(NULL, GRU_F32, fx_k, fx_r, fx_b))                                       \
    X(badinput_null_get_weights_kernel, GRU_E_NULL, "'kernel'",                                    \
      gru_cell_get_weights(P, GRU_F32, NULL, fx_r, fx_b))                                          \
    X(badinput_null_get_weights_recurrent_kernel, GRU_E_NULL, "'recurrent_kernel'",                \
      gru_cell_get_weights(P, GRU_F32, fx_k, NULL, fx_b))                                          \
    X(badinput_null_get_weights_bias, GRU_E_NULL, "'bias'",                                        \
      gru_cell_get_weights(P, GRU_F32, fx_k, fx_r, NULL))                                          \
    X(badinput_null_set_weights_cell, GRU_E_NULL, "'cell'",                                        \
      gru_cell_set_weights(NULL, GRU_F32, fx_k, fx_r, fx_b))                                       \
    X(badinput_null_set_weights_kernel, GRU_E_NULL, "'kernel'",                                    \
      gru_cell_set_weights(P, GRU_F32, NULL, fx_r, fx_b))                                          \
    X(badinput_null_set_weights_recurrent_kernel, GRU_E_NULL, "'recurrent_kernel'",                \
      gru_cell_set_weights(P, GRU_F32, fx_k, NULL, fx_b))                                          \
    X(badinput_null_set_weights_bias, GRU_E_NULL, "'bias'",                                        \
      gru_cell_set_weights(P, GRU_F32, fx_k, fx_r, NULL))                                          \
    X(badinput_null_reset_weights_cell, GRU_E_NULL, "'cell'", gru_cell_reset_weights(NULL, 1))     \
    X(badinput_null_losses_cell, GRU_E_NULL, "'cell'", gru_cell_losses(NULL, NULL, &fx_pen))       \
    X(badinput_null_apply_constraints_cell, GRU_E_NULL, "'cell'", gru_cell_apply_constraints(NULL)) \
    /* call */                                                                                     \
    X(badinput_null_workspace_size_cell, GRU_E_NULL, "'cell'",                                     \
      gru_cell_workspace_size(NULL, 1, &fx_s1))                                                    \
    X(badinput_null_workspace_size_bytes, GRU_E_NULL, "'bytes'", gru_cell_workspace_size(P, 1, NULL)) \
    X(badinput_null_call_cell, GRU_E_NULL, "'cell'",                                               \
      gru_cell_call(NULL, GRU_F32, 1, fx_x, fx_h, GRU_TRAINING_FALSE, fx_o))                       \
    X(badinput_null_call_x, GRU_E_NULL, "'x'",                                                     \
      gru_cell_call(P, GRU_F32, 1, NULL, fx_h, GRU_TRAINING_FALSE, fx_o))                          \
    X(badinput_null_call_h, GRU_E_NULL, "'h'",                                                     \
      gru_cell_call(P, GRU_F32, 1, fx_x, NULL, GRU_TRAINING_FALSE, fx_o))                          \
    X(badinput_null_call_h_new, GRU_E_NULL, "'h_new'",                                             \
      gru_cell_call(P, GRU_F32, 1, fx_x, fx_h, GRU_TRAINING_FALSE, NULL))                          \
    X(badinput_null_call_ws_cell, GRU_E_NULL, "'cell'",                                            \
      gru_cell_call_ws(NULL, GRU_F32, 1, fx_x, fx_h, GRU_TRAINING_FALSE, fx_o, fx_ws, fx_ws_bytes)) \
    X(badinput_null_call_ws_x, GRU_E_NULL, "'x'",                                                  \
      gru_cell_call_ws(P, GRU_F32, 1, NULL, fx_h, GRU_TRAINING_FALSE, fx_o, fx_ws, fx_ws_bytes))   \
    X(badinput_null_call_ws_h, GRU_E_NULL, "'h'",                                                  \
      gru_cell_call_ws(P, GRU_F32, 1, fx_x, NULL, GRU_TRAINING_FALSE, fx_o, fx_ws, fx_ws_bytes))   \
    X(badinput_null_call_ws_h_new, GRU_E_NULL, "'h_new'",                                          \
      gru_cell_call_ws(P, GRU_F32, 1, fx_x, fx_h, GRU_TRAINING_FALSE, NULL, fx_ws, fx_ws_bytes))   \
    X(badinput_null_call_ws_workspace, GRU_E_NULL, "'workspace'",                                  \
      gru_cell_call_ws(P, GRU_F32, 1, fx_x, fx_h, GRU_TRAINING_FALSE, fx_o, NULL, fx_ws_bytes))    \
    X(badinput_null_initial_state_cell, GRU_E_NULL, "'cell'",                                      \
      gru_cell_get_initial_state(NULL, GRU_F32, 1, fx_o))                                          \
    X(badinput_null_initial_state_state, GRU_E_NULL, "'state'",                                    \
      gru_cell_get_initial_state(P, GRU_F32, 1, NULL))                                             \
    /* dropout masks */                                                                            \
    X(badinput_null_get_dropout_mask_cell, GRU_E_NULL, "'cell'",                                   \
      gru_cell_get_dropout_mask(NULL, GRU_F32, 1, GRU_TRAINING_TRUE, 3, fx_m, &fx_has))            \
    X(badinput_null_get_dropout_mask_has_mask, GRU_E_NULL, "'has_mask'",                           \
      gru_cell_get_dropout_mask(D, GRU_F32, 1, GRU_TRAINING_TRUE, 3, fx_m, NULL))                  \
    X(badinput_null_get_rec_dropout_mask_cell, GRU_E_NULL, "'cell'",                               \
      gru_cell_get_recurrent_dropout_mask(NULL, GRU_F32, 1, GRU_TRAINING_TRUE, 3, fx_m, &fx_has))  \
    X(badinput_null_get_rec_dropout_mask_has_mask, GRU_E_NULL, "'has_mask'",                       \
      gru_cell_get_recurrent_dropout_mask(D, GRU_F32, 1, GRU_TRAINING_TRUE, 3, fx_m, NULL))        \
    X(badinput_null_reset_dropout_mask_cell, GRU_E_NULL, "'cell'", gru_cell_reset_dropout_mask(NULL)) \
    X(badinput_null_reset_rec_dropout_mask_cell, GRU_E_NULL, "'cell'",                             \
      gru_cell_reset_recurrent_dropout_mask(NULL))                                                 \
    X(badinput_null_set_dropout_mask_cell, GRU_E_NULL, "'cell'",                                   \
      gru_cell_set_dropout_mask(NULL, GRU_F32, 1, fx_m))                                           \
    X(badinput_null_set_dropout_mask_masks, GRU_E_NULL, "'masks'",                                 \
      gru_cell_set_dropout_mask(D, GRU_F32, 1, NULL))                                              \
    X(badinput_null_set_rec_dropout_mask_cell, GRU_E_NULL, "'cell'",                               \
      gru_cell_set_recurrent_dropout_mask(NULL, GRU_F32, 1, fx_m))                                 \
    X(badinput_null_set_rec_dropout_mask_masks, GRU_E_NULL, "'masks'",                             \
      gru_cell_set_recurrent_dropout_mask(D, GRU_F32, 1, NULL))

NULL_CASES(BAD_DEF)

/* The handle keeps the message of a failed call on it, too. */
#define HANDLE_MSG_CASES(X)                                                                        \
    X(badinput_handle_msg_get_config, "'cfg'", gru_cell_get_config(P, NULL))                       \
    X(badinput_handle_msg_weight_sizes, "'bias'", gru_cell_weight_sizes(P, &fx_s1, &fx_s2, NULL))  \
    X(badinput_handle_msg_get_weights, "'kernel'", gru_cell_get_weights(P, GRU_F32, NULL, fx_r, fx_b)) \
    X(badinput_handle_msg_set_weights, "'recurrent_kernel'",                                       \
      gru_cell_set_weights(P, GRU_F32, fx_k, NULL, fx_b))                                          \
    X(badinput_handle_msg_workspace_size, "'bytes'", gru_cell_workspace_size(P, 1, NULL))          \
    X(badinput_handle_msg_call_ws, "'workspace'",                                                  \
      gru_cell_call_ws(P, GRU_F32, 1, fx_x, fx_h, GRU_TRAINING_FALSE, fx_o, NULL, 64))             \
    X(badinput_handle_msg_initial_state, "'state'", gru_cell_get_initial_state(P, GRU_F32, 1, NULL)) \
    X(badinput_handle_msg_get_mask, "'has_mask'",                                                  \
      gru_cell_get_dropout_mask(P, GRU_F32, 1, GRU_TRAINING_TRUE, 3, NULL, NULL))                  \
    X(badinput_handle_msg_set_mask, "'masks'", gru_cell_set_recurrent_dropout_mask(D, GRU_F32, 1, NULL))

#define HMSG_DEF(name, needle, ...)                                                     \
    TEST(name) {                                                                        \
        CHECK(fx_setup());                                                              \
        gru_status s_h = (__VA_ARGS__);                                                 \
        CHECK(s_h != GRU_OK);                                                           \
        CHECK_MSG(strstr(gru_cell_last_error(P), needle) != NULL ||                     \
                      strstr(gru_cell_last_error(D), needle) != NULL,                   \
                  "handle message lacks \"%s\" (thread: %s)", needle, gru_last_error()); \
    }
#define HMSG_RUN(name, needle, ...) TR_RUN(name);
HANDLE_MSG_CASES(HMSG_DEF)

/* ------------------------------------------------------------------------ */
/* 3. Memory that is not an initialised cell (a call before weights exist). */
/* ------------------------------------------------------------------------ */
#define NOT_A_CELL "not an initialised cell"
#define JUNK_CASES(X)                                                                              \
    X(badinput_junk_get_config, GRU_E_STATE, NOT_A_CELL, gru_cell_get_config(J, &fx_cfg_out))      \
    X(badinput_junk_weight_sizes, GRU_E_STATE, NOT_A_CELL,                                         \
      gru_cell_weight_sizes(J, &fx_s1, &fx_s2, &fx_s3))                                            \
    X(badinput_junk_get_weights, GRU_E_STATE, NOT_A_CELL,                                          \
      gru_cell_get_weights(J, GRU_F32, fx_k, fx_r, fx_b))                                          \
    X(badinput_junk_set_weights, GRU_E_STATE, NOT_A_CELL,                                          \
      gru_cell_set_weights(J, GRU_F32, fx_k, fx_r, fx_b))                                          \
    X(badinput_junk_reset_weights, GRU_E_STATE, NOT_A_CELL, gru_cell_reset_weights(J, 1))          \
    X(badinput_junk_losses, GRU_E_STATE, NOT_A_CELL, gru_cell_losses(J, NULL, NULL))               \
    X(badinput_junk_apply_constraints, GRU_E_STATE, NOT_A_CELL, gru_cell_apply_constraints(J))     \
    X(badinput_junk_workspace_size, GRU_E_STATE, NOT_A_CELL, gru_cell_workspace_size(J, 1, &fx_s1)) \
    X(badinput_junk_call, GRU_E_STATE, NOT_A_CELL,                                                 \
      gru_cell_call(J, GRU_F32, 1, fx_x, fx_h, GRU_TRAINING_FALSE, fx_o))                          \
    X(badinput_junk_call_ws, GRU_E_STATE, NOT_A_CELL,                                              \
      gru_cell_call_ws(J, GRU_F32, 1, fx_x, fx_h, GRU_TRAINING_FALSE, fx_o, fx_ws, fx_ws_bytes))   \
    X(badinput_junk_initial_state, GRU_E_STATE, NOT_A_CELL,                                        \
      gru_cell_get_initial_state(J, GRU_F32, 1, fx_o))                                             \
    X(badinput_junk_get_dropout_mask, GRU_E_STATE, NOT_A_CELL,                                     \
      gru_cell_get_dropout_mask(J, GRU_F32, 1, GRU_TRAINING_TRUE, 3, fx_m, &fx_has))               \
    X(badinput_junk_get_rec_dropout_mask, GRU_E_STATE, NOT_A_CELL,                                 \
      gru_cell_get_recurrent_dropout_mask(J, GRU_F32, 1, GRU_TRAINING_TRUE, 3, fx_m, &fx_has))     \
    X(badinput_junk_reset_dropout_mask, GRU_E_STATE, NOT_A_CELL, gru_cell_reset_dropout_mask(J))   \
    X(badinput_junk_reset_rec_dropout_mask, GRU_E_STATE, NOT_A_CELL,                               \
      gru_cell_reset_recurrent_dropout_mask(J))                                                    \
    X(badinput_junk_set_dropout_mask, GRU_E_STATE, NOT_A_CELL,                                     \
      gru_cell_set_dropout_mask(J, GRU_F32, 1, fx_m))                                              \
    X(badinput_junk_set_rec_dropout_mask, GRU_E_STATE, NOT_A_CELL,                                 \
      gru_cell_set_recurrent_dropout_mask(J, GRU_F32, 1, fx_m))

JUNK_CASES(BAD_DEF)

/* A gru_cell_init that failed (the bias initializer cannot fill a rank-1
 * bias) leaves memory that every call rejects: weights never existed. */
TEST(badinput_failed_init_leaves_no_cell) {
    CHECK(fx_setup());
    gru_cell_config c;
    CHECK_OK(gru_cell_config_init(&c, FX_U, FX_F));
    CHECK_OK(gru_initializer_from_name("identity", &c.bias_initializer));
    memset(fx_mem_spare, 0, sizeof fx_mem_spare);
    gru_cell *cell = (gru_cell *)1;
    CHECK(gru_cell_init(fx_mem_spare, FX_MEM, &c, &cell) != GRU_OK);
    CHECK(cell == NULL);
    gru_cell *stale = (gru_cell *)(void *)fx_mem_spare;
    CHECK_REJECT(gru_cell_call(stale, GRU_F32, 1, fx_x, fx_h, GRU_TRAINING_FALSE, fx_o),
                 GRU_E_STATE, NOT_A_CELL);
    CHECK_REJECT(gru_cell_get_weights(stale, GRU_F32, fx_k, fx_r, fx_b), GRU_E_STATE, NOT_A_CELL);
    CHECK(gru_cell_units(stale) == -1);
    gru_cell_free(stale); /* no-op */
}

/* A cell from gru_cell_init is not owned: gru_cell_free leaves it usable. */
TEST(badinput_free_of_placed_cell_is_a_noop) {
    CHECK(fx_setup());
    gru_cell_free(P);
    CHECK_OK(gru_cell_call(P, GRU_F32, 1, fx_x, fx_h, GRU_TRAINING_FALSE, fx_o));
}

/* ------------------------------------------------------------------------ */
/* 4. Functions without a status: NULL and bad values are harmless.          */
/* ------------------------------------------------------------------------ */
TEST(badinput_value_cell_free_null_and_junk) {
    CHECK(fx_setup());
    gru_cell_free(NULL);
    gru_cell_free(J);
    CHECK(gru_cell_units(J) == -1); /* still junk, untouched */
}

TEST(badinput_value_cell_last_error_null) {
    CHECK(strstr(gru_cell_last_error(NULL), "'cell'") != NULL);
    CHECK(strstr(gru_cell_last_error(NULL), "NULL") != NULL);
}

TEST(badinput_value_cell_last_error_junk) {
    CHECK(fx_setup());
    CHECK(strstr(gru_cell_last_error(J), NOT_A_CELL) != NULL);
}

TEST(badinput_value_cell_units) {
    CHECK(fx_setup());
    CHECK(gru_cell_units(NULL) == -1);
    CHECK(gru_cell_units(J) == -1);
}

TEST(badinput_value_cell_input_dim) {
    CHECK(fx_setup());
    CHECK(gru_cell_input_dim(NULL) == -1);
    CHECK(gru_cell_input_dim(J) == -1);
}

TEST(badinput_value_cell_dtype) {
    CHECK(fx_setup());
    CHECK(gru_cell_dtype(NULL) == (gru_dtype)0);
    CHECK(gru_cell_dtype(J) == (gru_dtype)0);
}

TEST(badinput_value_cell_kernel_name) {
    CHECK(fx_setup());
    CHECK(gru_cell_kernel_name(NULL) != NULL && gru_cell_kernel_name(NULL)[0] == '\0');
    CHECK(gru_cell_kernel_name(J) != NULL && gru_cell_kernel_name(J)[0] == '\0');
}

/* A failed handle-accessor call still leaves a thread message naming 'cell'. */
TEST(badinput_value_accessors_set_thread_message) {
    CHECK(fx_setup());
    (void)gru_cell_units(NULL);
    CHECK(strstr(gru_last_error(), "'cell'") != NULL);
    (void)gru_cell_kernel_name(J);
    CHECK(strstr(gru_last_error(), NOT_A_CELL) != NULL);
}

TEST(badinput_value_activation_name_null) {
    CHECK(strcmp(gru_activation_name(NULL), "unknown") == 0);
}

TEST(badinput_value_rng_seed_null) {
    gru_rng_seed(NULL, 123);
    CHECK(gru_rng_next(NULL) == 0); /* still harmless afterwards */
}
TEST(badinput_value_rng_next_null) { CHECK(gru_rng_next(NULL) == 0); }
TEST(badinput_value_rng_uniform_null) { CHECK(gru_rng_uniform(NULL) == 0.0); }
TEST(badinput_value_rng_normal_null) { CHECK(gru_rng_normal(NULL) == 0.0); }

TEST(badinput_value_status_str_out_of_range) {
    const int bad[5] = {1, -13, 100, INT_MIN, INT_MAX};
    for (int i = 0; i < 5; i++)
        CHECK(strcmp(gru_status_str((gru_status)bad[i]), "unknown status") == 0);
}

TEST(badinput_value_status_name_out_of_range) {
    const int bad[5] = {1, -13, 100, INT_MIN, INT_MAX};
    for (int i = 0; i < 5; i++)
        CHECK(strcmp(gru_status_name((gru_status)bad[i]), "GRU_UNKNOWN") == 0);
}

TEST(badinput_value_dtype_size_invalid) {
    for (int i = 0; i < 3; i++) CHECK(gru_dtype_size(k_bad_dtypes[i]) == 0);
}

TEST(badinput_value_last_error_never_null) {
    CHECK(gru_last_error() != NULL);
    CHECK(gru_version() != NULL);
}

/* ------------------------------------------------------------------------ */
/* 5. Invalid enum values.                                                   */
/* ------------------------------------------------------------------------ */
/* dtype 0, 3, -1 for every function that takes a dtype; `dt` is the value. */
#define DTYPE_CASES(X)                                                                             \
    X(badinput_dtype_act_apply, "dtype", gru_activation_apply(&fx_act, dt, 2, 2, fx_w, fx_y))      \
    X(badinput_dtype_act_grad, "dtype",                                                            \
      gru_activation_grad(&fx_act, dt, 2, 2, fx_w, fx_y, fx_dy, fx_dx))                            \
    X(badinput_dtype_init_fill, "dtype",                                                           \
      gru_initializer_fill(&fx_init, &fx_rng, dt, 2, fx_shape, fx_w))                              \
    X(badinput_dtype_reg_penalty, "`dtype`",                                                       \
      gru_regularizer_penalty(&fx_reg, dt, 2, fx_shape, fx_w, &fx_pen))                            \
    X(badinput_dtype_reg_grad, "`dtype`", gru_regularizer_grad(&fx_reg, dt, 2, fx_shape, fx_w, fx_g)) \
    X(badinput_dtype_con_apply, "`dtype`", gru_constraint_apply(&fx_con, dt, 2, fx_shape, fx_w))   \
    X(badinput_dtype_cfg_size, "cfg.dtype", (fx_cfg.dtype = dt, gru_cell_size(&fx_cfg, &fx_s1)))   \
    X(badinput_dtype_cfg_init, "cfg.dtype",                                                        \
      (fx_cfg.dtype = dt, gru_cell_init(fx_mem_spare, FX_MEM, &fx_cfg, &fx_out)))                  \
    X(badinput_dtype_cfg_create, "cfg.dtype", (fx_cfg.dtype = dt, create_chk(&fx_cfg)))            \
    X(badinput_dtype_get_weights, "'dtype'", gru_cell_get_weights(P, dt, fx_k, fx_r, fx_b))        \
    X(badinput_dtype_set_weights, "'dtype'", gru_cell_set_weights(P, dt, fx_k, fx_r, fx_b))        \
    X(badinput_dtype_call, "'dtype'",                                                              \
      gru_cell_call(P, dt, 1, fx_x, fx_h, GRU_TRAINING_FALSE, fx_o))                               \
    X(badinput_dtype_call_ws, "'dtype'",                                                           \
      gru_cell_call_ws(P, dt, 1, fx_x, fx_h, GRU_TRAINING_FALSE, fx_o, fx_ws, fx_ws_bytes))        \
    X(badinput_dtype_initial_state, "'dtype'", gru_cell_get_initial_state(P, dt, 1, fx_o))         \
    X(badinput_dtype_get_dropout_mask, "'dtype'",                                                  \
      gru_cell_get_dropout_mask(D, dt, 1, GRU_TRAINING_TRUE, 3, fx_m, &fx_has))                    \
    X(badinput_dtype_get_rec_dropout_mask, "'dtype'",                                              \
      gru_cell_get_recurrent_dropout_mask(D, dt, 1, GRU_TRAINING_TRUE, 3, fx_m, &fx_has))          \
    X(badinput_dtype_set_dropout_mask, "'dtype'", gru_cell_set_dropout_mask(D, dt, 1, fx_m))       \
    X(badinput_dtype_set_rec_dropout_mask, "'dtype'",                                              \
      gru_cell_set_recurrent_dropout_mask(D, dt, 1, fx_m))

#define DTYPE_DEF(name, needle, ...)                                                    \
    TEST(name) {                                                                        \
        for (int i_ = 0; i_ < 3; i_++) {                                                \
            CHECK(fx_setup());                                                          \
            const gru_dtype dt = k_bad_dtypes[i_];                                      \
            CHECK_REJECT((__VA_ARGS__), GRU_E_DTYPE, needle);                           \
        }                                                                               \
    }
#define DTYPE_RUN(name, needle, ...) TR_RUN(name);
DTYPE_CASES(DTYPE_DEF)

/* A valid dtype that is not the cell's own: the call has no conversion. */
TEST(badinput_dtype_call_ws_mismatch) {
    CHECK(fx_setup());
    double xd[FX_F] = {0}, hd[FX_U] = {0};
    CHECK_REJECT(gru_cell_call_ws(P, GRU_F64, 1, xd, hd, GRU_TRAINING_FALSE, hd, fx_ws, fx_ws_bytes),
                 GRU_E_DTYPE, "GRU_F32");
}

/* training -2, 2, 99 for every function that takes it; `tr` is the value. */
static const gru_training k_bad_training[3] = {(gru_training)-2, (gru_training)2,
                                               (gru_training)99};
#define TRAINING_CASES(X)                                                                          \
    X(badinput_training_call, gru_cell_call(P, GRU_F32, 1, fx_x, fx_h, tr, fx_o))                  \
    X(badinput_training_call_dropout_cell, gru_cell_call(D, GRU_F32, 1, fx_x, fx_h, tr, fx_o))     \
    X(badinput_training_call_ws,                                                                   \
      gru_cell_call_ws(P, GRU_F32, 1, fx_x, fx_h, tr, fx_o, fx_ws, fx_ws_bytes))                   \
    X(badinput_training_get_dropout_mask,                                                          \
      gru_cell_get_dropout_mask(D, GRU_F32, 1, tr, 3, fx_m, &fx_has))                              \
    X(badinput_training_get_dropout_mask_rate0,                                                    \
      gru_cell_get_dropout_mask(P, GRU_F32, 1, tr, 3, fx_m, &fx_has))                              \
    X(badinput_training_get_rec_dropout_mask,                                                      \
      gru_cell_get_recurrent_dropout_mask(D, GRU_F32, 1, tr, 3, fx_m, &fx_has))

#define TRAINING_DEF(name, ...)                                                         \
    TEST(name) {                                                                        \
        for (int i_ = 0; i_ < 3; i_++) {                                                \
            CHECK(fx_setup());                                                          \
            const gru_training tr = k_bad_training[i_];                                 \
            CHECK_REJECT((__VA_ARGS__), GRU_E_ARG, "'training'");                       \
        }                                                                               \
    }
#define TRAINING_RUN(name, ...) TR_RUN(name);
TRAINING_CASES(TRAINING_DEF)

/* Kinds and sub-enums out of range, for the direct functions. `v` is the
 * bad value, applied by `set` to the fixture struct before the call. */
#define ENUM_DEF(name, want, needle, n, vals, set, ...)                                 \
    TEST(name) {                                                                        \
        static const int v_all[n] = vals;                                               \
        for (int i_ = 0; i_ < (n); i_++) {                                              \
            CHECK(fx_setup());                                                          \
            const int v = v_all[i_];                                                    \
            set;                                                                        \
            CHECK_REJECT((__VA_ARGS__), want, needle);                                  \
        }                                                                               \
    }
#define V3(a, b, c) {a, b, c}
#define V2(a, b) {a, b}

ENUM_DEF(badinput_kind_act_apply, GRU_E_ARG, "act.kind", 3, V3(-1, (int)GRU_ACT_COUNT_, 999),
         fx_act.kind = (gru_activation_kind)v, gru_activation_apply(&fx_act, GRU_F64, 2, 2, fx_w, fx_y))
ENUM_DEF(badinput_kind_act_grad, GRU_E_ARG, "act.kind", 3, V3(-1, (int)GRU_ACT_COUNT_, 999),
         fx_act.kind = (gru_activation_kind)v,
         gru_activation_grad(&fx_act, GRU_F64, 2, 2, fx_w, fx_y, fx_dy, fx_dx))
ENUM_DEF(badinput_kind_init_fill, GRU_E_ARG, "init.kind", 3, V3(-1, (int)GRU_INIT_COUNT_, 999),
         fx_init.kind = (gru_init_kind)v,
         gru_initializer_fill(&fx_init, &fx_rng, GRU_F64, 2, fx_shape, fx_w))
ENUM_DEF(badinput_kind_init_fill_mode, GRU_E_ARG, "init.mode", 2, V2(-1, 3),
         fx_init.mode = (gru_fan_mode)v,
         gru_initializer_fill(&fx_init, &fx_rng, GRU_F64, 2, fx_shape, fx_w))
ENUM_DEF(badinput_kind_init_fill_distribution, GRU_E_ARG, "init.distribution", 2, V2(-1, 3),
         fx_init.distribution = (gru_distribution)v,
         gru_initializer_fill(&fx_init, &fx_rng, GRU_F64, 2, fx_shape, fx_w))
ENUM_DEF(badinput_kind_reg_penalty, GRU_E_ARG, "reg.kind", 3, V3(-1, 3, 999),
         fx_reg.kind = (gru_reg_kind)v,
         gru_regularizer_penalty(&fx_reg, GRU_F64, 2, fx_shape, fx_w, &fx_pen))
ENUM_DEF(badinput_kind_reg_grad, GRU_E_ARG, "reg.kind", 3, V3(-1, 3, 999),
         fx_reg.kind = (gru_reg_kind)v, gru_regularizer_grad(&fx_reg, GRU_F64, 2, fx_shape, fx_w, fx_g))
ENUM_DEF(badinput_kind_reg_penalty_mode, GRU_E_ARG, "reg.mode", 2, V2(-1, 2),
         (fx_reg.kind = GRU_REG_ORTHOGONAL, fx_reg.factor = 0.01, fx_reg.mode = (gru_orth_mode)v),
         gru_regularizer_penalty(&fx_reg, GRU_F64, 2, fx_shape, fx_w, &fx_pen))
ENUM_DEF(badinput_kind_reg_grad_mode, GRU_E_ARG, "reg.mode", 2, V2(-1, 2),
         (fx_reg.kind = GRU_REG_ORTHOGONAL, fx_reg.factor = 0.01, fx_reg.mode = (gru_orth_mode)v),
         gru_regularizer_grad(&fx_reg, GRU_F64, 2, fx_shape, fx_w, fx_g))
ENUM_DEF(badinput_kind_con_apply, GRU_E_ARG, "c.kind", 3,
         V3(-1, (int)GRU_CONSTRAINT_RADIAL + 1, 999), fx_con.kind = (gru_constraint_kind)v,
         gru_constraint_apply(&fx_con, GRU_F64, 2, fx_shape, fx_w))

TEST(badinput_kind_act_name_out_of_range) {
    const int bad[3] = {-1, (int)GRU_ACT_COUNT_, 999};
    for (int i = 0; i < 3; i++) {
        gru_activation a;
        memset(&a, 0, sizeof a);
        a.kind = (gru_activation_kind)bad[i];
        CHECK(strcmp(gru_activation_name(&a), "unknown") == 0);
    }
}

/* The same kinds inside a config: gru_cell_size, gru_cell_init and
 * gru_cell_create all reject them and name the config field. */
#define CFG_ENUM_DEF(name, needle, n, vals, set)                                        \
    TEST(name) {                                                                        \
        static const int v_all[n] = vals;                                               \
        for (int i_ = 0; i_ < (n); i_++) {                                              \
            CHECK(fx_setup());                                                          \
            const int v = v_all[i_];                                                    \
            set;                                                                        \
            CFG_REJECT(&fx_cfg, GRU_E_ARG, needle);                                     \
        }                                                                               \
    }

CFG_ENUM_DEF(badinput_cfg_kind_activation, "cfg.activation.kind", 3,
             V3(-1, (int)GRU_ACT_COUNT_, 999), fx_cfg.activation.kind = (gru_activation_kind)v)
CFG_ENUM_DEF(badinput_cfg_kind_recurrent_activation, "cfg.recurrent_activation.kind", 3,
             V3(-1, (int)GRU_ACT_COUNT_, 999),
             fx_cfg.recurrent_activation.kind = (gru_activation_kind)v)
CFG_ENUM_DEF(badinput_cfg_kind_kernel_initializer, "cfg.kernel_initializer.kind", 3,
             V3(-1, (int)GRU_INIT_COUNT_, 999), fx_cfg.kernel_initializer.kind = (gru_init_kind)v)
CFG_ENUM_DEF(badinput_cfg_kind_recurrent_initializer, "cfg.recurrent_initializer.kind", 3,
             V3(-1, (int)GRU_INIT_COUNT_, 999),
             fx_cfg.recurrent_initializer.kind = (gru_init_kind)v)
CFG_ENUM_DEF(badinput_cfg_kind_bias_initializer, "cfg.bias_initializer.kind", 3,
             V3(-1, (int)GRU_INIT_COUNT_, 999), fx_cfg.bias_initializer.kind = (gru_init_kind)v)
CFG_ENUM_DEF(badinput_cfg_kind_kernel_initializer_mode, "cfg.kernel_initializer.mode", 2,
             V2(-1, 3), fx_cfg.kernel_initializer.mode = (gru_fan_mode)v)
CFG_ENUM_DEF(badinput_cfg_kind_kernel_initializer_distribution,
             "cfg.kernel_initializer.distribution", 2, V2(-1, 3),
             fx_cfg.kernel_initializer.distribution = (gru_distribution)v)
CFG_ENUM_DEF(badinput_cfg_kind_kernel_regularizer, "cfg.kernel_regularizer.kind", 3,
             V3(-1, 3, 999), fx_cfg.kernel_regularizer.kind = (gru_reg_kind)v)
CFG_ENUM_DEF(badinput_cfg_kind_recurrent_regularizer, "cfg.recurrent_regularizer.kind", 3,
             V3(-1, 3, 999), fx_cfg.recurrent_regularizer.kind = (gru_reg_kind)v)
CFG_ENUM_DEF(badinput_cfg_kind_bias_regularizer, "cfg.bias_regularizer.kind", 3,
             V3(-1, 3, 999), fx_cfg.bias_regularizer.kind = (gru_reg_kind)v)
CFG_ENUM_DEF(badinput_cfg_kind_recurrent_regularizer_mode, "cfg.recurrent_regularizer.mode", 2,
             V2(-1, 2),
             (fx_cfg.recurrent_regularizer.kind = GRU_REG_ORTHOGONAL,
              fx_cfg.recurrent_regularizer.factor = 0.01,
              fx_cfg.recurrent_regularizer.mode = (gru_orth_mode)v))
CFG_ENUM_DEF(badinput_cfg_kind_kernel_constraint, "cfg.kernel_constraint.kind", 3,
             V3(-1, (int)GRU_CONSTRAINT_RADIAL + 1, 999),
             fx_cfg.kernel_constraint.kind = (gru_constraint_kind)v)
CFG_ENUM_DEF(badinput_cfg_kind_recurrent_constraint, "cfg.recurrent_constraint.kind", 3,
             V3(-1, (int)GRU_CONSTRAINT_RADIAL + 1, 999),
             fx_cfg.recurrent_constraint.kind = (gru_constraint_kind)v)
CFG_ENUM_DEF(badinput_cfg_kind_bias_constraint, "cfg.bias_constraint.kind", 3,
             V3(-1, (int)GRU_CONSTRAINT_RADIAL + 1, 999),
             fx_cfg.bias_constraint.kind = (gru_constraint_kind)v)

/* ------------------------------------------------------------------------ */
/* 6. Other bad values: sizes, overflow, NaN, shapes, state.                 */
/* ------------------------------------------------------------------------ */
/* config fields, through size/init/create (create alone is in test_errors) */
TEST(badinput_cfg_units_nonpositive) {
    CHECK(fx_setup());
    fx_cfg.units = -1;
    CFG_REJECT(&fx_cfg, GRU_E_ARG, "cfg.units");
    CHECK(strstr(gru_last_error(), "-1") != NULL); /* the received value */
}

TEST(badinput_cfg_units_int64_min) {
    CHECK(fx_setup());
    fx_cfg.units = INT64_MIN;
    CFG_REJECT(&fx_cfg, GRU_E_ARG, "cfg.units");
}

TEST(badinput_cfg_input_dim_nonpositive) {
    CHECK(fx_setup());
    fx_cfg.input_dim = 0;
    CFG_REJECT(&fx_cfg, GRU_E_ARG, "cfg.input_dim");
}

TEST(badinput_cfg_input_dim_overflows) {
    CHECK(fx_setup());
    fx_cfg.input_dim = INT64_MAX;
    CFG_REJECT(&fx_cfg, GRU_E_OVERFLOW, "input_dim");
}

TEST(badinput_config_init_input_dim_negative) {
    gru_cell_config c;
    CHECK_REJECT(gru_cell_config_init(&c, 3, -7), GRU_E_ARG, "'input_dim'");
    CHECK(strstr(gru_last_error(), "-7") != NULL);
}

TEST(badinput_cfg_dropout_nan) {
    CHECK(fx_setup());
    fx_cfg.dropout = (double)NAN;
    CFG_REJECT(&fx_cfg, GRU_E_ARG, "cfg.dropout");
}

TEST(badinput_cfg_recurrent_dropout_nan) {
    CHECK(fx_setup());
    fx_cfg.recurrent_dropout = (double)NAN;
    CFG_REJECT(&fx_cfg, GRU_E_ARG, "cfg.recurrent_dropout");
}

TEST(badinput_cfg_max_batch_nonpositive_with_dropout) {
    CHECK(fx_setup());
    fx_cfg.recurrent_dropout = 0.25;
    fx_cfg.max_batch = -5;
    CFG_REJECT(&fx_cfg, GRU_E_ARG, "cfg.max_batch");
}

TEST(badinput_cfg_activation_alpha_nan) {
    CHECK(fx_setup());
    CHECK_OK(gru_activation_from_name("elu", &fx_cfg.activation));
    fx_cfg.activation.alpha = (double)NAN;
    CFG_REJECT(&fx_cfg, GRU_E_ARG, "cfg.activation.alpha");
}

TEST(badinput_cfg_recurrent_activation_custom_without_fn) {
    CHECK(fx_setup());
    fx_cfg.recurrent_activation.kind = GRU_ACT_CUSTOM;
    fx_cfg.recurrent_activation.fn = NULL;
    CFG_REJECT(&fx_cfg, GRU_E_NULL, "cfg.recurrent_activation.fn");
}

TEST(badinput_cfg_kernel_initializer_scale_nan) {
    CHECK(fx_setup());
    fx_cfg.kernel_initializer.scale = (double)NAN;
    CFG_REJECT(&fx_cfg, GRU_E_ARG, "cfg.kernel_initializer.scale");
}

TEST(badinput_cfg_recurrent_initializer_gain_inf) {
    CHECK(fx_setup());
    fx_cfg.recurrent_initializer.gain = (double)INFINITY;
    CFG_REJECT(&fx_cfg, GRU_E_ARG, "cfg.recurrent_initializer.gain");
}

TEST(badinput_cfg_bias_regularizer_l1_nan) {
    CHECK(fx_setup());
    CHECK_OK(gru_regularizer_from_name("l1", &fx_cfg.bias_regularizer));
    fx_cfg.bias_regularizer.l1 = (double)NAN;
    CFG_REJECT(&fx_cfg, GRU_E_ARG, "cfg.bias_regularizer.l1");
}

TEST(badinput_cfg_recurrent_constraint_max_value_nan) {
    CHECK(fx_setup());
    CHECK_OK(gru_constraint_from_name("max_norm", &fx_cfg.recurrent_constraint));
    fx_cfg.recurrent_constraint.max_value = (double)NAN;
    CFG_REJECT(&fx_cfg, GRU_E_ARG, "cfg.recurrent_constraint.max_value");
}

TEST(badinput_cfg_kernel_constraint_rate_nan) {
    CHECK(fx_setup());
    CHECK_OK(gru_constraint_from_name("min_max_norm", &fx_cfg.kernel_constraint));
    fx_cfg.kernel_constraint.rate = (double)NAN;
    CFG_REJECT(&fx_cfg, GRU_E_ARG, "cfg.kernel_constraint.rate");
}

static void *dummy_alloc(size_t n, void *user) {
    (void)user;
    return malloc(n);
}
static void *null_alloc(size_t n, void *user) {
    (void)n;
    (void)user;
    return NULL;
}
static void dummy_free(void *p, void *user) {
    (void)user;
    free(p);
}

TEST(badinput_cfg_allocator_alloc_without_free) {
    CHECK(fx_setup());
    fx_cfg.allocator.alloc = dummy_alloc;
    CFG_REJECT(&fx_cfg, GRU_E_ARG, "cfg.allocator");
}

TEST(badinput_create_allocator_returns_null) {
    CHECK(fx_setup());
    fx_cfg.allocator.alloc = null_alloc;
    fx_cfg.allocator.free = dummy_free;
    gru_cell *cell = (gru_cell *)1;
    gru_status s = gru_cell_create(&fx_cfg, &cell);
    if (s == GRU_OK) gru_cell_free(cell);
    CHECK_MSG(s == GRU_E_NOMEM, "status %s (msg %s)", gru_status_name(s), gru_last_error());
    CHECK(cell == NULL);
    CHECK(strstr(gru_last_error(), "bytes") != NULL);
}

/* BUG: 3 * max_batch wraps around size_t in the layout (src/cell.c, plan():
 * gru__mul_size(3 * rows, F, ...) multiplies 3 * rows unchecked). With
 * max_batch = ceil(2^64 / 3) = 6148914691236517206 (a valid int64), 3 * rows
 * wraps to 2, gru_cell_size reports a small size (1792 bytes here), create
 * succeeds, and the first mask draw for a batch <= max_batch writes
 * 3 * batch * F elements into a cache sized for 2 * F: heap-buffer-overflow
 * in fill() (src/dropout.c) under ASan. Expected: GRU_E_OVERFLOW naming
 * max_batch from gru_cell_size, gru_cell_init and gru_cell_create. This test
 * never draws a mask, so it fails instead of crashing. */
TEST(badinput_cfg_max_batch_wraps_input_mask_cache) {
    CHECK(fx_setup());
    fx_cfg.dropout = 0.5;
    fx_cfg.max_batch = (int64_t)6148914691236517206LL; /* 3 * this == 2 (mod 2^64) */
    CFG_REJECT(&fx_cfg, GRU_E_OVERFLOW, "max_batch");
}

/* BUG: the same wrap-around for the recurrent mask cache (3 * rows * U). */
TEST(badinput_cfg_max_batch_wraps_recurrent_mask_cache) {
    CHECK(fx_setup());
    fx_cfg.recurrent_dropout = 0.5;
    fx_cfg.max_batch = (int64_t)6148914691236517206LL;
    CFG_REJECT(&fx_cfg, GRU_E_OVERFLOW, "max_batch");
}

/* BUG: an initializer that cannot fill the bias (identity or orthogonal on
 * the rank-1 bias of a reset_after=false cell; Keras raises too) fails in
 * gru_cell_init/create with GRU_E_SHAPE, but the message is
 * "gru_cell_init: initialising the weights failed: shape: identity expects a
 * shape of rank 2, got rank 1": it does not name the argument
 * (cfg.bias_initializer). Expected: the message names cfg.bias_initializer. */
TEST(badinput_cfg_bias_initializer_rank_message_names_argument) {
    CHECK(fx_setup());
    CHECK_OK(gru_initializer_from_name("identity", &fx_cfg.bias_initializer));
    CHECK_REJECT(gru_cell_init(fx_mem_spare, FX_MEM, &fx_cfg, &fx_out), GRU_E_SHAPE,
                 "bias_initializer");
    CHECK_OK(gru_initializer_from_name("orthogonal", &fx_cfg.bias_initializer));
    CHECK_REJECT(create_chk(&fx_cfg), GRU_E_SHAPE, "bias_initializer");
}

/* BUG (consistency): gru_cell_size "validates cfg" and accepts the config
 * above, which gru_cell_init can never place. Expected: gru_cell_size rejects
 * it as gru_cell_init does (GRU_E_SHAPE naming cfg.bias_initializer). */
TEST(badinput_cfg_bias_initializer_rank_rejected_by_size) {
    CHECK(fx_setup());
    CHECK_OK(gru_initializer_from_name("identity", &fx_cfg.bias_initializer));
    CHECK_REJECT(gru_cell_size(&fx_cfg, &fx_s1), GRU_E_SHAPE, "bias_initializer");
}

/* With reset_after the bias is (2, 3U): a rank-2 initializer is fine. */
TEST(badinput_cfg_bias_identity_ok_with_reset_after) {
    CHECK(fx_setup());
    CHECK_OK(gru_initializer_from_name("identity", &fx_cfg.bias_initializer));
    fx_cfg.reset_after = true;
    CHECK_OK(gru_cell_init(fx_mem_spare, FX_MEM, &fx_cfg, &fx_out));
}

/* init: memory */
TEST(badinput_init_size_too_small) {
    CHECK(fx_setup());
    CHECK_OK(gru_cell_size(&fx_cfg, &fx_s1));
    CHECK_REJECT(gru_cell_init(fx_mem_spare, fx_s1 - 1, &fx_cfg, &fx_out), GRU_E_SHAPE, "'size'");
    CHECK_REJECT(gru_cell_init(fx_mem_spare, 0, &fx_cfg, &fx_out), GRU_E_SHAPE, "'size'");
}

TEST(badinput_init_mem_misaligned) {
    CHECK(fx_setup());
    CHECK_REJECT(gru_cell_init(fx_mem_spare + 8, FX_MEM - 8, &fx_cfg, &fx_out), GRU_E_ARG,
                 "'mem'");
    CHECK(fx_out == NULL);
}

/* workspace_size, call, call_ws: batch and workspace */
TEST(badinput_workspace_size_batch_negative) {
    CHECK(fx_setup());
    CHECK_REJECT(gru_cell_workspace_size(P, -1, &fx_s1), GRU_E_ARG, "'batch'");
}

TEST(badinput_call_ws_batch_zero) {
    CHECK(fx_setup());
    CHECK_REJECT(gru_cell_call_ws(P, GRU_F32, 0, fx_x, fx_h, GRU_TRAINING_FALSE, fx_o, fx_ws,
                                  fx_ws_bytes),
                 GRU_E_ARG, "'batch'");
}

TEST(badinput_call_ws_batch_overflows) {
    CHECK(fx_setup());
    CHECK_REJECT(gru_cell_call_ws(P, GRU_F32, INT64_MAX, fx_x, fx_h, GRU_TRAINING_FALSE, fx_o,
                                  fx_ws, fx_ws_bytes),
                 GRU_E_OVERFLOW, "batch");
}

TEST(badinput_call_ws_workspace_too_small) {
    CHECK(fx_setup());
    CHECK_REJECT(gru_cell_call_ws(P, GRU_F32, 1, fx_x, fx_h, GRU_TRAINING_FALSE, fx_o, fx_ws, 0),
                 GRU_E_SHAPE, "workspace");
}

TEST(badinput_call_ws_batch_above_max_batch_needs_masks) {
    CHECK(fx_setup());
    static float xb[(FX_MB + 1) * FX_F], hb[(FX_MB + 1) * FX_U];
    CHECK_REJECT(gru_cell_call_ws(D, GRU_F32, FX_MB + 1, xb, hb, GRU_TRAINING_TRUE, hb, fx_ws,
                                  fx_ws_bytes),
                 GRU_E_SHAPE, "max_batch");
}

TEST(badinput_call_batch_negative) {
    CHECK(fx_setup());
    CHECK_REJECT(gru_cell_call(D, GRU_F32, -1, fx_x, fx_h, GRU_TRAINING_TRUE, fx_o), GRU_E_ARG,
                 "'batch'");
}

TEST(badinput_call_cached_mask_batch_mismatch) {
    CHECK(fx_setup());
    CHECK_OK(gru_cell_call(D, GRU_F32, 2, fx_x, fx_h, GRU_TRAINING_TRUE, fx_o));
    CHECK_REJECT(gru_cell_call(D, GRU_F32, 3, fx_x, fx_h, GRU_TRAINING_TRUE, fx_o), GRU_E_SHAPE,
                 "batch 2");
}

TEST(badinput_initial_state_batch_negative) {
    CHECK(fx_setup());
    CHECK_REJECT(gru_cell_get_initial_state(P, GRU_F32, -2, fx_o), GRU_E_ARG, "'batch'");
}

/* dropout masks */
TEST(badinput_get_rec_dropout_mask_count) {
    const int bad[4] = {0, 4, -1, INT_MAX};
    for (int i = 0; i < 4; i++) {
        CHECK(fx_setup());
        CHECK_REJECT(gru_cell_get_recurrent_dropout_mask(D, GRU_F32, 1, GRU_TRAINING_TRUE, bad[i],
                                                         fx_m, &fx_has),
                     GRU_E_ARG, "'count'");
    }
}

TEST(badinput_get_dropout_mask_count_rate0) {
    CHECK(fx_setup());
    CHECK_REJECT(gru_cell_get_dropout_mask(P, GRU_F32, 1, GRU_TRAINING_TRUE, 0, fx_m, &fx_has),
                 GRU_E_ARG, "'count'");
}

TEST(badinput_get_rec_dropout_mask_batch_zero) {
    CHECK(fx_setup());
    CHECK_REJECT(gru_cell_get_recurrent_dropout_mask(D, GRU_F32, 0, GRU_TRAINING_TRUE, 3, fx_m,
                                                     &fx_has),
                 GRU_E_ARG, "'batch'");
}

TEST(badinput_get_dropout_mask_batch_above_max_batch) {
    CHECK(fx_setup());
    CHECK_REJECT(gru_cell_get_dropout_mask(D, GRU_F32, INT64_MAX, GRU_TRAINING_TRUE, 3, NULL,
                                           &fx_has),
                 GRU_E_SHAPE, "max_batch");
}

TEST(badinput_get_dropout_mask_cached_batch_mismatch) {
    CHECK(fx_setup());
    CHECK_OK(gru_cell_get_dropout_mask(D, GRU_F32, 1, GRU_TRAINING_TRUE, 3, NULL, &fx_has));
    CHECK_REJECT(gru_cell_get_dropout_mask(D, GRU_F32, 2, GRU_TRAINING_TRUE, 3, fx_m, &fx_has),
                 GRU_E_SHAPE, "batch 1");
}

TEST(badinput_set_dropout_mask_batch_zero) {
    CHECK(fx_setup());
    CHECK_REJECT(gru_cell_set_dropout_mask(D, GRU_F32, 0, fx_m), GRU_E_ARG, "'batch'");
}

TEST(badinput_set_rec_dropout_mask_batch_above_max_batch) {
    CHECK(fx_setup());
    CHECK_REJECT(gru_cell_set_recurrent_dropout_mask(D, GRU_F32, FX_MB + 1, fx_m), GRU_E_SHAPE,
                 "max_batch");
}

TEST(badinput_set_rec_dropout_mask_batch_int64_max) {
    CHECK(fx_setup());
    CHECK_REJECT(gru_cell_set_recurrent_dropout_mask(D, GRU_F32, INT64_MAX, fx_m), GRU_E_SHAPE,
                 "max_batch");
}

TEST(badinput_set_dropout_mask_rate_zero) {
    CHECK(fx_setup());
    CHECK_REJECT(gru_cell_set_dropout_mask(P, GRU_F32, 1, fx_m), GRU_E_STATE, "rate is 0");
}

/* weights */
TEST(badinput_set_weights_bias_on_no_bias_cell) {
    CHECK(fx_setup());
    CHECK_REJECT(gru_cell_set_weights(N, GRU_F32, fx_k, fx_r, fx_b), GRU_E_ARG, "'bias'");
}

/* losses and constraints on the cell: the failing weight is named */
TEST(badinput_losses_orthogonal_on_rank1_bias) {
    CHECK(fx_setup());
    CHECK_OK(gru_regularizer_from_name("orthogonal_regularizer", &fx_cfg.bias_regularizer));
    gru_cell *cell;
    CHECK_OK(gru_cell_init(fx_mem_spare, FX_MEM, &fx_cfg, &cell));
    double l[3];
    CHECK_REJECT(gru_cell_losses(cell, l, NULL), GRU_E_SHAPE, "bias regularizer");
    CHECK(strstr(gru_cell_last_error(cell), "bias regularizer") != NULL);
}

TEST(badinput_apply_constraints_radial_on_bias) {
    CHECK(fx_setup());
    CHECK_OK(gru_constraint_from_name("radial_constraint", &fx_cfg.bias_constraint));
    gru_cell *cell;
    CHECK_OK(gru_cell_init(fx_mem_spare, FX_MEM, &fx_cfg, &cell));
    CHECK_REJECT(gru_cell_apply_constraints(cell), GRU_E_SHAPE, "bias constraint");
}

TEST(badinput_apply_constraints_axis_out_of_range) {
    CHECK(fx_setup());
    CHECK_OK(gru_constraint_from_name("unit_norm", &fx_cfg.recurrent_constraint));
    fx_cfg.recurrent_constraint.axis = 2;
    gru_cell *cell;
    CHECK_OK(gru_cell_init(fx_mem_spare, FX_MEM, &fx_cfg, &cell));
    CHECK_REJECT(gru_cell_apply_constraints(cell), GRU_E_SHAPE, "recurrent constraint");
    CHECK(strstr(gru_last_error(), "axis") != NULL);
}

/* tensor functions: shapes, overflow, NaN options, names */
TEST(badinput_act_apply_overflow) {
    CHECK(fx_setup());
    CHECK_REJECT(gru_activation_apply(&fx_act, GRU_F32, SIZE_MAX / 2, 3, fx_w, fx_y),
                 GRU_E_OVERFLOW, "rows");
}

TEST(badinput_act_grad_elu_alpha_nan) {
    CHECK(fx_setup());
    CHECK_OK(gru_activation_from_name("elu", &fx_act));
    fx_act.alpha = (double)NAN;
    CHECK_REJECT(gru_activation_grad(&fx_act, GRU_F64, 2, 2, fx_w, fx_y, fx_dy, fx_dx), GRU_E_ARG,
                 "act.alpha");
}

TEST(badinput_act_apply_relu_threshold_nan) {
    CHECK(fx_setup());
    CHECK_OK(gru_activation_from_name("relu", &fx_act));
    fx_act.threshold = (double)NAN;
    CHECK_REJECT(gru_activation_apply(&fx_act, GRU_F64, 2, 2, fx_w, fx_y), GRU_E_ARG,
                 "act.threshold");
}

TEST(badinput_act_apply_custom_without_fn) {
    CHECK(fx_setup());
    fx_act.kind = GRU_ACT_CUSTOM;
    fx_act.fn = NULL;
    CHECK_REJECT(gru_activation_apply(&fx_act, GRU_F64, 2, 2, fx_w, fx_y), GRU_E_NULL, "fn");
}

TEST(badinput_act_from_name_unknown) {
    gru_activation a;
    CHECK_REJECT(gru_activation_from_name("no_such_activation", &a), GRU_E_NAME,
                 "no_such_activation");
}

TEST(badinput_init_from_name_unknown) {
    gru_initializer in;
    CHECK_REJECT(gru_initializer_from_name("no_such_init", &in), GRU_E_NAME, "no_such_init");
}

TEST(badinput_reg_from_name_unknown) {
    gru_regularizer r;
    CHECK_REJECT(gru_regularizer_from_name("no_such_reg", &r), GRU_E_NAME, "no_such_reg");
}

TEST(badinput_con_from_name_unknown) {
    gru_constraint c;
    CHECK_REJECT(gru_constraint_from_name("no_such_con", &c), GRU_E_NAME, "no_such_con");
}

/* A name far longer than any buffer: truncated in the message, no overrun. */
TEST(badinput_from_name_very_long_names) {
    static char longname[4096];
    memset(longname, 'q', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    gru_activation a;
    gru_initializer in;
    gru_regularizer r;
    gru_constraint c;
    CHECK_REJECT(gru_activation_from_name(longname, &a), GRU_E_NAME, "qqqq");
    CHECK_REJECT(gru_initializer_from_name(longname, &in), GRU_E_NAME, "qqqq");
    CHECK_REJECT(gru_regularizer_from_name(longname, &r), GRU_E_NAME, "qqqq");
    CHECK_REJECT(gru_constraint_from_name(longname, &c), GRU_E_NAME, "qqqq");
    CHECK(strlen(gru_last_error()) < 1024);
}

TEST(badinput_init_fill_shape_overflow) {
    CHECK(fx_setup());
    const size_t big[3] = {SIZE_MAX / 2, 2, 2};
    CHECK_REJECT(gru_initializer_fill(&fx_init, &fx_rng, GRU_F32, 3, big, fx_w), GRU_E_OVERFLOW,
                 "shape");
}

TEST(badinput_init_fill_stddev_nan) {
    CHECK(fx_setup());
    CHECK_OK(gru_initializer_from_name("random_normal", &fx_init));
    fx_init.stddev = (double)NAN;
    CHECK_REJECT(gru_initializer_fill(&fx_init, &fx_rng, GRU_F64, 2, fx_shape, fx_w), GRU_E_ARG,
                 "init.stddev");
}

TEST(badinput_init_fill_identity_rank) {
    CHECK(fx_setup());
    CHECK_OK(gru_initializer_from_name("identity", &fx_init));
    CHECK_REJECT(gru_initializer_fill(&fx_init, &fx_rng, GRU_F64, 0, NULL, fx_w), GRU_E_SHAPE,
                 "rank");
}

TEST(badinput_reg_penalty_factor_nan) {
    CHECK(fx_setup());
    CHECK_OK(gru_regularizer_from_name("orthogonal_regularizer", &fx_reg));
    fx_reg.factor = (double)NAN;
    CHECK_REJECT(gru_regularizer_penalty(&fx_reg, GRU_F64, 2, fx_shape, fx_w, &fx_pen), GRU_E_ARG,
                 "reg.factor");
}

TEST(badinput_reg_grad_orthogonal_rank) {
    CHECK(fx_setup());
    CHECK_OK(gru_regularizer_from_name("orthogonal_regularizer", &fx_reg));
    const size_t s3[3] = {1, 2, 2};
    CHECK_REJECT(gru_regularizer_grad(&fx_reg, GRU_F64, 3, s3, fx_w, fx_g), GRU_E_SHAPE, "rank 2");
}

TEST(badinput_reg_penalty_shape_overflow) {
    CHECK(fx_setup());
    const size_t big[2] = {SIZE_MAX, 2};
    CHECK_REJECT(gru_regularizer_penalty(&fx_reg, GRU_F32, 2, big, fx_w, &fx_pen), GRU_E_OVERFLOW,
                 "`shape`");
}

TEST(badinput_con_apply_min_value_nan) {
    CHECK(fx_setup());
    CHECK_OK(gru_constraint_from_name("min_max_norm", &fx_con));
    fx_con.min_value = (double)NAN;
    CHECK_REJECT(gru_constraint_apply(&fx_con, GRU_F64, 2, fx_shape, fx_w), GRU_E_ARG,
                 "c.min_value");
}

TEST(badinput_con_apply_axis_int_min) {
    CHECK(fx_setup());
    fx_con.axis = INT_MIN;
    CHECK_REJECT(gru_constraint_apply(&fx_con, GRU_F64, 2, fx_shape, fx_w), GRU_E_SHAPE,
                 "`c.axis`");
}

TEST(badinput_con_apply_radial_rank) {
    CHECK(fx_setup());
    CHECK_OK(gru_constraint_from_name("radial_constraint", &fx_con));
    CHECK_REJECT(gru_constraint_apply(&fx_con, GRU_F64, 2, fx_shape, fx_w), GRU_E_SHAPE,
                 "`shape`");
}

/* ------------------------------------------------------------------------ */
/* 7. Documented exceptions: NULL that must keep being accepted.             */
/* ------------------------------------------------------------------------ */
TEST(badinput_doc_act_from_name_null_is_linear) {
    gru_activation a;
    a.kind = GRU_ACT_TANH;
    CHECK_OK(gru_activation_from_name(NULL, &a));
    CHECK(a.kind == GRU_ACT_LINEAR);
}

TEST(badinput_doc_reg_from_name_null_is_none) {
    gru_regularizer r;
    r.kind = GRU_REG_L1L2;
    CHECK_OK(gru_regularizer_from_name(NULL, &r));
    CHECK(r.kind == GRU_REG_NONE);
}

TEST(badinput_doc_con_from_name_null_is_none) {
    gru_constraint c;
    c.kind = GRU_CONSTRAINT_MAX_NORM;
    CHECK_OK(gru_constraint_from_name(NULL, &c));
    CHECK(c.kind == GRU_CONSTRAINT_NONE);
}

TEST(badinput_doc_shape_null_when_ndim_0) {
    CHECK(fx_setup());
    CHECK_OK(gru_initializer_fill(&fx_init, &fx_rng, GRU_F64, 0, NULL, fx_w));
    CHECK_OK(gru_regularizer_penalty(&fx_reg, GRU_F64, 0, NULL, fx_w, &fx_pen));
    CHECK_OK(gru_regularizer_grad(&fx_reg, GRU_F64, 0, NULL, fx_w, fx_g));
    CHECK_OK(gru_constraint_from_name("non_neg", &fx_con));
    CHECK_OK(gru_constraint_apply(&fx_con, GRU_F64, 0, NULL, fx_w));
}

TEST(badinput_doc_w_null_for_empty_tensors) {
    CHECK(fx_setup());
    const size_t empty[2] = {0, 5};
    CHECK_OK(gru_regularizer_penalty(&fx_reg, GRU_F64, 2, empty, NULL, &fx_pen));
    CHECK(fx_pen == 0.0);
    CHECK_OK(gru_regularizer_grad(&fx_reg, GRU_F64, 2, empty, NULL, NULL));
    CHECK_OK(gru_constraint_apply(&fx_con, GRU_F64, 2, empty, NULL));
    /* the penalty output is needed even for an empty tensor */
    CHECK_REJECT(gru_regularizer_penalty(&fx_reg, GRU_F64, 2, empty, NULL, NULL), GRU_E_NULL,
                 "`penalty`");
}

TEST(badinput_doc_bias_null_without_use_bias) {
    CHECK(fx_setup());
    CHECK_OK(gru_cell_get_weights(N, GRU_F32, fx_k, fx_r, NULL));
    CHECK_OK(gru_cell_set_weights(N, GRU_F32, fx_k, fx_r, NULL));
}

TEST(badinput_doc_losses_outputs_may_be_null) {
    CHECK(fx_setup());
    CHECK_OK(gru_cell_losses(P, NULL, NULL));
}

TEST(badinput_doc_mask_out_may_be_null) {
    CHECK(fx_setup());
    CHECK_OK(gru_cell_get_dropout_mask(D, GRU_F32, 1, GRU_TRAINING_TRUE, 3, NULL, &fx_has));
    CHECK(fx_has);
    CHECK_OK(gru_cell_get_recurrent_dropout_mask(D, GRU_F32, 1, GRU_TRAINING_NONE, 3, NULL,
                                                 &fx_has));
    CHECK(fx_has);
}

/* After all these rejections the fixture cells still work. */
TEST(badinput_cells_still_work_after_rejections) {
    CHECK(fx_setup());
    (void)gru_cell_call(P, GRU_F64, 1, fx_x, fx_h, GRU_TRAINING_FALSE, fx_o);
    (void)gru_cell_set_weights(P, GRU_F32, NULL, fx_r, fx_b);
    (void)gru_cell_call(D, GRU_F32, FX_MB + 1, fx_x, fx_h, GRU_TRAINING_TRUE, fx_o);
    CHECK_OK(gru_cell_call(P, GRU_F32, 1, fx_x, fx_h, GRU_TRAINING_FALSE, fx_o));
    CHECK_OK(gru_cell_call(D, GRU_F32, 2, fx_x, fx_h, GRU_TRAINING_TRUE, fx_o));
    for (int i = 0; i < 2 * FX_U; i++) CHECK(isfinite(fx_o[i]));
}

/* ------------------------------------------------------------------------ */
/* 8. The layer (gru_layer_*).                                               */
/* ------------------------------------------------------------------------ */
enum { LB = 2, LT = 3 };
static _Alignas(64) unsigned char fx_lmem_plain[FX_MEM], fx_lmem_state[FX_MEM],
    fx_lmem_ret[FX_MEM], fx_lmem_spare[FX_MEM], fx_ljunk_mem[FX_MEM];
static gru_layer *LP, *LS, *LR, *LJ; /* plain, stateful (batch 2), return_state, junk */
static gru_layer *fx_lout;
static gru_layer_config fx_lcfg, fx_lcfg_out;
static float fx_xs[LB * LT * FX_F], fx_os[LB * LT * FX_U], fx_st[LB * FX_U];
static gru_seq fx_seq;
static gru_layer_io fx_io;
static size_t fx_lws_bytes;

static int fx_lplace(unsigned char *mem, const gru_layer_config *c, gru_layer **out) {
    size_t need;
    if (gru_layer_size(c, &need) != GRU_OK || need > FX_MEM) return 0;
    return gru_layer_init(mem, FX_MEM, c, out) == GRU_OK;
}

static int fx_lsetup(void) {
    if (!fx_setup()) return 0;
    gru_layer_config c;
    if (gru_layer_config_init(&c, FX_U, FX_F) != GRU_OK) return 0;
    if (!fx_lplace(fx_lmem_plain, &c, &LP)) return 0;
    c.stateful = true;
    c.batch_size = LB;
    if (!fx_lplace(fx_lmem_state, &c, &LS)) return 0;
    c.stateful = false;
    c.batch_size = 0;
    c.return_state = true;
    if (!fx_lplace(fx_lmem_ret, &c, &LR)) return 0;
    memset(fx_ljunk_mem, 0, sizeof fx_ljunk_mem);
    LJ = (gru_layer *)(void *)fx_ljunk_mem;
    if (gru_layer_config_init(&fx_lcfg, FX_U, FX_F) != GRU_OK) return 0;
    for (size_t i = 0; i < sizeof fx_xs / sizeof fx_xs[0]; i++) fx_xs[i] = 0.125f;
    memset(fx_st, 0, sizeof fx_st);
    fx_seq.batch = LB;
    fx_seq.steps = LT;
    fx_seq.x = fx_xs;
    fx_seq.mask = NULL;
    fx_seq.lengths = NULL;
    memset(&fx_io, 0, sizeof fx_io);
    fx_lout = NULL;
    if (gru_layer_workspace_size(LP, LB, LT, &fx_lws_bytes) != GRU_OK || fx_lws_bytes > FX_MEM)
        return 0;
    return 1;
}

static gru_status lcreate_chk(const gru_layer_config *c) {
    gru_layer *l = NULL;
    gru_status s = gru_layer_create(c, &l);
    if (s == GRU_OK) gru_layer_free(l);
    return s;
}

#define LCFG_REJECT(cfgp, want, needle)                                                     \
    do {                                                                                    \
        CHECK_REJECT(gru_layer_size((cfgp), &fx_s1), want, needle);                         \
        CHECK_REJECT(gru_layer_init(fx_lmem_spare, FX_MEM, (cfgp), &fx_lout), want, needle); \
        CHECK(fx_lout == NULL);                                                             \
        CHECK_REJECT(lcreate_chk(cfgp), want, needle);                                      \
    } while (0)

#define LBAD_DEF(name, want, needle, ...)                                               \
    TEST(name) {                                                                        \
        CHECK(fx_lsetup());                                                             \
        CHECK_REJECT((__VA_ARGS__), want, needle);                                      \
    }

#define FWD(l, dt, in, io, tr, out, ws, wsb) gru_layer_forward(l, dt, in, io, tr, out, ws, wsb)
#define LAYER_CASES(X)                                                                             \
    X(badinput_layer_null_config_init_cfg, GRU_E_NULL, "'cfg'", gru_layer_config_init(NULL, 3, 2)) \
    X(badinput_layer_null_size_cfg, GRU_E_NULL, "'cfg'", gru_layer_size(NULL, &fx_s1))             \
    X(badinput_layer_null_size_size, GRU_E_NULL, "'size'", gru_layer_size(&fx_lcfg, NULL))         \
    X(badinput_layer_null_init_mem, GRU_E_NULL, "'mem'",                                           \
      gru_layer_init(NULL, FX_MEM, &fx_lcfg, &fx_lout))                                            \
    X(badinput_layer_null_init_cfg, GRU_E_NULL, "'cfg'",                                           \
      gru_layer_init(fx_lmem_spare, FX_MEM, NULL, &fx_lout))                                       \
    X(badinput_layer_null_init_out, GRU_E_NULL, "'out'",                                           \
      gru_layer_init(fx_lmem_spare, FX_MEM, &fx_lcfg, NULL))                                       \
    X(badinput_layer_null_create_cfg, GRU_E_NULL, "'cfg'", gru_layer_create(NULL, &fx_lout))       \
    X(badinput_layer_null_create_out, GRU_E_NULL, "'out'", gru_layer_create(&fx_lcfg, NULL))       \
    X(badinput_layer_null_get_config_layer, GRU_E_NULL, "'layer'",                                 \
      gru_layer_get_config(NULL, &fx_lcfg_out))                                                    \
    X(badinput_layer_null_get_config_cfg, GRU_E_NULL, "'cfg'", gru_layer_get_config(LP, NULL))     \
    X(badinput_layer_null_workspace_size_layer, GRU_E_NULL, "'layer'",                             \
      gru_layer_workspace_size(NULL, LB, LT, &fx_s1))                                              \
    X(badinput_layer_null_workspace_size_bytes, GRU_E_NULL, "'bytes'",                             \
      gru_layer_workspace_size(LP, LB, LT, NULL))                                                  \
    X(badinput_layer_null_forward_layer, GRU_E_NULL, "'layer'",                                    \
      FWD(NULL, GRU_F32, &fx_seq, NULL, GRU_TRAINING_FALSE, fx_os, fx_ws, fx_lws_bytes))           \
    X(badinput_layer_null_forward_in, GRU_E_NULL, "'in'",                                          \
      FWD(LP, GRU_F32, NULL, NULL, GRU_TRAINING_FALSE, fx_os, fx_ws, fx_lws_bytes))                \
    X(badinput_layer_null_forward_in_x, GRU_E_NULL, "'in->x'",                                     \
      (fx_seq.x = NULL,                                                                            \
       FWD(LP, GRU_F32, &fx_seq, NULL, GRU_TRAINING_FALSE, fx_os, fx_ws, fx_lws_bytes)))           \
    X(badinput_layer_null_forward_output, GRU_E_NULL, "'output'",                                  \
      FWD(LP, GRU_F32, &fx_seq, NULL, GRU_TRAINING_FALSE, NULL, fx_ws, fx_lws_bytes))              \
    X(badinput_layer_null_forward_workspace, GRU_E_NULL, "'workspace'",                            \
      FWD(LP, GRU_F32, &fx_seq, NULL, GRU_TRAINING_FALSE, fx_os, NULL, fx_lws_bytes))              \
    X(badinput_layer_null_forward_state_out_with_return_state, GRU_E_NULL, "state_out",            \
      FWD(LR, GRU_F32, &fx_seq, &fx_io, GRU_TRAINING_FALSE, fx_os, fx_ws, fx_lws_bytes))           \
    X(badinput_layer_null_reset_states_layer, GRU_E_NULL, "'layer'",                               \
      gru_layer_reset_states(NULL, GRU_F32, NULL))                                                 \
    X(badinput_layer_null_get_states_layer, GRU_E_NULL, "'layer'",                                 \
      gru_layer_get_states(NULL, GRU_F32, fx_st))                                                  \
    X(badinput_layer_null_get_states_states, GRU_E_NULL, "'states'",                               \
      gru_layer_get_states(LS, GRU_F32, NULL))                                                     \
    /* memory that is not a layer */                                                               \
    X(badinput_layer_junk_get_config, GRU_E_STATE, "not an initialised layer",                     \
      gru_layer_get_config(LJ, &fx_lcfg_out))                                                      \
    X(badinput_layer_junk_workspace_size, GRU_E_STATE, "not an initialised layer",                 \
      gru_layer_workspace_size(LJ, LB, LT, &fx_s1))                                                \
    X(badinput_layer_junk_forward, GRU_E_STATE, "not an initialised layer",                        \
      FWD(LJ, GRU_F32, &fx_seq, NULL, GRU_TRAINING_FALSE, fx_os, fx_ws, fx_lws_bytes))             \
    X(badinput_layer_junk_reset_states, GRU_E_STATE, "not an initialised layer",                   \
      gru_layer_reset_states(LJ, GRU_F32, NULL))                                                   \
    X(badinput_layer_junk_get_states, GRU_E_STATE, "not an initialised layer",                     \
      gru_layer_get_states(LJ, GRU_F32, fx_st))                                                    \
    /* other bad values */                                                                         \
    X(badinput_layer_config_init_units_zero, GRU_E_ARG, "'units'",                                 \
      gru_layer_config_init(&fx_lcfg, 0, 2))                                                       \
    X(badinput_layer_workspace_size_steps_zero, GRU_E_ARG, "'steps'",                              \
      gru_layer_workspace_size(LP, LB, 0, &fx_s1))                                                 \
    X(badinput_layer_workspace_size_batch_negative, GRU_E_ARG, "'batch'",                          \
      gru_layer_workspace_size(LP, -1, LT, &fx_s1))                                                \
    X(badinput_layer_workspace_size_overflow, GRU_E_OVERFLOW, "overflows",                         \
      gru_layer_workspace_size(LP, INT64_MAX, INT64_MAX, &fx_s1))                                  \
    X(badinput_layer_forward_dtype_mismatch, GRU_E_DTYPE, "'dtype'",                               \
      FWD(LP, GRU_F64, &fx_seq, NULL, GRU_TRAINING_FALSE, fx_os, fx_ws, fx_lws_bytes))             \
    X(badinput_layer_forward_batch_zero, GRU_E_SHAPE, "in->batch",                                 \
      (fx_seq.batch = 0,                                                                           \
       FWD(LP, GRU_F32, &fx_seq, NULL, GRU_TRAINING_FALSE, fx_os, fx_ws, fx_lws_bytes)))           \
    X(badinput_layer_forward_steps_negative, GRU_E_SHAPE, "in->steps",                             \
      (fx_seq.steps = -1,                                                                          \
       FWD(LP, GRU_F32, &fx_seq, NULL, GRU_TRAINING_FALSE, fx_os, fx_ws, fx_lws_bytes)))           \
    X(badinput_layer_forward_overflow, GRU_E_OVERFLOW, "overflows",                                \
      (fx_seq.batch = INT64_MAX, fx_seq.steps = INT64_MAX,                                         \
       FWD(LP, GRU_F32, &fx_seq, NULL, GRU_TRAINING_FALSE, fx_os, fx_ws, fx_lws_bytes)))           \
    X(badinput_layer_forward_mask_and_lengths, GRU_E_ARG, "in->lengths",                           \
      (fx_seq.mask = k_mask, fx_seq.lengths = k_len_ok,                                            \
       FWD(LP, GRU_F32, &fx_seq, NULL, GRU_TRAINING_FALSE, fx_os, fx_ws, fx_lws_bytes)))           \
    X(badinput_layer_forward_length_out_of_range, GRU_E_ARG, "in->lengths[1]",                     \
      (fx_seq.lengths = k_len_bad,                                                                 \
       FWD(LP, GRU_F32, &fx_seq, NULL, GRU_TRAINING_FALSE, fx_os, fx_ws, fx_lws_bytes)))           \
    X(badinput_layer_forward_stateful_batch_mismatch, GRU_E_SHAPE, "batch",                        \
      (fx_seq.batch = 1,                                                                           \
       FWD(LS, GRU_F32, &fx_seq, NULL, GRU_TRAINING_FALSE, fx_os, fx_ws, fx_lws_bytes)))           \
    X(badinput_layer_forward_workspace_too_small, GRU_E_SHAPE, "workspace",                        \
      FWD(LP, GRU_F32, &fx_seq, NULL, GRU_TRAINING_FALSE, fx_os, fx_ws, fx_lws_bytes - 1))         \
    X(badinput_layer_forward_workspace_misaligned, GRU_E_ARG, "'workspace'",                       \
      FWD(LP, GRU_F32, &fx_seq, NULL, GRU_TRAINING_FALSE, fx_os, fx_ws + 8, fx_lws_bytes))         \
    X(badinput_layer_reset_states_not_stateful, GRU_E_STATE, "not stateful",                       \
      gru_layer_reset_states(LP, GRU_F32, NULL))                                                   \
    X(badinput_layer_get_states_not_stateful, GRU_E_STATE, "not stateful",                         \
      gru_layer_get_states(LP, GRU_F32, fx_st))                                                    \
    X(badinput_layer_init_size_too_small, GRU_E_SHAPE, "'size'",                                   \
      gru_layer_init(fx_lmem_spare, 64, &fx_lcfg, &fx_lout))                                       \
    X(badinput_layer_init_mem_misaligned, GRU_E_ARG, "'mem'",                                      \
      gru_layer_init(fx_lmem_spare + 16, FX_MEM - 16, &fx_lcfg, &fx_lout))

static const uint8_t k_mask[LB * LT] = {1, 1, 1, 1, 1, 0};
static const int64_t k_len_ok[LB] = {3, 2};
static const int64_t k_len_bad[LB] = {3, 4};

LAYER_CASES(LBAD_DEF)

#define LDTYPE_CASES(X)                                                                            \
    X(badinput_layer_dtype_forward, "'dtype'",                                                     \
      FWD(LP, dt, &fx_seq, NULL, GRU_TRAINING_FALSE, fx_os, fx_ws, fx_lws_bytes))                  \
    X(badinput_layer_dtype_reset_states, "'dtype'", gru_layer_reset_states(LS, dt, fx_st))         \
    X(badinput_layer_dtype_get_states, "'dtype'", gru_layer_get_states(LS, dt, fx_st))             \
    X(badinput_layer_dtype_cfg_size, "cfg.dtype",                                                  \
      (fx_lcfg.cell.dtype = dt, gru_layer_size(&fx_lcfg, &fx_s1)))                                 \
    X(badinput_layer_dtype_cfg_init, "cfg.dtype",                                                  \
      (fx_lcfg.cell.dtype = dt, gru_layer_init(fx_lmem_spare, FX_MEM, &fx_lcfg, &fx_lout)))        \
    X(badinput_layer_dtype_cfg_create, "cfg.dtype", (fx_lcfg.cell.dtype = dt, lcreate_chk(&fx_lcfg)))

#define LDTYPE_DEF(name, needle, ...)                                                   \
    TEST(name) {                                                                        \
        for (int i_ = 0; i_ < 3; i_++) {                                                \
            CHECK(fx_lsetup());                                                         \
            const gru_dtype dt = k_bad_dtypes[i_];                                      \
            CHECK_REJECT((__VA_ARGS__), GRU_E_DTYPE, needle);                           \
        }                                                                               \
    }
LDTYPE_CASES(LDTYPE_DEF)

TEST(badinput_layer_training_forward) {
    for (int i = 0; i < 3; i++) {
        CHECK(fx_lsetup());
        CHECK_REJECT(FWD(LP, GRU_F32, &fx_seq, NULL, k_bad_training[i], fx_os, fx_ws, fx_lws_bytes),
                     GRU_E_ARG, "'training'");
    }
}

TEST(badinput_layer_cfg_stateful_without_batch_size) {
    CHECK(fx_lsetup());
    fx_lcfg.stateful = true;
    fx_lcfg.batch_size = 0;
    LCFG_REJECT(&fx_lcfg, GRU_E_ARG, "cfg.batch_size");
}

TEST(badinput_layer_cfg_batch_size_negative) {
    CHECK(fx_lsetup());
    fx_lcfg.batch_size = -3;
    LCFG_REJECT(&fx_lcfg, GRU_E_ARG, "cfg.batch_size");
}

TEST(badinput_layer_cfg_stateful_batch_size_overflows) {
    CHECK(fx_lsetup());
    fx_lcfg.stateful = true;
    fx_lcfg.batch_size = INT64_MAX;
    LCFG_REJECT(&fx_lcfg, GRU_E_OVERFLOW, "overflows");
}

TEST(badinput_layer_cfg_cell_units_zero) {
    CHECK(fx_lsetup());
    fx_lcfg.cell.units = 0;
    LCFG_REJECT(&fx_lcfg, GRU_E_ARG, "cfg.units");
}

TEST(badinput_layer_cfg_cell_dropout_nan) {
    CHECK(fx_lsetup());
    fx_lcfg.cell.dropout = (double)NAN;
    LCFG_REJECT(&fx_lcfg, GRU_E_ARG, "cfg.dropout");
}

TEST(badinput_layer_cfg_cell_kind_out_of_range) {
    CHECK(fx_lsetup());
    fx_lcfg.cell.kernel_constraint.kind = (gru_constraint_kind)77;
    LCFG_REJECT(&fx_lcfg, GRU_E_ARG, "cfg.kernel_constraint.kind");
}

TEST(badinput_layer_value_functions) {
    CHECK(fx_lsetup());
    gru_layer_free(NULL);
    gru_layer_free(LJ);
    gru_layer_free(LP); /* placed, not owned: no-op */
    CHECK(gru_layer_cell(NULL) == NULL);
    CHECK(gru_layer_cell(LJ) == NULL);
    CHECK(gru_layer_cell(LP) != NULL);
    CHECK(strstr(gru_layer_last_error(NULL), "'layer'") != NULL);
    CHECK(strstr(gru_layer_last_error(LJ), "not an initialised layer") != NULL);
}

TEST(badinput_layer_handle_keeps_message) {
    CHECK(fx_lsetup());
    CHECK(FWD(LP, GRU_F32, &fx_seq, NULL, GRU_TRAINING_FALSE, NULL, fx_ws, fx_lws_bytes) != GRU_OK);
    CHECK(strstr(gru_layer_last_error(LP), "'output'") != NULL);
}

TEST(badinput_layer_doc_null_io_and_reset_states_null) {
    CHECK(fx_lsetup());
    CHECK_OK(FWD(LP, GRU_F32, &fx_seq, NULL, GRU_TRAINING_FALSE, fx_os, fx_ws, fx_lws_bytes));
    CHECK_OK(gru_layer_reset_states(LS, GRU_F32, NULL));
    CHECK_OK(FWD(LS, GRU_F32, &fx_seq, NULL, GRU_TRAINING_FALSE, fx_os, fx_ws, fx_lws_bytes));
    CHECK_OK(gru_layer_get_states(LS, GRU_F32, fx_st));
}

/* ------------------------------------------------------------------------ */
/* The set_threadpool functions of the wrappers and the model: NULL and
 * memory that is not a handle (a NULL pool is valid: one thread). */
TEST(badinput_set_threadpool_handles) {
    static _Alignas(64) unsigned char junk[512];
    memset(junk, 0, sizeof junk);
    CHECK_REJECT(gru_bidirectional_set_threadpool(NULL, NULL), GRU_E_NULL, "'bi'");
    CHECK_REJECT(gru_stack_set_threadpool(NULL, NULL), GRU_E_NULL, "'stack'");
    CHECK_REJECT(gru_model_set_threadpool(NULL, NULL), GRU_E_NULL, "'model'");
    CHECK_REJECT(gru_bidirectional_set_threadpool((gru_bidirectional *)(void *)junk, NULL),
                 GRU_E_STATE, "not an initialised Bidirectional");
    CHECK_REJECT(gru_stack_set_threadpool((gru_stack *)(void *)junk, NULL), GRU_E_STATE,
                 "not an initialised stack");
    CHECK_REJECT(gru_model_set_threadpool((gru_model *)(void *)junk, NULL), GRU_E_STATE,
                 "not a model");
}

void tests_badinput(void) {
    NULL_CASES(BAD_RUN)
    HANDLE_MSG_CASES(HMSG_RUN)
    JUNK_CASES(BAD_RUN)
    TR_RUN(badinput_failed_init_leaves_no_cell);
    TR_RUN(badinput_free_of_placed_cell_is_a_noop);

    TR_RUN(badinput_value_cell_free_null_and_junk);
    TR_RUN(badinput_value_cell_last_error_null);
    TR_RUN(badinput_value_cell_last_error_junk);
    TR_RUN(badinput_value_cell_units);
    TR_RUN(badinput_value_cell_input_dim);
    TR_RUN(badinput_value_cell_dtype);
    TR_RUN(badinput_value_cell_kernel_name);
    TR_RUN(badinput_value_accessors_set_thread_message);
    TR_RUN(badinput_value_activation_name_null);
    TR_RUN(badinput_value_rng_seed_null);
    TR_RUN(badinput_value_rng_next_null);
    TR_RUN(badinput_value_rng_uniform_null);
    TR_RUN(badinput_value_rng_normal_null);
    TR_RUN(badinput_value_status_str_out_of_range);
    TR_RUN(badinput_value_status_name_out_of_range);
    TR_RUN(badinput_value_dtype_size_invalid);
    TR_RUN(badinput_value_last_error_never_null);

    DTYPE_CASES(DTYPE_RUN)
    TR_RUN(badinput_dtype_call_ws_mismatch);
    TRAINING_CASES(TRAINING_RUN)
    TR_RUN(badinput_kind_act_apply);
    TR_RUN(badinput_kind_act_grad);
    TR_RUN(badinput_kind_act_name_out_of_range);
    TR_RUN(badinput_kind_init_fill);
    TR_RUN(badinput_kind_init_fill_mode);
    TR_RUN(badinput_kind_init_fill_distribution);
    TR_RUN(badinput_kind_reg_penalty);
    TR_RUN(badinput_kind_reg_grad);
    TR_RUN(badinput_kind_reg_penalty_mode);
    TR_RUN(badinput_kind_reg_grad_mode);
    TR_RUN(badinput_kind_con_apply);
    TR_RUN(badinput_cfg_kind_activation);
    TR_RUN(badinput_cfg_kind_recurrent_activation);
    TR_RUN(badinput_cfg_kind_kernel_initializer);
    TR_RUN(badinput_cfg_kind_recurrent_initializer);
    TR_RUN(badinput_cfg_kind_bias_initializer);
    TR_RUN(badinput_cfg_kind_kernel_initializer_mode);
    TR_RUN(badinput_cfg_kind_kernel_initializer_distribution);
    TR_RUN(badinput_cfg_kind_kernel_regularizer);
    TR_RUN(badinput_cfg_kind_recurrent_regularizer);
    TR_RUN(badinput_cfg_kind_bias_regularizer);
    TR_RUN(badinput_cfg_kind_recurrent_regularizer_mode);
    TR_RUN(badinput_cfg_kind_kernel_constraint);
    TR_RUN(badinput_cfg_kind_recurrent_constraint);
    TR_RUN(badinput_cfg_kind_bias_constraint);

    TR_RUN(badinput_cfg_units_nonpositive);
    TR_RUN(badinput_cfg_units_int64_min);
    TR_RUN(badinput_cfg_input_dim_nonpositive);
    TR_RUN(badinput_cfg_input_dim_overflows);
    TR_RUN(badinput_config_init_input_dim_negative);
    TR_RUN(badinput_cfg_dropout_nan);
    TR_RUN(badinput_cfg_recurrent_dropout_nan);
    TR_RUN(badinput_cfg_max_batch_nonpositive_with_dropout);
    TR_RUN(badinput_cfg_activation_alpha_nan);
    TR_RUN(badinput_cfg_recurrent_activation_custom_without_fn);
    TR_RUN(badinput_cfg_kernel_initializer_scale_nan);
    TR_RUN(badinput_cfg_recurrent_initializer_gain_inf);
    TR_RUN(badinput_cfg_bias_regularizer_l1_nan);
    TR_RUN(badinput_cfg_recurrent_constraint_max_value_nan);
    TR_RUN(badinput_cfg_kernel_constraint_rate_nan);
    TR_RUN(badinput_cfg_allocator_alloc_without_free);
    TR_RUN(badinput_create_allocator_returns_null);
    TR_RUN(badinput_cfg_max_batch_wraps_input_mask_cache);     /* BUG */
    TR_RUN(badinput_cfg_max_batch_wraps_recurrent_mask_cache); /* BUG */
    TR_RUN(badinput_cfg_bias_initializer_rank_message_names_argument); /* BUG */
    TR_RUN(badinput_cfg_bias_initializer_rank_rejected_by_size);       /* BUG */
    TR_RUN(badinput_cfg_bias_identity_ok_with_reset_after);
    TR_RUN(badinput_init_size_too_small);
    TR_RUN(badinput_init_mem_misaligned);
    TR_RUN(badinput_workspace_size_batch_negative);
    TR_RUN(badinput_call_ws_batch_zero);
    TR_RUN(badinput_call_ws_batch_overflows);
    TR_RUN(badinput_call_ws_workspace_too_small);
    TR_RUN(badinput_call_ws_batch_above_max_batch_needs_masks);
    TR_RUN(badinput_call_batch_negative);
    TR_RUN(badinput_call_cached_mask_batch_mismatch);
    TR_RUN(badinput_initial_state_batch_negative);
    TR_RUN(badinput_get_rec_dropout_mask_count);
    TR_RUN(badinput_get_dropout_mask_count_rate0);
    TR_RUN(badinput_get_rec_dropout_mask_batch_zero);
    TR_RUN(badinput_get_dropout_mask_batch_above_max_batch);
    TR_RUN(badinput_get_dropout_mask_cached_batch_mismatch);
    TR_RUN(badinput_set_dropout_mask_batch_zero);
    TR_RUN(badinput_set_rec_dropout_mask_batch_above_max_batch);
    TR_RUN(badinput_set_rec_dropout_mask_batch_int64_max);
    TR_RUN(badinput_set_dropout_mask_rate_zero);
    TR_RUN(badinput_set_weights_bias_on_no_bias_cell);
    TR_RUN(badinput_losses_orthogonal_on_rank1_bias);
    TR_RUN(badinput_apply_constraints_radial_on_bias);
    TR_RUN(badinput_apply_constraints_axis_out_of_range);
    TR_RUN(badinput_act_apply_overflow);
    TR_RUN(badinput_act_grad_elu_alpha_nan);
    TR_RUN(badinput_act_apply_relu_threshold_nan);
    TR_RUN(badinput_act_apply_custom_without_fn);
    TR_RUN(badinput_act_from_name_unknown);
    TR_RUN(badinput_init_from_name_unknown);
    TR_RUN(badinput_reg_from_name_unknown);
    TR_RUN(badinput_con_from_name_unknown);
    TR_RUN(badinput_from_name_very_long_names);
    TR_RUN(badinput_init_fill_shape_overflow);
    TR_RUN(badinput_init_fill_stddev_nan);
    TR_RUN(badinput_init_fill_identity_rank);
    TR_RUN(badinput_reg_penalty_factor_nan);
    TR_RUN(badinput_reg_grad_orthogonal_rank);
    TR_RUN(badinput_reg_penalty_shape_overflow);
    TR_RUN(badinput_con_apply_min_value_nan);
    TR_RUN(badinput_con_apply_axis_int_min);
    TR_RUN(badinput_con_apply_radial_rank);

    TR_RUN(badinput_doc_act_from_name_null_is_linear);
    TR_RUN(badinput_doc_reg_from_name_null_is_none);
    TR_RUN(badinput_doc_con_from_name_null_is_none);
    TR_RUN(badinput_doc_shape_null_when_ndim_0);
    TR_RUN(badinput_doc_w_null_for_empty_tensors);
    TR_RUN(badinput_doc_bias_null_without_use_bias);
    TR_RUN(badinput_doc_losses_outputs_may_be_null);
    TR_RUN(badinput_doc_mask_out_may_be_null);
    TR_RUN(badinput_cells_still_work_after_rejections);

    LAYER_CASES(BAD_RUN)
    LDTYPE_CASES(DTYPE_RUN)
    TR_RUN(badinput_layer_training_forward);
    TR_RUN(badinput_layer_cfg_stateful_without_batch_size);
    TR_RUN(badinput_layer_cfg_batch_size_negative);
    TR_RUN(badinput_layer_cfg_stateful_batch_size_overflows);
    TR_RUN(badinput_layer_cfg_cell_units_zero);
    TR_RUN(badinput_layer_cfg_cell_dropout_nan);
    TR_RUN(badinput_layer_cfg_cell_kind_out_of_range);
    TR_RUN(badinput_layer_value_functions);
    TR_RUN(badinput_layer_handle_keeps_message);
    TR_RUN(badinput_layer_doc_null_io_and_reset_states_null);
    TR_RUN(badinput_set_threadpool_handles);
}
