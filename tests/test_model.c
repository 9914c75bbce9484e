/* gru_model: hand-computed cases per node kind and mask rule, models equal to
 * running libgru's layers by hand, and rejected inputs. (Keras' own numbers:
 * tests/test_golden_model.c.) */
#include <stdint.h>
#include <stdlib.h>

#include "model_nodes.h"
#include "runner.h"

#ifdef GRU_TEST_WRAP_MALLOC
long tests_alloc_count(void);
#endif


static gru_model_node input_node(const char *name, size_t rank, int64_t d0, int64_t d1, bool ids) {
    gru_model_node n = N(GRU_NODE_INPUT, name);
    n.input.rank = rank;
    n.input.shape[0] = d0;
    n.input.shape[1] = d1;
    n.input.int_ids = ids;
    return n;
}

/* Run m on inputs into outputs with a fresh workspace. */
static gru_status run(gru_model *m, gru_dtype dt, int64_t B, int64_t T, const void *const *ins,
                      void *const *outs) {
    size_t bytes = 0;
    gru_status s = gru_model_workspace_size(m, B, T, &bytes);
    if (s) return s;
    void *ws = aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
    if (!ws) return GRU_E_NOMEM;
    s = gru_model_forward(m, dt, B, T, ins, outs, ws, bytes);
    free(ws);
    return s;
}

/* Masking(5) zeroes the masked steps; GlobalAveragePooling1D averages only
 * the valid ones; GlobalMaxPooling1D ignores the mask. */
TEST(model_masking_and_pooling) {
    gru_model_node nodes[4];
    nodes[0] = input_node("x", 2, 3, 2, false);
    nodes[1] = N(GRU_NODE_MASKING, "masking");
    nodes[1].mask_value = 5.0;
    in1(&nodes[1], 0, 0);
    nodes[2] = N(GRU_NODE_GLOBAL_AVERAGE_POOLING1D, "gap");
    in1(&nodes[2], 1, 0);
    nodes[3] = N(GRU_NODE_GLOBAL_MAX_POOLING1D, "gmp");
    in1(&nodes[3], 1, 0);
    gru_model_ref outs[3] = {{1, 0}, {2, 0}, {3, 0}};
    gru_model *m = NULL;
    CHECK_OK(gru_model_create(nodes, 4, outs, 3, GRU_F64, &m));
    gru_model_node_info info;
    CHECK_OK(gru_model_node_info_get(m, 1, &info));
    CHECK(info.output_masked[0] && info.param_count == 0 && strcmp(info.name, "masking") == 0);
    CHECK_OK(gru_model_node_info_get(m, 2, &info));
    CHECK(!info.output_masked[0]);
    const double x[12] = {1, 2, 5, 5, 3, 5, /* b1: */ 5, 5, 5, 5, -1, 7};
    double y0[12], y1[4], y2[4];
    const void *ins[1] = {x};
    void *o[3] = {y0, y1, y2};
    CHECK_OK(run(m, GRU_F64, 2, 0, ins, o));
    const double w0[12] = {1, 2, 0, 0, 3, 5, 0, 0, 0, 0, -1, 7};
    for (int i = 0; i < 12; i++) CHECK_NEAR(y0[i], w0[i], 0);
    CHECK_NEAR(y1[0], 2.0, 0);
    CHECK_NEAR(y1[1], 3.5, 0);
    CHECK_NEAR(y1[2], -1.0, 0);
    CHECK_NEAR(y1[3], 7.0, 0);
    CHECK_NEAR(y2[0], 3.0, 0); /* max over the zeroed steps too */
    CHECK_NEAR(y2[1], 5.0, 0);
    CHECK_NEAR(y2[2], 0.0, 0);
    CHECK_NEAR(y2[3], 7.0, 0);
    int64_t dims[GRU_MODEL_MAX_RANK + 1];
    size_t nd = 0;
    CHECK_OK(gru_model_output_shape(m, 0, 2, 0, dims, &nd));
    CHECK(nd == 3 && dims[0] == 2 && dims[1] == 3 && dims[2] == 2);
    gru_model_free(m);
}

