/* Bad input to the cell's public functions: a status and a message that
 * names the argument, never a crash. One test per rejection. */
#include <stdint.h>
#include <stdlib.h>

#include "runner.h"

static void dummy_free(void *p, void *user) {
    (void)user;
    free(p);
}

static gru_cell *small(void) {
    gru_cell_config c;
    gru_cell_config_init(&c, 3, 2);
    gru_cell *cell = NULL;
    gru_cell_create(&c, &cell);
    return cell;
}

TEST(config_init_rejects_null_and_nonpositive_sizes) {
    gru_cell_config c;
    CHECK_REJECT(gru_cell_config_init(NULL, 3, 2), GRU_E_NULL, "cfg");
    CHECK_REJECT(gru_cell_config_init(&c, 0, 2), GRU_E_ARG, "units");
    CHECK_REJECT(gru_cell_config_init(&c, -4, 2), GRU_E_ARG, "got -4");
    CHECK_REJECT(gru_cell_config_init(&c, 3, 0), GRU_E_ARG, "input_dim");
}

TEST(create_rejects_bad_configs) {
    gru_cell_config c;
    gru_cell *cell = (gru_cell *)1;
    gru_cell_config_init(&c, 3, 2);
    CHECK_REJECT(gru_cell_create(NULL, &cell), GRU_E_NULL, "cfg");
    CHECK(cell == NULL); /* *out cleared on failure */
    CHECK_REJECT(gru_cell_create(&c, NULL), GRU_E_NULL, "out");
    c.units = 0;
    CHECK_REJECT(gru_cell_create(&c, &cell), GRU_E_ARG, "units");
    gru_cell_config_init(&c, 3, 2);
    c.dtype = (gru_dtype)7;
    CHECK_REJECT(gru_cell_create(&c, &cell), GRU_E_DTYPE, "dtype");
    gru_cell_config_init(&c, 3, 2);
    c.dropout = NAN;
    CHECK_REJECT(gru_cell_create(&c, &cell), GRU_E_ARG, "dropout");
    gru_cell_config_init(&c, 3, 2);
    c.recurrent_dropout = NAN;
    CHECK_REJECT(gru_cell_create(&c, &cell), GRU_E_ARG, "recurrent_dropout");
    gru_cell_config_init(&c, 3, 2);
    c.activation.kind = (gru_activation_kind)999;
    CHECK_STATUS(gru_cell_create(&c, &cell), GRU_E_ARG);
    CHECK_MSG(strstr(gru_last_error(), "activation"), "msg: %s", gru_last_error());
    gru_cell_config_init(&c, 3, 2);
    c.activation.kind = GRU_ACT_CUSTOM; /* no fn */
    CHECK(gru_cell_create(&c, &cell) != GRU_OK);
    gru_cell_config_init(&c, 3, 2);
    c.kernel_initializer.kind = (gru_init_kind)999;
    CHECK(gru_cell_create(&c, &cell) != GRU_OK);
    CHECK_MSG(strstr(gru_last_error(), "kernel_initializer"), "msg: %s", gru_last_error());
    gru_cell_config_init(&c, 3, 2);
    c.recurrent_regularizer.kind = GRU_REG_L1L2;
    c.recurrent_regularizer.l2 = NAN;
    CHECK(gru_cell_create(&c, &cell) != GRU_OK);
    CHECK_MSG(strstr(gru_last_error(), "recurrent_regularizer"), "msg: %s", gru_last_error());
    gru_cell_config_init(&c, 3, 2);
    c.bias_constraint.kind = (gru_constraint_kind)999;
    CHECK(gru_cell_create(&c, &cell) != GRU_OK);
    CHECK_MSG(strstr(gru_last_error(), "bias_constraint"), "msg: %s", gru_last_error());
    gru_cell_config_init(&c, 3, 2);
    c.allocator.free = dummy_free; /* alloc missing */
    CHECK_REJECT(gru_cell_create(&c, &cell), GRU_E_ARG, "allocator");
    gru_cell_config_init(&c, 3, 2);
    c.dropout = 0.5;
    c.max_batch = 0;
    CHECK_REJECT(gru_cell_create(&c, &cell), GRU_E_ARG, "max_batch");
}

