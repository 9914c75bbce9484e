/* libFuzzer target for the gru command's .npy reader (cli/arrays.c). */
#include <stdint.h>
#include <stdlib.h>

#include "arrays.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cli_array a;
    char err[256];
    if (cli_npy_parse(data, size, &a, err, sizeof err) == 0) {
        size_t n = 1;
        for (size_t j = 0; j < a.ndim; j++) n *= a.dims[j];
        if (n != a.count) abort();
        cli_array_free(&a);
    }
    return 0;
}
