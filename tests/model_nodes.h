/* Building gru_model graphs in tests: a node of a kind and name with the
 * defaults of gru_model_node_init, and an input edge (node, port). Shared by
 * the model, model_io and model_threads topics. */
#ifndef GRU_TESTS_MODEL_NODES_H
#define GRU_TESTS_MODEL_NODES_H

#include "gru.h"

static inline gru_model_node N(gru_node_kind kind, const char *name) {
    gru_model_node n;
    gru_model_node_init(&n, kind, name);
    return n;
}

static inline void in1(gru_model_node *n, size_t node, size_t port) {
    n->inputs[n->n_inputs].node = node;
    n->inputs[n->n_inputs].port = port;
    n->n_inputs++;
}

#endif