TEST(size_rejects_overflowing_configs) {
    gru_cell_config c;
    size_t size;
    gru_cell_config_init(&c, 3, 2);
    c.units = INT64_MAX;
    CHECK_REJECT(gru_cell_size(&c, &size), GRU_E_OVERFLOW, "units");
    gru_cell_config_init(&c, 1 << 20, 1 << 20);
    c.input_dim = (int64_t)1 << 50;
    CHECK_STATUS(gru_cell_size(&c, &size), GRU_E_OVERFLOW);
    gru_cell_config_init(&c, 3, 2);
    c.dropout = 0.1;
    c.max_batch = INT64_MAX / 2;
    CHECK_STATUS(gru_cell_size(&c, &size), GRU_E_OVERFLOW);
    CHECK_REJECT(gru_cell_size(&c, NULL), GRU_E_NULL, "size");
    CHECK_REJECT(gru_cell_size(NULL, &size), GRU_E_NULL, "cfg");
}

TEST(init_rejects_small_null_or_misaligned_memory) {
    gru_cell_config c;
    gru_cell_config_init(&c, 3, 2);
    size_t size;
    CHECK_OK(gru_cell_size(&c, &size));
    char *mem = aligned_alloc(64, (size + 64 + 63) / 64 * 64);
    CHECK(mem);
    gru_cell *cell;
    CHECK_REJECT(gru_cell_init(mem, size - 1, &c, &cell), GRU_E_SHAPE, "size");
    CHECK_REJECT(gru_cell_init(NULL, size, &c, &cell), GRU_E_NULL, "mem");
    CHECK_REJECT(gru_cell_init(mem + 1, size, &c, &cell), GRU_E_ARG, "aligned");
    CHECK_REJECT(gru_cell_init(mem, size, &c, NULL), GRU_E_NULL, "out");
    free(mem);
}

TEST(uninitialised_or_null_handle_is_rejected) {
    /* "a call before weights exist": memory that is not an initialised cell */
    _Alignas(64) unsigned char junk[4096] = {0};
    gru_cell *bad = (gru_cell *)junk;
    float x[2] = {0}, h[3] = {0};
    CHECK_REJECT(gru_cell_call(bad, GRU_F32, 1, x, h, GRU_TRAINING_FALSE, h), GRU_E_STATE,
                 "not an initialised cell");
    CHECK_REJECT(gru_cell_call(NULL, GRU_F32, 1, x, h, GRU_TRAINING_FALSE, h), GRU_E_NULL, "cell");
    gru_cell_free(NULL);
    gru_cell_free(bad); /* no-op, no crash */
    CHECK(gru_cell_units(NULL) == -1 && gru_cell_input_dim(bad) == -1);
    CHECK(gru_cell_dtype(NULL) == 0);
    CHECK(strcmp(gru_cell_kernel_name(NULL), "") == 0);
    CHECK(strstr(gru_cell_last_error(NULL), "NULL"));
    CHECK(strstr(gru_cell_last_error(bad), "not an initialised"));
    gru_cell_config cfg;
    CHECK_STATUS(gru_cell_get_config(bad, &cfg), GRU_E_STATE);
    CHECK_STATUS(gru_cell_reset_weights(NULL, 1), GRU_E_NULL);
    CHECK_STATUS(gru_cell_apply_constraints(NULL), GRU_E_NULL);
    CHECK_STATUS(gru_cell_losses(bad, NULL, NULL), GRU_E_STATE);
    CHECK_STATUS(gru_cell_reset_dropout_mask(NULL), GRU_E_NULL);
    CHECK_STATUS(gru_cell_reset_recurrent_dropout_mask(bad), GRU_E_STATE);
}