/* Embedding(mask_zero) on int64 and on float ids; masked mean. */
TEST(model_embedding_mask_zero) {
    for (int fl = 0; fl < 2; fl++) {
        gru_model_node nodes[3];
        nodes[0] = input_node("ids", 1, 3, 0, !fl);
        nodes[1] = N(GRU_NODE_EMBEDDING, "emb");
        nodes[1].embedding.input_dim = 4;
        nodes[1].embedding.output_dim = 2;
        nodes[1].embedding.mask_zero = true;
        in1(&nodes[1], 0, 0);
        nodes[2] = N(GRU_NODE_GLOBAL_AVERAGE_POOLING1D, NULL);
        in1(&nodes[2], 1, 0);
        gru_model_ref outs[2] = {{2, 0}, {1, 0}};
        gru_model *m = NULL;
        CHECK_OK(gru_model_create(nodes, 3, outs, 2, GRU_F32, &m));
        gru_model_node_info info;
        CHECK_OK(gru_model_node_info_get(m, 1, &info));
        CHECK(info.n_weights == 1 && info.weight_count[0] == 8 &&
              strcmp(info.weight_names[0], "embeddings") == 0);
        const float table[8] = {0, 0, 1, 10, 2, 20, 3, 30};
        const void *arr[1] = {table};
        const size_t cnt[1] = {8};
        CHECK_OK(gru_model_set_node_weights(m, 1, GRU_F32, 1, arr, cnt));
        const int64_t ids[6] = {1, 0, 2, 3, 3, 0};
        const float fids[6] = {1.7f, 0, 2, 3, 3.2f, 0};
        float y[4], e[12];
        const void *ins[1] = {fl ? (const void *)fids : (const void *)ids};
        void *o[2] = {y, e};
        CHECK_OK(run(m, GRU_F32, 2, 0, ins, o));
        CHECK_NEAR(y[0], 1.5, 0);
        CHECK_NEAR(y[1], 15, 0);
        CHECK_NEAR(y[2], 3, 0);
        CHECK_NEAR(y[3], 30, 0);
        CHECK_NEAR(e[2], 0, 0);
        CHECK_NEAR(e[5], 20, 0);
        /* an id out of range is an error, as Keras' lookup */
        const int64_t bad[6] = {1, 0, 4, 3, 3, 0};
        const float fbad[6] = {1, 0, -1, 3, 3, 0};
        ins[0] = fl ? (const void *)fbad : (const void *)bad;
        CHECK_REJECT(run(m, GRU_F32, 2, 0, ins, o), GRU_E_ARG, "'emb'");
        gru_model_free(m);
    }
}

/* RepeatVector -> Dense on 3-D -> Flatten -> Reshape(-1, 1) -> Activation. */
TEST(model_repeat_dense3d_flatten_reshape) {
    gru_model_node nodes[6];
    nodes[0] = input_node("x", 1, 2, 0, false);
    nodes[1] = N(GRU_NODE_REPEAT_VECTOR, "rv");
    nodes[1].repeat_n = 3;
    in1(&nodes[1], 0, 0);
    nodes[2] = N(GRU_NODE_DENSE, "d");
    nodes[2].dense.units = 1;
    in1(&nodes[2], 1, 0);
    nodes[3] = N(GRU_NODE_FLATTEN, "f");
    in1(&nodes[3], 2, 0);
    nodes[4] = N(GRU_NODE_RESHAPE, "r");
    nodes[4].reshape.rank = 2;
    nodes[4].reshape.shape[0] = -1;
    nodes[4].reshape.shape[1] = 1;
    in1(&nodes[4], 3, 0);
    nodes[5] = N(GRU_NODE_ACTIVATION, "a");
    gru_activation_from_name("relu", &nodes[5].activation);
    in1(&nodes[5], 4, 0);
    gru_model_ref outs[2] = {{3, 0}, {5, 0}};
    gru_model *m = NULL;
    CHECK_OK(gru_model_create(nodes, 6, outs, 2, GRU_F64, &m));
    const double k[2] = {1, 2}, b[1] = {-4};
    const void *arr[2] = {k, b};
    const size_t cnt[2] = {2, 1};
    CHECK_OK(gru_model_set_node_weights(m, 2, GRU_F64, 2, arr, cnt));
    const double x[4] = {1, 1, 3, 2};
    double f[6], a[6];
    const void *ins[1] = {x};
    void *o[2] = {f, a};
    CHECK_OK(run(m, GRU_F64, 2, 0, ins, o));
    for (int i = 0; i < 3; i++) {
        CHECK_NEAR(f[i], -1, 0);
        CHECK_NEAR(f[3 + i], 3, 0);
        CHECK_NEAR(a[i], 0, 0);
        CHECK_NEAR(a[3 + i], 3, 0);
    }
    int64_t dims[GRU_MODEL_MAX_RANK + 1];
    size_t nd = 0;
    CHECK_OK(gru_model_output_shape(m, 1, 2, 0, dims, &nd));
    CHECK(nd == 3 && dims[1] == 3 && dims[2] == 1);
    gru_model_free(m);
}

/* Concatenate on the last axis ANDs masks; on the time axis it concatenates
 * them; Add ANDs; Multiply multiplies. Checked through masked means. */
