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
#ifndef GRU_TORCH_H
#define GRU_TORCH_H

#include "gru.h"

#ifdef __cplusplus
extern "C" {
#endif

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

#ifdef __cplusplus
}
#endif
#endif /* GRU_TORCH_H */