TEST(call_rejects_null_buffers) {
    gru_cell *cell = small();
    CHECK(cell);
    float x[2] = {0}, h[3] = {0};
    CHECK_REJECT(gru_cell_call(cell, GRU_F32, 1, NULL, h, GRU_TRAINING_FALSE, h), GRU_E_NULL, "'x'");
    CHECK_REJECT(gru_cell_call(cell, GRU_F32, 1, x, NULL, GRU_TRAINING_FALSE, h), GRU_E_NULL, "'h'");
    CHECK_REJECT(gru_cell_call(cell, GRU_F32, 1, x, h, GRU_TRAINING_FALSE, NULL), GRU_E_NULL, "h_new");
    /* the handle keeps the message too */
    CHECK(strstr(gru_cell_last_error(cell), "h_new"));
    gru_cell_free(cell);
}

TEST(call_rejects_dtype_mismatch) {
    gru_cell *cell = small();
    CHECK(cell);
    double x[2] = {0}, h[3] = {0};
    CHECK_REJECT(gru_cell_call(cell, GRU_F64, 1, x, h, GRU_TRAINING_FALSE, h), GRU_E_DTYPE,
                 "GRU_F32");
    CHECK_REJECT(gru_cell_call(cell, (gru_dtype)0, 1, x, h, GRU_TRAINING_FALSE, h), GRU_E_DTYPE,
                 "invalid");
    gru_cell_free(cell);
}

TEST(call_rejects_bad_batch_and_training) {
    gru_cell *cell = small();
    CHECK(cell);
    float x[2] = {0}, h[3] = {0};
    CHECK_REJECT(gru_cell_call(cell, GRU_F32, 0, x, h, GRU_TRAINING_FALSE, h), GRU_E_ARG, "batch");
    CHECK_REJECT(gru_cell_call(cell, GRU_F32, -3, x, h, GRU_TRAINING_FALSE, h), GRU_E_ARG, "-3");
    CHECK_REJECT(gru_cell_call(cell, GRU_F32, INT64_MAX, x, h, GRU_TRAINING_FALSE, h),
                 GRU_E_OVERFLOW, "overflows");
    CHECK_REJECT(gru_cell_call(cell, GRU_F32, 1, x, h, (gru_training)5, h), GRU_E_ARG, "training");
    gru_cell_free(cell);
}

TEST(call_ws_rejects_small_null_or_misaligned_workspace) {
    gru_cell *cell = small();
    CHECK(cell);
    size_t ws;
    CHECK_OK(gru_cell_workspace_size(cell, 4, &ws));
    double *buf = malloc(ws + 64);
    CHECK(buf);
    float x[2] = {0}, h[3] = {0};
    CHECK_REJECT(gru_cell_call_ws(cell, GRU_F32, 1, x, h, GRU_TRAINING_FALSE, h, NULL, ws),
                 GRU_E_NULL, "workspace");
    CHECK_REJECT(gru_cell_call_ws(cell, GRU_F32, 1, x, h, GRU_TRAINING_FALSE, h, buf, ws - 1),
                 GRU_E_SHAPE, "workspace");
    CHECK_REJECT(gru_cell_call_ws(cell, GRU_F32, 1, x, h, GRU_TRAINING_FALSE, h,
                                  (char *)buf + 1, ws), GRU_E_ARG, "aligned");
    CHECK_OK(gru_cell_call_ws(cell, GRU_F32, 1, x, h, GRU_TRAINING_FALSE, h, buf, ws));
    CHECK_REJECT(gru_cell_workspace_size(cell, 0, &ws), GRU_E_ARG, "batch");
    CHECK_REJECT(gru_cell_workspace_size(cell, 1, NULL), GRU_E_NULL, "bytes");
    free(buf);
    gru_cell_free(cell);
}