TEST(model_merge_masks) {
    gru_model_node nodes[10];
    nodes[0] = input_node("a", 2, 2, 1, false);
    nodes[1] = input_node("b", 2, 2, 1, false);
    nodes[2] = N(GRU_NODE_MASKING, "ma");
    in1(&nodes[2], 0, 0);
    nodes[3] = N(GRU_NODE_MASKING, "mb");
    in1(&nodes[3], 1, 0);
    nodes[4] = N(GRU_NODE_CONCATENATE, "cat_last");
    in1(&nodes[4], 2, 0);
    in1(&nodes[4], 3, 0);
    nodes[5] = N(GRU_NODE_GLOBAL_AVERAGE_POOLING1D, "gap_last");
    in1(&nodes[5], 4, 0);
    nodes[6] = N(GRU_NODE_CONCATENATE, "cat_time");
    nodes[6].axis = 1;
    in1(&nodes[6], 2, 0);
    in1(&nodes[6], 1, 0); /* unmasked, last axis 1: all valid */
    nodes[7] = N(GRU_NODE_GLOBAL_AVERAGE_POOLING1D, "gap_time");
    in1(&nodes[7], 6, 0);
    nodes[8] = N(GRU_NODE_MULTIPLY, "mul");
    in1(&nodes[8], 2, 0);
    in1(&nodes[8], 3, 0);
    nodes[9] = N(GRU_NODE_GLOBAL_AVERAGE_POOLING1D, "gap_mul");
    in1(&nodes[9], 8, 0);
    gru_model_ref outs[4] = {{5, 0}, {7, 0}, {9, 0}, {6, 0}};
    gru_model *m = NULL;
    CHECK_OK(gru_model_create(nodes, 10, outs, 4, GRU_F32, &m));
    /* one sample: a = [2, 0], b = [0, 3] -> masks a [1,0], b [0,1] */
    const float a[2] = {2, 0}, b[2] = {0, 3};
    float y0[2], y1[1], y2[1], y3[4];
    const void *ins[2] = {a, b};
    void *o[4] = {y0, y1, y2, y3};
    CHECK_OK(run(m, GRU_F32, 1, 0, ins, o));
    /* AND of [1,0] and [0,1]: no valid step -> 0/0 = NaN, as Keras */
    CHECK(isnan(y0[0]) && isnan(y0[1]));
    /* time concat: [2, 0(masked), 0, 3] with mask [1,0,1,1] -> 5/3 */
    CHECK_NEAR(y1[0], 5.0f / 3.0f, 1e-7);
    CHECK(isnan(y2[0])); /* Multiply ANDs the masks too */
    CHECK_NEAR(y3[0], 2, 0);
    CHECK_NEAR(y3[3], 3, 0);
    gru_model_free(m);
}

/* Fill a layer's weights with a deterministic pattern. */
static void fill_cell(gru_cell *cell, double scale) {
    size_t nk, nr, nb;
    gru_cell_weight_sizes(cell, &nk, &nr, &nb);
    double *w = malloc((nk + nr + nb + 1) * sizeof *w);
    for (size_t i = 0; i < nk + nr + nb; i++) w[i] = scale * sin(0.37 * (double)i + 0.1);
    gru_cell_set_weights(cell, GRU_F64, w, w + nk, nb ? w + nk + nr : NULL);
    free(w);
}

/* Sequential([Input((T,), int), Embedding(mask_zero), GRU, Dense]) equals
 * the lookup, gru_layer_forward with the id != 0 mask, and gru_dense_forward
 * done by hand: bit for bit. */
