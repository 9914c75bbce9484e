/* libFuzzer target: the Keras JSON config reader (model configs, and the
 * GRU layer / cell get_config readers).
 * Build: cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DGRU_BUILD_FUZZ=ON
 *        -DGRU_BUILD_TESTS=OFF && cmake --build build-fuzz --target fuzz_keras_json
 * Run:   build-fuzz/fuzz_keras_json -max_total_time=120 corpus/
 *        (seed the corpus with to_json() / config.json files, e.g. the
 *        *.json under build/golden-full/files/data). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "gru.h"

/* Sizes in a config are taken as given (a model of units = 10^6 is a
 * legitimate request for ~12 TB, refused with GRU_E_NOMEM by the allocator,
 * but ASan aborts on such a request and libFuzzer on any allocation over
 * its 2 GB limit). The harness bounds the memory it asks for instead: an
 * input with a number above 2048 (a unit count, a shape) is not built into
 * a model; the layer and cell config readers below still read it. */
static int small_numbers(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if ((s[i] >= '0' && s[i] <= '9') && (i == 0 || !(s[i - 1] >= '0' && s[i - 1] <= '9'))) {
            double v = 0;
            size_t j = i;
            while (j < n && s[j] >= '0' && s[j] <= '9' && v <= 1e9) v = v * 10 + (s[j++] - '0');
            if (v > 2048) return 0;
            if (j < n && (s[j] == 'e' || s[j] == 'E')) return 0; /* 1e9 and the like */
        }
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *js = (const char *)data;
    if (!small_numbers(js, size)) goto configs;
    gru_model *m = NULL;
    gru_keras_options opt = {(size & 1) ? 3 : 0, NULL, 0};
    if (gru_keras_config_to_model(js, size, (size & 2) ? GRU_F64 : GRU_F32, &opt, &m, NULL) ==
        GRU_OK)
        gru_model_free(m);
configs:;
    gru_layer_config lc;
    if (gru_keras_layer_config_from_json(js, size, 3, 0, &lc) == GRU_OK) {
        char *out = NULL;
        if (gru_keras_layer_config_to_json(&lc, &out) == GRU_OK) gru_keras_free(out);
    }
    gru_cell_config cc;
    if (gru_keras_cell_config_from_json(js, size, 2, 3, &cc) == GRU_OK) {
        char *out = NULL;
        if (gru_keras_cell_config_to_json(&cc, &out) == GRU_OK) gru_keras_free(out);
    }
    return 0;
}