TEST(weights_calls_reject_bad_arguments) {
    gru_cell *cell = small();
    CHECK(cell);
    float k[18], r[27], b[9];
    size_t a, c, d;
    CHECK_REJECT(gru_cell_get_weights(cell, GRU_F32, NULL, r, b), GRU_E_NULL, "kernel");
    CHECK_REJECT(gru_cell_get_weights(cell, GRU_F32, k, NULL, b), GRU_E_NULL, "recurrent_kernel");
    CHECK_REJECT(gru_cell_get_weights(cell, GRU_F32, k, r, NULL), GRU_E_NULL, "bias");
    CHECK_REJECT(gru_cell_get_weights(cell, (gru_dtype)3, k, r, b), GRU_E_DTYPE, "dtype");
    CHECK_REJECT(gru_cell_set_weights(cell, GRU_F32, k, r, NULL), GRU_E_NULL, "use_bias");
    CHECK_REJECT(gru_cell_set_weights(cell, GRU_F32, NULL, r, b), GRU_E_NULL, "kernel");
    CHECK_REJECT(gru_cell_set_weights(cell, GRU_F32, k, NULL, b), GRU_E_NULL, "recurrent_kernel");
    CHECK_REJECT(gru_cell_set_weights(cell, (gru_dtype)0, k, r, b), GRU_E_DTYPE, "dtype");
    CHECK_REJECT(gru_cell_weight_sizes(cell, &a, NULL, &d), GRU_E_NULL, "recurrent");
    CHECK_REJECT(gru_cell_weight_sizes(NULL, &a, &c, &d), GRU_E_NULL, "cell");
    gru_cell_free(cell);
    gru_cell_config cfg;
    gru_cell_config_init(&cfg, 3, 2);
    cfg.use_bias = false;
    CHECK_OK(gru_cell_create(&cfg, &cell));
    CHECK_REJECT(gru_cell_set_weights(cell, GRU_F32, k, r, b), GRU_E_ARG, "no bias");
    gru_cell_free(cell);
}

TEST(get_config_and_initial_state_reject_bad_arguments) {
    gru_cell *cell = small();
    CHECK(cell);
    float s[3];
    CHECK_REJECT(gru_cell_get_config(cell, NULL), GRU_E_NULL, "cfg");
    CHECK_REJECT(gru_cell_get_initial_state(cell, GRU_F32, 1, NULL), GRU_E_NULL, "state");
    CHECK_REJECT(gru_cell_get_initial_state(cell, (gru_dtype)9, 1, s), GRU_E_DTYPE, "dtype");
    CHECK_REJECT(gru_cell_get_initial_state(cell, GRU_F32, 0, s), GRU_E_ARG, "batch");
    CHECK_REJECT(gru_cell_get_initial_state(cell, GRU_F64, INT64_MAX, s), GRU_E_OVERFLOW, "overflow");
    gru_cell_free(cell);
}