TEST(model_sequential_equals_layers_by_hand) {
    enum { B = 3, T = 5, V = 7, D = 4, U = 6, O = 2 };
    gru_model_node nodes[4];
    nodes[0] = input_node("ids", 1, T, 0, true);
    nodes[1] = N(GRU_NODE_EMBEDDING, "emb");
    nodes[1].embedding.input_dim = V;
    nodes[1].embedding.output_dim = D;
    nodes[1].embedding.mask_zero = true;
    in1(&nodes[1], 0, 0);
    nodes[2] = N(GRU_NODE_GRU, "gru");
    gru_layer_config_init(&nodes[2].gru, U, 1);
    nodes[2].gru.cell.reset_after = true;
    gru_activation_from_name("sigmoid", &nodes[2].gru.cell.recurrent_activation);
    in1(&nodes[2], 1, 0);
    nodes[3] = N(GRU_NODE_DENSE, "dense");
    nodes[3].dense.units = O;
    gru_activation_from_name("softmax", &nodes[3].dense.activation);
    in1(&nodes[3], 2, 0);
    gru_model_ref out = {3, 0};
    gru_model *m = NULL;
    CHECK_OK(gru_model_create(nodes, 4, &out, 1, GRU_F32, &m));
    CHECK(gru_model_node_count(m) == 4 && gru_model_input_count(m) == 1);
    /* weights */
    float table[V * D], dk[U * O], db[O];
    for (int i = 0; i < V * D; i++) table[i] = (float)cos(0.7 * i);
    for (int i = 0; i < U * O; i++) dk[i] = (float)sin(1.3 * i);
    for (int i = 0; i < O; i++) db[i] = 0.1f * (float)i;
    const void *ea[1] = {table};
    const size_t ec[1] = {V * D};
    CHECK_OK(gru_model_set_node_weights(m, 1, GRU_F32, 1, ea, ec));
    fill_cell(gru_layer_cell(gru_model_node_layer(m, 2)), 0.5);
    const void *da[2] = {dk, db};
    const size_t dc[2] = {U * O, O};
    CHECK_OK(gru_model_set_node_weights(m, 3, GRU_F32, 2, da, dc));
    gru_model_node_info info;
    CHECK_OK(gru_model_node_info_get(m, 2, &info));
    CHECK(info.n_weights == 3 && info.weight_shape[0][0] == D && info.weight_shape[0][1] == 3 * U &&
          info.weight_ndim[2] == 2 && info.weight_shape[2][0] == 2);
    const int64_t ids[B * T] = {1, 2, 3, 0, 0, 4, 5, 6, 1, 2, 0, 3, 0, 6, 0};
    float y[B * O];
    const void *ins[1] = {ids};
    void *o[1] = {y};
    size_t bytes = 0;
    CHECK_OK(gru_model_workspace_size(m, B, T, &bytes));
    void *ws = aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
#ifdef GRU_TEST_WRAP_MALLOC
    const long before = tests_alloc_count();
#endif
    CHECK_OK(gru_model_forward(m, GRU_F32, B, T, ins, o, ws, bytes));
#ifdef GRU_TEST_WRAP_MALLOC
    CHECK(tests_alloc_count() == before); /* never allocates */
#endif
    free(ws);
    /* by hand */
    float x[B * T * D], h[B * U], want[B * O];
    uint8_t mask[B * T];
    for (int i = 0; i < B * T; i++) {
        memcpy(x + i * D, table + ids[i] * D, D * sizeof(float));
        mask[i] = ids[i] != 0;
    }
    gru_layer_config lc = nodes[2].gru;
    lc.cell.input_dim = D;
    gru_layer *layer = NULL;
    CHECK_OK(gru_layer_create(&lc, &layer));
    fill_cell(gru_layer_cell(layer), 0.5);
    size_t lb = 0;
    CHECK_OK(gru_layer_workspace_size(layer, B, T, &lb));
    void *lws = aligned_alloc(64, (lb + 63) / 64 * 64 + 64);
    gru_seq seq = {B, T, x, mask, NULL};
    CHECK_OK(gru_layer_forward(layer, GRU_F32, &seq, NULL, GRU_TRAINING_FALSE, h, lws, lb));
    free(lws);
    gru_layer_free(layer);
    gru_dense_config dcfg;
    gru_dense_config_init(&dcfg, O, U);
    dcfg.activation = nodes[3].dense.activation;
    gru_dense *dense = NULL;
    CHECK_OK(gru_dense_create(&dcfg, &dense));
    CHECK_OK(gru_dense_set_weights(dense, GRU_F32, dk, db));
    CHECK_OK(gru_dense_forward(dense, GRU_F32, B, h, want, NULL));
    gru_dense_free(dense);
    for (int i = 0; i < B * O; i++) CHECK_NEAR(y[i], want[i], 0);
    gru_model_free(m);
}

/* Functional: two inputs, Concatenate, GRU(return_state) feeding another
 * GRU's initial state; equal to the layers run by hand. Variable length. */
