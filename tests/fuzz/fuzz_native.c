/* libFuzzer target for the native model reader (gru_model_load_buffer).
 *
 * Each input is loaded twice: as given, and with its header's payload length
 * and CRC-32 made to agree with the bytes, so that mutations reach the
 * section parser instead of stopping at the checksum. A loaded model is run
 * once on zeros when its workspace is small, then freed.
 *
 *   cmake -S . -B build/fuzz -DCMAKE_C_COMPILER=clang -DGRU_BUILD_FUZZ=ON
 *   cmake --build build/fuzz --target fuzz_native
 *   build/fuzz/fuzz_native -max_total_time=60 corpus/ */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gru.h"
#include "model_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void try_run(gru_model *m) {
    const int64_t B = 1, T = 3;
    size_t ws = 0;
    if (gru_model_workspace_size(m, B, T, &ws) || ws > ((size_t)1 << 22)) return;
    void *ins[GRU_MODEL_MAX_INPUTS * 4] = {0}, *outs[64] = {0};
    const size_t ni = gru_model_input_count(m), no = gru_model_output_count(m);
    if (ni > 32 || no > 64) return;
    int ok = 1;
    for (size_t k = 0; k < ni && ok; k++) {
        int64_t d[GRU_MODEL_MAX_RANK + 1];
        size_t nd, cnt = 1;
        if (gru_model_input_shape(m, k, B, T, d, &nd, NULL)) return;
        for (size_t j = 0; j < nd; j++) cnt *= (size_t)d[j];
        ins[k] = cnt <= ((size_t)1 << 18) ? calloc(cnt, 8) : NULL;
        ok = ins[k] != NULL;
    }
    for (size_t k = 0; k < no && ok; k++) {
        int64_t d[GRU_MODEL_MAX_RANK + 1];
        size_t nd, cnt = 1;
        if (gru_model_output_shape(m, k, B, T, d, &nd)) ok = 0;
        for (size_t j = 0; j < nd && ok; j++) cnt *= (size_t)d[j];
        outs[k] = ok && cnt <= ((size_t)1 << 18) ? calloc(cnt, 8) : NULL;
        ok = ok && outs[k] != NULL;
    }
    void *w = ok ? aligned_alloc(64, (ws + 63) / 64 * 64 + 64) : NULL;
    if (w) gru_model_forward(m, gru_model_dtype(m), B, T, (const void *const *)ins, outs, w, ws);
    free(w);
    for (size_t k = 0; k < 32; k++) free(ins[k]);
    for (size_t k = 0; k < 64; k++) free(outs[k]);
}

static void load_one(const uint8_t *b, size_t n) {
    gru_model *m = NULL;
    if (gru_model_load_buffer(b, n, &m) == GRU_OK) {
        try_run(m);
        gru_model_free(m);
    } else if (m != NULL) {
        abort(); /* a failed load must not hand out a model */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    load_one(data, size);
    if (size >= GRU__FMT_HEADER) {
        uint8_t *c = malloc(size);
        if (!c) return 0;
        memcpy(c, data, size);
        const uint64_t P = size - GRU__FMT_HEADER;
        for (int i = 0; i < 8; i++) c[8 + i] = (uint8_t)(P >> (8 * i));
        const uint32_t crc = gru__crc32(0, c + GRU__FMT_HEADER, (size_t)P);
        for (int i = 0; i < 4; i++) c[16 + i] = (uint8_t)(crc >> (8 * i));
        load_one(c, size);
        free(c);
    }
    return 0;
}