TEST(mask_methods_reject_bad_arguments) {
    gru_cell_config c;
    gru_cell_config_init(&c, 3, 2);
    c.dropout = 0.5;
    c.recurrent_dropout = 0.5;
    c.max_batch = 4;
    gru_cell *cell;
    CHECK_OK(gru_cell_create(&c, &cell));
    float m[3 * 8 * 3];
    bool has;
    CHECK_REJECT(gru_cell_get_dropout_mask(cell, GRU_F32, 1, GRU_TRAINING_TRUE, 0, m, &has),
                 GRU_E_ARG, "count");
    CHECK_REJECT(gru_cell_get_dropout_mask(cell, GRU_F32, 1, GRU_TRAINING_TRUE, 4, m, &has),
                 GRU_E_ARG, "count");
    CHECK_REJECT(gru_cell_get_dropout_mask(cell, GRU_F32, 1, GRU_TRAINING_TRUE, 3, m, NULL),
                 GRU_E_NULL, "has_mask");
    CHECK_REJECT(gru_cell_get_dropout_mask(cell, GRU_F32, 0, GRU_TRAINING_TRUE, 3, m, &has),
                 GRU_E_ARG, "batch");
    CHECK_REJECT(gru_cell_get_dropout_mask(cell, (gru_dtype)5, 1, GRU_TRAINING_TRUE, 3, m, &has),
                 GRU_E_DTYPE, "dtype");
    CHECK_REJECT(gru_cell_get_dropout_mask(cell, GRU_F32, 1, (gru_training)3, 3, m, &has),
                 GRU_E_ARG, "training");
    CHECK_REJECT(gru_cell_get_recurrent_dropout_mask(cell, GRU_F32, 8, GRU_TRAINING_TRUE, 3, m, &has),
                 GRU_E_SHAPE, "max_batch");
    CHECK_REJECT(gru_cell_get_recurrent_dropout_mask(NULL, GRU_F32, 1, GRU_TRAINING_TRUE, 3, m, &has),
                 GRU_E_NULL, "cell");
    CHECK_REJECT(gru_cell_set_dropout_mask(cell, GRU_F32, 1, NULL), GRU_E_NULL, "masks");
    CHECK_REJECT(gru_cell_set_dropout_mask(cell, GRU_F32, 8, m), GRU_E_SHAPE, "max_batch");
    CHECK_REJECT(gru_cell_set_recurrent_dropout_mask(cell, GRU_F32, -1, m), GRU_E_ARG, "batch");
    CHECK_REJECT(gru_cell_set_recurrent_dropout_mask(cell, (gru_dtype)0, 1, m), GRU_E_DTYPE, "dtype");
    /* a call with batch > max_batch cannot draw masks */
    float x[8 * 2] = {0}, h[8 * 3] = {0};
    CHECK_REJECT(gru_cell_call(cell, GRU_F32, 8, x, h, GRU_TRAINING_TRUE, h), GRU_E_SHAPE, "max_batch");
    gru_cell_free(cell);
    gru_cell_config_init(&c, 3, 2);
    CHECK_OK(gru_cell_create(&c, &cell));
    CHECK_REJECT(gru_cell_set_dropout_mask(cell, GRU_F32, 1, m), GRU_E_STATE, "rate is 0");
    CHECK_REJECT(gru_cell_set_recurrent_dropout_mask(cell, GRU_F32, 1, m), GRU_E_STATE, "rate is 0");
    gru_cell_free(cell);
}

TEST(losses_report_regularizer_errors) {
    /* Keras raises for an orthogonal regularizer on the rank-1 bias */
    gru_cell_config c;
    gru_cell_config_init(&c, 3, 2);
    gru_regularizer_from_name("orthogonal_regularizer", &c.bias_regularizer);
    gru_cell *cell;
    CHECK_OK(gru_cell_create(&c, &cell));
    double l[3];
    CHECK_STATUS(gru_cell_losses(cell, l, NULL), GRU_E_SHAPE);
    CHECK_MSG(strstr(gru_last_error(), "bias regularizer"), "msg: %s", gru_last_error());
    gru_cell_free(cell);
}

TEST(constraints_report_errors) {
    gru_cell_config c;
    gru_cell_config_init(&c, 3, 2);
    gru_constraint_from_name("radial_constraint", &c.kernel_constraint);
    gru_cell *cell;
    CHECK_OK(gru_cell_create(&c, &cell));
    CHECK_STATUS(gru_cell_apply_constraints(cell), GRU_E_SHAPE);
    CHECK_MSG(strstr(gru_last_error(), "kernel constraint"), "msg: %s", gru_last_error());
    gru_cell_free(cell);
}

void tests_errors(void);
void tests_errors(void) {
    TR_RUN(config_init_rejects_null_and_nonpositive_sizes);
    TR_RUN(create_rejects_bad_configs);
    TR_RUN(size_rejects_overflowing_configs);
    TR_RUN(init_rejects_small_null_or_misaligned_memory);
    TR_RUN(uninitialised_or_null_handle_is_rejected);
    TR_RUN(call_rejects_null_buffers);
    TR_RUN(call_rejects_dtype_mismatch);
    TR_RUN(call_rejects_bad_batch_and_training);
    TR_RUN(call_ws_rejects_small_null_or_misaligned_workspace);
    TR_RUN(weights_calls_reject_bad_arguments);
    TR_RUN(get_config_and_initial_state_reject_bad_arguments);
    TR_RUN(mask_methods_reject_bad_arguments);
    TR_RUN(losses_report_regularizer_errors);
    TR_RUN(constraints_report_errors);
}