TEST(model_two_inputs_concat_and_initial_state) {
    enum { B = 2, T = 4, Fa = 2, Fb = 3, U = 5 };
    gru_model_node nodes[5];
    nodes[0] = input_node("a", 2, -1, Fa, false);
    nodes[1] = input_node("b", 2, -1, Fb, false);
    nodes[2] = N(GRU_NODE_CONCATENATE, "cat");
    in1(&nodes[2], 0, 0);
    in1(&nodes[2], 1, 0);
    nodes[3] = N(GRU_NODE_GRU, "enc");
    gru_layer_config_init(&nodes[3].gru, U, 1);
    nodes[3].gru.return_state = true;
    nodes[3].gru.return_sequences = true;
    in1(&nodes[3], 2, 0);
    nodes[4] = N(GRU_NODE_GRU, "dec");
    gru_layer_config_init(&nodes[4].gru, U, 1);
    nodes[4].gru.go_backwards = true;
    in1(&nodes[4], 3, 0);
    in1(&nodes[4], 3, 1); /* initial_state = enc's state */
    gru_model_ref outs[2] = {{4, 0}, {3, 1}};
    gru_model *m = NULL;
    CHECK_OK(gru_model_create(nodes, 5, outs, 2, GRU_F64, &m));
    gru_model_node_info info;
    CHECK_OK(gru_model_node_info_get(m, 3, &info));
    CHECK(info.n_outputs == 2 && info.weight_shape[0][0] == Fa + Fb);
    fill_cell(gru_layer_cell(gru_model_node_layer(m, 3)), 0.4);
    fill_cell(gru_layer_cell(gru_model_node_layer(m, 4)), -0.3);
    double a[B * T * Fa], b[B * T * Fb];
    for (int i = 0; i < B * T * Fa; i++) a[i] = sin(0.9 * i);
    for (int i = 0; i < B * T * Fb; i++) b[i] = cos(0.4 * i);
    double y[B * U], st[B * U];
    const void *ins[2] = {a, b};
    void *o[2] = {y, st};
    CHECK_REJECT(run(m, GRU_F64, B, 0, ins, o), GRU_E_ARG, "steps");
    CHECK_OK(run(m, GRU_F64, B, T, ins, o));
    /* by hand */
    double x[B * T * (Fa + Fb)], seq1[B * T * U], h1[B * U], want[B * U];
    for (int r = 0; r < B * T; r++) {
        memcpy(x + r * (Fa + Fb), a + r * Fa, Fa * sizeof(double));
        memcpy(x + r * (Fa + Fb) + Fa, b + r * Fb, Fb * sizeof(double));
    }
    gru_layer_config l1 = nodes[3].gru, l2 = nodes[4].gru;
    l1.cell.input_dim = Fa + Fb;
    l1.cell.dtype = l2.cell.dtype = GRU_F64;
    l2.cell.input_dim = U;
    gru_layer *g1 = NULL, *g2 = NULL;
    CHECK_OK(gru_layer_create(&l1, &g1));
    CHECK_OK(gru_layer_create(&l2, &g2));
    fill_cell(gru_layer_cell(g1), 0.4);
    fill_cell(gru_layer_cell(g2), -0.3);
    size_t lb = 0;
    gru_layer_workspace_size(g1, B, T, &lb);
    void *lws = aligned_alloc(64, (lb + 63) / 64 * 64 + 64);
    gru_seq s1 = {B, T, x, NULL, NULL}, s2 = {B, T, seq1, NULL, NULL};
    gru_layer_io io1 = {NULL, NULL, NULL, h1}, io2 = {h1, NULL, NULL, NULL};
    CHECK_OK(gru_layer_forward(g1, GRU_F64, &s1, &io1, GRU_TRAINING_FALSE, seq1, lws, lb));
    CHECK_OK(gru_layer_forward(g2, GRU_F64, &s2, &io2, GRU_TRAINING_FALSE, want, lws, lb));
    free(lws);
    gru_layer_free(g1);
    gru_layer_free(g2);
    for (int i = 0; i < B * U; i++) {
        CHECK_NEAR(y[i], want[i], 0);
        CHECK_NEAR(st[i], h1[i], 0);
    }
    gru_model_free(m);
}

/* Bidirectional with merge_mode None and return_state: four ports; the
 * sequences keep the mask, the states do not. */
TEST(model_bidirectional_ports) {
    gru_model_node nodes[4];
    nodes[0] = input_node("x", 2, 3, 2, false);
    nodes[1] = N(GRU_NODE_MASKING, "m");
    in1(&nodes[1], 0, 0);
    nodes[2] = N(GRU_NODE_BIDIRECTIONAL, "bi");
    gru_bidirectional_config_init(&nodes[2].bidirectional, 3, 1);
    nodes[2].bidirectional.merge_mode = GRU_MERGE_NONE;
    nodes[2].bidirectional.layer.return_sequences = true;
    nodes[2].bidirectional.layer.return_state = true;
    nodes[2].bidirectional.has_backward_layer = true;
    gru_layer_config_init(&nodes[2].bidirectional.backward_layer, 2, 1);
    nodes[2].bidirectional.backward_layer.go_backwards = true;
    nodes[2].bidirectional.backward_layer.return_sequences = true;
    nodes[2].bidirectional.backward_layer.return_state = true;
    in1(&nodes[2], 1, 0);
    nodes[3] = N(GRU_NODE_CONCATENATE, "cat");
    in1(&nodes[3], 2, 0);
    in1(&nodes[3], 2, 1);
    gru_model_ref outs[3] = {{3, 0}, {2, 2}, {2, 3}};
    gru_model *m = NULL;
    CHECK_OK(gru_model_create(nodes, 4, outs, 3, GRU_F32, &m));
    gru_model_node_info info;
    CHECK_OK(gru_model_node_info_get(m, 2, &info));
    CHECK(info.n_outputs == 4 && info.n_weights == 6);
    CHECK(info.output_masked[0] && info.output_masked[1] && !info.output_masked[2]);
    CHECK(strcmp(info.weight_names[3], "backward_layer/kernel") == 0);
    CHECK(info.weight_shape[4][0] == 2 && info.weight_shape[4][1] == 6);
    int64_t dims[GRU_MODEL_MAX_RANK + 1];
    size_t nd = 0;
    CHECK_OK(gru_model_output_shape(m, 0, 4, 0, dims, &nd));
    CHECK(nd == 3 && dims[0] == 4 && dims[1] == 3 && dims[2] == 5);
    CHECK_OK(gru_model_output_shape(m, 2, 4, 0, dims, &nd));
    CHECK(nd == 2 && dims[1] == 2);
    /* run: fully masked sample gives zero sequence outputs (zero_output_for_mask forced) */
    const float x[12] = {0.5f, 1, 0, 0, -1, 2, 0, 0, 0, 0, 0, 0};
    float y[30], hf[6], hb[4];
    const void *ins[1] = {x};
    void *o[3] = {y, hf, hb};
    CHECK_OK(run(m, GRU_F32, 2, 0, ins, o));
    for (int i = 15; i < 30; i++) CHECK_NEAR(y[i], 0, 0);
    CHECK_NEAR(y[5], 0, 0); /* b0 step 1 masked */
    gru_model_free(m);
}

