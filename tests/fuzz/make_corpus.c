/* Seed corpus for fuzz_native: a few small models covering every node kind,
 * saved with gru_model_save_path into the directory given.
 *
 *   fuzz_make_corpus DIR */
#include <stdio.h>
#include <string.h>

#include "gru.h"

static gru_model_node N(gru_node_kind kind, const char *name, size_t from) {
    gru_model_node n;
    gru_model_node_init(&n, kind, name);
    if (kind != GRU_NODE_INPUT) {
        n.n_inputs = 1;
        n.inputs[0].node = from;
    }
    return n;
}

static int save(gru_model_node *n, size_t count, gru_model_ref *outs, size_t n_out, gru_dtype dt,
                const char *dir, const char *name) {
    gru_model *m;
    char path[1024];
    if (gru_model_create(n, count, outs, n_out, dt, &m)) {
        fprintf(stderr, "%s: %s\n", name, gru_last_error());
        return 1;
    }
    snprintf(path, sizeof path, "%s/%s.grum", dir, name);
    const gru_status s = gru_model_save_path(m, path);
    gru_model_free(m);
    if (s) fprintf(stderr, "%s: %s\n", path, gru_last_error());
    return s != GRU_OK;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_make_corpus DIR\n");
        return 2;
    }
    int bad = 0;
    gru_model_node n[17];
    /* GRU + Dense, both dtypes */
    n[0] = N(GRU_NODE_INPUT, "x", 0);
    n[0].input.rank = 2;
    n[0].input.shape[0] = -1;
    n[0].input.shape[1] = 2;
    n[1] = N(GRU_NODE_GRU, "gru", 0);
    gru_layer_config_init(&n[1].gru, 3, 1);
    n[2] = N(GRU_NODE_DENSE, "dense", 1);
    n[2].dense.units = 1;
    gru_model_ref o1 = {2, 0};
    bad |= save(n, 3, &o1, 1, GRU_F32, argv[1], "gru_dense_f32");
    n[1].gru.cell.reset_after = true;
    gru_activation_from_name("hard_sigmoid_k3", &n[1].gru.cell.recurrent_activation);
    bad |= save(n, 3, &o1, 1, GRU_F64, argv[1], "gru_dense_f64");
    /* ids -> Embedding -> Bidirectional(none, return_state) -> Dense */
    n[0] = N(GRU_NODE_INPUT, "ids", 0);
    n[0].input.rank = 1;
    n[0].input.shape[0] = 4;
    n[0].input.int_ids = true;
    n[1] = N(GRU_NODE_EMBEDDING, "emb", 0);
    n[1].embedding.input_dim = 5;
    n[1].embedding.output_dim = 2;
    n[1].embedding.mask_zero = true;
    n[2] = N(GRU_NODE_BIDIRECTIONAL, "bi", 1);
    gru_bidirectional_config_init(&n[2].bidirectional, 2, 1);
    n[2].bidirectional.merge_mode = GRU_MERGE_NONE;
    n[2].bidirectional.layer.return_state = true;
    n[3] = N(GRU_NODE_DENSE, "head", 2);
    n[3].dense.units = 2;
    gru_model_ref o2[3] = {{3, 0}, {2, 1}, {2, 3}};
    bad |= save(n, 4, o2, 3, GRU_F32, argv[1], "embedding_bidirectional");
    /* the other kinds */
    n[0] = N(GRU_NODE_INPUT, "x", 0);
    n[0].input.rank = 2;
    n[0].input.shape[0] = 3;
    n[0].input.shape[1] = 2;
    n[1] = N(GRU_NODE_MASKING, "mask", 0);
    n[2] = N(GRU_NODE_GRU, "gru", 1);
    gru_layer_config_init(&n[2].gru, 2, 1);
    n[2].gru.return_sequences = true;
    n[3] = N(GRU_NODE_TIME_DISTRIBUTED_DENSE, "td", 2);
    n[3].dense.units = 2;
    n[4] = N(GRU_NODE_DROPOUT, "drop", 3);
    n[5] = N(GRU_NODE_SPATIAL_DROPOUT1D, "sdrop", 4);
    n[6] = N(GRU_NODE_ACTIVATION, "act", 5);
    gru_activation_from_name("tanh", &n[6].activation);
    n[7] = N(GRU_NODE_ADD, "add", 6);
    n[7].n_inputs = 2;
    n[7].inputs[1].node = 5;
    n[8] = N(GRU_NODE_MULTIPLY, "mul", 7);
    n[8].n_inputs = 2;
    n[8].inputs[1].node = 6;
    n[9] = N(GRU_NODE_CONCATENATE, "cat", 8);
    n[9].n_inputs = 2;
    n[9].inputs[1].node = 2;
    n[10] = N(GRU_NODE_GLOBAL_AVERAGE_POOLING1D, "gap", 9);
    n[11] = N(GRU_NODE_GLOBAL_MAX_POOLING1D, "gmp", 9);
    n[11].keepdims = true;
    n[12] = N(GRU_NODE_FLATTEN, "flat", 11);
    n[13] = N(GRU_NODE_REPEAT_VECTOR, "rep", 12);
    n[13].repeat_n = 2;
    n[14] = N(GRU_NODE_RESHAPE, "resh", 13);
    n[14].reshape.rank = 2;
    n[14].reshape.shape[0] = 4;
    n[14].reshape.shape[1] = -1;
    gru_model_ref o3[2] = {{10, 0}, {14, 0}};
    bad |= save(n, 15, o3, 2, GRU_F32, argv[1], "all_kinds");
    return bad;
}
