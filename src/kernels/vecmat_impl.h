/* ISA-neutral vector-matrix product, included once per element type.
 * Needs: T (element type), GRU__VM_NAME (function name). */
void GRU__VM_NAME(size_t K, size_t N, const T *x, const T *W, size_t ldw,
                         const T *bias, double *acc, T *out) {
    for (size_t j = 0; j < N; j++) acc[j] = 0.0;
    for (size_t k = 0; k < K; k++) {
        const double xk = (double)x[k];
        const T *row = W + k * ldw;
        for (size_t j = 0; j < N; j++) acc[j] += xk * (double)row[j];
    }
    if (bias) {
        for (size_t j = 0; j < N; j++) out[j] = (T)acc[j] + bias[j];
    } else {
        for (size_t j = 0; j < N; j++) out[j] = (T)acc[j];
    }
}