/* Which nodes pass the mask on (Keras' supports_masking / compute_mask). */
TEST(model_mask_propagation_rules) {
    static const gru_node_kind pass[] = {GRU_NODE_DENSE, GRU_NODE_TIME_DISTRIBUTED_DENSE,
                                         GRU_NODE_ACTIVATION, GRU_NODE_DROPOUT,
                                         GRU_NODE_SPATIAL_DROPOUT1D};
    static const gru_node_kind drop[] = {GRU_NODE_FLATTEN, GRU_NODE_GLOBAL_AVERAGE_POOLING1D,
                                         GRU_NODE_GLOBAL_MAX_POOLING1D, GRU_NODE_GRU};
    for (int k = 0; k < 9; k++) {
        const int passes = k < 5;
        gru_model_node nodes[3];
        nodes[0] = input_node("x", 2, 3, 2, false);
        nodes[1] = N(GRU_NODE_MASKING, "m");
        in1(&nodes[1], 0, 0);
        nodes[2] = N(passes ? pass[k] : drop[k - 5], "n");
        nodes[2].dense.units = 2;
        gru_layer_config_init(&nodes[2].gru, 2, 1);
        in1(&nodes[2], 1, 0);
        gru_model_ref out = {2, 0};
        gru_model *m = NULL;
        CHECK_OK(gru_model_create(nodes, 3, &out, 1, GRU_F32, &m));
        gru_model_node_info info;
        CHECK_OK(gru_model_node_info_get(m, 2, &info));
        CHECK_MSG(info.output_masked[0] == (passes != 0), "%s: masked %d",
                  gru_node_kind_name(nodes[2].kind), (int)info.output_masked[0]);
        gru_model_free(m);
    }
}

