/* libFuzzer target: the ONNX GRU reader (protobuf-c decoding and the graph
 * walk), plus one forward call on whatever loads.
 * Build: cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DGRU_BUILD_FUZZ=ON
 *        -DGRU_BUILD_TESTS=OFF && cmake --build build-fuzz --target fuzz_onnx
 * Run:   build-fuzz/fuzz_onnx -max_total_time=120 corpus/ */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "gru.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gru_onnx *o = NULL;
    if (gru_onnx_load_buffer(data, size, GRU_F32, &o) != GRU_OK) return 0;
    /* run B=2, T=3 when the sizes are small */
    const void *in[16] = {0};
    void *out[16] = {0};
    int ok = 1;
    for (size_t k = 0; k < gru_onnx_input_count(o) && ok; k++) {
        int64_t d[4];
        size_t nd, n = 1;
        gru_onnx_input_shape(o, k, 2, 3, d, &nd);
        for (size_t i = 0; i < nd; i++) n *= (size_t)d[i];
        if (n > 100000) ok = 0;
        else {
            int32_t *p = calloc(n + 1, 4); /* zeros: valid lengths and values */
            in[k] = p;
        }
    }
    for (size_t k = 0; k < gru_onnx_output_count(o) && ok; k++) {
        int64_t d[4];
        size_t nd, n = 1;
        gru_onnx_output_shape(o, k, 2, 3, d, &nd);
        for (size_t i = 0; i < nd; i++) n *= (size_t)d[i];
        if (n > 100000) ok = 0;
        else out[k] = calloc(n + 1, 4);
    }
    if (ok) gru_onnx_forward(o, GRU_F32, 2, 3, in, out);
    for (size_t k = 0; k < 16; k++) free((void *)in[k]), free(out[k]);
    gru_onnx_free(o);
    return 0;
}
