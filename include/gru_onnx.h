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
#ifndef GRU_ONNX_H
#define GRU_ONNX_H

#include "gru.h"

#ifdef __cplusplus
extern "C" {
#endif

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

#ifdef __cplusplus
}
#endif
#endif /* GRU_ONNX_H */