TEST(model_rejects_bad_graphs) {
    gru_model *m = NULL;
    gru_model_node nodes[4];
    gru_model_ref out = {1, 0};
    nodes[0] = input_node("x", 2, 3, 2, false);
    nodes[1] = N(GRU_NODE_GRU, "my_gru");
    gru_layer_config_init(&nodes[1].gru, 3, 1);
    in1(&nodes[1], 0, 0);
    CHECK_REJECT(gru_model_create(NULL, 2, &out, 1, GRU_F32, &m), GRU_E_NULL, "nodes");
    CHECK_REJECT(gru_model_create(nodes, 2, &out, 1, GRU_F32, NULL), GRU_E_NULL, "out");
    CHECK_REJECT(gru_model_create(nodes, 2, &out, 1, (gru_dtype)7, &m), GRU_E_DTYPE, "dtype");
    nodes[1].gru.time_major = true;
    CHECK_REJECT(gru_model_create(nodes, 2, &out, 1, GRU_F32, &m), GRU_E_UNSUPPORTED,
                 "node 1 ('my_gru', GRU): option 'time_major'");
    CHECK(m == NULL);
    nodes[1].gru.time_major = false;
    nodes[1].inputs[0].node = 1;
    CHECK_REJECT(gru_model_create(nodes, 2, &out, 1, GRU_F32, &m), GRU_E_ARG, "earlier node");
    nodes[1].inputs[0].node = 0;
    nodes[1].inputs[0].port = 1;
    CHECK_REJECT(gru_model_create(nodes, 2, &out, 1, GRU_F32, &m), GRU_E_ARG, "port");
    nodes[1].inputs[0].port = 0;
    gru_model_ref bad_out = {1, 1};
    CHECK_REJECT(gru_model_create(nodes, 2, &bad_out, 1, GRU_F32, &m), GRU_E_ARG, "outputs[0]");
    /* rank: GRU on a 2-D tensor */
    nodes[0] = input_node("x", 1, 3, 0, false);
    CHECK_REJECT(gru_model_create(nodes, 2, &out, 1, GRU_F32, &m), GRU_E_SHAPE, "rank 3");
    /* int ids into a GRU */
    nodes[0] = input_node("x", 2, 3, 2, true);
    CHECK_REJECT(gru_model_create(nodes, 2, &out, 1, GRU_F32, &m), GRU_E_UNSUPPORTED,
                 "Embedding");
    /* an unknown kind */
    nodes[0] = input_node("x", 2, 3, 2, false);
    nodes[1].kind = (gru_node_kind)99;
    CHECK_REJECT(gru_model_create(nodes, 2, &out, 1, GRU_F32, &m), GRU_E_UNSUPPORTED,
                 "not a supported layer");
    /* Add with different shapes */
    nodes[1] = input_node("y", 2, 3, 4, false);
    nodes[2] = N(GRU_NODE_ADD, "add");
    in1(&nodes[2], 0, 0);
    in1(&nodes[2], 1, 0);
    out.node = 2;
    CHECK_REJECT(gru_model_create(nodes, 3, &out, 1, GRU_F32, &m), GRU_E_UNSUPPORTED,
                 "broadcasting");
    /* Concatenate on the batch axis; mismatched other axes */
    nodes[2] = N(GRU_NODE_CONCATENATE, "cat");
    nodes[2].axis = 0;
    in1(&nodes[2], 0, 0);
    in1(&nodes[2], 1, 0);
    CHECK_REJECT(gru_model_create(nodes, 3, &out, 1, GRU_F32, &m), GRU_E_UNSUPPORTED, "axis");
    nodes[2].axis = 1;
    CHECK_REJECT(gru_model_create(nodes, 3, &out, 1, GRU_F32, &m), GRU_E_SHAPE, "every axis");
    /* Concatenate of a masked and an unmasked input on the time axis */
    nodes[1] = N(GRU_NODE_MASKING, "mk");
    in1(&nodes[1], 0, 0);
    nodes[2] = N(GRU_NODE_CONCATENATE, "cat");
    nodes[2].axis = 1;
    in1(&nodes[2], 0, 0);
    in1(&nodes[2], 1, 0);
    CHECK_REJECT(gru_model_create(nodes, 3, &out, 1, GRU_F32, &m), GRU_E_UNSUPPORTED, "mask");
    /* Reshape with a wrong size */
    nodes[1] = N(GRU_NODE_RESHAPE, "rs");
    nodes[1].reshape.rank = 1;
    nodes[1].reshape.shape[0] = 5;
    in1(&nodes[1], 0, 0);
    out.node = 1;
    CHECK_REJECT(gru_model_create(nodes, 2, &out, 1, GRU_F32, &m), GRU_E_SHAPE, "'rs'");
    /* Reshape of a variable length to a fixed shape */
    nodes[0] = input_node("x", 2, -1, 2, false);
    nodes[1].reshape.shape[0] = 6;
    CHECK_REJECT(gru_model_create(nodes, 2, &out, 1, GRU_F32, &m), GRU_E_UNSUPPORTED,
                 "target_shape");
    /* Dense on a variable last axis (Flatten of a variable length) */
    nodes[1] = N(GRU_NODE_FLATTEN, "fl");
    in1(&nodes[1], 0, 0);
    nodes[2] = N(GRU_NODE_DENSE, "dn");
    nodes[2].dense.units = 2;
    in1(&nodes[2], 1, 0);
    out.node = 2;
    CHECK_REJECT(gru_model_create(nodes, 3, &out, 1, GRU_F32, &m), GRU_E_SHAPE, "fixed size");
    /* RepeatVector on 3-D, SpatialDropout1D on 2-D */
    nodes[1] = N(GRU_NODE_REPEAT_VECTOR, "rv");
    nodes[1].repeat_n = 2;
    in1(&nodes[1], 0, 0);
    out.node = 1;
    CHECK_REJECT(gru_model_create(nodes, 2, &out, 1, GRU_F32, &m), GRU_E_SHAPE, "'rv'");
    /* Bidirectional with time_major backward layer */
    nodes[0] = input_node("x", 2, 3, 2, false);
    nodes[1] = N(GRU_NODE_BIDIRECTIONAL, "bi");
    nodes[1].bidirectional.has_backward_layer = true;
    nodes[1].bidirectional.backward_layer.time_major = true;
    in1(&nodes[1], 0, 0);
    CHECK_REJECT(gru_model_create(nodes, 2, &out, 1, GRU_F32, &m), GRU_E_UNSUPPORTED,
                 "backward_layer.time_major");
    /* no Input node */
    nodes[0] = N(GRU_NODE_DROPOUT, "d");
    out.node = 0;
    CHECK_REJECT(gru_model_create(nodes, 1, &out, 1, GRU_F32, &m), GRU_E_ARG, "n_inputs");
    CHECK_REJECT(gru_model_node_init(&nodes[0], (gru_node_kind)-3, "z"), GRU_E_UNSUPPORTED, "kind");
}

