/* libFuzzer target: the safetensors reader and the PyTorch GRU loader.
 * Build: cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DGRU_BUILD_FUZZ=ON
 *        -DGRU_BUILD_TESTS=OFF && cmake --build build-fuzz --target fuzz_safetensors
 * Run:   build-fuzz/fuzz_safetensors -max_total_time=120 corpus/ */
#include <stddef.h>
#include <stdint.h>

#include "gru.h"
#include "safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gru_st_file f;
    if (gru_st_parse("fuzz", data, size, &f) == GRU_OK) {
        volatile double sink = 0;
        for (size_t i = 0; i < f.n; i++)
            if (f.t[i].count) sink += (double)f.t[i].data[f.t[i].end - f.t[i].begin - 1];
        (void)sink;
        gru_st_free(&f);
    }
    gru_torch_options opt;
    gru_torch_options_init(&opt);
    opt.initial_state = size & 1;
    gru_model *m = NULL;
    if (gru_torch_load_safetensors_buffer(data, size, &opt, size & 2 ? GRU_F64 : GRU_F32, &m,
                                          NULL) == GRU_OK)
        gru_model_free(m);
    return 0;
}