TEST(model_rejects_bad_calls) {
    gru_model_node nodes[2];
    nodes[0] = input_node("x", 2, 3, 2, false);
    nodes[1] = N(GRU_NODE_GRU, "g");
    gru_layer_config_init(&nodes[1].gru, 3, 1);
    nodes[1].gru.stateful = true;
    nodes[1].gru.batch_size = 2;
    in1(&nodes[1], 0, 0);
    gru_model_ref out = {1, 0};
    gru_model *m = NULL;
    CHECK_OK(gru_model_create(nodes, 2, &out, 1, GRU_F32, &m));
    /* weights: wrong count names the weight */
    float w[64] = {0};
    const void *arr[3] = {w, w, w};
    size_t cnt[3] = {18, 27, 9};
    CHECK_OK(gru_model_set_node_weights(m, 1, GRU_F32, 3, arr, cnt));
    float back[3][64];
    void *outs_w[3] = {back[0], back[1], back[2]};
    CHECK_OK(gru_model_get_node_weights(m, 1, GRU_F32, 3, outs_w, cnt));
    cnt[1] = 26;
    CHECK_REJECT(gru_model_set_node_weights(m, 1, GRU_F32, 3, arr, cnt), GRU_E_SHAPE,
                 "node 1 ('g', GRU): weight 'recurrent_kernel' must have 27");
    cnt[1] = 27;
    CHECK_REJECT(gru_model_set_node_weights(m, 1, GRU_F32, 2, arr, cnt), GRU_E_SHAPE, "n_arrays");
    CHECK_REJECT(gru_model_set_node_weights(m, 5, GRU_F32, 3, arr, cnt), GRU_E_ARG, "'i'");
    CHECK_REJECT(gru_model_set_node_weights(m, 0, GRU_F32, 1, arr, cnt), GRU_E_SHAPE, "n_arrays");
    CHECK(strstr(gru_model_last_error(m), "n_arrays") != NULL);
    float x[12] = {0}, y[6];
    const void *ins[1] = {x};
    void *o[1] = {y};
    size_t bytes = 0;
    CHECK_OK(gru_model_workspace_size(m, 2, 3, &bytes));
    void *ws = aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
    CHECK_REJECT(gru_model_forward(m, GRU_F64, 2, 3, ins, o, ws, bytes), GRU_E_DTYPE, "dtype");
    CHECK_REJECT(gru_model_forward(m, GRU_F32, 2, 3, ins, o, ws, bytes - 1), GRU_E_SHAPE,
                 "workspace");
    CHECK_REJECT(gru_model_forward(m, GRU_F32, 2, 3, ins, o, (char *)ws + 8, bytes), GRU_E_ARG,
                 "aligned");
    CHECK_REJECT(gru_model_forward(m, GRU_F32, 0, 3, ins, o, ws, bytes), GRU_E_ARG, "batch");
    CHECK_REJECT(gru_model_forward(m, GRU_F32, 1, 3, ins, o, ws, bytes), GRU_E_SHAPE, "stateful");
    const void *nul[1] = {NULL};
    CHECK_REJECT(gru_model_forward(m, GRU_F32, 2, 3, nul, o, ws, bytes), GRU_E_NULL, "inputs[0]");
    /* stateful: the second call continues from the first's state */
    for (int i = 0; i < 12; i++) x[i] = 0.1f * (float)i;
    float y1[6], y2[6], y3[6];
    o[0] = y1;
    CHECK_OK(gru_model_forward(m, GRU_F32, 2, 3, ins, o, ws, bytes));
    o[0] = y2;
    CHECK_OK(gru_model_forward(m, GRU_F32, 2, 3, ins, o, ws, bytes));
    CHECK_OK(gru_model_reset_states(m));
    o[0] = y3;
    CHECK_OK(gru_model_forward(m, GRU_F32, 2, 3, ins, o, ws, bytes));
    free(ws);
    for (int i = 0; i < 6; i++) CHECK_NEAR(y1[i], y3[i], 0);
    gru_model_free(m);
    CHECK_REJECT(gru_model_workspace_size(NULL, 1, 1, &bytes), GRU_E_NULL, "model");
    gru_model_free(NULL);
    CHECK(strcmp(gru_node_kind_name(GRU_NODE_TIME_DISTRIBUTED_DENSE), "TimeDistributed") == 0);
}

void tests_model(void);
void tests_model(void) {
    TR_RUN(model_masking_and_pooling);
    TR_RUN(model_embedding_mask_zero);
    TR_RUN(model_repeat_dense3d_flatten_reshape);
    TR_RUN(model_merge_masks);
    TR_RUN(model_sequential_equals_layers_by_hand);
    TR_RUN(model_two_inputs_concat_and_initial_state);
    TR_RUN(model_bidirectional_ports);
    TR_RUN(model_mask_propagation_rules);
    TR_RUN(model_rejects_bad_graphs);
    TR_RUN(model_rejects_bad_calls);
}
